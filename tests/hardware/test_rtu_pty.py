"""The client over Modbus RTU on a pty line, as sites wire a controller.

The simulator's devices answer through pymodbus's RTU serial server on one
end of `simulator.serial_link.SerialLine`; the client opens the other end
through its normal serial path (pyserial, pymodbus's RTU framer, CRC). The
line breaks as wires do: cut, noisy, garbage bursts, a port at the wrong baud
rate. Whatever it does, a value the client reports is the true one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import random

from pymodbus.framer import FramerRTU
import pytest

from custom_components.sot_point.hardware.client import (
    ConnectionSettings,
    ModbusConnection,
    SerialEndpoint,
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
    DeviceTimeoutError,
    HardwareError,
)
from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    CONTROL_KEY_ADDRESS,
    ControlKey,
    control_words,
)
from custom_components.sot_point.hardware.state import (
    ControlMode,
    EngineState,
    GeneratorState,
)
from simulator.scenario import load_scenario
from simulator.serial_link import End, Framing, SerialLine, serve_rtu
from simulator.server import SimulatedSite

# Short timeouts keep a noisy line's tests quick; a late answer is a timeout,
# which may show as unavailable but never as a wrong value.
PATIENCE = ConnectionSettings(timeout=0.2, retries=2, backoff=0.0)
IMPATIENT = ConnectionSettings(timeout=0.1, retries=1, backoff=0.0)
EVERY_POLL = PollIntervals(instruments=0.0, totals=0.0)
BAUD_RATES = [9600, 19200]


@pytest.fixture
def sim() -> SimulatedSite:
    """A site at rest on mains, time stepped by the test, no TCP listener."""
    scenario = load_scenario("normal")
    return SimulatedSite(scenario.build(None, 0), scenario=scenario, speed=0)


@pytest.fixture(params=BAUD_RATES, ids=lambda baud: f"{baud}_8N1")
async def line(
    request: pytest.FixtureRequest, sim: SimulatedSite
) -> AsyncIterator[SerialLine]:
    """The site's devices on an RS-485 line at 9600 or 19200 baud, 8N1."""
    async with serve_rtu(sim, Framing(request.param)) as serial_line:
        yield serial_line


async def _controller(
    sim: SimulatedSite,
    line: SerialLine,
    baudrate: int | None = None,
    settings: ConnectionSettings = PATIENCE,
) -> DseController:
    """A controller read through the client's normal serial path."""
    endpoint = SerialEndpoint(line.device, baudrate or line.framing.baudrate)
    connection = ModbusConnection(endpoint, settings)
    return DseController(connection, sim.site.config.units.dse, EVERY_POLL)


async def test_identity_and_values_over_rtu(
    sim: SimulatedSite, line: SerialLine
) -> None:
    """A 7320 MKII with the site's serial, in Auto, mains at about 230 V."""
    controller = await _controller(sim, line)
    identity = await controller.connect()
    assert identity.model == "DSE7320 MKII"
    assert identity.serial == str(sim.site.config.serial_number)
    state = await controller.poll()
    assert state.mode is ControlMode.AUTO
    assert state.engine is EngineState.STOPPED
    mains = state.number("mains_voltage_l1_n")
    assert mains is not None
    assert 225 <= mains <= 235
    assert state.alarms is not None
    assert state.active_alarms == ()
    await controller.connection.close()


async def test_frames_on_the_wire_are_rtu_adus(
    sim: SimulatedSite, line: SerialLine
) -> None:
    """Each request is unit + PDU + CRC: an FC03 read is 8 bytes on the wire."""
    controller = await _controller(sim, line)
    await controller.connect()
    line.recording = True
    await controller.poll()
    requests = [f.data for f in line.frames if f.sender is End.CLIENT]
    answers = [f.data for f in line.frames if f.sender is End.CONTROLLER]
    assert len(requests) == len(answers) > 0
    assert all(len(frame) == 8 for frame in requests)
    for frame in requests + answers:
        assert frame[0] == sim.site.config.units.dse
        crc = int.from_bytes(frame[-2:], "big")
        assert FramerRTU.check_CRC(frame[:-2], crc)
    # FC03's answer: unit, function, byte count, 2 per register, CRC.
    for request, answer in zip(requests, answers, strict=True):
        count = int.from_bytes(request[4:6], "big")
        assert len(answer) == 5 + 2 * count
    await controller.connection.close()


async def test_start_over_rtu_is_sent_once_and_verified(
    sim: SimulatedSite, line: SerialLine
) -> None:
    """In Manual, start writes one key over the line; the engine starts."""
    sim.site.set_mode(ControlMode.MANUAL)
    controller = await _controller(sim, line)
    runner = CommandRunner(controller, verify_timeout=2, verify_interval=0.05)
    seen: list[GeneratorState] = []

    def step(polled: GeneratorState) -> None:
        seen.append(polled)
        sim.advance(1.0)

    assert await runner.execute(Command.START, Interlocks(), step) is True
    assert [w.values for w in sim.writes] == [control_words(ControlKey.START_ENGINE)]
    assert seen[-1].engine in (EngineState.PRE_START, EngineState.RUNNING)
    await controller.connection.close()


