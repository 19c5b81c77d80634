"""The whole site in simulated time: grid, genset, controller, loads, tank, room.

`Site.advance(seconds)` moves the model forward. It steps exactly onto every
controller timer and scheduled event, and never further than
`SiteConfig.max_step` in between, so a run is the same for the same seed and
inputs however the caller slices time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
import heapq
import inspect
import math
import random
import time

from custom_components.sot_point.hardware.profiles.dse_gencomm import ControlKey
from custom_components.sot_point.hardware.state import (
    AlarmCondition,
    ControlMode,
    TransferPosition,
)

from .config import PHASES, RoomConfig, SiteConfig
from .controller import EPSILON, AmfController, Inputs, KeyResult
from .engine import Engine
from .mains import Mains

# Assumption: below this a phase cannot drive the site's loads.
_LIVE_PHASE_V = 100.0

type Param = bool | int | float | str | list[float]


@dataclass(slots=True)
class Tank:
    """The diesel tank."""

    capacity_l: float
    litres: float

    @property
    def fraction(self) -> float:
        """How full the tank is, 0-1."""
        return self.litres / self.capacity_l

    @property
    def percent(self) -> float:
        """How full the tank is, %."""
        return 100.0 * self.fraction

    def draw(self, litres: float) -> None:
        """Take fuel out; the tank cannot go below empty."""
        self.litres = max(0.0, self.litres - litres)

    def refill(self, litres: float | None = None) -> None:
        """A delivery: `litres` more, or to full; never beyond capacity."""
        added = self.capacity_l if litres is None else litres
        self.litres = min(self.capacity_l, self.litres + added)


@dataclass(slots=True)
class Room:
    """The warm room: C dT/dt = P_heater - UA (T - T_out) (sites.md §9)."""

    config: RoomConfig
    temperature_c: float

    def step(self, dt: float, heat_w: float, outdoor_c: float) -> None:
        """Integrate exactly over `dt` with heat and outdoor held constant."""
        ua = self.config.ua_w_per_k
        equilibrium = outdoor_c + heat_w / ua
        decay = math.exp(-dt * ua / self.config.capacity_j_per_k)
        self.temperature_c = equilibrium + (self.temperature_c - equilibrium) * decay


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happens to the site at a simulated time."""

    at: float
    action: str
    params: Mapping[str, Param] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Electrical:
    """Per-phase electrical picture of the site at one instant."""

    source_voltages: tuple[float, ...]
    loads_w: tuple[float, ...]
    currents_a: tuple[float, ...]
    heater_w: float

    @property
    def total_w(self) -> float:
        """Everything the site draws, W."""
        return sum(self.loads_w)


