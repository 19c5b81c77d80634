"""Notices: the actions that publish and clear the site's info-page notices.

The board that keeps them is notice_board.py. Publishing and clearing are
journaled like every other action on the site, and need, as they do, a user
who may control the site (`runtime.async_site_for_call`) when a person calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    Context,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio as vol

from .const import DOMAIN
from .journal import RecordKind
from .rules.notice import Importance, Notice
from .runtime import SotPointConfigEntry, async_site_for_call

# Long enough for "the store is open 10-16, diesel for sale, bring your own
# can"; short enough that a notice fits a phone screen and the page budget.
MAX_TEXT_LENGTH = 500

ATTR_TEXT_SV = "text_sv"
ATTR_TEXT_EN = "text_en"
ATTR_IMPORTANCE = "importance"
ATTR_EXPIRES = "expires"
ATTR_NOTICE_ID = "notice_id"


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
    entry = await async_site_for_call(hass, call)
    board = entry.runtime_data.notices
    notice = await board.async_publish(
        call.data[ATTR_TEXT_SV],
        call.data.get(ATTR_TEXT_EN),
        Importance(call.data[ATTR_IMPORTANCE]),
        call.data.get(ATTR_EXPIRES),
    )
    _journal(entry, "published", [notice], call.context)
    return {"notice_id": notice.id}


async def _async_clear(hass: HomeAssistant, call: ServiceCall) -> None:
    entry = await async_site_for_call(hass, call)
    board = entry.runtime_data.notices
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
