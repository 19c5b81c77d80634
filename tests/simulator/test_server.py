"""The simulator over real Modbus TCP on loopback, read with pymodbus's client.

Expected values are GenComm facts from shared/domain/dse-gencomm.md written
out by hand; decoding goes through the integration's own profiles.
"""

from __future__ import annotations

import asyncio
import socket

from pymodbus.client import AsyncModbusTcpClient
import pytest

from custom_components.sot_point.hardware.profiles import ats, dse_gencomm, generic_io
from custom_components.sot_point.hardware.profiles.dse_gencomm import ControlKey
from custom_components.sot_point.hardware.registers import decode_block, decode_nibbles
from custom_components.sot_point.hardware.state import TransferPosition
from simulator import AmfTimings, PortInUseError, SimulatedSite, WriteRecord

from .helpers import ATS, DSE, IO, connected, exception_code, press, registers

T = AmfTimings()
ENGINE = 1408
STOPPED, RUNNING, COOLING_DOWN = 0, 3, 4


async def test_identity_and_unimplemented_gap(client: AsyncModbusTcpClient) -> None:
    words = await registers(client, 768, 7)
    assert words[:2] == [1, 32841]  # DSE, 7320 MKII
    assert words[2] << 16 | words[3] == 1_730_001
    assert words[4] == 1  # Auto
    assert words[5] == 0xFFFF  # 773 is not implemented
    assert words[6] == 0  # no alarm flags


async def test_supported_functions_map(client: AsyncModbusTcpClient) -> None:
    words = await registers(client, 4096, 8)
    supported = dse_gencomm.supported_functions(words)
    assert {0, 1, 2, 3, 5, 7, 8, 9, 32, 33, 34} <= supported
    assert 10 not in supported
    # Function n is bit 15 - n % 16 of register 4096 + n // 16.
    assert words[0] >> 15 & 1 == 1  # Stop
    assert words[2] >> 15 & 1 == 1  # 32, telemetry start


async def test_reads_outside_the_map_are_illegal_addresses(
    client: AsyncModbusTcpClient,
) -> None:
    for address, count in ((775, 1), (773, 3), (1090, 1), (4104, 2), (0, 1)):
        response = await client.read_holding_registers(
            address, count=count, device_id=DSE
        )
        assert exception_code(response) == 2, (address, count)
    response = await client.read_input_registers(1024, count=1, device_id=DSE)
    assert exception_code(response) == 1  # GenComm knows only FC03 and FC16


async def test_unknown_unit_gets_a_gateway_exception(
    client: AsyncModbusTcpClient,
) -> None:
    response = await client.read_holding_registers(768, count=1, device_id=99)
    assert exception_code(response) == 11


async def test_unknown_unit_silent_mode_times_out(socket_enabled: None) -> None:
    async with (
        SimulatedSite.serve(speed=0, unknown_unit="silent") as sim,
        connected(sim, response_timeout=0.2) as client,
    ):
        with pytest.raises(Exception, match="No response"):
            await client.read_holding_registers(768, count=1, device_id=99)


async def test_amf_over_modbus(
    sim: SimulatedSite, client: AsyncModbusTcpClient
) -> None:
    sim.site.lose_mains()
    sim.advance(T.time_to_load() - 0.5)
    assert await registers(client, ENGINE) == [RUNNING]
    sim.advance(0.5)
    words = await registers(client, 20480, 8, unit=ATS)
    status = decode_block(ats.STATUS_SPECS, ats.STATUS_BLOCK, words)
    transfer = ats.transfer_state({k: int(v) for k, v in status.items()})
    assert transfer.position is TransferPosition.GENERATOR
    assert transfer.generator_available
    assert not transfer.mains_available
    page4 = dse_gencomm.INSTRUMENT_BLOCK
    values = decode_block(
        dse_gencomm.INSTRUMENT_SPECS,
        page4,
        await registers(client, page4.address, page4.count),
    )
    assert values["engine_speed"] == 1500
    assert values["generator_frequency"] == pytest.approx(50.0, abs=0.1)
    assert values["mains_voltage_l1_n"] == 0
    assert 200 < values["oil_pressure"] < 400  # type: ignore[operator]
    assert values["generator_power_l1"] > 0  # type: ignore[operator]
    sim.site.restore_mains()
    sim.advance(T.time_to_mains())
    assert await registers(client, ENGINE) == [COOLING_DOWN]
    sim.advance(T.cooldown)
    assert await registers(client, ENGINE) == [STOPPED]
    assert sim.writes == []


