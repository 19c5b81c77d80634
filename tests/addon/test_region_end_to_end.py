"""The add-on in region mode against a real region in a real Home Assistant.

Debian's Mosquitto with the logins and ACL of tests/mqtt; Home Assistant's
real MQTT integration logged in as the county (read-only); the integration's
region entry reading the county's sites; Kall and Borgvattnet publishing as
their own logins what their uplinks publish (tests/region's publishers).
The add-on connects to Home Assistant's real websocket API over TCP with a
read-only user's token, subscribes with `sot_point/subscribe_region` and
serves the overview. Nothing of Home Assistant, the broker or paho is faked.
"""

from __future__ import annotations

from datetime import timedelta
import re
from typing import Any

from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from sot_infopoint import client as addon_client
from sot_infopoint.settings import Options

from ..mqtt.conftest import MOSQUITTO
from ..region import conftest as region_tests
from ..region.conftest import BORGVATTNET, KALL, SitePublisher, status_message
from .conftest import HomeAssistantApi, OffsetClock, Start, wait_for_text

pytestmark = pytest.mark.skipif(
    not MOSQUITTO or not __import__("pathlib").Path(MOSQUITTO).exists(),
    reason="mosquitto is not installed (scripts/setup)",
)

# tests/region's fixtures: the broker, HA's MQTT client as the county, the
# region entry, and the two sites' own publishers.
broker = region_tests.broker
fast_reconnect = region_tests.fast_reconnect
region_mqtt = region_tests.region_mqtt
region = region_tests.region
kall = region_tests.kall
borgvattnet = region_tests.borgvattnet

BORGVATTNET_PLACE = {"latitude": 63.43, "longitude": 15.83}


async def _publish(
    publisher: SitePublisher,
    location: dict[str, float] | None = None,
    **changes: Any,
) -> None:
    """The site says it is online and publishes its status (retained)."""
    message = status_message(sent=dt_util.utcnow(), place=publisher.uplink, **changes)
    if location is not None:
        message["uplink"]["location"] = location
    await publisher.online()
    await publisher.send("status", message, retain=True)


def _row(page: str, number: int) -> str:
    """The list's row `number` (from 1), as served."""
    found = re.search(rf'<tr class="[^"]*" id="site-{number}">.*?</tr>', page)
    assert found is not None, number
    return found.group(0)


async def _start(
    start_app: Start, ha_api: HomeAssistantApi, entry: MockConfigEntry, **kwargs: Any
) -> Any:
    return await start_app(
        connect=True,
        ws_url=ha_api.ws_url,
        token=ha_api.token,
        options=Options(mode="region", region_entry_id=entry.entry_id),
        **kwargs,
    )


async def test_the_overview_follows_the_sites(
    ha_api: HomeAssistantApi,
    region: MockConfigEntry,
    kall: SitePublisher,
    borgvattnet: SitePublisher,
    start_app: Start,
) -> None:
    """Kall on backup power above Borgvattnet; Kall goes offline: no data."""
    outage = (dt_util.utcnow() - timedelta(minutes=30)).isoformat()
    await _publish(
        kall,
        mode="backup_power",
        on_backup_power=True,
        mains_available=False,
        generator_running=True,
        outage_started=outage,
    )
    await _publish(borgvattnet, BORGVATTNET_PLACE, site=BORGVATTNET)
    running = await _start(start_app, ha_api, region)
    page = await wait_for_text(running, "/", "SOT-punkt Borgvattnet")
    assert "<h1>Länsstyrelsen Jämtland</h1>" in page
    first, second = _row(page, 1), _row(page, 2)
    assert first.startswith('<tr class="r-backup_power"')
    for words in (KALL, "Åre", '<span class="rk">På reservkraft</span>', "61 tim"):
        assert words in first, words
    assert "avbrott sedan" in first
    assert "just nu" in first
    assert second.startswith('<tr class="r-normal"')
    assert BORGVATTNET in second
    assert "Ragunda" in second
    assert page.count('<g class="dot ') == 2  # both sites on the map
    english = await wait_for_text(running, "/?lang=en", "On backup power")
    assert "Compiled" in english
    kiosk = await wait_for_text(running, "/kiosk", "SOT-punkt Borgvattnet")
    assert "lägesbild" in kiosk
    async with running.session.get(running.url + "/status.json") as response:
        overview = await response.json()
    assert overview["region"] == "Länsstyrelsen Jämtland"
    assert [site["key"] for site in overview["sites"]] == [
        "2321/kall",
        "2303/borgvattnet",
    ]
    assert overview["sites"][0]["latitude"] == 63.253

    # Kall's link says it is gone: the integration ranks it no data, first.
    await kall.online(available=False)
    page = await wait_for_text(running, "/", '<tr class="r-no_data" id="site-1">')
    assert KALL in _row(page, 1)
    assert '<span class="rk">Ingen data</span>' in _row(page, 1)
    assert BORGVATTNET in _row(page, 2)
    status, body, _ = await running.get("/healthz")
    assert (status, body) == (200, "ok\n")


async def test_home_assistant_away_and_back(
    ha_api: HomeAssistantApi,
    region: MockConfigEntry,
    kall: SitePublisher,
    start_app: Start,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HA goes away: the overview stays, says how old it is, and recovers."""
    monkeypatch.setattr(addon_client, "BACKOFF_FIRST_S", 0.05)
    clock = OffsetClock()
    await _publish(kall)
    running = await _start(start_app, ha_api, region, clock=clock)
    page = await wait_for_text(running, "/", KALL)
    assert _row(page, 1).startswith('<tr class="r-normal"')

    await ha_api.stop()
    clock.advance(timedelta(minutes=12))
    running.app.tick()  # what the minute timer does
    page = await wait_for_text(running, "/", "Inga nya uppgifter från Home Assistant")
    assert "på 12 min" in page
    assert KALL in page
    english = await wait_for_text(running, "/?lang=en", "Nothing new from Home")
    assert "for 12 min" in english

    clock.offset = timedelta(0)
    await ha_api.start()
    await wait_for_text(running, "/", "Inga nya uppgifter", present=False)
