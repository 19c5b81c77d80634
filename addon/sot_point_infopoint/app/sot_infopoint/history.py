"""Outage events for the Atom feed, told from one status to the next.

The integration's journal is the site's full record; the feed only needs the
few moments a resident cares about (the power went, backup power took over,
there is no backup power, the power came back), and the app sees each of them
as a change between two status objects it received.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from .status import Mode, SiteStatus

MAX_EVENTS: Final = 50


class EventKind(StrEnum):
    """What happened."""

    OUTAGE_STARTED = "outage_started"
    BACKUP_POWER = "backup_power"
    NO_BACKUP = "no_backup"
    OUTAGE_ENDED = "outage_ended"


@dataclass(frozen=True, slots=True)
class Event:
    """One moment of an outage; `started` is the outage's start (UTC)."""

    kind: EventKind
    at: datetime
    started: datetime

    def as_dict(self) -> dict[str, Any]:
        """For the state file."""
        return {
            "kind": self.kind.value,
            "at": self.at.isoformat(),
            "started": self.started.isoformat(),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Event:
        """Back from the state file."""
        return cls(
            EventKind(raw["kind"]),
            datetime.fromisoformat(raw["at"]),
            datetime.fromisoformat(raw["started"]),
        )


def new_events(previous: SiteStatus | None, current: SiteStatus) -> list[Event]:
    """The events between two statuses of the same site, oldest first."""
    at = current.updated
    if at is None:
        return []
    before = previous.outage_started if previous else None
    started = current.outage_started
    events: list[Event] = []
    if before is not None and started != before:
        events.append(Event(EventKind.OUTAGE_ENDED, at, before))
    if started is None:
        return events
    if started != before:
        events.append(Event(EventKind.OUTAGE_STARTED, started, started))
    previous_mode = previous.mode if previous and before == started else None
    if current.mode is Mode.BACKUP_POWER and previous_mode is not Mode.BACKUP_POWER:
        events.append(Event(EventKind.BACKUP_POWER, at, started))
    if (
        current.mode is Mode.OUTAGE_NO_BACKUP
        and previous_mode is not Mode.OUTAGE_NO_BACKUP
    ):
        events.append(Event(EventKind.NO_BACKUP, at, started))
    return events


def merged(history: Sequence[Event], events: Sequence[Event]) -> list[Event]:
    """History with the new events, without repeats, the newest `MAX_EVENTS`."""
    seen = {(e.kind, e.started) for e in history}
    fresh = [e for e in events if (e.kind, e.started) not in seen]
    combined = [*history, *fresh]
    return combined[-MAX_EVENTS:]
