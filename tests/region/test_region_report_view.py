"""The region's CSV report over HTTP, from the events the region received."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sot_point.region.hub import RegionHub
from custom_components.sot_point.rules import region_report as report

from ..mqtt.conftest import until
from .conftest import SitePublisher


async def test_the_report_is_served_for_a_period(
    hass: HomeAssistant,
    region: MockConfigEntry,
    kall: SitePublisher,
    hass_client: ClientSessionGenerator,
) -> None:
    """region.csv: the report module's CSV of the period's received events."""
    hub: RegionHub = region.runtime_data
    await kall.online()
    await kall.status()
    start = dt_util.utcnow() - timedelta(hours=3)
    await kall.event("outage_started", at=start)
    await kall.event(
        "start_failed",
        at=start + timedelta(minutes=1),
        record_id="01JD8XK4W6Q3M5T1V7B9N2C4E9",
    )
    await until(lambda: len(hub.events) == 2, "both events are stored")

    today = dt_util.now().date()
    client = await hass_client()
    first = today - timedelta(days=2)
    query = f"start={first.isoformat()}&end={today.isoformat()}"
    response = await client.get(f"/api/sot_point/{region.entry_id}/region.csv?{query}")
    assert response.status == HTTPStatus.OK
    assert response.content_type == "text/csv"
    rows = report.report_rows(
        list(hub.events),
        hub.site_names(),
        dt_util.start_of_local_day(first),
        dt_util.start_of_local_day(today + timedelta(days=1)),
    )
    assert await response.text() == report.report_csv(rows, "sv")
    assert "SOT-punkt Kall" in await response.text()

    response = await client.get(
        f"/api/sot_point/{region.entry_id}/region.csv?start=2026-02-30"
    )
    assert response.status == HTTPStatus.BAD_REQUEST
    response = await client.get("/api/sot_point/nope/region.csv")
    assert response.status == HTTPStatus.NOT_FOUND


async def test_the_report_needs_a_login(
    hass: HomeAssistant,
    region: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Nobody logged in gets nothing."""
    client = await hass_client_no_auth()
    response = await client.get(f"/api/sot_point/{region.entry_id}/region.csv")
    assert response.status == HTTPStatus.UNAUTHORIZED
