"""Rolling outages: the grid cut in turns, as under Styrel or manual load shedding.

Plain rules, no Home Assistant. The journal keeps every outage with its
start; N outages starting within a window (both options, 3 within 6 h by
default) mean the grid is being cut in turns. While that holds, a site can
keep its load on the generator after the mains returns (the Reservkraft
blueprint's hold policy) so that the set does not start, transfer, return
and cool down at every turn.

The journal survives restarts, so this does too: it is worked out from the
outages' starts every time, with nothing of its own to keep.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class RollingSettings:
    """How many outages within how long count as rolling."""

    count: int = 3
    window: timedelta = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Rolling:
    """The outages that started within the window before `at`."""

    at: datetime
    starts: tuple[datetime, ...]
    settings: RollingSettings

    @property
    def active(self) -> bool:
        """Enough outages within the window to call them rolling."""
        return len(self.starts) >= self.settings.count

    @property
    def until(self) -> datetime | None:
        """When it stops counting as rolling, if no new outage comes."""
        if not self.active:
            return None
        # The window slides past the oldest of the last `count` starts.
        return self.starts[-self.settings.count] + self.settings.window

    def as_data(self) -> dict[str, object]:
        """Plain values for an event and the sensor's attributes."""
        return {
            "outages": len(self.starts),
            "count": self.settings.count,
            "window_h": self.settings.window.total_seconds() / 3600,
            "first": self.starts[0].isoformat() if self.starts else None,
            "last": self.starts[-1].isoformat() if self.starts else None,
            "until": None if self.until is None else self.until.isoformat(),
        }


def rolling_outages(
    starts: Iterable[datetime], at: datetime, settings: RollingSettings
) -> Rolling:
    """The outages that started within the window before `at`, oldest first."""
    since = at - settings.window
    recent = sorted(start for start in starts if since < start <= at)
    return Rolling(at, tuple(recent), settings)
