"""Will the set start when the mains goes? Cold readiness, as plain rules.

A standby set in an unheated container fails its next start for reasons that
show days before: a block heater that has stopped working (the coolant sinks
to the container's air), a starter battery that no longer holds its charge,
a controller left out of Auto, a shutdown alarm still latched, or a test run
that failed. `ReadinessWatch` follows one site's readings and says, every
cycle, whether the set is ready to start and, if not, why.

No reading is no news: a controller that does not answer makes readiness
unknown (None), never "not ready". Each cause needs its own reading; a cause
whose reading is missing is simply not counted.

The block heater runs on the mains, so a cold engine counts only while the
mains is good, the set has stood still, and, when the site names an outdoor
or room temperature, it is below freezing (a mild day cools the coolant
without anything being wrong).

The battery is judged at rest only: not cranking, not charging from the
engine's own alternator, and some minutes after a run (surface charge).
With the mains charger on, a healthy battery floats at 13.4-13.8 V (12 V
system); one that sinks below its limit, or day after day, needs looking at.
The limits are per 12 V and doubled for a 24 V system, recognised from the
reading itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from statistics import fmean
from typing import Any, Final

from ..hardware.state import ControlMode

# Modes in which the controller starts the set by itself on a mains failure.
READY_MODES: Final = frozenset({ControlMode.AUTO, ControlMode.AUTO_MANUAL_RESTORE})
# After a run the battery reads high for a while (surface charge, warm cells).
BATTERY_SETTLE: Final = timedelta(minutes=10)
# A low battery reading must hold this long: one bad read is not a weak battery.
BATTERY_HOLD: Final = timedelta(minutes=10)
# A reading above this is a 24 V system (a 12 V battery never floats near it).
TWENTY_FOUR_VOLT_ABOVE: Final = 18.0
# The trend: the last week of days at rest, at least this many of them.
TREND_DAYS: Final = 7
TREND_MIN_DAYS: Final = 4
# Days of samples kept (twice the trend's span, for the diagnostics).
KEEP_DAYS: Final = 14
FREEZING_C: Final = 0.0


class Cause(StrEnum):
    """Why the set may not start; each value is also a translation key."""

    NOT_IN_AUTO = "not_in_auto"
    SHUTDOWN_ALARM = "shutdown_alarm"
    BLOCK_HEATER = "block_heater"
    BATTERY_LOW = "battery_low"
    BATTERY_FALLING = "battery_falling"
    TEST_RUN_FAILED = "test_run_failed"


@dataclass(frozen=True, slots=True)
class ReadinessSettings:
    """The site's limits (options)."""

    coolant_min_c: float = 20.0
    coolant_hold: timedelta = timedelta(minutes=30)
    # Per 12 V of battery.
    battery_min_v: float = 12.2
    battery_fall_v_per_week: float = 0.3


@dataclass(frozen=True, slots=True)
class ReadinessFacts:
    """One cycle's readings; None where the site did not say."""

    at: datetime
    mode: ControlMode | None
    # Starting, running or cooling down (the starter's draw included).
    running: bool | None
    mains_good: bool | None = None
    coolant_c: float | None = None
    battery_v: float | None = None
    shutdown_alarm: bool | None = None
    last_test_run_failed: bool = False
    # The outdoor or room temperature the site names, if any.
    outside_c: float | None = None
    outside_named: bool = False


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether the set is ready to start, and why not."""

    ready: bool | None
    causes: tuple[Cause, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)


def system_volts(reading: float) -> float:
    """12 or 24: the battery's nominal voltage, from a reading at rest."""
    return 24.0 if reading > TWENTY_FOUR_VOLT_ABOVE else 12.0


@dataclass
class BatteryLog:
    """The battery's mean voltage at rest, one figure a day.

    Kept by the site (HA storage) so that a trend over days survives a
    restart; `dump` and `load` are its stored form.
    """

    days: dict[date, tuple[float, int]] = field(default_factory=dict)
    # Goes up with every reading folded in: the keeper saves when it moved.
    revision: int = 0

    def add(self, day: date, volts: float) -> None:
        """Fold one reading at rest into its day's mean."""
        self.revision += 1
        mean, count = self.days.get(day, (0.0, 0))
        self.days[day] = ((mean * count + volts) / (count + 1), count + 1)
        for old in [d for d in self.days if (day - d).days >= KEEP_DAYS]:
            del self.days[old]

    def fall_per_week(self, today: date) -> float | None:
        """How far the daily means fall over a week (least squares), in V.

        None with fewer than TREND_MIN_DAYS days in the last TREND_DAYS.
        """
        points = [
            ((day - today).days, mean)
            for day, (mean, _count) in self.days.items()
            if 0 <= (today - day).days < TREND_DAYS
        ]
        if len(points) < TREND_MIN_DAYS:
            return None
        mean_x = fmean(x for x, _ in points)
        mean_y = fmean(y for _, y in points)
        spread = sum((x - mean_x) ** 2 for x, _ in points)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
        return -slope * 7.0

    def dump(self) -> dict[str, list[float]]:
        """The stored form: {"2026-12-01": [mean, count], ...}."""
        return {
            day.isoformat(): [mean, count] for day, (mean, count) in self.days.items()
        }

    @classmethod
    def load(cls, stored: Mapping[str, Any]) -> BatteryLog:
        """Read the stored form; entries that do not parse are dropped."""
        log = cls()
        for key, value in stored.items():
            try:
                mean, count = float(value[0]), int(value[1])
                log.days[date.fromisoformat(key)] = (mean, count)
            except TypeError, ValueError, IndexError:
                continue
        return log


