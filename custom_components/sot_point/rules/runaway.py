"""A set that runs when nothing asks it to: the stop condition never came true.

Plain rules, no Home Assistant. A run counts as runaway when

- the set runs with the mains good (in band) for longer than the site's
  limit, outside a test run and not in Manual on purpose; or
- a test run started from Home Assistant runs past its end plus a margin
  (the controller's cool-down fits well inside it).

"On purpose" is the controller in Manual outside a test run (someone chose
it, at the panel or in Home Assistant; the out-of-Auto reminder covers a
Manual that was forgotten), or the maintenance lock on (someone works on the
set). A test run started at the panel has no end Home Assistant knows; it
counts like any run with the mains good.

No reading is no news: a controller that does not answer neither raises nor
clears it. It clears when the set stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from ..hardware.state import ControlMode

# A test run's end is kept once the controller is back in Auto; the set then
# cools down off load for a few minutes before it stops.
TEST_RUN_MARGIN: Final = timedelta(minutes=10)


class RunawayReason(StrEnum):
    """Why a run counts as runaway."""

    MAINS_BACK = "mains_back"
    TEST_RUN_OVERDUE = "test_run_overdue"


@dataclass(frozen=True, slots=True)
class RunFacts:
    """One cycle's facts; None where the site did not say."""

    at: datetime
    running: bool | None
    mains_good: bool | None
    mode: ControlMode | None
    # The end of the test run Home Assistant started, if one is going on.
    test_run_end: datetime | None = None
    maintenance: bool = False


@dataclass(frozen=True, slots=True)
class Runaway:
    """A runaway run: why, and since when it should have stopped."""

    reason: RunawayReason
    since: datetime
    minutes: float


@dataclass
class RunawayWatch:
    """Follows the set's runs; `observe` says whether one is runaway now."""

    limit: timedelta = timedelta(minutes=30)
    margin: timedelta = TEST_RUN_MARGIN
    active: Runaway | None = None
    _good_since: datetime | None = None

    def observe(self, facts: RunFacts) -> Runaway | None:
        """The runaway run going on after `facts`, or None."""
        if facts.running is None:
            return self.active  # a silent controller: no news
        if not facts.running:
            self._good_since = None
            self.active = None
        elif facts.test_run_end is not None:
            self._good_since = None
            self.active = self._overdue(facts.at, facts.test_run_end)
        elif (
            facts.maintenance
            or facts.mode is ControlMode.MANUAL
            or facts.mains_good is False
        ):
            self._good_since = None
            self.active = None
        elif facts.mains_good:
            self._good_since = self._good_since or facts.at
            running_for = facts.at - self._good_since
            if running_for > self.limit:
                self.active = Runaway(
                    RunawayReason.MAINS_BACK,
                    self._good_since,
                    running_for.total_seconds() / 60,
                )
        # Mains unknown: no news either way.
        return self.active

    def _overdue(self, now: datetime, end: datetime) -> Runaway | None:
        if now - end <= self.margin:
            return None
        minutes = (now - end).total_seconds() / 60
        return Runaway(RunawayReason.TEST_RUN_OVERDUE, end, minutes)
