"""Controller families: which profile reads a generator controller.

DSE GenComm is read by `DseController`. ComAp InteliLite and SmartGen HGM
controllers are read by the subclasses here, from their own profiles, into
the same `GeneratorState`, so everything above the hardware layer (entities,
site logic, journal, blueprints, page) works the same for all three. They
are subclasses so that code asking "is this the site's controller?" keeps
one answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
import math
from typing import override

from .client import ModbusConnection
from .devices import DseController, PollIntervals, ReadGroup
from .errors import HardwareError, ModbusExceptionError, NotDseControllerError
from .profiles import comap_intelilite as comap, smartgen_hgm as smartgen
from .registers import Block, Value
from .state import (
    Alarm,
    AlarmCondition,
    ControlMode,
    DeviceIdentity,
    GeneratorState,
    StatusFlag,
)


class ControllerFamily(StrEnum):
    """The controller families SOT Point reads, as stored in a subentry."""

    DSE = "dse"
    COMAP = "comap"
    SMARTGEN = "smartgen"


DEFAULT_FAMILY = ControllerFamily.DSE
# Exceptions that mean "no such register or function here": another kind of
# device (illegal function, address, value; GenComm's reserved register).
_NOT_THIS_KIND = frozenset({1, 2, 3, 12})
# Families SOT Point sends commands to. ComAp documents its command codes,
# but no fixed register for the mode or the engine state, so a start could
# not be judged nor a stop verified (profiles/comap_intelilite.py).
COMMANDABLE = frozenset({ControllerFamily.DSE, ControllerFamily.SMARTGEN})
MANUFACTURERS: dict[ControllerFamily, str] = {
    ControllerFamily.DSE: "Deep Sea Electronics",
    ControllerFamily.COMAP: comap.MANUFACTURER,
    ControllerFamily.SMARTGEN: smartgen.MANUFACTURER,
}


class WrongFamilyError(HardwareError):
    """Something answered, but not a controller of the chosen family."""

    key = "wrong_family"

    def __init__(self, family: ControllerFamily, detail: str) -> None:
        """Name the family that was expected and what was seen instead."""
        self.family = family
        super().__init__(f"not a {family.value} controller: {detail}")


def family_of(value: object) -> ControllerFamily:
    """The family stored in a subentry; DSE when absent (older subentries)."""
    try:
        return ControllerFamily(str(value)) if value else DEFAULT_FAMILY
    except ValueError:
        return DEFAULT_FAMILY


def controller_family(controller: DseController) -> ControllerFamily:
    """Which family a controller object reads."""
    if isinstance(controller, SmartGenController):
        return ControllerFamily.SMARTGEN
    if isinstance(controller, ComApController):
        return ControllerFamily.COMAP
    return ControllerFamily.DSE


def make_controller(
    family: ControllerFamily,
    connection: ModbusConnection,
    device_id: int,
    intervals: PollIntervals | None = None,
    expected_serial: str | None = None,
) -> DseController:
    """The reader for `family` at `device_id`."""
    kind = {
        ControllerFamily.DSE: DseController,
        ControllerFamily.COMAP: ComApController,
        ControllerFamily.SMARTGEN: SmartGenController,
    }[family]
    return kind(
        connection,
        device_id,
        intervals or PollIntervals(),
        expected_serial=expected_serial,
    )


async def identify(controller: DseController) -> DeviceIdentity:
    """Connect; a DSE that is not one raises WrongFamilyError like the others."""
    try:
        return await controller.connect()
    except NotDseControllerError as err:
        raise WrongFamilyError(ControllerFamily.DSE, str(err)) from err
    except ModbusExceptionError as err:
        # A register the family must have is refused: another kind of device.
        if err.code in _NOT_THIS_KIND:
            raise WrongFamilyError(controller_family(controller), str(err)) from err
        raise


# 0x0000-0x0006: mains L1-L3 and frequency, read alone in the fast cycle.
MAINS_BLOCK = Block("mains", 0x0000, 7)
_MAINS_KEYS = frozenset(
    {
        "mains_voltage_l1_n",
        "mains_voltage_l2_n",
        "mains_voltage_l3_n",
        "mains_frequency",
    }
)


class _NoClock:
    """Families whose documents give no clock SOT Point can set."""

    async def set_clock(self, epoch_seconds: int) -> Value:
        """Refuse: no documented, settable clock."""
        msg = f"no settable clock (asked for {epoch_seconds})"
        raise HardwareError(msg)

    async def read_clock(self) -> Value:
        """Refuse: no documented clock in seconds."""
        msg = "no clock in seconds since 1970"
        raise HardwareError(msg)


@dataclass
class SmartGenController(_NoClock, DseController):
    """A SmartGen HGM6100N-class controller (profiles/smartgen_hgm.py)."""

    @override
    async def connect(self) -> DeviceIdentity:
        """Check the mode coils and the status block; plan the reads.

        A SmartGen shows exactly one of its four mode coils set; GenComm
        defines no coil read at all (exception 1), and ComAp's coils are
        configuration bits that do not follow that pattern.
        """
        coils = await self.connection.read(self.device_id, smartgen.COIL_BLOCK)
        if smartgen.mode_of(coils) is None:
            msg = "not exactly one of the mode coils 0x28-0x2B is set"
            raise WrongFamilyError(ControllerFamily.SMARTGEN, msg)
        words = await self.connection.read(self.device_id, smartgen.STATUS_BLOCK)
        version = smartgen.decode(smartgen.STATUS_BLOCK, words)["software_version"]
        self.identity = DeviceIdentity(
            manufacturer=smartgen.MANUFACTURER,
            model=f"{smartgen.MODEL} (software {version})",
            # No serial register is documented for the HGM6100N.
            serial="",
        )
        self._groups = {
            # Every poll: mode, alarms (coils) and engine state with the
            # totals (0x22-0x32, 17 registers).
            "status": ReadGroup((smartgen.COIL_BLOCK, smartgen.STATUS_BLOCK), 0.0),
            "instruments": ReadGroup(
                (smartgen.MEASUREMENT_BLOCK,), self.intervals.instruments
            ),
            "totals": ReadGroup((), self.intervals.totals),
            "mains": ReadGroup((MAINS_BLOCK,), 0.0),
        }
        return self.identity

    @override
    def state(self) -> GeneratorState:
        """The snapshot from the coils and registers last read."""
        status = self._groups["status"]
        if status.words is None:
            return GeneratorState(mode=None, engine=None, flags=None)
        coils = status.words[smartgen.COIL_BLOCK.name]
        values = smartgen.decode(
            smartgen.STATUS_BLOCK, status.words[smartgen.STATUS_BLOCK.name]
        )
        engine = smartgen.engine_of(values.pop("generator_status"))
        run_time = smartgen.run_time_seconds(values)
        for key in ("run_hours", "run_minutes", "run_seconds", "software_version"):
            values.pop(key, None)
        if run_time is not None:
            values["run_time"] = run_time
        instruments = self._groups["instruments"]
        if instruments.words is not None:
            values |= smartgen.decode(
                smartgen.MEASUREMENT_BLOCK,
                instruments.words[smartgen.MEASUREMENT_BLOCK.name],
            )
        values = self._with_smartgen_mains(values)
        return GeneratorState(
            mode=smartgen.mode_of(coils),
            engine=engine,
            flags=smartgen.flags_of(coils),
            values=values,
            alarms=smartgen.alarms_of(coils),
        )

    def _with_smartgen_mains(self, values: dict[str, Value]) -> dict[str, Value]:
        # As for DSE (DseController._with_mains): the newest mains read, and
        # none at all when the fast read failed.
        mains = self._groups["mains"]
        if mains.words is not None:
            return values | smartgen.decode(MAINS_BLOCK, mains.words[MAINS_BLOCK.name])
        if mains.error is not None:
            return {k: v for k, v in values.items() if k not in _MAINS_KEYS}
        return values


def smartgen_coil(command: str, mode: ControlMode | None) -> int | None:
    """The remote coil that carries out `command` (a Command value), or None.

    Start is documented as the panel's start: it starts the set in Manual
    (and Test); in Auto the controller decides, so it is not offered there.
    """
    coils = {
        "stop": smartgen.REMOTE_STOP,
        "select_auto": smartgen.REMOTE_AUTO_MODE,
        "select_manual": smartgen.REMOTE_MANUAL_MODE,
        "select_test_on_load": smartgen.REMOTE_TEST_MODE,
    }
    if command == "start":
        hands_on = (ControlMode.MANUAL, ControlMode.TEST_ON_LOAD)
        return smartgen.REMOTE_START if mode in hands_on else None
    return coils.get(command)


@dataclass
class ComApController(_NoClock, DseController):
    """A ComAp InteliLite controller (profiles/comap_intelilite.py), read-only."""

    @override
    async def connect(self) -> DeviceIdentity:
        """Check the reserved registers read as ComAp's; plan the reads."""
        rtc = await self.connection.read(self.device_id, comap.RTC_BLOCK)
        status = await self.connection.read(self.device_id, comap.STATUS_BLOCK)
        if not comap.looks_like_comap(rtc, status):
            msg = "the reserved registers 4200-4214 do not read as ComAp's"
            raise WrongFamilyError(ControllerFamily.COMAP, msg)
        self.identity = DeviceIdentity(
            manufacturer=comap.MANUFACTURER,
            model=comap.MODEL,
            # The serial number is a configuration value with no fixed address.
            serial="",
        )
        self._groups = {
            "status": ReadGroup((comap.STATUS_BLOCK,), 0.0),
            "instruments": ReadGroup(
                (comap.BATTERY_BLOCK, *comap.alarm_blocks(status[2])),
                self.intervals.instruments,
            ),
            "totals": ReadGroup((), self.intervals.totals),
            "mains": ReadGroup((), 0.0),
        }
        return self.identity

    @override
    async def poll(self, *, fresh_instruments: bool = False) -> GeneratorState:
        """Poll; when the alarm list grew past what is read, read more next time."""
        state = await super().poll(fresh_instruments=fresh_instruments)
        status = self._groups["status"].words
        instruments = self._groups["instruments"]
        if status is not None:
            count = status[comap.STATUS_BLOCK.name][2]
            wanted = (comap.BATTERY_BLOCK, *comap.alarm_blocks(count))
            if wanted != instruments.blocks:
                instruments.blocks = wanted
                instruments.last_read = -math.inf
                instruments.words = None
        return state

    @override
    def state(self) -> GeneratorState:
        """Battery voltage and the alarm list; mode and engine unknown."""
        status = self._groups["status"]
        if status.words is None:
            return GeneratorState(mode=None, engine=None, flags=None)
        instruments = self._groups["instruments"]
        values: dict[str, Value] = {}
        alarms: tuple[Alarm, ...] | None = None
        flags = StatusFlag(0)
        if instruments.words is not None:
            words = instruments.words
            values["battery_voltage"] = comap.battery_voltage(
                words[comap.BATTERY_BLOCK.name]
            )
            alarm_words = [
                word for block in instruments.blocks[1:] for word in words[block.name]
            ]
            alarms = _comap_alarms(comap.decode_alarm_list(alarm_words))
            flags = _comap_flags(alarms)
        return GeneratorState(
            mode=None, engine=None, flags=flags, values=values, alarms=alarms
        )


