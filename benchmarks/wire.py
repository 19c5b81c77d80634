"""The RS-485 wire budget of a poll: how long its frames keep the line busy.

Computed, not timed: a pty has no baud rate, and a real line's time is set by
its bytes. Each exchange is a request frame and its answer (RTU ADU = unit +
PDU + CRC, 2 bytes); a byte is 11 bits on the wire (Modbus over Serial Line
v1.02, 2.5.1: start, 8 data, parity or a second stop bit, stop); each frame
ends with 3.5 characters of silence (1.75 ms above 19200 baud). On top: the
controller's turnaround before it answers, and the pause the master keeps
between requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BITS_PER_CHARACTER = 11
SILENCE_CHARACTERS = 3.5
MIN_SILENCE_S = 0.00175
# DSE publishes no response time: its manuals give the baud rate, the slave
# id and a "master inactivity timeout" only (DSE8660 MKII p.84, DSE7410
# p.68). 50 ms is assumed, as in the README: generous for a short read.
DSE_TURNAROUND_S = 0.050
# SOCS waits 0.1 s between block reads of a DSE 8610 MKII ("DSE device
# appears to crash without this"; ../shared/domain/dse-gencomm.md, pacing);
# the config flow sets this request gap for every DSE controller.
DSE_REQUEST_GAP_S = 0.1
FC03_REQUEST_BYTES = 8  # unit, function, address 2, count 2, CRC 2

# genmon's DSE map as stored: jgyates/genmon data/controller/
# Deepsea_controller.json at commit 0489f3fdda82 ("tested with the
# 7320MKII"), key "holding_registers": hex address -> length in bytes, read
# with one request per entry. Pages 0, 1, 3, 4, 5, 6, 7, 8, 153, 154.
GENMON_DSE_MAP: tuple[tuple[int, int], ...] = (
    (0x0006, 1), (0x0080, 2), (0x008B, 2), (0x0102, 1),
    (0x0302, 2), (0x0304, 1), (0x0306, 1), (0x031B, 1), (0x0311, 1),
    (0x0400, 1), (0x0401, 1), (0x0402, 1), (0x0403, 1),
    (0x0404, 1), (0x0405, 1), (0x0406, 1), (0x0407, 1),
    (0x0408, 2), (0x040A, 2), (0x040C, 2), (0x040E, 2), (0x0410, 2),
    (0x0412, 2), (0x0414, 2), (0x0416, 2), (0x0418, 2), (0x041A, 2),
    (0x041C, 2), (0x041E, 2), (0x0423, 1), (0x0424, 2), (0x0426, 2),
    (0x0428, 2), (0x04E8, 2), (0x04EA, 2), (0x054D, 1), (0x054F, 1),
    (0x0600, 2), (0x0706, 2), (0x0800, 1), (0x9900, 1), (0x9A00, 1),
    (0x9A01, 2), (0x9A03, 2), (0x9A05, 2), (0x9A07, 2), (0x9A09, 2),
    (0x9A0A, 2), (0x9A0B, 2),
)  # fmt: skip
# The issue's figure for genmon 2.0.2's map (58 entries, one or two
# registers each); that version's list was not among the stored ones.
GENMON_ISSUE_READS = 58


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and its answer, in bytes on the wire."""

    request: int
    answer: int


def fc03(registers: int) -> Exchange:
    """A read of holding registers: 8 bytes out, 5 plus 2 per register back."""
    return Exchange(FC03_REQUEST_BYTES, 5 + 2 * registers)


@dataclass(frozen=True, slots=True)
class WireBudget:
    """How long a set of exchanges keeps an RS-485 line busy, in seconds."""

    requests: int
    bytes_out: int
    bytes_back: int
    on_wire: float
    silences: float
    turnaround: float
    gaps: float

    @property
    def total(self) -> float:
        """Everything: bytes, frame silences, turnarounds and gaps."""
        return self.on_wire + self.silences + self.turnaround + self.gaps


def character_seconds(baudrate: int) -> float:
    """One byte on the wire: 11 bits."""
    return BITS_PER_CHARACTER / baudrate


def silence_seconds(baudrate: int) -> float:
    """The silence that ends an RTU frame."""
    return max(SILENCE_CHARACTERS * character_seconds(baudrate), MIN_SILENCE_S)


def budget(
    exchanges: Sequence[Exchange],
    baudrate: int,
    turnaround: float = DSE_TURNAROUND_S,
    gap: float = DSE_REQUEST_GAP_S,
) -> WireBudget:
    """The wire budget of `exchanges` at `baudrate`.

    The gap is counted before every request, though the first of a poll
    may not wait for it: the budget is an upper bound, as the README's is.
    """
    out = sum(e.request for e in exchanges)
    back = sum(e.answer for e in exchanges)
    count = len(exchanges)
    return WireBudget(
        requests=count,
        bytes_out=out,
        bytes_back=back,
        on_wire=(out + back) * character_seconds(baudrate),
        silences=2 * count * silence_seconds(baudrate),
        turnaround=count * turnaround,
        gaps=count * gap,
    )


def genmon_map_exchanges() -> list[Exchange]:
    """Genmon's DSE poll as its stored map makes it: one read per entry."""
    return [fc03(registers) for _, registers in GENMON_DSE_MAP]


def genmon_issue_exchanges(registers: int) -> list[Exchange]:
    """The issue's genmon pattern, every one of its 58 reads `registers` long."""
    return [fc03(registers)] * GENMON_ISSUE_READS


def describe(name: str, result: WireBudget, baudrate: int) -> str:
    """One report line for a budget."""
    return (
        f"{name} at {baudrate} 8N1: {result.requests} requests, "
        f"{result.bytes_out} + {result.bytes_back} bytes, "
        f"on the wire {1000 * result.on_wire:.1f} ms + frame silences "
        f"{1000 * result.silences:.1f} ms + turnaround "
        f"{1000 * result.turnaround:.0f} ms + gaps {1000 * result.gaps:.0f} ms "
        f"= {result.total:.2f} s"
    )
