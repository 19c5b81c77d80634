"""The info point against a real Home Assistant with the site on the simulator.

Home Assistant here is phacc's test instance with its real HTTP server and
websocket API on a loopback port; the integration polls the simulator over
Modbus; the app connects over TCP with a long-lived token of a read-only
user, exactly as it does standalone. Nothing of the websocket API is faked.
"""

# ruff: noqa: RUF001 - the page uses the Swedish dash

from __future__ import annotations

import asyncio
from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import DOMAIN
from simulator.server import SimulatedSite
import sot_infopoint.client
from sot_infopoint.settings import Options

from ..conftest import refresh
from .conftest import HomeAssistantApi, OffsetClock, Start, wait_for_text


async def test_page_changes_when_the_mains_fails(
    hass: HomeAssistant,
    ha_api: HomeAssistantApi,
    live_site: MockConfigEntry,
    sim: SimulatedSite,
    start_app: Start,
) -> None:
    """Normal, then the grid fails at the simulator: the page says so."""
    running = await start_app(connect=True, ws_url=ha_api.ws_url, token=ha_api.token)
    await wait_for_text(running, "/", "Normalläge – strömmen fungerar")
    sim.site.lose_mains()
    await refresh(hass, live_site)
    page = await wait_for_text(running, "/", "Strömavbrott – reservkraft startar")
    assert "Väntar på reservkraft" in page
    english = await wait_for_text(
        running, "/?lang=en", "Power cut – backup power starting"
    )
    assert "Waiting for backup power" in english
    async with running.session.get(running.url + "/status.json") as response:
        status = await response.json()
    assert status["schema"] == 2
    assert status["mains_available"] is False
    assert status["outage_started"] is not None
    _, feed, _ = await running.get("/feed.atom")
    assert "<title>Strömavbrott</title>" in feed


async def test_notices_appear_newest_first_and_expire(
    hass: HomeAssistant,
    ha_api: HomeAssistantApi,
    live_site: MockConfigEntry,
    start_app: Start,
) -> None:
    """Published from HA they appear at once; an expired one leaves by itself."""
    running = await start_app(connect=True, ws_url=ha_api.ws_url, token=ha_api.token)
    await wait_for_text(running, "/", "Normalläge")
    await hass.services.async_call(
        DOMAIN,
        "publish_notice",
        {
            "config_entry_id": live_site.entry_id,
            "text_sv": "Provkörning av reservkraften klockan 10.",
            "expires": (dt_util.utcnow() + timedelta(seconds=2)).isoformat(),
        },
        blocking=True,
    )
    await hass.services.async_call(
        DOMAIN,
        "publish_notice",
        {
            "config_entry_id": live_site.entry_id,
            "text_sv": "Butiken har öppet som vanligt.",
            "text_en": "The store is open as usual.",
            "importance": "important",
        },
        blocking=True,
    )
    page = await wait_for_text(running, "/", "Butiken har öppet som vanligt.")
    assert page.index("Butiken har öppet") < page.index("Provkörning")
    assert "Viktigt" in page
    english = await wait_for_text(running, "/?lang=en", "The store is open as usual.")
    assert "Provkörning av reservkraften" in english  # no English text: Swedish
    await wait_for_text(running, "/", "Provkörning", present=False)
    await hass.services.async_call(
        DOMAIN,
        "clear_notice",
        {"config_entry_id": live_site.entry_id},
        blocking=True,
    )
    await wait_for_text(running, "/", "Meddelanden", present=False)


async def test_page_outlives_home_assistant_and_says_how_old_it_is(
    hass: HomeAssistant,
    ha_api: HomeAssistantApi,
    live_site: MockConfigEntry,
    start_app: Start,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HA goes away: the page keeps serving, ages, survives a restart, recovers."""
    monkeypatch.setattr(sot_infopoint.client, "BACKOFF_FIRST_S", 0.05)
    clock = OffsetClock()
    options = Options(public_url="http://192.168.1.10:8080/")
    running = await start_app(
        connect=True,
        ws_url=ha_api.ws_url,
        token=ha_api.token,
        clock=clock,
        options=options,
        ingress_peer="127.0.0.1",
    )
    await wait_for_text(running, "/", "Normalläge")
    async with running.session.get(running.ingress_url + "/") as response:
        assert "Ansluten sedan" in await response.text()

    await ha_api.stop()
    clock.advance(timedelta(minutes=12))
    running.app.tick()  # what the minute timer does
    page = await wait_for_text(running, "/", "12 min sedan")
    assert "Normalläge – strömmen fungerar" in page
    assert "Uppgifterna kan vara inaktuella." in page
    english = await wait_for_text(running, "/?lang=en", "12 min ago")
    assert "This information may be out of date." in english
    async with running.session.get(running.ingress_url + "/") as response:
        admin = await response.text()
    assert "Inte ansluten" in admin

    # The add-on itself restarts while HA is still away: the last state is
    # read back from disk and served at once.
    await running.app.stop()
    again = await start_app(
        data_dir=running.app.settings.data_dir,
        clock=clock,
        connect=True,
        ws_url=ha_api.ws_url,
        token=ha_api.token,
    )
    page = await wait_for_text(again, "/", "12 min sedan")
    assert "Normalläge" in page

    # Home Assistant comes back: the app reconnects by itself.
    clock.offset = timedelta(0)
    await ha_api.start()
    await refresh(hass, live_site)
    await wait_for_text(again, "/", "just nu")


# Home Assistant's own server side of a websocket whose authentication failed
# keeps its 55 s heartbeat timer after the close (aiohttp's WebSocketResponse);
# the timer is HA's, not the app's, and fires harmlessly.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_wrong_token_keeps_the_last_state(
    ha_api: HomeAssistantApi, live_site: MockConfigEntry, start_app: Start
) -> None:
    """Refused authentication is reported in the admin view, not on the page."""
    running = await start_app(
        connect=True, ws_url=ha_api.ws_url, token="wrong", ingress_peer="127.0.0.1"
    )
    async with running.session.get(running.ingress_url + "/") as response:
        text = await response.text()
    for _ in range(200):
        if running.app.client.state.last_error:
            break
        await asyncio.sleep(0.05)
    assert "authentication failed" in (running.app.client.state.last_error or "")
    assert "Ingen information ännu" in (await running.get("/"))[1]
    assert "wrong" not in text
