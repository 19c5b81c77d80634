"""The service board from Home Assistant to every view of the info point.

A real Home Assistant test instance with its HTTP server and websocket API
on loopback, the site on the simulator, and the app connected with a
read-only user's token, as in test_end_to_end.py. The association closes
the store for the night with its select, sets the fuel through the action;
the warm room follows the heater; the page, the kiosk, the notice and
status.json show it, in Swedish and English.
"""

# ruff: noqa: RUF001 - the page uses the Swedish dash

from __future__ import annotations

import json

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import DOMAIN
from custom_components.sot_point.rules.services_board import (
    CONF_LOCAL_RADIO,
    CONF_OFFERED,
    CONF_SERVICE_BOARD,
)
from simulator.server import SimulatedSite
from sot_infopoint.settings import Options

from ..conftest import refresh, site_entry
from .conftest import HomeAssistantApi, Start, wait_for_text

RADIO = "P4 Jämtland 93,8 MHz"
OPTIONS = Options(public_url="http://192.168.1.10:8080/")


@pytest.fixture
async def board_site(
    hass: HomeAssistant, ha_api: HomeAssistantApi, sim: SimulatedSite
) -> MockConfigEntry:
    """The simulated site offering a store, fuel and a warm room."""
    entry = site_entry(
        sim,
        options={
            CONF_SERVICE_BOARD: {
                CONF_OFFERED: ["store", "fuel", "warm_room"],
                CONF_LOCAL_RADIO: RADIO,
            }
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_the_board_set_in_home_assistant_reaches_every_view(
    hass: HomeAssistant,
    ha_api: HomeAssistantApi,
    board_site: MockConfigEntry,
    sim: SimulatedSite,
    start_app: Start,
) -> None:
    """Select, action and heater: the page, kiosk, notice and status.json follow."""
    running = await start_app(
        connect=True, ws_url=ha_api.ws_url, token=ha_api.token, options=OPTIONS
    )
    await wait_for_text(running, "/", "Normalläge – strömmen fungerar")
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: "select.sot_punkt_kall_store", "option": "closed"},
        blocking=True,
    )
    await hass.services.async_call(
        DOMAIN,
        "set_services",
        {
            "config_entry_id": board_site.entry_id,
            "services": [
                {"service": "store", "note": "Öppnar kl 08", "hours": "08–20"},
                {"service": "fuel", "state": "limited", "note": "Endast kontant"},
            ],
        },
        blocking=True,
    )
    sim.site.set_heater(True)
    sim.site.set_room_temperature(20.0)
    await refresh(hass, board_site)
    page = await wait_for_text(
        running, "/", 'Värmestugan</span><span class="st s-works">Öppet'
    )
    for words in (
        'Butiken</span><span class="st s-down">Stängt',
        "Öppettider: 08–20",
        'Drivmedel</span><span class="st s-starting">Begränsat',
        "Endast kontant",
        'Värmestugan</span><span class="st s-works">Öppet',
        "Följer värmen och temperaturen i rummet.",
        f"Lyssna på Sveriges Radio {RADIO}",
    ):
        assert words in page, words
    english = await wait_for_text(running, "/?lang=en", "Follows the heater")
    for words in ("Closed", "Limited", "Opening hours: 08–20"):
        assert words in english, words
    kiosk = await wait_for_text(running, "/kiosk", "Öppnar kl 08")
    assert "Stängt" in kiosk
    assert "Följer värmen" in kiosk
    notice = await wait_for_text(running, "/notice", "Öppnar kl 08")
    assert "<svg" in notice
    assert f"Listen to Sveriges Radio {RADIO}" in notice
    assert "Opening hours: 08–20" in notice
    _, body, _ = await running.get("/status.json")
    status = json.loads(body)
    assert status["schema"] == 2
    board = {s["key"]: s for s in status["services"]}
    assert (board["store"]["state"], board["store"]["source"]) == ("closed", "manual")
    assert (board["warm_room"]["state"], board["warm_room"]["source"]) == (
        "open",
        "heater",
    )
    # The store opens in the morning: the page follows.
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: "select.sot_punkt_kall_store", "option": "open"},
        blocking=True,
    )
    await wait_for_text(running, "/", 'Butiken</span><span class="st s-works">Öppet')
