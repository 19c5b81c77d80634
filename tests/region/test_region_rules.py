"""rules/region.py on its own: topics, refusals with reasons, ranks, silence."""

from __future__ import annotations

from datetime import datetime, timedelta
import json
from typing import Any

import pytest

from custom_components.sot_point.rules.region import (
    MAX_PAYLOAD_BYTES,
    Leaf,
    Rank,
    Reason,
    RefusedError,
    RegionSettings,
    SiteTopic,
    SiteView,
    heard_at,
    is_region,
    parse_topic,
    read_availability,
    read_event,
    read_status,
    region_object,
    region_options_error,
    region_settings,
)

from .conftest import KALL, NOW, event_message, status_message

SETTINGS = RegionSettings(county="23")
STATUS_TOPIC = SiteTopic("2321", "kall", Leaf.STATUS)
EVENT_TOPIC = SiteTopic("2321", "kall", Leaf.EVENT)


def _bytes(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode()


def _refusal(call: Any) -> Reason:
    with pytest.raises(RefusedError) as refused:
        call()
    return refused.value.reason


def test_kinds_and_settings() -> None:
    """An entry without a kind is a site; a region's options have defaults."""
    assert not is_region({"site_name": "SOT-punkt Kall"})
    assert is_region({"kind": "region", "county": "23"})
    settings = region_settings({"county": "23"}, {})
    assert settings == RegionSettings(county="23")
    assert settings.topic_filters() == [
        "sot/23/+/+/status",
        "sot/23/+/+/event",
        "sot/23/+/+/availability",
    ]
    some = region_settings({"county": "23"}, {"municipalities": ["2361", "2321"]})
    assert some.topic_filters()[0] == "sot/23/2321/+/status"
    assert region_options_error({"municipalities": ["2321"]}, "23") == (None, "")
    assert region_options_error({"municipalities": ["2421"]}, "23") == (
        "region_bad_municipality",
        "2421",
    )


def test_topics() -> None:
    """A site's topic names its key; anything else is a bad topic."""
    assert parse_topic("sot/23/2321/kall/status", "23") == STATUS_TOPIC
    assert STATUS_TOPIC.key == "2321/kall"
    for topic in (
        "sot/23/2321/kall/other",
        "sot/24/2421/kall/status",
        "sot/23/23x1/kall/status",
        "sot/23/2321/Kall Å/status",
    ):
        assert _refusal(lambda t=topic: parse_topic(t, "23")) is Reason.BAD_TOPIC


def test_a_real_status_and_event_are_taken() -> None:
    """What the site's uplink publishes passes, as it is."""
    status = status_message()
    assert read_status(
        STATUS_TOPIC, _bytes(status), "23", retained=False, received=NOW
    ) == (status)
    event = event_message("start_failed")
    assert read_event(EVENT_TOPIC, _bytes(event), "23", received=NOW) == event
    assert read_availability(b"online") is True
    assert read_availability(b"offline") is False


def test_a_site_not_yet_updated_sends_schema_1_and_is_taken() -> None:
    """Schema 2 added the service board; a site still on 1 stays on the map."""
    old = {
        key: value
        for key, value in status_message().items()
        if key not in ("services", "local_radio")
    } | {"schema": 1}
    assert read_status(STATUS_TOPIC, _bytes(old), "23", retained=False, received=NOW)
    assert status_message()["schema"] == 2


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"x" * (MAX_PAYLOAD_BYTES + 1), Reason.TOO_LARGE),
        (b"{not json", Reason.NOT_JSON),
        (b"\xff\xfe", Reason.NOT_JSON),
        (b"[1, 2]", Reason.NOT_OBJECT),
        (_bytes(status_message(schema=99)), Reason.WRONG_SCHEMA),
        (_bytes(status_message(schema=True)), Reason.WRONG_SCHEMA),
        (_bytes(status_message(site=None)), Reason.MISSING_FIELDS),
        (_bytes(status_message(uplink=None)), Reason.MISSING_FIELDS),
        (_bytes(status_message(site_id="borgvattnet")), Reason.TOPIC_MISMATCH),
        (
            _bytes(status_message(sent=NOW + timedelta(minutes=11))),
            Reason.CLOCK_AHEAD,
        ),
        (
            _bytes(status_message(sent=NOW - timedelta(minutes=11))),
            Reason.CLOCK_BEHIND,
        ),
    ],
)
def test_a_status_is_refused_with_its_reason(payload: bytes, reason: Reason) -> None:
    """Each kind of bad status says why it was refused."""
    assert (
        _refusal(
            lambda: read_status(
                STATUS_TOPIC, payload, "23", retained=False, received=NOW
            )
        )
        is reason
    )


def test_an_old_retained_status_is_taken_as_of_when_it_was_sent() -> None:
    """The broker's last word of a dead site says nothing about now."""
    sent = NOW - timedelta(days=2)
    status = status_message(sent=sent)
    payload = _bytes(status)
    assert read_status(STATUS_TOPIC, payload, "23", retained=True, received=NOW)
    assert heard_at(status, retained=True, received=NOW) == sent
    assert heard_at(status, retained=False, received=NOW) == NOW


