"""Buttons on the generator: start, stop and reset alarms."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SUBENTRY_GENERATOR
from .entity import SiteDevice, SotPointDescription, SotPointEntity
from .entity_setup import add_entities_by_source
from .hardware.commands import Command
from .rules.site import SiteState
from .runtime import SotPointConfigEntry, site_of

# Commands go to one controller one at a time; the runner refuses a second.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SotPointButtonDescription(ButtonEntityDescription, SotPointDescription):
    """A button that sends one command through the site's interlocks."""

    command: Command
    none_is_unknown: bool = True


BUTTONS = tuple(
    SotPointButtonDescription(
        key=key,
        translation_key=key,
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        command=command,
    )
    for key, command in (
        ("start_generator", Command.START),
        ("stop_generator", Command.STOP),
        ("reset_alarms", Command.RESET_ALARMS),
    )
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SotPointConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the generator's buttons when the site has a generator."""
    add_entities_by_source(
        entry.runtime_data.coordinator, async_add_entities, BUTTONS, SotPointButton
    )


class SotPointButton(SotPointEntity, ButtonEntity):
    """Presses a control key on the controller, if the interlocks allow it."""

    entity_description: SotPointButtonDescription

    def _value(self, state: SiteState) -> None:
        return None

    async def async_press(self) -> None:
        """Send the command; a refusal is raised to the person who pressed."""
        control = site_of(self.coordinator).control
        await control.async_command(self.entity_description.command, self._context)
