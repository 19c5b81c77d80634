"""The simulated site on Modbus RTU: an RS-485 line made of two pty pairs.

Most sites wire the controller over RS-485 to a USB adapter on the Home
Assistant box. Here the adapter is the slave side of one pty (`line.device`,
the path the integration opens as its serial port); the controller's port is
the slave side of a second pty, opened by pymodbus's own RTU serial server;
and `SerialLine` joins the two master sides the way the pair of wires does.
Every byte crosses it, so the line can fail the way a wire does:

- `cut()`: the pair is broken or the controller is off; nothing arrives;
- `noise(rate)`: a share of frames is hit on the way: one byte changed, so
  the CRC no longer fits, or a burst of garbage just before the frame (what
  EMI from a diesel next to a long run does);
- `inject(data, toward)`: a burst of garbage reaches one end;
- a client whose port is set to another baud rate, parity or stop bits than
  the line's: its UART would see framing errors, so here its bytes arrive as
  garbage.

The controller's end forgets a half-received frame after a silence of 3.5
characters, as RTU framing says (and a controller's UART does), so garbage
that ends before a request does not stick to it. `line.frames` keeps every
frame that crossed, byte for byte, when `line.recording` is on: the wire
budget of `scripts/bench --only poll` is computed from them.

The bridge is driven by the event loop (`add_reader`), not a thread: it runs
inside Home Assistant's test instance, which counts threads left behind.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from enum import StrEnum
import math
import os
import random
import termios
import time
import tty
from typing import Literal

from pymodbus.framer import FramerType
from pymodbus.server import ModbusSerialServer

from .faults import FaultInjector
from .server import FaultyRequestHandler, SimulatedSite, SiteContext, UnknownUnit

# A UART character in 8N1: start bit, 8 data bits, stop bit; with parity or a
# second stop bit it is 11 bits. Modbus counts 11 bits for every framing
# (Modbus over Serial Line v1.02, 2.5.1), so the wire budget does too.
BITS_PER_CHARACTER = 11
# Above 19200 baud the spec fixes the inter-frame silence at 1.75 ms.
_MIN_SILENCE_S = 0.00175
_READ_SIZE = 4096

type Parity = Literal["N", "E", "O"]


class End(StrEnum):
    """The two ends of the line."""

    CLIENT = "client"  # the Home Assistant box's USB adapter
    CONTROLLER = "controller"


@dataclass(frozen=True, slots=True)
class Framing:
    """How the line is clocked: baud rate, data bits, parity, stop bits."""

    baudrate: int = 19200
    bytesize: int = 8
    parity: Parity = "N"
    stopbits: int = 1

    def __str__(self) -> str:
        """As written on a controller's settings page, e.g. 19200 8N1."""
        return f"{self.baudrate} {self.bytesize}{self.parity}{self.stopbits}"

    @property
    def silence(self) -> float:
        """Seconds of quiet that end an RTU frame: 3.5 characters."""
        return max(3.5 * BITS_PER_CHARACTER / self.baudrate, _MIN_SILENCE_S)


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame as it crossed the line: who sent it, and its bytes."""

    sender: End
    data: bytes


def _speed_constant(baudrate: int) -> int:
    constant = getattr(termios, f"B{baudrate}", None)
    if constant is None:
        msg = f"no termios speed for {baudrate} baud"
        raise ValueError(msg)
    return int(constant)


def port_framing(fd: int) -> tuple[int, int, int, int]:
    """A tty's (speed constant, character size, parity, stop bits) flags."""
    attributes = termios.tcgetattr(fd)
    cflag = int(attributes[2])
    return (
        int(attributes[5]),
        cflag & termios.CSIZE,
        cflag & (termios.PARENB | termios.PARODD),
        cflag & termios.CSTOPB,
    )


def expected_flags(framing: Framing) -> tuple[int, int, int, int]:
    """The flags a port clocked like `framing` has (see `port_framing`)."""
    sizes = {5: termios.CS5, 6: termios.CS6, 7: termios.CS7, 8: termios.CS8}
    parity = {
        "N": 0,
        "E": termios.PARENB,
        "O": termios.PARENB | termios.PARODD,
    }[framing.parity]
    return (
        _speed_constant(framing.baudrate),
        sizes[framing.bytesize],
        parity,
        termios.CSTOPB if framing.stopbits == 2 else 0,
    )


