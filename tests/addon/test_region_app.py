# ruff: noqa: RUF001 - the page uses the Swedish dash
"""The add-on in region mode over real HTTP on loopback: routes, state, options.

The region objects are handed to the app as its client hands them over
(`on_status`); the real subscription is test_region_end_to_end.py's.
"""

from __future__ import annotations

import base64
from datetime import timedelta
import hashlib
import json
from pathlib import Path
import re

import pytest

from sot_infopoint.client import REGION_COMMAND, SITE_COMMAND
from sot_infopoint.region_app import RegionInfopoint
from sot_infopoint.settings import Options, options_from, settings_from_args

from .conftest import Clock, Start, save_state, status_object
from .region_objects import region_object

REGION = Options(mode="region")


def _style_allowed(html: str, csp: str) -> bool:
    (css,) = re.findall(r"<style>(.*?)</style>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return f"'sha256-{digest}'" in csp


async def test_region_mode_serves_the_overview(start_app: Start) -> None:
    """Before data it says so; then `/`, `/kiosk`, `/status.json`; no site pages."""
    running = await start_app(options=REGION)
    assert isinstance(running.app, RegionInfopoint)
    assert running.app.command == REGION_COMMAND
    status, page, _ = await running.get("/")
    assert status == 200
    assert "Inga uppgifter från Home Assistant ännu" in page
    status, body, headers = await running.get("/status.json")
    assert status == 503
    assert headers["Cache-Control"] == "no-store"
    assert json.loads(body) == {"error": "no region object yet"}

    running.app.on_status(region_object())
    status, page, headers = await running.get("/")
    assert status == 200
    assert "<h1>Länsstyrelsen Jämtland</h1>" in page
    assert page.index("SOT-punkt Valsjöbyn") < page.index("SOT-punkt Kall")
    csp = headers["Content-Security-Policy"]
    assert "script-src" not in csp
    assert "unsafe-inline" not in csp
    assert _style_allowed(page, csp)
    _, kiosk, headers = await running.get("/kiosk")
    assert "Länsstyrelsen Jämtland – lägesbild" in kiosk
    assert _style_allowed(kiosk, headers["Content-Security-Policy"])

    _, english, _ = await running.get("/?lang=en")
    assert "On backup power" in english
    _, asked, _ = await running.get("/", headers={"Accept-Language": "en-GB,en"})
    assert "On backup power" in asked
    # The crisis room's screen speaks the add-on's language whatever its browser.
    _, kiosk, _ = await running.get("/kiosk", headers={"Accept-Language": "en"})
    assert "På reservkraft" in kiosk
    _, kiosk, _ = await running.get("/kiosk?lang=en")
    assert "On backup power" in kiosk

    async with running.session.get(running.url + "/status.json") as response:
        assert response.status == 200
        assert await response.json() == region_object()
    for path in ("/notice", "/feed.atom"):
        status, _, _ = await running.get(path)
        assert status == 404, path
    status, body, _ = await running.get("/healthz")
    assert (status, body) == (200, "ok\n")


async def test_the_default_language_is_the_options(start_app: Start) -> None:
    """`language: en` makes English the page's and the screen's default."""
    running = await start_app(options=Options(mode="region", language="en"))
    running.app.on_status(region_object())
    for path in ("/", "/kiosk"):
        _, page, _ = await running.get(path)
        assert "Outage without backup power" in page, path


async def test_the_region_outlives_a_restart_and_ages(
    start_app: Start, tmp_path: Path
) -> None:
    """Kept in region.json; back at once after a restart; then said to be old."""
    clock = Clock()
    data = tmp_path / "region-data"
    running = await start_app(options=REGION, data_dir=data, clock=clock)
    running.app.on_status(region_object())
    assert json.loads((data / "region.json").read_text())["status"] == region_object()
    assert not (data / "state.json").exists()
    await running.app.stop()

    clock.advance(timedelta(minutes=12))
    again = await start_app(options=REGION, data_dir=data, clock=clock)
    _, page, _ = await again.get("/")
    assert "SOT-punkt Kall" in page
    assert "Inga nya uppgifter från Home Assistant på 12 min, sedan 14:31." in page
    assert "för 14 min sedan" in page
    _, english, _ = await again.get("/?lang=en")
    assert "Nothing new from Home Assistant for 12 min, since 14:31." in english

    # A fresh object: the warning goes.
    again.app.on_status(region_object(updated=clock().isoformat()))
    _, page, _ = await again.get("/")
    assert "Inga nya uppgifter" not in page


async def test_a_sites_state_is_not_shown_as_a_region(
    start_app: Start, tmp_path: Path
) -> None:
    """Switching a site's add-on to region mode starts the region empty."""
    data = tmp_path / "switched"
    save_state(data, status_object())
    running = await start_app(options=REGION, data_dir=data)
    _, page, _ = await running.get("/")
    assert "Inga uppgifter från Home Assistant ännu" in page
    assert "SOT-punkt Kall" not in page


async def test_a_bad_region_object_keeps_the_last_good_one(
    start_app: Start, caplog: pytest.LogCaptureFixture
) -> None:
    """Refused whole and logged; the page and status.json keep the last good one."""
    running = await start_app(options=REGION)
    running.app.on_status(region_object())
    running.app.on_status(region_object(schema=2))
    running.app.on_status({"schema": 1, "region": "x", "sites": [{"rank": "?"}]})
    _, page, _ = await running.get("/")
    assert "SOT-punkt Kall" in page
    async with running.session.get(running.url + "/status.json") as response:
        assert (await response.json())["schema"] == 1
    assert "ignoring a region object" in caplog.text


async def test_an_unreadable_region_file_is_set_aside(
    start_app: Start, tmp_path: Path
) -> None:
    """A damaged region.json: set aside as region.json.bad, the page starts empty."""
    data = tmp_path / "damaged"
    data.mkdir()
    (data / "region.json").write_text("{not json")
    running = await start_app(options=REGION, data_dir=data)
    _, page, _ = await running.get("/")
    assert "Inga uppgifter från Home Assistant ännu" in page
    assert (data / "region.json.bad").read_text() == "{not json"


async def test_the_admin_view_in_region_mode(start_app: Start) -> None:
    """The region's name and its pages; not the site's notice or feed."""
    running = await start_app(options=REGION, ingress_peer="127.0.0.1")
    running.app.on_status(region_object())
    async with running.session.get(running.ingress_url + "/") as response:
        admin = await response.text()
        csp = response.headers["Content-Security-Policy"]
    assert "Länsstyrelsen Jämtland" in admin
    assert "Översikten över regionens SOT-punkter" in admin
    assert 'href="kiosk?lang=sv"' in admin
    assert 'href="notice"' not in admin
    assert "feed.atom" not in admin
    assert "Regionläge" in admin
    assert _style_allowed(admin, csp)
    async with running.session.get(running.ingress_url + "/page") as response:
        assert "Länsstyrelsen Jämtland" in await response.text()


def test_options_choose_the_mode() -> None:
    """`mode` and `region_entry_id` from options.json; site by default."""
    assert Options().mode == "site"
    site = options_from({"site_entry_id": "s1", "region_entry_id": "r1"})
    assert (site.mode, site.entry_id) == ("site", "s1")
    region = options_from({"mode": "region", "region_entry_id": " r1 "})
    assert (region.mode, region.entry_id, region.site_entry_id) == (
        "region",
        "r1",
        None,
    )
    assert options_from({"mode": "county"}).mode == "site"
    assert options_from({"mode": "region", "region_entry_id": ""}).entry_id is None


def test_the_command_line_chooses_the_mode(tmp_path: Path) -> None:
    """`--mode region --entry-id X` names the region; the options file's mode holds."""
    environ = {"HA_TOKEN": "t"}
    base = ["--ha-url", "http://127.0.0.1:8123", "--data-dir", str(tmp_path)]
    settings = settings_from_args(
        [*base, "--mode", "region", "--entry-id", "r1"], environ
    )
    assert settings.options.mode == "region"
    assert (settings.options.region_entry_id, settings.options.site_entry_id) == (
        "r1",
        None,
    )
    options = tmp_path / "options.json"
    options.write_text(json.dumps({"mode": "region"}))
    settings = settings_from_args([*base, "--entry-id", "r2"], environ)
    assert (settings.options.mode, settings.options.region_entry_id) == ("region", "r2")
    settings = settings_from_args([*base, "--mode", "site", "--entry-id", "s"], environ)
    assert (settings.options.mode, settings.options.site_entry_id) == ("site", "s")
    assert SITE_COMMAND == "sot_point/subscribe_site"
