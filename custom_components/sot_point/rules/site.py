"""The site as a whole: outage tracking, site mode and fuel autonomy.

Pure domain logic over the hardware snapshots; it never talks to a device and
never imports Home Assistant, so it is tested with plain values. The
coordinator feeds it one set of snapshots per cycle and gets back one
immutable `SiteState`, which entities, the journal and the add-on all read.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from ..hardware.fuel import FuelCurve
from ..hardware.state import (
    DEFAULT_MAINS_LIMITS,
    BandLimits,
    ControlMode,
    GeneratorState,
    IoState,
    TransferPosition,
    TransferState,
)

# 2 added the service board (`services`) and `local_radio` (docs/status.md);
# readers of the status read 1 as well.
STATUS_SCHEMA_VERSION = 2
READABLE_STATUS_SCHEMAS = (1, 2)
# Below this much current on all three phases we cannot tell which side feeds
# the load; a store's fridges alone draw far more.
_CURRENT_THRESHOLD_A = 0.5
_MEAN_LOAD_WINDOW = timedelta(hours=1)


class SiteMode(StrEnum):
    """What the site is doing, in the words the association uses."""

    NORMAL = "normal"
    OUTAGE_DETECTED = "outage_detected"
    STARTING = "starting"
    BACKUP_POWER = "backup_power"
    RETURNING = "returning"
    OUTAGE_NO_BACKUP = "outage_no_backup"
    TEST_RUN = "test_run"
    FAULT = "fault"


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """Site-wide settings from the config entry's options."""

    mains_limits: BandLimits = DEFAULT_MAINS_LIMITS
    outage_confirm_delay: timedelta = timedelta(seconds=5)
    tank_capacity_l: float = 1000.0
    tank_usable_l: float = 900.0
    minimum_autonomy_h: float = 72.0
    generator_rated_kw: float = 30.0

    @property
    def fuel_curve(self) -> FuelCurve:
        """The consumption curve of this site's set."""
        return FuelCurve(self.generator_rated_kw)


@dataclass(frozen=True, slots=True)
class FuelState:
    """Fuel in the tank and how long it lasts."""

    litres: float | None = None
    usable_litres: float | None = None
    level_percent: float | None = None
    sensor_fault: str | None = None
    consumption_lph: float | None = None
    load_kw: float | None = None
    mean_load_kw: float | None = None
    autonomy_h: float | None = None
    autonomy_mean_load_h: float | None = None
    source: str | None = None
    estimate: FuelEstimate | None = None