class Site:
    """A SOT point in software, advanced in simulated seconds."""

    def __init__(self, config: SiteConfig | None = None, *, seed: int = 0) -> None:
        """Build a site at rest on a healthy grid, tank full, room at 18 °C."""
        self.config = config or SiteConfig()
        # Noise and load cycles only; nothing secret depends on it.
        self.rng = random.Random(seed)  # noqa: S311
        self.now = 0.0
        self.outdoor_c = -5.0
        self.heater_relay = False
        self.emergency_stop = False
        # A loop current forced onto the tank transmitter (sensor faults).
        self.tank_sensor_ma: float | None = None
        # Litres per hour lost from the tank whatever the set does (a leak).
        self.leak_lph = 0.0
        self.mains = Mains()
        self.engine = Engine(self.config.engine)
        self.controller = AmfController(self.config, self.engine)
        self.tank = Tank(self.config.tank_capacity_l, self.config.tank_capacity_l)
        self.room = Room(self.config.room, 18.0)
        # A set on standby sits warm on its block heater.
        self.engine.coolant_c = self.config.engine.block_heater_c
        self._compressor_offsets = [
            self.rng.uniform(0, self.config.load.compressor_period)
            for _ in range(PHASES)
        ]
        self._generator_noise = [0.0] * PHASES
        self._events: list[tuple[float, int, Event]] = []
        self._event_count = 0
        self.log: list[tuple[float, str]] = []
        self._sense()

    # -- time ------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the whole site `seconds` forward in simulated time."""
        if seconds < 0:
            msg = "time only moves forward"
            raise ValueError(msg)
        end = self.now + seconds
        while self.now < end - EPSILON:
            self._step(self._next_step(end))
        self.now = max(self.now, end)

    def _next_step(self, end: float) -> float:
        dt = min(end - self.now, self.config.max_step)
        for deadline in (self.controller.next_deadline(), self._next_event_time()):
            if deadline is not None and deadline > self.now + EPSILON:
                dt = min(dt, deadline - self.now)
        return dt

    def _step(self, dt: float) -> None:
        self._physics(dt)
        self.now += dt
        self._run_due_events()
        self._sense()

    def _physics(self, dt: float) -> None:
        electrical = self.electrical()
        generator_kw = self.generator_kw(electrical)
        load_fraction = generator_kw / self.config.engine.rated_kw
        self.engine.step(dt, load_fraction, self.outdoor_c, self.mains.live)
        burnt = self.engine.fuel_rate_lph(generator_kw) + self.leak_lph
        self.tank.draw(burnt * dt / 3600.0)
        if self.engine.fired and self.tank.litres <= 0:
            self.engine.stop()
            self._note("engine starved of fuel")
        self.room.step(dt, electrical.heater_w, self.outdoor_c)
        self.controller.record(dt, generator_kw)

    def _sense(self) -> None:
        """New measurements, then let the controller act on them."""
        self.mains.step(self.rng)
        self._generator_noise = [self.rng.uniform(-0.3, 0.3) for _ in range(PHASES)]
        self.controller.update(self.now, self.inputs())

    def inputs(self) -> Inputs:
        """What the controller senses now."""
        return Inputs(
            mains_ok=self.mains.in_band(self.config.mains_limits),
            generator_ok=self.config.generator_limits.contains(
                list(self.generator_voltages()), self.engine.generator_frequency
            ),
            has_fuel=self.tank.litres > 0,
            fuel_percent=self.tank.percent,
            emergency_stop=self.emergency_stop,
        )

    # -- electrical picture ----------------------------------------------------

    def generator_voltages(self) -> tuple[float, ...]:
        """Generator phase-to-neutral voltages, V."""
        if self.engine.speed <= 0:
            return (0.0,) * PHASES
        load = self.controller.on_load
        fraction = self._last_load_fraction() if load else 0.0
        base = self.engine.phase_voltage(fraction)
        if base <= 0:
            return (0.0,) * PHASES
        return tuple(base + noise for noise in self._generator_noise)

    def _last_load_fraction(self) -> float:
        loads = self._phase_loads(self._source_voltages_raw())
        return sum(loads) / 1000.0 / self.config.engine.rated_kw

    def _source_voltages_raw(self) -> tuple[float, ...]:
        position = self.controller.switch.position
        if position is TransferPosition.MAINS:
            return tuple(self.mains.voltages)
        if position is TransferPosition.GENERATOR:
            base = self.engine.phase_voltage(0.0)
            return (max(0.0, base),) * PHASES
        return (0.0,) * PHASES

    def _store_w(self, phase: int) -> float:
        load = self.config.load
        base = load.store_w[phase]
        period = load.compressor_period
        cycle = (self.now + self._compressor_offsets[phase]) % period
        return base + (load.compressor_w if cycle < period / 2 else 0.0)

    def _heater_phase_w(self) -> float:
        return self.config.load.heater_w / PHASES if self.heater_relay else 0.0

    def _phase_loads(self, voltages: Sequence[float]) -> list[float]:
        return [
            self._store_w(i) + self._heater_phase_w() if v > _LIVE_PHASE_V else 0.0
            for i, v in enumerate(voltages)
        ]

    def electrical(self) -> Electrical:
        """Source voltages, loads and currents per phase right now."""
        position = self.controller.switch.position
        if position is TransferPosition.GENERATOR:
            voltages = self.generator_voltages()
        else:
            voltages = self._source_voltages_raw()
        loads = self._phase_loads(voltages)
        pf = self.config.load.store_power_factor
        currents = []
        heater = 0.0
        for i, v in enumerate(voltages):
            if v <= _LIVE_PHASE_V:
                currents.append(0.0)
                continue
            heater += self._heater_phase_w()
            store = loads[i] - self._heater_phase_w()
            currents.append(store / (v * pf) + self._heater_phase_w() / v)
        return Electrical(tuple(voltages), tuple(loads), tuple(currents), heater)

    def generator_kw(self, electrical: Electrical | None = None) -> float:
        """What the generator delivers now, kW."""
        if not self.controller.on_load:
            return 0.0
        return (electrical or self.electrical()).total_w / 1000.0

    # -- things that happen to the site -----------------------------------------

    def press_key(self, key: ControlKey) -> KeyResult:
        """A GenComm control key, as the controller would receive it."""
        self.controller.update(self.now, self.inputs())
        result = self.controller.handle_key(key)
        self._note(f"key {key.name}: {result.name}")
        return result

    def lose_mains(self) -> None:
        """The grid goes dead."""
        self.mains.lose()
        self._changed("mains lost")

    def restore_mains(self) -> None:
        """The grid comes back."""
        self.mains.restore()
        self._changed("mains restored")

    def mains_out_of_band(
        self,
        voltage: float | None = None,
        voltages: list[float] | None = None,
        frequency: float | None = None,
    ) -> None:
        """A brown-out, a lost phase or a frequency excursion."""
        if voltage is not None and voltages is None:
            voltages = [voltage] * PHASES
        self.mains.set_out_of_band(voltages, frequency)
        self._changed("mains out of band")

    def fail_next_cranks(self, count: int) -> None:
        """The next `count` crank attempts will not fire."""
        self.engine.failed_cranks_pending = count
        self._note(f"next {count} cranks fail")

    def press_emergency_stop(self) -> None:
        """Someone hits the emergency stop (it stays in until released)."""
        self.emergency_stop = True
        self._changed("emergency stop pressed")

    def release_emergency_stop(self) -> None:
        """The emergency stop is pulled out again; the alarm stays latched."""
        self.emergency_stop = False
        self._changed("emergency stop released")

    def refill(self, litres: float | None = None) -> None:
        """A fuel delivery: `litres` more, or to full."""
        self.tank.refill(litres)
        self._changed(f"refilled to {self.tank.litres:.1f} L")

    def set_tank_litres(self, litres: float) -> None:
        """Set the tank's contents directly (initial state, tests)."""
        self.tank.litres = max(0.0, min(self.tank.capacity_l, litres))
        self._changed(f"tank set to {self.tank.litres:.1f} L")

    def set_fuel_leak(self, litres_per_hour: float) -> None:
        """A leak draining the tank, running or not (0: mended)."""
        self.leak_lph = max(0.0, litres_per_hour)
        self._changed(f"fuel leak {self.leak_lph:.1f} L/h")

    def take_fuel(self, litres: float) -> None:
        """Fuel taken out in one go (a theft), the tank never below empty."""
        self.tank.draw(litres)
        self._changed(f"{litres:.1f} L taken, tank at {self.tank.litres:.1f} L")

    def fail_block_heater(self, failed: bool) -> None:
        """The engine's block heater stops working (or is mended)."""
        self.engine.block_heater_failed = failed
        self._changed(f"block heater {'failed' if failed else 'mended'}")

    def age_battery(self, volts_per_day: float, worn_v: float | None = None) -> None:
        """The starter battery loses `volts_per_day` from now (0: stops ageing).

        `worn_v` sets what it has lost already (a new battery: 0).
        """
        engine = self.engine
        engine.battery_wear_v_per_day = max(0.0, volts_per_day)
        if worn_v is not None:
            engine.battery_wear_v = max(0.0, worn_v)
        self._changed(
            f"battery ageing {engine.battery_wear_v_per_day:.2f} V/day,"
            f" worn {engine.battery_wear_v:.2f} V"
        )

    def set_heater(self, on: bool) -> None:
        """Switch the heater relay (what the I/O module's coil does)."""
        self.heater_relay = on
        self._changed(f"heater {'on' if on else 'off'}")

    def set_outdoor_temperature(self, celsius: float) -> None:
        """Change the weather."""
        self.outdoor_c = celsius
        self._note(f"outdoor {celsius:.1f} °C")

    def set_room_temperature(self, celsius: float) -> None:
        """Set the room's temperature directly (initial state, tests)."""
        self.room.temperature_c = celsius

    def set_mode(self, mode: ControlMode) -> None:
        """Select a controller mode from its panel."""
        self.controller.set_mode(mode)
        self._changed(f"mode {mode.name}")

    def set_cooling_fault(self, on: bool) -> None:
        """A broken fan belt or a blocked radiator: the coolant overheats."""
        self.engine.cooling_fault = on
        self._note(f"cooling fault {'on' if on else 'off'}")

    def set_tank_sensor_fault(self, milliamps: float | None) -> None:
        """Force the tank transmitter's loop current (None: a healthy loop)."""
        self.tank_sensor_ma = milliamps

    def set_clock_offset(self, seconds: float) -> None:
        """Set the controller's clock `seconds` ahead of this computer's."""
        self.controller.clock.set(self.now, time.time() + seconds)
        self._note(f"controller clock {seconds:+.0f} s off")

    def set_maintenance_due_in(self, seconds: float) -> None:
        """Start the maintenance timer over (negative: already overdue)."""
        self.controller.maintenance_due = self.now + seconds
        self._note(f"maintenance due in {seconds:.0f} s")

    def inject_alarm(
        self, name: str, condition: AlarmCondition = AlarmCondition.SHUTDOWN
    ) -> None:
        """Raise an alarm whose cause stays present until `release_alarm`."""
        self.controller.alarms.condition(name)
        self.controller.forced[name] = condition
        self._changed(f"alarm {name} {condition.name}")

    def release_alarm(self, name: str) -> None:
        """Remove an injected alarm's cause; the alarm then needs a reset."""
        self.controller.forced.pop(name, None)
        self._changed(f"alarm {name} cause gone")

    # -- scheduled events --------------------------------------------------------

    def schedule(self, event: Event) -> None:
        """Run `event` when simulated time reaches `event.at` (now if past)."""
        check_action(event.action, event.params)
        self._event_count += 1
        heapq.heappush(self._events, (event.at, self._event_count, event))
        self._run_due_events()

    def apply(self, action: str, params: Mapping[str, Param] | None = None) -> None:
        """Do one named action now (the vocabulary of scenario timelines)."""
        params = params or {}
        check_action(action, params)
        ACTIONS[action](self, **params)

    def _next_event_time(self) -> float | None:
        return self._events[0][0] if self._events else None

    def _run_due_events(self) -> None:
        while self._events and self._events[0][0] <= self.now + EPSILON:
            _, _, event = heapq.heappop(self._events)
            ACTIONS[event.action](self, **event.params)

    def _changed(self, what: str) -> None:
        """Log a change and let the controller see it without waiting."""
        self._note(what)
        self.controller.update(self.now, self.inputs())

    def _note(self, what: str) -> None:
        self.log.append((self.now, what))


