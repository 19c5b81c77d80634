"""ComAp InteliLite AMF controllers: IL-NT AMF20/AMF25 and InteliLite 4 AMF.

Addresses are 0-based wire addresses. Sources (docs/controllers.md has the
list) and confidence marks as in shared/domain/dse-gencomm.md:

- IL4: ComAp "InteliLite4 AMF20 Global Guide", Modbus chapter, pp. 189-191
  (reserved registers, list of commands, Modbus remote start, examples).
- ILG: ComAp "InteliLite Global Guide" (InteliLite AMF25), pp. 155-161.
- IL9: ComAp "InteliLite 9 Global Guide", pp. 127-134.
- ILNT: ComAp "IL-NT-AMF Reference Guide" 1.2 p. 74 and 1.5 p. 94.

What the documents make plain is that ComAp's value registers are not fixed:
each controller's addresses come from its own configuration, exported from
InteliConfig (InteliLite 4) or LiteEdit (IL-NT: "the communication object
number will always be used as a register address", ILNT p. 74). Only the
"reserved registers ... available in all controllers regardless of the
configuration" (IL4 p. 189, ILG p. 156, IL9 p. 128; C) are the same on
every unit. So this profile reads those, plus the battery voltage, which
two guides' exported tables put at the same address.

Not read, because no fixed address is documented (left out rather than
guessed): the controller mode (SNMP object 8315, IL4 p. 186, has no Modbus
address in the guides), the engine state, generator and mains voltages,
currents, frequencies, power, fuel level, run hours, starts, model and
serial number. With no mode and no engine state the interlocks cannot judge
a start or verify a stop, so SOT Point does not command this family, though
the guides list the command codes (kept below for the record and the
simulator).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from ..registers import Block, RegisterSpec, Value
from ..state import AlarmCondition

MANUFACTURER = "ComAp"
MODEL = "InteliLite"

# Reserved registers (IL4 p. 189-190, ILG p. 156-157, IL9 p. 128; C).
RTC_TIME_ADDRESS = 4200  # 2 registers, BCD hh mm / ss 00
RTC_DATE_ADDRESS = 4202  # 2 registers, BCD dd mm / yy 00
LAST_ERROR_ADDRESS = 4205  # 2 registers, after exception 04
COMMAND_ARGUMENT_ADDRESS = 4207  # 2 registers: argument in, result out
COMMAND_CODE_ADDRESS = 4209
PASSWORD_ADDRESS = 4211
COMMUNICATION_STATUS_ADDRESS = 4212  # 2 registers
ALARM_COUNT_ADDRESS = 4214  # Unsigned8: items in the alarm list
ALARM_RECORD_ADDRESS = 4215  # 16 records of 27 registers each
ALARM_RECORD_WORDS = 27
ALARM_RECORDS = 16
ALARM_TEXT_WORDS = ALARM_RECORD_WORDS - 2

# BatteryVoltage, com. object 8213, V with one decimal, "Integer, Len 2":
# register 1053 in the exported tables shown by IL4 p. 191 and IL9 p. 130
# (C for those exports; a configuration could move it, so a value outside
# 0-40 V reads as bad data rather than as a voltage).
BATTERY_SPEC = RegisterSpec(
    "battery_voltage", 1053, scale=0.1, unit="V", sentinels=False, valid=(0, 40)
)
BATTERY_BLOCK = Block("battery", 1053, 1)

# Identity: the clock and the communication status with the alarm count,
# two reads that skip the write-only command code (4209) and the register
# the guides mark "not implemented" (4210). A DSE (GenComm page 16) or
# SmartGen unit has nothing ComAp-shaped there.
RTC_BLOCK = Block("rtc", RTC_TIME_ADDRESS, 4)
STATUS_BLOCK = Block("communication_status", COMMUNICATION_STATUS_ADDRESS, 3)
IDENTITY_BLOCKS = (RTC_BLOCK, STATUS_BLOCK)
# A 125-register read holds the count and four records; the list's other
# twelve records are read only when the count says they are in use.
ALARM_BLOCKS_MAX = 4


class AlarmLevel(IntEnum):
    """An alarm record's level (MSB of its second word; IL4 p. 188, C)."""

    LEVEL_1 = 1  # yellow: warning
    LEVEL_2 = 2  # red: shutdown
    SENSOR_FAIL = 3


