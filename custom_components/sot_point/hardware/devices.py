"""Device readers: one per profile, each turning block reads into a snapshot.

A reader keeps the last good values of each read group until that group is due
again. When a group's read fails its values are dropped at once, so the caller
shows "unavailable" rather than a number that is no longer true.
"""

from __future__ import annotations

from collections.abc import Sequence
import contextlib
from dataclasses import dataclass, field
import math
import time

from .client import ModbusConnection
from .errors import (
    HardwareError,
    NotDseControllerError,
    SerialMismatchError,
    WrongDeviceError,
)
from .profiles import ats, dse_gencomm as dse, generic_io as io
from .registers import Block, RegisterSpec, Value, decode_block, decode_nibbles
from .state import (
    Alarm,
    AlarmCondition,
    ControlMode,
    DeviceIdentity,
    EngineState,
    GeneratorState,
    IoState,
    StatusFlag,
    TransferState,
)


@dataclass
class ReadGroup:
    """Blocks read together at one interval, and what they last gave."""

    blocks: tuple[Block, ...]
    interval: float
    last_read: float = -math.inf
    words: dict[str, list[int]] | None = None
    error: HardwareError | None = None

    def due(self, now: float) -> bool:
        """Whether the interval has passed (or the last read failed)."""
        return self.words is None or now - self.last_read >= self.interval

    async def refresh(self, connection: ModbusConnection, device_id: int) -> None:
        """Read every block; on any failure keep nothing from this group."""
        words: dict[str, list[int]] = {}
        try:
            for block in self.blocks:
                words[block.name] = await connection.read(device_id, block)
        except HardwareError as err:
            self.words, self.error = None, err
            raise
        self.words, self.error = words, None
        self.last_read = time.monotonic()

    def forget(self) -> None:
        """Hold nothing, and no error: another group read these values now."""
        self.words, self.error = None, None


@dataclass(frozen=True, slots=True)
class PollIntervals:
    """Seconds between reads of each group.

    Status (with the engine state) is read on every poll, and so is the mains
    block whenever page 4 is not: the fast cycle.
    """

    instruments: float = 5.0
    totals: float = 60.0


def _decode(
    specs: Sequence[RegisterSpec],
    blocks: tuple[Block, ...],
    words: dict[str, list[int]],
) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for block in blocks:
        values |= decode_block(specs, block, words[block.name])
    return values


