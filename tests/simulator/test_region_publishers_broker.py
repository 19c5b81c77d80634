"""The simulated sites against a real Mosquitto with a login per site and the ACL.

The county's reader (tests/mqtt) receives what a site's uplink sends: `online`
retained on connecting, the retained status with its location, events with
ids, and the will `offline` when a site's connection breaks or goes quiet.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
import signal
import sys

import pytest

from custom_components.sot_point.rules.region import (
    parse_topic,
    read_event,
    read_status,
)
from simulator.region_publishers import (
    Publisher,
    events_for,
    make_sites,
    run_sites,
    start_publishers,
)

from ..mqtt.conftest import COUNTY, REGION_USER, USERS, Broker, Reader, Received

# tests/mqtt's logins: site-23-2321-kall / kall-secret, and Borgvattnet's.
USER = "site-{county}-{municipality}-{site_id}"
PASSWORD = "{site_id}-secret"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def broker(socket_enabled: None, tmp_path: Path) -> AsyncIterator[Broker]:
    """Mosquitto with a login per site and the ACL of docs/mqtt.md."""
    running = Broker(tmp_path)
    running.write_config()
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def county(broker: Broker) -> AsyncIterator[Reader]:
    """The county's reader of sot/23/#."""
    reader = Reader(broker, REGION_USER, "county-reader")
    await reader.connect(f"sot/{COUNTY}/#")
    yield reader
    reader.close()


@pytest.fixture
async def sites(broker: Broker) -> AsyncIterator[list[Publisher]]:
    """Kall and Borgvattnet, each logged in as itself."""
    publishers = await start_publishers(
        make_sites(2),
        "127.0.0.1",
        broker.port,
        30,
        keepalive_s=2,
        user=USER,
        password=PASSWORD,
    )
    yield publishers
    for publisher in publishers:
        if publisher.client.is_connected():
            publisher.stop()


def test_logins_are_the_sites_own() -> None:
    """The patterns give each site the login docs/mqtt.md's ACL names."""
    kall, borgvattnet = make_sites(2)
    assert kall.login(USER) == "site-23-2321-kall"
    assert kall.login(PASSWORD) == "kall-secret"
    assert set(USERS) >= {kall.login(USER), borgvattnet.login(USER)}
    assert kall.login(None) is None


async def test_status_and_events_reach_the_county_as_the_uplinks_do(
    county: Reader, sites: list[Publisher]
) -> None:
    """Online, then a valid retained status with a location, then events."""
    kall = sites[0]
    availability = await county.next_on(kall.site.place.availability_topic)
    assert (availability.text, availability.retain) == ("online", False)

    now = datetime.now(UTC)
    kall.site.phase = "backup_power"
    kall.publish_events(events_for(kall.site, "normal", "backup_power", now))
    kall.publish_status(now)
    status = await county.next_on(kall.site.place.status_topic)
    checked = read_status(
        parse_topic(status.topic, COUNTY),
        status.payload,
        COUNTY,
        retained=status.retain,
        received=now,
    )
    assert checked["uplink"]["location"] == {"latitude": 63.475, "longitude": 13.24}
    assert checked["on_backup_power"] is True
    event = await county.next_on(kall.site.place.event_topic)
    read_event(parse_topic(event.topic, COUNTY), event.payload, COUNTY, received=now)
    assert event.json()["kind"] == "outage_started"
    assert event.json()["id"].endswith(":outage_started")


async def test_a_late_reader_gets_the_retained_status(
    broker: Broker, county: Reader, sites: list[Publisher]
) -> None:
    """Status and availability are retained: last value wins."""
    for publisher in sites:
        publisher.publish_status(datetime.now(UTC))
    # The broker has both once a reader already there has them.
    await county.wait_for(
        lambda got: len([m for m in got if m.topic.endswith("/status")]) == 2
    )
    late = Reader(broker, REGION_USER, "late-reader")
    await late.connect(f"sot/{COUNTY}/#")
    try:
        await late.wait_for(lambda got: len(_retained(got, "/status")) == 2)
        assert {m.json()["site"] for m in _retained(late.messages, "/status")} == {
            "SOT-punkt Kall",
            "SOT-punkt Borgvattnet",
        }
        assert {m.text for m in _retained(late.messages, "/availability")} == {"online"}
    finally:
        late.close()


