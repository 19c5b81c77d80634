"""The add-on reads the region object the integration builds, rank for rank.

The add-on cannot import the integration (it is installed apart), so it
declares the ranks again; a rank added on one side only would make the
add-on refuse every region object. Here the integration's own HA-free rules
(rules/region.py) build a region object from sites' statuses, and the
add-on's parser and view read it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from custom_components.sot_point.rules import region as rules
from sot_infopoint import region as addon
from sot_infopoint.region_texts import MUNICIPALITIES
from sot_infopoint.region_view import build_region_view

from .conftest import NOW


def test_ranks_match_in_order() -> None:
    """The same ranks, worst first, on both sides."""
    assert [rank.value for rank in addon.Rank] == [rank.value for rank in rules.Rank]


def _status(
    site: str, place: tuple[float, float] | None, **changes: Any
) -> dict[str, Any]:
    return {
        "schema": 1,
        "site": site,
        "mode": "normal",
        "mains_available": True,
        "on_backup_power": False,
        "generator_running": False,
        "outage_started": None,
        "fuel": {"autonomy_h": 61.3},
        "warm_room": {"temperature_c": 19.5},
        "notices": [],
        "uplink": {
            "sent": (NOW - timedelta(seconds=20)).isoformat(),
            "heartbeat_s": 60,
            "location": None
            if place is None
            else {"latitude": place[0], "longitude": place[1]},
        },
    } | changes


def _view(
    municipality: str, site_id: str, status: dict[str, Any] | None
) -> rules.SiteView:
    view = rules.SiteView(municipality=municipality, site_id=site_id)
    if status is not None:
        view.take_status(status, NOW - timedelta(seconds=20))
    return view


def test_the_integrations_region_object_reads() -> None:
    """Built by rules/region.py, read by the add-on: order, ranks, places, ages."""
    outage = (NOW - timedelta(hours=2)).isoformat()
    views = [
        _view("2321", "kall", _status("SOT-punkt Kall", (63.253, 13.061))),
        _view(
            "2303",
            "borgvattnet",
            _status(
                "SOT-punkt Borgvattnet",
                (63.43, 15.83),
                mode="backup_power",
                on_backup_power=True,
                mains_available=False,
                outage_started=outage,
            ),
        ),
        _view(
            "2361",
            "lillhardal",
            _status(
                "SOT-punkt Lillhärdal",
                None,
                mode="backup_power",
                on_backup_power=True,
                outage_started=outage,
                fuel={"autonomy_h": 4.0},
            ),
        ),
        _view("2313", "valsjobyn", None),
    ]
    raw = rules.region_object(
        "Länsstyrelsen Jämtland", "23", views, NOW, rules.RegionSettings(county="23")
    )
    region = addon.parse_region(raw)
    assert region.name == "Länsstyrelsen Jämtland"
    assert region.updated == NOW
    assert [(site.key, site.rank.value) for site in region.sites] == [
        (row["key"], row["rank"]) for row in raw["sites"]
    ]
    assert [site.rank for site in region.sites] == [
        addon.Rank.NO_DATA,
        addon.Rank.LOW_AUTONOMY,
        addon.Rank.BACKUP_POWER,
        addon.Rank.NORMAL,
    ]
    by_key = {site.key: site for site in region.sites}
    assert by_key["2321/kall"].location == addon.Location(63.253, 13.061)
    assert by_key["2361/lillhardal"].location is None
    assert by_key["2361/lillhardal"].autonomy_h == 4.0
    assert by_key["2313/valsjobyn"].name == "valsjobyn"
    assert region.counts() == {
        addon.Rank(rank): count for rank, count in raw["counts"].items()
    }
    view = build_region_view(region, NOW, "sv")
    assert [row.age for row in view.rows] == ["aldrig", *["just nu"] * 3]
    assert [row.municipality for row in view.rows] == [
        "Strömsund",
        "Härjedalen",
        "Ragunda",
        "Åre",
    ]


def test_municipality_codes_are_jamtlands() -> None:
    """Four digits, the county's two first, never the county's own 2300."""
    for code in MUNICIPALITIES:
        assert len(code) == 4
        assert code.isdigit()
        assert code.startswith("23")
        assert not code.endswith("00")
    assert len(MUNICIPALITIES) == 8
