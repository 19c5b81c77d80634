"""Many light simulated SOT points publishing to a county's MQTT broker.

Not many Home Assistants: one MQTT connection per site, each with its own
will (`offline` on its availability topic, retained), publishing what a
site's uplink publishes (docs/mqtt.md), built with the uplink's own payload
functions (rules/uplink.py):

- `availability` `online`, retained, on connecting;
- `status`, retained, QoS 1, every `interval` seconds;
- `event`, QoS 1, when a site's scenario moves on (an outage begins or ends,
  a start fails, a delivery of diesel, a test run).

Every site runs the same storm with its own offset, so that at any moment
some are normal, some on backup power, some failed to start, some run low on
diesel, and some have gone silent: one in twenty for a spell of each storm,
and one in twenty for good after its first status (its link lost without a
word: the broker gives up on it and publishes its will). The roles and
offsets go by the site's place in the list; the seed places the generated
sites on the map.

All connections are driven by one asyncio loop through paho's socket
callbacks (no thread per client), so a thousand sites are one light process:

    python -m simulator.region_publishers --port 1883 --sites 1000 --interval 30

Against a broker with a login per site (docs/mqtt.md), the logins are
patterns of the site's place:

    python -m simulator.region_publishers --port 8883 --sites 3 \
        --user 'site-{county}-{municipality}-{site_id}' --password '{site_id}-secret'
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import random
import signal
import socket
import time
from typing import Any, Final

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from custom_components.sot_point.const import (
    EVENT_FUEL_DELIVERY,
    EVENT_OUTAGE_ENDED,
    EVENT_OUTAGE_STARTED,
    EVENT_START_FAILED,
    EVENT_TEST_RUN_ENDED,
)
from custom_components.sot_point.rules.uplink import (
    AVAILABLE,
    NOT_AVAILABLE,
    UplinkSettings,
    encode,
    event_payload,
    status_payload,
)

COUNTY: Final = "23"
# Real SOT points of Jämtland first (name, municipality code, lat, lon).
VILLAGES: Final = (
    ("Kall", "2321", 63.475, 13.240),
    ("Borgvattnet", "2303", 63.433, 15.817),
    ("Lillhärdal", "2361", 61.850, 14.067),
    ("Valsjöbyn", "2313", 64.067, 14.133),
    ("Rötviken", "2313", 64.200, 14.750),
    ("Hallen", "2309", 63.183, 14.083),
    ("Hammerdal", "2313", 63.590, 15.350),
    ("Gäddede", "2313", 64.500, 14.150),
    ("Hede", "2361", 62.417, 13.500),
    ("Vemdalen", "2361", 62.450, 13.867),
    ("Ljungdalen", "2361", 62.850, 12.783),
    ("Storlien", "2321", 63.317, 12.100),
    ("Hackås", "2326", 62.917, 14.517),
    ("Myrviken", "2326", 62.983, 14.333),
    ("Hammarstrand", "2303", 63.100, 16.350),
    ("Bräcke by", "2305", 62.750, 15.417),
    ("Kälarne", "2305", 62.983, 16.083),
    ("Föllinge", "2309", 63.667, 14.617),
    ("Offerdal", "2309", 63.467, 14.033),
    ("Sveg", "2361", 62.033, 14.367),
    ("Funäsdalen", "2361", 62.533, 12.550),
    ("Tännäs", "2361", 62.450, 12.667),
    ("Ytterhogdal", "2361", 62.183, 14.950),
    ("Klövsjö", "2326", 62.533, 14.167),
    ("Åsarna", "2326", 62.650, 14.367),
    ("Backe", "2313", 64.067, 15.900),
)
MUNICIPALITIES: Final = ("2303", "2305", "2309", "2313", "2321", "2326", "2361", "2380")
# Jämtland's bounding box, for the generated sites beyond the real ones.
LAT_RANGE: Final = (61.6, 64.9)
LON_RANGE: Final = (12.2, 16.7)

# One storm, in minutes of its cycle; each site starts at its own place in it.
CYCLE_MIN: Final = 60.0
PHASES: Final = (
    # (from minute, phase)
    (0.0, "normal"),
    (20.0, "outage_detected"),
    (21.0, "backup_power"),
    (40.0, "normal"),
)


@dataclass(slots=True)
class Site:
    """One simulated point: where it is, and what its scenario says now."""

    name: str
    place: UplinkSettings
    latitude: float
    longitude: float
    offset_min: float
    fails_to_start: bool
    runs_low: bool
    goes_silent: bool
    goes_dark: bool = False
    phase: str = ""
    outage_id: str = ""
    outage_started: datetime | None = None
    sequence: int = 0
    record_counter: int = 0

    @property
    def key(self) -> str:
        """`<municipality>/<site id>`, as the region knows it."""
        return f"{self.place.municipality}/{self.place.site_id}"

    def login(self, pattern: str | None) -> str | None:
        """`pattern` with the site's `{county}`, `{municipality}` and `{site_id}`."""
        if pattern is None:
            return None
        place = self.place
        return pattern.format(
            county=place.county, municipality=place.municipality, site_id=place.site_id
        )

    def record_id(self) -> str:
        """A journal record id unique to this site and run."""
        self.record_counter += 1
        return f"{self.place.site_id}-{int(time.time())}-{self.record_counter}"


