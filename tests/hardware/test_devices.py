"""Device readers and the command runner over an in-memory register map.

No network: the connection is replaced by a map of hand-written registers, so
these tests show what a poll makes of the words a controller sends.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from custom_components.sot_point.hardware.client import ModbusConnection, TcpEndpoint
from custom_components.sot_point.hardware.commands import (
    Command,
    CommandRefusedError,
    CommandRunner,
    Interlocks,
    RefusalReason,
    check,
)
from custom_components.sot_point.hardware.devices import (
    DseController,
    IoModule,
    PollIntervals,
)
from custom_components.sot_point.hardware.errors import (
    DeviceTimeoutError,
    HardwareError,
    ModbusExceptionError,
    NotDseControllerError,
)
from custom_components.sot_point.hardware.profiles.generic_io import IoModuleConfig
from custom_components.sot_point.hardware.registers import Block, Unavailable
from custom_components.sot_point.hardware.state import (
    DEFAULT_MAINS_LIMITS,
    AlarmCondition,
    ControlMode,
    EngineState,
    StatusFlag,
)

HOLDING, INPUT, COILS = 3, 4, 1


class FakeConnection(ModbusConnection):
    """Answers reads from a register map; unset holding registers read 0xFFFF."""

    def __init__(self, registers: dict[tuple[int, int], int]) -> None:
        """Never opened: the endpoint is only a label."""
        super().__init__(TcpEndpoint("192.0.2.1"))
        self.registers = registers
        self.refused: set[int] = set()
        # Addresses whose reads get no answer at all (a Modbus timeout).
        self.silent: set[int] = set()
        self.reads: list[Block] = []
        self.writes: list[tuple[int, int, list[int]]] = []
        self.on_write: Callable[[list[int]], None] | None = None

    async def read(self, device_id: int, block: Block) -> list[int]:
        """The block's words, or exception 2 for an address marked refused."""
        self.reads.append(block)
        if block.address in self.refused:
            raise ModbusExceptionError(2, block.function, block.address)
        if block.address in self.silent:
            raise DeviceTimeoutError(f"no answer at {block.address}")
        return [
            self.registers.get((block.function, a), 0xFFFF)
            for a in range(block.address, block.end)
        ]

    async def write_registers(
        self, device_id: int, address: int, values: list[int]
    ) -> None:
        """Record the write; let the test play the controller's reaction."""
        self.writes.append((device_id, address, list(values)))
        if self.on_write is not None:
            self.on_write(values)


def holding(start: int, words: list[int]) -> dict[tuple[int, int], int]:
    """Holding registers from `start` on."""
    return {(HOLDING, start + i): word for i, word in enumerate(words)}


def dse7320(
    *, mode: int = 2, engine: int = 3, flags: int = 0, slots: int = 80
) -> FakeConnection:
    """A DSE7320 MKII running in Manual at 230 V / 50 Hz, emergency stop latched."""
    registers = {
        **holding(768, [0x0001, 0x8049, 0x0001, 0xE240]),  # DSE, 32841, 123456
        **holding(772, [mode, 0xFFFF, flags]),
        **holding(1408, [engine]),
        **holding(1029, [0x0087, 0x05DC, 0x01F4]),  # 13.5 V, 1500 rpm, 50.0 Hz
        **holding(1032, [0, 0x08FC, 0, 0x08FC, 0, 0x08FC]),  # 230.0 V x 3
        **holding(1044, [0, 0x0064]),  # 10.0 A on L1
        **holding(4096, [0xC000 | 0x3FFF, 0, 0xC000, 0, 0, 0, 0, 0]),  # 0-15, 32, 33
        **holding(39424, [slots, 0x3121] + [0x1111] * 19),
    }
    return FakeConnection(registers)


async def test_connect_identifies_the_controller() -> None:
    controller = DseController(dse7320())
    identity = await controller.connect()
    assert identity.manufacturer == "Deep Sea Electronics"
    assert identity.model == "DSE7320 MKII"
    assert identity.serial == "123456"
    assert controller.supported_functions == frozenset({*range(16), 32, 33})


async def test_something_that_is_not_dse_is_rejected() -> None:
    connection = dse7320()
    connection.registers[(HOLDING, 768)] = 2
    with pytest.raises(NotDseControllerError):
        await DseController(connection).connect()


async def test_a_unit_without_the_functions_map_still_connects() -> None:
    connection = dse7320()
    connection.refused.add(4096)
    controller = DseController(connection)
    await controller.connect()
    assert controller.supported_functions == frozenset()


