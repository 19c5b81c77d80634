"""Every text this integration looks up in Home Assistant's translations.

One place for the look-up: the logbook, the CSV report, refusals that name
alarms and repair issues that name a mode all read the same cache, in the
site's language with English behind. `async_load_texts` fills the cache
(the journal calls it when it loads and when the language changes).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
import math
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import (
    async_get_cached_translations,
    async_get_translations,
)
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .rules.words import number

_FALLBACK_LANGUAGE: Final = "en"
# The translation categories the texts come from.
_CATEGORIES: Final = ("exceptions", "entity")


async def async_load_texts(hass: HomeAssistant, *languages: str) -> None:
    """Load this integration's texts in the site's language, English and `languages`."""
    for language in {hass.config.language, _FALLBACK_LANGUAGE, *languages}:
        for category in _CATEGORIES:
            await async_get_translations(hass, language, category, [DOMAIN])


class Texts:
    """Cached translated texts, in the site's language with English behind."""

    def __init__(self, hass: HomeAssistant, language: str | None = None) -> None:
        """Read from the cache for `language` (default: Home Assistant's)."""
        self.hass = hass
        self.language = language or hass.config.language

    def lookup(self, category: str, key: str) -> str | None:
        """One text by its key below `component.sot_point.<category>.`."""
        full = f"component.{DOMAIN}.{category}.{key}"
        for language in (self.language, _FALLBACK_LANGUAGE):
            texts = async_get_cached_translations(self.hass, language, category, DOMAIN)
            if (text := texts.get(full)) is not None:
                return text
        return None

    def message(self, key: str, **placeholders: str) -> str:
        """A `journal_*` template with its placeholders filled in."""
        template = self.lookup("exceptions", f"{key}.message") or key
        return _fill(template, placeholders)

    def alarm(self, key: str) -> str:
        """An alarm's name, as its binary sensor is called."""
        return self.lookup("entity", f"binary_sensor.alarm_{key}.name") or key

    def condition(self, alarm: str, condition: str) -> str:
        """An alarm condition (warning, shutdown, ...) in words."""
        key = (
            f"binary_sensor.alarm_{alarm}.state_attributes.condition.state.{condition}"
        )
        return self.lookup("entity", key) or condition

    def mode(self, mode: str) -> str:
        """A controller mode as the mode sensor shows it."""
        text = self.lookup("entity", f"sensor.control_mode.state.{mode}")
        return text or mode.replace("_", " ")

    def command(self, command: str) -> str:
        """What a command asked for, in words."""
        text = self.lookup("exceptions", f"journal_command_{command}.message")
        return text or command

    def refusal(self, reason: str, detail: str) -> str:
        """Why an interlock refused, as the person was told at the time."""
        text = self.lookup("exceptions", f"refused_{reason}.message")
        return reason if text is None else _fill(text, {"detail": detail})

    def number(self, value: float, decimals: int = 1) -> str:
        """A number with the language's decimal mark and no needless zeros."""
        return number(value, self.language, decimals)

    def clock(self, moment: str) -> str:
        """An ISO time as HH:MM in Home Assistant's time zone ("" if not one)."""
        try:
            parsed = datetime.fromisoformat(moment)
        except ValueError:
            return ""
        return dt_util.as_local(parsed).strftime("%H:%M")

    def duration(self, seconds: float) -> str:
        """A duration as hours and minutes (seconds when under a minute).

        Rounded to the nearest minute, as the blueprints' messages round the
        same record's `duration_s`: 4 min 40 s is "5 min" in every text.
        """
        if _half_up(seconds) < 60:
            return f"{_half_up(seconds)} s"
        hours, minutes = divmod(_half_up(seconds / 60), 60)
        if hours:
            return f"{hours} h {minutes} min"
        return f"{minutes} min"


def _half_up(value: float) -> int:
    """Rounded as Jinja's `round` does (half away from zero), not to even."""
    return math.floor(value + 0.5)


def _fill(template: str, placeholders: Mapping[str, str]) -> str:
    """Fill `{name}` placeholders; unknown ones are left as they are."""
    for name, value in placeholders.items():
        template = template.replace(f"{{{name}}}", value)
    return template
