"""The fuel estimate of a tank without a level sensor, kept across restarts.

Without a sensor the litres in the tank are an estimate: the last delivery
the association recorded, less what the set has burnt since. Forgetting it
at a restart would forget the deliveries, so it is stored, at most once a
minute while it changes (the SD card of an HA box counts its writes), and
at once after a delivery and when the site unloads.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .rules.site import FuelEstimate, SiteState, SiteTracker

FUEL_STORE_VERSION = 1
FUEL_SAVE_DELAY_S = 60


class FuelMemory:
    """Keeps a site tracker's fuel estimate in Home Assistant's storage."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, tracker: SiteTracker
    ) -> None:
        """Remember `tracker`'s estimate under the site's entry id."""
        self._tracker = tracker
        self._store: Store[dict[str, Any]] = Store(
            hass, FUEL_STORE_VERSION, f"{DOMAIN}.{entry_id}.fuel", atomic_writes=True
        )

    async def async_load(self) -> None:
        """Give the tracker the estimate stored before a restart, if any."""
        stored = await self._store.async_load()
        if stored and stored.get("estimate"):
            self._tracker.estimate = FuelEstimate.from_dict(stored["estimate"])

    @callback
    def observe(self, _state: SiteState) -> None:
        """A new state: the estimate may have moved; save it in a while."""
        if self._tracker.estimate is not None:
            self._store.async_delay_save(self._data, FUEL_SAVE_DELAY_S)

    async def async_save(self) -> None:
        """Write the estimate now (after a delivery, and on unload)."""
        if self._tracker.estimate is not None:
            await self._store.async_save(self._data())

    def _data(self) -> dict[str, Any]:
        estimate = self._tracker.estimate
        return {"estimate": estimate.as_dict() if estimate else None}
