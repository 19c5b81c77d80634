"""The uplink's rules without Home Assistant: settings, topics, payloads, the queue."""

from __future__ import annotations

from datetime import UTC, datetime
import json
from typing import Any

import pytest

from custom_components.sot_point.const import (
    EVENT_ALARM,
    EVENT_COMMAND,
    EVENT_FUEL_DELIVERY,
    EVENT_MAINTENANCE,
    EVENT_NOTICE,
    EVENT_OUTAGE_ENDED,
    EVENT_OUTAGE_STARTED,
    EVENT_START_FAILED,
    EVENT_TEST_RUN_ENDED,
    EVENT_TEST_RUN_STARTED,
)
from custom_components.sot_point.rules.uplink import (
    CONF_COUNTY,
    CONF_ENABLED,
    CONF_HEARTBEAT,
    CONF_MUNICIPALITY,
    CONF_SITE_ID,
    CONF_UPLINK,
    COUNTIES,
    EventQueue,
    UplinkSettings,
    encode,
    event_payload,
    status_news,
    status_payload,
    suggested_site_id,
    uplink_as_stored,
    uplink_errors,
    uplink_settings,
)

KALL = UplinkSettings(county="23", municipality="2321", site_id="kall")
SECTION = {
    CONF_ENABLED: True,
    CONF_COUNTY: "23",
    CONF_MUNICIPALITY: "2321",
    CONF_SITE_ID: "kall",
    CONF_HEARTBEAT: 5,
}


def bus_event(**fields: Any) -> dict[str, Any]:
    """A journal event's data as the bus carries it (docs/events.md)."""
    return {
        "entry_id": "01SITE",
        "site": "SOT-punkt Kall",
        "record_id": "01REC",
        "at": "2026-11-24T11:05:40+00:00",
    } | fields


# -- settings --------------------------------------------------------------------------


def test_topics_of_a_site() -> None:
    """sot/<county>/<municipality>/<site>/status|event|availability."""
    assert KALL.status_topic == "sot/23/2321/kall/status"
    assert KALL.event_topic == "sot/23/2321/kall/event"
    assert KALL.availability_topic == "sot/23/2321/kall/availability"
    assert KALL.heartbeat_s == 300


def test_scb_county_codes() -> None:
    """The 21 counties, by SCB's two-digit codes; Jämtland is 23."""
    assert len(COUNTIES) == 21
    assert COUNTIES["23"] == "Jämtlands län"
    assert all(len(code) == 2 and code.isdigit() for code in COUNTIES)
    assert "02" not in COUNTIES  # Stockholm's old second county, merged in 1968


def test_settings_only_when_on_and_whole() -> None:
    """The uplink runs only when it is on and its settings hold."""
    assert uplink_settings({}) is None
    assert uplink_settings({CONF_UPLINK: SECTION | {CONF_ENABLED: False}}) is None
    assert uplink_settings({CONF_UPLINK: SECTION | {CONF_COUNTY: "99"}}) is None
    assert uplink_settings({CONF_UPLINK: "garbage"}) is None
    assert uplink_settings({CONF_UPLINK: SECTION}) == KALL
    assert uplink_settings({CONF_UPLINK: SECTION | {CONF_HEARTBEAT: 1}}) == (
        UplinkSettings("23", "2321", "kall", heartbeat_min=1)
    )


@pytest.mark.parametrize(
    ("change", "error", "at_fault"),
    [
        ({CONF_COUNTY: None}, "uplink_bad_county", ""),
        ({CONF_COUNTY: "02"}, "uplink_bad_county", "02"),
        ({CONF_COUNTY: "3"}, "uplink_bad_county", "3"),
        ({CONF_MUNICIPALITY: ""}, "uplink_bad_municipality", ""),
        ({CONF_MUNICIPALITY: "2221"}, "uplink_bad_municipality", "2221"),
        ({CONF_MUNICIPALITY: "232"}, "uplink_bad_municipality", "232"),
        ({CONF_MUNICIPALITY: "23211"}, "uplink_bad_municipality", "23211"),
        ({CONF_MUNICIPALITY: "2300"}, "uplink_bad_municipality", "2300"),
        ({CONF_MUNICIPALITY: "23a1"}, "uplink_bad_municipality", "23a1"),
        ({CONF_SITE_ID: ""}, "uplink_bad_site_id", ""),
        ({CONF_SITE_ID: "kall/#"}, "uplink_bad_site_id", "kall/#"),
        ({CONF_SITE_ID: "kall+1"}, "uplink_bad_site_id", "kall+1"),
        ({CONF_SITE_ID: "-kall"}, "uplink_bad_site_id", "-kall"),
        ({CONF_SITE_ID: "rötviken"}, "uplink_bad_site_id", "rötviken"),
        ({CONF_SITE_ID: "k" * 33}, "uplink_bad_site_id", "k" * 33),
        ({CONF_HEARTBEAT: 0}, "uplink_bad_heartbeat", "0"),
        ({CONF_HEARTBEAT: 61}, "uplink_bad_heartbeat", "61"),
    ],
)
def test_settings_errors(change: dict[str, Any], error: str, at_fault: str) -> None:
    """Each wrong value is named, with what was entered."""
    assert uplink_errors(SECTION | change) == (error, at_fault)


