"""Notices: publish_notice and clear_notice, storage, expiry and the journal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
import probatio as vol
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import DOMAIN
from custom_components.sot_point.journal import RecordKind
from custom_components.sot_point.notice_board import MAX_NOTICES
from custom_components.sot_point.rules.notice import Importance, Notice


async def _publish(
    hass: HomeAssistant, entry: MockConfigEntry, **data: Any
) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "publish_notice",
        {"config_entry_id": entry.entry_id, "text_sv": "Hej"} | data,
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def test_publish_returns_an_id_and_keeps_the_notice(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """The notice is stored with UTC times, its id handed back."""
    response = await _publish(
        hass, init_integration, text_sv="  Butiken är öppen.  ", text_en="Open."
    )
    board = init_integration.runtime_data.notices
    (notice,) = board.active()
    assert response == {"notice_id": notice.id}
    assert notice.text_sv == "Butiken är öppen."
    assert notice.importance is Importance.INFO
    await hass.async_block_till_done()
    stored = hass_storage[f"{DOMAIN}.{init_integration.entry_id}.notices"]
    assert stored["data"]["notices"][0]["text_en"] == "Open."
    assert stored["data"]["notices"][0]["published"].endswith("+00:00")


async def test_notices_survive_a_reload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A reloaded site reads its notices back from storage."""
    await _publish(hass, init_integration, text_sv="Kvar")
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    board = init_integration.runtime_data.notices
    assert [n.text_sv for n in board.active()] == ["Kvar"]


async def test_local_expiry_is_read_in_home_assistants_time_zone(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A date-time without offset, as the UI sends it, is local time."""
    local = dt_util.now() + timedelta(hours=2)
    await _publish(
        hass, init_integration, expires=local.replace(tzinfo=None).isoformat()
    )
    board = init_integration.runtime_data.notices
    (notice,) = board.active()
    assert notice.expires is not None
    assert abs(notice.expires - dt_util.as_utc(local)) < timedelta(seconds=1)


async def test_clear_one_then_all(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """clear_notice removes the named notice, or every notice."""
    first = (await _publish(hass, init_integration, text_sv="Ett"))["notice_id"]
    await _publish(hass, init_integration, text_sv="Två")
    await _publish(hass, init_integration, text_sv="Tre")
    await hass.services.async_call(
        DOMAIN,
        "clear_notice",
        {"config_entry_id": init_integration.entry_id, "notice_id": first},
        blocking=True,
    )
    board = init_integration.runtime_data.notices
    assert sorted(n.text_sv for n in board.active()) == ["Tre", "Två"]
    await hass.services.async_call(
        DOMAIN,
        "clear_notice",
        {"config_entry_id": init_integration.entry_id},
        blocking=True,
    )
    assert board.active() == []


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"expires": "2001-01-01T00:00:00+00:00"}, "notice_expires_in_past"),
    ],
)
async def test_refusals_are_translated(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    data: dict[str, Any],
    key: str,
) -> None:
    """An expiry in the past is refused with a translated error."""
    with pytest.raises(ServiceValidationError) as err:
        await _publish(hass, init_integration, **data)
    assert err.value.translation_key == key


async def test_unknown_notice_and_too_many(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Clearing an unknown id, or publishing past the limit, is refused."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "clear_notice",
            {"config_entry_id": init_integration.entry_id, "notice_id": "nope"},
            blocking=True,
        )
    assert err.value.translation_key == "notice_not_found"
    for number in range(MAX_NOTICES):
        await _publish(hass, init_integration, text_sv=f"Nr {number}")
    with pytest.raises(ServiceValidationError) as err:
        await _publish(hass, init_integration)
    assert err.value.translation_key == "too_many_notices"


@pytest.mark.parametrize(
    "data",
    [
        {"text_sv": "   "},
        {"text_sv": "x" * 501},
        {"importance": "panic"},
    ],
)
async def test_invalid_input_is_refused_by_the_schema(
    hass: HomeAssistant, init_integration: MockConfigEntry, data: dict[str, Any]
) -> None:
    """Empty or overlong text and unknown importance never reach the board."""
    with pytest.raises(vol.Invalid):
        await _publish(hass, init_integration, **data)


async def test_publishing_and_clearing_are_journaled(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_admin_user: Any
) -> None:
    """Each publish and each clear is a notice record naming who did it."""
    context = Context(user_id=hass_admin_user.id)
    await hass.services.async_call(
        DOMAIN,
        "publish_notice",
        {
            "config_entry_id": init_integration.entry_id,
            "text_sv": "Diesel finns",
            "importance": "urgent",
        },
        blocking=True,
        context=context,
    )
    await hass.services.async_call(
        DOMAIN,
        "clear_notice",
        {"config_entry_id": init_integration.entry_id},
        blocking=True,
        context=context,
    )
    journal = init_integration.runtime_data.journal
    records = journal.records(kinds=[RecordKind.NOTICE])
    assert [r.data["action"] for r in records] == ["published", "cleared"]
    assert records[0].data["message"] == "Diesel finns"
    assert records[0].data["importance"] == "urgent"
    assert records[0].data["user_id"] == hass_admin_user.id


def test_notice_round_trips_through_a_dict() -> None:
    """What is stored comes back the same."""
    now = dt_util.utcnow()
    notice = Notice("01X", "Hej", None, Importance.URGENT, now, now + timedelta(1))
    assert Notice.from_dict(notice.as_dict()) == notice
    assert notice.active(now)
    assert not notice.active(now + timedelta(days=2))
