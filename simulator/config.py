"""Everything about a simulated site that a scenario or a test may change.

Defaults follow shared/domain/sites.md. Where a figure has no source it is an
engineering assumption and the comment beside it says "assumption".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from custom_components.sot_point.hardware.profiles.generic_io import IoModuleConfig
from custom_components.sot_point.hardware.state import (
    DEFAULT_GENERATOR_LIMITS,
    DEFAULT_MAINS_LIMITS,
    BandLimits,
)

NOMINAL_PHASE_VOLTAGE = 230.0
NOMINAL_FREQUENCY = 50.0
NOMINAL_SPEED_RPM = 1500.0
PHASES = 3


@dataclass(frozen=True, slots=True)
class AmfTimings:
    """The AMF controller's timers, in seconds (sites.md §3)."""

    # Assumption: DSE calls it the mains transient delay; no default was found,
    # 2 s filters a blink without delaying a real outage.
    mains_fail_delay: float = 2.0
    start_delay: float = 5.0  # DSE5110 default
    preheat: float = 0.0  # DSE5110 default
    fuel_on_delay: float = 1.0  # DSE704: fuel solenoid, starter 1 s later
    crank_time: float = 10.0  # DSE5110, DSE704
    crank_rest: float = 10.0  # DSE5110, DSE704
    crank_attempts: int = 3  # DSE704, then "fail to start"
    # Assumption: a warm diesel fires and reaches crank disconnect (20 Hz on the
    # alternator) within 2 s of the starter engaging.
    fire_time: float = 2.0
    safety_on_delay: float = 8.0  # DSE5110
    warm_up: float = 0.0  # DSE5110
    # Assumption: break-before-make transfer, both contactors open this long.
    transfer_time: float = 1.0
    mains_return_delay: float = 30.0  # DSE5110
    cooldown: float = 60.0  # DSE5110

    def time_to_load(self, failed_cranks: int = 0) -> float:
        """Seconds from the mains failing until the generator carries the load.

        Tests use it to know when to look; it assumes the mains stays down and
        fewer than `crank_attempts` cranks fail.
        """
        failed = (self.fuel_on_delay + self.crank_time + self.crank_rest) * (
            failed_cranks
        )
        return (
            self.mains_fail_delay
            + self.start_delay
            + self.preheat
            + failed
            + self.fuel_on_delay
            + self.fire_time
            + self.safety_on_delay
            + self.warm_up
            + self.transfer_time
        )

    def time_to_mains(self) -> float:
        """Seconds from the mains returning until it carries the load again."""
        return self.mains_return_delay + self.transfer_time


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """The genset: rating, fuel curve, protections and physical constants."""

    # 30 kVA at PF 0.8, the class sites.md §1 describes.
    rated_kw: float = 24.0
    # sites.md §2 model: F(P) = F0 + k*P with F0 about 25 % of the full-load
    # rate. Assumption: 7.0 L/h at 24 kW, between vendor data (QAS28 4.4 L/h)
    # and the rule-of-thumb charts (20 kW 6.1, 30 kW 11.0 L/h).
    full_load_fuel_lph: float = 7.0
    idle_fuel_fraction: float = 0.25
    # Assumption: the speed a 12 V starter turns a small diesel at.
    crank_speed_rpm: float = 250.0
    # Assumption: seconds from crank disconnect to nominal speed.
    run_up_time: float = 3.0
    # Assumption: seconds for a stopped engine to run down to rest.
    run_down_time: float = 5.0
    # Assumption: oil pressure at nominal speed; scales with speed squared.
    oil_pressure_kpa: float = 350.0
    low_oil_pressure_kpa: float = 100.0  # 15 psi, DSE5110
    # Coolant: assumption, steady state 78 °C off load rising to 88 °C at full
    # load, first order with a 10-minute time constant while running.
    coolant_idle_c: float = 78.0
    coolant_full_load_c: float = 88.0
    coolant_time_constant: float = 600.0
    coolant_pre_alarm_c: float = 90.0  # assumption: 5 K under the trip
    coolant_shutdown_c: float = 95.0  # DSE5110
    # Assumption: temperature the faulty cooling system heads for (overheat).
    overheat_coolant_c: float = 115.0
    # Assumption: a block heater keeps the coolant at 40 °C while mains is up.
    block_heater_c: float = 40.0
    # Assumption: a 12 V starter battery: open-circuit 11.8-12.7 V over the
    # state of charge, 14.2 V from the charge alternator, 13.6 V on the mains
    # charger, sagging to 10.5 V while cranking.
    battery_charging_v: float = 14.2
    battery_float_v: float = 13.6
    battery_crank_v: float = 10.5
    battery_capacity_ah: float = 70.0
    # Assumption: what the controller and gateway draw from the battery.
    standby_draw_a: float = 0.3
    crank_draw_a: float = 150.0


