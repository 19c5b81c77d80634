"""The uplink against a real Mosquitto, through Home Assistant's own MQTT integration.

What the county's reader receives is the proof: retained status without
personal data, events with stable ids, in order and exactly once across a
broker restart and a Home Assistant restart, `offline` when the site goes,
and nothing at all when the uplink is off.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.components import mqtt
from homeassistant.components.mqtt.const import MQTT_CONNECTION_STATE
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sot_point.const import DOMAIN
from custom_components.sot_point.journal import RecordKind
from custom_components.sot_point.sms_answers import (
    CONF_NAME,
    CONF_NUMBER,
    CONF_ON_CALL,
    CONF_PEOPLE,
    CONF_PHONE,
    CONF_SMS_SERVICE,
)
from custom_components.sot_point.uplink import Uplink, needs_mqtt_issue_id
from simulator.server import SimulatedSite

from ..conftest import load_site, refresh, site_entry
from .conftest import (
    AVAILABILITY_TOPIC,
    BASE,
    COUNTY,
    EVENT_TOPIC,
    MUNICIPALITY,
    OTHER_BASE,
    OTHER_SITE_USER,
    REGION_USER,
    SITE_ID,
    SITE_USER,
    STATUS_TOPIC,
    Broker,
    Reader,
    Received,
    set_up_mqtt,
    until,
    uplink_site,
)

ON_CALL_NAME = "Anna Andersson"
ON_CALL_NUMBER = "+46701234567"
STORE_KEY = "sot_point.01SITEKALL0000000000000000.uplink"


@pytest.fixture
def quick_status() -> Iterator[None]:
    """A changed status goes at once, not after the 10 s a real site waits."""
    with patch("custom_components.sot_point.uplink.STATUS_MIN_INTERVAL_S", 0.0):
        yield


def uplink_of(entry: MockConfigEntry) -> Uplink:
    """The loaded site's uplink."""
    uplink: Uplink | None = entry.runtime_data.uplink
    assert uplink is not None
    return uplink


async def publish_notice(
    hass: HomeAssistant, entry: MockConfigEntry, text: str
) -> None:
    """Publish a notice on the site's info page (one journal record)."""
    await hass.services.async_call(
        DOMAIN,
        "publish_notice",
        {"config_entry_id": entry.entry_id, "text_sv": text},
        blocking=True,
        return_response=True,
    )


def event_ids(messages: list[Received]) -> list[str]:
    """The ids of the events among `messages`, in the order they came."""
    return [m.json()["id"] for m in messages if m.topic == EVENT_TOPIC]


def has_events(count: int) -> Any:
    """A condition: at least `count` events arrived."""
    return lambda messages: len(event_ids(messages)) >= count


async def lose_broker(hass: HomeAssistant, broker: Broker) -> None:
    """Stop the broker and wait until Home Assistant knows it is gone."""
    await broker.stop()
    await until(
        lambda: not mqtt.is_connected(hass), "Home Assistant sees the broker go"
    )


# -- status ----------------------------------------------------------------------------


