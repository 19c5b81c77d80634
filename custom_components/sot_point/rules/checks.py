"""The checks behind a site's repair issues, and how long each must hold.

Plain functions of one SiteState (and the site's settings) to a Finding;
`Debounce` turns a stream of findings into "counts now". repairs.py keeps
the issues in Home Assistant in step with them, and gives them the time
formats and translated words a person reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from ..hardware.registers import Unavailable
from ..hardware.state import ControlMode
from .site import SiteState

# How long without a test run before the association is reminded.
TEST_RUN_INTERVAL: Final = timedelta(days=30)
# A controller clock further off than this makes its own event log disagree
# with the site journal, and runs it schedules itself start off time.
CLOCK_DRIFT_LIMIT_S: Final = 300.0
# A level sensor with a loose wire, or autonomy hovering at the limit, must
# not raise and clear an issue every few seconds.
FUEL_HOLD: Final = timedelta(seconds=60)
# Modes in which the controller starts the set by itself on a mains failure.
AUTO_MODES: Final = frozenset({ControlMode.AUTO, ControlMode.AUTO_MANUAL_RESTORE})

type Format = Callable[[datetime], str]


@dataclass(frozen=True, slots=True)
class Finding:
    """What one check concluded from one SiteState.

    `holds` is None when the site did not say (a device not answering): the
    issue then stays as it is. `at_once` skips the hold time, for a condition
    that no longer has a basis (an autonomy figure that is gone).
    """

    holds: bool | None
    placeholders: dict[str, str] = field(default_factory=dict)
    at_once: bool = False


# The device an issue is about was removed from the site: nothing to wait for.
NO_DEVICE: Final = Finding(False, at_once=True)


@dataclass
class Debounce:
    """A condition that counts only once it has held for a while.

    `active` flips to True after the condition held for `raise_after`, and
    back after it was gone for `clear_after`, both measured in SiteState time.
    """

    raise_after: timedelta = timedelta(0)
    clear_after: timedelta = timedelta(0)
    active: bool = False
    _since: datetime | None = None

    def update(
        self, holds: bool | None, at: datetime, *, at_once: bool = False
    ) -> bool:
        """Feed one observation; return whether the condition counts now."""
        if holds is None:
            return self.active  # no news is neither a raise nor a clear
        if holds == self.active:
            self._since = None
            return self.active
        if self._since is None:
            self._since = at
        wait = self.clear_after if self.active else self.raise_after
        if at_once or at - self._since >= wait:
            self.active, self._since = holds, None
        return self.active


def not_in_auto(
    state: SiteState, reminder_h: float, mode_name: Callable[[ControlMode], str]
) -> Finding:
    """The controller is in a mode that does not start the set on an outage."""
    generator = state.generator
    if generator is None or generator.mode is None:
        return Finding(None)
    if generator.mode in AUTO_MODES:
        return Finding(False)  # the usual case, every second: no texts
    return Finding(
        True, {"hours": f"{reminder_h:g}", "mode": mode_name(generator.mode)}
    )


def no_test_run(now: datetime, since: datetime, day: Format) -> Finding:
    """No test run that passed since `since`, for longer than the interval."""
    return Finding(
        now - since > TEST_RUN_INTERVAL,
        {"days": str(TEST_RUN_INTERVAL.days), "since": day(since)},
    )


def maintenance_due(state: SiteState, day: Format) -> Finding:
    """The controller's maintenance timer has run out."""
    generator = state.generator
    value = None if generator is None else generator.values.get("time_to_maintenance")
    if value is None:
        return Finding(None)  # page 7 not read this time
    if isinstance(value, Unavailable):
        return Finding(False)  # the controller keeps no maintenance timer
    due = state.updated + timedelta(seconds=value)
    return Finding(
        value <= 0, {"due": day(due), "days": str(int(max(0, -value) // 86400))}
    )


def fuel_sensor_fault(state: SiteState) -> Finding:
    """The tank's 4-20 mA loop is outside NAMUR NE 43 (wire break, short)."""
    if state.io is None:
        return Finding(None)  # the I/O module did not answer
    current = state.io.tank_current_ma
    return Finding(
        state.fuel.sensor_fault is not None,
        {"current": "—" if current is None else f"{current:.1f}"},
    )


def low_autonomy(state: SiteState, minimum_h: float) -> Finding:
    """The fuel lasts less than the association wants to keep."""
    autonomy = state.fuel.autonomy_h
    if autonomy is None:
        # Without a figure there is nothing to be below; a sensor fault
        # has its own issue.
        return Finding(False, at_once=True)
    return Finding(
        autonomy < minimum_h, {"hours": f"{autonomy:.0f}", "minimum": f"{minimum_h:g}"}
    )


def clock_drift(
    reading: datetime | Unavailable | None, now: datetime, when: Format
) -> Finding:
    """The controller's clock is further off than the limit."""
    if reading is None:
        return Finding(None)
    if isinstance(reading, Unavailable):
        return Finding(False)  # no clock to be wrong
    return Finding(
        abs((reading - now).total_seconds()) > CLOCK_DRIFT_LIMIT_S,
        clock_placeholders(reading, now, when),
    )


def clock_placeholders(
    controller_now: datetime, now: datetime, when: Format
) -> dict[str, str]:
    """How far off the controller's clock is, and both times, for the texts."""
    return {
        "minutes": f"{abs((controller_now - now).total_seconds()) / 60:.0f}",
        "controller_time": when(controller_now),
        "ha_time": when(now),
    }
