"""Heater relay writes and command verification against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from custom_components.sot_point.hardware.client import (
    ConnectionSettings,
    ModbusConnection,
    TcpEndpoint,
)
from custom_components.sot_point.hardware.commands import (
    Command,
    CommandNotFollowedError,
    CommandRefusedError,
    CommandRunner,
    Interlocks,
    RefusalReason,
)
from custom_components.sot_point.hardware.devices import (
    DseController,
    IoModule,
    PollIntervals,
)
from custom_components.sot_point.hardware.errors import WrongDeviceError
from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    ControlKey,
    control_words,
)
from custom_components.sot_point.hardware.profiles.generic_io import (
    IoModuleConfig,
    RelayKind,
)
from custom_components.sot_point.hardware.state import AlarmCondition
from simulator.config import SiteConfig
from simulator.server import SimulatedSite, WriteRecord

pytestmark = pytest.mark.usefixtures("socket_enabled")

FAST = ConnectionSettings(timeout=0.25, retries=1, backoff=0.01)
TANK = 200.0  # the simulator's tank


COIL = IoModuleConfig(tank_capacity_l=TANK)
REGISTER = IoModuleConfig(
    tank_capacity_l=TANK, relay_kind=RelayKind.HOLDING_REGISTER, relay_address=7
)


@pytest.fixture
async def sim() -> AsyncIterator[SimulatedSite]:
    """A site whose I/O module has the heater on coil 0."""
    config = SiteConfig(io=COIL)
    async with SimulatedSite.serve(scenario="normal", speed=0, config=config) as site:
        yield site


@pytest.fixture
async def register_sim() -> AsyncIterator[SimulatedSite]:
    """A site whose I/O module has the heater on holding register 7."""
    config = SiteConfig(io=REGISTER)
    async with SimulatedSite.serve(scenario="normal", speed=0, config=config) as site:
        yield site


def _relay(sim: SimulatedSite) -> bool:
    """Whether the simulated heater relay is closed now."""
    return sim.site.heater_relay


def _module(sim: SimulatedSite, config: IoModuleConfig) -> IoModule:
    connection = ModbusConnection(TcpEndpoint("127.0.0.1", sim.port), FAST)
    return IoModule(connection, config, sim.site.config.units.io or 1)


async def test_heater_on_a_coil(sim: SimulatedSite) -> None:
    """Switching the coil switches the heater, and a poll reads it back."""
    module = _module(sim, COIL)
    await module.set_heater(True)
    assert _relay(sim) is True
    assert (await module.poll()).heater_on is True
    await module.set_heater(False)
    assert _relay(sim) is False
    assert (await module.poll()).heater_on is False
    assert sim.writes == [WriteRecord(1, 0, [1]), WriteRecord(1, 0, [0])]
    await module.connection.close()


async def test_heater_in_a_holding_register(register_sim: SimulatedSite) -> None:
    """A module with the relay in a register gets one FC06 write of 1."""
    sim = register_sim
    module = _module(sim, REGISTER)
    await module.set_heater(True)
    assert _relay(sim) is True
    assert sim.writes == [WriteRecord(1, 7, [1])]
    assert (await module.poll()).heater_on is True
    await module.connection.close()


async def test_no_relay_configured_writes_nothing(sim: SimulatedSite) -> None:
    """Without a configured relay the heater cannot be switched, and nothing is sent."""
    module = _module(sim, IoModuleConfig(tank_capacity_l=TANK, relay_kind=None))
    with pytest.raises(WrongDeviceError, match="no heater relay"):
        await module.set_heater(True)
    assert sim.writes == []
    state = await module.poll()
    assert state.heater_on is None
    assert state.room_temperature is not None
    await module.connection.close()


async def _runner(sim: SimulatedSite) -> CommandRunner:
    """A runner that gives up after 0.3 s of polls showing no effect."""
    connection = ModbusConnection(TcpEndpoint("127.0.0.1", sim.port), FAST)
    controller = DseController(
        connection, sim.site.config.units.dse, PollIntervals(0.0, 0.0)
    )
    await controller.connect()
    return CommandRunner(controller, verify_timeout=0.3, verify_interval=0.02)


async def test_reset_while_the_cause_remains_is_not_followed(
    sim: SimulatedSite,
) -> None:
    """The oil pressure is still low: the reset is sent once, then reported."""
    sim.site.inject_alarm("low_oil_pressure", AlarmCondition.SHUTDOWN)
    runner = await _runner(sim)
    with pytest.raises(CommandNotFollowedError) as failed:
        await runner.execute(Command.RESET_ALARMS, Interlocks())
    assert failed.value.command is Command.RESET_ALARMS
    assert failed.value.timeout == 0.3
    assert failed.value.key == "command_not_followed"
    assert [w.values for w in sim.writes] == [
        control_words(ControlKey.RESET_ALARMS_BUTTON)
    ]
    assert not runner.busy
    await runner.controller.connection.close()


async def test_second_command_while_one_is_verified_is_refused(
    sim: SimulatedSite,
) -> None:
    """One command at a time: the second is refused and never sent."""
    sim.site.inject_alarm("low_oil_pressure", AlarmCondition.SHUTDOWN)
    runner = await _runner(sim)
    verifying = asyncio.Event()
    first = asyncio.create_task(
        runner.execute(Command.RESET_ALARMS, Interlocks(), lambda _: verifying.set())
    )
    await verifying.wait()  # sent, and the first poll after it is in
    assert runner.busy
    with pytest.raises(CommandRefusedError) as refused:
        await runner.execute(Command.SELECT_STOP, Interlocks())
    assert refused.value.reason is RefusalReason.COMMAND_IN_FLIGHT
    with pytest.raises(CommandNotFollowedError):
        await first
    assert len(sim.writes) == 1
    await runner.controller.connection.close()
