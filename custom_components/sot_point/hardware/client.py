"""Modbus connections: one request at a time, paced, retried, reconnected.

Every device on the same serial bus or TCP gateway shares one `ModbusConnection`
(and so one request queue), because RS485 is half-duplex and most gateways and
DSE controllers handle a single outstanding request badly. The pool hands out
the shared connection and closes it when the last device lets go.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
import logging
import time

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException
from pymodbus.pdu import ModbusPDU

from .errors import (
    CorruptResponseError,
    DeviceTimeoutError,
    DeviceUnreachableError,
    HardwareError,
    ModbusExceptionError,
)
from .registers import Block

LOGGER = logging.getLogger(__name__)

# Failures where asking again may work; a Modbus exception is the device's
# considered answer and repeating the request would get the same one.
_RETRYABLE = (DeviceTimeoutError, DeviceUnreachableError, CorruptResponseError)

FUNCTION_READ_COILS = 1
FUNCTION_READ_DISCRETE_INPUTS = 2
FUNCTION_READ_HOLDING = 3
FUNCTION_READ_INPUT = 4


@dataclass(frozen=True, slots=True)
class TcpEndpoint:
    """Modbus TCP: a gateway or a device with its own network port."""

    host: str
    port: int = 502

    def __str__(self) -> str:
        """Show the endpoint as people write it."""
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class SerialEndpoint:
    """Modbus RTU on a serial port (RS485 adapter)."""

    port: str
    baudrate: int = 19200
    parity: str = "N"
    stopbits: int = 1
    bytesize: int = 8

    def __str__(self) -> str:
        """Show the port and its framing, e.g. /dev/ttyUSB0 19200 8N1."""
        return (
            f"{self.port} {self.baudrate} {self.bytesize}{self.parity}{self.stopbits}"
        )


type Endpoint = TcpEndpoint | SerialEndpoint


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """How patiently to talk to an endpoint.

    `request_gap` is the pause between the end of one request and the start of
    the next; DSE controllers need 0.1 s or they may stop answering.
    """

    timeout: float = 1.0
    retries: int = 2
    backoff: float = 0.2
    request_gap: float = 0.0


type _Client = AsyncModbusTcpClient | AsyncModbusSerialClient


def _make_client(endpoint: Endpoint, settings: ConnectionSettings) -> _Client:
    # pymodbus's own retries and reconnects are off: we retry with back-off
    # here, where we also know whether the request is safe to repeat.
    if isinstance(endpoint, TcpEndpoint):
        return AsyncModbusTcpClient(
            endpoint.host,
            port=endpoint.port,
            timeout=settings.timeout,
            retries=0,
            reconnect_delay=0,
        )
    return AsyncModbusSerialClient(
        endpoint.port,
        baudrate=endpoint.baudrate,
        parity=endpoint.parity,
        stopbits=endpoint.stopbits,
        bytesize=endpoint.bytesize,
        timeout=settings.timeout,
        retries=0,
        reconnect_delay=0,
    )


@dataclass
class ConnectionStats:
    """Counters a benchmark or diagnostics can show."""

    requests: int = 0
    failures: int = 0
    reconnects: int = 0
    last_error: str | None = None
    by_function: dict[int, int] = field(default_factory=dict)


class ModbusConnection:
    """One pymodbus client with a request queue of length one."""

    def __init__(
        self,
        endpoint: Endpoint,
        settings: ConnectionSettings | None = None,
    ) -> None:
        """Prepare a connection; nothing is opened until the first request."""
        self.endpoint = endpoint
        self.settings = settings or ConnectionSettings()
        self._client: _Client | None = None
        self._lock = asyncio.Lock()
        self._last_request_end = 0.0
        self.stats = ConnectionStats()

    async def read(self, device_id: int, block: Block) -> list[int]:
        """Read a block; coils and discrete inputs come back as 0/1 words."""
        response = await self._request(
            block.function,
            block.address,
            lambda client: _read_call(client, block, device_id),
            retry=True,
        )
        if block.function in (FUNCTION_READ_COILS, FUNCTION_READ_DISCRETE_INPUTS):
            bits = list(getattr(response, "bits", []))
            if len(bits) < block.count:
                raise CorruptResponseError(
                    f"{block.name}: {len(bits)} bits for {block.count}"
                )
            return [int(bit) for bit in bits[: block.count]]
        registers = list(getattr(response, "registers", []))
        if len(registers) != block.count:
            msg = f"{block.name}: {len(registers)} registers, expected {block.count}"
            raise CorruptResponseError(msg)
        return registers

    async def write_registers(
        self, device_id: int, address: int, values: list[int]
    ) -> None:
        """Write registers in one FC16 request.

        Never retried after a timeout: the device may have acted on it, and a
        control key must not be pressed twice. The caller verifies instead.
        """
        await self._request(
            16,
            address,
            lambda client: client.write_registers(address, values, device_id=device_id),
            retry=False,
        )

    async def write_coil(
        self, device_id: int, address: int, value: bool, *, retry: bool = True
    ) -> None:
        """Switch one coil (FC05); a relay is idempotent, so a timeout is retried.

        A controller's remote-control coil is a button press, not a state:
        `retry=False` sends it once, and the caller verifies instead.
        """
        await self._request(
            5,
            address,
            lambda client: client.write_coil(address, value, device_id=device_id),
            retry=retry,
        )

    async def write_register(self, device_id: int, address: int, value: int) -> None:
        """Write one holding register (FC06); idempotent, so retried."""
        await self._request(
            6,
            address,
            lambda client: client.write_register(address, value, device_id=device_id),
            retry=True,
        )

    async def close(self) -> None:
        """Close the underlying client."""
        async with self._lock:
            self._drop_client()

    @property
    def connected(self) -> bool:
        """Whether a client is open now."""
        return self._client is not None and self._client.connected

    async def _request(
        self,
        function: int,
        address: int,
        call: Callable[[_Client], Awaitable[ModbusPDU]],
        *,
        retry: bool,
    ) -> ModbusPDU:
        attempts = 1 + (self.settings.retries if retry else 0)
        async with self._lock:
            for attempt in range(attempts):
                try:
                    return await self._attempt(function, address, call)
                except (
                    DeviceTimeoutError,
                    DeviceUnreachableError,
                    CorruptResponseError,
                ) as err:
                    self.stats.failures += 1
                    self.stats.last_error = str(err)
                    if attempt + 1 == attempts:
                        raise
                    await asyncio.sleep(self.settings.backoff * (2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self,
        function: int,
        address: int,
        call: Callable[[_Client], Awaitable[ModbusPDU]],
    ) -> ModbusPDU:
        client = await self._ensure_client()
        await self._pace()
        self.stats.requests += 1
        self.stats.by_function[function] = self.stats.by_function.get(function, 0) + 1
        try:
            response = await call(client)
        except ConnectionException as err:
            self._drop_client()
            raise DeviceUnreachableError(
                f"{self.endpoint}: connection lost ({err})"
            ) from err
        except ModbusException as err:
            # pymodbus reports a missing answer as ModbusIOException; after a
            # timeout a late answer could be taken for the next request's, so
            # start from a clean connection.
            self._drop_client()
            raise DeviceTimeoutError(f"{self.endpoint}: no answer ({err})") from err
        except (TimeoutError, OSError) as err:
            self._drop_client()
            raise DeviceTimeoutError(f"{self.endpoint}: no answer ({err})") from err
        finally:
            self._last_request_end = time.monotonic()
        if response.isError():
            code = int(getattr(response, "exception_code", 0))
            raise ModbusExceptionError(code, function, address)
        return response

    async def _ensure_client(self) -> _Client:
        if self._client is not None and self._client.connected:
            return self._client
        self._drop_client()
        client = _make_client(self.endpoint, self.settings)
        try:
            connected = await client.connect()
        except (OSError, ModbusException) as err:
            client.close()
            raise DeviceUnreachableError(f"{self.endpoint}: {err}") from err
        if not connected:
            client.close()
            raise DeviceUnreachableError(f"{self.endpoint}: could not connect")
        self.stats.reconnects += 1
        self._client = client
        return client

    def _drop_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def _pace(self) -> None:
        wait = self._last_request_end + self.settings.request_gap - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)


def _read_call(client: _Client, block: Block, device_id: int) -> Awaitable[ModbusPDU]:
    readers = {
        FUNCTION_READ_COILS: client.read_coils,
        FUNCTION_READ_DISCRETE_INPUTS: client.read_discrete_inputs,
        FUNCTION_READ_HOLDING: client.read_holding_registers,
        FUNCTION_READ_INPUT: client.read_input_registers,
    }
    return readers[block.function](
        block.address, count=block.count, device_id=device_id
    )


class ConnectionPool:
    """Shares one connection per endpoint among the devices that use it."""

    def __init__(self) -> None:
        """Start with no connections."""
        self._connections: dict[Endpoint, ModbusConnection] = {}
        self._users: dict[Endpoint, int] = {}

    def acquire(
        self, endpoint: Endpoint, settings: ConnectionSettings | None = None
    ) -> ModbusConnection:
        """The connection for `endpoint`; the first caller's settings apply."""
        if endpoint not in self._connections:
            self._connections[endpoint] = ModbusConnection(endpoint, settings)
        self._users[endpoint] = self._users.get(endpoint, 0) + 1
        return self._connections[endpoint]

    async def release(self, endpoint: Endpoint) -> None:
        """Let go of `endpoint`; the last user closes it."""
        self._users[endpoint] -= 1
        if self._users[endpoint] == 0:
            del self._users[endpoint]
            await self._connections.pop(endpoint).close()


__all__ = [
    "ConnectionPool",
    "ConnectionSettings",
    "Endpoint",
    "HardwareError",
    "ModbusConnection",
    "SerialEndpoint",
    "TcpEndpoint",
]
