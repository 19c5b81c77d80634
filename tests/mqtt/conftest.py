"""A real Mosquitto, Home Assistant's real MQTT integration, and a county reader.

Each test that asks for `broker` gets Debian's mosquitto on a free loopback
port, with a password file and an ACL written here: each site may write only
its own topics, the county may only read. Home Assistant's MQTT integration
logs in as the site `kall`; an independent paho client logs in as the county
and records what arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import shutil
import socket
from typing import Any
from unittest.mock import patch

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.rules.uplink import (
    CONF_COUNTY,
    CONF_ENABLED,
    CONF_HEARTBEAT,
    CONF_MUNICIPALITY,
    CONF_SITE_ID,
    CONF_UPLINK,
)
from simulator.server import SimulatedSite

from ..conftest import site_entry

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
pytestmark = pytest.mark.skipif(
    not Path(MOSQUITTO).exists(), reason="mosquitto is not installed (scripts/setup)"
)

# The site under test: Kall, in Åre (2321), Jämtland (23).
COUNTY = "23"
MUNICIPALITY = "2321"
SITE_ID = "kall"
BASE = f"sot/{COUNTY}/{MUNICIPALITY}/{SITE_ID}"
STATUS_TOPIC = f"{BASE}/status"
EVENT_TOPIC = f"{BASE}/event"
AVAILABILITY_TOPIC = f"{BASE}/availability"
# Another site of the same county, whose topics Kall must not write.
OTHER_BASE = f"sot/{COUNTY}/2303/borgvattnet"

# Logins: user -> password. One per site, one for the county.
SITE_USER = f"site-{COUNTY}-{MUNICIPALITY}-{SITE_ID}"
OTHER_SITE_USER = f"site-{COUNTY}-2303-borgvattnet"
REGION_USER = f"region-{COUNTY}"
USERS = {
    SITE_USER: "kall-secret",
    OTHER_SITE_USER: "borgvattnet-secret",
    REGION_USER: "county-secret",
}
# The ACL as docs/mqtt.md has it.
ACL = f"""\
# Each site writes its own topics, and nothing else.
user {SITE_USER}
topic write {BASE}/#

user {OTHER_SITE_USER}
topic write {OTHER_BASE}/#

# The county reads every site of the county, and writes nothing.
user {REGION_USER}
topic read sot/{COUNTY}/#
"""
# Waits for things that happen at once on loopback; only a hang reaches it.
PATIENCE_S = 60.0


def uplink_options(**changes: Any) -> dict[str, Any]:
    """Site options with the uplink on, as the options flow stores them."""
    return {
        CONF_UPLINK: {
            CONF_ENABLED: True,
            CONF_COUNTY: COUNTY,
            CONF_MUNICIPALITY: MUNICIPALITY,
            CONF_SITE_ID: SITE_ID,
            CONF_HEARTBEAT: 5,
        }
        | changes
    }


def uplink_site(sim: SimulatedSite, **options: Any) -> MockConfigEntry:
    """The simulator's site with the uplink on (`options` added to the site's)."""
    return site_entry(sim, options=uplink_options() | options)


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait until `condition` holds; fail, saying `what`, only if it never does.

    Polled: the conditions are other programs' doings (the broker's, Home
    Assistant's MQTT client's), with no event to wait on.
    """
    try:
        async with asyncio.timeout(PATIENCE_S):
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    except TimeoutError:
        pytest.fail(f"never happened: {what}")


