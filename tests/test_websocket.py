"""`sot_point/subscribe_site` over Home Assistant's real websocket API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import (
    MockHAClientWebSocket,
    WebSocketGenerator,
)

from custom_components.sot_point import websocket
from custom_components.sot_point.const import DOMAIN
from simulator.server import SimulatedSite

from .conftest import refresh, site_entry


async def _subscribe(
    client: MockHAClientWebSocket, **extra: Any
) -> tuple[int, dict[str, Any]]:
    """Subscribe, check the result, return the id and the first status."""
    await client.send_json_auto_id({"type": "sot_point/subscribe_site", **extra})
    result = await client.receive_json()
    assert result["success"], result
    event = await client.receive_json()
    assert event["type"] == "event"
    return int(result["id"]), event["event"]


async def _next_status(client: MockHAClientWebSocket) -> dict[str, Any]:
    message = await client.receive_json(timeout=5)
    assert message["type"] == "event", message
    status: dict[str, Any] = message["event"]
    return status


async def test_first_status_describes_the_site(
    hass: HomeAssistant, site: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """The status object comes at once: schema 2, the site, its figures."""
    client = await hass_ws_client(hass)
    _, status = await _subscribe(client)
    assert status["schema"] == 2
    assert status["site"] == "SOT-punkt Kall"
    assert status["mode"] == "normal"
    assert status["reachable"] is True
    assert status["mains_available"] is True
    assert status["outage_started"] is None
    assert status["generator_running"] is False
    assert status["on_backup_power"] is False
    assert status["fuel"]["litres"] > 0
    assert status["warm_room"]["temperature_c"] is not None
    assert status["notices"] == []
    assert status["updated"].endswith("+00:00")


async def test_changes_are_sent_and_repeats_are_not(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A poll that changes nothing sends nothing; a lost mains is sent."""
    client = await hass_ws_client(hass)
    await _subscribe(client, entry_id=site.entry_id)
    await refresh(hass, site)
    sim.site.lose_mains()
    await refresh(hass, site)
    status = await _next_status(client)
    assert status["mains_available"] is False
    assert status["mode"] in ("starting", "outage_detected")
    assert status["outage_started"] is not None


async def test_heartbeat_resends_an_unchanged_status(
    hass: HomeAssistant,
    site: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the heartbeat due, an unchanged status goes out with a new time."""
    client = await hass_ws_client(hass)
    _, first = await _subscribe(client)
    monkeypatch.setattr(websocket, "HEARTBEAT_S", 0.0)
    await refresh(hass, site)
    again = await _next_status(client)
    assert again["updated"] > first["updated"]
    assert again["mode"] == first["mode"]


async def test_unknown_and_ambiguous_sites_are_refused(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A wrong entry id, or two sites and none named, is an error."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "sot_point/subscribe_site", "entry_id": "nope"}
    )
    result = await client.receive_json()
    assert not result["success"]
    assert result["error"]["code"] == "not_found"

    other = MockConfigEntry(domain=DOMAIN, title="Other", unique_id="other")
    other.add_to_hass(hass)
    await client.send_json_auto_id({"type": "sot_point/subscribe_site"})
    result = await client.receive_json()
    assert not result["success"]
    assert "entry_id" in result["error"]["message"]


async def test_notices_appear_newest_first_and_expire(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Published notices are streamed; an expired one drops out by itself.

    A site without devices, so that jumping the clock polls no Modbus.
    """
    site = init_integration
    client = await hass_ws_client(hass)
    await _subscribe(client)
    expires = (dt_util.utcnow() + timedelta(minutes=10)).isoformat()
    await hass.services.async_call(
        DOMAIN,
        "publish_notice",
        {
            "config_entry_id": site.entry_id,
            "text_sv": "Butiken har öppet 10-16.",
            "text_en": "The store is open 10-16.",
            "importance": "important",
            "expires": expires,
        },
        blocking=True,
    )
    first = (await _next_status(client))["notices"]
    assert [n["text_sv"] for n in first] == ["Butiken har öppet 10-16."]
    assert first[0]["importance"] == "important"
    freezer.tick(timedelta(seconds=1))
    await hass.services.async_call(
        DOMAIN,
        "publish_notice",
        {"config_entry_id": site.entry_id, "text_sv": "Värmestugan är öppen."},
        blocking=True,
    )
    both = (await _next_status(client))["notices"]
    assert [n["text_sv"] for n in both] == [
        "Värmestugan är öppen.",
        "Butiken har öppet 10-16.",
    ]
    assert both[0]["text_en"] is None
    assert both[0]["importance"] == "info"

    freezer.tick(timedelta(minutes=11))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    left = (await _next_status(client))["notices"]
    assert [n["text_sv"] for n in left] == ["Värmestugan är öppen."]


async def test_subscription_follows_a_reload(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A reloaded site keeps its subscribers on the new coordinator."""
    client = await hass_ws_client(hass)
    await _subscribe(client)
    assert await hass.config_entries.async_reload(site.entry_id)
    await hass.async_block_till_done()
    await _next_status(client)  # sent again when the site is back
    sim.site.lose_mains()
    await refresh(hass, site)
    status = await _next_status(client)
    assert status["mains_available"] is False


async def test_unsubscribe_stops_the_stream(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """After unsubscribe_events nothing more is sent."""
    client = await hass_ws_client(hass)
    subscription, _ = await _subscribe(client)
    await client.send_json_auto_id(
        {"type": "unsubscribe_events", "subscription": subscription}
    )
    assert (await client.receive_json())["success"]
    sim.site.lose_mains()
    await refresh(hass, site)
    await client.send_json_auto_id({"type": "ping"})
    assert (await client.receive_json())["type"] == "pong"


async def test_site_that_is_not_loaded_is_sent_once_it_loads(
    hass: HomeAssistant, sim: SimulatedSite, hass_ws_client: WebSocketGenerator
) -> None:
    """Subscribing before the site is set up waits for it."""
    entry = site_entry(sim)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "sot_point/subscribe_site"})
    assert (await client.receive_json())["success"]
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    status = await _next_status(client)
    assert status["mode"] == "normal"