@dataclass
class DseController:
    """A DSE controller over GenComm: identity once, then status, values, alarms."""

    connection: ModbusConnection
    device_id: int = 10
    intervals: PollIntervals = field(default_factory=PollIntervals)
    # The serial number set up for this address: another controller
    # answering there raises SerialMismatchError instead of being read.
    expected_serial: str | None = None
    identity: DeviceIdentity | None = None
    model_code: int = 0
    supported_functions: frozenset[int] = frozenset()
    _groups: dict[str, ReadGroup] = field(default_factory=dict)

    async def connect(self) -> DeviceIdentity:
        """Read who the controller is and what it supports; plan the reads."""
        words = await self.connection.read(self.device_id, dse.IDENTITY_BLOCK)
        raw = decode_block(dse.IDENTITY_SPECS, dse.IDENTITY_BLOCK, words)
        if raw["manufacturer_code"] != dse.MANUFACTURER_DSE:
            msg = f"manufacturer code {raw['manufacturer_code']} is not DSE (1)"
            raise NotDseControllerError(msg)
        self.model_code = int(raw["model_code"])
        self.identity = DeviceIdentity(
            manufacturer="Deep Sea Electronics",
            model=dse.model_name(self.model_code),
            serial=str(raw["serial_number"]),
            model_code=self.model_code,
        )
        self.supported_functions = await self._read_supported_functions()
        plan = dse.read_plan(self.model_code)
        self._groups = {
            "status": ReadGroup(plan.status, 0.0),
            "instruments": ReadGroup(plan.instruments, self.intervals.instruments),
            "totals": ReadGroup(plan.totals, self.intervals.totals),
            # Interval 0: read on every poll that does not read page 4.
            "mains": ReadGroup(plan.mains, 0.0),
        }
        return self.identity

    async def _read_supported_functions(self) -> frozenset[int]:
        # Older units have no page 16 map; an empty set means "unknown", and
        # the controller's own exception 7 then guards unsupported keys.
        try:
            words = await self.connection.read(
                self.device_id, dse.SUPPORTED_FUNCTIONS_BLOCK
            )
        except HardwareError:
            return frozenset()
        return dse.supported_functions(words)

    async def poll(self, *, fresh_instruments: bool = False) -> GeneratorState:
        """Read status, the mains or page 4, and the other groups when due.

        A failed status read raises: the controller is not answering, and
        trying the slower groups would only stack more timeouts on the bus.
        A failed instrument, mains or totals read drops just that group's
        values. `fresh_instruments` reads the instruments with the alarm page
        now, due or not, and raises if that read fails: a start or a transfer
        is judged on them.
        """
        try:
            if self.identity is None:
                await self.connect()
                self._check_serial()
            await self._groups["status"].refresh(self.connection, self.device_id)
        except HardwareError:
            # Whatever answers here next may be another controller (a
            # rewiring, or the wrong one put right): read who it is again.
            self.identity = None
            raise
        now = time.monotonic()
        instruments = self._groups["instruments"]
        mains = self._groups["mains"]
        if fresh_instruments or instruments.due(now):
            # Page 4 holds the mains registers too: reading the mains block
            # as well would repeat them, and the full poll stays at four
            # requests. Its last read is forgotten, so page 4's is shown.
            mains.forget()
            if fresh_instruments:
                await instruments.refresh(self.connection, self.device_id)
            else:
                # The error stays in group.error; the group's values are gone.
                with contextlib.suppress(HardwareError):
                    await instruments.refresh(self.connection, self.device_id)
        else:
            # The fast cycle: without a transfer switch the controller is the
            # only witness of a lost grid, and page 4 alone comes round only
            # every instrument interval.
            with contextlib.suppress(HardwareError):
                await mains.refresh(self.connection, self.device_id)
        totals = self._groups["totals"]
        if totals.due(now):
            with contextlib.suppress(HardwareError):
                await totals.refresh(self.connection, self.device_id)
        return self.state()

    def _check_serial(self) -> None:
        found = self.identity.serial if self.identity else None
        if self.expected_serial is not None and found != self.expected_serial:
            raise SerialMismatchError(self.expected_serial, str(found))

    def state(self) -> GeneratorState:
        """The snapshot built from the groups' last good reads."""
        status = self._groups["status"]
        if status.words is None:
            return GeneratorState(mode=None, engine=None, flags=None)
        values = _decode(
            dse.STATUS_SPECS + dse.ENGINE_SPECS, status.blocks, status.words
        )
        instruments = self._groups["instruments"]
        alarms: tuple[Alarm, ...] | None = None
        if instruments.words is not None:
            values |= _decode(
                dse.INSTRUMENT_SPECS, instruments.blocks, instruments.words
            )
            alarms = self._alarms(instruments.words["alarms"])
        values = self._with_mains(values)
        totals = self._groups["totals"]
        if totals.words is not None:
            values |= _decode(
                dse.POWER_SPECS + dse.COUNTER_SPECS, totals.blocks, totals.words
            )
        return GeneratorState(
            mode=_enum(ControlMode, values.pop("control_mode")),
            engine=_enum(EngineState, values.pop("engine_state")),
            flags=StatusFlag(int(values.pop("status_flags"))),
            values=values,
            alarms=alarms,
            supported_functions=self.supported_functions,
        )

    def _with_mains(self, values: dict[str, Value]) -> dict[str, Value]:
        """The mains from the newest read of it: the fast block, or page 4.

        The mains group holds words only when it was read after page 4 (a
        page-4 read forgets it). When its own read failed, page 4's mains
        values are dropped too: they are up to an instrument interval old,
        and an old "mains good" would hide a loss. No mains values means
        "unknown", never "lost", so a silent controller raises no outage.
        """
        mains = self._groups.get("mains")
        if mains is None:
            return values
        if mains.words is not None:
            return values | _decode(dse.MAINS_SENSING_SPECS, mains.blocks, mains.words)
        if mains.error is not None:
            return {k: v for k, v in values.items() if k not in dse.MAINS_SENSING_KEYS}
        return values

    def _alarms(self, words: list[int]) -> tuple[Alarm, ...]:
        names = dse.alarm_names(self.model_code)
        count = min(words[0], len(names))
        codes = decode_nibbles(words[1:], count)
        return tuple(
            Alarm(name, AlarmCondition.from_code(code))
            for name, code in zip(names[:count], codes, strict=True)
        )

    async def set_clock(self, epoch_seconds: int) -> Value:
        """Set the controller's clock, then read back what it took.

        Both words go in one FC16 request: GenComm refuses half a 32-bit value
        (exception 13), and between two single writes the clock would be up to
        18 hours off.
        """
        spec = dse.CLOCK_SPEC
        await self.connection.write_registers(
            self.device_id, spec.address, spec.words_of(epoch_seconds)
        )
        # The counters group carries the clock too; read it again on the next
        # poll rather than show the old time for a whole totals interval.
        if totals := self._groups.get("totals"):
            totals.last_read = -math.inf
        return await self.read_clock()

    async def read_clock(self) -> Value:
        """The controller's clock now, seconds since 1970 (or why there is none)."""
        words = await self.connection.read(self.device_id, dse.CLOCK_BLOCK)
        return decode_block((dse.CLOCK_SPEC,), dse.CLOCK_BLOCK, words)[
            dse.CLOCK_SPEC.key
        ]

    def read_age(self, group: str) -> float | None:
        """Seconds since a read group's values were read; None if it has none.

        Values of the slower groups are up to an interval old; a clock read a
        minute ago is a minute behind, not a minute wrong.
        """
        read = self._groups.get(group)
        if read is None or read.words is None:
            return None
        return time.monotonic() - read.last_read

    def raw_blocks(self) -> dict[str, dict[str, list[int]] | None]:
        """The words of each group's last good read, by block, for diagnostics."""
        return {name: group.words for name, group in self._groups.items()}

    @property
    def errors(self) -> dict[str, HardwareError]:
        """The last error of each group that failed."""
        return {n: g.error for n, g in self._groups.items() if g.error is not None}