class _Pty:
    """One pty pair: the master we move bytes on, the slave others open."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        # Raw until pyserial sets its own modes, so nothing is echoed back.
        # The slave stays open here: the master never sees a hang-up when
        # the client closes its port between two connections.
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with suppress(OSError):
                os.close(fd)


class SerialLine:
    """Two pty pairs joined like an RS-485 pair, with the wire's faults."""

    def __init__(self, framing: Framing | None = None, *, seed: int = 0) -> None:
        """Open both pty pairs; bytes move once `start()` is called."""
        self.framing = framing or Framing()
        self._client = _Pty()
        self._controller = _Pty()
        self._rng = random.Random(seed)  # noqa: S311 - repeatable noise, not crypto
        self._loop: asyncio.AbstractEventLoop | None = None
        self._cut = False
        self._noise = 0.0
        self.recording = False
        self.frames: list[Frame] = []
        self.counts: Counter[str] = Counter()

    @property
    def device(self) -> str:
        """The path a Modbus client opens as its serial port."""
        return self._client.path

    @property
    def controller_device(self) -> str:
        """The path the simulated controller's server opens."""
        return self._controller.path

    def start(self) -> None:
        """Move bytes between the ends from the running event loop."""
        loop = asyncio.get_running_loop()
        loop.add_reader(self._client.master, self._carry, End.CLIENT)
        loop.add_reader(self._controller.master, self._carry, End.CONTROLLER)
        self._loop = loop

    def close(self) -> None:
        """Stop moving bytes and close both pty pairs."""
        if self._loop is not None:
            self._loop.remove_reader(self._client.master)
            self._loop.remove_reader(self._controller.master)
            self._loop = None
        self._client.close()
        self._controller.close()

    # What tests and the command line use

    def cut(self) -> None:
        """The pair is broken (or the controller off): nothing gets across."""
        self._cut = True

    def mend(self) -> None:
        """The pair is whole again."""
        self._cut = False

    def noise(self, rate: float) -> None:
        """Hit each frame with chance `rate` (0 ends the noise)."""
        if not 0.0 <= rate <= 1.0:
            msg = f"noise rate must be within 0-1, got {rate}"
            raise ValueError(msg)
        self._noise = rate

    async def inject(self, data: bytes, toward: End) -> None:
        """A burst of `data` reaches `toward`, then the line is quiet.

        The quiet lasts two frame silences, so what comes next is a frame of
        its own, as after a burst of interference on a real pair.
        """
        self.counts["injected"] += len(data)
        self._write(toward, data)
        await asyncio.sleep(2 * self.framing.silence)

    def client_matches(self) -> bool:
        """Whether the client's port is clocked as the line is."""
        return port_framing(self._client.slave) == expected_flags(self.framing)

    # The wire

    def _carry(self, sender: End) -> None:
        source = self._client if sender is End.CLIENT else self._controller
        try:
            data = os.read(source.master, _READ_SIZE)
        except BlockingIOError, InterruptedError:
            return
        except OSError:
            # EIO: no slave open, which cannot last as we hold one; drop it.
            return
        if self._cut:
            self.counts["lost"] += len(data)
            return
        if sender is End.CLIENT and not self.client_matches():
            # The controller's UART clocks these bits at its own rate.
            self.counts["misframed"] += len(data)
            data = self._garbage(len(data))
        elif self._noise and self._rng.random() < self._noise:
            data = self._hit(data)
        if self.recording:
            self._record(sender, data)
        receiver = End.CONTROLLER if sender is End.CLIENT else End.CLIENT
        self._write(receiver, data)

    def _hit(self, data: bytes) -> bytes:
        if self._rng.random() < 0.5:
            self.counts["crc"] += 1
            index = self._rng.randrange(len(data))
            flipped = data[index] ^ self._rng.randrange(1, 256)
            return data[:index] + bytes([flipped]) + data[index + 1 :]
        self.counts["burst"] += 1
        return self._garbage(self._rng.randrange(1, 9)) + data

    def _garbage(self, length: int) -> bytes:
        return bytes(self._rng.randrange(256) for _ in range(length))

    def _record(self, sender: End, data: bytes) -> None:
        # RTU is strictly request then answer: bytes from the same sender in
        # a row belong to one frame, however the pty split them.
        if self.frames and self.frames[-1].sender is sender:
            self.frames[-1] = Frame(sender, self.frames[-1].data + data)
        else:
            self.frames.append(Frame(sender, data))

    def _write(self, receiver: End, data: bytes) -> None:
        target = self._client if receiver is End.CLIENT else self._controller
        try:
            os.write(target.master, data)
        except BlockingIOError, InterruptedError:
            # Nobody reads that end and its buffer is full: the bytes are
            # lost, as on a wire without a listener.
            self.counts["overflow"] += len(data)


