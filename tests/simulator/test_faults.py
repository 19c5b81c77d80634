"""Fault injection, seen from a real pymodbus client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
import time

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException
import pytest

from simulator import CorruptStyle, FaultInjector, FaultKind, SimulatedSite

from .helpers import DSE, IO, exception_code

TIMEOUT = 0.1


@asynccontextmanager
async def fragile_client(sim: SimulatedSite) -> AsyncIterator[AsyncModbusTcpClient]:
    """A client that reconnects only when told to, with a short timeout."""
    client = AsyncModbusTcpClient(
        "127.0.0.1", port=sim.port, timeout=TIMEOUT, retries=0, reconnect_delay=0
    )
    assert await client.connect()
    try:
        yield client
    finally:
        client.close()


async def poll(client: AsyncModbusTcpClient) -> list[int] | None:
    """One read of the status block; None when it failed in any way."""
    if not client.connected:
        await client.connect()
        return None
    try:
        response = await client.read_holding_registers(768, count=7, device_id=DSE)
    except ModbusException:
        return None
    return None if response.isError() else list(response.registers)


async def only(sim: SimulatedSite, kind: FaultKind) -> None:
    """Every request meets `kind`."""
    sim.faults.enable(rate=1.0, kinds={kind: 1.0})


async def test_drop_is_a_timeout(sim: SimulatedSite) -> None:
    async with fragile_client(sim) as client:
        await only(sim, FaultKind.DROP)
        with pytest.raises(ModbusException):
            await client.read_holding_registers(768, count=1, device_id=DSE)
        assert sim.faults.counts == {FaultKind.DROP: 1}


async def test_exception_is_device_busy(sim: SimulatedSite) -> None:
    async with fragile_client(sim) as client:
        await only(sim, FaultKind.EXCEPTION)
        response = await client.read_holding_registers(768, count=1, device_id=DSE)
        assert exception_code(response) == 6
        # An injected exception never reaches the device: nothing written.
        await client.write_coil(0, True, device_id=IO)
        assert sim.writes == []
        assert not sim.site.heater_relay
        assert sim.faults.counts == {FaultKind.EXCEPTION: 2}


async def test_disconnect_closes_the_connection(sim: SimulatedSite) -> None:
    async with fragile_client(sim) as client:
        await only(sim, FaultKind.DISCONNECT)
        with pytest.raises(ModbusException):
            await client.read_holding_registers(768, count=1, device_id=DSE)
        assert not client.connected
        sim.faults.disable()
        assert await client.connect()
        response = await client.read_holding_registers(768, count=1, device_id=DSE)
        assert response.registers == [1]


async def test_corrupt_answers_come_one_register_short(sim: SimulatedSite) -> None:
    async with fragile_client(sim) as client:
        await only(sim, FaultKind.CORRUPT)
        bad = await client.read_holding_registers(1024, count=66, device_id=DSE)
        assert len(bad.registers) == 65
        # Single registers and coils cannot be cut short: left alone.
        one = await client.read_holding_registers(768, count=1, device_id=DSE)
        assert one.registers == [1]
        assert sim.faults.counts == {FaultKind.CORRUPT: 1}


async def test_corrupt_values_keep_the_length(sim: SimulatedSite) -> None:
    sim.faults.corrupt_style = CorruptStyle.VALUES
    async with fragile_client(sim) as client:
        truth = await client.read_holding_registers(1024, count=66, device_id=DSE)
        await only(sim, FaultKind.CORRUPT)
        bad = await client.read_holding_registers(1024, count=66, device_id=DSE)
        assert len(bad.registers) == 66
        assert bad.registers != truth.registers
        coils = await client.read_coils(0, count=1, device_id=IO)
        assert coils.bits[0] is True  # the relay is off
        assert sim.faults.counts == {FaultKind.CORRUPT: 2}


async def test_slow_answers_come_late_but_right(sim: SimulatedSite) -> None:
    sim.faults.slow_seconds = 0.05
    async with fragile_client(sim) as client:
        await only(sim, FaultKind.SLOW)
        started = time.monotonic()
        response = await client.read_holding_registers(768, count=1, device_id=DSE)
        assert time.monotonic() - started >= 0.05
        assert response.registers == [1]
        assert sim.faults.counts == {FaultKind.SLOW: 1}


async def test_faults_limited_to_units_and_reads(sim: SimulatedSite) -> None:
    sim.faults.units = frozenset({IO})
    sim.faults.affect_writes = False
    async with fragile_client(sim) as client:
        await only(sim, FaultKind.EXCEPTION)
        ok = await client.read_holding_registers(768, count=1, device_id=DSE)
        assert ok.registers == [1]
        assert exception_code(await client.write_coil(0, True, device_id=IO)) is None
        busy = await client.read_coils(0, count=1, device_id=IO)
        assert exception_code(busy) == 6
        assert sim.faults.counts == {FaultKind.EXCEPTION: 1}


async def test_faults_limited_to_addresses(sim: SimulatedSite) -> None:
    """Only the alarm page fails; the status block on the same unit answers."""
    sim.faults.addresses = frozenset({39424})
    async with fragile_client(sim) as client:
        await only(sim, FaultKind.EXCEPTION)
        ok = await client.read_holding_registers(768, count=1, device_id=DSE)
        assert ok.registers == [1]
        busy = await client.read_holding_registers(39424, count=2, device_id=DSE)
        assert exception_code(busy) == 6
        assert sim.faults.counts == {FaultKind.EXCEPTION: 1}


async def test_poll_storm_then_recovery(socket_enabled: None) -> None:
    faults = FaultInjector(rate=0.05, seed=3, slow_seconds=0.01)
    polls = 600
    async with (
        SimulatedSite.serve(speed=0, faults=faults) as sim,
        fragile_client(sim) as client,
    ):
        good = [words for _ in range(polls) if (words := await poll(client))]
        injected = sim.faults.total
        assert 0.02 * polls < injected < 0.09 * polls
        assert set(sim.faults.counts) == set(FaultKind)
        assert sim.faults.requests >= polls - sim.faults.counts[FaultKind.DISCONNECT]
        # Every failed poll is explained by a fault that makes a poll fail.
        failing = injected - sim.faults.counts[FaultKind.SLOW]
        failing -= sim.faults.counts[FaultKind.CORRUPT]
        assert len(good) >= polls - failing - sim.faults.counts[FaultKind.DISCONNECT]
        sim.faults.disable()
        sim.faults.reset_counts()
        if not client.connected:
            await client.connect()
        clean = [await poll(client) for _ in range(100)]
        assert all(words is not None and words[:2] == [1, 32841] for words in clean)
        assert sim.faults.total == 0


async def test_seeded_faults_repeat(socket_enabled: None) -> None:
    counts = []
    for _ in range(2):
        faults = FaultInjector(rate=0.2, seed=11, weights={FaultKind.EXCEPTION: 1})
        async with (
            SimulatedSite.serve(speed=0, faults=faults) as sim,
            fragile_client(sim) as client,
        ):
            pattern = [
                exception_code(
                    await client.read_holding_registers(768, count=1, device_id=DSE)
                )
                for _ in range(50)
            ]
            counts.append((pattern, sim.faults.total))
    assert counts[0] == counts[1]
    assert counts[0][1] > 0


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        FaultInjector(rate=1.5)