async def test_fail_to_start_alarm_and_refused_start(socket_enabled: None) -> None:
    async with (
        SimulatedSite.serve(scenario="fail_to_start", speed=0) as sim,
        connected(sim) as client,
    ):
        sim.advance(120)
        block = dse_gencomm.alarm_block(32841)
        words = await registers(client, block.address, block.count)
        assert words[0] == 80  # 20 registers of 4 slots on a 73xx MKII
        names = dse_gencomm.alarm_names(32841)
        codes = dict(zip(names, decode_nibbles(words[1:], 80), strict=True))
        assert codes["fail_to_start"] == 3  # shutdown
        assert codes["emergency_stop"] == 1  # not active
        flags = (await registers(client, 774))[0]
        assert flags >> 13 & 1  # shutdown flag
        assert not flags >> 11 & 1  # no warning
        await press(client, ControlKey.SELECT_MANUAL)
        start = await press(client, ControlKey.START_ENGINE)
        assert exception_code(start) == 8
        reset = await press(client, ControlKey.RESET_ALARMS_BUTTON)
        assert exception_code(reset) is None
        assert (await registers(client, 774))[0] >> 13 & 1 == 0


async def test_bad_complement_and_unsupported_keys_are_illegal_values(
    sim: SimulatedSite, client: AsyncModbusTcpClient
) -> None:
    key = dse_gencomm.CONTROL_KEY_BASE + ControlKey.SELECT_STOP
    bad = await client.write_registers(4104, [key, key], device_id=DSE)
    assert exception_code(bad) == 7
    lone = await client.write_registers(4104, [key], device_id=DSE)
    assert exception_code(lone) == 7
    unsupported = await press(client, ControlKey.RESET_MAINS_FAILURE)
    assert exception_code(unsupported) == 7
    assert (await registers(client, 772))[0] == 1  # still Auto: nothing happened
    assert sim.writes == [
        WriteRecord(DSE, 4104, [key, key]),
        WriteRecord(DSE, 4104, [key]),
        WriteRecord(
            DSE, 4104, dse_gencomm.control_words(ControlKey.RESET_MAINS_FAILURE)
        ),
    ]


async def test_inappropriate_circumstances(client: AsyncModbusTcpClient) -> None:
    # A start in Auto, in Stop, and a transfer onto a set that is not running.
    assert exception_code(await press(client, ControlKey.START_ENGINE)) == 8
    assert exception_code(await press(client, ControlKey.SELECT_STOP)) is None
    assert exception_code(await press(client, ControlKey.START_ENGINE)) == 8
    assert exception_code(await press(client, ControlKey.TELEMETRY_START)) == 8
    assert exception_code(await press(client, ControlKey.SELECT_MANUAL)) is None
    assert exception_code(await press(client, ControlKey.TRANSFER_TO_GENERATOR)) == 8


async def test_manual_start_and_transfer_over_modbus(
    sim: SimulatedSite, client: AsyncModbusTcpClient
) -> None:
    assert exception_code(await press(client, ControlKey.SELECT_MANUAL)) is None
    assert exception_code(await press(client, ControlKey.START_ENGINE)) is None
    sim.advance(T.fuel_on_delay + T.fire_time + T.safety_on_delay)
    assert await registers(client, ENGINE) == [RUNNING]
    assert exception_code(await press(client, ControlKey.TRANSFER_TO_GENERATOR)) is None
    sim.advance(T.transfer_time)
    assert (await registers(client, 20482, unit=ATS))[0] == 3  # position II
    totals = await registers(client, 1536, 23)
    assert totals[0] << 16 | totals[1] > 2000  # W on the generator
    assert 0 < totals[22] < 1000  # load % x 10