def make_sites(count: int, seed: int = 23) -> list[Site]:
    """`count` sites: the real villages, then generated ones inside Jämtland.

    One in six fails to start when the mains goes, one in five runs low on
    diesel during its outage, one in twenty goes silent for part of the cycle,
    and one in twenty goes dark for good after its first status.
    """
    rng = random.Random(seed)  # noqa: S311 - places on a map, not secrets
    sites = []
    for index in range(count):
        if index < len(VILLAGES):
            village, municipality, lat, lon = VILLAGES[index]
        else:
            village = f"Plats {index + 1:04d}"
            municipality = rng.choice(MUNICIPALITIES)
            lat, lon = rng.uniform(*LAT_RANGE), rng.uniform(*LON_RANGE)
        site_id = _site_id(village)
        place = UplinkSettings(COUNTY, municipality, site_id, heartbeat_min=1)
        sites.append(
            Site(
                name=f"SOT-punkt {village}",
                place=place,
                latitude=lat,
                longitude=lon,
                offset_min=(index * 7.3) % CYCLE_MIN,
                fails_to_start=index % 6 == 2,
                runs_low=index % 5 == 1,
                goes_silent=index % 20 == 7,
                goes_dark=index % 20 == 13,
            )
        )
    return sites


def _site_id(village: str) -> str:
    folded = village.casefold()
    for swedish, plain in (("å", "a"), ("ä", "a"), ("ö", "o"), ("é", "e")):
        folded = folded.replace(swedish, plain)
    return "-".join("".join(c if c.isalnum() else " " for c in folded).split())


def phase_at(site: Site, minute: float) -> str:
    """The scenario's phase for `site` at `minute` of the run."""
    at = (minute + site.offset_min) % CYCLE_MIN
    phase = "normal"
    for start, name in PHASES:
        if at >= start:
            phase = name
    if phase == "backup_power" and site.fails_to_start:
        return "outage_no_backup"
    if site.goes_silent and 45.0 <= at < 55.0:
        return "silent"
    return phase


def status_of(site: Site, now: datetime, interval_s: int) -> dict[str, Any]:
    """The status object the site's uplink would publish now."""
    phase = site.phase
    outage = phase in {"outage_detected", "backup_power", "outage_no_backup"}
    backup = phase == "backup_power"
    autonomy = (6.0 if site.runs_low else 48.0) if backup else 52.0
    site.sequence += 1
    # The warm room's temperature carries the message's sequence number in
    # its hundredths, so a reader can tell which message it shows.
    temperature = 18.0 + (site.sequence % 100) / 100
    status = {
        "schema": 1,
        "site": site.name,
        "updated": now.isoformat(),
        "reachable": True,
        "mode": phase,
        "mains_available": not outage,
        "outage_started": site.outage_started.isoformat()
        if outage and site.outage_started
        else None,
        "generator_running": backup,
        "on_backup_power": backup,
        "fuel": {
            "litres": autonomy * 8.3,
            "usable_litres": autonomy * 8.3,
            "level_percent": min(100.0, autonomy * 1.5),
            "autonomy_h": autonomy,
            "autonomy_mean_load_h": autonomy,
            "source": "level_sensor",
        },
        "warm_room": {"temperature_c": temperature, "heater_on": True},
        "last_outage": None,
        "notices": [],
    }
    payload = status_payload(
        status,
        site.place,
        sent=now,
        dropped_events=0,
        location=(site.latitude, site.longitude),
    )
    # A simulated site's heartbeat is its publishing interval.
    payload["uplink"]["heartbeat_s"] = interval_s
    return payload


