"""The simulated sites speak the uplink's protocol, as the region reads it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.sot_point.rules.region import (
    RegionSettings,
    SiteView,
    parse_topic,
    read_event,
    read_status,
)
from custom_components.sot_point.rules.uplink import encode
from simulator.region_publishers import (
    CYCLE_MIN,
    events_for,
    make_sites,
    phase_at,
    status_of,
)

NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
SETTINGS = RegionSettings(county="23")


def test_sites_are_the_same_for_a_seed_and_lie_in_jamtland() -> None:
    """Real villages first, then generated ones inside the county's box."""
    sites = make_sites(200)
    assert [site.name for site in sites[:3]] == [
        "SOT-punkt Kall",
        "SOT-punkt Borgvattnet",
        "SOT-punkt Lillhärdal",
    ]
    assert [s.key for s in sites] == [s.key for s in make_sites(200)]
    assert len({site.key for site in sites}) == 200
    for site in sites:
        assert 61.5 < site.latitude < 65.0
        assert 12.0 < site.longitude < 17.0
        parse_topic(site.place.status_topic, "23")


def test_every_message_passes_the_regions_checks() -> None:
    """Statuses and events of a whole cycle are read by the region as valid."""
    for site in make_sites(30):
        old = "normal"
        for minute in range(int(CYCLE_MIN)):
            now = NOW + timedelta(minutes=minute)
            phase = phase_at(site, minute)
            if phase == "silent":
                continue
            site.phase = phase
            for event in events_for(site, old, phase, now):
                topic = parse_topic(site.place.event_topic, "23")
                read_event(topic, encode(event).encode(), "23", received=now)
            old = phase
            status = status_of(site, now, 30)
            topic = parse_topic(site.place.status_topic, "23")
            read_status(
                topic, encode(status).encode(), "23", retained=False, received=now
            )


def test_at_any_moment_the_county_sees_every_kind_of_site() -> None:
    """Some normal, some on backup, some failed to start, some low, some silent."""
    sites = make_sites(100)
    minute = 30.0
    ranks: set[str] = set()
    silent = 0
    for site in sites:
        site.phase = phase_at(site, minute)
        if site.phase == "silent":
            silent += 1
            continue
        view = SiteView(site.place.municipality, site.place.site_id)
        for event in events_for(site, "normal", site.phase, NOW):
            view.take_event(event, NOW)
        view.take_status(status_of(site, NOW, 30), NOW)
        view.available = True
        ranks.add(str(view.rank(NOW, SETTINGS)))
    assert {"normal", "backup_power", "outage_no_backup", "low_autonomy"} <= ranks
    assert silent > 0


def test_twenty_sites_have_every_role() -> None:
    """A demo's twenty: failing starts, low diesel, a silent spell, one gone dark."""
    sites = make_sites(20)
    assert sum(site.fails_to_start for site in sites) >= 3
    assert sum(site.runs_low for site in sites) >= 3
    assert [site.goes_silent for site in sites].count(True) == 1
    assert [site.goes_dark for site in sites].count(True) == 1
