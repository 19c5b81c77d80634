"""The client against the real simulator on loopback: requests, errors, faults.

No part of pymodbus is faked here: the simulator is a pymodbus server and the
client a pymodbus client, so what passes here passes on a real wire.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from custom_components.sot_point.hardware.client import (
    ConnectionSettings,
    ModbusConnection,
    TcpEndpoint,
)
from custom_components.sot_point.hardware.commands import (
    Command,
    CommandRefusedError,
    CommandRunner,
    Interlocks,
    RefusalReason,
)
from custom_components.sot_point.hardware.devices import DseController, PollIntervals
from custom_components.sot_point.hardware.errors import (
    DeviceUnreachableError,
    ExceptionCode,
    HardwareError,
    ModbusExceptionError,
)
from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    CONTROL_KEY_ADDRESS,
    ControlKey,
    control_words,
)
from custom_components.sot_point.hardware.state import (
    AlarmCondition,
    ControlMode,
    EngineState,
    GeneratorState,
)
from simulator.faults import FaultKind
from simulator.server import SimulatedSite

pytestmark = pytest.mark.usefixtures("socket_enabled")

FAST = ConnectionSettings(timeout=0.25, retries=2, backoff=0.01)
EVERY_POLL = PollIntervals(instruments=0.0, totals=0.0)


@pytest.fixture
async def sim() -> AsyncIterator[SimulatedSite]:
    """A site at rest on mains, time stepped only by the test."""
    async with SimulatedSite.serve(scenario="normal", speed=0) as site:
        yield site


async def _controller(
    sim: SimulatedSite, intervals: PollIntervals = EVERY_POLL
) -> DseController:
    connection = ModbusConnection(TcpEndpoint("127.0.0.1", sim.port), FAST)
    controller = DseController(connection, sim.site.config.units.dse, intervals)
    await controller.connect()
    return controller


async def test_identity_and_values_match_the_site(sim: SimulatedSite) -> None:
    """The controller reads as a 7320 MKII with the site's serial and mains."""
    controller = await _controller(sim)
    assert controller.identity is not None
    assert controller.identity.model == "DSE7320 MKII"
    assert controller.identity.serial == str(sim.site.config.serial_number)
    state = await controller.poll()
    assert state.mode is ControlMode.AUTO
    assert state.engine is EngineState.STOPPED
    mains = state.number("mains_voltage_l1_n")
    assert mains is not None
    assert 225 <= mains <= 235
    assert state.mains_available(Interlocks().mains_limits) is True
    await controller.connection.close()


async def test_full_poll_takes_at_most_four_requests(sim: SimulatedSite) -> None:
    """Status, engine state, page 4 and the alarm page: four requests a poll.

    Page 4 carries the mains, so the fast cycle's mains block is not read too.
    """
    controller = await _controller(sim, PollIntervals(instruments=0.0, totals=3600))
    await controller.poll()  # the first poll also reads the totals once
    before = controller.connection.stats.requests
    await controller.poll()
    assert controller.connection.stats.requests - before <= 4
    assert controller.raw_blocks()["mains"] is None
    await controller.connection.close()


# Page 4 and the totals once, at the first poll; then only fast cycles.
FAST_CYCLE = PollIntervals(instruments=3600.0, totals=3600.0)


async def test_fast_cycle_sees_mains_loss_in_three_requests(
    sim: SimulatedSite,
) -> None:
    """Between full polls a poll is status, engine state and the mains block.

    The grid goes: the very next poll, three requests, says so, long before
    page 4 is due again.
    """
    controller = await _controller(sim, FAST_CYCLE)
    stats = controller.connection.stats
    limits = Interlocks().mains_limits
    assert (await controller.poll()).mains_available(limits) is True
    sim.site.lose_mains()

    before = stats.requests
    state = await controller.poll()
    assert stats.requests - before == 3
    assert state.mains_available(limits) is False
    assert state.number("mains_voltage_l1_n") == 0.0
    await controller.connection.close()


async def test_dropped_mains_answers_are_never_a_lost_mains(
    sim: SimulatedSite,
) -> None:
    """300 fast polls with 5 % faults on a live grid: never "mains lost".

    A dropped, refused, cut or short answer leaves the mains unknown for that
    poll (or fails the poll); it never decodes as 0 V.
    """
    connection = ModbusConnection(
        TcpEndpoint("127.0.0.1", sim.port),
        ConnectionSettings(timeout=0.05, retries=2, backoff=0.0),
    )
    controller = DseController(connection, sim.site.config.units.dse, FAST_CYCLE)
    limits = Interlocks().mains_limits
    await controller.poll()
    # Slow, but within the timeout: done before the test ends.
    sim.faults.slow_seconds = 0.02
    sim.faults.enable(rate=0.05)
    seen: dict[bool | None, int] = {}
    for _ in range(300):
        try:
            state = await controller.poll()
        except HardwareError:
            continue
        verdict = state.mains_available(limits)
        seen[verdict] = seen.get(verdict, 0) + 1
    sim.faults.disable()
    assert sum(sim.faults.counts.values()) > 0
    assert False not in seen
    assert seen[True] > 0
    await connection.close()


