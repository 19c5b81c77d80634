"""Official information fetched from Krisinformation.se when there is internet.

Every `FETCH_INTERVAL`, and once shortly after setup, the site asks
Krisinformation's API v3 for news and VMA warnings in its county, with Home
Assistant's shared aiohttp session. What concerns the site is kept in Home
Assistant's storage (written atomically), so a restart without internet still
shows the last items. A fetch that fails keeps the last items and notes when
it failed, so the page can say how old they are; expired items drop off as
the status is built. Nothing here runs during setup itself: the site starts,
and serves its page, with or without the internet.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
import logging
from typing import Any, Final

import aiohttp
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .rules.official_info import (
    FETCH_INTERVAL,
    SOURCE_NEWS,
    SOURCE_VMA,
    Area,
    OfficialFormatError,
    OfficialItem,
    OfficialState,
    official_status,
    parse_items,
)

LOGGER = logging.getLogger(__name__)
OFFICIAL_STORE_VERSION: Final = 1
# A slow answer is no answer: the next round tries again.
REQUEST_TIMEOUT_S: Final = 20.0
# API v3's resources and the source each one's items are shown as.
ENDPOINTS: Final = (("news", SOURCE_NEWS), ("vmas", SOURCE_VMA))
# How many days of news to ask for (the API's `days`).
NEWS_DAYS: Final = 3


class OfficialInfo:
    """One site's official information: fetched, stored, shown."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        area: Area,
        base_url: str,
        interval: timedelta = FETCH_INTERVAL,
    ) -> None:
        """Prepare; `async_load` reads the stored items, `async_start` fetches."""
        self.hass = hass
        self.entry = entry
        self.area = area
        self.base_url = base_url.rstrip("/")
        self.interval = interval
        self.state = OfficialState()
        self._store: Store[dict[str, Any]] = Store(
            hass,
            OFFICIAL_STORE_VERSION,
            f"{DOMAIN}.{entry.entry_id}.official",
            atomic_writes=True,
        )
        self._lock = asyncio.Lock()

    async def async_load(self) -> None:
        """Read what the last fetch left, so it shows before any new one."""
        stored = await self._store.async_load()
        if not stored:
            return
        try:
            self.state = OfficialState.from_dict(stored)
        except (KeyError, TypeError, ValueError) as err:
            LOGGER.warning(
                "%s: ignoring the stored official items: %s", self.entry.title, err
            )

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Fetch now in the background, then every interval; returns the stop."""
        self._fetch_in_background()
        return async_track_time_interval(
            self.hass,
            lambda _now: self._fetch_in_background(),
            self.interval,
            name=f"{DOMAIN} official information",
        )

    @callback
    def _fetch_in_background(self) -> None:
        self.entry.async_create_background_task(
            self.hass, self.async_fetch(), f"{DOMAIN} fetch official information"
        )

    def status(self, now: datetime | None = None) -> dict[str, Any] | None:
        """The status object's `official` part as of now."""
        return official_status(self.state, self.area, now or dt_util.utcnow())

    async def async_fetch(self) -> bool:
        """Ask the API once; True when it answered. A round at a time."""
        if self._lock.locked():
            return False
        async with self._lock:
            try:
                items = await self._async_items()
            except (aiohttp.ClientError, TimeoutError, ValueError) as err:
                # No internet is the normal case in an outage: no alarm.
                LOGGER.debug("%s: no official information: %s", self.entry.title, err)
                self.state = self.state.failed(dt_util.utcnow())
                await self._store.async_save(self.state.as_dict())
                return False
            self.state = self.state.fetched(items, self.area, dt_util.utcnow())
            await self._store.async_save(self.state.as_dict())
            return True

    async def _async_items(self) -> list[OfficialItem]:
        session = async_get_clientsession(self.hass)
        items: list[OfficialItem] = []
        for resource, source in ENDPOINTS:
            params = {"format": "json", "language": "sv", "counties": self.area.county}
            if resource == "news":
                params["days"] = str(NEWS_DAYS)
            async with session.get(
                f"{self.base_url}/{resource}",
                params=params,
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
            ) as response:
                response.raise_for_status()
                payload = await response.json(content_type=None)
            try:
                items += parse_items(payload, source)
            except OfficialFormatError as err:
                raise ValueError(str(err)) from err
        return items
