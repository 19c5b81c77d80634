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
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
from typing import Any

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
from simulator.krisinformation import KrisinformationStandIn
from simulator.server import SimulatedSite

from .conftest import site_entry

FIXTURES = Path(__file__).parent / "fixtures" / "krisinformation"
RECORDED = datetime(2026, 11, 24, 13, 32, 5, tzinfo=UTC)  # 14:32 in Umeå
UMEA = {"enabled": False, "county": "24", "municipality": "2480"}


@pytest.fixture
async def api(socket_enabled: None) -> AsyncIterator[KrisinformationStandIn]:
    """The API's stand-in, serving until the test ends."""
    stand_in = KrisinformationStandIn(FIXTURES, RECORDED)
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


async def _site(
    hass: HomeAssistant, sim: SimulatedSite, api: KrisinformationStandIn
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
    api: KrisinformationStandIn,
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
    api: KrisinformationStandIn,
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
    api: KrisinformationStandIn,
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
    api: KrisinformationStandIn,
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
    hass: HomeAssistant, sim: SimulatedSite, api: KrisinformationStandIn
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