@dataclass(frozen=True, slots=True)
class LoadConfig:
    """What the generator feeds: the store per phase, and the heater."""

    # Assumption: single-phase store loads (cold counters, lights, till, fuel
    # pump) spread unevenly over the phases, W.
    store_w: tuple[float, float, float] = (1500.0, 1000.0, 600.0)
    # Assumption: a fridge compressor on each phase cycling 10 min on / 10 off.
    compressor_w: float = 400.0
    compressor_period: float = 1200.0
    store_power_factor: float = 0.95  # assumption
    # sites.md §9: a 9 kW 400 V three-phase electric cannon, resistive.
    heater_w: float = 9000.0


@dataclass(frozen=True, slots=True)
class RoomConfig:
    """The warm room's lumped thermal model (sites.md §9, assumption)."""

    # 150 m3 with good insulation: UA about 1.4 W/(m3 K).
    ua_w_per_k: float = 210.0
    # Air alone is 180 kJ/K; walls and furniture raise it: 5 MJ/K gives a
    # cool-down time constant of about 6.6 h.
    capacity_j_per_k: float = 5.0e6


@dataclass(frozen=True, slots=True)
class UnitIds:
    """Modbus unit ids behind the one gateway port."""

    dse: int = 10  # DSE default slave address
    io: int | None = 1  # Waveshare-style module default
    ats: int | None = 2


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """A whole site: controller, genset, loads, tank, room and Modbus layout."""

    timings: AmfTimings = field(default_factory=AmfTimings)
    engine: EngineConfig = field(default_factory=EngineConfig)
    load: LoadConfig = field(default_factory=LoadConfig)
    room: RoomConfig = field(default_factory=RoomConfig)
    units: UnitIds = field(default_factory=UnitIds)
    # The I/O module as the client is configured; the tank's capacity is this
    # config's, so simulator and client agree. Assumption: a 200 L tank
    # (skid tanks of 30 kVA sets hold 100-200 L, sites.md §1).
    io: IoModuleConfig = field(
        default_factory=lambda: IoModuleConfig(tank_capacity_l=200.0)
    )
    model_code: int = 32841  # DSE7320 MKII
    serial_number: int = 1_730_001
    mains_limits: BandLimits = DEFAULT_MAINS_LIMITS
    generator_limits: BandLimits = DEFAULT_GENERATOR_LIMITS
    # Whether the controller has its own fuel-level sender (register 1027);
    # without one the register reads "unimplemented".
    controller_fuel_sensor: bool = True
    low_fuel_warning_percent: float = 20.0  # genmon notifies at 20 %
    # Assumption: warnings clear 2 points above their threshold.
    low_fuel_hysteresis_percent: float = 2.0
    # sites.md §5: whether a telemetry start puts the set on load depends on
    # the module's configuration; off load is the cautious default.
    telemetry_start_on_load: bool = False
    # The controller's real-time clock (page 7, 1792): seconds since 1970 it
    # shows at simulated time 0 (None: the host's clock when the site is
    # built), plus how far it is set wrong. It then runs with simulated time.
    # Whether the controller has the clock and maintenance timer at all;
    # without them 1792-1797 read "unimplemented" (older or smaller units).
    controller_clock: bool = True
    clock_start: float | None = None
    clock_offset_s: float = 0.0
    # The controller's maintenance timer (1794): seconds of simulated time
    # until the next service is due; it counts on below zero once overdue.
    # Assumption: half a year, the calendar interval common on standby sets.
    maintenance_due_in_s: float = 182.0 * 86400
    # The page 7 totals at simulated time 0: a set with history, not one new
    # from the factory, so the run hours, starts and energy read as they do at
    # a real site. Assumption: about ten years on standby with a monthly test
    # run and a few outages a year, 1 240 h at some 10 kW on average (the
    # store and the warm room's heater, as in the storm scenario).
    history_run_hours: float = 1240.0
    history_starts: int = 180
    history_energy_kwh: float = 12_400.0
    # Longest model step in seconds: timers end exactly on their deadline
    # whatever this is; it only bounds the integration of the slow physics.
    max_step: float = 1.0

    @property
    def tank_capacity_l(self) -> float:
        """The diesel tank's volume in litres."""
        return self.io.tank_capacity_l