# Alarm status bits (LSB of the second word; C).
ALARM_ACTIVE_BIT = 0x01
ALARM_CONFIRMED_BIT = 0x02


class CommandCode(IntEnum):
    """Command codes written to 4209 (IL4 p. 190, ILG p. 157; C)."""

    ENGINE = 0x01
    BREAKER = 0x02


@dataclass(frozen=True, slots=True)
class ComApCommand:
    """One documented command: code, argument, and the value it returns."""

    code: CommandCode
    argument: int
    returns: int


# The list of commands and arguments (IL4 p. 190, ILG p. 157, IL9 p. 128;
# C). Return 0x00000001 = invalid argument, 0x00000002 = refused.
COMMANDS: dict[str, ComApCommand] = {
    "engine_start": ComApCommand(CommandCode.ENGINE, 0x01FE0000, 0x000001FF),
    "engine_stop": ComApCommand(CommandCode.ENGINE, 0x02FD0000, 0x000002FE),
    "fault_reset": ComApCommand(CommandCode.ENGINE, 0x08F70000, 0x000008F8),
    "horn_reset": ComApCommand(CommandCode.ENGINE, 0x04FB0000, 0x000004FC),
    "gcb_on": ComApCommand(CommandCode.BREAKER, 0x11EF0000, 0x000011F0),
    "gcb_off": ComApCommand(CommandCode.BREAKER, 0x11F00000, 0x000011F1),
    "mcb_on": ComApCommand(CommandCode.BREAKER, 0x12EE0000, 0x000012EF),
    "mcb_off": ComApCommand(CommandCode.BREAKER, 0x12EF0000, 0x000012F0),
}
COMMAND_INVALID_ARGUMENT = 0x00000001
COMMAND_REFUSED = 0x00000002


def command_words(command: ComApCommand) -> list[int]:
    """Argument (high word first) and code, one FC16 "packet" (ILG p. 161)."""
    return [command.argument >> 16, command.argument & 0xFFFF, int(command.code)]


def command_from_words(words: Sequence[int]) -> tuple[str, ComApCommand] | None:
    """The documented command three written words carry, or None."""
    if len(words) != 3:
        return None
    argument = words[0] << 16 | words[1]
    for name, command in COMMANDS.items():
        if command.argument == argument and int(command.code) == words[2]:
            return name, command
    return None


