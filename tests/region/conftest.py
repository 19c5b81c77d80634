"""A region against a real Mosquitto, with sites publishing what the uplink does.

The broker, its logins and its ACL are tests/mqtt/'s (each site writes only
its own topics, the county only reads). Home Assistant's real MQTT
integration logs in as the county (`region-23`, read-only) and the region
entry reads through it. Each site is an independent paho client logged in as
that site, publishing payloads made by rules/uplink.py, as a site's uplink
makes them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Final

from homeassistant.components import mqtt
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import DOMAIN
from custom_components.sot_point.rules.region import (
    CONF_KIND,
    CONF_REGION_COUNTY,
    CONF_REGION_NAME,
    DEFAULT_REGION_OPTIONS,
    KIND_REGION,
)
from custom_components.sot_point.rules.status import build_status
from custom_components.sot_point.rules.uplink import (
    PUBLIC_EVENTS,
    UplinkSettings,
    encode,
    event_payload,
    status_payload,
)

from ..mqtt import conftest as mqtt_tests
from ..mqtt.conftest import (
    OTHER_SITE_USER,
    REGION_USER,
    SITE_USER,
    USERS,
    Broker,
    Reader,
    until,
)

COUNTY: Final = "23"
REGION_NAME: Final = "Länsstyrelsen Jämtland"
KALL: Final = "SOT-punkt Kall"
BORGVATTNET: Final = "SOT-punkt Borgvattnet"
KALL_UPLINK: Final = UplinkSettings(COUNTY, "2321", "kall")
BORGVATTNET_UPLINK: Final = UplinkSettings(COUNTY, "2303", "borgvattnet")
NOW: Final = datetime.fromisoformat("2026-11-24T13:32:05+00:00")
RECORD_ID: Final = "01JD8XK4W6Q3M5T1V7B9N2C4E6"
# The kinds the uplink sends, by the journal event each comes from.
_EVENT_TYPES: Final = {kind: event for event, (kind, _keys) in PUBLIC_EVENTS.items()}
_UPLINK_KEYS: Final = ("county", "municipality", "site_id", "heartbeat_s")

# tests/mqtt/'s fixtures, shared: the broker with its logins and ACL, and
# Home Assistant's MQTT client reconnecting quickly.
broker = mqtt_tests.broker
fast_reconnect = mqtt_tests.fast_reconnect


def status_message(
    *,
    sent: datetime = NOW,
    site: str | None = KALL,
    place: UplinkSettings = KALL_UPLINK,
    **changes: Any,
) -> dict[str, Any]:
    """A site's status as its uplink publishes it, with `changes` made.

    `autonomy_h` and `warm_room_c` go into the status's parts, the uplink's
    own keys (`site_id`, `heartbeat_s`...) into `uplink`; the rest replace
    top-level keys (`uplink=None` removes the part).
    """
    status = build_status(site or "", None, [], reachable=True) | {
        "site": site,
        "mode": "normal",
        "mains_available": True,
        "generator_running": False,
        "on_backup_power": False,
    }
    status["fuel"]["autonomy_h"] = changes.pop("autonomy_h", 61.3)
    status["warm_room"]["temperature_c"] = changes.pop("warm_room_c", 19.5)
    message = status_payload(
        status, place, sent=sent, dropped_events=0, location=(63.2534, 13.0612)
    )
    for key in _UPLINK_KEYS:
        if key in changes:
            message["uplink"][key] = changes.pop(key)
    return message | changes


def event_message(
    kind: str,
    *,
    at: datetime = NOW,
    record_id: str = RECORD_ID,
    place: UplinkSettings = KALL_UPLINK,
    site: str = KALL,
    **changes: Any,
) -> dict[str, Any]:
    """A site's event as its uplink publishes it, with `changes` made."""
    data = {
        "record_id": record_id,
        "at": at,
        "site": site,
        "reason": "fail_to_start",
        "started": at,
    }
    message = event_payload(_EVENT_TYPES[kind], data, place)
    assert message is not None
    return message | changes


