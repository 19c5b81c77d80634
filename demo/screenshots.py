"""The README's screenshots, taken from a running demo with headless chromium.

Run it while `scripts/demo` runs (same ports):

    scripts/run python -m demo.screenshots

It waits until the simulated outage has put the site on backup power, then
saves, into docs/screenshots/: the association's dashboard (logged in as the
demo user), the integration's page and the generator's device page, the info
page on a phone in Swedish and English, the kiosk view and the printed
notice; and the Värmestuga blueprint's form into docs/images/. The browser
keeps the sites' time zone, Europe/Stockholm, as Home Assistant does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import sys
import time
from typing import Any

import aiohttp

from .browser import DevTools
from .ha import CLIENT_ID, REPO, DemoUser, HomeAssistantApi

OUT = REPO / "docs" / "screenshots"

# A Home Assistant page is ready when an element matching the selector has
# rendered, deep inside the frontend's shadow roots; until then the frontend
# shows its loading screen.
RENDERED = """(() => {
  const find = (root, selector) => {
    const hit = root.querySelector(selector);
    if (hit) return hit;
    for (const element of root.querySelectorAll('*')) {
      if (element.shadowRoot) {
        const inner = find(element.shadowRoot, selector);
        if (inner) return inner;
      }
    }
    return null;
  };
  return find(document, '%s') !== null;
})()"""
DASHBOARD_READY = RENDERED % "hui-entities-card"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m demo.screenshots", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--ha-port", type=int, default=8123)
    parser.add_argument("--page-port", type=int, default=8080)
    parser.add_argument("--out", type=Path, default=OUT, help="folder (docs/…)")
    parser.add_argument(
        "--region-page-port",
        type=int,
        default=None,
        help="also the regional page (scripts/demo --region N: 8081)",
    )
    parser.add_argument(
        "--region-only",
        action="store_true",
        help="only the regional page's screenshots",
    )
    parser.add_argument(
        "--mode",
        default="backup_power",
        help="wait until status.json shows this mode (backup_power)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=30,
        help="seconds to wait after that, for readings to follow (30)",
    )
    return parser


async def _wait_for_mode(session: aiohttp.ClientSession, page: str, mode: str) -> None:
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        async with session.get(page + "/status.json") as response:
            if (await response.json()).get("mode") == mode:
                return
        await asyncio.sleep(2)
    msg = f"the site did not reach {mode} within 15 minutes"
    raise RuntimeError(msg)


def _frontend_tokens(tokens: dict[str, Any], base: str) -> str:
    """The tokens as the frontend keeps them in localStorage."""
    stored = {
        "access_token": tokens["access_token"],
        "token_type": "Bearer",
        "expires_in": tokens["expires_in"],
        "refresh_token": tokens["refresh_token"],
        "hassUrl": base,
        "clientId": CLIENT_ID,
        "expires": int(time.time() * 1000) + int(tokens["expires_in"]) * 1000,
    }
    return json.dumps(json.dumps(stored))


async def _logged_in_tab(
    browser: DevTools, base: str, width: int, height: int
) -> tuple[str, str]:
    """A tab logged in as the demo user: (target, session)."""
    async with aiohttp.ClientSession() as session:
        tokens = await HomeAssistantApi(session, base).login(DemoUser())
    target, tab = await browser.open_tab(base + "/manifest.json", width, height)
    await browser.evaluate(
        f"localStorage.setItem('hassTokens', {_frontend_tokens(tokens, base)})", tab
    )
    return target, tab


async def dashboard(browser: DevTools, base: str, out: Path) -> Path:
    """The association's dashboard, logged in, in a laptop-sized window."""
    target, tab = await _logged_in_tab(browser, base, 1280, 1000)
    await browser.navigate(base + "/sot-point/0", tab)
    if not await browser.wait_for(DASHBOARD_READY, tab, 60):
        seen = await browser.capture(tab, out / "dashboard-not-ready.png")
        msg = f"the dashboard did not render within 60 s; what showed: {seen}"
        raise RuntimeError(msg)
    await asyncio.sleep(2)  # icons and history graphs fill in last
    shot = await browser.capture(tab, out / "dashboard.png")
    await browser.close_tab(target)
    return shot


# An entity of the generator's device, to find that device's page by.
GENERATOR_ENTITY = "select.generator_mode"
# The demo's heating automation, whose blueprint form the README shows.
HEATING_AUTOMATION = "automation.varmestuga"


