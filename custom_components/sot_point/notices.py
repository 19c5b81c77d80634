"""Notices: short messages the association publishes on the site's info page.

A notice has Swedish text, optional English text, an importance and an
optional expiry. Notices are kept in Home Assistant's storage per site, so
they survive a restart; they expire by themselves (a timer at the earliest
expiry drops them and tells the listeners, which is how the info page loses
an expired notice without anyone touching it). Publishing and clearing are
journaled like every other action on the site.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    CALLBACK_TYPE,
    Context,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.service import async_get_config_entry
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util, ulid as ulid_util
from homeassistant.util.hass_dict import HassKey
import probatio as vol

from .const import DOMAIN
from .coordinator import SotPointConfigEntry
from .journal import RecordKind

NOTICE_STORE_VERSION = 1
# Long enough for "the store is open 10-16, diesel for sale, bring your own
# can"; short enough that a notice fits a phone screen and the page budget.
MAX_TEXT_LENGTH = 500
# More than this many at once is no longer a notice board but a wall.
MAX_NOTICES = 20

ATTR_TEXT_SV = "text_sv"
ATTR_TEXT_EN = "text_en"
ATTR_IMPORTANCE = "importance"
ATTR_EXPIRES = "expires"
ATTR_NOTICE_ID = "notice_id"

DATA_NOTICE_BOARDS: HassKey[dict[str, NoticeBoard]] = HassKey(f"{DOMAIN}_notices")

type NoticeListener = Callable[[], None]


class Importance(StrEnum):
    """How strongly the page shows a notice."""

    INFO = "info"
    IMPORTANT = "important"
    URGENT = "urgent"


@dataclass(frozen=True, slots=True)
class Notice:
    """One published notice. Times are UTC."""

    id: str
    text_sv: str
    text_en: str | None
    importance: Importance
    published: datetime
    expires: datetime | None = None

    def active(self, now: datetime) -> bool:
        """Whether the notice is still to be shown at `now`."""
        return self.expires is None or now < self.expires

    def as_dict(self) -> dict[str, Any]:
        """For storage and the status object (ISO 8601 UTC timestamps)."""
        return {
            "id": self.id,
            "text_sv": self.text_sv,
            "text_en": self.text_en,
            "importance": self.importance.value,
            "published": self.published.isoformat(),
            "expires": self.expires.isoformat() if self.expires else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notice:
        """Back from storage."""
        expires = data.get("expires")
        return cls(
            id=str(data["id"]),
            text_sv=str(data["text_sv"]),
            text_en=None if data.get("text_en") is None else str(data["text_en"]),
            importance=Importance(data["importance"]),
            published=datetime.fromisoformat(str(data["published"])),
            expires=None if expires is None else datetime.fromisoformat(str(expires)),
        )


class NoticeBoard:
    """The notices of one site: stored, expiring, with change listeners."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare an empty board; `async_load` reads the stored notices."""
        self.hass = hass
        self._store: Store[dict[str, Any]] = Store(
            hass, NOTICE_STORE_VERSION, f"{DOMAIN}.{entry_id}.notices"
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


async def async_get_board(
    hass: HomeAssistant, entry: SotPointConfigEntry
) -> NoticeBoard:
    """The loaded site's notice board, created and read on first use.

    The board lives as long as the site is loaded: unloading the site stops
    its expiry timer, and the next use after a reload reads it again.
    """
    boards = hass.data.setdefault(DATA_NOTICE_BOARDS, {})
    board = boards.get(entry.entry_id)
    if board is None:
        board = boards[entry.entry_id] = NoticeBoard(hass, entry.entry_id)
        entry.async_on_unload(_drop_board(hass, entry.entry_id, board))
    await board.async_load()
    return board


def _drop_board(
    hass: HomeAssistant, entry_id: str, board: NoticeBoard
) -> CALLBACK_TYPE:
    @callback
    def drop() -> None:
        board.async_shutdown()
        boards = hass.data.get(DATA_NOTICE_BOARDS, {})
        if boards.get(entry_id) is board:
            del boards[entry_id]

    return drop


def _notice_text(value: Any) -> str:
    text = cv.string(value).strip()
    if not text:
        msg = "must not be empty"
        raise vol.Invalid(msg)
    return text


def _as_utc(value: datetime) -> datetime:
    # The UI's date-time selector sends local time without an offset; that is
    # the time zone Home Assistant is set to, as the person meant it.
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_util.get_default_time_zone())
    return dt_util.as_utc(value)


TEXT = vol.All(_notice_text, vol.Length(max=MAX_TEXT_LENGTH))
PUBLISH_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_TEXT_SV): TEXT,
        vol.Optional(ATTR_TEXT_EN): vol.Any(None, TEXT),
        vol.Optional(ATTR_IMPORTANCE, default=Importance.INFO.value): vol.In(
            [i.value for i in Importance]
        ),
        vol.Optional(ATTR_EXPIRES): vol.All(cv.datetime, _as_utc),
    }
)
CLEAR_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_NOTICE_ID): cv.string,
    }
)


def _site(hass: HomeAssistant, call: ServiceCall) -> SotPointConfigEntry:
    entry: SotPointConfigEntry = async_get_config_entry(
        hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID]
    )
    return entry


def _journal(
    entry: SotPointConfigEntry,
    action: str,
    notices: Sequence[Notice],
    context: Context | None,
) -> None:
    """Write what was published or cleared to the site journal."""
    for notice in notices:
        entry.runtime_data.journal.add(
            RecordKind.NOTICE,
            {
                # What the logbook shows; the rest is for the journal's readers.
                "message": notice.text_sv,
                "action": action,
                "notice_id": notice.id,
                "importance": notice.importance.value,
                "text_sv": notice.text_sv,
                "text_en": notice.text_en,
                "expires": notice.expires.isoformat() if notice.expires else None,
            },
            context=context,
        )


async def _async_publish(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    entry = _site(hass, call)
    board = await async_get_board(hass, entry)
    notice = await board.async_publish(
        call.data[ATTR_TEXT_SV],
        call.data.get(ATTR_TEXT_EN),
        Importance(call.data[ATTR_IMPORTANCE]),
        call.data.get(ATTR_EXPIRES),
    )
    _journal(entry, "published", [notice], call.context)
    return {"notice_id": notice.id}


async def _async_clear(hass: HomeAssistant, call: ServiceCall) -> None:
    entry = _site(hass, call)
    board = await async_get_board(hass, entry)
    removed = await board.async_clear(call.data.get(ATTR_NOTICE_ID))
    _journal(entry, "cleared", removed, call.context)


@callback
def async_setup_notice_services(hass: HomeAssistant) -> None:
    """Register `publish_notice` and `clear_notice`."""

    async def publish(call: ServiceCall) -> ServiceResponse:
        return await _async_publish(hass, call)

    async def clear(call: ServiceCall) -> None:
        await _async_clear(hass, call)

    hass.services.async_register(
        DOMAIN,
        "publish_notice",
        publish,
        schema=PUBLISH_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(DOMAIN, "clear_notice", clear, schema=CLEAR_SCHEMA)
