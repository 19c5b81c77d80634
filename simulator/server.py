"""The simulated site on Modbus TCP: one port, several unit ids, like a gateway.

`SimulatedSite.serve()` starts a pymodbus 3.13 server on loopback that routes
each request by unit id to a device over the model (DSE controller, I/O
module, ATS), injects faults per request, logs every write, and advances the
model in simulated time from a ticker task (speed x real time), or only when
told to (`speed=0` and `advance()`).

Unknown unit ids get exception 11 (gateway target failed to respond), as a
Modbus TCP/RTU gateway answers for a slave that stays silent on its bus; pass
`unknown_unit="silent"` for no answer at all (the client times out).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
import logging
from pathlib import Path
import socket
from typing import Literal, NamedTuple, cast, override

from pymodbus.constants import ExcCodes
from pymodbus.datastore import ModbusServerContext
from pymodbus.exceptions import NoSuchIdException
from pymodbus.pdu import ExceptionResponse, ModbusPDU
from pymodbus.server import ModbusTcpServer
from pymodbus.server.requesthandler import ServerRequestHandler

from .config import SiteConfig
from .devices import (
    READ_FUNCTIONS,
    AtsDevice,
    Device,
    DseDevice,
    IoDevice,
    ModbusError,
    ServedRange,
)
from .faults import CorruptStyle, FaultInjector, FaultKind
from .scenario import Scenario, load_scenario
from .site import Site

_LOGGER = logging.getLogger(__name__)

type UnknownUnit = Literal["gateway", "silent"]

# pymodbus reads back what a single write changed using the write's own
# function code; the devices know only the read functions.
_READ_BACK = {5: 1, 15: 1, 6: 3, 16: 3, 22: 3, 23: 3}


class WriteRecord(NamedTuple):
    """One write request that reached a device (accepted or refused)."""

    unit: int
    address: int
    values: list[int]


class PortInUseError(OSError):
    """The port the simulator was asked to listen on is taken."""


class SiteContext(ModbusServerContext):
    """Routes pymodbus's datastore calls to the simulated devices by unit id.

    pymodbus 3.13 turns an `ExcCodes` returned from here into an exception
    response; a NoSuchIdException becomes "no answer" or exception 11 in the
    request handler below.
    """

    def __init__(self, devices: dict[int, Device], writes: list[WriteRecord]) -> None:
        """Serve `devices` by unit id, logging writes into `writes`.

        ModbusServerContext.__init__ is not called on purpose: it wants
        datablocks and logs deprecation warnings; the server only needs
        `simdevices` (empty, so it keeps this context) and the two calls.
        """
        self.devices = devices
        self.writes = writes
        self.simdevices = []

    def device_ids(self) -> list[int]:
        """The unit ids served."""
        return list(self.devices)

    def _device(self, unit: int) -> Device:
        if unit not in self.devices:
            msg = f"no device at unit {unit}"
            raise NoSuchIdException(msg)  # type: ignore[no-untyped-call]
        return self.devices[unit]

    @override
    async def async_getValues(
        self, device_id: int, func_code: int, address: int, count: int = 1
    ) -> list[int] | list[bool] | ExcCodes:
        """Read from the model; an exception code when the device refuses."""
        function = _READ_BACK.get(func_code, func_code)
        result = self._device(device_id).read(function, address, count)
        if isinstance(result, ModbusError):
            return ExcCodes(int(result))
        return result

    @override
    async def async_setValues(
        self,
        device_id: int,
        func_code: int,
        address: int,
        values: list[int] | list[bool],
    ) -> ExcCodes | None:
        """Write to the model, logging the request whatever the outcome."""
        device = self._device(device_id)
        self.writes.append(WriteRecord(device_id, address, [int(v) for v in values]))
        error = device.write(func_code, address, values)
        return None if error is None else ExcCodes(int(error))


class FaultyRequestHandler(ServerRequestHandler):
    """One client connection; injects faults around each request.

    Replaces pymodbus's `handle_request` so the request is captured once (a
    slow answer must not pick up the next request) and so a response can be
    dropped or corrupted on its way out.
    """

    server: SimulatorServer

    async def handle_request(self) -> None:
        """Execute the request unless a fault intervenes."""
        pdu = self.last_pdu
        addr = self.last_addr
        if pdu is None:
            return
        faults = self.server.faults
        fault = faults.draw(
            pdu.dev_id, pdu.function_code not in READ_FUNCTIONS, pdu.address
        )
        if fault is FaultKind.DISCONNECT:
            faults.record(fault)
            self.close()
            return
        if fault is FaultKind.EXCEPTION:
            faults.record(fault)
            self._send(
                ExceptionResponse(pdu.function_code, faults.exception_code), pdu, addr
            )
            return
        if fault is FaultKind.SLOW:
            faults.record(fault)
            await asyncio.sleep(faults.slow_seconds)
        response = await self._execute(pdu)
        if response is None:
            return
        if fault is FaultKind.DROP:
            faults.record(fault)
            return
        if fault is FaultKind.CORRUPT and self._corrupt(response):
            faults.record(fault)
        self._send(response, pdu, addr)

    async def _execute(self, pdu: ModbusPDU) -> ModbusPDU | None:
        context = cast(SiteContext, self.server.context)
        try:
            return await pdu.datastore_update(context, pdu.dev_id)
        except NoSuchIdException:
            if self.server.unknown_unit == "silent":
                return None
            return ExceptionResponse(pdu.function_code, ExcCodes.GATEWAY_NO_RESPONSE)

    def _corrupt(self, response: ModbusPDU) -> bool:
        faults = self.server.faults
        if isinstance(response, ExceptionResponse):
            return False
        if faults.corrupt_style is CorruptStyle.VALUES:
            return _scramble(response, faults)
        # Corruption on a real line shows as a frame that does not add up: an
        # RTU CRC or a gateway's length no longer fits what was asked. Here the
        # frame comes back one register short with random contents, which is
        # what reaches a Modbus TCP client when a gateway passes garbage on.
        # Coil frames are padded to whole bytes, so a short one cannot be told
        # apart; they are left alone.
        if len(response.registers) > 1:
            response.registers = [
                faults.corrupt_word() for _ in response.registers[:-1]
            ]
            return True
        return False

    def _send(
        self, response: ModbusPDU, request: ModbusPDU, addr: tuple[str, int] | None
    ) -> None:
        if not self.transport:
            return
        response.transaction_id = request.transaction_id
        response.dev_id = request.dev_id
        self.server_send(response, addr)  # type: ignore[no-untyped-call]


class SimulatorServer(ModbusTcpServer):
    """A Modbus TCP server whose connections inject faults."""

    def __init__(
        self,
        context: SiteContext,
        address: tuple[str, int],
        faults: FaultInjector,
        unknown_unit: UnknownUnit,
    ) -> None:
        """Listen on `address` and answer from `context`."""
        super().__init__(context, address=address)
        self.faults = faults
        self.unknown_unit = unknown_unit

    def callback_new_connection(self) -> FaultyRequestHandler:
        """Each connection gets a handler that can inject faults."""
        return FaultyRequestHandler(  # type: ignore[no-untyped-call]
            self, self.trace_packet, self.trace_pdu, self.trace_connect
        )

    @property
    def port(self) -> int:
        """The port actually bound (useful after asking for port 0)."""
        sockets: Sequence[socket.socket] = getattr(self.transport, "sockets", ())
        if not sockets:
            msg = "not listening"
            raise RuntimeError(msg)
        return int(sockets[0].getsockname()[1])

    @property
    def connections(self) -> int:
        """Client connections open now."""
        return len(self.active_connections)


class SimulatedSite:
    """A running simulated site: model, devices, server, faults and ticker."""

    def __init__(
        self,
        site: Site,
        *,
        scenario: Scenario | None = None,
        faults: FaultInjector | None = None,
        speed: float = 1.0,
        tick: float = 0.1,
    ) -> None:
        """Wrap `site`; nothing listens until `start()`."""
        self.site = site
        self.scenario = scenario
        self.faults = faults or FaultInjector()
        self.speed = speed
        self.tick = tick
        self.writes: list[WriteRecord] = []
        units = site.config.units
        self.devices: dict[int, Device] = {units.dse: DseDevice(site)}
        if units.io is not None:
            self.devices[units.io] = IoDevice(site)
        if units.ats is not None:
            self.devices[units.ats] = AtsDevice(site)
        self.host = ""
        self._server: SimulatorServer | None = None
        self._ticker: asyncio.Task[None] | None = None

    @classmethod
    @asynccontextmanager
    async def serve(
        cls,
        host: str = "127.0.0.1",
        port: int = 0,
        scenario: str | Path | Scenario | None = "normal",
        speed: float = 1.0,
        *,
        seed: int = 0,
        config: SiteConfig | None = None,
        faults: FaultInjector | None = None,
        tick: float = 0.1,
        unknown_unit: UnknownUnit = "gateway",
    ) -> AsyncIterator[SimulatedSite]:
        """Serve a site for the duration of an `async with` block.

        `scenario` is a shipped name, a TOML path, a Scenario, or None for a
        plain site at rest. `speed` is simulated seconds per real second; 0
        leaves time to `advance()`. `port=0` picks a free port (see `.port`).
        """
        chosen = _resolve(scenario)
        site = chosen.build(config, seed) if chosen else Site(config, seed=seed)
        simulated = cls(site, scenario=chosen, faults=faults, speed=speed, tick=tick)
        await simulated.start(host, port, unknown_unit)
        try:
            yield simulated
        finally:
            await simulated.stop()

    @property
    def port(self) -> int:
        """The TCP port the gateway listens on."""
        if self._server is None:
            msg = "not serving"
            raise RuntimeError(msg)
        return self._server.port

    @property
    def connections(self) -> int:
        """Client connections open now."""
        return self._server.connections if self._server else 0

    def advance(self, seconds: float) -> None:
        """Step the model by `seconds` of simulated time, now."""
        self.site.advance(seconds)

    def go_silent(self, *units: int) -> None:
        """Devices stop answering (all, or the unit ids given): a gap.

        Every request to them meets a device-busy exception until
        `answer_again`; the model runs on meanwhile.
        """
        self.faults.units = frozenset(units) if units else None
        self.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})

    def answer_again(self) -> None:
        """End a silence begun by `go_silent`."""
        self.faults.disable()
        self.faults.units = None

    def served(self) -> dict[int, tuple[str, list[ServedRange]]]:
        """Unit id -> (device name, address ranges), for banners and docs."""
        return {unit: (d.name, d.served()) for unit, d in self.devices.items()}

    async def start(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        unknown_unit: UnknownUnit = "gateway",
    ) -> None:
        """Listen, and start the ticker when `speed` is above zero."""
        context = SiteContext(self.devices, self.writes)
        server = SimulatorServer(context, (host, port), self.faults, unknown_unit)
        try:
            await server.serve_forever(background=True)
        except RuntimeError as err:
            await server.shutdown()  # type: ignore[no-untyped-call]
            msg = f"cannot listen on {host}:{port}: {_bind_error(host, port)}"
            raise PortInUseError(msg) from err
        self.host = host
        self._server = server
        self._ticker = asyncio.create_task(self._tick(), name="simulator ticker")

    async def stop(self) -> None:
        """Stop the ticker, close every connection and the listener."""
        if self._ticker is not None:
            self._ticker.cancel()
            with suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._server is not None:
            await self._server.shutdown()  # type: ignore[no-untyped-call]
            self._server = None
        # Let the transports' close callbacks run before the loop moves on.
        await asyncio.sleep(0)

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(self.tick)
            now = loop.time()
            if self.speed > 0:
                self.site.advance(self.speed * (now - last))
            last = now


def _scramble(response: ModbusPDU, faults: FaultInjector) -> bool:
    """Random words of the right length, inverted bits: framing cannot tell."""
    if response.registers:
        response.registers = [faults.corrupt_word() for _ in response.registers]
        return True
    if response.bits:
        response.bits = [not bit for bit in response.bits]
        return True
    return False


def _bind_error(host: str, port: int) -> str:
    """Why binding failed, in the system's words (pymodbus only logs it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # The same option asyncio's create_server sets on POSIX.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            return (err.strerror or str(err)).lower()
    return "the server could not start"


def _resolve(scenario: str | Path | Scenario | None) -> Scenario | None:
    if scenario is None or isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario)


def describe(sections: dict[int, tuple[str, list[ServedRange]]]) -> list[str]:
    """Human-readable lines for what each unit serves."""
    lines = []
    for unit, (name, ranges) in sorted(sections.items()):
        lines.append(f"  unit {unit}: {name}")
        lines.extend(
            f"    FC{r.function:02d} {r.address}-{r.end} ({r.count}) {r.label}"
            for r in ranges
        )
    return lines


def writes_to(writes: Sequence[WriteRecord], unit: int) -> list[WriteRecord]:
    """The writes that went to one unit."""
    return [w for w in writes if w.unit == unit]
