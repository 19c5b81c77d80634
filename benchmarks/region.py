"""The county's view under a county's load: 1,000 sites into one Home Assistant.

Debian's Mosquitto on loopback; a real `hass` process, onboarded and set up
through its API (the MQTT integration by its config flow, a SOT Point entry
as the region); the info-point add-on in region mode; and N light simulated
sites (simulator/region_publishers.py, one MQTT connection each, with its
will), each publishing its status every 30 s and events as its scenario
moves on. Measured over a window once every site's entities exist:

- messages per second published, and the share whose state Home Assistant
  showed;
- latency from publish to the regional entity's state change (the warm room
  temperature carries each message's sequence number in its hundredths;
  Home Assistant's websocket `state_changed`), p50 and p99;
- latency from publish to the regional page's content: the add-on's
  `/status.json`, the object its page is rendered from, read every 0.25 s
  (so these figures are up to 0.25 s late);
- Home Assistant's CPU time per message (its process's utime + stime over
  the window) and its memory (resident, and the peak);
- the time from a site's connection dropping to its `online` entity going
  off: closed (the broker sees the socket close and publishes the will at
  once) and gone silent without a word (the broker waits 1.5 keep-alives;
  the region's own allowance is 3 heartbeats).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
import json
import os
from pathlib import Path
import shutil
import statistics
import sys
import time
from typing import Any, Final

import aiohttp

from demo.ha import (
    DemoUser,
    HomeAssistantApi,
    start_home_assistant,
    wait_for_onboarding,
    write_config,
)
from demo.processes import Children, wait_for_port
from demo.region import set_up_mqtt, set_up_region, start_broker, start_region_page
from simulator.region_publishers import (
    Publisher,
    Site,
    make_sites,
    phase_at,
    run_sites,
    start_publishers,
)

from .simulator_process import free_port

INTERVAL_S: Final = 30
KEEPALIVE_S: Final = 30
TARGET_P99_S: Final = 2.0
TARGET_OFFLINE_S: Final = 90.0
TARGET_RSS_MB: Final = 500.0
PAGE_POLL_S: Final = 0.25
DROPPED_SITES: Final = 3


class Measure:
    """What was published when, and when Home Assistant and the page showed it."""

    def __init__(self) -> None:
        """Nothing yet."""
        self.window = False
        self.watched: set[str] = set()
        self.published = 0
        self.statuses = 0
        self.events = 0
        self.entity_pending: dict[tuple[str, float], float] = {}
        self.page_pending: dict[tuple[str, float], float] = {}
        self.entity_latency: list[float] = []
        self.page_latency: list[float] = []

    def on_publish(self, site: Site, leaf: str, payload: dict[str, Any]) -> None:
        """A publisher is about to send `payload`."""
        if not self.window:
            return
        self.published += 1
        if leaf != "status":
            self.events += 1
            return
        if site.key not in self.watched:
            return  # began to speak after the entities were listed
        self.statuses += 1
        value = round(float(payload["warm_room"]["temperature_c"]), 2)
        now = time.monotonic()
        self.entity_pending[(site.key, value)] = now
        self.page_pending[(site.key, value)] = now


@dataclass(frozen=True, slots=True)
class Load:
    """How many sites, how often they speak, and how long it is measured."""

    sites: int = 1000
    seconds: float = 120.0
    interval_s: int = INTERVAL_S
    keepalive_s: int = KEEPALIVE_S
    python: str = sys.executable
    # The storm's clock: scenario minutes per real minute (1: real time).
    speed: float = 1.0

    def first_minute(self, index: int) -> float:
        """The scenario's minute of site `index`'s first status."""
        slot_s = self.interval_s / max(1, self.sites)
        return index * slot_s * self.speed / 60


def run(
    out: Path,
    sites: int = 1000,
    seconds: float = 120.0,
    *,
    interval_s: int = INTERVAL_S,
    keepalive_s: int = KEEPALIVE_S,
    python: str = sys.executable,
) -> Iterator[str]:
    """Run the bench; yield its lines.

    `interval_s` and `keepalive_s` are the county's figures (30 s); a smoke
    test shortens them to run in a minute. `python` runs Home Assistant
    (demo.ha.home_assistant_python: the tested release's or the newest's).
    """
    directory = out / "region"
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    load = Load(sites, seconds, interval_s, keepalive_s, python)
    yield from asyncio.run(_bench(directory, load))


@dataclass(frozen=True, slots=True)
class Rig:
    """The running region: its Home Assistant and its page."""

    session: aiohttp.ClientSession
    api: HomeAssistantApi
    base: str
    page_port: int
    pid: int


async def _bench(directory: Path, load: Load) -> list[str]:
    children = Children(directory)
    try:
        return await _measure(directory, children, load)
    finally:
        children.stop_all()


async def _measure(directory: Path, children: Children, load: Load) -> list[str]:
    ha_port, mqtt_port, page_port = free_port(), free_port(), free_port()
    start_broker(children, directory / "mosquitto", mqtt_port)
    await wait_for_port(mqtt_port, 30, children.children[-1].process)
    config_dir = directory / "config"
    write_config(config_dir, ha_port)
    hass = start_home_assistant(children, config_dir, load.python)
    await wait_for_onboarding(hass, ha_port)
    base = f"http://127.0.0.1:{ha_port}"
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, base)
        await api.onboard(DemoUser())
        await api.confirm_http_config(config_dir)
        # Offline, as a crisis room's may be: no weather from the internet.
        await api.remove_online_integrations()
        await set_up_mqtt(api, mqtt_port)
        region_id = await set_up_region(api)
        (token,) = await api.websocket(
            [
                {
                    "type": "auth/long_lived_access_token",
                    "client_name": "bench",
                    "lifespan": 1,
                }
            ]
        )
        await start_region_page(
            children,
            ha_url=base,
            token=str(token),
            region_entry_id=region_id,
            state_dir=directory,
            port=page_port,
            ingress_port=free_port(),
        )
        measure = Measure()
        publishers = await start_publishers(
            make_sites(load.sites),
            "127.0.0.1",
            mqtt_port,
            load.interval_s,
            keepalive_s=load.keepalive_s,
            on_publish=measure.on_publish,
        )
        stop = asyncio.Event()
        # The storm at real speed: sites move between normal, backup power,
        # failed starts and silence, and send their events as they do.
        sender = asyncio.create_task(
            run_sites(publishers, minutes_per_second=load.speed / 60, stop=stop)
        )
        try:
            rig = Rig(session, api, base, page_port, hass.pid)
            return await _observe(rig, measure, publishers, load)
        finally:
            stop.set()
            sender.cancel()
            with suppress(asyncio.CancelledError):
                await sender


async def _observe(
    rig: Rig, measure: Measure, publishers: list[Publisher], load: Load
) -> list[str]:
    session, api, base, page_port, pid = (
        rig.session,
        rig.api,
        rig.base,
        rig.page_port,
        rig.pid,
    )
    count = len(publishers)
    # A site is shown from its first status; one silent in the scenario
    # then sends it later.
    speaking = sum(
        phase_at(p.site, load.first_minute(index)) != "silent"
        for index, p in enumerate(publishers)
    )
    started = time.monotonic()
    entities = await _wait_for_entities(api, speaking)
    ready_s = time.monotonic() - started
    online = {
        entity: key for entity, (key, kind) in entities.items() if kind == "online"
    }
    warm = {
        entity: key
        for entity, (key, kind) in entities.items()
        if kind == "warm_room_temperature"
    }
    measure.watched = set(warm.values())
    offline_seen: dict[str, float] = {}
    async with session.ws_connect(base + "/api/websocket", max_msg_size=0) as ws:
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": api.token})
        await ws.receive_json()
        await ws.send_json(
            {"id": 1, "type": "subscribe_events", "event_type": "state_changed"}
        )
        listener = asyncio.create_task(_listen(ws, measure, warm, online, offline_seen))
        poller = asyncio.create_task(_poll_page(session, page_port, measure))
        cpu0, wall0 = _cpu_s(pid), time.monotonic()
        measure.window = True
        await asyncio.sleep(load.seconds)
        measure.window = False
        cpu1, wall1 = _cpu_s(pid), time.monotonic()
        published = measure.published
        await asyncio.sleep(3)  # the last messages of the window arrive
        poller.cancel()
        closed, silent = await _drop_sites(publishers, offline_seen, load)
        listener.cancel()
    rss, peak = _memory_mb(pid)
    shown = len(measure.entity_latency)
    return _lines(
        events=measure.events,
        load=load,
        version=await _version(api),
        count=count,
        speaking=speaking,
        dark=sum(p.site.goes_dark for p in publishers),
        ready_s=ready_s,
        window_s=wall1 - wall0,
        published=published,
        statuses=measure.statuses,
        shown=shown,
        entity=measure.entity_latency,
        page=measure.page_latency,
        cpu_ms=(cpu1 - cpu0) * 1000,
        rss=rss,
        peak=peak,
        closed=closed,
        silent=silent,
    )


async def _wait_for_entities(
    api: HomeAssistantApi, count: int, timeout_s: float = 600
) -> dict[str, tuple[str, str]]:
    """Entity id -> (site key, entity kind), once every site has its entities."""
    deadline = time.monotonic() + timeout_s
    while True:
        (listing,) = await api.websocket([{"type": "config/entity_registry/list"}])
        found: dict[str, tuple[str, str]] = {}
        for entity in listing:
            if entity.get("platform") != "sot_point":
                continue
            parts = str(entity.get("unique_id", "")).split(":")
            if len(parts) == 3 and "/" in parts[1]:
                found[entity["entity_id"]] = (parts[1], parts[2])
        sites = {key for key, kind in found.values() if kind == "online"}
        if len(sites) >= count:
            return found
        if time.monotonic() > deadline:
            msg = f"only {len(sites)} of {count} sites got entities"
            raise RuntimeError(msg)
        await asyncio.sleep(2)


async def _listen(
    ws: aiohttp.ClientWebSocketResponse,
    measure: Measure,
    warm: dict[str, str],
    online: dict[str, str],
    offline_seen: dict[str, float],
) -> None:
    async for message in ws:
        now = time.monotonic()
        data = json.loads(message.data)
        event = data.get("event") or {}
        new = (event.get("data") or {}).get("new_state") or {}
        entity_id = new.get("entity_id")
        if entity_id in warm:
            with suppress(ValueError):
                value = round(float(new["state"]), 2)
                sent = measure.entity_pending.pop((warm[entity_id], value), None)
                if sent is not None:
                    measure.entity_latency.append(now - sent)
        elif entity_id in online and new.get("state") == "off":
            offline_seen.setdefault(online[entity_id], now)


async def _poll_page(
    session: aiohttp.ClientSession, port: int, measure: Measure
) -> None:
    url = f"http://127.0.0.1:{port}/status.json"
    while True:
        with suppress(aiohttp.ClientError, ValueError, KeyError):
            async with session.get(url) as response:
                region = await response.json(content_type=None)
            now = time.monotonic()
            for site in region.get("sites", []):
                if site.get("warm_room_c") is None:
                    continue
                value = round(float(site["warm_room_c"]), 2)
                sent = measure.page_pending.pop((site["key"], value), None)
                if sent is not None:
                    measure.page_latency.append(now - sent)
        await asyncio.sleep(PAGE_POLL_S)


async def _drop_sites(
    publishers: list[Publisher], offline_seen: dict[str, float], load: Load
) -> tuple[list[float], list[float]]:
    """Close some sites' connections, and silence others; time `online` off.

    Among sites whose scenario never falls silent or dark on its own.
    """
    talking = [p for p in publishers if not (p.site.goes_silent or p.site.goes_dark)]
    closing = talking[-DROPPED_SITES:]
    silencing = talking[-2 * DROPPED_SITES : -DROPPED_SITES]
    dropped_at: dict[str, float] = {}
    for publisher in [*closing, *silencing]:
        offline_seen.pop(publisher.site.key, None)
    for publisher in closing:
        dropped_at[publisher.site.key] = time.monotonic()
        publisher.drop_connection()
    for publisher in silencing:
        dropped_at[publisher.site.key] = time.monotonic()
        publisher.go_silent()
    deadline = time.monotonic() + 3 * load.interval_s + load.keepalive_s * 2 + 30
    # Polled: the listener fills `offline_seen` as Home Assistant reports.
    while time.monotonic() < deadline and not all(  # noqa: ASYNC110
        key in offline_seen for key in dropped_at
    ):
        await asyncio.sleep(0.5)

    def times(group: list[Publisher]) -> list[float]:
        return [
            offline_seen[p.site.key] - dropped_at[p.site.key]
            for p in group
            if p.site.key in offline_seen
        ]

    return times(closing), times(silencing)


async def _version(api: HomeAssistantApi) -> str:
    (config,) = await api.websocket([{"type": "get_config"}])
    return str(config.get("version", "?"))


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _memory_mb(pid: int) -> tuple[float, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            values[name] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _lines(**f: Any) -> list[str]:
    entity, page = f["entity"], f["page"]
    window, published = f["window_s"], f["published"]
    closed, silent, load = f["closed"], f["silent"], f["load"]
    worst = max([*closed, *silent], default=float("nan"))
    return [
        f"Home Assistant {f['version']}, the region entry of county 23",
        f"sites: {f['count']} publishers (status every {load.interval_s} s, events on "
        f"scenario changes), one MQTT connection each, {f['speaking']} of them "
        f"speaking (the rest silent in the scenario), {f['dark']} of those gone "
        f"dark after their first status; every speaking site's entities after "
        f"{f['ready_s']:.0f} s",
        f"messages: {published} ({published - f['events']} statuses, "
        f"{f['events']} events) in {window:.0f} s = {published / window:.1f}/s "
        f"handled; {f['shown']} of {f['statuses']} statuses seen as a state change",
        f"publish -> regional entity state: p50 {_pct(entity, 0.5):.3f} s, "
        f"p99 {_pct(entity, 0.99):.3f} s, "
        f"max {max(entity, default=float('nan')):.3f} s "
        f"(n={len(entity)}; target p99 < {TARGET_P99_S:.0f} s)",
        f"publish -> regional page content (/status.json, read every "
        f"{PAGE_POLL_S} s): p50 {_pct(page, 0.5):.3f} s, p99 {_pct(page, 0.99):.3f} s "
        f"(n={len(page)}; target p99 < {TARGET_P99_S:.0f} s)",
        f"region Home Assistant CPU: "
        f"{f['cpu_ms'] / max(1, published):.2f} ms per message "
        f"({f['cpu_ms'] / 1000 / window * 100:.0f} % of one core)",
        f"region Home Assistant memory: {f['rss']:.0f} MB resident, peak "
        f"{f['peak']:.0f} MB (target < {TARGET_RSS_MB:.0f} MB)",
        f"connection closed -> online off: median "
        f"{statistics.median(closed) if closed else float('nan'):.1f} s over "
        f"{len(closed)} sites (the broker publishes the will at once)",
        f"connection silent -> online off: median "
        f"{statistics.median(silent) if silent else float('nan'):.1f} s over "
        f"{len(silent)} sites (keep-alive {load.keepalive_s} s: the will "
        f"{load.keepalive_s * 1.5:.0f} s after its last packet); worst {worst:.1f} s "
        f"(target < {TARGET_OFFLINE_S:.0f} s)",
    ]
