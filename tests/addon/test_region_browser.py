"""A real browser renders the regional overview and the crisis room's screen.

The add-on runs in region mode on loopback with a county's worth of sites
(twenty, every rank, two without coordinates) handed over as its client
hands them; Debian's headless chromium renders what it serves. Screenshots
go to build/screenshots (test artefacts).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageChops
import pytest

from demo.browser import CHROMIUM, DevTools, screenshot
from sot_infopoint.region_render import KIOSK_ROWS
from sot_infopoint.settings import Options

from .conftest import Running, Start
from .region_objects import county_sites, region_object

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed (scripts/setup installs it into the "
        "Debian root; on a host: apt-get install chromium)",
    ),
]

REPO = Path(__file__).resolve().parents[2]
ARTEFACTS = REPO / "build" / "screenshots"
# name, path, window width, height
VIEWS = (
    ("region_page", "/", 1280, 2000),
    ("region_page_en", "/?lang=en", 390, 4200),
    ("region_kiosk", "/kiosk", 1920, 1080),
)
# What the map shows, asked of the rendered page.
MAP_PROBE = """(() => {
  const map = document.querySelector('svg.map');
  const box = map.getBoundingClientRect();
  const drawn = [...map.querySelectorAll('g.dot use')].map(use => {
    const b = use.getBoundingClientRect();
    return b.width > 0 && b.height > 0
      && b.left >= box.left - 1 && b.right <= box.right + 1
      && b.top >= box.top - 1 && b.bottom <= box.bottom + 1;
  });
  return {width: box.width, height: box.height, dots: drawn.length,
          inside: drawn.filter(Boolean).length,
          legend: document.querySelectorAll('.legend svg use').length};
})()"""
FOOTER_BOTTOM = "document.querySelector('footer').getBoundingClientRect().bottom"
WIDEST = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"


async def _county(start_app: Start, count: int = 20) -> Running:
    running = await start_app(options=Options(mode="region"))
    running.app.on_status(region_object(county_sites(count)))
    return running


def _same_pixels(first: Path, second: Path) -> bool:
    with Image.open(first) as one, Image.open(second) as two:
        return (
            ImageChops.difference(one.convert("RGB"), two.convert("RGB")).getbbox()
            is None
        )


async def test_chromium_renders_the_overview_and_the_screen(start_app: Start) -> None:
    """Page (sv, en) and kiosk render; the map shows every placed site; no JS needed."""
    running = await _county(start_app)
    for name, path, width, height in VIEWS:
        shot = await screenshot(
            running.url + path, ARTEFACTS / f"{name}.png", width, height
        )
        with Image.open(shot) as image:
            assert image.size == (width, height)
            assert len(image.convert("RGB").getcolors(256 * 256) or ()) > 16, name
    browser = DevTools()
    await browser.start()
    try:
        for path in ("/", "/kiosk"):
            target, session = await browser.open_tab(running.url + path, 1280, 1000)
            shown = await browser.evaluate(MAP_PROBE, session)
            await browser.close_tab(target)
            assert shown["width"] > 200, path
            assert shown["height"] > 200, path
            assert shown["dots"] == shown["inside"] == 18, path  # two have no place
            assert shown["legend"] == 6, path
        shots = [
            await browser.screenshot(
                running.url + "/",
                ARTEFACTS / f"region_page_{name}.png",
                390,
                3000,
                javascript=javascript,
            )
            for name, javascript in (("js", True), ("no_js", False))
        ]
    finally:
        await browser.stop()
    assert _same_pixels(*shots)


async def test_the_overview_fits_a_320_px_phone(start_app: Start) -> None:
    """At 320 px nothing is wider than the screen, in either language."""
    running = await _county(start_app)
    await screenshot(running.url + "/", ARTEFACTS / "region_page_320.png", 320, 5000)
    browser = DevTools()
    await browser.start()
    try:
        for path in ("/", "/?lang=en", "/kiosk", "/kiosk?lang=en"):
            assert await browser.page_width(running.url + path, 320) <= 320, path
    finally:
        await browser.stop()


@pytest.mark.parametrize("count", [3, 7, 20])
async def test_the_screen_fits_1920_by_1080(start_app: Start, count: int) -> None:
    """The crisis room's screen shows everything at once: no scrolling either way."""
    running = await _county(start_app, count)
    _, kiosk, _ = await running.get("/kiosk")
    assert kiosk.count('<td class="nm">') == min(count, KIOSK_ROWS)
    browser = DevTools()
    await browser.start()
    try:
        for path in ("/kiosk", "/kiosk?lang=en"):
            target, session = await browser.open_tab(running.url + path, 1920, 1080)
            bottom = await browser.evaluate(FOOTER_BOTTOM, session)
            widest = await browser.evaluate(WIDEST, session)
            await browser.close_tab(target)
            assert bottom <= 1080, (path, bottom)
            assert widest <= 1920, (path, widest)
    finally:
        await browser.stop()
