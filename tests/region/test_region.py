"""A region in a real Home Assistant, reading sites from a real Mosquitto.

Home Assistant's MQTT integration is logged in as the county (read-only);
Kall and Borgvattnet publish as their own logins what their uplinks publish.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.sot_point.const import DOMAIN
from custom_components.sot_point.region.hub import RegionHub, device_identifier
from custom_components.sot_point.region.repairs import silent_issue_id
from custom_components.sot_point.region.setup import EVENT_REGION_EVENT
from custom_components.sot_point.rules.region import MAX_PAYLOAD_BYTES

from ..mqtt.conftest import until
from ..test_config_flow import assert_translated
from .conftest import (
    BORGVATTNET,
    COUNTY,
    KALL,
    REGION_NAME,
    SitePublisher,
    shown,
    status_message,
    subscribed,
)

KALL_KEY = "2321/kall"
BORGVATTNET_KEY = "2303/borgvattnet"
ON_BACKUP = {"mode": "backup_power", "on_backup_power": True}
# What Kall shows on backup power, and after it said offline or went silent.
KALL_ON_BACKUP = {
    "status": "backup_power",
    "fuel_autonomy": "61.3",
    "warm_room_temperature": "19.5",
    "on_backup_power": "on",
    "online": "on",
    "heard": "yes",
}
GONE = {
    "fuel_autonomy": STATE_UNAVAILABLE,
    "warm_room_temperature": STATE_UNAVAILABLE,
    "on_backup_power": STATE_UNAVAILABLE,
    "online": "off",
    "heard": "yes",
}


def hub_of(entry: MockConfigEntry) -> RegionHub:
    """The region's hub, to wait on what it took."""
    hub: RegionHub = entry.runtime_data
    return hub


async def shows(hass: HomeAssistant, key: str, expected: dict[str, str]) -> None:
    """Wait until the site's entities show `expected`."""
    await until(lambda: shown(hass, key) == expected, f"{key} shows {expected}")


# -- the config flow ------------------------------------------------------------------


async def test_a_region_is_chosen_from_the_menu(
    hass: HomeAssistant, region_mqtt: MockConfigEntry
) -> None:
    """Site or region; a region names its county once, with MQTT there."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["site", "region"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "region"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "region"
    assert_translated(result, ("config",))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": "  ", "county": COUNTY}
    )
    assert result["errors"] == {"name": "region_name_required"}
    assert_translated(result, ("config",))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": f" {REGION_NAME} ", "county": COUNTY}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == REGION_NAME
    assert result["data"] == {"kind": "region", "name": REGION_NAME, "county": "23"}
    assert result["options"] == {
        "municipalities": [],
        "low_autonomy_h": 12,
        "silent_after_heartbeats": 3,
    }
    entry = result["result"]
    assert entry.unique_id == "region-23"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    # One region per county.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "region"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": "Another", "county": COUNTY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "region_already_configured"
    assert result["description_placeholders"] == {"county": "Jämtlands län"}
    assert_translated(result, ("config",))
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_region_needs_mqtt(hass: HomeAssistant) -> None:
    """Without Home Assistant's MQTT integration the region step says so."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "region"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": REGION_NAME, "county": COUNTY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "region_needs_mqtt"}
    assert_translated(result, ("config",))


async def test_region_options(
    hass: HomeAssistant, region: MockConfigEntry, kall: SitePublisher
) -> None:
    """Municipalities to follow (heard ones offered), limits; bad codes refused."""
    await kall.status()
    await until(lambda: KALL_KEY in hub_of(region).views, "Kall is heard")
    result = await hass.config_entries.options.async_init(region.entry_id)
    assert result["step_id"] == "region"
    assert_translated(result, ("options",))
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "municipalities": ["2421"],
            "low_autonomy_h": 24,
            "silent_after_heartbeats": 4,
        },
    )
    assert result["errors"] == {"base": "region_bad_municipality"}
    assert (result["description_placeholders"] or {})["at_fault"] == "2421"
    assert_translated(result, ("options",))
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "municipalities": ["2321", " 2303"],
            "low_autonomy_h": 24,
            "silent_after_heartbeats": 4,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert region.options == {
        "municipalities": ["2303", "2321"],
        "low_autonomy_h": 24,
        "silent_after_heartbeats": 4,
    }
    await hass.async_block_till_done()
    await subscribed(region)
    assert hub_of(region).topics == [
        "sot/23/2303/+/status",
        "sot/23/2303/+/event",
        "sot/23/2303/+/availability",
        "sot/23/2321/+/status",
        "sot/23/2321/+/event",
        "sot/23/2321/+/availability",
    ]
    # The retained status comes again through the new subscriptions.
    await until(lambda: KALL_KEY in hub_of(region).views, "Kall is still there")


