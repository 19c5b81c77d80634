"""Small helpers shared by the simulator tests: a real client and its calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.pdu import ModbusPDU

from custom_components.sot_point.hardware.profiles import dse_gencomm
from custom_components.sot_point.hardware.profiles.dse_gencomm import ControlKey
from simulator import SimulatedSite

DSE = 10
IO = 1
ATS = 2


@asynccontextmanager
async def connected(
    sim: SimulatedSite, response_timeout: float = 1.0
) -> AsyncIterator[AsyncModbusTcpClient]:
    """A real pymodbus client connected to `sim`, closed afterwards."""
    client = AsyncModbusTcpClient(
        "127.0.0.1", port=sim.port, timeout=response_timeout, retries=0
    )
    assert await client.connect()
    try:
        yield client
    finally:
        client.close()


async def registers(
    client: AsyncModbusTcpClient, address: int, count: int = 1, unit: int = DSE
) -> list[int]:
    """Holding registers, failing the test on an exception response."""
    response = await client.read_holding_registers(address, count=count, device_id=unit)
    assert not response.isError(), response
    return list(response.registers)


async def press(client: AsyncModbusTcpClient, key: ControlKey) -> ModbusPDU:
    """Send a GenComm control key the way the client must: one FC16 of two."""
    return await client.write_registers(
        dse_gencomm.CONTROL_KEY_ADDRESS, dse_gencomm.control_words(key), device_id=DSE
    )


def exception_code(response: ModbusPDU) -> int | None:
    """The exception code of a response, None when it is not an exception."""
    return int(response.exception_code) if response.isError() else None
