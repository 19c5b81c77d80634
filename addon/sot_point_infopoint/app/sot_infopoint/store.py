"""The last known state on disk, so the page outlives its own restarts.

One small JSON file in the data directory (/data as an add-on): the last
status object as it came, when it came, and the feed's outage events. It is
replaced atomically (written beside, then renamed over), so a power cut in
the middle of a write leaves the previous file, never half a file. Writes
are spaced out (`SAVE_INTERVAL_S`) because the status changes every second
while the generator runs and the data directory may be an SD card; a change
of mode or notices is written at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
import json
import logging
import os
from pathlib import Path
from typing import Any, Final

from .history import Event

LOGGER = logging.getLogger(__name__)
STATE_FILE: Final = "state.json"
# An unreadable state file is moved to its name plus this, so the next start
# begins empty.
BAD_SUFFIX: Final = ".bad"
# In region mode the last region object is kept in a file of its own, so a
# change of mode never shows a site's state as a region's or the reverse.
REGION_STATE_FILE: Final = "region.json"
STATE_VERSION: Final = 1
SAVE_INTERVAL_S: Final = 30.0


@dataclass
class Saved:
    """What is kept across restarts."""

    status: dict[str, Any] | None = None
    received: datetime | None = None
    events: list[Event] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The file's content."""
        return {
            "version": STATE_VERSION,
            "status": self.status,
            "received": self.received.isoformat() if self.received else None,
            "events": [event.as_dict() for event in self.events],
        }


class StateFile:
    """Reads and atomically replaces the state file."""

    def __init__(self, data_dir: Path, name: str = STATE_FILE) -> None:
        """Keep the state in `data_dir`/`name`; the directory is made when missing."""
        self.path = data_dir / name

    def load(self) -> Saved:
        """The saved state; an empty one when there is none or it is unreadable.

        A damaged file, or valid JSON of the wrong shape, must not keep the
        page from starting: it is set aside (renamed to `state.json.bad`, for
        whoever wants to look) and the app starts empty.
        """
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return _saved_from(raw)
        except FileNotFoundError:
            return Saved()
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            LOGGER.warning("setting aside unreadable %s: %s", self.path, err)
            self._set_aside()
            return Saved()

    def _set_aside(self) -> None:
        try:
            self.path.replace(self.path.with_name(self.path.name + BAD_SUFFIX))
        except OSError as err:
            LOGGER.warning("could not set %s aside: %s", self.path, err)

    def save(self, saved: Saved) -> None:
        """Write the state beside the file, flush it to disk, rename it over."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        data = json.dumps(saved.as_dict(), ensure_ascii=False).encode()
        with temporary.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        temporary.replace(self.path)


def _saved_from(raw: Any) -> Saved:
    if not isinstance(raw, dict):
        msg = f"state file holds {type(raw).__name__}, not an object"
        raise TypeError(msg)
    if raw.get("version") != STATE_VERSION:
        msg = f"state file version {raw.get('version')!r}"
        raise ValueError(msg)
    status = raw.get("status")
    if status is not None and not isinstance(status, dict):
        msg = f"saved status is {type(status).__name__}, not an object"
        raise TypeError(msg)
    events = raw.get("events") or []
    if not isinstance(events, list):
        msg = f"saved events are {type(events).__name__}, not a list"
        raise TypeError(msg)
    received = raw.get("received")
    return Saved(
        status=status,
        received=datetime.fromisoformat(received) if received else None,
        events=[Event.from_dict(e) for e in events],
    )