def bcd(value: int) -> int:
    """A number 0-99 as one BCD byte."""
    return (value // 10) << 4 | value % 10


def from_bcd(byte: int) -> int | None:
    """One BCD byte as a number; None when a nibble is not a digit."""
    high, low = byte >> 4, byte & 0xF
    return None if high > 9 or low > 9 else high * 10 + low


def looks_like_comap(rtc: Sequence[int], status: Sequence[int]) -> bool:
    """Whether the reserved registers read as ComAp's: a BCD clock, a count.

    The time words are hh mm / ss 00 and the date dd mm / yy 00 in BCD
    (IL4 p. 188, C); the alarm list holds at most 16 items.
    """
    if len(rtc) != RTC_BLOCK.count or len(status) != STATUS_BLOCK.count:
        return False
    clock = read_clock(rtc)
    return clock is not None and status[2] <= ALARM_RECORDS


def read_clock(words: Sequence[int]) -> tuple[int, int, int, int, int, int] | None:
    """(year, month, day, hour, minute, second) from the RTC words, or None."""
    if words[1] & 0xFF or words[3] & 0xFF:
        return None
    parts = (
        from_bcd(words[3] >> 8),
        from_bcd(words[2] & 0xFF),
        from_bcd(words[2] >> 8),
        from_bcd(words[0] >> 8),
        from_bcd(words[0] & 0xFF),
        from_bcd(words[1] >> 8),
    )
    year, month, day, hour, minute, second = parts
    if year is None or month is None or day is None:
        return None
    if hour is None or minute is None or second is None:
        return None
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if not (hour < 24 and minute < 60 and second < 60):
        return None
    return 2000 + year, month, day, hour, minute, second


def clock_words(when: tuple[int, int, int, int, int, int]) -> list[int]:
    """The four RTC words for (year, month, day, hour, minute, second)."""
    year, month, day, hour, minute, second = when
    return [
        bcd(hour) << 8 | bcd(minute),
        bcd(second) << 8,
        bcd(day) << 8 | bcd(month),
        bcd(year % 100) << 8,
    ]


@dataclass(frozen=True, slots=True)
class AlarmRecord:
    """One item of the controller's alarm list."""

    level: int
    active: bool
    confirmed: bool
    text: str

    @property
    def condition(self) -> AlarmCondition:
        """GenComm's condition for this item: red stops the set."""
        if not self.active:
            return AlarmCondition.NOT_ACTIVE
        if self.level == AlarmLevel.LEVEL_2:
            return AlarmCondition.SHUTDOWN
        return AlarmCondition.WARNING


def decode_record(words: Sequence[int]) -> AlarmRecord:
    """One 27-register record: reserved, level|status, then UTF-8 text."""
    level, status = words[1] >> 8, words[1] & 0xFF
    raw = b"".join(w.to_bytes(2, "big") for w in words[2:ALARM_RECORD_WORDS])
    text = raw.split(b"\0", 1)[0].decode("utf-8", errors="replace").strip()
    return AlarmRecord(
        level=level,
        active=bool(status & ALARM_ACTIVE_BIT),
        confirmed=bool(status & ALARM_CONFIRMED_BIT),
        text=text,
    )


def encode_record(record: AlarmRecord) -> list[int]:
    """The 27 registers of one alarm-list item (simulator, tests)."""
    status = (ALARM_ACTIVE_BIT if record.active else 0) | (
        ALARM_CONFIRMED_BIT if record.confirmed else 0
    )
    raw = record.text.encode("utf-8")[: 2 * ALARM_TEXT_WORDS - 1]
    raw = raw.ljust(2 * ALARM_TEXT_WORDS, b"\0")
    text = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
    return [0, record.level << 8 | status, *text]


def alarm_blocks(count: int) -> tuple[Block, ...]:
    """The reads that cover the count and `count` records, at most 125 each."""
    records = min(max(count, 0), ALARM_RECORDS)
    blocks = [
        Block(
            "alarm_list", ALARM_COUNT_ADDRESS, 1 + min(records, 4) * ALARM_RECORD_WORDS
        )
    ]
    first = 4
    while first < records:
        take = min(ALARM_BLOCKS_MAX, records - first)
        address = ALARM_RECORD_ADDRESS + first * ALARM_RECORD_WORDS
        blocks.append(Block(f"alarm_list_{first}", address, take * ALARM_RECORD_WORDS))
        first += take
    return tuple(blocks)


def decode_alarm_list(words: Sequence[int]) -> tuple[AlarmRecord, ...]:
    """The count and the records after it, as read from 4214 on."""
    count = min(words[0], ALARM_RECORDS)
    body = words[1:]
    return tuple(
        decode_record(body[i * ALARM_RECORD_WORDS : (i + 1) * ALARM_RECORD_WORDS])
        for i in range(count)
        if len(body) >= (i + 1) * ALARM_RECORD_WORDS
    )


def battery_voltage(words: Sequence[int]) -> Value:
    """Decode the battery register."""
    return BATTERY_SPEC.raw_to_value(words[0])
