"""Register specifications as data, and the one codec that reads them.

A profile lists RegisterSpecs; the client reads them in planned blocks and
`decode_block` turns the raw words into named values. The simulator uses the same
specs with `encode` so both sides share one map. GenComm marks values that are
not a measurement (sensor missing, out of range, faulty) with sentinels at the
top of each type's range; those decode to an `Unavailable` reason, never to a
number, so a broken sender can never show up as "65535 kPa".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

WORD = 0x10000


class Unavailable(StrEnum):
    """Why a register holds no measurement (GenComm sentinels, highest first)."""

    NOT_AVAILABLE = "not_available"
    OVER_RANGE = "over_range"
    UNDER_RANGE = "under_range"
    TRANSDUCER_FAULT = "transducer_fault"
    BAD_DATA = "bad_data"
    HIGH_DIGITAL_INPUT = "high_digital_input"
    LOW_DIGITAL_INPUT = "low_digital_input"
    RESERVED = "reserved"


# Sentinels count down from the top of each type: the largest value means
# "unimplemented", the next "over range", and so on (GenComm V1.29 p.11, p.38).
_SENTINEL_ORDER: tuple[Unavailable, ...] = tuple(Unavailable)

type Value = float | int | Unavailable


@dataclass(frozen=True, slots=True)
class RegisterSpec:
    """One value in a device's register map.

    `address` is the 0-based wire address; `words` is 1 or 2 (32-bit values are
    high word first). `scale` turns the raw integer into `unit`. `sentinels`
    says whether the top of the range carries GenComm's "not a value" codes.
    `valid` is the documented range of the scaled value: anything outside it
    cannot be a measurement and decodes as BAD_DATA rather than as a number.
    """

    key: str
    address: int
    words: int = 1
    signed: bool = False
    scale: float = 1.0
    unit: str | None = None
    sentinels: bool = True
    valid: tuple[float, float] | None = None

    @property
    def end(self) -> int:
        """The first address after this value."""
        return self.address + self.words

    @property
    def _bits(self) -> int:
        return 16 * self.words

    @property
    def max_raw(self) -> int:
        """The largest raw value of this type, before any sentinel."""
        return (1 << (self._bits - 1)) - 1 if self.signed else (1 << self._bits) - 1

    def raw_to_value(self, raw: int) -> Value:
        """Decode an unsigned raw integer read from the wire."""
        if self.signed and raw >= 1 << (self._bits - 1):
            raw -= 1 << self._bits
        if self.sentinels:
            top = self.max_raw
            if top - len(_SENTINEL_ORDER) < raw <= top:
                return _SENTINEL_ORDER[top - raw]
        value = (
            raw if self.scale == 1 else round(raw * self.scale, _decimals(self.scale))
        )
        if self.valid and not self.valid[0] <= value <= self.valid[1]:
            return Unavailable.BAD_DATA
        return value

    def value_to_raw(self, value: Value) -> int:
        """Encode a value (or a reason) as the unsigned raw integer on the wire."""
        if isinstance(value, Unavailable):
            raw = self.max_raw - _SENTINEL_ORDER.index(value)
        else:
            raw = round(value / self.scale)
            low = -(1 << (self._bits - 1)) if self.signed else 0
            limit = self.max_raw - (len(_SENTINEL_ORDER) if self.sentinels else 0)
            raw = max(low, min(limit, raw))
        return raw & ((1 << self._bits) - 1)

    def words_of(self, value: Value) -> list[int]:
        """The registers that carry `value`, high word first."""
        raw = self.value_to_raw(value)
        return [(raw >> (16 * i)) & 0xFFFF for i in reversed(range(self.words))]


def _decimals(scale: float) -> int:
    text = f"{scale:.6f}".rstrip("0")
    return len(text.partition(".")[2])


@dataclass(frozen=True, slots=True)
class Block:
    """A contiguous run of registers read in one Modbus request."""

    name: str
    address: int
    count: int
    function: int = 3

    @property
    def end(self) -> int:
        """The first address after the block."""
        return self.address + self.count

    def covers(self, spec: RegisterSpec) -> bool:
        """Whether the whole value lies inside this block."""
        return self.address <= spec.address and spec.end <= self.end


def block_for(name: str, specs: Iterable[RegisterSpec], function: int = 3) -> Block:
    """The smallest block that holds all `specs`."""
    specs = list(specs)
    start = min(spec.address for spec in specs)
    end = max(spec.end for spec in specs)
    return Block(name, start, end - start, function)


def decode_block(
    specs: Iterable[RegisterSpec], block: Block, registers: Sequence[int]
) -> dict[str, Value]:
    """Decode every spec that lies inside `block` from the words read."""
    if len(registers) != block.count:
        msg = f"{block.name}: expected {block.count} registers, got {len(registers)}"
        raise ValueError(msg)
    values: dict[str, Value] = {}
    for spec in specs:
        if not block.covers(spec):
            continue
        offset = spec.address - block.address
        raw = 0
        for word in registers[offset : offset + spec.words]:
            raw = (raw << 16) | (word & 0xFFFF)
        values[spec.key] = spec.raw_to_value(raw)
    return values


def encode_values(
    specs: Iterable[RegisterSpec], values: Mapping[str, Value]
) -> dict[int, int]:
    """Registers (address -> word) that carry `values`, for a server."""
    registers: dict[int, int] = {}
    for spec in specs:
        if spec.key in values:
            for offset, word in enumerate(spec.words_of(values[spec.key])):
                registers[spec.address + offset] = word
    return registers


def decode_nibbles(words: Sequence[int], count: int) -> list[int]:
    """Unpack 4-bit codes, four per register, the first in bits 15-12."""
    return [(words[i // 4] >> (12 - 4 * (i % 4))) & 0xF for i in range(count)]


def encode_nibbles(codes: Sequence[int]) -> list[int]:
    """Pack 4-bit codes four per register, the first in bits 15-12."""
    words = [0] * ((len(codes) + 3) // 4)
    for i, code in enumerate(codes):
        words[i // 4] |= (code & 0xF) << (12 - 4 * (i % 4))
    return words