async def test_refused_start_over_rtu_writes_nothing(
    sim: SimulatedSite, line: SerialLine
) -> None:
    """In Stop the interlock refuses a start before anything is on the line."""
    sim.site.set_mode(ControlMode.STOP)
    controller = await _controller(sim, line)
    line.recording = True
    runner = CommandRunner(controller, verify_timeout=1, verify_interval=0.05)
    with pytest.raises(CommandRefusedError) as refused:
        await runner.execute(Command.START, Interlocks())
    assert refused.value.reason is RefusalReason.STOP_MODE
    assert sim.writes == []
    # Only reads crossed the line: function code 3 in every request.
    assert {f.data[1] for f in line.frames if f.sender is End.CLIENT} == {3}
    await controller.connection.close()


async def test_a_cut_line_is_no_answer_and_polling_recovers(
    sim: SimulatedSite, line: SerialLine
) -> None:
    """Broken pair: the poll fails (nothing shown), and reads again once mended."""
    controller = await _controller(sim, line)
    clean = await controller.poll()
    line.cut()
    with pytest.raises(DeviceTimeoutError):
        await controller.poll()
    assert controller.state().values == {}
    assert controller.state().mode is None
    line.mend()
    assert (await controller.poll()).values == clean.values
    assert line.counts["lost"] > 0
    await controller.connection.close()


def _same_or_missing(state: GeneratorState, clean: GeneratorState) -> None:
    """Every value shown is the clean one; a missing value is allowed."""
    if state.mode is not None:
        assert state.mode is clean.mode
    if state.engine is not None:
        assert state.engine is clean.engine
    for key, value in state.values.items():
        assert value == clean.values[key], key
    if state.alarms is not None:
        assert state.alarms == clean.alarms


async def test_noise_never_shows_a_wrong_value_and_polling_recovers(
    sim: SimulatedSite, line: SerialLine
) -> None:
    """24 full polls with 15 % of frames hit (CRC errors, garbage bursts).

    The site stands still, so every value a poll reports must equal the clean
    reading. Once the noise stops, the second poll at the latest is whole.
    """
    controller = await _controller(sim, line, settings=IMPATIENT)
    clean = await controller.poll()
    line.noise(0.15)
    answered = 0
    for _ in range(24):
        try:
            state = await controller.poll()
        except HardwareError:
            continue
        _same_or_missing(state, clean)
        answered += 1
    line.noise(0.0)
    # Back to the usual patience: a busy test machine must not fail recovery.
    controller.connection.settings = PATIENCE
    await controller.connection.close()
    recovered = [await controller.poll() for _ in range(2)]
    assert line.counts["crc"] > 0
    assert line.counts["burst"] > 0
    assert answered > 0
    assert recovered[-1].values == clean.values
    assert recovered[-1].alarms == clean.alarms
    await controller.connection.close()


async def test_garbage_between_frames_is_ignored(
    sim: SimulatedSite, line: SerialLine
) -> None:
    """Bursts of random bytes toward either end, between polls: never a value."""
    controller = await _controller(sim, line)
    clean = await controller.poll()
    rng = random.Random(20)
    for round_number in range(12):
        burst = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        toward = End.CONTROLLER if round_number % 2 else End.CLIENT
        await line.inject(burst, toward)
        try:
            state = await controller.poll()
        except HardwareError:
            continue
        _same_or_missing(state, clean)
    assert (await controller.poll()).values == clean.values
    assert sim.writes == []
    await controller.connection.close()


async def test_a_control_key_with_a_bad_crc_is_not_acted_on(
    sim: SimulatedSite, line: SerialLine
) -> None:
    """A start key garbled on its way (CRC off by one bit): the set stays put."""
    sim.site.set_mode(ControlMode.MANUAL)
    unit = sim.site.config.units.dse
    words = control_words(ControlKey.START_ENGINE)
    pdu = bytes([unit, 16]) + CONTROL_KEY_ADDRESS.to_bytes(2, "big")
    pdu += (2).to_bytes(2, "big") + bytes([4])
    pdu += b"".join(word.to_bytes(2, "big") for word in words)
    crc = FramerRTU.compute_CRC(pdu) ^ 0x0001
    await line.inject(pdu + crc.to_bytes(2, "big"), End.CONTROLLER)
    controller = await _controller(sim, line)
    state = await controller.poll()
    assert sim.writes == []
    assert state.engine is EngineState.STOPPED
    # The same frame with its true CRC is a start: the check above can fail.
    await line.inject(pdu + (crc ^ 0x0001).to_bytes(2, "big"), End.CONTROLLER)
    await controller.poll()
    assert [w.values for w in sim.writes] == [words]
    await controller.connection.close()


async def test_a_port_at_the_wrong_baud_rate_reads_nothing(
    sim: SimulatedSite,
) -> None:
    """The adapter at 19200 on a 9600 line: no answer, never a value."""
    async with serve_rtu(sim, Framing(9600)) as line:
        controller = await _controller(sim, line, baudrate=19200)
        with pytest.raises(HardwareError):
            await controller.poll()
        assert line.counts["misframed"] > 0
        await controller.connection.close()

        right = await _controller(sim, line)
        assert (await right.poll()).mode is ControlMode.AUTO
        await right.connection.close()