async def test_status_arrives_retained_without_personal_data(  # noqa: PLR0917
    hass: HomeAssistant,
    sim: SimulatedSite,
    broker: Broker,
    ha_mqtt: MockConfigEntry,
    county: Reader,
    hass_admin_user: MockUser,
) -> None:
    """Status is retained, versioned, and carries no names, numbers or user ids.

    The site has a person on call, and a person records a delivery and a
    notice; none of them reaches the county.
    """
    on_call = {
        CONF_ON_CALL: {
            CONF_PEOPLE: [
                {CONF_NAME: ON_CALL_NAME, CONF_NUMBER: ON_CALL_NUMBER, CONF_PHONE: ""}
            ],
            CONF_SMS_SERVICE: "notify.sms",
        }
    }
    entry = await load_site(hass, uplink_site(sim, **on_call))
    context = Context(user_id=hass_admin_user.id)
    await hass.services.async_call(
        DOMAIN,
        "record_fuel_delivery",
        {"config_entry_id": entry.entry_id, "litres": 50},
        blocking=True,
        context=context,
    )
    await hass.services.async_call(
        DOMAIN,
        "publish_notice",
        {"config_entry_id": entry.entry_id, "text_sv": "Diesel finns"},
        blocking=True,
        context=context,
        return_response=True,
    )
    await county.wait_for(has_events(2))
    # The status that shows the notice, as a reader arriving now finds it.
    await until(
        lambda: any(m.json()["notices"] for m in county.on(STATUS_TOPIC)),
        "a status with the notice",
    )
    late = Reader(broker, REGION_USER, "late-reader")
    await late.connect(STATUS_TOPIC)
    try:
        status = await late.next_on(STATUS_TOPIC)
    finally:
        late.close()

    assert status.retain
    body = status.json()
    assert body["schema"] == 2
    assert body["site"] == "SOT-punkt Kall"
    assert body["reachable"] is True
    assert body["mode"] == "normal"
    assert [n["text_sv"] for n in body["notices"]] == ["Diesel finns"]
    assert body["uplink"] | {"sent": None} == {
        "county": COUNTY,
        "municipality": MUNICIPALITY,
        "site_id": SITE_ID,
        "heartbeat_s": 300,
        "dropped_events": 0,
        "sent": None,
        # Home Assistant's home, to about 100 m, for the county's map.
        "location": {
            "latitude": round(hass.config.latitude, 3),
            "longitude": round(hass.config.longitude, 3),
        },
    }
    delivery, notice = [m.json() for m in county.on(EVENT_TOPIC)]
    assert delivery["kind"] == "fuel_delivery"
    assert delivery["data"]["litres"] == 50
    assert notice["kind"] == "notice"
    assert notice["data"]["text_sv"] == "Diesel finns"
    everything = b"".join(m.payload for m in [*county.messages, status])
    for private in (
        ON_CALL_NAME,
        ON_CALL_NUMBER,
        hass_admin_user.id,
        hass_admin_user.name,
        "user_id",
        "user_name",
    ):
        assert private is not None
        assert private.encode() not in everything, private


async def test_status_follows_the_site_and_says_online(
    hass: HomeAssistant,
    sim: SimulatedSite,
    ha_mqtt: MockConfigEntry,
    county: Reader,
    quick_status: None,
) -> None:
    """`online` first, then the status; a change of the site is sent again."""
    entry = await load_site(hass, uplink_site(sim))
    await county.wait_for(lambda messages: len(messages) >= 2)
    first, second = county.messages[:2]
    assert (first.topic, first.text) == (AVAILABILITY_TOPIC, "online")
    assert second.topic == STATUS_TOPIC
    assert second.json()["mode"] == "normal"

    seen = len(county.messages)
    sim.site.lose_mains()
    await refresh(hass, entry)
    await county.wait_for(
        lambda messages: any(
            m.json()["mains_available"] is False and m.json()["mode"] != "normal"
            for m in messages[seen:]
            if m.topic == STATUS_TOPIC
        )
    )


# -- events ----------------------------------------------------------------------------


async def test_outage_sends_its_start_and_end_with_stable_ids(
    hass: HomeAssistant,
    sim: SimulatedSite,
    ha_mqtt: MockConfigEntry,
    county: Reader,
) -> None:
    """One outage, two events, both named after the journal's outage record."""
    entry = await load_site(hass, uplink_site(sim))
    sim.site.lose_mains()
    await refresh(hass, entry)
    sim.advance(sim.site.config.timings.time_to_load(0) + 2)
    await refresh(hass, entry)
    assert entry.runtime_data.coordinator.data.mode == "backup_power"
    sim.site.restore_mains()
    await refresh(hass, entry)
    timings = sim.site.config.timings
    sim.advance(timings.mains_return_delay + timings.transfer_time + 2)
    await refresh(hass, entry)

    await county.wait_for(has_events(2))
    (outage,) = entry.runtime_data.journal.records(kinds={RecordKind.OUTAGE})
    started, ended = [m.json() for m in county.on(EVENT_TOPIC)]
    assert started["id"] == f"{outage.id}:outage_started"
    assert ended["id"] == f"{outage.id}:outage_ended"
    for event in (started, ended):
        assert event["schema"] == 1
        assert event["record_id"] == outage.id
        assert event["at"] == outage.at.isoformat()
        assert (event["county"], event["municipality"], event["site_id"]) == (
            COUNTY,
            MUNICIPALITY,
            SITE_ID,
        )
        assert event["site"] == "SOT-punkt Kall"
    assert started["kind"] == "outage_started"
    assert started["data"]["started"] == outage.data["started"]
    assert ended["kind"] == "outage_ended"
    assert ended["data"]["ended"] == outage.data["ended"]
    assert ended["data"]["duration_s"] == outage.data["duration_s"]
    assert ended["data"]["backup_power_s"] == outage.data["backup_power_s"]


