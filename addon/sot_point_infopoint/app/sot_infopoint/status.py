"""The site's status object (schema 1 or 2, docs/status.md), read into typed values.

The raw object is kept as it came for `/status.json`; the page reads these
typed values. Anything malformed is refused as a whole with `StatusError`
rather than half-shown: the page then keeps the last good state. Schema 2
added the service board; an object of schema 1 has none (`services` None),
and the page lists what the add-on's options offer, as it did.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
import math
from typing import Any

SCHEMAS = (1, 2)
# The services of the board the page knows how to name (docs/status.md); a
# newer integration's other services are left out rather than shown bare.
BOARD_SERVICES = (
    "store",
    "fuel",
    "cash_withdrawal",
    "parcels",
    "pharmacy_pickup",
    "warm_room",
    "drinking_water",
    "phone_charging",
    "toilets",
    "shower",
    "wifi",
)


class StatusError(ValueError):
    """The status object is not one this app can read."""


class Mode(StrEnum):
    """The site's mode as the integration names it."""

    NORMAL = "normal"
    OUTAGE_DETECTED = "outage_detected"
    STARTING = "starting"
    BACKUP_POWER = "backup_power"
    RETURNING = "returning"
    OUTAGE_NO_BACKUP = "outage_no_backup"
    TEST_RUN = "test_run"
    FAULT = "fault"


class Importance(StrEnum):
    """How strongly a notice is shown."""

    INFO = "info"
    IMPORTANT = "important"
    URGENT = "urgent"


@dataclass(frozen=True, slots=True)
class Notice:
    """One notice of the association."""

    id: str
    text_sv: str
    text_en: str | None
    importance: Importance
    published: datetime
    expires: datetime | None


class ServiceState(StrEnum):
    """Whether a service of the board can be used now."""

    OPEN = "open"
    LIMITED = "limited"
    CLOSED = "closed"
    UNKNOWN = "unknown"


class Source(StrEnum):
    """Who decided a service's state."""

    MANUAL = "manual"
    HEATER = "heater"
    PUMP_POWER = "pump_power"
    STALE = "stale"


@dataclass(frozen=True, slots=True)
class Service:
    """One service of the board."""

    key: str
    state: ServiceState
    source: Source
    note: str | None
    hours: str | None
    since: datetime | None
    updated: datetime | None


@dataclass(frozen=True, slots=True)
class Fuel:
    """The tank; None where the site does not know."""

    litres: float | None
    autonomy_h: float | None


@dataclass(frozen=True, slots=True)
class SiteStatus:
    """One status object of one site."""

    site: str
    updated: datetime | None
    reachable: bool
    mode: Mode | None
    mains_available: bool | None
    outage_started: datetime | None
    generator_running: bool | None
    on_backup_power: bool | None
    fuel: Fuel
    room_temperature_c: float | None
    notices: tuple[Notice, ...]
    # None: a schema 1 object, which has no board.
    services: tuple[Service, ...] | None = None
    local_radio: str | None = None


def parse_status(raw: object) -> SiteStatus:
    """Read a status object; StatusError when it is not schema 1 or 2, or malformed.

    Any JSON value may come in (a message is only as good as its sender);
    nothing but StatusError leaves this function.
    """
    if not isinstance(raw, Mapping):
        msg = f"a status object must be an object, not {type(raw).__name__}"
        raise StatusError(msg)
    schema = raw.get("schema")
    # JSON's true is Python's True, which equals 1.
    if type(schema) is not int or schema not in SCHEMAS:
        msg = f"status schema {schema!r}, this app reads 1 or 2"
        raise StatusError(msg)
    try:
        return _parse(raw)
    except (KeyError, TypeError, ValueError, OverflowError) as err:
        msg = f"malformed status object: {err!r}"
        raise StatusError(msg) from err


def _object(value: Any, name: str) -> Mapping[str, Any]:
    """`value` as an object; an absent one is empty, anything else malformed."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        msg = f"{name} must be an object, not {type(value).__name__}"
        raise TypeError(msg)
    return value


def _parse(raw: Mapping[str, Any]) -> SiteStatus:
    fuel = _object(raw.get("fuel"), "fuel")
    room = _object(raw.get("warm_room"), "warm_room")
    mode = raw.get("mode")
    return SiteStatus(
        site=str(raw["site"]),
        updated=_time(raw.get("updated")),
        reachable=bool(raw.get("reachable")),
        mode=Mode(mode) if mode is not None else None,
        mains_available=_bool(raw.get("mains_available")),
        outage_started=_time(raw.get("outage_started")),
        generator_running=_bool(raw.get("generator_running")),
        on_backup_power=_bool(raw.get("on_backup_power")),
        fuel=Fuel(_number(fuel.get("litres")), _number(fuel.get("autonomy_h"))),
        room_temperature_c=_number(room.get("temperature_c")),
        notices=tuple(_notice(n) for n in _list(raw.get("notices"), "notices")),
        services=_services(raw) if raw["schema"] >= 2 else None,
        local_radio=_optional_text(raw.get("local_radio")),
    )


def _services(raw: Mapping[str, Any]) -> tuple[Service, ...]:
    found = [_object(s, "a service") for s in _list(raw.get("services"), "services")]
    return tuple(_service(s) for s in found if s.get("key") in BOARD_SERVICES)


def _service(raw: Mapping[str, Any]) -> Service:
    return Service(
        key=str(raw["key"]),
        state=ServiceState(raw.get("state", "unknown")),
        source=Source(raw.get("source", "manual")),
        note=_optional_text(raw.get("note")),
        hours=_optional_text(raw.get("hours")),
        since=_time(raw.get("since")),
        updated=_time(raw.get("updated")),
    )


def _optional_text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        msg = f"a text, not {type(value).__name__}"
        raise TypeError(msg)
    return value.strip() or None


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        msg = f"{name} must be a list, not {type(value).__name__}"
        raise TypeError(msg)
    return value


def _notice(value: Any) -> Notice:
    raw = _object(value, "a notice")
    text_en = raw.get("text_en")
    published = _time(raw["published"])
    if published is None:
        msg = "a notice without a publication time"
        raise ValueError(msg)
    return Notice(
        id=str(raw["id"]),
        text_sv=str(raw["text_sv"]),
        text_en=str(text_en) if text_en else None,
        importance=Importance(raw.get("importance", "info")),
        published=published,
        expires=_time(raw.get("expires")),
    )


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the contract says UTC
    return moment


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, int | float):
        msg = f"a number, not {type(value).__name__}"
        raise TypeError(msg)
    number = float(value)
    if not math.isfinite(number):
        msg = f"a finite number, not {value!r}"
        raise ValueError(msg)
    return number