@dataclass(frozen=True, slots=True)
class FuelEstimate:
    """Litres in a tank without a working sensor, and what the figure rests on.

    `basis` is "reading" (the last real reading, consumption taken off since),
    "delivery_level" (a delivery filled the tank to a known level) or
    "deliveries_only" (only deliveries are known: a lower bound).
    """

    litres: float
    at: datetime
    basis: str
    calibrated_at: datetime
    delivered_since: float = 0.0
    consumed_since: float = 0.0

    def as_dict(self) -> dict[str, object]:
        """For storage and for the sensor's attributes."""
        return {
            "litres": round(self.litres, 1),
            "at": self.at.isoformat(),
            "basis": self.basis,
            "calibrated_at": self.calibrated_at.isoformat(),
            "delivered_since": round(self.delivered_since, 1),
            "consumed_since": round(self.consumed_since, 1),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FuelEstimate:
        """Back from storage."""
        return cls(
            litres=float(data["litres"]),
            at=datetime.fromisoformat(str(data["at"])),
            basis=str(data["basis"]),
            calibrated_at=datetime.fromisoformat(str(data["calibrated_at"])),
            delivered_since=float(data.get("delivered_since", 0.0)),
            consumed_since=float(data.get("consumed_since", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class Snapshots:
    """What each device reported this cycle (None: absent or not answering)."""

    generator: GeneratorState | None = None
    io: IoState | None = None
    transfer_switch: TransferState | None = None
    failed: frozenset[str] = frozenset()
    # Devices whose address another controller answers: (expected, found)
    # serial numbers by subentry id. Counted among `failed` as well.
    wrong_devices: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SiteState:
    """One cycle's truth about the site."""

    updated: datetime
    mode: SiteMode
    mains_available: bool | None
    transfer: TransferState | None
    outage_started: datetime | None
    generator: GeneratorState | None
    io: IoState | None
    fuel: FuelState
    failed: frozenset[str] = frozenset()
    wrong_devices: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def generator_running(self) -> bool | None:
        """The engine runs; None when the controller did not say."""
        if self.generator is None or self.generator.engine is None:
            return None
        return self.generator.engine_running

    @property
    def on_backup_power(self) -> bool | None:
        """The load is on the generator; None when nothing tells where it is."""
        if self.transfer is None or self.transfer.position is TransferPosition.UNKNOWN:
            return None
        return self.transfer.on_generator

    @property
    def outage_in_progress(self) -> bool:
        """Whether a confirmed outage is going on."""
        return self.outage_started is not None

    @property
    def outage_duration(self) -> timedelta | None:
        """How long the confirmed outage has lasted."""
        if self.outage_started is None:
            return None
        return self.updated - self.outage_started


@dataclass
class SiteTracker:
    """Turns each cycle's snapshots into a SiteState, remembering outages."""

    settings: SiteSettings = field(default_factory=SiteSettings)
    mains_lost_at: datetime | None = None
    outage_started: datetime | None = None
    # After an outage the set cools down off load; that is still the outage
    # winding down, not a test run.
    cooling_after_outage: bool = False
    estimate: FuelEstimate | None = None
    _loads: deque[tuple[datetime, float]] = field(default_factory=deque)

    def update(self, snapshots: Snapshots, now: datetime) -> SiteState:
        """Fold this cycle's snapshots into the site's state."""
        generator = snapshots.generator
        mains = self._mains_available(snapshots)
        transfer = snapshots.transfer_switch or _transfer_from_controller(generator)
        self._track_outage(mains, transfer, now)
        self._track_cool_down(generator)
        mode = self._mode(mains, generator, transfer)
        return SiteState(
            updated=now,
            mode=mode,
            mains_available=mains,
            transfer=transfer,
            outage_started=self.outage_started,
            generator=generator,
            io=snapshots.io,
            fuel=self._fuel(snapshots, transfer, now),
            failed=snapshots.failed,
            wrong_devices=snapshots.wrong_devices,
        )

    def resume_outage(self, started: datetime) -> None:
        """Go on with an outage that began before a restart, from its start."""
        self.outage_started = started
        self.mains_lost_at = started

    def _mains_available(self, snapshots: Snapshots) -> bool | None:
        # A transfer switch measures the mains at the switch itself; the
        # controller's own mains sensing is the fallback.
        if (
            snapshots.transfer_switch
            and snapshots.transfer_switch.mains_available is not None
        ):
            return snapshots.transfer_switch.mains_available
        if snapshots.generator is None:
            return None
        return snapshots.generator.mains_available(self.settings.mains_limits)

    def _track_outage(
        self, mains: bool | None, transfer: TransferState | None, now: datetime
    ) -> None:
        if mains is None:
            return  # unknown is not an outage, nor the end of one
        if not mains:
            self.mains_lost_at = self.mains_lost_at or now
            if now - self.mains_lost_at >= self.settings.outage_confirm_delay:
                self.outage_started = self.outage_started or self.mains_lost_at
            return
        self.mains_lost_at = None
        # The outage ends when the load is back on the mains, not when the
        # grid first flickers back: until then the site still runs on diesel.
        if transfer is None or not transfer.on_generator:
            if self.outage_started is not None:
                self.cooling_after_outage = True
            self.outage_started = None

    def _track_cool_down(self, generator: GeneratorState | None) -> None:
        if generator is None or not generator.engine_on:
            self.cooling_after_outage = False

    def _mode(
        self,
        mains: bool | None,
        generator: GeneratorState | None,
        transfer: TransferState | None,
    ) -> SiteMode:
        if self.outage_started is not None:
            return _outage_mode(mains, generator, transfer)
        if self.mains_lost_at is not None:
            return SiteMode.OUTAGE_DETECTED
        if self.cooling_after_outage:
            return SiteMode.RETURNING
        return _quiet_mode(mains, generator)

    def _fuel(
        self, snapshots: Snapshots, transfer: TransferState | None, now: datetime
    ) -> FuelState:
        settings = self.settings
        litres, fault, source = _litres(snapshots, settings)
        load = _site_load_kw(snapshots.generator, transfer, self.mains_lost_at)
        mean = self._mean_load(load, now)
        running = snapshots.generator is not None and snapshots.generator.engine_on
        curve = settings.fuel_curve
        # An unknown load burns at least the idle figure for the estimate,
        # but is not shown as that figure: the consumption is unknown too.
        burning = curve.litres_per_hour(load or 0.0) if running else 0.0
        consumption: float | None = None
        if snapshots.generator is not None and not (running and load is None):
            consumption = burning
        if litres is not None:
            # A real reading calibrates the estimate a sensor failure falls
            # back on later.
            self.estimate = FuelEstimate(litres, now, "reading", now)
        elif fault is None and not snapshots.failed and self.estimate is not None:
            # Only a tank without a sensor is estimated: a broken sensor or a
            # silent device shows as unavailable, never as a guess.
            litres = self._burn(burning, now)
            source = "estimate"
        if litres is None:
            return FuelState(
                sensor_fault=fault, consumption_lph=consumption, load_kw=load
            )
        unusable = max(0.0, settings.tank_capacity_l - settings.tank_usable_l)
        usable = max(0.0, litres - unusable)
        return FuelState(
            litres=round(litres, 1),
            usable_litres=round(usable, 1),
            level_percent=round(100 * litres / settings.tank_capacity_l, 1),
            consumption_lph=None if consumption is None else round(consumption, 2),
            load_kw=load,
            mean_load_kw=mean,
            autonomy_h=_hours(curve, usable, load),
            autonomy_mean_load_h=_hours(curve, usable, mean),
            source=source,
            estimate=self.estimate if source == "estimate" else None,
        )

    def _burn(self, consumption_lph: float, now: datetime) -> float:
        """Take what the set burnt since the last cycle off the estimate."""
        estimate = self.estimate
        assert estimate is not None
        hours = max(0.0, (now - estimate.at).total_seconds() / 3600)
        burnt = consumption_lph * hours
        self.estimate = replace(
            estimate,
            litres=max(0.0, estimate.litres - burnt),
            at=now,
            consumed_since=estimate.consumed_since + burnt,
        )
        return self.estimate.litres

    def record_delivery(
        self, litres: float, now: datetime, tank_litres: float | None = None
    ) -> FuelEstimate:
        """Add a delivery; with the level after it, that level is the new basis."""
        capacity = self.settings.tank_capacity_l
        if tank_litres is not None:
            self.estimate = FuelEstimate(
                min(tank_litres, capacity), now, "delivery_level", now
            )
        elif self.estimate is not None:
            self.estimate = replace(
                self.estimate,
                litres=min(capacity, self.estimate.litres + litres),
                at=now,
                delivered_since=self.estimate.delivered_since + litres,
            )
        else:
            self.estimate = FuelEstimate(
                min(litres, capacity), now, "deliveries_only", now, litres
            )
        return self.estimate

    def _mean_load(self, load: float | None, now: datetime) -> float | None:
        if load is not None:
            self._loads.append((now, load))
        while self._loads and now - self._loads[0][0] > _MEAN_LOAD_WINDOW:
            self._loads.popleft()
        if not self._loads:
            return None
        return round(sum(v for _, v in self._loads) / len(self._loads), 2)


def _quiet_mode(mains: bool | None, generator: GeneratorState | None) -> SiteMode:
    """The mode when no outage is going on or winding down."""
    if mains is None and generator is None:
        return SiteMode.FAULT
    if generator is not None and generator.has_stopping_alarm:
        return SiteMode.FAULT
    if generator is not None and _test_running(generator):
        return SiteMode.TEST_RUN
    return SiteMode.NORMAL


def _outage_mode(
    mains: bool | None, generator: GeneratorState | None, transfer: TransferState | None
) -> SiteMode:
    on_generator = transfer is not None and transfer.on_generator
    if mains:
        return SiteMode.RETURNING
    if generator is None:
        # Without the controller, a transfer switch with the load on a live
        # generator side is the witness that backup power is on.
        witnessed = (
            on_generator and transfer is not None and transfer.generator_available
        )
        return SiteMode.BACKUP_POWER if witnessed else SiteMode.OUTAGE_NO_BACKUP
    if on_generator and generator.engine_running:
        return SiteMode.BACKUP_POWER
    if generator.has_stopping_alarm:
        return SiteMode.OUTAGE_NO_BACKUP
    if generator.engine_on or generator.mode is ControlMode.AUTO:
        return SiteMode.STARTING
    return SiteMode.OUTAGE_NO_BACKUP


def _test_running(generator: GeneratorState) -> bool:
    if generator.mode in (ControlMode.TEST_ON_LOAD, ControlMode.TEST_OFF_LOAD):
        return True
    return generator.engine_on


def _transfer_from_controller(generator: GeneratorState | None) -> TransferState | None:
    """Where the load is, told by which side's current flows (AMF-driven switch)."""
    if generator is None:
        return None
    generator_a = generator.phase_sum("generator_current_l")
    mains_a = generator.phase_sum("mains_current_l")
    if generator_a is None and mains_a is None:
        return None
    if (generator_a or 0) > _CURRENT_THRESHOLD_A:
        position = TransferPosition.GENERATOR
    elif (mains_a or 0) > _CURRENT_THRESHOLD_A:
        position = TransferPosition.MAINS
    else:
        position = TransferPosition.UNKNOWN
    return TransferState(
        position=position,
        automatic=generator.mode is ControlMode.AUTO,
        mains_available=None,
        generator_available=generator.engine_running,
    )


def _site_load_kw(
    generator: GeneratorState | None,
    transfer: TransferState | None,
    mains_lost_at: datetime | None,
) -> float | None:
    """The load the set carries now, or would carry if it took over.

    Between the mains failing and the set taking the load nothing feeds the
    store, and no meter can tell its load: unknown, not 0 kW (which would
    give an idle set's autonomy, far longer than the tank really lasts).
    """
    if generator is None:
        return None
    on_generator = transfer is not None and transfer.on_generator
    if not on_generator and mains_lost_at is not None:
        return None
    prefix = "generator_power_l" if on_generator else "mains_power_l"
    watts = generator.phase_sum(prefix)
    if watts is None:
        watts = generator.phase_sum("generator_power_l")
    return None if watts is None else round(max(watts, 0.0) / 1000, 2)


def _litres(
    snapshots: Snapshots, settings: SiteSettings
) -> tuple[float | None, str | None, str | None]:
    """Litres in the tank, the sensor fault if any, and where the figure came from."""
    io = snapshots.io
    if io is not None and (io.tank_litres is not None or io.tank_fault is not None):
        return io.tank_litres, io.tank_fault, "level_sensor"
    if snapshots.generator is not None:
        percent = snapshots.generator.number("fuel_level")
        if percent is not None:
            return settings.tank_capacity_l * percent / 100, None, "controller"
    return None, None, None


def _hours(curve: FuelCurve, usable: float, load: float | None) -> float | None:
    if load is None:
        return None
    return round(curve.autonomy_hours(usable, load), 1)
