"""Diesel that goes missing: a leak, a theft, or a fall nobody saw happen.

Plain rules over the tank readings the site tracker already makes; no Home
Assistant. `FuelLossWatch` keeps a reference level and the consumption the
curve allows since then, and reports a loss when the level stays below what
that allows, by more than the sensor's noise, for a hold time: sloshing and
one bad reading cannot trigger it, a cracked line or a siphon does.

- Stopped, the curve allows nothing: any fall beyond the noise counts.
- Running, it allows `factor` times what the consumption curve says the set
  burnt at the load it carried (the full-load figure while the load is not
  known).
- A fall that spans a gap in the readings (Home Assistant down, a device not
  answering, the level unknown) is "unexplained": no one saw it happen, and
  the set may have run meanwhile. Across the gap the curve allows the
  full-load figure for the time the controller's run-time counter advanced,
  or for the whole gap if that counter is not known and the set ran on
  either side of it.
- No reading is no news: a silent device never raises a loss by itself.
- A recorded delivery starts the comparison afresh from the next reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

# Readings further apart than this are a gap: the poll runs every second,
# and even the slowest instrument interval is a minute.
READING_GAP: Final = timedelta(minutes=5)


class LossKind(StrEnum):
    """How a loss was seen."""

    # The readings went on all along: a leak, or fuel taken (theft).
    LEAK = "leak"
    # Seen only across a gap in the readings.
    UNEXPLAINED = "unexplained"


@dataclass(frozen=True, slots=True)
class FuelLossSettings:
    """The site's options for the watch."""

    noise_l: float = 20.0
    hold: timedelta = timedelta(minutes=10)
    running_factor: float = 2.0
    # What the set burns at rated power, L/h: the most it can have used.
    full_load_lph: float = 9.9


@dataclass(frozen=True, slots=True)
class TankReading:
    """One cycle's facts the watch needs; None where the site did not say."""

    at: datetime
    litres: float | None
    running: bool | None
    consumption_lph: float | None = None
    run_time_s: float | None = None


@dataclass(frozen=True, slots=True)
class FuelLoss:
    """Fuel gone beyond what the set burnt, over a period."""

    kind: LossKind
    # The fall less what the curve says the set burnt meanwhile.
    litres: float
    fall_l: float
    expected_l: float
    started: datetime
    ended: datetime
    running: bool

    def as_data(self) -> dict[str, object]:
        """The record's and the event's data."""
        return {
            "kind": self.kind.value,
            "litres": round(self.litres, 1),
            "fall_l": round(self.fall_l, 1),
            "expected_l": round(self.expected_l, 1),
            "started": self.started.isoformat(),
            "ended": self.ended.isoformat(),
            "running": self.running,
        }


@dataclass
class FuelLossWatch:
    """Follows the tank level and reports fuel lost beyond consumption."""

    settings: FuelLossSettings

    def __post_init__(self) -> None:
        """Nothing seen yet."""
        self._ref_at: datetime | None = None
        self._ref_l = 0.0
        self._expected_l = 0.0
        self._running = False
        self._gap = False
        self._last: TankReading | None = None
        self._silent = False
        self._delivered = False
        self._loss_since: datetime | None = None
        self._rise_since: datetime | None = None
        self._rise_min = 0.0

    def note_delivery(self) -> None:
        """Fuel was delivered: the next reading is the new reference."""
        self._delivered = True

    def observe(self, reading: TankReading) -> FuelLoss | None:
        """Take one cycle's reading; a loss when one has held long enough."""
        if reading.litres is None or reading.running is None:
            # A device not answering, a broken sensor: a gap, never a loss.
            self._silent = self._last is not None
            self._loss_since = None
            return None
        last, self._last = self._last, reading
        if last is None or self._delivered or self._ref_at is None:
            self._start(reading)
            return None
        self._account(last, reading)
        if reading.litres > self._ref_l:
            self._loss_since = None
            self._follow_rise(reading)
            return None
        self._rise_since = None
        loss = (
            self._ref_l
            - reading.litres
            - self.settings.running_factor * (self._expected_l)
        )
        if loss <= self.settings.noise_l:
            self._loss_since = None
            return None
        self._loss_since = self._loss_since or reading.at
        if reading.at - self._loss_since < self.settings.hold:
            return None
        found = FuelLoss(
            kind=LossKind.UNEXPLAINED if self._gap else LossKind.LEAK,
            litres=max(0.0, self._ref_l - reading.litres - self._expected_l),
            fall_l=self._ref_l - reading.litres,
            expected_l=self._expected_l,
            started=self._ref_at,
            ended=reading.at,
            running=self._running,
        )
        self._start(reading)
        return found

    def _start(self, reading: TankReading) -> None:
        """Compare from `reading` on."""
        assert reading.litres is not None
        self._ref_at, self._ref_l = reading.at, reading.litres
        self._expected_l = 0.0
        self._running = bool(reading.running)
        self._gap = self._silent = self._delivered = False
        self._loss_since = self._rise_since = None

    def _account(self, last: TankReading, now: TankReading) -> None:
        """Add what the set may have burnt between two readings."""
        hours = max(0.0, (now.at - last.at).total_seconds() / 3600)
        ran = bool(last.running or now.running)
        self._running = self._running or ran
        full = self.settings.full_load_lph
        if self._silent or now.at - last.at > READING_GAP:
            self._gap = True
            self._silent = False
            if last.run_time_s is not None and now.run_time_s is not None:
                ran_h = max(0.0, now.run_time_s - last.run_time_s) / 3600
                self._running = self._running or ran_h > 0
                self._expected_l += full * min(ran_h, hours)
            elif ran:
                self._expected_l += full * hours
            return
        if not ran:
            return
        rates = [r.consumption_lph for r in (last, now) if r.running]
        known = [rate for rate in rates if rate is not None]
        rate = max(known) if len(known) == len(rates) else full
        self._expected_l += rate * hours

    def _follow_rise(self, reading: TankReading) -> None:
        """A level above the reference becomes it once the rise has held."""
        assert reading.litres is not None
        if self._rise_since is None:
            self._rise_since, self._rise_min = reading.at, reading.litres
            return
        self._rise_min = min(self._rise_min, reading.litres)
        if reading.at - self._rise_since >= self.settings.hold:
            # An undeclared refill or a sensor that settled higher.
            self._ref_at, self._ref_l = reading.at, self._rise_min
            self._expected_l = 0.0
            self._running = bool(reading.running)
            self._gap = False
            self._rise_since = None
