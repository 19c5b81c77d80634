"""A page everyone can read: axe-core's WCAG 2.1 A and AA rules in chromium.

The page, the kiosk view and the notice sheet are rendered by Debian's
chromium, driven by playwright-core, and checked by axe-core (both from npm,
installed by scripts/setup; tests/addon/axe/check.mjs runs them). Any
violation fails the test and is printed with the elements it concerns. The
same views are looked at 320 px wide and at 200 % zoom: nothing may be wider
than the screen or cut off by its box, and every state shown in colour
(service states, banner, notice importance) must also be said in words.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
import os
from pathlib import Path
import shutil
import sys
import tempfile
from typing import Any, Final

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from demo.browser import CHROMIUM
from simulator.server import SimulatedSite

from .conftest import NOW, HomeAssistantApi, Running, Start, status_object
from .test_browser import OPTIONS, _running_site
from .test_official_page import _official

AXE_DIR: Final = Path(__file__).parent / "axe"
# Where scripts/setup installs axe-core and playwright-core (npm).
AXE_MODULES: Final = Path(
    os.environ.get("SOT_AXE_MODULES") or Path(sys.prefix) / "sot-point-extras" / "axe"
)
NODE: Final = shutil.which("node")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None
    or NODE is None
    or not (AXE_MODULES / "node_modules" / "axe-core").is_dir(),
    reason="chromium, node or axe-core missing: scripts/setup (as root) installs them",
)

# Every view in both languages; the notice sheet is Swedish and English at once.
VIEWS: Final = (
    ("page sv", "/?lang=sv", 1280, 900),
    ("page en", "/?lang=en", 1280, 900),
    ("kiosk sv", "/kiosk?lang=sv", 1920, 1080),
    ("kiosk en", "/kiosk?lang=en", 1920, 1080),
    ("notice", "/notice", 1280, 900),
)


def _checks(base: str) -> list[dict[str, Any]]:
    """axe at each view's own size; layout at 320 px and at 200 % zoom."""
    checks = []
    for name, path, width, height in VIEWS:
        url = base + path
        checks.append(_check(name, url, width, height, scale=1, axe=True))
        checks.append(_check(f"{name} 320 px", url, 320, 800, scale=1, axe=False))
        # 200 % zoom: half the window's width in CSS pixels, twice as dense.
        checks.append(
            _check(f"{name} 200 %", url, width // 2, height // 2, scale=2, axe=False)
        )
    return checks


def _check(
    name: str, url: str, width: int, height: int, *, scale: int, axe: bool
) -> dict[str, Any]:
    return {
        "name": name,
        "url": url,
        "width": width,
        "height": height,
        "scale": scale,
        "axe": axe,
    }


async def read_in_chromium(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run check.mjs on `checks`: one result per check."""
    assert NODE is not None
    with tempfile.TemporaryDirectory() as scratch:
        job = Path(scratch) / "axe-job.json"
        job.write_text(json.dumps({"chromium": CHROMIUM, "checks": checks}))
        process = await asyncio.create_subprocess_exec(
            NODE,
            str(AXE_DIR / "check.mjs"),
            str(AXE_MODULES),
            str(job),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode == 0, stderr.decode(errors="replace")[-3000:]
    results: list[dict[str, Any]] = json.loads(stdout)
    assert [r["name"] for r in results] == [c["name"] for c in checks]
    return results


def problems(results: list[dict[str, Any]]) -> list[str]:
    """Every axe violation and layout problem, one readable line each."""
    found = []
    for result in results:
        for violation in result["violations"]:
            for node in violation["nodes"]:
                found.append(
                    f"{result['name']}: axe {violation['id']} ({violation['impact']}): "
                    f"{violation['help']} at {node['target']}: {node['summary']}"
                )
        found.extend(f"{result['name']}: {line}" for line in result["layout"])
        if "rules" in result:
            # axe did run its rules (a page it could not read has none).
            assert result["rules"] > 10, result
    return found


@pytest.fixture
def scenario() -> str:
    """The storm: the grid fails at 30 s and the generator takes over."""
    return "storm"


async def test_every_view_in_both_languages_passes_axe(
    hass: HomeAssistant,
    ha_api: HomeAssistantApi,
    sim: SimulatedSite,
    live_site: MockConfigEntry,
    start_app: Start,
) -> None:
    """The live site on backup power with two notices: zero violations."""
    running = await _running_site(hass, ha_api, sim, live_site, start_app)
    found = problems(await read_in_chromium(_checks(running.url)))
    print("\n".join(found))  # the report names them all
    assert found == []


# Each banner and service state (colours of their own), and data gone stale.
STATES: Final = {
    "no data": None,
    "normal": status_object(mode="normal", outage_started=None, mains_available=True),
    "starting": status_object(mode="starting", on_backup_power=False),
    "no backup": status_object(mode="outage_no_backup", generator_running=False),
    "unreachable": status_object(reachable=False),
    "stale": status_object(updated=(NOW - timedelta(minutes=40)).isoformat()),
    "official": status_object(official=_official(failed=True)),
}


async def test_every_state_passes_axe(start_app: Start) -> None:
    """Each state's banner, service states and notices: zero violations."""
    checks = []
    running: list[Running] = []
    for name, status in STATES.items():
        app = await start_app(status, options=OPTIONS)
        running.append(app)
        for lang in ("sv", "en"):
            url = f"{app.url}/?lang={lang}"
            checks.append(_check(f"{name} {lang}", url, 390, 900, scale=1, axe=True))
        checks.append(
            _check(f"{name} kiosk", f"{app.url}/kiosk", 960, 540, scale=2, axe=True)
        )
    found = problems(await read_in_chromium(checks))
    print("\n".join(found))  # the report names them all
    assert found == []