async def settings_pages(browser: DevTools, base: str, out: Path) -> list[Path]:
    """The integration's page, the generator's device page and a blueprint's form."""
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, base)
        await api.login(DemoUser())
        generator = await api.device_id_of(GENERATOR_ENTITY)
        (heating,) = await api.websocket(
            [{"type": "config/entity_registry/get", "entity_id": HEATING_AUTOMATION}]
        )
    pages = [
        (
            "integration.png",
            "/config/integrations/integration/sot_point",
            "ha-config-entry-row, ha-integration-card, hass-subpage",
        ),
        (
            "device_generator.png",
            f"/config/devices/device/{generator}",
            "ha-device-info-card, ha-device-entities-card",
        ),
        (
            "../images/blueprint_varmestuga_form.png",
            f"/config/automation/edit/{heating['unique_id']}",
            "blueprint-automation-editor, ha-blueprint-automation-editor",
        ),
    ]
    shots = []
    for name, path, ready in pages:
        target, tab = await _logged_in_tab(browser, base, 1280, 1000)
        await browser.navigate(base + path, tab)
        await browser.wait_for(RENDERED % ready, tab, 60)
        await asyncio.sleep(3)  # device and entity lists fill in last
        shots.append(await browser.capture(tab, out / name))
        await browser.close_tab(target)
    return shots


async def info_page(browser: DevTools, page: str, out: Path) -> list[Path]:
    """The page on a phone (sv, en, scrolled), the kiosk view and the notice."""
    views = [
        ("page.png", "/", 390, 844),
        ("page_en.png", "/?lang=en", 390, 844),
        # The whole page as a phone scrolls it: the board, then what the
        # authorities say.
        ("page_scrolled.png", "/", 390, 1700),
        ("kiosk.png", "/kiosk", 1280, 720),
        ("notice.png", "/notice", 794, 1123),
    ]
    return await _capture(browser, page, out, views)


async def region_page(browser: DevTools, page: str, out: Path) -> list[Path]:
    """The county's overview on a desk screen, and its kiosk view."""
    views = [
        ("region.png", "/", 1280, 1400),
        ("region_kiosk.png", "/kiosk", 1920, 1080),
    ]
    return await _capture(browser, page, out, views)


async def _capture(
    browser: DevTools, page: str, out: Path, views: list[tuple[str, str, int, int]]
) -> list[Path]:
    """Each (file, path, width, height) of `page` as a screenshot."""
    shots = []
    for name, path, width, height in views:
        target, tab = await browser.open_tab(page + path, width, height)
        await asyncio.sleep(1)
        shots.append(await browser.capture(tab, out / name))
        await browser.close_tab(target)
    return shots


async def take(args: argparse.Namespace) -> list[Path]:
    """Every screenshot, once the site is in the wanted mode."""
    if args.region_only:
        return await _take_region(args)
    base = f"http://127.0.0.1:{args.ha_port}"
    page = f"http://127.0.0.1:{args.page_port}"
    async with aiohttp.ClientSession() as session:
        await _wait_for_mode(session, page, args.mode)
    # The site turns "on backup power" as the switch moves; the generator's
    # power and load follow at the next instrument read.
    await asyncio.sleep(args.settle)
    browser = DevTools()
    await browser.start()
    try:
        shots = [
            await dashboard(browser, base, args.out),
            *await settings_pages(browser, base, args.out),
            *await info_page(browser, page, args.out),
        ]
        if args.region_page_port:
            region = f"http://127.0.0.1:{args.region_page_port}"
            shots += await region_page(browser, region, args.out)
        return shots
    finally:
        await browser.stop()


async def _take_region(args: argparse.Namespace) -> list[Path]:
    region = f"http://127.0.0.1:{args.region_page_port or 8081}"
    browser = DevTools()
    await browser.start()
    try:
        return await region_page(browser, region, args.out)
    finally:
        await browser.stop()


def main() -> int:
    """Take the screenshots; 1 with the reason when the demo is not there."""
    args = _parser().parse_args()
    try:
        shots = asyncio.run(take(args))
    except (OSError, RuntimeError, aiohttp.ClientError) as err:
        print(f"demo.screenshots: {err}", file=sys.stderr)
        return 1
    for shot in (shot.resolve() for shot in shots):
        print(shot.relative_to(REPO) if shot.is_relative_to(REPO) else shot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