async def test_events_cross_a_broker_restart_once_and_in_order(
    hass: HomeAssistant,
    sim: SimulatedSite,
    broker: Broker,
    ha_mqtt: MockConfigEntry,
    county: Reader,
) -> None:
    """Events made while the broker is down arrive after it, in order, once each."""
    entry = await load_site(hass, uplink_site(sim))
    await county.next_on(STATUS_TOPIC)
    await lose_broker(hass, broker)

    for text in ("Ett", "Två", "Tre"):
        await publish_notice(hass, entry, text)
    await hass.services.async_call(
        DOMAIN,
        "record_fuel_delivery",
        {"config_entry_id": entry.entry_id, "litres": 120},
        blocking=True,
    )
    sim.site.lose_mains()
    await refresh(hass, entry)
    uplink = uplink_of(entry)
    waiting = [event["id"] for event in uplink.queue]
    assert len(waiting) == 5
    assert [event["kind"] for event in uplink.queue] == [
        "notice",
        "notice",
        "notice",
        "fuel_delivery",
        "outage_started",
    ]

    await broker.start()
    await county.wait_for(has_events(5))
    # One more after all of them: anything sent twice would have come first.
    await publish_notice(hass, entry, "Fyra")
    await county.wait_for(has_events(6))
    arrived = event_ids(county.messages)
    assert arrived[:5] == waiting
    assert len(arrived) == len(set(arrived)) == 6
    assert county.on(EVENT_TOPIC)[-1].json()["data"]["text_sv"] == "Fyra"
    await until(lambda: len(uplink.queue) == 0, "the queue emptied by the acks")
    # And the site said it was back.
    assert [m.text for m in county.on(AVAILABILITY_TOPIC)].count("online") >= 2


async def test_waiting_events_survive_a_restart_of_the_site(  # noqa: PLR0917
    hass: HomeAssistant,
    sim: SimulatedSite,
    broker: Broker,
    ha_mqtt: MockConfigEntry,
    county: Reader,
    hass_storage: dict[str, Any],
) -> None:
    """The queue is on disk: unloaded and set up again, the site still sends it."""
    entry = await load_site(hass, uplink_site(sim))
    await county.next_on(STATUS_TOPIC)
    await lose_broker(hass, broker)
    await publish_notice(hass, entry, "Före")
    await publish_notice(hass, entry, "Omstart")
    before = [event["id"] for event in uplink_of(entry).queue]

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[STORE_KEY]["data"]
    assert [event["id"] for event in stored["events"]] == before
    assert stored["dropped"] == 0

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert [event["id"] for event in uplink_of(entry).queue] == before
    await publish_notice(hass, entry, "Efter")
    assert len(uplink_of(entry).queue) == 3

    await broker.start()
    await county.wait_for(has_events(3))
    texts = [m.json()["data"]["text_sv"] for m in county.on(EVENT_TOPIC)]
    assert texts == ["Före", "Omstart", "Efter"]
    assert event_ids(county.messages)[:2] == before
    await until(
        lambda: not hass_storage[STORE_KEY]["data"]["events"], "queue saved empty"
    )


async def test_a_full_queue_drops_the_oldest_and_says_so(
    hass: HomeAssistant,
    sim: SimulatedSite,
    broker: Broker,
    ha_mqtt: MockConfigEntry,
    county: Reader,
) -> None:
    """Over its bound, the queue loses its oldest event; the status counts it."""
    entry = await load_site(hass, uplink_site(sim))
    await county.next_on(STATUS_TOPIC)
    await lose_broker(hass, broker)
    uplink_of(entry).queue.limit = 2
    for text in ("Ett", "Två", "Tre"):
        await publish_notice(hass, entry, text)
    assert uplink_of(entry).queue.dropped == 1

    seen = len(county.messages)
    await broker.start()
    await county.wait_for(has_events(2))
    texts = [m.json()["data"]["text_sv"] for m in county.on(EVENT_TOPIC)]
    assert texts == ["Två", "Tre"]
    # The first status after the broker's return counts the loss (one sent
    # before it went may still be on its way to the reader).
    await county.wait_for(
        lambda messages: any(
            m.json()["uplink"]["dropped_events"] == 1
            for m in messages[seen:]
            if m.topic == STATUS_TOPIC
        )
    )