def test_an_event_is_refused_with_its_reason() -> None:
    """Events: schema, fields, place and a clock far ahead."""
    cases = [
        (event_message("start_failed", schema=2), Reason.WRONG_SCHEMA),
        (event_message("start_failed", id=""), Reason.MISSING_FIELDS),
        (event_message("start_failed", municipality="2361"), Reason.TOPIC_MISMATCH),
        (
            event_message("start_failed", at=NOW + timedelta(hours=1)),
            Reason.CLOCK_AHEAD,
        ),
    ]
    for event, reason in cases:
        assert (
            _refusal(
                lambda e=event: read_event(EVENT_TOPIC, _bytes(e), "23", received=NOW)
            )
            is reason
        )
    # Old events are fine: they waited in the site's queue.
    old = event_message("outage_started", at=NOW - timedelta(days=3))
    assert read_event(EVENT_TOPIC, _bytes(old), "23", received=NOW) == old
    assert _refusal(lambda: read_availability(b"maybe")) is Reason.BAD_AVAILABILITY


def _view(**changes: Any) -> SiteView:
    view = SiteView("2321", "kall")
    view.take_status(status_message(**changes), NOW)
    view.available = True
    return view


def test_ranks() -> None:
    """The contract's ranks, worst first."""
    assert SiteView("2321", "kall").rank(NOW, SETTINGS) is Rank.NO_DATA
    assert _view().rank(NOW, SETTINGS) is Rank.NORMAL
    assert _view(mode="test_run").rank(NOW, SETTINGS) is Rank.NORMAL
    backup = {"mode": "backup_power", "on_backup_power": True}
    assert _view(**backup).rank(NOW, SETTINGS) is Rank.BACKUP_POWER
    low = _view(**backup, autonomy_h=11.5)
    assert low.rank(NOW, SETTINGS) is Rank.LOW_AUTONOMY
    assert _view(autonomy_h=2.0).rank(NOW, SETTINGS) is Rank.NORMAL
    assert _view(mode="fault").rank(NOW, SETTINGS) is Rank.START_FAILED
    no_backup = _view(mode="outage_no_backup", on_backup_power=False)
    assert no_backup.rank(NOW, SETTINGS) is Rank.OUTAGE_NO_BACKUP
    offline = _view(**backup)
    offline.available = False
    assert offline.rank(NOW, SETTINGS) is Rank.NO_DATA


def test_a_failed_start_counts_for_its_outage_or_a_day() -> None:
    """A start_failed event ranks the site until the outage ends, or for 24 h."""
    started = NOW - timedelta(hours=30)
    view = _view(mode="outage_detected", outage_started=started.isoformat())
    view.take_event(event_message("start_failed", at=NOW - timedelta(hours=29)), NOW)
    assert view.rank(NOW, SETTINGS) is Rank.START_FAILED
    # No outage: a day.
    view.take_status(status_message(), NOW)
    assert view.rank(NOW, SETTINGS) is Rank.NORMAL
    view.take_event(event_message("start_failed", at=NOW - timedelta(hours=2)), NOW)
    assert view.rank(NOW, SETTINGS) is Rank.START_FAILED
    # A day on (the site still heard), it no longer counts.
    view.hear(NOW + timedelta(hours=22))
    assert view.rank(NOW + timedelta(hours=22), SETTINGS) is Rank.START_FAILED
    view.hear(NOW + timedelta(hours=23))
    assert view.rank(NOW + timedelta(hours=23), SETTINGS) is Rank.NORMAL


def test_silence_is_heartbeats_and_at_least_90_s() -> None:
    """Three heartbeats by default; never under 90 s."""
    view = _view()  # heartbeat 300 s
    assert not view.silent(NOW + timedelta(seconds=900), SETTINGS)
    assert view.silent(NOW + timedelta(seconds=901), SETTINGS)
    fast = _view(heartbeat_s=10)
    assert not fast.silent(NOW + timedelta(seconds=90), SETTINGS)
    assert fast.silent(NOW + timedelta(seconds=91), SETTINGS)
    assert not fast.online(NOW + timedelta(seconds=91), SETTINGS)


def test_region_object_is_worst_first_then_by_name() -> None:
    """The contract's object: counts of every rank, sites worst first."""
    normal = _view()
    backup = _view(site="SOT-punkt Borgvattnet", on_backup_power=True)
    backup.site_id = "borgvattnet"
    silent = SiteView("2361", "lillhardal", last_heard=NOW - timedelta(hours=1))
    region = region_object(
        "Länsstyrelsen Jämtland", "23", [normal, backup, silent], NOW, SETTINGS
    )
    assert region["schema"] == 1
    assert region["counts"] == {
        "no_data": 1,
        "outage_no_backup": 0,
        "start_failed": 0,
        "low_autonomy": 0,
        "backup_power": 1,
        "normal": 1,
    }
    assert [row["key"] for row in region["sites"]] == [
        "2361/lillhardal",
        "2321/borgvattnet",
        "2321/kall",
    ]
    row = region["sites"][2]
    assert row | {"last_heard": None, "status_sent": None} == {
        "key": "2321/kall",
        "municipality": "2321",
        "site_id": "kall",
        "name": KALL,
        "rank": "normal",
        "online": True,
        "last_heard": None,
        "status_sent": None,
        "mode": "normal",
        "mains_available": True,
        "on_backup_power": False,
        "generator_running": False,
        "outage_started": None,
        "autonomy_h": 61.3,
        "warm_room_c": 19.5,
        "latitude": 63.253,
        "longitude": 13.061,
        "notices": 0,
    }
    assert datetime.fromisoformat(row["status_sent"]) == NOW
    assert region["sites"][0]["online"] is False


def test_a_view_survives_the_store() -> None:
    """What is stored of a site comes back the same."""
    view = _view()
    view.take_event(event_message("start_failed"), NOW)
    assert SiteView.load(view.dump()).dump() == view.dump()
    with pytest.raises(ValueError, match="not a stored site"):
        SiteView.load({"site_id": "kall"})
