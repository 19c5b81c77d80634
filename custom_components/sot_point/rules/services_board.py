"""The service board: what works at the site now, service by service.

Each service the site offers (the store, fuel, cash withdrawal...) has a
state, open, limited, closed or unknown, set by the association, with an
optional short note and opening hours. Where the site knows better, the state
follows what it measures, and says so (`Source`):

- the warm room follows the heater relay and the room temperature;
- fuel is closed while the pump's circuit has no power;
- a state the association has not set (or confirmed) for longer than the
  stale time falls back to unknown, so an old "open" never lingers.

Plain values only; the board that keeps the association's settings in Home
Assistant's storage, and its entities and action, are in service_board.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from .site import SiteState

# In the order the page lists them: everyday needs first.
SERVICES: Final = (
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
# A note fits one line of a phone screen ("öppet till 20", "endast kontant").
MAX_NOTE_LENGTH: Final = 40
MAX_HOURS_LENGTH: Final = 60
MAX_RADIO_LENGTH: Final = 60
DEFAULT_STALE_HOURS: Final = 12.0
# At least an hour (a state set at lunch still holds in the afternoon), at
# most a week.
STALE_HOURS_RANGE: Final = (1.0, 168.0)
# A warm room this warm, with its heater on, is open for people to warm up.
WARM_ENOUGH_C: Final = 18.0

# The site's options: the section of the options form.
CONF_SERVICE_BOARD: Final = "service_board"
CONF_OFFERED: Final = "offered"
CONF_PUMP_ON_GENERATOR: Final = "pump_on_generator"
CONF_STALE_HOURS: Final = "stale_hours"
CONF_LOCAL_RADIO: Final = "local_radio"


class ServiceState(StrEnum):
    """Whether a service can be used now."""

    OPEN = "open"
    LIMITED = "limited"
    CLOSED = "closed"
    UNKNOWN = "unknown"


class Source(StrEnum):
    """Who decided the state shown."""

    MANUAL = "manual"
    HEATER = "heater"
    PUMP_POWER = "pump_power"
    STALE = "stale"


@dataclass(frozen=True, slots=True)
class BoardSettings:
    """The service board's part of the site's options."""

    offered: tuple[str, ...] = ()
    pump_on_generator: bool = False
    stale_after: timedelta = timedelta(hours=DEFAULT_STALE_HOURS)
    local_radio: str | None = None


def board_section(options: Mapping[str, Any]) -> Mapping[str, Any]:
    """The site's service board section of its options, empty if never set."""
    section = options.get(CONF_SERVICE_BOARD)
    return section if isinstance(section, Mapping) else {}


def board_settings(options: Mapping[str, Any]) -> BoardSettings:
    """The board's settings from the site's options (defaults where unset)."""
    section = board_section(options)
    offered = set(section.get(CONF_OFFERED) or ())
    hours = section.get(CONF_STALE_HOURS, DEFAULT_STALE_HOURS)
    radio = str(section.get(CONF_LOCAL_RADIO) or "").strip()
    return BoardSettings(
        offered=tuple(key for key in SERVICES if key in offered),
        pump_on_generator=bool(section.get(CONF_PUMP_ON_GENERATOR, False)),
        stale_after=timedelta(hours=float(hours)),
        local_radio=radio or None,
    )


def board_as_stored(values: Mapping[str, Any]) -> dict[str, Any]:
    """The options form's section as kept: empty when nothing was chosen."""
    offered = [key for key in SERVICES if key in set(values.get(CONF_OFFERED) or ())]
    radio = str(values.get(CONF_LOCAL_RADIO) or "").strip()
    hours = float(values.get(CONF_STALE_HOURS, DEFAULT_STALE_HOURS))
    pump = bool(values.get(CONF_PUMP_ON_GENERATOR, False))
    if not offered and not radio and not pump and hours == DEFAULT_STALE_HOURS:
        return {}
    return {
        CONF_OFFERED: offered,
        CONF_PUMP_ON_GENERATOR: pump,
        CONF_STALE_HOURS: hours,
        CONF_LOCAL_RADIO: radio,
    }


