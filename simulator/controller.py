"""A DSE-style AMF controller: modes, the start/stop sequence, keys and alarms.

The controller is logic over time: it reads what the site senses (`Inputs`),
drives the engine (fuel, starter) and the transfer switch, and answers
GenComm control keys. Timers are absolute deadlines in simulated seconds, so
the site can step exactly onto each one (`next_deadline`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
import time

from custom_components.sot_point.hardware.profiles.dse_gencomm import ControlKey
from custom_components.sot_point.hardware.state import (
    AlarmCondition,
    ControlMode,
    EngineState,
    TransferPosition,
)

from .alarms import AlarmTable
from .config import SiteConfig
from .engine import Engine

EPSILON = 1e-9

AUTO_MODES = frozenset({ControlMode.AUTO, ControlMode.AUTO_MANUAL_RESTORE})
HANDS_ON_MODES = frozenset(
    {ControlMode.MANUAL, ControlMode.TEST_ON_LOAD, ControlMode.TEST_OFF_LOAD}
)
# The keys this controller implements, published at 4096-4103.
SUPPORTED_KEYS = frozenset(
    {
        ControlKey.SELECT_STOP,
        ControlKey.SELECT_AUTO,
        ControlKey.SELECT_MANUAL,
        ControlKey.SELECT_TEST_ON_LOAD,
        ControlKey.SELECT_AUTO_MANUAL_RESTORE,
        ControlKey.START_ENGINE,
        ControlKey.MUTE_ALARM,
        ControlKey.RESET_ALARMS_BUTTON,
        ControlKey.TRANSFER_TO_GENERATOR,
        ControlKey.TRANSFER_TO_MAINS,
        ControlKey.TELEMETRY_START,
        ControlKey.CANCEL_TELEMETRY_START,
        ControlKey.RESET_ALARM_CODES,
    }
)
_MODE_KEYS: dict[ControlKey, ControlMode] = {
    ControlKey.SELECT_STOP: ControlMode.STOP,
    ControlKey.SELECT_AUTO: ControlMode.AUTO,
    ControlKey.SELECT_MANUAL: ControlMode.MANUAL,
    ControlKey.SELECT_TEST_ON_LOAD: ControlMode.TEST_ON_LOAD,
    ControlKey.SELECT_AUTO_MANUAL_RESTORE: ControlMode.AUTO_MANUAL_RESTORE,
}


class Phase(StrEnum):
    """Where the start/stop sequence is."""

    AT_REST = "at_rest"
    START_DELAY = "start_delay"
    PREHEAT = "preheat"
    FUEL_ON = "fuel_on"
    CRANKING = "cranking"
    CRANK_REST = "crank_rest"
    SAFETY_ON = "safety_on"
    WARM_UP = "warm_up"
    RUNNING = "running"
    COOLDOWN = "cooldown"


# Assumption: GenComm's "pre-start" covers everything from the start delay to
# crank disconnect, "warming up" the safety-on delay and the warm-up timer.
ENGINE_STATE: dict[Phase, EngineState] = {
    Phase.AT_REST: EngineState.STOPPED,
    Phase.START_DELAY: EngineState.PRE_START,
    Phase.PREHEAT: EngineState.PRE_START,
    Phase.FUEL_ON: EngineState.PRE_START,
    Phase.CRANKING: EngineState.PRE_START,
    Phase.CRANK_REST: EngineState.PRE_START,
    Phase.SAFETY_ON: EngineState.WARMING_UP,
    Phase.WARM_UP: EngineState.WARMING_UP,
    Phase.RUNNING: EngineState.RUNNING,
    Phase.COOLDOWN: EngineState.COOLING_DOWN,
}
_PROTECTED = frozenset({Phase.WARM_UP, Phase.RUNNING, Phase.COOLDOWN})


class KeyResult(IntEnum):
    """How the controller answered a control key (GenComm extended codes)."""

    ACCEPTED = 0
    ILLEGAL_VALUE = 7
    INAPPROPRIATE = 8


@dataclass(frozen=True, slots=True)
class Inputs:
    """What the controller senses at one instant."""

    mains_ok: bool = True
    generator_ok: bool = False
    has_fuel: bool = True
    fuel_percent: float = 100.0
    emergency_stop: bool = False


@dataclass(slots=True)
class TransferSwitch:
    """Break-before-make changeover: both sides open while it moves."""

    position: TransferPosition = TransferPosition.MAINS
    target: TransferPosition = TransferPosition.MAINS
    deadline: float | None = None

    @property
    def moving(self) -> bool:
        """Whether a transfer is under way."""
        return self.deadline is not None

    def begin(self, target: TransferPosition, now: float, duration: float) -> None:
        """Open the closed side and head for `target`."""
        self.target = target
        if duration <= 0:
            self.position = target
            self.deadline = None
            return
        self.position = TransferPosition.OFF
        self.deadline = now + duration

    def update(self, now: float) -> bool:
        """Close the target side when its time has come; True if it did."""
        if self.deadline is not None and now + EPSILON >= self.deadline:
            self.position = self.target
            self.deadline = None
            return True
        return False


@dataclass(slots=True)
class Counters:
    """Page 7 totals."""

    run_seconds: float = 0.0
    energy_kwh: float = 0.0
    starts: int = 0


@dataclass(slots=True)
class Clock:
    """The controller's real-time clock: simulated time plus where it started."""

    epoch_at_zero: float

    def read(self, now: float) -> int:
        """Seconds since 1970 the clock shows at simulated time `now`."""
        return int(self.epoch_at_zero + now)

    def set(self, now: float, epoch_seconds: float) -> None:
        """Set the clock (a GenComm write to 1792) at simulated time `now`."""
        self.epoch_at_zero = epoch_seconds - now


