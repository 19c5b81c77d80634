"""When the mains was last seen good, kept on disk for the next start.

At a real SOT point the Home Assistant box often loses its power with the grid
and starts again on the generator. Its first reading then shows the mains
already gone, and the outage began while nobody watched: after the last
moment the mains was seen good. That moment is written here (a tiny file,
atomically) at most once a minute while the mains is good, and at a clean
stop, so the outage's record can start no later than the true start.

Stored: `{"good_at": "2026-12-04T10:15:00+00:00"}` in
`.storage/sot_point.<config entry id>.mains`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from ..const import DOMAIN
from ..rules.records import parse_time

MAINS_STORE_VERSION: Final = 1
# How stale the stored moment may be: the recorded start of an outage first
# seen at a start is at most this much before the true one.
WRITE_EVERY: Final = timedelta(minutes=1)


class MainsSeenGood:
    """The last moment the mains was seen good, on disk."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """The store of one site's config entry."""
        self._store: Store[dict[str, Any]] = Store(
            hass, MAINS_STORE_VERSION, f"{DOMAIN}.{entry_id}.mains", atomic_writes=True
        )
        self._seen: datetime | None = None
        self._written: datetime | None = None

    async def async_load(self) -> datetime | None:
        """The moment stored before this start, if any and readable."""
        stored = await self._store.async_load()
        good_at = stored.get("good_at") if isinstance(stored, dict) else None
        try:
            return parse_time(good_at) if isinstance(good_at, str) else None
        except ValueError:
            return None

    def seen_good(self, at: datetime) -> None:
        """The mains is good at `at`; written if the last write is a minute old."""
        self._seen = at
        if self._written is None or at - self._written >= WRITE_EVERY:
            self._written = at
            self._store.async_delay_save(self._data, 0)

    async def async_flush(self) -> None:
        """Write the latest moment now (a clean stop)."""
        if self._seen is not None:
            await self._store.async_save(self._data())

    def _data(self) -> dict[str, Any]:
        return {"good_at": self._seen.isoformat() if self._seen else None}