async def test_poll_reads_four_blocks_and_builds_the_state() -> None:
    connection = dse7320()
    controller = DseController(connection)
    await controller.connect()
    connection.reads.clear()
    state = await controller.poll()

    assert [(b.address, b.count) for b in connection.reads[:4]] == [
        (772, 3),
        (1408, 1),
        (1024, 66),
        (39424, 21),
    ]
    assert state.mode is ControlMode.MANUAL
    assert state.engine is EngineState.RUNNING
    assert state.flags == StatusFlag(0)
    assert state.values["battery_voltage"] == 13.5
    assert state.values["generator_frequency"] == 50.0
    assert state.generator_voltages() == [230.0, 230.0, 230.0]
    assert state.values["oil_pressure"] is Unavailable.NOT_AVAILABLE
    assert state.alarms is not None
    assert [(a.key, a.condition) for a in state.alarms[:4]] == [
        ("emergency_stop", AlarmCondition.SHUTDOWN),
        ("low_oil_pressure", AlarmCondition.NOT_ACTIVE),
        ("high_coolant_temperature", AlarmCondition.WARNING),
        ("low_coolant_temperature", AlarmCondition.NOT_ACTIVE),
    ]
    # The latched emergency stop read from 39425 blocks a start, by name.
    with pytest.raises(CommandRefusedError) as info:
        check(Command.START, state, Interlocks())
    assert info.value.detail == "emergency_stop"


# Page 4 only when a test says so: every poll after the first is a fast one.
FAST_CYCLE = PollIntervals(instruments=3600.0, totals=3600.0)
MAINS_GOOD = holding(1059, [500, 0, 2300, 0, 2300, 0, 2300])  # 50.0 Hz, 230.0 V
MAINS_DEAD = holding(1059, [0] * 7)


def _addresses(connection: FakeConnection) -> list[tuple[int, int]]:
    return [(b.address, b.count) for b in connection.reads]


async def test_fast_cycle_reads_status_engine_and_the_mains_block() -> None:
    connection = dse7320()
    connection.registers.update(MAINS_GOOD)
    controller = DseController(connection, intervals=FAST_CYCLE)
    await controller.poll()  # the first poll reads every group
    connection.reads.clear()

    state = await controller.poll()
    assert _addresses(connection) == [(772, 3), (1408, 1), (1059, 7)]
    assert state.mains_available(DEFAULT_MAINS_LIMITS) is True
    # Page 4's other values are still those of its last read.
    assert state.values["battery_voltage"] == 13.5


async def test_mains_lost_between_full_polls_shows_in_the_next_fast_one() -> None:
    connection = dse7320()
    connection.registers.update(MAINS_GOOD)
    controller = DseController(connection, intervals=FAST_CYCLE)
    assert (await controller.poll()).mains_available(DEFAULT_MAINS_LIMITS) is True

    connection.registers.update(MAINS_DEAD)
    state = await controller.poll()
    assert state.mains_available(DEFAULT_MAINS_LIMITS) is False
    assert state.values["mains_voltage_l1_n"] == 0.0
    assert state.values["mains_frequency"] == 0.0


async def test_a_full_poll_reads_the_mains_on_page_4_not_twice() -> None:
    connection = dse7320()
    connection.registers.update(MAINS_GOOD)
    controller = DseController(connection, intervals=PollIntervals(0.0, 3600.0))
    await controller.poll()
    connection.reads.clear()
    connection.registers.update(MAINS_DEAD)

    state = await controller.poll()
    assert _addresses(connection) == [(772, 3), (1408, 1), (1024, 66), (39424, 21)]
    assert state.mains_available(DEFAULT_MAINS_LIMITS) is False


async def test_page_4_read_after_a_fast_one_is_the_newer_mains() -> None:
    connection = dse7320()
    connection.registers.update(MAINS_DEAD)
    controller = DseController(connection, intervals=FAST_CYCLE)
    await controller.poll()
    assert (await controller.poll()).mains_available(DEFAULT_MAINS_LIMITS) is False

    connection.registers.update(MAINS_GOOD)  # the grid is back ...
    connection.reads.clear()
    # ... and a command reads page 4 afresh: its mains values count, not the
    # fast block's from the poll before.
    state = await controller.poll(fresh_instruments=True)
    assert (1059, 7) not in _addresses(connection)
    assert state.mains_available(DEFAULT_MAINS_LIMITS) is True