@dataclass(slots=True)
class AmfController:
    """The AMF controller's logic."""

    config: SiteConfig
    engine: Engine
    alarms: AlarmTable = field(init=False)
    mode: ControlMode = ControlMode.AUTO
    phase: Phase = Phase.AT_REST
    deadline: float | None = None
    switch: TransferSwitch = field(default_factory=TransferSwitch)
    counters: Counters = field(default_factory=Counters)
    clock: Clock = field(init=False)
    # Simulated time at which the next service is due (1794 counts down to it).
    maintenance_due: float = field(init=False)
    mains_failed: bool = False
    manual_run: bool = False
    telemetry_run: bool = False
    horn_muted: bool = False
    # Keys 8/9 in Manual and Test modes; None leaves the mode's default.
    manual_position: TransferPosition | None = None
    # Alarm causes a test or scenario holds present until released.
    forced: dict[str, AlarmCondition] = field(default_factory=dict)
    _crank_attempt: int = 0
    _will_fire: bool = False
    _mains_deadline: float | None = None
    _now: float = 0.0
    _inputs: Inputs = field(default_factory=Inputs)

    def __post_init__(self) -> None:
        """Build the alarm slots for the configured model; start clock and totals."""
        self.alarms = AlarmTable(self.config.model_code)
        start = self.config.clock_start
        if start is None:
            start = time.time()
        self.clock = Clock(start + self.config.clock_offset_s)
        self.maintenance_due = self.config.maintenance_due_in_s
        self.counters = Counters(
            run_seconds=self.config.history_run_hours * 3600.0,
            energy_kwh=self.config.history_energy_kwh,
            starts=self.config.history_starts,
        )

    # -- reading -----------------------------------------------------------

    @property
    def engine_state(self) -> EngineState:
        """GenComm engine state for register 1408."""
        return ENGINE_STATE[self.phase]

    @property
    def on_load(self) -> bool:
        """Whether the generator feeds the load now."""
        return self.switch.position is TransferPosition.GENERATOR

    def time_to_maintenance(self, now: float) -> float:
        """Seconds until the next service at `now`; negative once overdue."""
        return self.maintenance_due - now

    def next_deadline(self) -> float | None:
        """The earliest timer still to run out, in simulated seconds."""
        pending = [
            d
            for d in (self.deadline, self._mains_deadline, self.switch.deadline)
            if d is not None and d > self._now + EPSILON
        ]
        return min(pending, default=None)

    # -- time --------------------------------------------------------------

    def update(self, now: float, inputs: Inputs) -> None:
        """Run every timer and rule that is due at `now`."""
        self._now = now
        self._inputs = inputs
        self._evaluate_alarms(inputs)
        self._monitor_mains(now, inputs)
        for _ in range(32):
            changed = self._protect()
            changed |= self._sequence(now, inputs)
            changed |= self._manage_load(now, inputs)
            if not changed:
                break

    def record(self, dt: float, generator_kw: float) -> None:
        """Add `dt` seconds of running and energy to the page 7 totals."""
        if self.engine.fired:
            self.counters.run_seconds += dt
        if self.on_load:
            self.counters.energy_kwh += generator_kw * dt / 3600.0

    # -- keys --------------------------------------------------------------

    def handle_key(self, key: ControlKey) -> KeyResult:
        """Act on one control key as a DSE module would, or refuse it."""
        if key not in SUPPORTED_KEYS:
            return KeyResult.ILLEGAL_VALUE
        if key in _MODE_KEYS:
            self._select_mode(_MODE_KEYS[key])
            return KeyResult.ACCEPTED
        handler = {
            ControlKey.START_ENGINE: self._key_start,
            ControlKey.MUTE_ALARM: self._key_mute,
            ControlKey.RESET_ALARMS_BUTTON: self._key_reset,
            ControlKey.RESET_ALARM_CODES: self._key_reset,
            ControlKey.TRANSFER_TO_GENERATOR: self._key_to_generator,
            ControlKey.TRANSFER_TO_MAINS: self._key_to_mains,
            ControlKey.TELEMETRY_START: self._key_telemetry_start,
            ControlKey.CANCEL_TELEMETRY_START: self._key_cancel_telemetry,
        }[key]
        result = handler()
        if result is KeyResult.ACCEPTED:
            self.update(self._now, self._inputs)
        return result

    def set_mode(self, mode: ControlMode) -> None:
        """Select a mode from the panel (also modes no key reaches, e.g. 6)."""
        self._select_mode(mode)

    def reset_alarms(self) -> None:
        """Clear every alarm whose cause has gone (reset button, Stop)."""
        self.alarms.reset(self._cause_present)

    def _select_mode(self, mode: ControlMode) -> None:
        running = self.phase is not Phase.AT_REST
        self.mode = mode
        self.manual_position = None
        if mode in AUTO_MODES:
            self.manual_run = False
        elif mode in HANDS_ON_MODES:
            # A set already running stays running when hands take over.
            self.manual_run = running
            self.telemetry_run = False
        else:
            self.manual_run = False
            self.telemetry_run = False
            self._stop_now()
            self.reset_alarms()
        self.update(self._now, self._inputs)

    def _start_refused(self) -> bool:
        return self.alarms.stopping or self.mode in (
            ControlMode.STOP,
            ControlMode.OFF,
            ControlMode.USER_CONFIGURATION,
        )

    def _key_start(self) -> KeyResult:
        # Assumption: like the panel's Start button, key 5 does nothing in the
        # Auto modes, so it is refused there rather than silently ignored.
        if self._start_refused() or self.mode not in HANDS_ON_MODES:
            return KeyResult.INAPPROPRIATE
        self.manual_run = True
        return KeyResult.ACCEPTED

    def _key_mute(self) -> KeyResult:
        self.horn_muted = True
        return KeyResult.ACCEPTED

    def _key_reset(self) -> KeyResult:
        self.reset_alarms()
        return KeyResult.ACCEPTED

    def _key_to_generator(self) -> KeyResult:
        # Assumption: transfer keys act in Manual and Test modes only (the AMF
        # logic owns the switch in Auto), and only onto a set in band.
        if self.mode not in HANDS_ON_MODES or not self._generator_available():
            return KeyResult.INAPPROPRIATE
        self.manual_position = TransferPosition.GENERATOR
        return KeyResult.ACCEPTED

    def _key_to_mains(self) -> KeyResult:
        # Assumption: never transfer onto a dead grid; in Auto with manual
        # restore this key is the manual restore.
        allowed = self.mode in HANDS_ON_MODES or (
            self.mode is ControlMode.AUTO_MANUAL_RESTORE
        )
        if not allowed or not self._inputs.mains_ok:
            return KeyResult.INAPPROPRIATE
        self.manual_position = TransferPosition.MAINS
        return KeyResult.ACCEPTED

    def _key_telemetry_start(self) -> KeyResult:
        if self.alarms.stopping or self.mode not in AUTO_MODES:
            return KeyResult.INAPPROPRIATE
        self.telemetry_run = True
        return KeyResult.ACCEPTED

    def _key_cancel_telemetry(self) -> KeyResult:
        self.telemetry_run = False
        return KeyResult.ACCEPTED

    # -- alarms ------------------------------------------------------------

    def _cause_present(self, name: str) -> bool:
        inputs = self._inputs
        cfg = self.config
        if name in self.forced:
            return True
        if name == "emergency_stop":
            return inputs.emergency_stop
        if name == "high_coolant_temperature":
            return self.engine.coolant_c >= cfg.engine.coolant_pre_alarm_c
        if name == "low_fuel_level":
            limit = cfg.low_fuel_warning_percent + cfg.low_fuel_hysteresis_percent
            return inputs.fuel_percent < limit
        return False

    def _evaluate_alarms(self, inputs: Inputs) -> None:
        cfg = self.config
        alarms = self.alarms
        for name, condition in self.forced.items():
            alarms.raise_alarm(name, condition)
        if inputs.emergency_stop:
            alarms.raise_alarm("emergency_stop", AlarmCondition.SHUTDOWN)
        protected = self.engine.fired and self.phase in _PROTECTED
        coolant = self.engine.coolant_c
        if protected and coolant >= cfg.engine.coolant_shutdown_c:
            alarms.raise_alarm("high_coolant_temperature", AlarmCondition.SHUTDOWN)
        if "high_coolant_temperature" not in self.forced:
            alarms.follow_warning(
                "high_coolant_temperature",
                protected and coolant >= cfg.engine.coolant_pre_alarm_c,
            )
        if "low_fuel_level" not in self.forced:
            active = alarms.is_active("low_fuel_level")
            limit = cfg.low_fuel_warning_percent + (
                cfg.low_fuel_hysteresis_percent if active else 0.0
            )
            alarms.follow_warning("low_fuel_level", inputs.fuel_percent < limit)

    # -- mains monitoring ----------------------------------------------------

    def _monitor_mains(self, now: float, inputs: Inputs) -> None:
        """Declare a mains failure, or its return, once its delay has run."""
        timings = self.config.timings
        changing = inputs.mains_ok == self.mains_failed
        if not changing:
            self._mains_deadline = None
            return
        if self.mains_failed and self.phase in (Phase.AT_REST, Phase.START_DELAY):
            # Nothing to transfer back yet: a grid that returns before the
            # set starts ends the failure at once, and the set stays on
            # standby (DSE7110 MKII, ComAp AMF sequence).
            self.mains_failed = False
            self._mains_deadline = None
            return
        if self._mains_deadline is None:
            delay = (
                timings.mains_return_delay
                if self.mains_failed
                else timings.mains_fail_delay
            )
            self._mains_deadline = now + delay
        if now + EPSILON >= self._mains_deadline:
            self.mains_failed = not self.mains_failed
            self._mains_deadline = None
            if self.mains_failed and self.mode is ControlMode.AUTO_MANUAL_RESTORE:
                # A new failure starts a new cycle; the last manual restore
                # must not keep the load off the set.
                self.manual_position = None

    # -- the start/stop sequence ----------------------------------------------

    def _want_run(self) -> bool:
        if self.alarms.stopping:
            return False
        if self.mode in AUTO_MODES:
            awaiting_restore = (
                self.mode is ControlMode.AUTO_MANUAL_RESTORE
                and self.on_load
                and self.manual_position is not TransferPosition.MAINS
            )
            return self.mains_failed or self.telemetry_run or awaiting_restore
        if self.mode in HANDS_ON_MODES:
            return self.manual_run
        return False

    def _enter(self, phase: Phase, delay: float | None = None) -> None:
        self.phase = phase
        self.deadline = None if delay is None else self._now + delay

    def _due(self) -> bool:
        return self.deadline is not None and self._now + EPSILON >= self.deadline

    def _stop_now(self) -> None:
        """Cut the fuel at once: no cool-down (Stop, shutdown alarms)."""
        self.engine.stop()
        self._crank_attempt = 0
        self._enter(Phase.AT_REST)

    def _protect(self) -> bool:
        """Stop at once for a shutdown alarm or when the engine dies."""
        if self.phase is Phase.AT_REST:
            return False
        if self.alarms.immediate_stop:
            self._stop_now()
            return True
        running = self.phase in (Phase.SAFETY_ON, *_PROTECTED)
        if running and not self.engine.fired:
            # Fuel starvation: the engine died under the controller.
            self.alarms.raise_alarm("under_speed", AlarmCondition.SHUTDOWN)
            self._stop_now()
            return True
        return False

    def _sequence(self, now: float, inputs: Inputs) -> bool:
        step = {
            Phase.AT_REST: self._at_rest,
            Phase.START_DELAY: self._start_delay,
            Phase.PREHEAT: self._preheat,
            Phase.FUEL_ON: self._fuel_on,
            Phase.CRANKING: self._cranking,
            Phase.CRANK_REST: self._crank_rest,
            Phase.SAFETY_ON: self._safety_on,
            Phase.WARM_UP: self._warm_up,
            Phase.RUNNING: self._running,
            Phase.COOLDOWN: self._cooldown,
        }[self.phase]
        return step(inputs)

    def _at_rest(self, _inputs: Inputs) -> bool:
        if not self._want_run():
            return False
        if self.mode in AUTO_MODES:
            self._enter(Phase.START_DELAY, self.config.timings.start_delay)
        else:
            self._begin_start()
        return True

    def _begin_start(self) -> None:
        self._crank_attempt = 0
        if self.config.timings.preheat > 0:
            self._enter(Phase.PREHEAT, self.config.timings.preheat)
        else:
            self._fuel_up()

    def _fuel_up(self) -> None:
        self.engine.fuel_on = True
        self._enter(Phase.FUEL_ON, self.config.timings.fuel_on_delay)

    def _start_delay(self, _inputs: Inputs) -> bool:
        if not self._want_run():
            # DSE: a request that goes away during the start delay returns
            # the set to standby.
            self._enter(Phase.AT_REST)
            return True
        if self._due():
            self._begin_start()
            return True
        return False

    def _preheat(self, _inputs: Inputs) -> bool:
        if not self._due():
            return False
        self._fuel_up()
        return True

    def _fuel_on(self, inputs: Inputs) -> bool:
        if not self._due():
            return False
        timings = self.config.timings
        self._crank_attempt += 1
        self._will_fire = self.engine.begin_crank(inputs.has_fuel)
        delay = timings.fire_time if self._will_fire else timings.crank_time
        self._enter(Phase.CRANKING, delay)
        return True

    def _cranking(self, _inputs: Inputs) -> bool:
        if not self._due():
            return False
        timings = self.config.timings
        self.engine.end_crank(fired=self._will_fire)
        if self._will_fire:
            self.counters.starts += 1
            self._enter(Phase.SAFETY_ON, timings.safety_on_delay)
        elif self._crank_attempt >= timings.crank_attempts:
            self.alarms.raise_alarm("fail_to_start", AlarmCondition.SHUTDOWN)
            self._stop_now()
        else:
            self._enter(Phase.CRANK_REST, timings.crank_rest)
        return True

    def _crank_rest(self, _inputs: Inputs) -> bool:
        if not self._want_run():
            self._stop_now()
            return True
        if not self._due():
            return False
        self._fuel_up()
        return True

    def _safety_on(self, _inputs: Inputs) -> bool:
        if not self._due():
            return False
        self._enter(Phase.WARM_UP, self.config.timings.warm_up)
        return True

    def _warm_up(self, _inputs: Inputs) -> bool:
        if not self._due():
            return False
        self._enter(Phase.RUNNING)
        return True

    def _running(self, _inputs: Inputs) -> bool:
        if self._want_run() or self.on_load or self.switch.moving:
            return False
        self._enter(Phase.COOLDOWN, self.config.timings.cooldown)
        return True

    def _cooldown(self, _inputs: Inputs) -> bool:
        if self._want_run():
            # DSE: a new failure during cooling puts the set back on load.
            self._enter(Phase.RUNNING)
            return True
        if not self._due():
            return False
        self._stop_now()
        return True

    # -- the transfer switch ---------------------------------------------------

    def _generator_available(self) -> bool:
        """Running, past warm-up, in band and with oil pressure up."""
        return (
            self.phase is Phase.RUNNING
            and self._inputs.generator_ok
            and self.engine.oil_pressure_kpa >= self.config.engine.low_oil_pressure_kpa
        )

    def _desired_position(self) -> TransferPosition:
        if self.phase is not Phase.RUNNING or not self._want_run():
            return TransferPosition.MAINS
        if self.manual_position is not None:
            return self.manual_position
        return self._mode_position()

    def _mode_position(self) -> TransferPosition:
        """Where each mode puts the load of a running set by itself."""
        gen = TransferPosition.GENERATOR
        mains = TransferPosition.MAINS
        on_load = {
            # Manual: the load stays where the operator left it.
            ControlMode.MANUAL: self.switch.target is gen,
            ControlMode.TEST_ON_LOAD: True,
            ControlMode.AUTO_MANUAL_RESTORE: self.on_load or self.mains_failed,
        }.get(self.mode, self.mains_failed)
        if self.mode is ControlMode.AUTO and self.telemetry_run:
            on_load = self.mains_failed or self.config.telemetry_start_on_load
        return gen if on_load else mains

    def _manage_load(self, now: float, inputs: Inputs) -> bool:
        switch = self.switch
        if switch.update(now):
            return True
        if switch.moving:
            return False
        desired = self._desired_position()
        if desired is switch.position:
            return False
        if desired is TransferPosition.GENERATOR and not self._generator_available():
            return False
        switch.begin(desired, now, self.config.timings.transfer_time)
        return True
