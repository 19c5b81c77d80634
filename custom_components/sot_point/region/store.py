"""What a region keeps on disk: the sites it knows and the events it received.

Two stores per region entry, both written beside and renamed over (a power
cut in the middle of a save leaves the previous file whole):

- `sot_point.<entry_id>.region_sites`: each site's last status, availability
  and when it was last heard, so a site that has gone silent keeps its
  device and its row after a restart;
- `sot_point.<entry_id>.region_events`: every event received, once by its
  id (docs/mqtt.md), oldest first, at most `EVENT_LIMIT` (the oldest are
  dropped and counted): what the region's report is made from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store

from ..const import DOMAIN, LOGGER
from ..rules.region import SiteView
from ..rules.uplink import EventQueue

STORE_VERSION: Final = 1
# A county's sites make a few events a day each; a hundred thousand is years
# of a county's storms, and still a store Home Assistant reads in a second.
EVENT_LIMIT: Final = 100_000
# The sites' statuses change every few seconds across a county: written at
# most this often (and when Home Assistant stops).
SITES_SAVE_DELAY_S: Final = 30.0
# Events are rarer and are what the report counts.
EVENTS_SAVE_DELAY_S: Final = 1.0


class _ThrottledStore:
    """A Store written at most every `delay` seconds, however often it changes.

    Home Assistant's delayed save starts its wait again on every call, so a
    region that hears a message a second would never write at all. The data
    is taken in the event loop (a shallow copy; the statuses and events in
    it are replaced, never changed) and turned into JSON in a worker
    thread, so a county's worth of sites does not hold up the loop.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        key: str,
        delay: float,
        dump: Callable[[], dict[str, Any]],
    ) -> None:
        self.hass = hass
        self._store: Store[dict[str, Any]] = Store(
            hass,
            STORE_VERSION,
            key,
            atomic_writes=True,
            serialize_in_event_loop=False,
        )
        self._delay = delay
        self._dump = dump
        self._timer: CALLBACK_TYPE | None = None

    async def async_load(self) -> dict[str, Any] | None:
        return await self._store.async_load()

    @callback
    def changed(self) -> None:
        """Something to save: written within `delay` seconds."""
        if self._timer is None:
            self._timer = async_call_later(self.hass, self._delay, self._write)

    @callback
    def _write(self, _now: Any = None) -> None:
        self._timer = None
        data = self._dump()
        self._store.async_delay_save(lambda: data)

    @callback
    def flush(self) -> None:
        """Home Assistant stops: what waits is written with its final writes."""
        if self._timer is not None:
            self._timer()
            self._write()

    async def async_save(self) -> None:
        """Write now (unloading)."""
        if self._timer is not None:
            self._timer()
            self._timer = None
        await self._store.async_save(self._dump())


class SiteStore:
    """The sites a region knows, kept across restarts."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        views: Callable[[], Iterable[SiteView]],
    ) -> None:
        """Keep what `views` gives, under the region's entry id."""
        self._views = views
        self._store = _ThrottledStore(
            hass, f"{DOMAIN}.{entry_id}.region_sites", SITES_SAVE_DELAY_S, self.dump
        )

    async def async_load(self) -> list[SiteView]:
        """The sites as last saved; a site that cannot be read is skipped."""
        stored = await self._store.async_load() or {}
        views: list[SiteView] = []
        for item in stored.get("sites") or ():
            try:
                views.append(SiteView.load(item))
            except ValueError, TypeError:
                LOGGER.warning("Skipping a stored region site: %r", item)
        return views

    def dump(self) -> dict[str, Any]:
        """What is stored."""
        return {"sites": [view.dump() for view in self._views()]}

    @callback
    def changed(self) -> None:
        """A site changed: saved within a while."""
        self._store.changed()

    async def async_save(self) -> None:
        """Write now."""
        await self._store.async_save()

    @callback
    def flush(self) -> None:
        """Home Assistant stops: write what waits."""
        self._store.flush()


class EventStore:
    """Every event the region received, once by id, oldest first."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """An empty store; `async_load` reads what was kept."""
        self.log = EventQueue(limit=EVENT_LIMIT)
        # Received again (QoS 1 delivers at least once): dropped, counted.
        self.repeats = 0
        self._store = _ThrottledStore(
            hass,
            f"{DOMAIN}.{entry_id}.region_events",
            EVENTS_SAVE_DELAY_S,
            self._dump,
        )

    async def async_load(self) -> None:
        """Read the events kept."""
        self.log = EventQueue.load(await self._store.async_load(), EVENT_LIMIT)

    def _dump(self) -> dict[str, Any]:
        return self.log.dump()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The events, oldest first."""
        return iter(self.log)

    def __len__(self) -> int:
        """How many events are kept."""
        return len(self.log)

    @callback
    def add(self, event: Mapping[str, Any]) -> bool:
        """Keep an event; False if its id is already kept."""
        if not self.log.add(dict(event)):
            self.repeats += 1
            return False
        self._store.changed()
        return True

    async def async_save(self) -> None:
        """Write now."""
        await self._store.async_save()

    @callback
    def flush(self) -> None:
        """Home Assistant stops: write what waits."""
        self._store.flush()
