"""What the journal has open: the outage, test run, start attempt and alarms under way.

Their running figures change with every state (rules/history.py decides when
they begin and end); they are stored with the journal (`OpenState.dump`), so
that after a restart the same records go on.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..hardware.state import EngineState, GeneratorState
from .records import FuelSource, OutageData, TestRunData, parse_time, plain
from .site import SiteMode, SiteState

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


@dataclass
class OpenOutage:
    """Running figures of the outage in progress."""

    record_id: str
    started: datetime
    last_seen: datetime
    last_mode: str | None = None
    last_consumption_lph: float | None = None
    backup_s: float = 0.0
    estimated_l: float = 0.0
    delivered_l: float = 0.0
    unobserved_s: float = 0.0
    time_to_backup_s: float | None = None
    fuel_start_l: float | None = None
    energy_start_kwh: float | None = None

    _TIMES = ("started", "last_seen")

    def advance(self, state: SiteState, *, watched: bool, bridge: bool) -> bool:
        """Add the time since the last state; True if `state` first shows backup.

        Time nobody `watched` (Home Assistant stopped) counts as unobserved. A
        gap is bridged with the mode seen last (the controller keeps the site
        on backup power without us) unless the outage turns out to be over,
        when nobody knows when it ended.
        """
        elapsed = max((state.updated - self.last_seen).total_seconds(), 0.0)
        if not watched:
            self.unobserved_s += elapsed
        if bridge:
            if self.last_mode == SiteMode.BACKUP_POWER:
                self.backup_s += elapsed
            self.estimated_l += (self.last_consumption_lph or 0.0) * elapsed / 3600
        self.last_seen = state.updated
        self.last_mode = state.mode.value
        self.last_consumption_lph = state.fuel.consumption_lph
        if self.fuel_start_l is None:
            self.fuel_start_l = state.fuel.litres
        if self.energy_start_kwh is None and state.generator is not None:
            self.energy_start_kwh = state.generator.number("energy_positive")
        if state.mode is SiteMode.BACKUP_POWER and self.time_to_backup_s is None:
            self.time_to_backup_s = (state.updated - self.started).total_seconds()
            return True
        return False

    def totals(self) -> OutageData:
        """The figures so far, as they go into the outage's record."""
        return OutageData(
            time_to_backup_s=None
            if self.time_to_backup_s is None
            else round(self.time_to_backup_s, 1),
            backup_power_s=round(self.backup_s, 1),
            fuel_start_l=self.fuel_start_l,
            fuel_estimated_l=round(self.estimated_l, 1),
            fuel_delivered_l=round(self.delivered_l, 1),
            unobserved_s=round(self.unobserved_s, 1),
        )

    def ended(self, state: SiteState, *, watched: bool) -> OutageData:
        """The record's data once `state` (already advanced to) ends the outage."""
        fuel_used, fuel_source = self._fuel_used(state.fuel.litres)
        return self.totals() | OutageData(
            ended=state.updated.isoformat(),
            duration_s=seconds(state.updated - self.started),
            fuel_end_l=state.fuel.litres,
            fuel_used_l=fuel_used,
            fuel_used_source=fuel_source,
            energy_kwh=self._energy_used(state.generator),
            end_uncertain=not watched,
        )

    def _fuel_used(
        self, litres_now: float | None
    ) -> tuple[float | None, FuelSource | None]:
        """Fuel burnt during the outage and how it is known.

        The tank's own level is the better witness; the consumption curve
        stands in when the tank has no reading, or when sensor noise on a
        short outage makes the difference meaningless (negative).
        """
        if self.fuel_start_l is not None and litres_now is not None:
            used = self.fuel_start_l + self.delivered_l - litres_now
            if used >= 0:
                return round(used, 1), "tank_level"
        if self.last_consumption_lph is None and self.estimated_l == 0:
            return None, None
        return round(self.estimated_l, 1), "consumption"

    def _energy_used(self, generator: GeneratorState | None) -> float | None:
        """KWh the generator's own counter advanced during the outage."""
        if self.energy_start_kwh is None or generator is None:
            return None
        now = generator.number("energy_positive")
        if now is None or now < self.energy_start_kwh:
            return None
        return round(now - self.energy_start_kwh, 1)