@pytest.mark.parametrize(
    "failure", ["refused", "silent"], ids=["modbus_exception", "timeout"]
)
async def test_a_failed_mains_read_is_unknown_mains_not_lost(failure: str) -> None:
    """No answer for the mains block: the mains is unknown, never "lost".

    Nor is page 4's older "mains good" shown in its place: it may be up to an
    instrument interval old.
    """
    connection = dse7320()
    connection.registers.update(MAINS_GOOD)
    controller = DseController(connection, intervals=FAST_CYCLE)
    await controller.poll()
    getattr(connection, failure).add(1059)

    state = await controller.poll()
    assert state.mode is ControlMode.MANUAL  # the controller answers otherwise
    assert state.mains_available(DEFAULT_MAINS_LIMITS) is None
    assert "mains_voltage_l1_n" not in state.values
    assert isinstance(controller.errors["mains"], HardwareError)

    getattr(connection, failure).discard(1059)
    state = await controller.poll()
    assert state.mains_available(DEFAULT_MAINS_LIMITS) is True
    assert "mains" not in controller.errors


async def test_a_silent_controller_raises_rather_than_reporting_mains() -> None:
    """No status answer: the poll fails, no snapshot says anything of the mains."""
    connection = dse7320()
    connection.registers.update(MAINS_GOOD)
    controller = DseController(connection, intervals=FAST_CYCLE)
    await controller.poll()
    connection.silent.update({772, 1408, 1059})
    with pytest.raises(DeviceTimeoutError):
        await controller.poll()
    assert controller.state().mains_available(DEFAULT_MAINS_LIMITS) is None


async def test_a_unit_reporting_fewer_alarm_slots_than_named_still_polls() -> None:
    # Register 39424 says 78 slots; the 73xx table names 80. The poll used to
    # fail with "zip() argument 2 is shorter than argument 1".
    controller = DseController(dse7320(slots=78))
    state = await controller.poll()
    assert state.alarms is not None
    assert len(state.alarms) == 78
    assert state.alarms[0].key == "emergency_stop"
    assert state.alarms[0].condition is AlarmCondition.SHUTDOWN


async def test_an_unreadable_mode_refuses_commands() -> None:
    controller = DseController(dse7320(mode=0xFFFF))
    state = await controller.poll()
    assert state.mode is None
    with pytest.raises(CommandRefusedError) as info:
        check(Command.STOP, state, Interlocks())
    assert info.value.reason is RefusalReason.STATUS_UNKNOWN


async def test_runner_writes_the_key_and_waits_for_the_engine() -> None:
    connection = dse7320(engine=0, slots=0)  # stopped, no alarm slots reported
    controller = DseController(connection)

    def controller_starts(words: list[int]) -> None:
        if words == [35705, 29830]:
            connection.registers[(HOLDING, 1408)] = 2  # warming up

    connection.on_write = controller_starts
    runner = CommandRunner(controller, verify_timeout=1.0, verify_interval=0.0)
    assert await runner.execute(Command.START, Interlocks()) is True
    assert connection.writes == [(10, 4104, [35705, 29830])]


async def test_runner_writes_nothing_for_a_refused_command() -> None:
    connection = dse7320(mode=0)  # Stop mode
    controller = DseController(connection)
    runner = CommandRunner(controller, verify_timeout=1.0, verify_interval=0.0)
    with pytest.raises(CommandRefusedError):
        await runner.execute(Command.START, Interlocks())
    assert connection.writes == []


async def test_mute_with_load_on_is_not_reported_as_failed() -> None:
    connection = dse7320()  # 10 A flowing from the generator
    controller = DseController(connection)
    runner = CommandRunner(controller, verify_timeout=1.0, verify_interval=0.0)
    assert await runner.execute(Command.MUTE_ALARM, Interlocks()) is None
    assert connection.writes == [(10, 4104, [35706, 29829])]


@pytest.mark.parametrize(
    ("raw_level", "raw_temperature", "fault", "tank_litres", "room"),
    [
        (12000, 0x00E6, None, 500.0, 23.0),
        (8000, 0xFF9C, None, 250.0, -10.0),
        (3500, 0x00E6, "wire_break", None, 23.0),
        (21500, 0x00E6, "short_circuit", None, 23.0),
    ],
)
async def test_io_module_poll(
    raw_level: int,
    raw_temperature: int,
    fault: str | None,
    tank_litres: float | None,
    room: float,
) -> None:
    connection = FakeConnection(
        {(INPUT, 0): raw_level, (INPUT, 1): raw_temperature, (COILS, 0): 1}
    )
    state = await IoModule(connection, IoModuleConfig()).poll()
    assert state.tank_current_ma == raw_level / 1000
    assert state.tank_fault == fault
    assert state.tank_litres == tank_litres
    assert state.room_temperature == room
    assert state.heater_on is True