@dataclass
class ReadinessWatch:
    """Follows one site; `observe` says whether the set is ready to start."""

    settings: ReadinessSettings = field(default_factory=ReadinessSettings)
    battery: BatteryLog = field(default_factory=BatteryLog)
    current: Readiness = field(default_factory=lambda: Readiness(None))
    _cold_since: datetime | None = None
    _stopped_since: datetime | None = None
    _low_since: datetime | None = None
    _block_heater: bool = False
    _battery_low: bool = False
    _last_battery_v: float | None = None

    def observe(self, facts: ReadinessFacts) -> Readiness:
        """Readiness after `facts`; None while the controller is silent."""
        if facts.mode is None:
            self.current = Readiness(None)
            return self.current
        self._follow_rest(facts)
        self._follow_block_heater(facts)
        self._follow_battery(facts)
        fall = self.battery.fall_per_week(facts.at.date())
        causes = self._causes(facts, fall)
        self.current = Readiness(not causes, tuple(causes), self._details(facts, fall))
        return self.current

    def _causes(self, facts: ReadinessFacts, fall: float | None) -> list[Cause]:
        causes = []
        if facts.mode not in READY_MODES:
            causes.append(Cause.NOT_IN_AUTO)
        if facts.shutdown_alarm:
            causes.append(Cause.SHUTDOWN_ALARM)
        if self._block_heater:
            causes.append(Cause.BLOCK_HEATER)
        if self._battery_low:
            causes.append(Cause.BATTERY_LOW)
        if self._battery_falling(fall):
            causes.append(Cause.BATTERY_FALLING)
        if facts.last_test_run_failed:
            causes.append(Cause.TEST_RUN_FAILED)
        return causes

    def _follow_rest(self, facts: ReadinessFacts) -> None:
        if facts.running is None:
            return
        if facts.running:
            self._stopped_since = None
        elif self._stopped_since is None:
            self._stopped_since = facts.at

    def _at_rest(self) -> bool:
        return self._stopped_since is not None

    def _follow_block_heater(self, facts: ReadinessFacts) -> None:
        cold = self._engine_cold(facts)
        if cold is None:
            return  # no news
        if not cold:
            self._cold_since, self._block_heater = None, False
            return
        if self._cold_since is None:
            self._cold_since = facts.at
        if facts.at - self._cold_since >= self.settings.coolant_hold:
            self._block_heater = True

    def _engine_cold(self, facts: ReadinessFacts) -> bool | None:
        """The coolant is below the limit where the block heater should hold it.

        False where it does not count (a run, a mains failure, a mild day).
        """
        if facts.running is None or facts.coolant_c is None:
            return None
        if facts.running or not self._at_rest():
            return False
        heater_matters = self._heater_matters(facts)
        if not heater_matters:
            return heater_matters
        return facts.coolant_c < self.settings.coolant_min_c

    @staticmethod
    def _heater_matters(facts: ReadinessFacts) -> bool | None:
        """The heater has its supply, and it is cold enough to need it."""
        if facts.mains_good is None:
            return None
        if not facts.mains_good:
            return False  # the heater runs on the mains: nothing to judge
        if not facts.outside_named:
            return True
        if facts.outside_c is None:
            return None
        return facts.outside_c < FREEZING_C

    def _follow_battery(self, facts: ReadinessFacts) -> None:
        volts = facts.battery_v
        if volts is None or facts.running is None:
            return
        if self._stopped_since is None:
            return
        if facts.at - self._stopped_since < BATTERY_SETTLE:
            return
        self._last_battery_v = volts
        self.battery.add(facts.at.date(), volts)
        limit = self._scaled(self.settings.battery_min_v, volts)
        if volts >= limit:
            self._low_since, self._battery_low = None, False
            return
        if self._low_since is None:
            self._low_since = facts.at
        if facts.at - self._low_since >= BATTERY_HOLD:
            self._battery_low = True

    def _battery_falling(self, fall: float | None) -> bool:
        if fall is None or self._last_battery_v is None:
            return False
        limit = self._scaled(
            self.settings.battery_fall_v_per_week, self._last_battery_v
        )
        return fall >= limit

    @staticmethod
    def _scaled(per_12_v: float, reading: float) -> float:
        return per_12_v * system_volts(reading) / 12.0

    def _details(self, facts: ReadinessFacts, fall: float | None) -> dict[str, Any]:
        return {
            "coolant_temperature": facts.coolant_c,
            "coolant_minimum": self.settings.coolant_min_c,
            "cold_since": self._cold_since.isoformat() if self._cold_since else None,
            "battery_voltage": self._last_battery_v,
            "battery_minimum": None
            if self._last_battery_v is None
            else round(
                self._scaled(self.settings.battery_min_v, self._last_battery_v), 2
            ),
            "battery_fall_per_week": None if fall is None else round(fall, 2),
        }
