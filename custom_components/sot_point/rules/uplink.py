"""The county uplink as plain data: settings, topics, payloads and the queue.

A site that has the uplink on publishes, through Home Assistant's MQTT
integration, under `sot/<county>/<municipality>/<site>/`:

- `status`: the status object of rules/status.py with an `uplink` part added,
  retained, QoS 1, last value wins;
- `event`: one message per public journal record (outage start and end,
  start failures, test runs, fuel deliveries, notices), QoS 1, not retained,
  each with an id that is the same however often it is sent;
- `availability`: `online` or `offline`, retained.

docs/mqtt.md describes the topics and payloads to the county. Nothing here
imports Home Assistant; uplink.py is the glue.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
import json
import re
from typing import Any, Final
import unicodedata

from ..const import (
    EVENT_FUEL_DELIVERY,
    EVENT_NOTICE,
    EVENT_OUTAGE_ENDED,
    EVENT_OUTAGE_STARTED,
    EVENT_START_FAILED,
    EVENT_TEST_RUN_ENDED,
    EVENT_TEST_RUN_STARTED,
)
from .records import plain
from .status import stable_part

# The uplink's settings: one section of the site's options.
CONF_UPLINK: Final = "uplink"
CONF_ENABLED: Final = "enabled"
CONF_COUNTY: Final = "county"
CONF_MUNICIPALITY: Final = "municipality"
CONF_SITE_ID: Final = "site_id"
CONF_HEARTBEAT: Final = "heartbeat_min"
DEFAULT_HEARTBEAT_MIN: Final = 5
HEARTBEAT_RANGE: Final = (1, 60)

# The schema of the uplink's own messages (the status object has its own).
EVENT_SCHEMA_VERSION: Final = 1
TOPIC_ROOT: Final = "sot"
AVAILABLE: Final = "online"
NOT_AVAILABLE: Final = "offline"

# Events waiting for the broker. A storm that keeps the county's link down
# for a week makes a few dozen; the bound only stops a loop (a flapping
# notice automation) from filling the disk.
QUEUE_LIMIT: Final = 5000

# SCB's county codes (länskoder) and the counties' names.
COUNTIES: Final[Mapping[str, str]] = {
    "01": "Stockholms län",
    "03": "Uppsala län",
    "04": "Södermanlands län",
    "05": "Östergötlands län",
    "06": "Jönköpings län",
    "07": "Kronobergs län",
    "08": "Kalmar län",
    "09": "Gotlands län",
    "10": "Blekinge län",
    "12": "Skåne län",
    "13": "Hallands län",
    "14": "Västra Götalands län",
    "17": "Värmlands län",
    "18": "Örebro län",
    "19": "Västmanlands län",
    "20": "Dalarnas län",
    "21": "Gävleborgs län",
    "22": "Västernorrlands län",
    "23": "Jämtlands län",
    "24": "Västerbottens län",
    "25": "Norrbottens län",
}
# A site id is one topic level the county can read at a glance: no MQTT
# wildcards, no slashes, nothing a shell or an ACL file would quote.
SITE_ID_PATTERN: Final = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,30}[a-z0-9])?")
_MUNICIPALITY_PATTERN: Final = re.compile(r"\d{4}")

# What the uplink publishes of each journal event: the message's kind, and
# the fields of the event that are public. Names of people and user ids are
# never among them; alarms, commands and the maintenance lock stay local.
PUBLIC_EVENTS: Final[Mapping[str, tuple[str, tuple[str, ...]]]] = {
    EVENT_OUTAGE_STARTED: ("outage_started", ("started", "start_uncertain")),
    EVENT_OUTAGE_ENDED: (
        "outage_ended",
        (
            "started",
            "ended",
            "duration_s",
            "time_to_backup_s",
            "backup_power_s",
            "fuel_used_l",
            "fuel_used_source",
            "fuel_delivered_l",
            "energy_kwh",
            "unobserved_s",
            "start_uncertain",
            "end_uncertain",
        ),
    ),
    EVENT_START_FAILED: (
        "start_failed",
        ("reason", "outage_id", "attempt_id", "control_mode", "engine", "alarms"),
    ),
    EVENT_TEST_RUN_STARTED: (
        "test_run_started",
        ("started", "control_mode", "on_load_requested"),
    ),
    EVENT_TEST_RUN_ENDED: (
        "test_run_ended",
        (
            "started",
            "ended",
            "duration_s",
            "result",
            "on_load",
            "mean_load_kw",
            "max_load_kw",
            "interrupted_by_outage",
        ),
    ),
    EVENT_FUEL_DELIVERY: (
        "fuel_delivery",
        ("litres", "tank_litres", "estimate_litres"),
    ),
    # A notice is what the info page shows anyone walking past.
    EVENT_NOTICE: (
        "notice",
        ("action", "notice_id", "importance", "text_sv", "text_en", "expires"),
    ),
}


# -- settings -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UplinkSettings:
    """Where a site publishes, and how often it says it is alive."""

    county: str
    municipality: str
    site_id: str
    heartbeat_min: int = DEFAULT_HEARTBEAT_MIN

    @property
    def base(self) -> str:
        """The topic every one of the site's topics starts with."""
        return f"{TOPIC_ROOT}/{self.county}/{self.municipality}/{self.site_id}"

    @property
    def status_topic(self) -> str:
        """The retained status object."""
        return f"{self.base}/status"

    @property
    def event_topic(self) -> str:
        """The journal's public records, one message each."""
        return f"{self.base}/event"

    @property
    def availability_topic(self) -> str:
        """`online` / `offline`, retained."""
        return f"{self.base}/availability"

    @property
    def heartbeat_s(self) -> int:
        """Seconds between two status messages when nothing changes."""
        return self.heartbeat_min * 60