def events_for(site: Site, old: str, new: str, now: datetime) -> list[dict[str, Any]]:
    """The events a move from phase `old` to `new` makes."""
    made: list[tuple[str, dict[str, Any]]] = []
    was_out = old in {"outage_detected", "backup_power", "outage_no_backup"}
    is_out = new in {"outage_detected", "backup_power", "outage_no_backup"}
    if is_out and not was_out:
        site.outage_id, site.outage_started = site.record_id(), now
        made.append((EVENT_OUTAGE_STARTED, {"started": now}))
    if new == "outage_no_backup" and old != new:
        made.append((EVENT_START_FAILED, {"reason": "fail_to_start"}))
    if was_out and not is_out and site.outage_started is not None:
        lasted = (now - site.outage_started).total_seconds()
        made.append(
            (
                EVENT_OUTAGE_ENDED,
                {
                    "started": site.outage_started,
                    "ended": now,
                    "duration_s": lasted,
                    "backup_power_s": 0.0 if site.fails_to_start else lasted - 60,
                },
            )
        )
        if site.runs_low:
            made.append((EVENT_FUEL_DELIVERY, {"litres": 400.0}))
        made.append((EVENT_TEST_RUN_ENDED, {"result": "ok", "duration_s": 900}))
    messages = []
    for event_type, fields in made:
        record = site.outage_id if "started" in fields else site.record_id()
        data = {"record_id": record, "at": now, "site": site.name} | fields
        if event_type == EVENT_OUTAGE_ENDED:
            data["at"] = site.outage_started
        message = event_payload(event_type, data, site.place)
        if message is not None:
            messages.append(message)
    return messages