@pytest.mark.parametrize(
    "change",
    [
        {},
        {CONF_MUNICIPALITY: "2361"},  # Härjedalen
        {CONF_MUNICIPALITY: "2309"},  # Krokom
        {CONF_COUNTY: "09", CONF_MUNICIPALITY: "0980"},  # Gotland
        {CONF_SITE_ID: " Kall "},  # trimmed and lowercased
        {CONF_SITE_ID: "lillhardal_2"},
        {CONF_SITE_ID: "k" * 32},
        {CONF_HEARTBEAT: 60.0},  # as a number selector sends it
    ],
)
def test_settings_accepted(change: dict[str, Any]) -> None:
    """Real codes and ids pass."""
    assert uplink_errors(SECTION | change) == (None, "")


def test_an_uplink_that_is_off_is_never_wrong() -> None:
    """Turned off, half-filled values are kept for later, not refused."""
    assert uplink_errors({CONF_ENABLED: False, CONF_COUNTY: "99"}) == (None, "")


def test_section_as_stored() -> None:
    """Trimmed and lowercased; nothing at all for an untouched, off section."""
    assert uplink_as_stored({CONF_ENABLED: False, CONF_HEARTBEAT: 5}) == {}
    assert uplink_as_stored({}) == {}
    assert uplink_as_stored(
        SECTION | {CONF_SITE_ID: " Kall ", CONF_HEARTBEAT: 5.0}
    ) == (SECTION)
    kept = uplink_as_stored({CONF_ENABLED: False, CONF_SITE_ID: "kall"})
    assert kept == {
        CONF_ENABLED: False,
        CONF_COUNTY: "",
        CONF_MUNICIPALITY: "",
        CONF_SITE_ID: "kall",
        CONF_HEARTBEAT: 5,
    }


@pytest.mark.parametrize(
    ("name", "site_id"),
    [
        ("SOT-punkt Kall", "kall"),
        ("SOT-punkt Lillhärdal", "lillhardal"),
        ("Borgvattnet", "borgvattnet"),
        ("SOT punkt Rötviken", "rotviken"),
        ("Åre Östersund 2", "are-ostersund-2"),
        ("SOT-punkt", "sot-punkt"),
    ],
)
def test_suggested_site_id(name: str, site_id: str) -> None:
    """The site's name, folded to a-z, without the "SOT-punkt" everyone shares."""
    assert suggested_site_id(name) == site_id
    assert uplink_errors(SECTION | {CONF_SITE_ID: site_id}) == (None, "")


# -- payloads --------------------------------------------------------------------------


def test_status_payload_adds_the_uplink_part() -> None:
    """The status object unchanged, with where it comes from and what was lost."""
    status = {"schema": 1, "site": "SOT-punkt Kall", "updated": "t", "mode": "normal"}
    sent = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    payload = status_payload(
        status, KALL, sent=sent, dropped_events=3, location=(63.47531, 13.24049)
    )
    assert payload == status | {
        "uplink": {
            "county": "23",
            "municipality": "2321",
            "site_id": "kall",
            "heartbeat_s": 300,
            "dropped_events": 3,
            "sent": "2026-11-24T12:00:00+00:00",
            "location": {"latitude": 63.475, "longitude": 13.24},
        }
    }
    assert status_news(status) == {
        "schema": 1,
        "site": "SOT-punkt Kall",
        "mode": "normal",
    }


def test_official_information_stays_at_the_site() -> None:
    """The county has the authorities' items already: not sent, and no news."""
    status = {"schema": 2, "site": "SOT-punkt Kall", "mode": "normal"}
    fetched = status | {"official": {"fetched_at": "t", "items": [{"id": "x"}]}}
    sent = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    payload = status_payload(fetched, KALL, sent=sent, dropped_events=0)
    assert "official" not in payload
    assert payload["mode"] == "normal"
    assert status_news(fetched) == status_news(status)


@pytest.mark.parametrize("location", [None, (0.0, 0.0), (91.0, 13.0), (63.0, 181.0)])
def test_a_home_that_is_unset_or_impossible_puts_no_point_on_the_map(
    location: tuple[float, float] | None,
) -> None:
    """Home Assistant's default home (0, 0) is not in Jämtland: no location."""
    sent = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    payload = status_payload(
        {"schema": 1}, KALL, sent=sent, dropped_events=0, location=location
    )
    assert payload["uplink"]["location"] is None