class RtuRequestHandler(FaultyRequestHandler):
    """The controller's side of the line: the simulator's faults, RTU timing."""

    _last_bytes_at = -math.inf

    def data_received(self, data: bytes) -> None:
        """Start a new frame after 3.5 characters of silence."""
        now = time.monotonic()
        if now - self._last_bytes_at > _silence(self.server.comm_params.baudrate):
            self.recv_buffer = b""
        self._last_bytes_at = now
        super().data_received(data)

    def close(self, reconnect: bool = False) -> None:
        """A request's DISCONNECT fault loses the request; shutdown closes.

        A serial line has no connection to cut, and pymodbus shares the one
        serial port between the server and this handler: closing it here
        would end the server for good.
        """
        if self.listener is not None:
            self.recv_buffer = b""
            return
        super().close(reconnect)


def _silence(baudrate: int | None) -> float:
    return Framing(baudrate or 19200).silence


class RtuServer(ModbusSerialServer):
    """pymodbus's RTU serial server, answering from the simulated devices."""

    def __init__(
        self,
        context: SiteContext,
        port: str,
        framing: Framing,
        faults: FaultInjector,
        unknown_unit: UnknownUnit,
    ) -> None:
        """Serve `context` on the serial port `port`."""
        super().__init__(
            context,
            framer=FramerType.RTU,
            port=port,
            baudrate=framing.baudrate,
            bytesize=framing.bytesize,
            parity=framing.parity,
            stopbits=framing.stopbits,
        )
        self.faults = faults
        self.unknown_unit = unknown_unit

    def callback_new_connection(self) -> RtuRequestHandler:
        """The serial port's one connection gets the fault-injecting handler."""
        return RtuRequestHandler(  # type: ignore[no-untyped-call]
            self, self.trace_packet, self.trace_pdu, self.trace_connect
        )


@asynccontextmanager
async def serve_rtu(
    sim: SimulatedSite,
    framing: Framing | None = None,
    *,
    seed: int = 0,
    unknown_unit: UnknownUnit = "silent",
) -> AsyncIterator[SerialLine]:
    """Serve `sim`'s devices on a new serial line for an `async with` block.

    The devices, the write log and the faults are `sim`'s own, so whatever a
    test does to `sim` shows on the line too. A unit id nobody has stays
    silent by default, as on a real RS-485 bus (there is no gateway to say
    exception 11).
    """
    line = SerialLine(framing, seed=seed)
    line.start()
    context = SiteContext(sim.devices, sim.writes)
    server = RtuServer(
        context, line.controller_device, line.framing, sim.faults, unknown_unit
    )
    try:
        await server.serve_forever(background=True)
        yield line
    finally:
        await server.shutdown()  # type: ignore[no-untyped-call]
        line.close()
        # Let the transports' close callbacks run before the loop moves on.
        await asyncio.sleep(0)


def rtu_banner(line: SerialLine) -> str:
    """Where a client connects to the line, for the command line."""
    return (
        f"Modbus RTU on a serial line at {line.framing}: connect to {line.device} "
        "(the same units, no gateway)"
    )


@asynccontextmanager
async def optional_rtu(
    sim: SimulatedSite, baudrate: int | None
) -> AsyncIterator[SerialLine | None]:
    """`serve_rtu` at `baudrate` 8N1, or nothing when `baudrate` is None."""
    if baudrate is None:
        yield None
        return
    async with serve_rtu(sim, Framing(baudrate)) as line:
        yield line
