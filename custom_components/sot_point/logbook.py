"""Logbook texts for the site journal's events, in the site's language.

The logbook asks for a description without waiting, so the texts come from
Home Assistant's translation cache (texts.py), filled by `async_load_texts`
when the journal loads (and again when the language changes). The templates live in
strings.json under `exceptions.journal_*`, the one category of free-form,
translated messages an integration has; alarm and condition names are the
alarm entities' own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

from homeassistant.core import HomeAssistant, callback

from .const import (
    DOMAIN,
    EVENT_ALARM,
    EVENT_COMMAND,
    EVENT_COMMAND_REFUSED,
    EVENT_FUEL_DELIVERY,
    EVENT_FUEL_LOSS,
    EVENT_MAINTENANCE,
    EVENT_NOTICE,
    EVENT_OUTAGE_ENDED,
    EVENT_OUTAGE_STARTED,
    EVENT_START_FAILED,
    EVENT_TEST_RUN_ENDED,
    EVENT_TEST_RUN_STARTED,
    JOURNAL_EVENTS,
)
from .texts import Texts

# The logbook's entry keys (homeassistant.components.logbook.const); written
# out so that loading the journal does not import the recorder.
_NAME: Final = "name"
_MESSAGE: Final = "message"
_ICON: Final = "icon"


class LoggedEvent(Protocol):
    """What the logbook hands a describe callback (an event row)."""

    event_type: str
    data: Mapping[str, Any]


type Describe = Callable[[LoggedEvent], dict[str, str]]


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Describe], None],
) -> None:
    """Tell the logbook how to show each journal event."""
    for event_type in JOURNAL_EVENTS:
        async_describe_event(DOMAIN, event_type, _describer(hass))


def _describer(hass: HomeAssistant) -> Describe:
    @callback
    def describe(event: LoggedEvent) -> dict[str, str]:
        data = event.data
        texts = Texts(hass)
        return {
            _NAME: str(data.get("site") or DOMAIN),
            _MESSAGE: describe_event(event.event_type, data, texts),
            _ICON: event_icon(event.event_type, data),
        }

    return describe


def describe_event(event_type: str, data: Mapping[str, Any], texts: Texts) -> str:
    """The logbook message for one of the JOURNAL_EVENTS."""
    return _DESCRIBERS[event_type](data, texts)


def event_icon(event_type: str, data: Mapping[str, Any]) -> str:
    """The logbook icon of one of the JOURNAL_EVENTS (the entry has no entity).

    Home Assistant's icons.json has no place for an event's icon, so the
    logbook gets it with the description, as core's own integrations do.
    """
    icons = _ICONS[event_type]
    pick = _ICON_KEYS.get(event_type)
    key = "" if pick is None else str(pick(data))
    return icons.get(key, icons[""])


def _outage_started(_data: Mapping[str, Any], texts: Texts) -> str:
    return texts.message("journal_outage_started")


def _outage_ended(data: Mapping[str, Any], texts: Texts) -> str:
    # The record's own figures, as the blueprints' messages and the status
    # object show them: one start, one length, one fuel figure per outage.
    fuel = data.get("fuel_used_l")
    figures = {
        "start": texts.clock(str(data.get("started") or "")),
        "duration": texts.duration(_figure(data, "duration_s")),
        "backup": texts.duration(_figure(data, "backup_power_s")),
    }
    if isinstance(fuel, int | float):
        return texts.message(
            "journal_outage_ended_fuel", fuel=texts.number(fuel), **figures
        )
    return texts.message("journal_outage_ended", **figures)


def _alarm(data: Mapping[str, Any], texts: Texts) -> str:
    key = str(data.get("alarm"))
    return texts.message(
        f"journal_alarm_{data.get('action')}",
        alarm=texts.alarm(key),
        condition=texts.condition(key, str(data.get("condition"))),
    )


def _start_failed(data: Mapping[str, Any], texts: Texts) -> str:
    return texts.message(f"journal_start_failed_{data.get('reason')}")


def _test_run_started(_data: Mapping[str, Any], texts: Texts) -> str:
    return texts.message("journal_test_run_started")


def _test_run_ended(data: Mapping[str, Any], texts: Texts) -> str:
    return texts.message(
        f"journal_test_run_ended_{data.get('result')}",
        duration=texts.duration(_figure(data, "duration_s")),
        load=texts.number(_figure(data, "mean_load_kw")),
    )


def _command(data: Mapping[str, Any], texts: Texts) -> str:
    return texts.message(
        f"journal_command_{data.get('result')}",
        command=texts.command(str(data.get("command"))),
        reason=str(data.get("reason") or ""),
    )


def _command_refused(data: Mapping[str, Any], texts: Texts) -> str:
    command = texts.command(str(data.get("command")))
    if not data.get("reason"):
        return texts.message("journal_command_refused_no_reason", command=command)
    reason = texts.refusal(str(data["reason"]), str(data.get("detail") or ""))
    return texts.message("journal_command_refused", command=command, reason=reason)


def _fuel_delivery(data: Mapping[str, Any], texts: Texts) -> str:
    return texts.message(
        "journal_fuel_delivery", litres=texts.number(_figure(data, "litres"))
    )


def _fuel_loss(data: Mapping[str, Any], texts: Texts) -> str:
    key = (
        "journal_fuel_loss_unexplained"
        if data.get("kind") == "unexplained"
        else "journal_fuel_loss"
    )
    return texts.message(key, litres=texts.number(_figure(data, "litres")))


def _maintenance(data: Mapping[str, Any], texts: Texts) -> str:
    return texts.message(
        "journal_maintenance_on" if data.get("on") else "journal_maintenance_off"
    )


def _notice(data: Mapping[str, Any], texts: Texts) -> str:
    # A notice may be written in both languages; show the reader's.
    text = data.get(f"text_{texts.language}") or data.get("message") or ""
    key = (
        "journal_notice_cleared"
        if data.get("action") == "cleared"
        else "journal_notice"
    )
    return texts.message(key, message=str(text))


_DESCRIBERS: Final[dict[str, Callable[[Mapping[str, Any], Texts], str]]] = {
    EVENT_OUTAGE_STARTED: _outage_started,
    EVENT_OUTAGE_ENDED: _outage_ended,
    EVENT_ALARM: _alarm,
    EVENT_START_FAILED: _start_failed,
    EVENT_TEST_RUN_STARTED: _test_run_started,
    EVENT_TEST_RUN_ENDED: _test_run_ended,
    EVENT_COMMAND: _command,
    EVENT_COMMAND_REFUSED: _command_refused,
    EVENT_FUEL_DELIVERY: _fuel_delivery,
    EVENT_FUEL_LOSS: _fuel_loss,
    EVENT_MAINTENANCE: _maintenance,
    EVENT_NOTICE: _notice,
}


# Per event: the default icon (key "") and icons for one value of its data.
_ICONS: Final[dict[str, dict[str, str]]] = {
    EVENT_OUTAGE_STARTED: {"": "mdi:transmission-tower-off"},
    EVENT_OUTAGE_ENDED: {"": "mdi:transmission-tower"},
    EVENT_ALARM: {
        "": "mdi:alarm-light",
        "cleared": "mdi:alarm-light-off-outline",
        "acknowledged": "mdi:check-circle-outline",
    },
    EVENT_START_FAILED: {"": "mdi:engine-off"},
    EVENT_TEST_RUN_STARTED: {"": "mdi:test-tube"},
    EVENT_TEST_RUN_ENDED: {
        "": "mdi:clipboard-check-outline",
        "failed": "mdi:clipboard-alert-outline",
    },
    EVENT_COMMAND: {
        "": "mdi:gesture-tap-button",
        "failed": "mdi:alert-circle-outline",
        "not_followed": "mdi:alert-circle-outline",
        "unverified": "mdi:help-circle-outline",
        "refused": "mdi:cancel",
    },
    EVENT_COMMAND_REFUSED: {"": "mdi:cancel"},
    EVENT_FUEL_DELIVERY: {"": "mdi:gas-station"},
    EVENT_FUEL_LOSS: {"": "mdi:water-alert", "unexplained": "mdi:help-circle-outline"},
    EVENT_MAINTENANCE: {"": "mdi:lock-open-variant", "True": "mdi:lock"},
    EVENT_NOTICE: {
        "": "mdi:message-text-outline",
        "cleared": "mdi:message-off-outline",
    },
}
# Which value of an event's data picks its icon.
_ICON_KEYS: Final[dict[str, Callable[[Mapping[str, Any]], object]]] = {
    EVENT_ALARM: lambda data: data.get("action"),
    EVENT_FUEL_LOSS: lambda data: data.get("kind"),
    EVENT_TEST_RUN_ENDED: lambda data: data.get("result"),
    EVENT_COMMAND: lambda data: data.get("result"),
    EVENT_MAINTENANCE: lambda data: bool(data.get("on")),
    EVENT_NOTICE: lambda data: data.get("action"),
}


def _figure(data: Mapping[str, Any], key: str) -> float:
    """A number from an event's data; an unknown one reads as zero."""
    value = data.get(key)
    return float(value) if isinstance(value, int | float) else 0.0