def test_outage_events_have_one_id_each() -> None:
    """An outage's start and end name the same record, as two events."""
    started = event_payload(
        EVENT_OUTAGE_STARTED, bus_event(started="s", ended=None), KALL
    )
    ended = event_payload(
        EVENT_OUTAGE_ENDED, bus_event(started="s", ended="e", duration_s=60.0), KALL
    )
    assert started is not None
    assert ended is not None
    assert started == {
        "schema": 1,
        "id": "01REC:outage_started",
        "record_id": "01REC",
        "kind": "outage_started",
        "at": "2026-11-24T11:05:40+00:00",
        "county": "23",
        "municipality": "2321",
        "site_id": "kall",
        "site": "SOT-punkt Kall",
        "data": {"started": "s"},
    }
    assert ended["id"] == "01REC:outage_ended"
    assert ended["data"] == {"started": "s", "ended": "e", "duration_s": 60.0}


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        (EVENT_START_FAILED, "start_failed"),
        (EVENT_TEST_RUN_STARTED, "test_run_started"),
        (EVENT_TEST_RUN_ENDED, "test_run_ended"),
        (EVENT_FUEL_DELIVERY, "fuel_delivery"),
        (EVENT_NOTICE, "notice"),
    ],
)
def test_public_events_leave_people_out(event_type: str, kind: str) -> None:
    """Who did it (user id, name) never goes, whatever the event."""
    data = bus_event(
        user_id="abc123", user_name="Anna Andersson", litres=50.0, action="published"
    )
    payload = event_payload(event_type, data, KALL)
    assert payload is not None
    assert payload["kind"] == kind
    assert "abc123" not in encode(payload)
    assert "Anna" not in encode(payload)


@pytest.mark.parametrize(
    "event_type", [EVENT_ALARM, EVENT_COMMAND, EVENT_MAINTENANCE, "other_event"]
)
def test_local_events_stay_local(event_type: str) -> None:
    """Alarms, commands and the maintenance lock are the site's own business."""
    assert event_payload(event_type, bus_event(), KALL) is None


def test_an_event_without_a_record_is_not_sent() -> None:
    """No record id, no stable id: nothing the county could take once."""
    assert event_payload(EVENT_NOTICE, {"site": "x"}, KALL) is None


def test_encode_is_compact_utf8_json() -> None:
    """Swedish letters as they are, no spaces."""
    assert encode({"text_sv": "Öppet", "n": 1}) == '{"text_sv":"Öppet","n":1}'


# -- the queue -------------------------------------------------------------------------


def event(number: int) -> dict[str, Any]:
    """A queued event."""
    return {"id": f"{number:04d}:notice", "at": f"t{number}"}


def test_queue_keeps_order_and_forgets_only_what_was_sent() -> None:
    """Oldest first; `remove` takes only the head it names."""
    queue = EventQueue()
    for number in range(3):
        assert queue.add(event(number))
    assert queue.head() == event(0)
    queue.remove(event(1)["id"])  # not the head: stays
    assert [e["id"] for e in queue] == [event(n)["id"] for n in range(3)]
    queue.remove(event(0)["id"])
    assert queue.head() == event(1)
    assert len(queue) == 2


def test_queue_takes_an_id_once() -> None:
    """An event already waiting is not queued twice."""
    queue = EventQueue()
    assert queue.add(event(1))
    assert not queue.add(event(1))
    assert len(queue) == 1


def test_full_queue_drops_the_oldest_and_counts() -> None:
    """A full queue makes room by dropping its oldest event, and says how many."""
    queue = EventQueue(limit=3)
    for number in range(5):
        queue.add(event(number))
    assert [e["id"] for e in queue] == [event(n)["id"] for n in (2, 3, 4)]
    assert queue.dropped == 2
    assert queue.add(event(0))  # dropped, so no longer known: taken again
    assert queue.dropped == 3


def test_queue_round_trip_through_storage() -> None:
    """Stored as JSON and read back: same events, same order, same count."""
    queue = EventQueue(limit=3)
    for number in range(4):
        queue.add(event(number))
    stored = json.loads(json.dumps(queue.dump()))
    back = EventQueue.load(stored, limit=3)
    assert list(back) == list(queue)
    assert back.dropped == 1


def test_queue_loads_what_it_can() -> None:
    """Nothing stored, or entries without an id: an empty or partial queue."""
    assert len(EventQueue.load(None)) == 0
    back = EventQueue.load({"events": [{"no": "id"}, "x", event(7)], "dropped": "x"})
    assert list(back) == [event(7)]
    assert back.dropped == 0