async def test_controller_exceptions_are_typed(sim: SimulatedSite) -> None:
    """A bad complement is exception 7; a start under a shutdown alarm is 8."""
    controller = await _controller(sim)
    connection = controller.connection
    unit = sim.site.config.units.dse
    with pytest.raises(ModbusExceptionError) as bad:
        await connection.write_registers(unit, CONTROL_KEY_ADDRESS, [35701, 1])
    assert bad.value.meaning is ExceptionCode.ILLEGAL_VALUE_WRITTEN

    sim.site.set_mode(ControlMode.MANUAL)
    sim.site.inject_alarm("low_oil_pressure", AlarmCondition.SHUTDOWN)
    with pytest.raises(ModbusExceptionError) as refused:
        await connection.write_registers(
            unit, CONTROL_KEY_ADDRESS, control_words(ControlKey.START_ENGINE)
        )
    assert refused.value.meaning is ExceptionCode.INAPPROPRIATE_CIRCUMSTANCES
    assert "circumstances" in str(refused.value)
    await connection.close()


async def test_unknown_unit_and_closed_port(sim: SimulatedSite) -> None:
    """A silent unit behind the gateway and a closed port give distinct errors."""
    connection = ModbusConnection(TcpEndpoint("127.0.0.1", sim.port), FAST)
    with pytest.raises(ModbusExceptionError) as gateway:
        await DseController(connection, 99).connect()
    assert gateway.value.meaning is ExceptionCode.GATEWAY_NO_RESPONSE
    await connection.close()

    nothing = ModbusConnection(TcpEndpoint("127.0.0.1", 1), FAST)
    with pytest.raises(DeviceUnreachableError):
        await DseController(nothing).connect()


@pytest.mark.parametrize(
    ("setup", "command", "reason"),
    [
        ("stop_mode", Command.START, RefusalReason.STOP_MODE),
        ("shutdown_alarm", Command.START, RefusalReason.SHUTDOWN_ALARM),
        ("stopped", Command.TRANSFER_TO_GENERATOR, RefusalReason.NOT_RUNNING_IN_BAND),
        ("maintenance", Command.SELECT_MANUAL, RefusalReason.MAINTENANCE_LOCK),
    ],
)
async def test_refused_commands_write_nothing(
    sim: SimulatedSite, setup: str, command: Command, reason: RefusalReason
) -> None:
    """An interlock refusal names its reason and never reaches the device."""
    if setup == "stop_mode":
        sim.site.set_mode(ControlMode.STOP)
    elif setup == "shutdown_alarm":
        sim.site.set_mode(ControlMode.MANUAL)
        sim.site.inject_alarm("emergency_stop", AlarmCondition.SHUTDOWN)
    controller = await _controller(sim)
    runner = CommandRunner(controller, verify_timeout=1, verify_interval=0.05)
    with pytest.raises(CommandRefusedError) as refused:
        await runner.execute(command, Interlocks(maintenance=setup == "maintenance"))
    assert refused.value.reason is reason
    assert sim.writes == []
    await controller.connection.close()


async def test_start_is_sent_once_and_verified(sim: SimulatedSite) -> None:
    """In Manual, start writes one key and the next polls show the engine starting."""
    sim.site.set_mode(ControlMode.MANUAL)
    controller = await _controller(sim)
    runner = CommandRunner(controller, verify_timeout=2, verify_interval=0.05)
    seen: list[GeneratorState] = []

    def step(polled: GeneratorState) -> None:
        seen.append(polled)
        sim.advance(1.0)

    assert await runner.execute(Command.START, Interlocks(), step) is True
    assert [w.values for w in sim.writes] == [control_words(ControlKey.START_ENGINE)]
    assert seen[-1].engine in (EngineState.PRE_START, EngineState.RUNNING)
    await controller.connection.close()


async def test_faults_never_show_wrong_values_and_polling_recovers(
    sim: SimulatedSite,
) -> None:
    """5,000 full polls with 5 % injected faults.

    The site stands still (speed 0), so every value a poll reports must equal
    the clean reading: a value from a dropped, refused, cut or corrupted read
    must never be shown as current. After the faults stop, the second poll at
    the latest is whole again.
    """
    connection = ModbusConnection(
        TcpEndpoint("127.0.0.1", sim.port),
        ConnectionSettings(timeout=0.05, retries=2, backoff=0.0),
    )
    controller = DseController(connection, sim.site.config.units.dse, EVERY_POLL)
    clean = await controller.poll()
    # A slow answer that still comes within the timeout: it must be accepted.
    sim.faults.slow_seconds = 0.02
    sim.faults.enable(rate=0.05)
    polls, failed_polls, partial_polls, unhandled = 5000, 0, 0, 0
    for _ in range(polls):
        try:
            state = await controller.poll()
        except HardwareError:
            failed_polls += 1
            continue
        except Exception:
            unhandled += 1
            continue
        assert state.mode is clean.mode
        assert state.engine is clean.engine
        for key, value in state.values.items():
            assert value == clean.values[key], key
        if state.alarms is not None:
            assert state.alarms == clean.alarms
        partial_polls += len(state.values) < len(clean.values)
    sim.faults.disable()
    injected = dict(sim.faults.counts)

    recovered = [await controller.poll() for _ in range(2)]
    assert unhandled == 0
    assert sum(injected.values()) > 0.04 * polls * 4 * 0.5
    assert set(injected) == set(FaultKind)
    assert recovered[-1].values == clean.values
    assert recovered[-1].alarms == clean.alarms
    print(
        f"fault injection: {polls} polls, faults {injected}, failed polls "
        f"{failed_polls}, partial polls {partial_polls}, unhandled {unhandled}"
    )
    await controller.connection.close()