async def test_heartbeat_sends_the_status_unchanged(
    hass: HomeAssistant,
    sim: SimulatedSite,
    ha_mqtt: MockConfigEntry,
    county: Reader,
) -> None:
    """Nothing changes, yet every heartbeat the status goes again."""
    await load_site(hass, uplink_site(sim))
    first = await county.next_on(STATUS_TOPIC)
    seen = len(county.messages)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5, seconds=1))
    again = await county.next_on(STATUS_TOPIC, after=seen)
    assert again.json()["uplink"]["sent"] > first.json()["uplink"]["sent"]


# -- when a publish fails ------------------------------------------------------------


async def test_a_refused_publish_keeps_the_event(
    hass: HomeAssistant,
    sim: SimulatedSite,
    ha_mqtt: MockConfigEntry,
    county: Reader,
) -> None:
    """An event Home Assistant could not publish stays first in line."""
    entry = await load_site(hass, uplink_site(sim))
    await county.next_on(STATUS_TOPIC)
    refused = HomeAssistantError("broker said no")
    with patch.object(mqtt, "async_publish", side_effect=refused):
        await publish_notice(hass, entry, "Ett")
        # The worker tries on its own time; on a loaded machine that can be
        # after everything pending now has run.
        await until(
            lambda: uplink_of(entry).diagnostics()["last_error"] == "broker said no",
            "the refused publish",
        )
    assert len(uplink_of(entry).queue) == 1

    await publish_notice(hass, entry, "Två")
    await county.wait_for(has_events(2))
    texts = [m.json()["data"]["text_sv"] for m in county.on(EVENT_TOPIC)]
    assert texts == ["Ett", "Två"]


async def test_an_event_whose_connection_dropped_is_sent_again(
    hass: HomeAssistant,
    sim: SimulatedSite,
    ha_mqtt: MockConfigEntry,
    county: Reader,
) -> None:
    """A publish during which the connection went is not taken as acknowledged.

    The message may never have reached the broker: the event stays queued
    and goes again once the client is back (the county takes its id once).
    """
    entry = await load_site(hass, uplink_site(sim))
    await county.next_on(STATUS_TOPIC)
    publish = mqtt.async_publish

    async def cut_off(*args: Any, **kwargs: Any) -> None:
        async_dispatcher_send(hass, MQTT_CONNECTION_STATE, False)

    with patch.object(mqtt, "async_publish", side_effect=cut_off):
        await publish_notice(hass, entry, "Avbruten")
        await hass.async_block_till_done()
    uplink = uplink_of(entry)
    assert len(uplink.queue) == 1
    assert uplink.diagnostics()["last_error"] == "connection lost while publishing"

    assert mqtt.async_publish is publish
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, True)  # back again
    await county.wait_for(has_events(1))
    assert county.on(EVENT_TOPIC)[0].json()["data"]["text_sv"] == "Avbruten"
    await until(lambda: not uplink.queue, "the event acknowledged")
    assert uplink.diagnostics()["last_error"] is None


# -- availability ----------------------------------------------------------------------


async def test_offline_when_the_site_unloads(
    hass: HomeAssistant,
    sim: SimulatedSite,
    broker: Broker,
    ha_mqtt: MockConfigEntry,
    county: Reader,
) -> None:
    """Unloading says `offline`, retained, so a reader arriving later knows."""
    entry = await load_site(hass, uplink_site(sim))
    await county.next_on(STATUS_TOPIC)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await county.wait_for(
        lambda messages: (
            messages[-1].topic == AVAILABILITY_TOPIC and messages[-1].text == "offline"
        )
    )
    late = Reader(broker, REGION_USER, "late-reader")
    await late.connect(AVAILABILITY_TOPIC)
    try:
        availability = await late.next_on(AVAILABILITY_TOPIC)
    finally:
        late.close()
    assert (availability.text, availability.retain) == ("offline", True)


async def test_offline_when_home_assistant_stops(
    hass: HomeAssistant,
    sim: SimulatedSite,
    ha_mqtt: MockConfigEntry,
    county: Reader,
) -> None:
    """Home Assistant stopping says `offline` before its MQTT client goes."""
    await load_site(hass, uplink_site(sim))
    await county.next_on(STATUS_TOPIC)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await county.wait_for(
        lambda messages: (
            messages[-1].topic == AVAILABILITY_TOPIC and messages[-1].text == "offline"
        )
    )


# -- the broker's ACL ------------------------------------------------------------------