def _comap_alarms(records: Sequence[comap.AlarmRecord]) -> tuple[Alarm, ...]:
    """One alarm per text (the controller's own words), the worst condition."""
    worst: dict[str, AlarmCondition] = {}
    rank = {AlarmCondition.SHUTDOWN: 2, AlarmCondition.WARNING: 1}
    for record in records:
        key = record.text or "alarm"
        condition = record.condition
        if rank.get(condition, 0) >= rank.get(worst.get(key, condition), 0):
            worst[key] = condition
    return tuple(Alarm(key, condition) for key, condition in worst.items())


def _comap_flags(alarms: Sequence[Alarm]) -> StatusFlag:
    flags = StatusFlag(0)
    if any(a.condition is AlarmCondition.WARNING for a in alarms):
        flags |= StatusFlag.WARNING
    if any(a.condition is AlarmCondition.SHUTDOWN for a in alarms):
        flags |= StatusFlag.SHUTDOWN
    return flags


def requests_per_full_poll(family: ControllerFamily, alarm_count: int = 0) -> int:
    """Requests of one full poll (status, instruments, alarms), totals aside."""
    if family is ControllerFamily.SMARTGEN:
        return 3  # coils, 0x22-0x32, 0x00-0x1A
    if family is ControllerFamily.COMAP:
        return 2 + len(comap.alarm_blocks(alarm_count))  # status, battery, list
    return 4  # page 3 status, page 5 engine, page 4, page 154


__all__ = [
    "COMMANDABLE",
    "ComApController",
    "ControllerFamily",
    "SmartGenController",
    "WrongFamilyError",
    "family_of",
    "make_controller",
]