def uplink_section(options: Mapping[str, Any]) -> Mapping[str, Any]:
    """The uplink section of a site's options as stored (empty: never set)."""
    section = options.get(CONF_UPLINK)
    return section if isinstance(section, Mapping) else {}


def uplink_settings(options: Mapping[str, Any]) -> UplinkSettings | None:
    """The site's uplink settings; None when the uplink is off or incomplete."""
    section = uplink_section(options)
    if not section.get(CONF_ENABLED) or uplink_errors(section)[0]:
        return None
    return UplinkSettings(
        county=str(section[CONF_COUNTY]),
        municipality=str(section[CONF_MUNICIPALITY]),
        site_id=str(section[CONF_SITE_ID]),
        heartbeat_min=int(section.get(CONF_HEARTBEAT) or DEFAULT_HEARTBEAT_MIN),
    )


def uplink_errors(section: Mapping[str, Any]) -> tuple[str | None, str]:
    """The first thing wrong with the section as entered, and the value at fault.

    A section whose uplink is off is never wrong: its other values are kept
    for when it is turned on.
    """
    if not section.get(CONF_ENABLED):
        return None, ""
    county = _text(section.get(CONF_COUNTY))
    if county not in COUNTIES:
        return "uplink_bad_county", county
    municipality = _text(section.get(CONF_MUNICIPALITY))
    if (
        not _MUNICIPALITY_PATTERN.fullmatch(municipality)
        or not municipality.startswith(county)
        or municipality.endswith("00")
    ):
        return "uplink_bad_municipality", municipality
    site_id = _text(section.get(CONF_SITE_ID))
    if not SITE_ID_PATTERN.fullmatch(site_id):
        return "uplink_bad_site_id", site_id
    heartbeat = section.get(CONF_HEARTBEAT, DEFAULT_HEARTBEAT_MIN)
    low, high = HEARTBEAT_RANGE
    if not isinstance(heartbeat, int | float) or not low <= heartbeat <= high:
        return "uplink_bad_heartbeat", str(heartbeat)
    return None, ""


def uplink_as_stored(section: Mapping[str, Any]) -> dict[str, Any]:
    """The section as kept: trimmed, the heartbeat whole minutes.

    Empty when the uplink is off and nothing was filled in.
    """
    stored = {
        CONF_ENABLED: bool(section.get(CONF_ENABLED)),
        CONF_COUNTY: _text(section.get(CONF_COUNTY)),
        CONF_MUNICIPALITY: _text(section.get(CONF_MUNICIPALITY)),
        CONF_SITE_ID: _text(section.get(CONF_SITE_ID)),
        CONF_HEARTBEAT: int(section.get(CONF_HEARTBEAT) or DEFAULT_HEARTBEAT_MIN),
    }
    filled = any(stored[key] for key in (CONF_COUNTY, CONF_MUNICIPALITY, CONF_SITE_ID))
    if not stored[CONF_ENABLED] and not filled:
        return {}
    return stored


def suggested_site_id(site_name: str) -> str:
    """A site id from the site's name: "SOT-punkt Kall" -> "kall"."""
    folded = unicodedata.normalize("NFKD", site_name.casefold())
    ascii_only = folded.encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_only)
    if words[:2] == ["sot", "punkt"] and len(words) > 2:
        words = words[2:]
    return "-".join(words)[:32].strip("-_")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip().lower()


# -- payloads -----------------------------------------------------------------------