@dataclass(frozen=True, slots=True)
class Manual:
    """What the association set for one service. Times are UTC.

    `set_at` is when the state or the note was last set, even to what it
    was (a confirmation): staleness counts from it. `changed_at` is when the
    state last changed, the "since" of a state set by hand.
    """

    state: ServiceState = ServiceState.UNKNOWN
    note: str | None = None
    hours: str | None = None
    set_at: datetime | None = None
    changed_at: datetime | None = None

    def updated(
        self,
        now: datetime,
        *,
        state: ServiceState | None = None,
        note: str | None = None,
        hours: str | None = None,
        clear_note: bool = False,
        clear_hours: bool = False,
    ) -> Manual:
        """The setting with what was given set now (None: left as it was)."""
        new = self
        if state is not None:
            changed = self.changed_at if state is self.state else now
            new = replace(new, state=state, set_at=now, changed_at=changed)
        if note is not None or clear_note:
            new = replace(new, note=note or None, set_at=now)
        if hours is not None or clear_hours:
            new = replace(new, hours=hours or None)
        return new

    def as_dict(self) -> dict[str, Any]:
        """For storage."""
        return {
            "state": self.state.value,
            "note": self.note,
            "hours": self.hours,
            "set_at": _iso(self.set_at),
            "changed_at": _iso(self.changed_at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manual:
        """Back from storage."""
        return cls(
            state=ServiceState(data.get("state", ServiceState.UNKNOWN.value)),
            note=data.get("note") or None,
            hours=data.get("hours") or None,
            set_at=_time(data.get("set_at")),
            changed_at=_time(data.get("changed_at")),
        )


@dataclass(frozen=True, slots=True)
class Shown:
    """One service as the page, the status object and the select show it."""

    key: str
    state: ServiceState
    source: Source
    note: str | None
    hours: str | None
    since: datetime | None
    updated: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """The status object's `services[]` entry (docs/status.md)."""
        return {
            "key": self.key,
            "state": self.state.value,
            "note": self.note,
            "hours": self.hours,
            "source": self.source.value,
            "since": _iso(self.since),
            "updated": _iso(self.updated),
        }


def automatic(
    key: str, site: SiteState | None, settings: BoardSettings
) -> ServiceState | None:
    """The state the site's own readings give a service; None: they do not tell.

    `site` is None when the last poll reached nothing: then nothing is
    known, and the association's state stands.
    """
    if site is None:
        return None
    if key == "warm_room":
        return _warm_room(site)
    if key == "fuel":
        return _fuel(site, settings)
    return None


def _warm_room(site: SiteState) -> ServiceState | None:
    io = site.io
    if io is None or io.heater_on is None:
        return None
    if not io.heater_on:
        return ServiceState.CLOSED
    temperature = io.room_temperature
    if temperature is not None and temperature >= WARM_ENOUGH_C:
        return ServiceState.OPEN
    # Heated but not warm yet (or the thermometer is silent): people can
    # come in, with their coats on.
    return ServiceState.LIMITED


def _fuel(site: SiteState, settings: BoardSettings) -> ServiceState | None:
    """Closed while the pump's circuit has no power; else the site cannot tell.

    A confirmed outage, not a blink of the mains, takes the pump's power. A
    pump on the generator's circuit has power again once the load is on
    the generator; one on the mains only, not before the mains is back.
    """
    if site.mains_available is not False or not site.outage_in_progress:
        return None
    if settings.pump_on_generator:
        on_backup = site.on_backup_power
        if on_backup is None or on_backup:
            return None
    return ServiceState.CLOSED


_AUTOMATIC_SOURCE: Final = {"warm_room": Source.HEATER, "fuel": Source.PUMP_POWER}


def shown(
    key: str,
    manual: Manual,
    site: SiteState | None,
    settings: BoardSettings,
    now: datetime,
) -> Shown:
    """One service's state now, and who decided it.

    A state closed by hand wins over the site's readings (a warm room kept
    frost-free is not open); otherwise the readings win where they tell;
    otherwise the association's state, until it is older than the stale
    time. A stale state hides its note too ("öppet till 20" of yesterday);
    the opening hours stay.
    """
    fresh = manual.set_at is not None and now - manual.set_at <= settings.stale_after
    auto = automatic(key, site, settings)
    if fresh and manual.state is ServiceState.CLOSED:
        state, source = ServiceState.CLOSED, Source.MANUAL
    elif auto is not None:
        state, source = auto, _AUTOMATIC_SOURCE[key]
    elif fresh:
        state, source = manual.state, Source.MANUAL
    elif manual.set_at is None:
        state, source = ServiceState.UNKNOWN, Source.MANUAL
    else:
        state, source = ServiceState.UNKNOWN, Source.STALE
    note = manual.note if fresh else None
    since = manual.changed_at if source is Source.MANUAL else None
    return Shown(key, state, source, note, manual.hours, since, manual.set_at)


def carry_since(previous: Shown | None, current: Shown, now: datetime) -> Shown:
    """`current` with when its state began.

    Kept while the state and its source hold. A state set by hand began
    when it was set (also across a restart, from storage), unless the
    readings had decided it in between: then it began when they let go.
    """
    if (
        previous is not None
        and previous.state is current.state
        and previous.source is current.source
    ):
        return replace(current, since=previous.since)
    by_hand = current.source is Source.MANUAL and current.since is not None
    if by_hand and (previous is None or previous.source is Source.MANUAL):
        return current
    return replace(current, since=now)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))