async def test_a_site_cannot_write_another_sites_topics(
    broker: Broker, county: Reader
) -> None:
    """Kall's login is refused on Borgvattnet's topics; the county may not write.

    The county's reader sees only what Kall may write: the first message to
    arrive after the refused ones is Kall's own.
    """
    kall = Reader(broker, SITE_USER, "kall")
    borgvattnet = Reader(broker, OTHER_SITE_USER, "borgvattnet")
    await kall.connect()
    await borgvattnet.connect()
    try:
        not_authorized = 135
        assert await kall.publish(f"{OTHER_BASE}/status", "{}") == not_authorized
        assert await kall.publish(f"{OTHER_BASE}/event", "{}") == not_authorized
        assert await kall.publish(f"sot/{COUNTY}/x/status", "{}") == not_authorized
        assert await borgvattnet.publish(f"{BASE}/event", "{}") == not_authorized
        assert await county.publish(f"{BASE}/status", "{}") == not_authorized
        assert await kall.publish(f"{BASE}/event", "kall") == 0
        first = await county.next_on(f"{BASE}/event")
    finally:
        kall.close()
        borgvattnet.close()
    assert county.messages == [first]
    assert first.text == "kall"


# -- uplink off, MQTT missing ----------------------------------------------------------


async def test_uplink_off_publishes_nothing(
    hass: HomeAssistant,
    sim: SimulatedSite,
    ha_mqtt: MockConfigEntry,
    county: Reader,
) -> None:
    """With the uplink off, a power cut and a notice send nothing to the county.

    The proof: a marker published through the same MQTT connection afterwards
    is the first thing the county sees.
    """
    entry = await load_site(hass, site_entry(sim))
    assert entry.runtime_data.uplink is None
    sim.site.lose_mains()
    await refresh(hass, entry)
    await publish_notice(hass, entry, "Hej")
    await mqtt.async_publish(hass, f"{BASE}/marker", "marker", 1, False)
    marker = await county.next_on(f"{BASE}/marker")
    assert county.messages == [marker]


async def test_uplink_off_needs_no_mqtt(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """A site without the uplink sets up without Home Assistant's MQTT."""
    entry = await load_site(hass, site_entry(sim))
    assert entry.runtime_data.uplink is None
    assert "mqtt" not in hass.config.components


async def test_uplink_without_mqtt_keeps_events_until_it_is_set_up(  # noqa: PLR0917
    hass: HomeAssistant,
    sim: SimulatedSite,
    broker: Broker,
    county: Reader,
    mock_hass_config: None,
    issue_registry: ir.IssueRegistry,
) -> None:
    """No MQTT: a repair says so and events wait; MQTT set up: they go."""
    entry = await load_site(hass, uplink_site(sim))
    issue_id = needs_mqtt_issue_id(entry.entry_id)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "uplink_needs_mqtt"
    assert issue.translation_placeholders == {"site": "SOT-punkt Kall", "topic": BASE}
    await publish_notice(hass, entry, "Väntar")
    assert len(uplink_of(entry).queue) == 1

    mqtt_entry = await set_up_mqtt(hass, broker)
    await county.wait_for(has_events(1))
    assert county.on(EVENT_TOPIC)[0].json()["data"]["text_sv"] == "Väntar"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_unload(mqtt_entry.entry_id)


# -- diagnostics -----------------------------------------------------------------------


async def test_diagnostics_show_the_uplink(  # noqa: PLR0917
    hass: HomeAssistant,
    sim: SimulatedSite,
    broker: Broker,
    ha_mqtt: MockConfigEntry,
    county: Reader,
    hass_client: ClientSessionGenerator,
) -> None:
    """Topics, the connection, what waits and what was dropped."""
    entry = await load_site(hass, uplink_site(sim))
    await county.next_on(STATUS_TOPIC)
    await lose_broker(hass, broker)
    await publish_notice(hass, entry, "Väntar")

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    uplink: dict[str, Any] = diagnostics["uplink"]  # type: ignore[assignment]
    assert uplink["topics"] == {
        "status": STATUS_TOPIC,
        "event": EVENT_TOPIC,
        "availability": AVAILABILITY_TOPIC,
    }
    assert uplink["connected"] is False
    assert uplink["queued_events"] == 1
    assert uplink["queue_limit"] == 5000
    assert uplink["dropped_events"] == 0
    assert uplink["oldest_queued"] is not None
    assert uplink["sent_status"] >= 1
