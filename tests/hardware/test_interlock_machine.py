"""Random sequences of controller states and commands against the interlocks.

The machine keeps its own model of the site (mode, engine, phases, alarms,
maintenance) and after every change asks `check` about every command. The
expected answers come from that model, written out here, not from the
GeneratorState helpers the interlocks use.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import settings, strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from custom_components.sot_point.hardware.commands import (
    Command,
    CommandRefusedError,
    Interlocks,
    RefusalReason,
    check,
)
from custom_components.sot_point.hardware.profiles.dse_gencomm import ControlKey
from custom_components.sot_point.hardware.registers import Unavailable, Value
from custom_components.sot_point.hardware.state import (
    DEFAULT_GENERATOR_LIMITS,
    Alarm,
    AlarmCondition,
    BandLimits,
    ControlMode,
    EngineState,
    GeneratorState,
    StatusFlag,
)

ALARM_NAMES = ("emergency_stop", "low_oil_pressure", "low_fuel_level", "kw_overload")
STOPPING_CONDITIONS = {3, 4, 5}  # shutdown, electrical trip, controlled shutdown
STOPPING_FLAGS = (1 << 13) | (1 << 12) | (1 << 7)  # register 774 bits
START_KEYS = {ControlKey.START_ENGINE, ControlKey.TELEMETRY_START}
SAFE_UNDER_MAINTENANCE = {
    ControlKey.SELECT_STOP,
    ControlKey.CANCEL_TELEMETRY_START,
    ControlKey.RESET_ALARMS_BUTTON,
    ControlKey.MUTE_ALARM,
}
MODES_THAT_START = {
    ControlMode.AUTO,
    ControlMode.MANUAL,
    ControlMode.TEST_ON_LOAD,
    ControlMode.TEST_OFF_LOAD,
}

VOLTAGES = st.one_of(
    st.sampled_from([0.0, 190.0, 206.9, 207.0, 230.0, 253.0, 253.1, 400.0]),
    st.floats(0.0, 300.0).map(lambda v: round(v, 1)),
    st.sampled_from(list(Unavailable)),
    st.none(),  # not in this poll
)
FREQUENCIES = st.one_of(
    st.sampled_from([0.0, 45.0, 47.9, 48.0, 50.0, 52.0, 52.1, 60.0]),
    st.floats(0.0, 70.0).map(lambda v: round(v, 1)),
    st.sampled_from(list(Unavailable)),
    st.none(),
)

ACCEPTED: Counter[Command] = Counter()


def _number(value: Value | None) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


class InterlockMachine(RuleBasedStateMachine):
    """A controller whose every reading can change between commands."""

    def __init__(self) -> None:
        """Start as a healthy set in Auto, at rest, mains present."""
        super().__init__()
        self.mode: ControlMode | None = ControlMode.AUTO
        self.engine: EngineState | None = EngineState.STOPPED
        self.flags: StatusFlag | None = StatusFlag(0)
        self.voltages: dict[int, Value | None] = {1: 0.0, 2: 0.0, 3: 0.0}
        self.frequency: Value | None = 0.0
        self.alarms: dict[str, AlarmCondition] | None = dict.fromkeys(
            ALARM_NAMES, AlarmCondition.NOT_ACTIVE
        )
        self.maintenance = False
        self.supported: frozenset[int] = frozenset()
        self.limits = DEFAULT_GENERATOR_LIMITS

    # Changes the controller reports.
    @rule(mode=st.none() | st.sampled_from(ControlMode))
    def set_mode(self, mode: ControlMode | None) -> None:
        """The operator or the controller changes mode; None = status unread."""
        self.mode = mode

    @rule(engine=st.none() | st.sampled_from(EngineState))
    def set_engine(self, engine: EngineState | None) -> None:
        """The engine moves through its states."""
        self.engine = engine

    @rule(bits=st.none() | st.integers(0, 0xFFFF))
    def set_flags(self, bits: int | None) -> None:
        """The status flags change (any bit pattern the register can hold)."""
        self.flags = None if bits is None else StatusFlag(bits)

    @rule(phase=st.integers(1, 3), value=VOLTAGES)
    def set_voltage(self, phase: int, value: Value | None) -> None:
        """One phase voltage changes, or becomes a sentinel, or goes unread."""
        self.voltages[phase] = value

    @rule(value=FREQUENCIES)
    def set_frequency(self, value: Value | None) -> None:
        """The generator frequency changes."""
        self.frequency = value

    @rule()
    def run_in_band(self) -> None:
        """The set runs up to a clean 230 V / 50 Hz."""
        self.engine = EngineState.RUNNING
        self.voltages = {1: 230.0, 2: 230.0, 3: 230.0}
        self.frequency = 50.0

    @rule(name=st.sampled_from(ALARM_NAMES), condition=st.sampled_from(AlarmCondition))
    def set_alarm(self, name: str, condition: AlarmCondition) -> None:
        """One alarm slot changes condition."""
        if self.alarms is None:
            self.alarms = dict.fromkeys(ALARM_NAMES, AlarmCondition.NOT_ACTIVE)
        self.alarms[name] = condition

    @rule()
    def lose_alarm_page(self) -> None:
        """The alarm page read failed this poll."""
        self.alarms = None

    @rule(on=st.booleans())
    def set_maintenance(self, on: bool) -> None:
        """A technician switches the maintenance lock."""
        self.maintenance = on

    @rule(functions=st.just(frozenset()) | st.frozensets(st.integers(0, 47)))
    def set_supported(self, functions: frozenset[int]) -> None:
        """The supported-functions map is read (empty = unknown)."""
        self.supported = functions

    @rule(
        v_min=st.sampled_from([200.0, 207.0, 220.0]),
        v_max=st.sampled_from([240.0, 253.0]),
        f_min=st.sampled_from([47.0, 48.0, 49.5]),
        f_max=st.sampled_from([50.5, 52.0]),
    )
    def set_limits(
        self, v_min: float, v_max: float, f_min: float, f_max: float
    ) -> None:
        """The site narrows or widens the generator band."""
        self.limits = BandLimits(v_min, v_max, f_min, f_max)

    # The model's own view of the site.
    def state(self) -> GeneratorState:
        """The snapshot a poll would give for the model."""
        values: dict[str, Value] = {}
        for phase, volts in self.voltages.items():
            if volts is not None:
                values[f"generator_voltage_l{phase}_n"] = volts
        if self.frequency is not None:
            values["generator_frequency"] = self.frequency
        alarms = (
            None
            if self.alarms is None
            else tuple(Alarm(k, c) for k, c in self.alarms.items())
        )
        return GeneratorState(
            mode=self.mode,
            engine=self.engine,
            flags=self.flags,
            values=values,
            alarms=alarms,
            supported_functions=self.supported,
        )

    def stopping_alarm(self) -> bool:
        """A shutdown-class alarm by name or by status flag."""
        flagged = self.flags is not None and int(self.flags) & STOPPING_FLAGS != 0
        named = self.alarms is not None and any(
            int(c) in STOPPING_CONDITIONS for c in self.alarms.values()
        )
        return flagged or named

    def generator_in_band(self) -> bool:
        """Running, frequency and every reported phase measured and in band.

        A phase that reads "unimplemented" (or is not read at all) is one the
        unit does not have, e.g. L2 and L3 of a single-phase set.
        """
        frequency = _number(self.frequency)
        if self.engine is not EngineState.RUNNING or frequency is None:
            return False
        if not self.limits.frequency_min <= frequency <= self.limits.frequency_max:
            return False
        reported = [
            v
            for v in self.voltages.values()
            if v is not None and v is not Unavailable.NOT_AVAILABLE
        ]
        measured = [_number(v) for v in reported]
        return bool(reported) and all(
            v is not None and self.limits.voltage_min <= v <= self.limits.voltage_max
            for v in measured
        )

    def supports(self, key: ControlKey) -> bool:
        """Whether the controller's map allows `key` (an unread map allows all)."""
        return not self.supported or int(key) in self.supported

    @invariant()
    def every_command_is_judged_safely(self) -> None:
        """Ask about every command; check each answer against the model."""
        state = self.state()
        interlocks = Interlocks(
            maintenance=self.maintenance, generator_limits=self.limits
        )
        for command in Command:
            try:
                key = check(command, state, interlocks)
            except CommandRefusedError as err:
                self._refused(command, err.reason)
            else:
                ACCEPTED[command] += 1
                self._accepted(command, key)

    def _accepted(self, command: Command, key: ControlKey) -> None:
        assert self.mode is not None, "a key sent with the status unknown"
        assert self.supports(key), f"{key.name} is not in the supported map"
        if self.maintenance:
            assert key in SAFE_UNDER_MAINTENANCE, f"{key.name} under maintenance"
        if key is ControlKey.TRANSFER_TO_GENERATOR:
            assert self.generator_in_band(), "load moved to a set not in band"
        if key in START_KEYS:
            assert command is Command.START
            assert not self.stopping_alarm(), "start with a shutdown alarm"
            assert self.mode in MODES_THAT_START, f"start in {self.mode.name}"
        if key is ControlKey.SELECT_TEST_ON_LOAD:
            assert not self.stopping_alarm(), "test on load with a shutdown alarm"

    def _refused(self, command: Command, reason: RefusalReason) -> None:
        # The interlocks must not be stricter than the model either: a person
        # can always stop the set, and a healthy set can always be used.
        known = self.mode is not None
        if command is Command.STOP and known:
            key = (
                ControlKey.CANCEL_TELEMETRY_START
                if self.mode is ControlMode.AUTO
                else ControlKey.SELECT_STOP
            )
            assert not self.supports(key), f"stop refused: {reason}"
        if command is Command.TRANSFER_TO_GENERATOR and known and not self.maintenance:
            allowed = self.generator_in_band() and self.supports(
                ControlKey.TRANSFER_TO_GENERATOR
            )
            assert not allowed, f"transfer to an in-band set refused: {reason}"
        if (
            command is Command.START
            and self.mode in MODES_THAT_START
            and not self.maintenance
            and not self.stopping_alarm()
        ):
            key = (
                ControlKey.TELEMETRY_START
                if self.mode is ControlMode.AUTO
                else ControlKey.START_ENGINE
            )
            assert not self.supports(key), f"healthy start refused: {reason}"


def test_interlocks_hold_for_any_sequence_of_states() -> None:
    ACCEPTED.clear()
    run_state_machine_as_test(
        InterlockMachine,
        settings=settings(max_examples=300, stateful_step_count=40, deadline=None),
    )
    # The invariants were exercised on accepted commands, not only refusals.
    assert ACCEPTED[Command.TRANSFER_TO_GENERATOR] > 0
    assert ACCEPTED[Command.START] > 0
    assert ACCEPTED[Command.SELECT_TEST_ON_LOAD] > 0