def _enum[E: (ControlMode, EngineState)](kind: type[E], value: Value) -> E | None:
    if isinstance(value, int):
        try:
            return kind(value)
        except ValueError:
            return None
    return None


@dataclass
class IoModule:
    """A Modbus I/O module: tank level, room temperature, heater relay."""

    connection: ModbusConnection
    config: io.IoModuleConfig
    device_id: int = 1

    async def poll(self) -> IoState:
        """Read the inputs and the relay; any failure raises."""
        values = await self._read_inputs()
        heater_on: bool | None = None
        relay = self.config.relay_block()
        if relay is not None:
            (word,) = await self.connection.read(self.device_id, relay)
            heater_on = bool(word)
        return self._state(values, heater_on)

    async def _read_inputs(self) -> dict[str, Value]:
        specs = [
            s for s in (self.config.level_spec(), self.config.temperature_spec()) if s
        ]
        block = self.config.input_block()
        blocks = (
            [block]
            if block
            else [Block(s.key, s.address, s.words, io.FUNCTION_INPUT) for s in specs]
        )
        values: dict[str, Value] = {}
        for each in blocks:
            words = await self.connection.read(self.device_id, each)
            values |= decode_block(specs, each, words)
        return values

    def _state(self, values: dict[str, Value], heater_on: bool | None) -> IoState:
        temperature = values.get("room_temperature")
        raw = values.get("tank_level_raw")
        if not isinstance(raw, int):
            return IoState(room_temperature=_number(temperature), heater_on=heater_on)
        current = raw / self.config.level_raw_per_ma
        fault = io.loop_fault(current)
        return IoState(
            tank_current_ma=round(current, 3),
            tank_fault=fault.value if fault else None,
            tank_fraction=None if fault else io.fill_fraction(current, self.config),
            tank_litres=None if fault else io.litres(current, self.config),
            room_temperature=_number(temperature),
            heater_on=heater_on,
        )

    async def set_heater(self, on: bool) -> None:
        """Switch the heater relay."""
        if self.config.relay_kind is io.RelayKind.COIL:
            await self.connection.write_coil(
                self.device_id, self.config.relay_address, on
            )
        elif self.config.relay_kind is io.RelayKind.HOLDING_REGISTER:
            await self.connection.write_register(
                self.device_id, self.config.relay_address, int(on)
            )
        else:
            msg = "this I/O module has no heater relay configured"
            raise WrongDeviceError(msg)


def _number(value: Value | None) -> float | None:
    return value if isinstance(value, int | float) else None


@dataclass
class TransferSwitch:
    """A separate ATS with a Socomec ATyS-style status map."""

    connection: ModbusConnection
    device_id: int = 2

    async def identify(self) -> None:
        """Check that the device is an ATS of the expected family."""
        words = await self.connection.read(
            self.device_id, Block("ats_ident", ats.IDENT_ADDRESS, 2)
        )
        if words != ats.ident_words():
            msg = f"identification {words} is not {ats.IDENT_TEXT!r}"
            raise WrongDeviceError(msg)

    async def poll(self) -> TransferState:
        """Read position, mode and source availability."""
        words = await self.connection.read(self.device_id, ats.STATUS_BLOCK)
        values = decode_block(ats.STATUS_SPECS, ats.STATUS_BLOCK, words)
        return ats.transfer_state({k: int(v) for k, v in values.items()})
