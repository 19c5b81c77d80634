"""A separate automatic transfer switch, Socomec ATyS pM-style status map.

Read-only here: when the AMF controller drives the contactors, the transfer
state comes from the controller's profile instead and no ATS device is added.
Source 1 is the mains, source 2 the generator, as such sites are wired.
"""

from __future__ import annotations

from ..registers import RegisterSpec, block_for
from ..state import TransferPosition, TransferState

STATUS_SPECS = (
    RegisterSpec("network", 20480, sentinels=False),
    RegisterSpec("mode", 20481, sentinels=False),
    RegisterSpec("position", 20482, sentinels=False),
    RegisterSpec("source1_state", 20486, sentinels=False),
    RegisterSpec("source2_state", 20487, sentinels=False),
)
STATUS_BLOCK = block_for("ats_status", STATUS_SPECS)

IDENT_ADDRESS = 50000
IDENT_TEXT = "SOCO"

MODE_MANUAL = 0x00
MODE_AUTO = 0x10
MODE_REMOTE = 0x20
MODE_INHIBIT = 0x40

POSITIONS: dict[int, TransferPosition] = {
    0: TransferPosition.UNKNOWN,
    1: TransferPosition.OFF,
    2: TransferPosition.MAINS,
    3: TransferPosition.GENERATOR,
}

# Source state registers 20486/20487: below threshold, present, available.
SOURCE_BELOW_THRESHOLD = 0
SOURCE_PRESENT = 1
SOURCE_AVAILABLE = 2

# Network register 20480.
NETWORK_127_230 = 1
NETWORK_230_400 = 2


def ident_words() -> list[int]:
    """The identification registers: "SOCO" in ASCII, two characters a word."""
    raw = IDENT_TEXT.encode("ascii")
    return [raw[i] << 8 | raw[i + 1] for i in range(0, len(raw), 2)]


def transfer_state(values: dict[str, int]) -> TransferState:
    """Build the transfer state from a decoded status block."""
    return TransferState(
        position=POSITIONS.get(values["position"], TransferPosition.UNKNOWN),
        automatic=values["mode"] == MODE_AUTO,
        mains_available=values["source1_state"] == SOURCE_AVAILABLE,
        generator_available=values["source2_state"] == SOURCE_AVAILABLE,
    )