def free_port() -> int:
    """A TCP port on loopback that nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class Broker:
    """Mosquitto on loopback with the test's logins and ACL; stops and starts.

    Persistence is on, as a county's broker has it: a reader's session and
    its undelivered messages outlive a restart.
    """

    directory: Path
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None

    def write_config(self) -> None:
        """The password file, the ACL and mosquitto.conf."""
        passwords = self.directory / "passwd"
        for user, password in USERS.items():
            create = [] if passwords.exists() else ["-c"]
            _run(MOSQUITTO_PASSWD, *create, "-b", str(passwords), user, password)
        (self.directory / "acl").write_text(ACL)
        (self.directory / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous false\n"
            f"password_file {passwords}\n"
            f"acl_file {self.directory / 'acl'}\n"
            "persistence true\n"
            f"persistence_location {self.directory}/\n"
            f"log_dest file {self.directory / 'mosquitto.log'}\n"
            "log_type all\n" + ("user root\n" if os.geteuid() == 0 else "")
            # Run as root (the test root), it would switch to the user
            # `mosquitto`, who cannot read the test's files.
        )

    async def start(self) -> None:
        """Start mosquitto and wait until it takes connections."""
        assert self.process is None
        self.process = await asyncio.create_subprocess_exec(
            MOSQUITTO, "-c", str(self.directory / "mosquitto.conf")
        )
        async with asyncio.timeout(PATIENCE_S):
            while True:
                assert self.process.returncode is None, self.log()
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                except OSError:
                    await asyncio.sleep(0.02)
                    continue
                writer.close()
                await writer.wait_closed()
                return

    async def stop(self) -> None:
        """Stop mosquitto (it saves its sessions and queued messages)."""
        if self.process is None:
            return
        if self.process.returncode is None:
            self.process.terminate()
        await self.process.wait()
        self.process = None

    def log(self) -> str:
        """What mosquitto wrote, for failure messages."""
        path = self.directory / "mosquitto.log"
        return path.read_text() if path.exists() else ""


def _run(*command: str) -> None:
    import subprocess  # noqa: PLC0415

    subprocess.run(command, check=True, capture_output=True)


@pytest.fixture
async def broker(socket_enabled: None, tmp_path: Path) -> AsyncIterator[Broker]:
    """A running Mosquitto with the logins and the ACL above."""
    running = Broker(tmp_path)
    running.write_config()
    await running.start()
    yield running
    await running.stop()


@dataclass
class Received:
    """One message as the reader got it."""

    topic: str
    payload: bytes
    retain: bool

    def json(self) -> Any:
        """The payload as JSON."""
        return json.loads(self.payload)

    @property
    def text(self) -> str:
        """The payload as text."""
        return self.payload.decode()


class Reader:
    """An independent MQTT client (paho, MQTT 5) that records what arrives.

    It keeps a persistent session, as a county's reader should: what is
    published while it is away (a broker restart) reaches it when it is back.
    """

    def __init__(self, broker: Broker, user: str, client_id: str) -> None:
        """Prepare a client logging in as `user`."""
        self.broker = broker
        self.messages: list[Received] = []
        self.denied: list[int] = []
        self._loop = asyncio.get_running_loop()
        self._arrived = asyncio.Event()
        self._subscribed: asyncio.Future[None] = self._loop.create_future()
        self._acks: dict[int, asyncio.Future[int]] = {}
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5
        )
        self.client.username_pw_set(user, USERS[user])
        self.client.reconnect_delay_set(min_delay=1, max_delay=1)
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_publish = self._on_publish

    async def connect(self, *topics: str) -> None:
        """Connect and subscribe to `topics` at QoS 1."""
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = 3600
        self.client.connect(
            "127.0.0.1", self.broker.port, clean_start=False, properties=properties
        )
        self.client.loop_start()
        if topics:
            self.client.subscribe([(topic, 1) for topic in topics])
            async with asyncio.timeout(PATIENCE_S):
                await self._subscribed

    def close(self) -> None:
        """Disconnect and stop the client's thread."""
        self.client.disconnect()
        self.client.loop_stop()

    async def publish(self, topic: str, payload: str) -> int:
        """Publish at QoS 1; the broker's reason code (0: accepted)."""
        future: asyncio.Future[int] = self._loop.create_future()
        info = self.client.publish(topic, payload, qos=1)
        self._acks[info.mid] = future
        async with asyncio.timeout(PATIENCE_S):
            return await future

    async def next_on(self, topic: str, after: int = 0) -> Received:
        """The first message on `topic` from position `after` on, waiting for it."""
        async with asyncio.timeout(PATIENCE_S):
            while True:
                for message in self.messages[after:]:
                    if message.topic == topic:
                        return message
                self._arrived.clear()
                await self._arrived.wait()

    async def wait_for(self, condition: Callable[[list[Received]], bool]) -> None:
        """Wait until what arrived fulfils `condition`."""
        async with asyncio.timeout(PATIENCE_S):
            while not condition(self.messages):
                self._arrived.clear()
                await self._arrived.wait()

    def on(self, topic: str) -> list[Received]:
        """What arrived on `topic`, in order."""
        return [message for message in self.messages if message.topic == topic]

    # paho's callbacks run in its thread; they hand over to the event loop.

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        received = Received(message.topic, bytes(message.payload), bool(message.retain))
        self._loop.call_soon_threadsafe(self._add, received)

    def _add(self, received: Received) -> None:
        self.messages.append(received)
        self._arrived.set()

    def _on_subscribe(self, *_args: Any) -> None:
        self._loop.call_soon_threadsafe(_resolve, self._subscribed, None)

    def _on_publish(
        self, _client: Any, _userdata: Any, mid: int, reason: Any, _props: Any
    ) -> None:
        self._loop.call_soon_threadsafe(self._acked, mid, int(reason.value))

    def _acked(self, mid: int, reason: int) -> None:
        if (future := self._acks.pop(mid, None)) is not None:
            _resolve(future, reason)


def _resolve[T](future: asyncio.Future[T], value: T) -> None:
    if not future.done():
        future.set_result(value)


@pytest.fixture
async def county(broker: Broker) -> AsyncIterator[Reader]:
    """The county's reader, subscribed to every site of the county."""
    reader = Reader(broker, REGION_USER, "county-reader")
    await reader.connect(f"sot/{COUNTY}/#")
    yield reader
    reader.close()


@pytest.fixture
def fast_reconnect() -> Iterator[None]:
    """Home Assistant's MQTT client retrying every 0.2 s instead of every 10 s."""
    with patch("homeassistant.components.mqtt.client.RECONNECT_INTERVAL_SECONDS", 0.2):
        yield


async def set_up_mqtt(hass: HomeAssistant, broker: Broker) -> MockConfigEntry:
    """Home Assistant's own MQTT integration, logged in as the site.

    Its will message is the site's availability topic, as docs/mqtt.md
    advises; its birth message is off (the uplink says `online` itself).
    """
    entry = MockConfigEntry(
        domain=mqtt.DOMAIN,
        data={
            "broker": "127.0.0.1",
            "port": broker.port,
            "username": SITE_USER,
            "password": USERS[SITE_USER],
            "protocol": "5",
        },
        options={
            "discovery": False,
            "birth_message": {},
            "will_message": {
                "topic": AVAILABILITY_TOPIC,
                "payload": "offline",
                "qos": 1,
                "retain": True,
            },
        },
        version=mqtt.CONFIG_ENTRY_VERSION,
        minor_version=mqtt.CONFIG_ENTRY_MINOR_VERSION,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await until(lambda: mqtt.is_connected(hass), "Home Assistant reaches the broker")
    return entry


@pytest.fixture
async def ha_mqtt(
    hass: HomeAssistant,
    broker: Broker,
    fast_reconnect: None,
    mock_hass_config: None,
) -> AsyncIterator[MockConfigEntry]:
    """Home Assistant's MQTT integration, connected to the broker as the site."""
    entry = await set_up_mqtt(hass, broker)
    yield entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