async def test_writes_elsewhere_are_illegal_addresses(
    client: AsyncModbusTcpClient,
) -> None:
    for address in (768, 1024, 4096):
        response = await client.write_registers(address, [1], device_id=DSE)
        assert exception_code(response) == 2, address
    single = await client.write_register(4104, 1, device_id=DSE)
    assert exception_code(single) == 1  # FC06 is not GenComm
    ats_write = await client.write_register(20481, 0, device_id=ATS)
    assert exception_code(ats_write) == 2


async def test_totals_read_as_a_set_with_history(
    sim: SimulatedSite, client: AsyncModbusTcpClient
) -> None:
    """A new simulated site's counters are those of a set in service, not zero."""
    words = await registers(client, 1798, 12)

    def total(offset: int) -> int:
        return words[offset] << 16 | words[offset + 1]

    assert total(0) == 1240 * 3600  # run time, s: 1 240 h
    assert total(2) == 124_000  # energy, 0.1 kWh: 12 400 kWh
    assert total(10) == 180  # number of starts
    sim.site.lose_mains()
    sim.site.advance(sim.site.config.timings.time_to_load() + 3600)
    words = await registers(client, 1798, 12)
    assert 1241 * 3600 <= total(0) < 1242 * 3600  # an hour more
    assert total(2) > 124_000 + 20  # energy counts on from there
    assert total(10) == 181


async def test_page_7_counters_are_writable(
    sim: SimulatedSite, client: AsyncModbusTcpClient
) -> None:
    response = await client.write_registers(1808, [0, 42], device_id=DSE)
    assert exception_code(response) is None
    assert sim.site.controller.counters.starts == 42
    half = await client.write_registers(1809, [1], device_id=DSE)
    assert exception_code(half) == 2  # half a 32-bit value


async def test_io_module_level_temperature_and_relay(
    sim: SimulatedSite, client: AsyncModbusTcpClient
) -> None:
    config = sim.site.config.io
    sim.site.set_tank_litres(150.0)
    sim.site.set_room_temperature(-3.4)
    response = await client.read_input_registers(0, count=2, device_id=IO)
    level_raw, temperature_raw = response.registers
    current = level_raw / config.level_raw_per_ma
    assert generic_io.litres(current, config) == pytest.approx(150.0, abs=0.5)
    assert temperature_raw == 0x10000 - 34  # -3.4 °C as signed x10
    coil = await client.read_coils(0, count=1, device_id=IO)
    assert coil.bits[0] is False
    await client.write_coil(0, True, device_id=IO)
    assert sim.site.heater_relay
    assert (await client.read_coils(0, count=1, device_id=IO)).bits[0] is True
    assert sim.writes == [WriteRecord(IO, 0, [1])]
    sim.site.set_tank_sensor_fault(2.0)
    response = await client.read_input_registers(0, count=1, device_id=IO)
    assert generic_io.loop_fault(response.registers[0] / 1000) is (
        generic_io.LoopFault.WIRE_BREAK
    )
    missing = await client.read_input_registers(5, count=1, device_id=IO)
    assert exception_code(missing) == 2


async def test_ats_identification(client: AsyncModbusTcpClient) -> None:
    assert await registers(client, 50000, 2, unit=ATS) == ats.ident_words()
    status = await registers(client, 20480, 8, unit=ATS)
    assert status[0] == 2  # 230/400 V
    assert status[1] == ats.MODE_AUTO
    assert status[2] == 2  # position I, mains
    assert status[6] == ats.SOURCE_AVAILABLE


async def test_ticker_advances_time_at_speed(socket_enabled: None) -> None:
    async with SimulatedSite.serve(speed=200.0, tick=0.02) as sim:
        await asyncio.sleep(0.2)
        assert sim.site.now > 10
        sim.speed = 0
        frozen = sim.site.now
        await asyncio.sleep(0.1)
        assert sim.site.now == frozen


async def test_port_zero_picks_free_ports_and_busy_port_is_refused(
    socket_enabled: None,
) -> None:
    async with (
        SimulatedSite.serve(speed=0) as first,
        SimulatedSite.serve(speed=0) as second,
    ):
        assert first.port != second.port
        with pytest.raises(PortInUseError, match="in use"):
            async with SimulatedSite.serve(port=first.port, speed=0):
                pass


async def test_port_taken_by_another_socket(socket_enabled: None) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUseError):
            async with SimulatedSite.serve(port=port, speed=0):
                pass
