"""The site's notice board: notices kept in storage, dropped when they expire.

A notice has Swedish text, optional English text, an importance and an
optional expiry. Notices are kept in Home Assistant's storage per site, so
they survive a restart; they expire by themselves (a timer at the earliest
expiry drops them and tells the listeners, which is how the info page loses
an expired notice without anyone touching it). The services that publish
and clear them, and journal it, are in notices.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util, ulid as ulid_util

from .const import DOMAIN
from .rules.notice import Importance, Notice

NOTICE_STORE_VERSION = 1
# More than this many at once is no longer a notice board but a wall.
MAX_NOTICES = 20

type NoticeListener = Callable[[], None]


class NoticeBoard:
    """The notices of one site: stored, expiring, with change listeners."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare an empty board; `async_load` reads the stored notices."""
        self.hass = hass
        self._store: Store[dict[str, Any]] = Store(
            hass,
            NOTICE_STORE_VERSION,
            f"{DOMAIN}.{entry_id}.notices",
            atomic_writes=True,
        )
        self._notices: list[Notice] = []
        self._listeners: list[NoticeListener] = []
        self._expiry_timer: CALLBACK_TYPE | None = None
        self._load_lock = asyncio.Lock()
        self._loaded = False

    async def async_load(self) -> None:
        """Read the stored notices once; later calls return at once."""
        async with self._load_lock:
            if self._loaded:
                return
            stored = await self._store.async_load()
            notices = (stored or {}).get("notices", [])
            self._notices = [Notice.from_dict(n) for n in notices]
            self._loaded = True
        await self._async_drop_expired()

    def active(self, now: datetime | None = None) -> list[Notice]:
        """Notices to show now, newest first."""
        moment = now or dt_util.utcnow()
        shown = [n for n in self._notices if n.active(moment)]
        return sorted(shown, key=lambda n: (n.published, n.id), reverse=True)

    @callback
    def async_add_listener(self, listener: NoticeListener) -> CALLBACK_TYPE:
        """Call `listener` whenever the set of active notices changes."""
        self._listeners.append(listener)

        @callback
        def remove() -> None:
            # The board may have let go of its listeners already (unload).
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    async def async_publish(
        self,
        text_sv: str,
        text_en: str | None,
        importance: Importance,
        expires: datetime | None,
    ) -> Notice:
        """Add a notice and keep it."""
        now = dt_util.utcnow()
        if expires is not None and expires <= now:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="notice_expires_in_past"
            )
        if len(self.active(now)) >= MAX_NOTICES:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="too_many_notices",
                translation_placeholders={"limit": str(MAX_NOTICES)},
            )
        notice = Notice(
            ulid_util.ulid_now(), text_sv, text_en, importance, now, expires
        )
        self._notices.append(notice)
        await self._async_changed()
        return notice

    async def async_clear(self, notice_id: str | None) -> list[Notice]:
        """Remove one notice, or all of them; return what was removed."""
        if notice_id is None:
            removed, self._notices = self._notices, []
        else:
            removed = [n for n in self._notices if n.id == notice_id]
            if not removed:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="notice_not_found",
                    translation_placeholders={"notice_id": notice_id},
                )
            self._notices = [n for n in self._notices if n.id != notice_id]
        await self._async_changed()
        return removed

    async def _async_changed(self) -> None:
        await self._store.async_save({"notices": [n.as_dict() for n in self._notices]})
        self._schedule_expiry()
        for listener in list(self._listeners):
            listener()

    async def _async_drop_expired(self) -> None:
        now = dt_util.utcnow()
        expired = [n for n in self._notices if not n.active(now)]
        if expired:
            self._notices = [n for n in self._notices if n.active(now)]
            await self._async_changed()
        else:
            self._schedule_expiry()

    def _schedule_expiry(self) -> None:
        self._cancel_timer()
        expiries = [n.expires for n in self._notices if n.expires is not None]
        if expiries:
            self._expiry_timer = async_track_point_in_utc_time(
                self.hass, self._async_expiry_due, min(expiries)
            )

    async def _async_expiry_due(self, _now: datetime) -> None:
        self._expiry_timer = None
        await self._async_drop_expired()

    def _cancel_timer(self) -> None:
        if self._expiry_timer is not None:
            self._expiry_timer()
            self._expiry_timer = None

    @callback
    def async_shutdown(self) -> None:
        """Stop the expiry timer (the site unloads); notices stay stored."""
        self._cancel_timer()
        self._listeners.clear()
