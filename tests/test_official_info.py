"""Official information: fetched from Krisinformation's API, kept, aged, expired.

A local aiohttp server answers as Krisinformation's API v3 does, with the
recorded responses in tests/fixtures/krisinformation (written from the
documented format, as of `RECORDED`); their times are moved on to today, so
the items are as fresh as when they were recorded (the site's poller cannot
run under a frozen clock). A switch makes the server fail as it does when
the box has no internet. The site reads the county and municipality from
its uplink options (Umeå: 24, 2480) and the API's address from its
`official_base_url` option.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import re
from typing import Any

from aiohttp import web
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.rules.official_info import (
    SOURCE_NEWS,
    SOURCE_VMA,
    Area,
    concerns,
    parse_items,
)
from simulator.server import SimulatedSite

from .conftest import site_entry

FIXTURES = Path(__file__).parent / "fixtures" / "krisinformation"
RECORDED = datetime(2026, 11, 24, 13, 32, 5, tzinfo=UTC)  # 14:32 in Umeå
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")
UMEA = {"enabled": False, "county": "24", "municipality": "2480"}


def _moved(value: Any, offset: timedelta) -> Any:
    """A recorded answer with every time in it moved on by `offset`."""
    if isinstance(value, list):
        return [_moved(v, offset) for v in value]
    if isinstance(value, dict):
        return {k: _moved(v, offset) for k, v in value.items()}
    if isinstance(value, str) and TIME.fullmatch(value):
        return (datetime.fromisoformat(value) + offset).isoformat()
    return value


@dataclass
class FakeApi:
    """Krisinformation's API v3 on loopback: recorded answers, or none."""

    url: str = ""
    working: bool = True
    requests: list[dict[str, str]] = field(default_factory=list)
    # From the recording's moment to now, whole seconds.
    offset: timedelta = field(
        default_factory=lambda: timedelta(
            seconds=int((datetime.now(UTC) - RECORDED).total_seconds())
        )
    )

    def at(self, recorded: str) -> str:
        """A recorded moment, moved on to today, as the site reports it."""
        moment = datetime.fromisoformat(recorded) + self.offset
        return moment.astimezone(UTC).isoformat()

    async def handle(self, request: web.Request) -> web.Response:
        """`/news` and `/vmas` as recorded; 503 while not working."""
        self.requests.append({"path": request.path, **request.query})
        if not self.working:
            return web.Response(status=503)
        name = request.path.rsplit("/", 1)[-1]
        recorded = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
        return web.json_response(_moved(recorded, self.offset))


@pytest.fixture
async def api(socket_enabled: None) -> AsyncIterator[FakeApi]:
    """The fake API, serving until the test ends."""
    fake = FakeApi()
    app = web.Application()
    app.router.add_get("/v3/news", fake.handle)
    app.router.add_get("/v3/vmas", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}/v3"
    yield fake
    await runner.cleanup()


async def _site(
    hass: HomeAssistant, sim: SimulatedSite, api: FakeApi
) -> MockConfigEntry:
    entry = site_entry(sim, options={"uplink": UMEA, "official_base_url": api.url})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


def _official(entry: MockConfigEntry) -> dict[str, Any]:
    official: dict[str, Any] = entry.runtime_data.status()["official"]
    return official


def _headlines(official: dict[str, Any]) -> list[str]:
    return [item["headline"] for item in official["items"]]


async def test_items_for_the_municipality_and_county_are_fetched(
    hass: HomeAssistant,
    sim: SimulatedSite,
    api: FakeApi,
) -> None:
    """Umeå's VMA and the county's news; not Skåne's, another town's, old or test."""
    entry = await _site(hass, sim, api)
    official = _official(entry)
    assert _headlines(official) == [
        "Omfattande elavbrott efter stormen",
        "Viktigt meddelande till allmänheten i Umeå kommun",
    ]
    news, vma = official["items"]
    assert news["source"] == SOURCE_NEWS
    assert vma["source"] == SOURCE_VMA
    assert news["link"].startswith("https://www.krisinformation.se/")
    assert news["summary"].startswith("Stormen har orsakat stora elavbrott")
    fetched = datetime.fromisoformat(official["fetched_at"])
    assert abs(fetched - datetime.now(UTC)) < timedelta(minutes=5)
    assert official["failed_at"] is None
    assert official["area"]["municipality"] == "2480"
    # Asked for the site's county, from both resources.
    assert {r["path"] for r in api.requests} == {"/v3/news", "/v3/vmas"}
    assert all(r["counties"] == "24" for r in api.requests)


async def test_without_internet_the_site_starts_and_shows_nothing_yet(
    hass: HomeAssistant,
    sim: SimulatedSite,
    api: FakeApi,
) -> None:
    """No answer from the API: setup still succeeds, the page says so."""
    api.working = False
    entry = await _site(hass, sim, api)
    official = _official(entry)
    assert official["items"] == []
    assert official["fetched_at"] is None
    assert official["failed_at"] is not None


async def test_last_items_stay_through_a_restart_and_a_failed_fetch(
    hass: HomeAssistant,
    sim: SimulatedSite,
    api: FakeApi,
) -> None:
    """Kept in storage: a restart without internet shows them, with their age."""
    entry = await _site(hass, sim, api)
    fetched_at = _official(entry)["fetched_at"]
    api.working = False
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    official = _official(entry)
    assert _headlines(official) == [
        "Omfattande elavbrott efter stormen",
        "Viktigt meddelande till allmänheten i Umeå kommun",
    ]
    assert official["fetched_at"] == fetched_at  # how old they are
    assert official["failed_at"] > fetched_at  # and that the next fetch failed


async def test_expired_items_drop_off(
    hass: HomeAssistant,
    sim: SimulatedSite,
    api: FakeApi,
) -> None:
    """The VMA leaves after its lifetime, the county's news stays for days."""
    entry = await _site(hass, sim, api)
    official = entry.runtime_data.official
    assert official is not None
    recorded_now = datetime.fromisoformat(api.at(RECORDED.isoformat()))
    later = official.status(recorded_now + timedelta(hours=13))
    assert later is not None
    assert _headlines(later) == ["Omfattande elavbrott efter stormen"]
    much_later = official.status(recorded_now + timedelta(days=4))
    assert much_later is not None
    assert _headlines(much_later) == []


async def test_a_site_without_a_municipality_fetches_nothing(
    hass: HomeAssistant, sim: SimulatedSite, api: FakeApi
) -> None:
    """Without SCB codes there is no `official` part and no request."""
    entry = site_entry(sim, options={"official_base_url": api.url})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.status()["official"] is None
    assert api.requests == []


def test_recorded_items_are_read_as_the_api_documents_them() -> None:
    """Areas with SCB codes, an explicit expiry, HTML out, test items skipped."""
    news = parse_items(json.loads((FIXTURES / "news.json").read_text()), SOURCE_NEWS)
    vmas = parse_items(json.loads((FIXTURES / "vmas.json").read_text()), SOURCE_VMA)
    assert len(news) == 3  # the test item is not news
    vindeln = vmas[0]
    assert vindeln.expires.isoformat() == "2026-11-24T20:15:00+01:00"
    assert [(a.type, a.code) for a in vindeln.areas] == [("Municipality", "2404")]
    umea = Area("24", "2480")
    assert [concerns(item, umea) for item in vmas] == [False, True]
    assert [concerns(item, umea) for item in news] == [True, False, True]
    assert parse_items([{"Identifier": "x"}, "odd", 3], SOURCE_NEWS) == []
    with pytest.raises(ValueError, match="list"):
        parse_items({"items": []}, SOURCE_NEWS)