async def test_a_site_taken_away_is_forgotten(
    hass: HomeAssistant, region: MockConfigEntry, kall: SitePublisher
) -> None:
    """The options forget a site: its device and entities go, and it is not silent."""
    await kall.send("status", status_message(sent=dt_util.utcnow()))  # not retained
    await shows(
        hass, KALL_KEY, KALL_ON_BACKUP | {"status": "normal", "on_backup_power": "off"}
    )
    devices = dr.async_get(hass)
    assert dr.async_entries_for_config_entry(devices, region.entry_id)
    result = await hass.config_entries.options.async_init(region.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "municipalities": [],
            "low_autonomy_h": 12,
            "silent_after_heartbeats": 3,
            "forget_sites": [KALL_KEY],
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert "forget_sites" not in region.options
    await hass.async_block_till_done()
    assert dr.async_entries_for_config_entry(devices, region.entry_id) == []
    assert hass.states.get("sensor.sot_23_2321_kall_status") is None
    assert KALL_KEY not in hub_of(region).views


# -- sites, devices and entities ------------------------------------------------------


async def test_each_site_is_a_device_with_six_entities(
    hass: HomeAssistant,
    region: MockConfigEntry,
    kall: SitePublisher,
    borgvattnet: SitePublisher,
) -> None:
    """A site heard becomes a device; a second site appears while running."""
    await kall.online()
    await kall.status(**ON_BACKUP)
    await shows(hass, KALL_KEY, KALL_ON_BACKUP)
    devices = dr.async_get(hass)
    device = devices.async_get_device_by_identifier(
        device_identifier(region.entry_id, KALL_KEY), region.entry_id
    )
    assert device is not None
    assert device.name == KALL
    assert device.serial_number == "sot/23/2321/kall"
    state = hass.states.get("sensor.sot_23_2321_kall_status")
    assert state is not None
    assert state.attributes["friendly_name"] == f"{KALL} Status"
    heard = hass.states.get("sensor.sot_23_2321_kall_last_heard")
    assert heard is not None
    heard_at = dt_util.parse_datetime(heard.state)
    assert heard_at is not None
    assert abs(heard_at - dt_util.utcnow()) < timedelta(minutes=1)

    await borgvattnet.online()
    await borgvattnet.status(
        site=BORGVATTNET,
        mode="outage_no_backup",
        mains_available=False,
        autonomy_h=None,
    )
    await shows(
        hass,
        BORGVATTNET_KEY,
        {
            "status": "outage_no_backup",
            "fuel_autonomy": STATE_UNAVAILABLE,
            "warm_room_temperature": "19.5",
            "on_backup_power": "off",
            "online": "on",
            "heard": "yes",
        },
    )
    assert len(dr.async_entries_for_config_entry(devices, region.entry_id)) == 2

    # A site that renames itself renames its device.
    await kall.status(site="SOT-punkt Kall i Åre", **ON_BACKUP)
    await until(
        lambda: (
            getattr(devices.async_get(device.id), "name", None)
            == "SOT-punkt Kall i Åre"
        ),
        "the device follows the site's name",
    )


async def test_a_low_tank_in_an_outage_is_low_autonomy(
    hass: HomeAssistant, region: MockConfigEntry, kall: SitePublisher
) -> None:
    """Below the region's low_autonomy_h on backup power: low autonomy."""
    await kall.status(**ON_BACKUP, autonomy_h=11.0)
    await shows(
        hass,
        KALL_KEY,
        KALL_ON_BACKUP | {"status": "low_autonomy", "fuel_autonomy": "11.0"},
    )


async def test_offline_shows_no_data(
    hass: HomeAssistant, region: MockConfigEntry, kall: SitePublisher
) -> None:
    """A site that says offline has no figures, until it is back."""
    await kall.online()
    await kall.status(**ON_BACKUP)
    await shows(hass, KALL_KEY, KALL_ON_BACKUP)
    await kall.online(available=False)
    await shows(hass, KALL_KEY, GONE | {"status": "no_data"})
    await kall.online()
    await shows(hass, KALL_KEY, KALL_ON_BACKUP)


@pytest.mark.freeze_time(tick=True)
async def test_a_silent_site_goes_unavailable_and_a_repair_lists_it(
    hass: HomeAssistant,
    region: MockConfigEntry,
    kall: SitePublisher,
    borgvattnet: SitePublisher,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Three heartbeats of nothing: unavailable, offline and listed; back: gone."""
    await kall.online()
    await kall.status(**ON_BACKUP)  # heartbeat 5 min
    await borgvattnet.online()
    await borgvattnet.status(site=BORGVATTNET, heartbeat_s=3600)
    await shows(hass, KALL_KEY, KALL_ON_BACKUP)
    await until(
        lambda: shown(hass, BORGVATTNET_KEY)["status"] == "normal",
        "Borgvattnet's status is taken",
    )
    issues = ir.async_get(hass)
    issue_id = silent_issue_id(region.entry_id)

    freezer.tick(timedelta(minutes=14))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert shown(hass, KALL_KEY) == KALL_ON_BACKUP
    assert issues.async_get_issue(DOMAIN, issue_id) is None

    freezer.tick(timedelta(minutes=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert shown(hass, KALL_KEY) == GONE | {"status": STATE_UNAVAILABLE}
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "region_silent_sites"
    assert issue.translation_placeholders == {
        "region": REGION_NAME,
        "count": "1",
        "sites": f"{KALL} ({KALL_KEY})",
    }
    assert shown(hass, BORGVATTNET_KEY)["status"] == "normal"

    await kall.status(**ON_BACKUP)
    await shows(hass, KALL_KEY, KALL_ON_BACKUP)
    assert issues.async_get_issue(DOMAIN, issue_id) is None


async def test_the_region_follows_mqtt_set_up_again(
    hass: HomeAssistant,
    region_mqtt: MockConfigEntry,
    region: MockConfigEntry,
    kall: SitePublisher,
) -> None:
    """MQTT unloaded and set up again: Home Assistant keeps the subscriptions."""
    await kall.status()
    await shows(
        hass, KALL_KEY, KALL_ON_BACKUP | {"status": "normal", "on_backup_power": "off"}
    )
    assert await hass.config_entries.async_unload(region_mqtt.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(region_mqtt.entry_id)
    await hass.async_block_till_done()
    assert region.state is ConfigEntryState.LOADED
    await kall.status(**ON_BACKUP)
    await shows(hass, KALL_KEY, KALL_ON_BACKUP)


# -- events -----------------------------------------------------------------------


async def test_an_event_is_taken_once_also_after_a_restart(
    hass: HomeAssistant,
    region: MockConfigEntry,
    kall: SitePublisher,
    hass_storage: dict[str, Any],
) -> None:
    """The same id twice is one stored event and one bus event, across a reload."""
    fired = async_capture_events(hass, EVENT_REGION_EVENT)
    await kall.online()
    await kall.send("status", status_message(sent=dt_util.utcnow()))  # not retained
    first = await kall.event("start_failed")
    await kall.send("event", first)
    await until(lambda: hub_of(region).events.repeats == 1, "the repeat is seen")
    assert len(fired) == 1
    assert fired[0].data["id"] == first["id"]
    assert fired[0].data["entry_id"] == region.entry_id
    assert fired[0].data["key"] == KALL_KEY
    await shows(
        hass,
        KALL_KEY,
        {
            "status": "start_failed",
            "fuel_autonomy": "61.3",
            "warm_room_temperature": "19.5",
            "on_backup_power": "off",
            "online": "on",
            "heard": "yes",
        },
    )

    assert await hass.config_entries.async_reload(region.entry_id)
    await hass.async_block_till_done()
    await subscribed(region)
    stored = hass_storage[f"sot_point.{region.entry_id}.region_events"]["data"]
    assert [event["id"] for event in stored["events"]] == [first["id"]]
    # The site's last status was not retained: the region kept it.
    assert shown(hass, KALL_KEY)["status"] == "start_failed"

    await kall.send("event", first)
    second = await kall.event("outage_started", record_id="01JD8XK4W6Q3M5T1V7B9N2C4E7")
    await until(lambda: len(fired) == 2, "the new event is fired")
    await until(lambda: hub_of(region).events.repeats == 1, "the repeat is seen")
    assert [event.data["id"] for event in fired] == [first["id"], second["id"]]
    assert [event["id"] for event in hub_of(region).events] == [
        first["id"],
        second["id"],
    ]


# -- bad input --------------------------------------------------------------------


async def test_bad_input_is_refused_with_reasons_and_never_shown(
    hass: HomeAssistant,
    region: MockConfigEntry,
    kall: SitePublisher,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Too large, wrong schema, not JSON, wrong place, clock far off: counted."""
    await kall.online()
    await kall.status(**ON_BACKUP)
    await shows(hass, KALL_KEY, KALL_ON_BACKUP)
    now = dt_util.utcnow()
    worse: dict[str, Any] = {**ON_BACKUP, "autonomy_h": 2.0}
    ahead = now + timedelta(hours=2)
    bad: list[tuple[str, Any]] = [
        ("status", status_message(sent=now, **worse, padding="x" * MAX_PAYLOAD_BYTES)),
        ("status", status_message(sent=now, **worse, schema=99)),
        ("status", b"{this is not json"),
        ("status", status_message(sent=now, **worse, site_id="borgvattnet")),
        ("status", status_message(sent=ahead, **worse)),
        ("event", b"[]"),
        ("availability", "maybe"),
    ]
    for leaf, payload in bad:
        await kall.send(leaf, payload)
    hub = hub_of(region)
    await until(
        lambda: KALL_KEY in hub.refusals and hub.refusals[KALL_KEY].total == len(bad),
        "every bad message is counted",
    )
    assert shown(hass, KALL_KEY) == KALL_ON_BACKUP
    warnings = [r for r in caplog.records if "refused a message" in r.getMessage()]
    assert len(warnings) == 1

    diagnostics: dict[str, Any] = dict(
        await get_diagnostics_for_config_entry(hass, hass_client, region)
    )
    assert diagnostics["kind"] == "region"
    refused = diagnostics["refused"][KALL_KEY]
    assert refused["total"] == len(bad)
    assert refused["by_reason"] == {
        "bad_availability": 1,
        "clock_ahead": 1,
        "not_an_object": 1,
        "not_json": 1,
        "too_large": 1,
        "topic_mismatch": 1,
        "wrong_schema": 1,
    }
    assert refused["last"]["reason"] == "bad_availability"
    assert refused["last"]["detail"] == "sot/23/2321/kall/availability: 'maybe'"
    site = diagnostics["sites"][KALL_KEY]
    assert site["rank"] == "backup_power"


# -- the regional page's subscription ----------------------------------------------


async def test_the_region_object_is_worst_first(
    hass: HomeAssistant,
    region: MockConfigEntry,
    kall: SitePublisher,
    borgvattnet: SitePublisher,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """`sot_point/subscribe_region`: at once, then on change, worst first."""
    await kall.online()
    await kall.status(**ON_BACKUP)
    await shows(hass, KALL_KEY, KALL_ON_BACKUP)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "sot_point/subscribe_region"})
    result = await client.receive_json()
    assert result["success"], result
    first = (await client.receive_json())["event"]
    assert first["region"] == REGION_NAME
    assert first["county"] == COUNTY
    assert [site["key"] for site in first["sites"]] == [KALL_KEY]

    await borgvattnet.online()
    await borgvattnet.status(
        site=BORGVATTNET, mode="outage_no_backup", mains_available=False
    )
    while True:
        overview = (await client.receive_json())["event"]
        keys = [site["key"] for site in overview["sites"]]
        if len(keys) == 2 and overview["sites"][0]["rank"] == "outage_no_backup":
            break
    assert keys == [BORGVATTNET_KEY, KALL_KEY]
    assert overview["counts"]["outage_no_backup"] == 1
    assert overview["counts"]["backup_power"] == 1
    assert overview["sites"][1]["name"] == KALL
    assert overview["sites"][1]["latitude"] == 63.253

    # A site's entry id is no region.
    await client.send_json_auto_id(
        {"type": "sot_point/subscribe_region", "entry_id": "nope"}
    )
    while (answer := await client.receive_json()).get("type") != "result":
        pass
    assert not answer["success"]
    assert answer["error"]["code"] == "not_found"