class SitePublisher(Reader):
    """A site's own MQTT client: publishes on its topics as its uplink does."""

    def __init__(self, broker: Broker, user: str, uplink: UplinkSettings) -> None:
        """A client logging in as the site `user`."""
        super().__init__(broker, user, f"publisher-{user}")
        self.uplink = uplink

    async def send(
        self,
        leaf: str,
        payload: dict[str, Any] | str | bytes,
        *,
        retain: bool = False,
        base: str | None = None,
    ) -> None:
        """Publish on the site's `leaf` topic at QoS 1; the broker must take it."""
        if isinstance(payload, dict):
            payload = encode(payload)
        topic = f"{base or self.uplink.base}/{leaf}"
        future = self._loop.create_future()
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        self._acks[info.mid] = future
        # 16: taken, but nobody subscribes (a retained message waits).
        assert await future in {0, 16}, f"the broker refused {topic}"

    async def status(self, **changes: Any) -> dict[str, Any]:
        """Publish a status (retained, as the uplink does); return it."""
        changes.setdefault("sent", dt_util.utcnow())
        message = status_message(place=self.uplink, **changes)
        await self.send("status", message, retain=True)
        return message

    async def online(self, available: bool = True) -> None:
        """Publish the site's availability, retained."""
        await self.send(
            "availability", "online" if available else "offline", retain=True
        )

    async def event(self, kind: str, **changes: Any) -> dict[str, Any]:
        """Publish an event; return it."""
        changes.setdefault("at", dt_util.utcnow())
        message = event_message(kind, place=self.uplink, **changes)
        await self.send("event", message)
        return message


@pytest.fixture
async def kall(broker: Broker) -> AsyncIterator[SitePublisher]:
    """Kall in Åre, publishing as its own login."""
    publisher = SitePublisher(broker, SITE_USER, KALL_UPLINK)
    await publisher.connect()
    yield publisher
    publisher.close()


@pytest.fixture
async def borgvattnet(broker: Broker) -> AsyncIterator[SitePublisher]:
    """Borgvattnet in Ragunda, publishing as its own login."""
    publisher = SitePublisher(broker, OTHER_SITE_USER, BORGVATTNET_UPLINK)
    await publisher.connect()
    yield publisher
    publisher.close()


async def set_up_region_mqtt(hass: HomeAssistant, broker: Broker) -> MockConfigEntry:
    """Home Assistant's MQTT integration, logged in as the county (read-only).

    No birth or will message and no discovery: the county writes nothing.
    """
    entry = MockConfigEntry(
        domain=mqtt.DOMAIN,
        data={
            "broker": "127.0.0.1",
            "port": broker.port,
            "username": REGION_USER,
            "password": USERS[REGION_USER],
            "protocol": "5",
        },
        options={"discovery": False, "birth_message": {}, "will_message": {}},
        version=mqtt.CONFIG_ENTRY_VERSION,
        minor_version=mqtt.CONFIG_ENTRY_MINOR_VERSION,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await until(lambda: mqtt.is_connected(hass), "Home Assistant reaches the broker")
    return entry


@pytest.fixture
async def region_mqtt(
    hass: HomeAssistant,
    broker: Broker,
    fast_reconnect: None,
    mock_hass_config: None,
) -> AsyncIterator[MockConfigEntry]:
    """Home Assistant's MQTT integration, connected to the broker as the county."""
    entry = await set_up_region_mqtt(hass, broker)
    yield entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def subscribed(entry: MockConfigEntry) -> None:
    """Wait until the broker has acknowledged the region's subscriptions."""
    hub = entry.runtime_data
    await until(
        lambda: bool(hub.topics) and hub.subscribed == set(hub.topics),
        "the broker acknowledges the region's subscriptions",
    )


def region_entry(**options: Any) -> MockConfigEntry:
    """A region entry for county 23, as the config flow makes it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=REGION_NAME,
        data={
            CONF_KIND: KIND_REGION,
            CONF_REGION_NAME: REGION_NAME,
            CONF_REGION_COUNTY: COUNTY,
        },
        options={**DEFAULT_REGION_OPTIONS, **options},
        unique_id=f"region-{COUNTY}",
        version=1,
        minor_version=3,
    )


@pytest.fixture
async def region(
    hass: HomeAssistant, region_mqtt: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """The region of county 23, set up and subscribed."""
    entry = region_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await subscribed(entry)
    yield entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def entity_id(platform: str, key: str, name: str) -> str:
    """A region entity's id: sensor.sot_23_2321_kall_status."""
    municipality, site_id = key.split("/")
    return f"{platform}.sot_{COUNTY}_{municipality}_{site_id}_{name}"


def site_states(hass: HomeAssistant, key: str) -> dict[str, str]:
    """The six entities of one site, by name: their states."""
    names = {
        "sensor": ("status", "fuel_autonomy", "warm_room_temperature", "last_heard"),
        "binary_sensor": ("on_backup_power", "online"),
    }
    states: dict[str, str] = {}
    for platform, keys in names.items():
        for name in keys:
            state = hass.states.get(entity_id(platform, key, name))
            states[name] = state.state if state is not None else "missing"
    return states


def shown(hass: HomeAssistant, key: str) -> dict[str, str]:
    """A site's states without `last_heard` (a moment), unavailable as such."""
    states = site_states(hass, key)
    heard = states.pop("last_heard")
    states["heard"] = "no" if heard in ("unknown", STATE_UNAVAILABLE) else "yes"
    return states