class _Loop:
    """paho driven by asyncio through its socket callbacks."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: paho.Client) -> None:
        self.loop = loop
        self.client = client
        self.misc: asyncio.Task[None] | None = None
        client.on_socket_open = self._opened
        client.on_socket_close = self._closed
        client.on_socket_register_write = self._want_write
        client.on_socket_unregister_write = self._done_writing

    def _opened(self, client: paho.Client, _userdata: Any, sock: Any) -> None:
        self.loop.add_reader(sock, client.loop_read)
        self.misc = self.loop.create_task(self._misc())

    def _closed(self, _client: paho.Client, _userdata: Any, sock: Any) -> None:
        self.loop.remove_reader(sock)
        if self.misc is not None:
            self.misc.cancel()

    def _want_write(self, client: paho.Client, _userdata: Any, sock: Any) -> None:
        self.loop.add_writer(sock, client.loop_write)

    def _done_writing(self, _client: paho.Client, _userdata: Any, sock: Any) -> None:
        self.loop.remove_writer(sock)

    async def _misc(self) -> None:
        # paho's keep-alive and retries: it asks to be called about once a second.
        while self.client.loop_misc() == paho.MQTT_ERR_SUCCESS:  # noqa: ASYNC110
            await asyncio.sleep(1)


@dataclass
class Publisher:
    """One site's MQTT connection and its publishing."""

    site: Site
    host: str
    port: int
    interval_s: int
    keepalive_s: int = 30
    user: str | None = None
    password: str | None = None
    on_publish: Callable[[Site, str, dict[str, Any]], None] | None = None
    client: paho.Client = field(init=False)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    refused: str | None = None
    silent: bool = False
    _driver: _Loop | None = None

    def __post_init__(self) -> None:
        """A client with the site's will."""
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"sim-{self.site.place.county}-{self.site.key}",
            protocol=paho.MQTTv311,
        )
        if self.user:
            self.client.username_pw_set(self.user, self.password)
        self.client.will_set(
            self.site.place.availability_topic, NOT_AVAILABLE, qos=1, retain=True
        )
        self.client.on_connect = self._on_connect

    def _on_connect(
        self, _client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            self.refused = str(reason)
        else:
            self.client.publish(
                self.site.place.availability_topic, AVAILABLE, qos=1, retain=True
            )
        self.connected.set()

    async def connect(self) -> None:
        """Connect through the shared asyncio loop; ConnectionError if refused."""
        self._driver = _Loop(asyncio.get_running_loop(), self.client)
        self.client.connect(self.host, self.port, keepalive=self.keepalive_s)
        await asyncio.wait_for(self.connected.wait(), 60)
        if self.refused is not None:
            self.client.disconnect()
            msg = f"the broker refused {self.site.key}: {self.refused}"
            raise ConnectionError(msg)

    def publish_status(self, now: datetime) -> dict[str, Any]:
        """Publish the site's status now (retained, QoS 1)."""
        status = status_of(self.site, now, self.interval_s)
        if self.on_publish:
            self.on_publish(self.site, "status", status)
        self.client.publish(
            self.site.place.status_topic, encode(status), qos=1, retain=True
        )
        return status

    def publish_events(self, events: Sequence[dict[str, Any]]) -> None:
        """Publish events (QoS 1, not retained)."""
        for event in events:
            if self.on_publish:
                self.on_publish(self.site, "event", event)
            self.client.publish(self.site.place.event_topic, encode(event), qos=1)

    def drop_connection(self) -> None:
        """The link breaks without a goodbye: the broker publishes the will."""
        sock = self.client.socket()
        if isinstance(sock, socket.socket):
            sock.shutdown(socket.SHUT_RDWR)

    def go_silent(self) -> None:
        """The link goes quiet without a word (no FIN, no pings, no data).

        The broker gives up after 1.5 keep-alives and publishes the will.
        """
        self.silent = True
        if self._driver is not None and self._driver.misc is not None:
            self._driver.misc.cancel()

    def stop(self) -> None:
        """Say `offline` and disconnect cleanly, at once."""
        self.client.publish(
            self.site.place.availability_topic, NOT_AVAILABLE, qos=1, retain=True
        )
        self.client.disconnect()
        # Written now, not by the loop: the loop may be ending.
        for _ in range(10):
            if not self.client.want_write():
                break
            self.client.loop_write()


async def run_sites(
    publishers: Sequence[Publisher],
    *,
    minutes_per_second: float = 1 / 60,
    stop: asyncio.Event | None = None,
) -> None:
    """Publish every site's status each interval, spread over the interval.

    The scenario's clock runs `minutes_per_second` (1/60: real time).
    """
    started = time.monotonic()
    stop = stop or asyncio.Event()
    interval = publishers[0].interval_s if publishers else 30
    slot = interval / max(1, len(publishers))
    next_at = [started + index * slot for index in range(len(publishers))]
    while not stop.is_set():
        now_mono = time.monotonic()
        minute = (now_mono - started) * minutes_per_second
        for index, publisher in enumerate(publishers):
            if next_at[index] > now_mono:
                continue
            next_at[index] += interval
            _step(publisher, minute)
        await asyncio.sleep(min(0.2, slot))


def _step(publisher: Publisher, minute: float) -> None:
    site = publisher.site
    phase = phase_at(site, minute)
    if phase == "silent" or publisher.silent:
        return
    if site.goes_dark and site.sequence:
        publisher.go_silent()
        return
    now = datetime.now(UTC)
    if phase != site.phase:
        old, site.phase = site.phase or "normal", phase
        publisher.publish_events(events_for(site, old, phase, now))
    publisher.publish_status(now)


async def start_publishers(
    sites: Sequence[Site],
    host: str,
    port: int,
    interval_s: int,
    *,
    user: str | None = None,
    password: str | None = None,
    **kwargs: Any,
) -> list[Publisher]:
    """Connect every site, a few at a time.

    `user` and `password` are patterns (`Site.login`): each site logs in as
    itself, as a county's broker with an ACL wants it.
    """
    publishers = [
        Publisher(
            site,
            host,
            port,
            interval_s,
            user=site.login(user),
            password=site.login(password),
            **kwargs,
        )
        for site in sites
    ]
    for batch in range(0, len(publishers), 50):
        await asyncio.gather(*(p.connect() for p in publishers[batch : batch + 50]))
    return publishers


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator.region_publishers",
        description="Simulated SOT points publishing to a county's MQTT broker.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument(
        "--county",
        default=COUNTY,
        choices=(COUNTY,),
        help="SCB's county code: 23, Jämtland (its villages and its map)",
    )
    parser.add_argument(
        "--user",
        help="each site's login, a pattern of {county}, {municipality}, {site_id}, "
        "e.g. site-{county}-{municipality}-{site_id} (default: none)",
    )
    parser.add_argument(
        "--password", help="each site's password, a pattern like --user"
    )
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--skip", type=int, default=0, help="leave out the first N")
    parser.add_argument("--interval", type=int, default=30, help="status every N s")
    parser.add_argument(
        "--speed", type=float, default=20.0, help="scenario minutes per real minute"
    )
    parser.add_argument("--seed", type=int, default=23)
    return parser


async def _main(args: argparse.Namespace) -> None:
    sites = make_sites(args.sites + args.skip, args.seed)[args.skip :]
    publishers = await start_publishers(
        sites,
        args.host,
        args.port,
        args.interval,
        user=args.user,
        password=args.password,
    )
    print(f"{len(publishers)} simulated sites publishing", flush=True)
    try:
        await run_sites(publishers, minutes_per_second=args.speed / 60)
    finally:
        for publisher in publishers:
            publisher.stop()


def main() -> None:
    """Run until interrupted (Ctrl-C or SIGTERM): every site then says `offline`."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(_parser().parse_args()))


if __name__ == "__main__":
    main()