def status_payload(
    status: Mapping[str, Any],
    settings: UplinkSettings,
    *,
    sent: datetime,
    dropped_events: int,
    location: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """The status object as the county gets it: with where and how it comes.

    `uplink.sent` lets the county tell an old retained message from a live
    one and see a clock that is far off; `uplink.heartbeat_s` how long a
    silence is still normal; `uplink.dropped_events` how many events the
    site's queue had to drop while the broker could not be reached;
    `uplink.location` where the point is, for the county's map.
    """
    return county_part(status) | {
        "uplink": {
            "county": settings.county,
            "municipality": settings.municipality,
            "site_id": settings.site_id,
            "heartbeat_s": settings.heartbeat_s,
            "dropped_events": dropped_events,
            "sent": sent.isoformat(),
            "location": site_location(location),
        }
    }


def site_location(location: tuple[float, float] | None) -> dict[str, float] | None:
    """A point's place to about 100 m: enough for a county's map, no closer.

    None when Home Assistant's home is unset (0, 0) or out of range.
    """
    if location is None:
        return None
    latitude, longitude = location
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if latitude == 0 and longitude == 0:
        return None
    return {"latitude": round(latitude, 3), "longitude": round(longitude, 3)}


def county_part(status: Mapping[str, Any]) -> dict[str, Any]:
    """The status object as the county gets it: without `official`.

    Official information is the authorities' own, which the county has
    already; a site passing it on would only repeat it, and every fetch
    (every 10 minutes, failed or not) would be news to send.
    """
    return {key: value for key, value in status.items() if key != "official"}


def status_news(status: Mapping[str, Any]) -> dict[str, Any]:
    """What of a status object is news to the county: all but the poll's time."""
    return stable_part(county_part(status))


def event_payload(
    event_type: str, data: Mapping[str, Any], settings: UplinkSettings
) -> dict[str, Any] | None:
    """The uplink message for a journal event; None for events kept local.

    `data` is the bus event's data (docs/events.md): the record's id and
    time, and the event's own fields, of which only the public ones go.
    """
    public = PUBLIC_EVENTS.get(event_type)
    record_id = data.get("record_id")
    if public is None or not record_id:
        return None
    kind, keys = public
    return {
        "schema": EVENT_SCHEMA_VERSION,
        # One record can announce itself twice (an outage's start and end):
        # the id names the record and what became of it.
        "id": f"{record_id}:{kind}",
        "record_id": str(record_id),
        "kind": kind,
        "at": plain(data.get("at")),
        "county": settings.county,
        "municipality": settings.municipality,
        "site_id": settings.site_id,
        "site": plain(data.get("site")),
        "data": {key: plain(data.get(key)) for key in keys if key in data},
    }


def encode(payload: Mapping[str, Any]) -> str:
    """A payload as the broker carries it: compact JSON, UTF-8 text."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


# -- the queue ----------------------------------------------------------------------


@dataclass(slots=True)
class EventQueue:
    """Events not yet acknowledged by the broker, oldest first.

    Bounded: a full queue drops its oldest event to take a new one and
    counts it. An event leaves the queue only when the broker has it
    (`remove`), so one whose sending was cut off is sent again; the county
    takes each id once.
    """

    limit: int = QUEUE_LIMIT
    dropped: int = 0
    _events: deque[dict[str, Any]] = field(default_factory=deque)
    _ids: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        """How many events wait."""
        return len(self._events)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The waiting events, oldest first."""
        return iter(self._events)

    def add(self, event: dict[str, Any]) -> bool:
        """Queue an event; False if one with its id already waits."""
        event_id = str(event["id"])
        if event_id in self._ids:
            return False
        while len(self._events) >= self.limit:
            oldest = self._events.popleft()
            self._ids.discard(str(oldest["id"]))
            self.dropped += 1
        self._events.append(event)
        self._ids.add(event_id)
        return True

    def head(self) -> dict[str, Any] | None:
        """The oldest waiting event, the next to send."""
        return self._events[0] if self._events else None

    def remove(self, event_id: str) -> None:
        """The broker has the event: forget it (it is at the head)."""
        if self._events and self._events[0]["id"] == event_id:
            self._events.popleft()
            self._ids.discard(event_id)

    def dump(self) -> dict[str, Any]:
        """What is stored: the events in order and the count of dropped ones."""
        return {"events": list(self._events), "dropped": self.dropped}

    @classmethod
    def load(
        cls, stored: Mapping[str, Any] | None, limit: int = QUEUE_LIMIT
    ) -> EventQueue:
        """Back from `dump`; events without an id are skipped."""
        queue = cls(limit=limit)
        if not stored:
            return queue
        dropped = stored.get("dropped")
        queue.dropped = dropped if isinstance(dropped, int) else 0
        for event in stored.get("events") or ():
            if isinstance(event, dict) and event.get("id"):
                queue.add(event)
        return queue
