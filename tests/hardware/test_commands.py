"""Interlocks, key choice and verification of generator commands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pytest

from custom_components.sot_point.hardware.commands import (
    Command,
    CommandRefusedError,
    Interlocks,
    RefusalReason,
    check,
    followed,
    key_for,
)
from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    ControlKey,
    control_words,
)
from custom_components.sot_point.hardware.registers import Unavailable, Value
from custom_components.sot_point.hardware.state import (
    Alarm,
    AlarmCondition,
    BandLimits,
    ControlMode,
    EngineState,
    GeneratorState,
    StatusFlag,
)

NO_FLAGS = StatusFlag(0)
OPEN = Interlocks()
MAINTENANCE = Interlocks(maintenance=True)
QUIET_ALARMS = (
    Alarm("emergency_stop", AlarmCondition.NOT_ACTIVE),
    Alarm("low_oil_pressure", AlarmCondition.NOT_ACTIVE),
)


def generator(
    *,
    mode: ControlMode | None = ControlMode.MANUAL,
    engine: EngineState | None = EngineState.RUNNING,
    flags: StatusFlag | None = NO_FLAGS,
    voltages: tuple[Value | None, ...] = (230.0, 230.5, 229.5),
    frequency: Value | None = 50.0,
    mains: tuple[Value, ...] | None = None,
    mains_frequency: Value | None = None,
    currents: Mapping[str, Value] | None = None,
    alarms: tuple[Alarm, ...] | None = QUIET_ALARMS,
    supported: frozenset[int] = frozenset(),
) -> GeneratorState:
    """A hand-built poll; by default a healthy set running in Manual."""
    values: dict[str, Value] = {}
    for n, volts in enumerate(voltages, start=1):
        if volts is not None:  # None: the phase is not in this poll
            values[f"generator_voltage_l{n}_n"] = volts
    if frequency is not None:
        values["generator_frequency"] = frequency
    for n, volts in enumerate(mains or (), start=1):
        values[f"mains_voltage_l{n}_n"] = volts
    if mains_frequency is not None:
        values["mains_frequency"] = mains_frequency
    values |= currents or {}
    return GeneratorState(
        mode=mode,
        engine=engine,
        flags=flags,
        values=values,
        alarms=alarms,
        supported_functions=supported,
    )


def refusal(
    command: Command, state: GeneratorState, interlocks: Interlocks = OPEN
) -> CommandRefusedError:
    """The refusal `check` raises; fails the test if the command is allowed."""
    with pytest.raises(CommandRefusedError) as info:
        check(command, state, interlocks)
    assert info.value.command is command
    return info.value


STOPPED = generator(engine=EngineState.STOPPED, voltages=(0.0, 0.0, 0.0), frequency=0.0)


# Starting.
@pytest.mark.parametrize("mode", [ControlMode.STOP, ControlMode.OFF])
def test_start_in_stop_mode_is_refused(mode: ControlMode) -> None:
    err = refusal(Command.START, generator(mode=mode, engine=EngineState.STOPPED))
    assert err.reason is RefusalReason.STOP_MODE


@pytest.mark.parametrize(
    "condition",
    [
        AlarmCondition.SHUTDOWN,
        AlarmCondition.ELECTRICAL_TRIP,
        AlarmCondition.CONTROLLED_SHUTDOWN,
    ],
)
def test_start_with_a_shutdown_class_alarm_names_the_alarm(
    condition: AlarmCondition,
) -> None:
    alarms = (
        Alarm("emergency_stop", AlarmCondition.NOT_ACTIVE),
        Alarm("low_oil_pressure", condition),
    )
    err = refusal(Command.START, generator(engine=EngineState.STOPPED, alarms=alarms))
    assert err.reason is RefusalReason.SHUTDOWN_ALARM
    assert err.detail == "low_oil_pressure"
    assert str(err) == "start refused: shutdown_alarm (low_oil_pressure)"


def test_start_refusal_lists_every_shutdown_alarm() -> None:
    alarms = (
        Alarm("emergency_stop", AlarmCondition.SHUTDOWN),
        Alarm("low_oil_pressure", AlarmCondition.SHUTDOWN),
        Alarm("low_fuel_level", AlarmCondition.WARNING),
    )
    err = refusal(Command.START, generator(engine=EngineState.STOPPED, alarms=alarms))
    assert err.detail == "emergency_stop, low_oil_pressure"


@pytest.mark.parametrize(
    "flag",
    [StatusFlag.SHUTDOWN, StatusFlag.ELECTRICAL_TRIP, StatusFlag.CONTROLLED_SHUTDOWN],
)
def test_start_with_only_the_status_flag_is_refused(flag: StatusFlag) -> None:
    # The alarm page was not read this poll; the status flag alone must stop us.
    state = generator(engine=EngineState.STOPPED, flags=flag, alarms=None)
    err = refusal(Command.START, state)
    assert err.reason is RefusalReason.SHUTDOWN_ALARM
    assert err.detail == "status flag"


def test_test_on_load_is_refused_with_a_shutdown_alarm() -> None:
    alarms = (Alarm("emergency_stop", AlarmCondition.SHUTDOWN),)
    state = generator(mode=ControlMode.STOP, engine=EngineState.STOPPED, alarms=alarms)
    err = refusal(Command.SELECT_TEST_ON_LOAD, state)
    assert err.reason is RefusalReason.SHUTDOWN_ALARM


def test_a_warning_does_not_block_a_start() -> None:
    # Low fuel is a reason to refuel, not to refuse running the set.
    alarms = (Alarm("low_fuel_level", AlarmCondition.WARNING),)
    state = generator(
        engine=EngineState.STOPPED, flags=StatusFlag.WARNING, alarms=alarms
    )
    assert check(Command.START, state, OPEN) is ControlKey.START_ENGINE


@pytest.mark.parametrize(
    "mode", [ControlMode.USER_CONFIGURATION, ControlMode.AUTO_MANUAL_RESTORE]
)
def test_start_in_a_mode_that_cannot_start_is_refused(mode: ControlMode) -> None:
    err = refusal(Command.START, generator(mode=mode, engine=EngineState.STOPPED))
    assert err.reason is RefusalReason.WRONG_MODE
    assert err.detail == mode.name


# Key choice per mode (K051): the words written are what the controller acts on.
@pytest.mark.parametrize(
    ("command", "mode", "key", "words"),
    [
        (Command.START, ControlMode.AUTO, ControlKey.TELEMETRY_START, [35732, 29803]),
        (Command.START, ControlMode.MANUAL, ControlKey.START_ENGINE, [35705, 29830]),
        (
            Command.START,
            ControlMode.TEST_ON_LOAD,
            ControlKey.START_ENGINE,
            [35705, 29830],
        ),
        (
            Command.STOP,
            ControlMode.AUTO,
            ControlKey.CANCEL_TELEMETRY_START,
            [35733, 29802],
        ),
        (Command.STOP, ControlMode.MANUAL, ControlKey.SELECT_STOP, [35700, 29835]),
        (Command.SELECT_AUTO, ControlMode.STOP, ControlKey.SELECT_AUTO, [35701, 29834]),
        (
            Command.RESET_ALARMS,
            ControlMode.AUTO,
            ControlKey.RESET_ALARMS_BUTTON,
            [35707, 29828],
        ),
        (Command.MUTE_ALARM, ControlMode.AUTO, ControlKey.MUTE_ALARM, [35706, 29829]),
    ],
)
def test_key_depends_on_the_mode(
    command: Command, mode: ControlMode, key: ControlKey, words: list[int]
) -> None:
    state = generator(mode=mode, engine=EngineState.STOPPED)
    assert key_for(command, state) is key
    assert check(command, state, OPEN) is key
    assert control_words(check(command, state, OPEN)) == words


# Transfer to the generator.
@pytest.mark.parametrize(
    "state",
    [
        pytest.param(STOPPED, id="stopped"),
        pytest.param(generator(engine=EngineState.WARMING_UP), id="warming-up"),
        pytest.param(generator(engine=None), id="engine-state-unknown"),
        pytest.param(generator(voltages=(190.0, 190.0, 190.0)), id="190V"),
        pytest.param(generator(voltages=(230.0, 190.0, 230.0)), id="one-phase-190V"),
        pytest.param(generator(voltages=(206.9, 230.0, 230.0)), id="206.9V"),
        pytest.param(generator(voltages=(253.1, 230.0, 230.0)), id="253.1V"),
        pytest.param(generator(frequency=45.0), id="45Hz"),
        pytest.param(generator(frequency=47.9), id="47.9Hz"),
        pytest.param(generator(frequency=52.1), id="52.1Hz"),
        pytest.param(generator(frequency=None), id="frequency-not-read"),
        pytest.param(
            generator(frequency=Unavailable.BAD_DATA), id="frequency-bad-data"
        ),
        pytest.param(
            generator(voltages=(230.0, Unavailable.BAD_DATA, 230.0)),
            id="phase-bad-data",
        ),
        pytest.param(
            generator(voltages=(230.0, 230.0, Unavailable.TRANSDUCER_FAULT)),
            id="phase-transducer-fault",
        ),
        pytest.param(
            generator(voltages=(Unavailable.OVER_RANGE, 230.0, 230.0)),
            id="phase-over-range",
        ),
        pytest.param(generator(voltages=()), id="no-voltages-read"),
        pytest.param(
            generator(voltages=(Unavailable.NOT_AVAILABLE,) * 3),
            id="no-phase-implemented",
        ),
    ],
)
def test_transfer_to_generator_needs_it_running_in_band(state: GeneratorState) -> None:
    err = refusal(Command.TRANSFER_TO_GENERATOR, state)
    assert err.reason is RefusalReason.NOT_RUNNING_IN_BAND


@pytest.mark.parametrize(
    "state",
    [
        pytest.param(generator(), id="230V-50Hz"),
        pytest.param(generator(voltages=(207.0, 253.0, 230.0)), id="voltage-edges"),
        pytest.param(generator(frequency=48.0), id="48.0Hz"),
        pytest.param(generator(frequency=52.0), id="52.0Hz"),
        pytest.param(
            generator(voltages=(230.0, Unavailable.NOT_AVAILABLE, None)),
            id="single-phase-set",
        ),
    ],
)
def test_transfer_to_generator_when_running_in_band(state: GeneratorState) -> None:
    assert check(Command.TRANSFER_TO_GENERATOR, state, OPEN) is (
        ControlKey.TRANSFER_TO_GENERATOR
    )


def test_site_limits_narrow_the_generator_band() -> None:
    narrow = Interlocks(generator_limits=BandLimits(220.0, 240.0, 49.0, 51.0))
    state = generator(voltages=(215.0, 230.0, 230.0))
    assert check(Command.TRANSFER_TO_GENERATOR, state, OPEN)
    err = refusal(Command.TRANSFER_TO_GENERATOR, state, narrow)
    assert err.reason is RefusalReason.NOT_RUNNING_IN_BAND


# Transfer back to the mains.
def test_transfer_to_mains_during_a_power_cut_is_refused() -> None:
    state = generator(mains=(0.0, 0.0, 0.0), mains_frequency=0.0)
    err = refusal(Command.TRANSFER_TO_MAINS, state)
    assert err.reason is RefusalReason.MAINS_NOT_AVAILABLE


def test_transfer_to_mains_when_mains_is_back() -> None:
    state = generator(mains=(231.0, 229.0, 230.0), mains_frequency=50.0)
    assert check(Command.TRANSFER_TO_MAINS, state, OPEN) is ControlKey.TRANSFER_TO_MAINS


def test_transfer_to_mains_needs_a_mains_known_to_be_there() -> None:
    """Unknown is not good enough to put the load on (it passed before)."""
    state = generator(
        mains=(Unavailable.NOT_AVAILABLE,) * 3,
        mains_frequency=Unavailable.NOT_AVAILABLE,
    )
    with pytest.raises(CommandRefusedError) as refused:
        check(Command.TRANSFER_TO_MAINS, state, OPEN)
    assert refused.value.reason is RefusalReason.MAINS_NOT_AVAILABLE
    assert refused.value.detail == "unknown"
    # A separate transfer switch that sees the mains is witness enough.
    witnessed = replace(OPEN, site_mains=True)
    assert check(Command.TRANSFER_TO_MAINS, state, witnessed) is (
        ControlKey.TRANSFER_TO_MAINS
    )


# The maintenance lock.
@pytest.mark.parametrize(
    "command",
    [
        Command.START,
        Command.SELECT_AUTO,
        Command.SELECT_MANUAL,
        Command.SELECT_TEST_ON_LOAD,
        Command.TRANSFER_TO_GENERATOR,
        Command.TRANSFER_TO_MAINS,
    ],
)
def test_maintenance_lock_refuses_anything_that_starts_or_moves_load(
    command: Command,
) -> None:
    # Every other interlock would let these through.
    state = generator(mains=(230.0, 230.0, 230.0), mains_frequency=50.0)
    check(command, state, OPEN)
    err = refusal(command, state, MAINTENANCE)
    assert err.reason is RefusalReason.MAINTENANCE_LOCK


@pytest.mark.parametrize(
    ("command", "key"),
    [
        (Command.STOP, ControlKey.SELECT_STOP),
        (Command.SELECT_STOP, ControlKey.SELECT_STOP),
        (Command.MUTE_ALARM, ControlKey.MUTE_ALARM),
    ],
)
def test_maintenance_lock_still_lets_the_technician_make_it_safe(
    command: Command, key: ControlKey
) -> None:
    alarms = (Alarm("emergency_stop", AlarmCondition.SHUTDOWN),)
    state = generator(flags=StatusFlag.SHUTDOWN, alarms=alarms)
    assert check(command, state, MAINTENANCE) is key


# Unknown status.
@pytest.mark.parametrize("command", list(Command))
def test_unknown_status_refuses_everything(command: Command) -> None:
    state = GeneratorState(mode=None, engine=None, flags=None)
    err = refusal(command, state)
    assert err.reason is RefusalReason.STATUS_UNKNOWN


# The controller's map of supported functions.
def test_a_key_the_controller_does_not_support_is_not_sent() -> None:
    # A unit that lists keys 0-9 but not telemetry start (32).
    supported = frozenset(range(10))
    state = generator(
        mode=ControlMode.AUTO, engine=EngineState.STOPPED, supported=supported
    )
    err = refusal(Command.START, state)
    assert err.reason is RefusalReason.NOT_SUPPORTED
    assert err.detail == "TELEMETRY_START"
    # The same unit in Manual starts with key 5, which it lists.
    manual = generator(engine=EngineState.STOPPED, supported=supported)
    assert check(Command.START, manual, OPEN) is ControlKey.START_ENGINE


def test_an_unread_supported_map_does_not_block_commands() -> None:
    state = generator(mode=ControlMode.AUTO, engine=EngineState.STOPPED)
    assert check(Command.START, state, OPEN) is ControlKey.TELEMETRY_START


# Verification on later polls.
@pytest.mark.parametrize(
    ("command", "mode", "done"),
    [
        (Command.SELECT_AUTO, ControlMode.AUTO, True),
        (Command.SELECT_AUTO, ControlMode.MANUAL, False),
        (Command.SELECT_STOP, ControlMode.STOP, True),
        (Command.SELECT_MANUAL, ControlMode.MANUAL, True),
        (Command.SELECT_TEST_ON_LOAD, ControlMode.TEST_ON_LOAD, True),
    ],
)
def test_mode_change_is_followed_when_the_mode_reads_back(
    command: Command, mode: ControlMode, done: bool
) -> None:
    assert followed(command, generator(mode=mode)) is done


@pytest.mark.parametrize(
    ("engine", "done"),
    [
        (EngineState.STOPPED, False),
        (EngineState.PRE_START, True),
        (EngineState.WARMING_UP, True),
        (EngineState.RUNNING, True),
    ],
)
def test_start_is_followed_once_the_engine_cranks(
    engine: EngineState, done: bool
) -> None:
    assert followed(Command.START, generator(engine=engine)) is done


@pytest.mark.parametrize(
    ("mode", "engine", "done"),
    [
        (ControlMode.AUTO, EngineState.RUNNING, False),
        (ControlMode.AUTO, EngineState.COOLING_DOWN, True),
        (ControlMode.AUTO, EngineState.STOPPED, True),
        (ControlMode.STOP, EngineState.RUNNING, True),
    ],
)
def test_stop_is_followed_by_cool_down_or_stop_mode(
    mode: ControlMode, engine: EngineState, done: bool
) -> None:
    assert followed(Command.STOP, generator(mode=mode, engine=engine)) is done


def test_reset_is_followed_when_no_shutdown_alarm_remains() -> None:
    latched = (Alarm("emergency_stop", AlarmCondition.SHUTDOWN),)
    assert followed(Command.RESET_ALARMS, generator(alarms=latched)) is False
    assert followed(Command.RESET_ALARMS, generator()) is True


GEN_LOAD = {"generator_current_l1": 10.0, "mains_current_l1": 0.0}
MAINS_LOAD = {"generator_current_l1": 0.0, "mains_current_l1": 12.5}
NO_LOAD = {"generator_current_l1": 0.0, "mains_current_l1": 0.0}


@pytest.mark.parametrize(
    ("command", "currents", "done"),
    [
        (Command.TRANSFER_TO_GENERATOR, GEN_LOAD, True),
        (Command.TRANSFER_TO_GENERATOR, MAINS_LOAD, False),
        (Command.TRANSFER_TO_GENERATOR, NO_LOAD, None),
        (Command.TRANSFER_TO_MAINS, MAINS_LOAD, True),
        (Command.TRANSFER_TO_MAINS, GEN_LOAD, False),
        (Command.TRANSFER_TO_MAINS, NO_LOAD, None),
    ],
)
def test_transfer_is_told_by_where_current_flows(
    command: Command, currents: dict[str, Value], done: bool | None
) -> None:
    assert followed(command, generator(currents=currents)) is done


@pytest.mark.parametrize("currents", [GEN_LOAD, MAINS_LOAD, NO_LOAD])
def test_mute_cannot_be_verified_and_is_never_reported_as_failed(
    currents: dict[str, Value],
) -> None:
    # No register shows the horn; a mute with load on must not time out as
    # "not followed" (it used to be judged by where the load current flowed).
    assert followed(Command.MUTE_ALARM, generator(currents=currents)) is None


@pytest.mark.parametrize(
    ("mode", "allowed"),
    [
        (ControlMode.STOP, True),
        (ControlMode.AUTO, False),
        (ControlMode.MANUAL, False),
        (ControlMode.TEST_ON_LOAD, False),
    ],
)
def test_reset_under_the_lock_only_in_stop(mode: ControlMode, allowed: bool) -> None:
    """In Auto a reset can let the controller start by itself; in Stop it cannot."""
    state = generator(mode=mode)
    locked = replace(OPEN, maintenance=True)
    if allowed:
        assert check(Command.RESET_ALARMS, state, locked) is (
            ControlKey.RESET_ALARMS_BUTTON
        )
        return
    with pytest.raises(CommandRefusedError) as refused:
        check(Command.RESET_ALARMS, state, locked)
    assert refused.value.reason is RefusalReason.MAINTENANCE_LOCK