@dataclass
class OpenTestRun:
    """Running figures of the test run in progress."""

    record_id: str
    started: datetime
    reached_running: bool = False
    on_load: bool = False
    load_sum_kw: float = 0.0
    load_samples: int = 0
    max_load_kw: float = 0.0

    _TIMES = ("started",)

    def sample(self, state: SiteState, generator: GeneratorState) -> None:
        """Take this cycle's engine and load into account."""
        if state.transfer and state.transfer.on_generator:
            self.on_load = True
        if not generator.engine_running:
            return
        self.reached_running = True
        load = generator.generator_kw
        if load is not None:
            self.load_sum_kw += load
            self.load_samples += 1
            self.max_load_kw = max(self.max_load_kw, load)

    @property
    def mean_load_kw(self) -> float | None:
        """Mean generator output while running."""
        if not self.load_samples:
            return None
        return round(self.load_sum_kw / self.load_samples, 2)

    def ended(self, state: SiteState, generator: GeneratorState) -> TestRunData:
        """The record's data once `state` ends the test run."""
        # A shutdown alarm ends a test run at once (the site reads fault),
        # so the state that ends it is the one that shows the alarm.
        failed = not self.reached_running or generator.has_stopping_alarm
        return TestRunData(
            ended=state.updated.isoformat(),
            duration_s=seconds(state.updated - self.started),
            result="failed" if failed else "ok",
            on_load=self.on_load,
            mean_load_kw=self.mean_load_kw,
            max_load_kw=round(self.max_load_kw, 2) if self.load_samples else None,
            interrupted_by_outage=state.outage_in_progress
            or state.mode is SiteMode.OUTAGE_DETECTED,
        )


@dataclass
class OpenAttempt:
    """The start attempt under way."""

    record_id: str
    started: datetime

    _TIMES = ("started",)


@dataclass
class OpenState:
    """What is open, and (not stored) what the last state showed."""

    outage: OpenOutage | None = None
    test_run: OpenTestRun | None = None
    attempt: OpenAttempt | None = None
    alarms: dict[str, str] = field(default_factory=dict)  # key -> record id
    # Start failures already reported, by attempt and outage.
    failures: list[str] = field(default_factory=list)
    # None until the first SiteState after a restore: the time before it was
    # not watched (Home Assistant stopped, or the site unloaded).
    previous_update: datetime | None = None
    last_engine: EngineState | None = None
    last_mode: SiteMode | None = None
    # Not stored: alarms cleared lately (record id, when, times raised), so
    # one that comes back within a minute reopens its record; and how often
    # each open alarm was raised.
    recent_clears: dict[str, tuple[str, datetime, int]] = field(default_factory=dict)
    # Not stored: the first reading after a start showed the mains lost, so
    # the outage confirmed from it began before the start.
    lost_at_start: bool = False
    raises: dict[str, int] = field(default_factory=dict)

    def record_ids(self) -> set[str]:
        """The records still open."""
        opened = (self.outage, self.test_run, self.attempt)
        return {o.record_id for o in opened if o is not None} | set(
            self.alarms.values()
        )

    def dump(self) -> dict[str, Any]:
        """What is open, as plain values for storage."""
        return {
            "outage": _dump(self.outage),
            "test_run": _dump(self.test_run),
            "attempt": _dump(self.attempt),
            "alarms": dict(self.alarms),
            "failures": list(self.failures),
        }

    @classmethod
    def restore(
        cls, opened: Mapping[str, Any], known: Container[str]
    ) -> tuple[OpenState, list[Any]]:
        """Back from `dump`, and the parts it could not read.

        What is open is kept only if its record (an id in `known`) is still
        there.
        """
        unreadable: list[Any] = []
        state = cls(
            outage=_reopen(OpenOutage, opened.get("outage"), known, unreadable),
            test_run=_reopen(OpenTestRun, opened.get("test_run"), known, unreadable),
            attempt=_reopen(OpenAttempt, opened.get("attempt"), known, unreadable),
            alarms={
                str(key): str(record_id)
                for key, record_id in (opened.get("alarms") or {}).items()
                if record_id in known
            },
            failures=[str(x) for x in opened.get("failures") or ()],
        )
        return state, unreadable


def seconds(delta: timedelta) -> float:
    """A duration as it goes into a record."""
    return round(delta.total_seconds(), 1)


def _dump(obj: DataclassInstance | None) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {key: plain(value) for key, value in asdict(obj).items()}


def _reopen[T: DataclassInstance](
    cls: type[T], raw: Any, known: Container[str], unreadable: list[Any]
) -> T | None:
    """An open record's running figures, if its record is still there."""
    if not isinstance(raw, Mapping) or raw.get("record_id") not in known:
        return None
    times: tuple[str, ...] = getattr(cls, "_TIMES", ())
    names = {f.name for f in fields(cls)}
    try:
        return cls(
            **{
                key: parse_time(value) if key in times else value
                for key, value in raw.items()
                if key in names
            }
        )
    except KeyError, TypeError, ValueError:
        unreadable.append(raw)
        return None
