"""A real browser renders the page, the kiosk view and the notice.

The site runs the storm scenario on the simulator until the generator carries
the load, the association publishes two notices through Home Assistant, and
headless chromium renders what the app serves: screenshots go to
build/screenshots (test artefacts); with SOT_SCREENSHOTS_TO_DOCS=1 they also
replace the ones in docs/screenshots that the README shows.
"""

# ruff: noqa: RUF001 - the page uses the Swedish dash

from __future__ import annotations

import os
from pathlib import Path

from homeassistant.core import HomeAssistant
from PIL import Image, ImageChops
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import DOMAIN
from demo.browser import CHROMIUM, DevTools, screenshot
from simulator.server import SimulatedSite
from sot_infopoint.settings import Options

from .conftest import HomeAssistantApi, Running, Start, wait_for_text

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed (scripts/setup installs it into the "
        "Debian root; on a host: apt-get install chromium)",
    ),
]

REPO = Path(__file__).resolve().parents[2]
ARTEFACTS = REPO / "build" / "screenshots"
DOCS = REPO / "docs" / "screenshots"
OPTIONS = Options(
    show_fuel_autonomy=True,
    wifi_name="SOT-punkt Kall",
    public_url="http://192.168.1.10:8080/",
)
# name, path, window width, height
VIEWS = (
    ("page", "/", 390, 1500),  # Swedish: the browser asks for it
    ("page_en", "/?lang=en", 390, 1500),
    ("kiosk", "/kiosk", 1920, 1080),
    ("notice", "/notice", 794, 1500),
)


@pytest.fixture
def scenario() -> str:
    """The storm: the grid fails at 30 s and the generator takes over."""
    return "storm"


async def _on_backup_power(
    hass: HomeAssistant, sim: SimulatedSite, entry: MockConfigEntry
) -> None:
    coordinator = entry.runtime_data.coordinator
    sim.advance(31)
    await coordinator.async_refresh()
    sim.advance(sim.site.config.timings.time_to_load(failed_cranks=1) + 5)
    await coordinator.async_refresh()
    await hass.async_block_till_done()


async def _publish(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    notices = (
        {
            "text_sv": "Butiken har öppet 10–18 under avbrottet. Diesel säljs mot "
            "kontant betalning eller Swish.",
            "text_en": "The store is open 10–18 during the power cut. Diesel is "
            "sold for cash or Swish.",
            "importance": "important",
        },
        {
            "text_sv": "Värmestugan i skolan är öppen dygnet runt. Ta med "
            "mediciner och laddare.",
            "text_en": "The warm room in the school is open day and night. Bring "
            "your medicines and chargers.",
            "importance": "urgent",
        },
    )
    for notice in notices:
        await hass.services.async_call(
            DOMAIN,
            "publish_notice",
            {"config_entry_id": entry.entry_id, **notice},
            blocking=True,
        )


async def _running_site(
    hass: HomeAssistant,
    ha_api: HomeAssistantApi,
    sim: SimulatedSite,
    entry: MockConfigEntry,
    start_app: Start,
) -> Running:
    await _on_backup_power(hass, sim, entry)
    await _publish(hass, entry)
    running = await start_app(
        connect=True, ws_url=ha_api.ws_url, token=ha_api.token, options=OPTIONS
    )
    await wait_for_text(running, "/", "Strömavbrott – reservkraft i drift")
    await wait_for_text(running, "/", "Värmestugan i skolan")
    return running


def _same_pixels(first: Path, second: Path) -> bool:
    with Image.open(first) as one, Image.open(second) as two:
        return (
            ImageChops.difference(one.convert("RGB"), two.convert("RGB")).getbbox()
            is None
        )


async def test_chromium_renders_every_view(
    hass: HomeAssistant,
    ha_api: HomeAssistantApi,
    sim: SimulatedSite,
    live_site: MockConfigEntry,
    start_app: Start,
) -> None:
    """Page (sv, en), kiosk and notice render; JavaScript off changes nothing."""
    running = await _running_site(hass, ha_api, sim, live_site, start_app)
    shots = {}
    for name, path, width, height in VIEWS:
        shot = await screenshot(
            running.url + path, ARTEFACTS / f"{name}.png", width, height
        )
        with Image.open(shot) as image:
            assert image.size == (width, height)
            # Not a blank page: a banner, text and (on the notice) a QR code.
            assert len(image.convert("L").getcolors(256 * 256) or ()) > 8, name
        shots[name] = shot
    browser = DevTools()
    await browser.start()
    try:
        shots_by_js = [
            await browser.screenshot(
                running.url + "/",
                ARTEFACTS / f"page_{name}.png",
                390,
                1500,
                javascript=javascript,
            )
            for name, javascript in (("js", True), ("no_js", False))
        ]
    finally:
        await browser.stop()
    assert _same_pixels(*shots_by_js)
    if os.environ.get("SOT_SCREENSHOTS_TO_DOCS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        for name, shot in shots.items():
            # A palette of 64 colours keeps text sharp and the repository small.
            with Image.open(shot) as image:
                small = image.convert("RGB").quantize(colors=64)
                small.save(DOCS / f"{name}.png", optimize=True)


async def test_page_fits_a_320_px_phone(
    hass: HomeAssistant,
    ha_api: HomeAssistantApi,
    sim: SimulatedSite,
    live_site: MockConfigEntry,
    start_app: Start,
) -> None:
    """At 320 px nothing is wider than the screen: no sideways scrolling."""
    running = await _running_site(hass, ha_api, sim, live_site, start_app)
    await screenshot(running.url + "/", ARTEFACTS / "page_320.png", 320, 1800)
    browser = DevTools()
    await browser.start()
    try:
        for path in ("/", "/?lang=en", "/kiosk", "/notice"):
            assert await browser.page_width(running.url + path, 320) <= 320, path
    finally:
        await browser.stop()