async def test_running_sites_publish_a_storm(
    county: Reader, sites: list[Publisher]
) -> None:
    """The scenario, at speed, sends statuses and an outage's events, all valid."""
    stop = asyncio.Event()
    # A storm's hour in a few seconds: each site publishes every second.
    for publisher in sites:
        publisher.interval_s = 1
    runner = asyncio.create_task(run_sites(sites, minutes_per_second=10, stop=stop))
    try:
        await county.wait_for(
            lambda got: (
                {"outage_started", "outage_ended"}
                <= {m.json()["kind"] for m in got if m.topic.endswith("/event")}
            )
        )
    finally:
        stop.set()
        await runner
    now = datetime.now(UTC)
    ids = []
    for message in county.messages:
        topic = parse_topic(message.topic, COUNTY)
        if message.topic.endswith("/status"):
            read_status(topic, message.payload, COUNTY, retained=False, received=now)
        elif message.topic.endswith("/event"):
            ids.append(read_event(topic, message.payload, COUNTY, received=now)["id"])
    assert len(ids) == len(set(ids))


async def test_a_broken_connection_leaves_the_will(
    county: Reader, sites: list[Publisher]
) -> None:
    """Closed without DISCONNECT, or gone quiet: the broker says `offline`."""
    kall, borgvattnet = sites
    await county.next_on(borgvattnet.site.place.availability_topic)
    kall.drop_connection()
    borgvattnet.go_silent()
    await county.wait_for(
        lambda got: len(_sites_with(got, "/availability", "offline")) == 2
    )


async def test_a_site_gone_dark_says_nothing_more_and_the_broker_says_offline(
    broker: Broker, county: Reader
) -> None:
    """One status, then no pings: the broker gives up on it and sends its will."""
    site = replace(make_sites(1)[0], goes_dark=True)
    (kall,) = await start_publishers(
        [site], "127.0.0.1", broker.port, 1, keepalive_s=2, user=USER, password=PASSWORD
    )
    stop = asyncio.Event()
    runner = asyncio.create_task(run_sites([kall], minutes_per_second=0, stop=stop))
    try:
        await county.wait_for(
            lambda got: _sites_with(got, "/availability", "offline") != set()
        )
    finally:
        stop.set()
        await runner
    assert len(_sites_with(county.messages, "/status")) == 1
    assert len(county.on(site.place.status_topic)) == 1


async def test_another_sites_password_is_refused(broker: Broker) -> None:
    """A site with the wrong password does not get in."""
    with pytest.raises(ConnectionError, match="2321/kall"):
        await start_publishers(
            make_sites(1),
            "127.0.0.1",
            broker.port,
            30,
            user=USER,
            password="borgvattnet",
        )


def _retained(messages: list[Received], leaf: str) -> list[Received]:
    return [m for m in messages if m.retain and m.topic.endswith(leaf)]


async def test_the_command_line_logs_in_as_each_site_and_says_offline_on_ctrl_c(
    broker: Broker, county: Reader
) -> None:
    """`python -m simulator.region_publishers`: statuses, then `offline` on SIGINT."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator.region_publishers",
        *("--port", str(broker.port), "--county", COUNTY, "--sites", "2"),
        *("--interval", "1", "--user", USER, "--password", PASSWORD),
        cwd=REPO,
    )
    try:
        await county.wait_for(lambda got: len(_sites_with(got, "/status")) == 2)
    finally:
        process.send_signal(signal.SIGINT)
        assert await process.wait() == 0
    await county.wait_for(
        lambda got: len(_sites_with(got, "/availability", "offline")) == 2
    )


def _sites_with(
    messages: list[Received], leaf: str, text: str | None = None
) -> set[str]:
    return {
        m.topic.rsplit("/", 1)[0]
        for m in messages
        if m.topic.endswith(leaf) and (text is None or m.text == text)
    }
