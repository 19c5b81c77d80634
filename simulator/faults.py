"""Fault injection: what a flaky RS485 line or a tired gateway does to requests.

One seeded draw per request decides whether it meets a fault and which. The
injector is plain state, switchable at run time (`enable`, `disable`, `rate`)
and counted per kind, so a test can poll through a storm of faults, switch
them off, check that the client recovers, and assert on what was injected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import random


class FaultKind(StrEnum):
    """The faults a request can meet."""

    DROP = "drop"  # executed, but the response never arrives: a timeout
    EXCEPTION = "exception"  # refused with an exception (device busy)
    DISCONNECT = "disconnect"  # the TCP connection is closed, request unread
    CORRUPT = "corrupt"  # a read answers with random values (CorruptStyle)
    SLOW = "slow"  # answered correctly, but late


class CorruptStyle(StrEnum):
    """What a CORRUPT fault does to a read's answer."""

    # One register short, random contents: a frame whose length does not fit
    # the request, as a client sees garbage passed on by a gateway.
    SHORT = "short"
    # The right length with random words (coils inverted): nothing in the
    # frame betrays it; only plausibility checks can.
    VALUES = "values"


ALL_KINDS: tuple[FaultKind, ...] = tuple(FaultKind)
# Only reads carry values that can be corrupted.
_WRITE_KINDS = tuple(k for k in ALL_KINDS if k is not FaultKind.CORRUPT)


@dataclass(slots=True)
class FaultInjector:
    """Decides, per request, whether and how it fails.

    `rate` is the chance that a request meets any fault; `weights` share that
    chance among the kinds (equal by default). `exception_code` is what an
    EXCEPTION fault answers (6, device busy, by default) and `slow_seconds`
    how late a SLOW answer comes; `corrupt_style` says what CORRUPT does.
    `units` limits faults to some unit ids (None: all) and `addresses` to
    requests starting at some register addresses (None: all), so one block of
    a device can fail while the others answer; `affect_writes` False keeps
    writes clean.
    """

    rate: float = 0.0
    weights: Mapping[FaultKind, float] = field(
        default_factory=lambda: dict.fromkeys(ALL_KINDS, 1.0)
    )
    exception_code: int = 6
    slow_seconds: float = 0.3
    corrupt_style: CorruptStyle = CorruptStyle.SHORT
    units: frozenset[int] | None = None
    addresses: frozenset[int] | None = None
    affect_writes: bool = True
    enabled: bool = True
    seed: int | None = 0
    counts: Counter[FaultKind] = field(default_factory=Counter)
    requests: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Seed the generator so a run is repeatable."""
        self._check()
        self._rng = random.Random(self.seed)  # noqa: S311 - repeatable faults, not crypto

    def enable(
        self,
        rate: float | None = None,
        kinds: Mapping[FaultKind, float] | None = None,
    ) -> None:
        """Switch faults on, optionally with a new rate and mix of kinds."""
        if rate is not None:
            self.rate = rate
        if kinds is not None:
            self.weights = dict(kinds)
        self._check()
        self.enabled = True

    def disable(self) -> None:
        """Switch faults off; counts are kept."""
        self.enabled = False

    def reset_counts(self) -> None:
        """Forget what was injected so far."""
        self.counts.clear()
        self.requests = 0

    def reseed(self, seed: int | None) -> None:
        """Start the draws again from `seed`."""
        self.seed = seed
        self._rng = random.Random(seed)  # noqa: S311 - repeatable faults, not crypto

    @property
    def total(self) -> int:
        """Faults injected so far, all kinds."""
        return sum(self.counts.values())

    def draw(
        self, unit: int, is_write: bool, address: int | None = None
    ) -> FaultKind | None:
        """The fault this request meets, or None; not counted until applied."""
        self.requests += 1
        if not self.enabled or self.rate <= 0:
            return None
        if not self._targets(unit, is_write, address):
            return None
        if self._rng.random() >= self.rate:
            return None
        kinds = _WRITE_KINDS if is_write else ALL_KINDS
        weights = [self.weights.get(k, 0.0) for k in kinds]
        if sum(weights) <= 0:
            return None
        return self._rng.choices(kinds, weights)[0]

    def _targets(self, unit: int, is_write: bool, address: int | None) -> bool:
        """Whether the request is one that faults are limited to."""
        if self.units is not None and unit not in self.units:
            return False
        if self.addresses is not None and address not in self.addresses:
            return False
        return self.affect_writes or not is_write

    def record(self, kind: FaultKind) -> None:
        """Count a fault that was actually applied."""
        self.counts[kind] += 1

    def corrupt_word(self) -> int:
        """A random register value."""
        return self._rng.randrange(0x10000)

    def _check(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            msg = f"fault rate must be within 0-1, got {self.rate}"
            raise ValueError(msg)
        unknown = set(self.weights) - set(ALL_KINDS)
        if unknown:
            msg = f"unknown fault kinds: {sorted(map(str, unknown))}"
            raise ValueError(msg)
