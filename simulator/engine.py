"""The diesel engine, its alternator and its starter battery, as physics only.

The controller decides (fuel on, starter on, stop); the engine answers with
speed, oil pressure, temperatures, volts and litres per hour. Every figure
that is not from sites.md is an assumption kept in EngineConfig.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math

from .config import (
    NOMINAL_FREQUENCY,
    NOMINAL_PHASE_VOLTAGE,
    NOMINAL_SPEED_RPM,
    EngineConfig,
)

# A 4-pole alternator: 1500 rpm gives 50 Hz.
RPM_PER_HZ = NOMINAL_SPEED_RPM / NOMINAL_FREQUENCY
# DSE704: crank disconnect at 20 Hz on the alternator.
CRANK_DISCONNECT_RPM = 20.0 * RPM_PER_HZ
# Assumption: the AVR starts building voltage at crank disconnect speed and
# holds nominal from 95 % speed.
_AVR_FULL_RPM = 0.95 * NOMINAL_SPEED_RPM
# Assumption: voltage droop at full load, V per phase.
_LOAD_DROOP_V = 1.5
# Assumption: a stopped engine's coolant follows the container's air (outdoor
# plus a few kelvin) within about an hour.
_STANDSTILL_TIME_CONSTANT = 3600.0
_CONTAINER_ABOVE_OUTDOOR_K = 5.0
# Assumption: oil runs a few kelvin above the coolant once running.
_OIL_ABOVE_COOLANT_K = 5.0
# Assumption: what the charge alternator and the mains charger push in, A.
_ALTERNATOR_CHARGE_A = 10.0
_MAINS_CHARGER_A = 5.0
_EMPTY_BATTERY_V = 11.8
_FULL_BATTERY_SPAN_V = 0.9


@dataclass(slots=True)
class Engine:
    """One genset's engine and alternator."""

    config: EngineConfig
    fuel_on: bool = False
    starter: bool = False
    fired: bool = False
    speed: float = 0.0
    coolant_c: float = 10.0
    battery_soc: float = 0.95
    cooling_fault: bool = False
    # A block heater that has failed (element, fuse or thermostat): the
    # standing engine then follows the container's air even on the mains.
    block_heater_failed: bool = False
    # An ageing battery no longer holds its voltage: what it loses at rest
    # and on float, V, and how fast that grows, V per day (assumption: a
    # sulphating battery loses tenths of a volt over days to weeks).
    battery_wear_v: float = 0.0
    battery_wear_v_per_day: float = 0.0
    # Crank attempts that will not fire, consumed one per attempt.
    failed_cranks_pending: int = 0
    _battery_v: float = field(default=13.6, repr=False)

    def begin_crank(self, has_fuel: bool) -> bool:
        """Engage the starter; return whether this attempt will fire."""
        self.fuel_on = True
        self.starter = True
        if self.failed_cranks_pending > 0:
            self.failed_cranks_pending -= 1
            return False
        return has_fuel

    def end_crank(self, fired: bool) -> None:
        """Release the starter: on crank disconnect, or after a failed attempt."""
        self.starter = False
        if fired:
            self.fired = True
            self.speed = max(self.speed, CRANK_DISCONNECT_RPM)
        else:
            self.fuel_on = False

    def stop(self) -> None:
        """Cut the fuel; the engine runs down on its own."""
        self.fuel_on = False
        self.starter = False
        self.fired = False

    @property
    def generator_frequency(self) -> float:
        """The alternator's output frequency, Hz."""
        return self.speed / RPM_PER_HZ

    def phase_voltage(self, load_fraction: float) -> float:
        """Generator phase-to-neutral voltage at this speed and load."""
        if self.speed < CRANK_DISCONNECT_RPM:
            return 0.0
        excitation = min(
            1.0,
            (self.speed - CRANK_DISCONNECT_RPM)
            / (_AVR_FULL_RPM - CRANK_DISCONNECT_RPM),
        )
        return excitation * NOMINAL_PHASE_VOLTAGE - _LOAD_DROOP_V * load_fraction

    @property
    def oil_pressure_kpa(self) -> float:
        """Oil pressure, rising with the square of speed (assumption)."""
        return self.config.oil_pressure_kpa * (self.speed / NOMINAL_SPEED_RPM) ** 2

    @property
    def oil_temperature_c(self) -> float:
        """Oil temperature: the coolant's, a little above it once running."""
        return self.coolant_c + (_OIL_ABOVE_COOLANT_K if self.fired else 0.0)

    @property
    def battery_voltage(self) -> float:
        """Starter battery terminal voltage, V."""
        return self._battery_v

    @property
    def charge_alternator_voltage(self) -> float:
        """The charge alternator's output, V; zero while it does not turn."""
        return self.config.battery_charging_v if self.fired else 0.0

    def fuel_rate_lph(self, power_kw: float) -> float:
        """Fuel use now: F(P) = F0 + k*P while running (sites.md §2)."""
        if not self.fired:
            return 0.0
        full = self.config.full_load_fuel_lph
        idle = full * self.config.idle_fuel_fraction
        k = (full - idle) / self.config.rated_kw
        return idle + k * max(0.0, power_kw)

    def step(
        self, dt: float, load_fraction: float, outdoor_c: float, mains_live: bool
    ) -> None:
        """Advance speed, temperatures and battery by `dt` seconds."""
        self._step_speed(dt)
        self._step_coolant(dt, load_fraction, outdoor_c, mains_live)
        self._step_battery(dt, mains_live)

    def _step_speed(self, dt: float) -> None:
        if self.fired:
            rate = NOMINAL_SPEED_RPM / self.config.run_up_time
            self.speed = min(NOMINAL_SPEED_RPM, self.speed + rate * dt)
        elif self.starter:
            self.speed = self.config.crank_speed_rpm
        else:
            rate = NOMINAL_SPEED_RPM / self.config.run_down_time
            self.speed = max(0.0, self.speed - rate * dt)

    def _step_coolant(
        self, dt: float, load_fraction: float, outdoor_c: float, mains_live: bool
    ) -> None:
        cfg = self.config
        if self.fired:
            target = cfg.coolant_idle_c + load_fraction * (
                cfg.coolant_full_load_c - cfg.coolant_idle_c
            )
            if self.cooling_fault:
                target = cfg.overheat_coolant_c
            tau = cfg.coolant_time_constant
        else:
            # The block heater runs on the mains; without it the engine
            # follows the container's air.
            container = outdoor_c + _CONTAINER_ABOVE_OUTDOOR_K
            heated = mains_live and not self.block_heater_failed
            target = max(cfg.block_heater_c, container) if heated else container
            tau = _STANDSTILL_TIME_CONSTANT
        self.coolant_c += (target - self.coolant_c) * (1.0 - math.exp(-dt / tau))

    def _step_battery(self, dt: float, mains_live: bool) -> None:
        cfg = self.config
        if self.starter:
            current = -cfg.crank_draw_a
            volts = cfg.battery_crank_v
        elif self.fired:
            current = _ALTERNATOR_CHARGE_A
            volts = cfg.battery_charging_v
        elif mains_live:
            current = _MAINS_CHARGER_A
            volts = cfg.battery_float_v - self.battery_wear_v
        else:
            current = -cfg.standby_draw_a
            volts = (
                _EMPTY_BATTERY_V
                + _FULL_BATTERY_SPAN_V * self.battery_soc
                - self.battery_wear_v
            )
        self.battery_wear_v += self.battery_wear_v_per_day * dt / 86400.0
        delta = current * dt / 3600.0 / cfg.battery_capacity_ah
        self.battery_soc = min(1.0, max(0.0, self.battery_soc + delta))
        self._battery_v = volts