def _select_mode(site: Site, mode: str) -> None:
    site.set_mode(ControlMode[mode.upper()])


def _press_key(site: Site, key: str) -> None:
    site.press_key(ControlKey[key.upper()])


def _inject_alarm(site: Site, name: str, condition: str = "shutdown") -> None:
    site.inject_alarm(name, AlarmCondition[condition.upper()])


# The timeline vocabulary: scenario files name these actions.
ACTIONS: dict[str, Callable[..., None]] = {
    "mains_lost": Site.lose_mains,
    "mains_restored": Site.restore_mains,
    "mains_out_of_band": Site.mains_out_of_band,
    "failed_cranks": lambda site, count: site.fail_next_cranks(count),
    "refill": Site.refill,
    "tank_litres": lambda site, litres: site.set_tank_litres(litres),
    "fuel_leak": lambda site, litres_per_hour: site.set_fuel_leak(litres_per_hour),
    "fuel_leak_mended": lambda site: site.set_fuel_leak(0.0),
    "fuel_taken": lambda site, litres: site.take_fuel(litres),
    "block_heater_failed": lambda site: site.fail_block_heater(True),
    "block_heater_mended": lambda site: site.fail_block_heater(False),
    "battery_ageing": lambda site, volts_per_day: site.age_battery(volts_per_day),
    "battery_worn": lambda site, volts: site.age_battery(0.0, volts),
    "heater_on": lambda site: site.set_heater(True),
    "heater_off": lambda site: site.set_heater(False),
    "emergency_stop": Site.press_emergency_stop,
    "emergency_stop_released": Site.release_emergency_stop,
    "outdoor_temperature": lambda site, celsius: site.set_outdoor_temperature(celsius),
    "select_mode": _select_mode,
    "key": _press_key,
    "cooling_fault": lambda site: site.set_cooling_fault(True),
    "cooling_fault_cleared": lambda site: site.set_cooling_fault(False),
    "tank_sensor_fault": lambda site, milliamps: site.set_tank_sensor_fault(milliamps),
    "tank_sensor_ok": lambda site: site.set_tank_sensor_fault(None),
    "inject_alarm": _inject_alarm,
    "release_alarm": lambda site, name: site.release_alarm(name),
    "clock_offset": lambda site, seconds: site.set_clock_offset(seconds),
    "maintenance_due_in": lambda site, seconds: site.set_maintenance_due_in(seconds),
}


def check_action(action: str, params: Mapping[str, Param]) -> None:
    """Raise ValueError unless `action` exists and takes exactly `params`."""
    if action not in ACTIONS:
        known = ", ".join(sorted(ACTIONS))
        msg = f"unknown action {action!r} (known: {known})"
        raise ValueError(msg)
    signature = inspect.signature(ACTIONS[action])
    try:
        signature.bind(None, **params)
    except TypeError as err:
        msg = f"action {action!r}: {err}"
        raise ValueError(msg) from err
