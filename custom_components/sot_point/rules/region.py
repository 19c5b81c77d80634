"""A region's view of its sites, as plain data: what each site last said.

A region (the county board's Home Assistant) reads every site of its county
from the broker under `sot/<county>/<municipality>/<site>/status|event|
availability` (docs/mqtt.md). This module says which messages it takes and
why it refuses the others, keeps one `SiteView` per site, ranks the sites
worst first and builds the region object the regional page reads. Nothing
here imports Home Assistant; region/ is the glue.

Time rules, all by the region's clock when a message arrives:

- A site is *heard* when a valid message comes. A retained status (what the
  broker kept, handed over when the region subscribes) is heard as of when
  the site sent it, not when it arrived: a dead site's last word says
  nothing about now. A retained availability says nothing about when.
- A status or event whose time (`uplink.sent`, an event's `at`) is more than
  `CLOCK_AHEAD` in the future is refused (`clock_ahead`): a clock that far
  ahead would keep a site looking fresh when it has gone quiet.
- A live status (not retained) sent more than `CLOCK_BEHIND` before it
  arrived is refused (`clock_behind`): the site's clock is off, or the
  message waited somewhere, and either way it is not the site now. Events
  may be old (they wait in the site's queue while the link is down).
- A site is *silent* when nothing valid came for `silent_after_heartbeats`
  times its heartbeat (`uplink.heartbeat_s`), and never less than
  `MIN_SILENCE`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
import json
import re
from typing import Any, Final

from .records import parse_time
from .site import READABLE_STATUS_SCHEMAS, SiteMode
from .uplink import (
    AVAILABLE,
    CONF_COUNTY,
    DEFAULT_HEARTBEAT_MIN,
    EVENT_SCHEMA_VERSION,
    NOT_AVAILABLE,
    SITE_ID_PATTERN,
    TOPIC_ROOT,
)

# A config entry of the integration is a site or a region (data["kind"]);
# entries made before regions existed have no kind and are sites.
CONF_KIND: Final = "kind"
KIND_SITE: Final = "site"
KIND_REGION: Final = "region"

# A region's data: its name and county; its options: what it follows.
CONF_REGION_NAME: Final = "name"
CONF_REGION_COUNTY: Final = CONF_COUNTY
CONF_MUNICIPALITIES: Final = "municipalities"
CONF_LOW_AUTONOMY: Final = "low_autonomy_h"
CONF_SILENT_AFTER: Final = "silent_after_heartbeats"
DEFAULT_LOW_AUTONOMY_H: Final = 12
DEFAULT_SILENT_AFTER: Final = 3
LOW_AUTONOMY_RANGE: Final = (1, 168)
SILENT_AFTER_RANGE: Final = (2, 20)
DEFAULT_REGION_OPTIONS: Final[Mapping[str, Any]] = {
    CONF_MUNICIPALITIES: [],
    CONF_LOW_AUTONOMY: DEFAULT_LOW_AUTONOMY_H,
    CONF_SILENT_AFTER: DEFAULT_SILENT_AFTER,
}

# The version of the region object (the websocket subscription's payload).
REGION_SCHEMA_VERSION: Final = 1
# A site's messages are a few kilobytes; a bigger one is a mistake or abuse.
MAX_PAYLOAD_BYTES: Final = 64 * 1024
CLOCK_AHEAD: Final = timedelta(minutes=10)
CLOCK_BEHIND: Final = timedelta(minutes=10)
# A site that sends every minute is not silent after three minutes of a
# broker hiccup: MQTT's own keep-alive takes 90 s to notice a dead client.
MIN_SILENCE: Final = timedelta(seconds=90)
# A failed start counts for the outage it happened in, or for a day.
START_FAILED_WINDOW: Final = timedelta(hours=24)
# Assumed until a site's first status says its heartbeat.
DEFAULT_HEARTBEAT_S: Final = DEFAULT_HEARTBEAT_MIN * 60


def is_region(data: Mapping[str, Any]) -> bool:
    """Whether a config entry's data is a region's (else it is a site's)."""
    return bool(data.get(CONF_KIND, KIND_SITE) == KIND_REGION)


class Rank(StrEnum):
    """How a site is doing, worst first: the regional page's order."""

    NO_DATA = "no_data"
    OUTAGE_NO_BACKUP = "outage_no_backup"
    START_FAILED = "start_failed"
    LOW_AUTONOMY = "low_autonomy"
    BACKUP_POWER = "backup_power"
    NORMAL = "normal"


RANKS: Final = tuple(Rank)
_ORDER: Final = {rank: index for index, rank in enumerate(RANKS)}
# The modes in which the site is in an outage, or on its way out of one.
_BACKUP_MODES: Final = frozenset(
    {
        SiteMode.OUTAGE_DETECTED,
        SiteMode.STARTING,
        SiteMode.BACKUP_POWER,
        SiteMode.RETURNING,
    }
)


class Leaf(StrEnum):
    """The last level of a site's topics."""

    STATUS = "status"
    EVENT = "event"
    AVAILABILITY = "availability"


class Reason(StrEnum):
    """Why a message on a site's topic was refused."""

    BAD_TOPIC = "bad_topic"
    TOO_LARGE = "too_large"
    NOT_JSON = "not_json"
    NOT_OBJECT = "not_an_object"
    WRONG_SCHEMA = "wrong_schema"
    MISSING_FIELDS = "missing_fields"
    TOPIC_MISMATCH = "topic_mismatch"
    CLOCK_AHEAD = "clock_ahead"
    CLOCK_BEHIND = "clock_behind"
    BAD_AVAILABILITY = "bad_availability"


class RefusedError(ValueError):
    """A message that is not a valid status, event or availability."""

    def __init__(self, reason: Reason, detail: str) -> None:
        """Say why, in a word (`reason`) and for a technician (`detail`)."""
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


# -- settings -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegionSettings:
    """What a region follows and when it worries."""

    county: str
    # Empty: every municipality of the county.
    municipalities: frozenset[str] = frozenset()
    low_autonomy_h: float = DEFAULT_LOW_AUTONOMY_H
    silent_after_heartbeats: int = DEFAULT_SILENT_AFTER

    def topic_filters(self) -> list[str]:
        """The MQTT topic filters the region subscribes to."""
        places = sorted(self.municipalities) or ["+"]
        return [
            f"{TOPIC_ROOT}/{self.county}/{place}/+/{leaf.value}"
            for place in places
            for leaf in Leaf
        ]

    def silence(self, heartbeat_s: float) -> timedelta:
        """How long a site with this heartbeat may say nothing."""
        allowance = timedelta(seconds=heartbeat_s * self.silent_after_heartbeats)
        return max(allowance, MIN_SILENCE)


def region_settings(
    data: Mapping[str, Any], options: Mapping[str, Any]
) -> RegionSettings:
    """A region entry's settings from its data and options."""
    municipalities = options.get(CONF_MUNICIPALITIES) or []
    return RegionSettings(
        county=str(data[CONF_REGION_COUNTY]),
        municipalities=frozenset(str(code) for code in municipalities),
        low_autonomy_h=float(options.get(CONF_LOW_AUTONOMY, DEFAULT_LOW_AUTONOMY_H)),
        silent_after_heartbeats=int(
            options.get(CONF_SILENT_AFTER, DEFAULT_SILENT_AFTER)
        ),
    )


def region_options_error(
    options: Mapping[str, Any], county: str
) -> tuple[str | None, str]:
    """The first thing wrong with a region's options as entered, and the value."""
    for code in options.get(CONF_MUNICIPALITIES) or []:
        if not_a_municipality(str(code).strip(), county):
            return "region_bad_municipality", str(code)
    return None, ""


# -- topics -------------------------------------------------------------------------

_MUNICIPALITY: Final = re.compile(r"\d{4}")


def not_a_municipality(code: str, county: str) -> bool:
    """Whether `code` is not a municipality code of `county` (as uplink.py checks)."""
    return (
        not _MUNICIPALITY.fullmatch(code)
        or not code.startswith(county)
        or code.endswith("00")
    )


@dataclass(frozen=True, slots=True)
class SiteTopic:
    """Where a message came from: a site of the region, and which of its topics."""

    municipality: str
    site_id: str
    leaf: Leaf

    @property
    def key(self) -> str:
        """The site's key in the region: "<municipality>/<site_id>"."""
        return site_key(self.municipality, self.site_id)


def site_key(municipality: str, site_id: str) -> str:
    """A site's key in its region, e.g. "2321/kall"."""
    return f"{municipality}/{site_id}"


def split_key(key: str) -> tuple[str, str]:
    """(municipality, site_id) of a key; ValueError if it is none."""
    municipality, _, site_id = key.partition("/")
    if not municipality or not site_id:
        msg = f"not a site key: {key!r}"
        raise ValueError(msg)
    return municipality, site_id


def parse_topic(topic: str, county: str) -> SiteTopic:
    """The site and leaf of a topic of `county`; RefusedError if it is none."""
    parts = topic.split("/")
    if (
        len(parts) != 5
        or parts[0] != TOPIC_ROOT
        or parts[1] != county
        or parts[4] not in set(Leaf)
        or not_a_municipality(parts[2], county)
        or not SITE_ID_PATTERN.fullmatch(parts[3])
    ):
        raise RefusedError(Reason.BAD_TOPIC, topic)
    return SiteTopic(parts[2], parts[3], Leaf(parts[4]))


# -- messages -----------------------------------------------------------------------


def _object(payload: bytes) -> dict[str, Any]:
    """A payload as a JSON object, or RefusedError saying what it is instead."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        detail = f"{len(payload)} bytes, at most {MAX_PAYLOAD_BYTES}"
        raise RefusedError(Reason.TOO_LARGE, detail)
    try:
        value = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError, ValueError:
        raise RefusedError(Reason.NOT_JSON, _excerpt(payload)) from None
    if not isinstance(value, dict):
        raise RefusedError(Reason.NOT_OBJECT, type(value).__name__)
    return value


def _excerpt(payload: bytes) -> str:
    return repr(payload[:40].decode("utf-8", "replace"))


def _check_schema(message: Mapping[str, Any], *versions: int) -> None:
    schema = message.get("schema")
    # JSON's true is Python's True, which equals 1.
    if type(schema) is not int or schema not in versions:
        read = " or ".join(str(version) for version in versions)
        detail = f"schema {schema!r}, this region reads {read}"
        raise RefusedError(Reason.WRONG_SCHEMA, detail)


def _text_field(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _time_field(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse_time(value)
    except ValueError:
        return False
    return True


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _check_fields(found: Iterable[tuple[str, bool]]) -> None:
    missing = [name for name, valid in found if not valid]
    if missing:
        raise RefusedError(Reason.MISSING_FIELDS, ", ".join(missing))


def _check_place(topic: SiteTopic, place: Mapping[str, Any], county: str) -> None:
    said = (place.get("county"), place.get("municipality"), place.get("site_id"))
    if said != (county, topic.municipality, topic.site_id):
        detail = f"topic {county}/{topic.key}, payload {'/'.join(map(str, said))}"
        raise RefusedError(Reason.TOPIC_MISMATCH, detail)


def _check_not_ahead(moment: datetime, received: datetime) -> None:
    if moment - received > CLOCK_AHEAD:
        detail = f"{moment.isoformat()} is {_minutes(moment - received)} ahead"
        raise RefusedError(Reason.CLOCK_AHEAD, detail)


def _minutes(span: timedelta) -> str:
    return f"{span.total_seconds() / 60:.0f} min"


def read_status(
    topic: SiteTopic,
    payload: bytes,
    county: str,
    *,
    retained: bool,
    received: datetime,
) -> dict[str, Any]:
    """A site's status message (docs/mqtt.md), checked; RefusedError if not."""
    status = _object(payload)
    # A site not yet updated still sends schema 1, whose keys 2 keeps.
    _check_schema(status, *READABLE_STATUS_SCHEMAS)
    uplink = status.get("uplink")
    if not isinstance(uplink, dict):
        raise RefusedError(Reason.MISSING_FIELDS, "uplink")
    _check_fields(
        [
            ("site", _text_field(status.get("site"))),
            ("mode", status.get("mode") is None or _text_field(status.get("mode"))),
            *(
                (f"uplink.{name}", _text_field(uplink.get(name)))
                for name in ("county", "municipality", "site_id")
            ),
            ("uplink.heartbeat_s", _positive(uplink.get("heartbeat_s"))),
            ("uplink.sent", _time_field(uplink.get("sent"))),
        ]
    )
    _check_place(topic, uplink, county)
    sent = parse_time(uplink["sent"])
    _check_not_ahead(sent, received)
    if not retained and received - sent > CLOCK_BEHIND:
        detail = f"sent {sent.isoformat()}, {_minutes(received - sent)} ago"
        raise RefusedError(Reason.CLOCK_BEHIND, detail)
    return status


def read_event(
    topic: SiteTopic, payload: bytes, county: str, *, received: datetime
) -> dict[str, Any]:
    """A site's event message (docs/mqtt.md), checked; RefusedError if not."""
    event = _object(payload)
    _check_schema(event, EVENT_SCHEMA_VERSION)
    _check_fields(
        [
            *(
                (name, _text_field(event.get(name)))
                for name in ("id", "kind", "county", "municipality", "site_id")
            ),
            ("at", _time_field(event.get("at"))),
            ("data", isinstance(event.get("data"), dict)),
        ]
    )
    _check_place(topic, event, county)
    _check_not_ahead(parse_time(event["at"]), received)
    return event


def read_availability(payload: bytes) -> bool:
    """`online` (True) or `offline` (False); RefusedError for anything else."""
    text = payload.decode("utf-8", "replace")
    if text == AVAILABLE:
        return True
    if text == NOT_AVAILABLE:
        return False
    raise RefusedError(Reason.BAD_AVAILABILITY, _excerpt(payload))


def heard_at(
    status: Mapping[str, Any], *, retained: bool, received: datetime
) -> datetime:
    """When a valid status says the site was last alive.

    A live message: when it arrived. A retained one: when the site sent it
    (the broker kept it, maybe for days), never later than its arrival.
    """
    if not retained:
        return received
    return min(parse_time(status["uplink"]["sent"]), received)


# -- one site -----------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _part(status: Mapping[str, Any] | None, name: str) -> Mapping[str, Any]:
    part = (status or {}).get(name)
    return part if isinstance(part, Mapping) else {}


def _time_or_none(value: Any) -> datetime | None:
    try:
        return parse_time(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass(slots=True)
class SiteView:
    """What the region knows of one site: its last valid words, and when."""

    municipality: str
    site_id: str
    status: dict[str, Any] | None = None
    # None: the site has not said (no retained availability either).
    available: bool | None = None
    last_heard: datetime | None = None
    # The latest `start_failed` event's time (the site's `at`).
    start_failed_at: datetime | None = None
    # The name a device was given before any status came (restored).
    known_name: str | None = None

    @property
    def key(self) -> str:
        """The site's key in its region, e.g. "2321/kall"."""
        return site_key(self.municipality, self.site_id)

    @property
    def name(self) -> str:
        """The site's own name (the status's `site`), else what it was known by."""
        site = (self.status or {}).get("site")
        if isinstance(site, str) and site:
            return site
        return self.known_name or self.site_id

    @property
    def heartbeat_s(self) -> float:
        """Seconds between the site's status messages, by its last status."""
        heartbeat = _number(_part(self.status, "uplink").get("heartbeat_s"))
        return heartbeat if heartbeat and heartbeat > 0 else DEFAULT_HEARTBEAT_S

    # -- taking messages in ----------------------------------------------------

    def hear(self, moment: datetime) -> None:
        """The site said something valid at `moment`."""
        if self.last_heard is None or moment > self.last_heard:
            self.last_heard = moment

    def take_status(self, status: dict[str, Any], heard: datetime) -> None:
        """A valid status: the last one wins."""
        self.status = status
        self.hear(heard)

    def take_event(self, event: Mapping[str, Any], heard: datetime) -> None:
        """A valid event: a failed start is remembered for the rank."""
        self.hear(heard)
        if event.get("kind") == "start_failed":
            at = parse_time(event["at"])
            if self.start_failed_at is None or at > self.start_failed_at:
                self.start_failed_at = at

    # -- what it means now -----------------------------------------------------

    def silent(self, now: datetime, settings: RegionSettings) -> bool:
        """Whether nothing valid came for longer than the site's allowance."""
        if self.last_heard is None:
            return True
        return now - self.last_heard > settings.silence(self.heartbeat_s)

    def online(self, now: datetime, settings: RegionSettings) -> bool:
        """Heard lately, and not said to be offline.

        A site that never published its availability (none retained) counts
        online while it is heard: the uplink says `online` first thing, so
        this is only a broker that lost it.
        """
        return self.available is not False and not self.silent(now, settings)

    def rank(self, now: datetime, settings: RegionSettings) -> Rank:
        """The site's rank (docs/mqtt.md, the contract's table), worst first."""
        status = self.status
        if status is None or not self.online(now, settings):
            return Rank.NO_DATA
        mode = status.get("mode")
        if mode == SiteMode.OUTAGE_NO_BACKUP:
            return Rank.OUTAGE_NO_BACKUP
        if mode == SiteMode.FAULT or self._start_failed_lately(now):
            return Rank.START_FAILED
        on_backup = _flag(status.get("on_backup_power")) is True or (
            mode in _BACKUP_MODES
        )
        in_outage = on_backup or _time_or_none(status.get("outage_started")) is not None
        autonomy = self.autonomy_h
        if in_outage and autonomy is not None and autonomy < settings.low_autonomy_h:
            return Rank.LOW_AUTONOMY
        if on_backup:
            return Rank.BACKUP_POWER
        return Rank.NORMAL

    def _start_failed_lately(self, now: datetime) -> bool:
        failed = self.start_failed_at
        if failed is None:
            return False
        outage = _time_or_none((self.status or {}).get("outage_started"))
        if outage is not None:
            return failed >= outage
        return now - failed <= START_FAILED_WINDOW

    @property
    def on_backup_power(self) -> bool | None:
        """The status's `on_backup_power`."""
        return _flag((self.status or {}).get("on_backup_power"))

    @property
    def autonomy_h(self) -> float | None:
        """Hours of fuel at the present load (`fuel.autonomy_h`)."""
        return _number(_part(self.status, "fuel").get("autonomy_h"))

    @property
    def warm_room_c(self) -> float | None:
        """The warm room's temperature (`warm_room.temperature_c`)."""
        return _number(_part(self.status, "warm_room").get("temperature_c"))

    @property
    def status_sent(self) -> datetime | None:
        """When the site sent its last status, by its clock."""
        return _time_or_none(_part(self.status, "uplink").get("sent"))

    @property
    def location(self) -> tuple[float, float] | None:
        """(latitude, longitude) from the status, if the site gave one."""
        place = _part(_part(self.status, "uplink"), "location")
        latitude, longitude = (
            _number(place.get("latitude")),
            _number(place.get("longitude")),
        )
        if latitude is None or longitude is None:
            return None
        return latitude, longitude

    def row(self, now: datetime, settings: RegionSettings) -> dict[str, Any]:
        """The site as the region object lists it."""
        status = self.status or {}
        location = self.location
        notices = status.get("notices")
        return {
            "key": self.key,
            "municipality": self.municipality,
            "site_id": self.site_id,
            "name": self.name,
            "rank": self.rank(now, settings).value,
            "online": self.online(now, settings),
            "last_heard": _iso(self.last_heard),
            "status_sent": _iso(self.status_sent),
            "mode": status.get("mode") if _text_field(status.get("mode")) else None,
            "mains_available": _flag(status.get("mains_available")),
            "on_backup_power": self.on_backup_power,
            "generator_running": _flag(status.get("generator_running")),
            "outage_started": _iso(_time_or_none(status.get("outage_started"))),
            "autonomy_h": self.autonomy_h,
            "warm_room_c": self.warm_room_c,
            "latitude": location[0] if location else None,
            "longitude": location[1] if location else None,
            "notices": len(notices) if isinstance(notices, list) else 0,
        }

    # -- kept on disk ----------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """What is stored of the site, so it outlives a restart."""
        return {
            "municipality": self.municipality,
            "site_id": self.site_id,
            "name": self.name,
            "status": self.status,
            "available": self.available,
            "last_heard": _iso(self.last_heard),
            "start_failed_at": _iso(self.start_failed_at),
        }

    @classmethod
    def load(cls, stored: Mapping[str, Any]) -> SiteView:
        """Back from `dump`; ValueError if it names no site."""
        municipality, site_id = stored.get("municipality"), stored.get("site_id")
        if not _text_field(municipality) or not _text_field(site_id):
            msg = f"not a stored site: {stored!r}"
            raise ValueError(msg)
        status = stored.get("status")
        available = stored.get("available")
        name = stored.get("name")
        return cls(
            municipality=str(municipality),
            site_id=str(site_id),
            status=status if isinstance(status, dict) else None,
            available=available if isinstance(available, bool) else None,
            last_heard=_time_or_none(stored.get("last_heard")),
            start_failed_at=_time_or_none(stored.get("start_failed_at")),
            known_name=name if isinstance(name, str) and name else None,
        )


# -- refusals -----------------------------------------------------------------------


@dataclass(slots=True)
class Refusals:
    """The messages refused from one site: how many, why, and the last one."""

    counts: dict[str, int] = field(default_factory=dict)
    last_reason: str | None = None
    last_detail: str | None = None
    last_at: datetime | None = None

    @property
    def total(self) -> int:
        """How many messages were refused in all."""
        return sum(self.counts.values())

    def add(self, refused: RefusedError, topic: str, at: datetime) -> None:
        """Count one refusal."""
        reason = refused.reason.value
        self.counts[reason] = self.counts.get(reason, 0) + 1
        self.last_reason = reason
        self.last_detail = f"{topic}: {refused.detail}"
        self.last_at = at

    def as_dict(self) -> dict[str, Any]:
        """For the region's diagnostics."""
        return {
            "total": self.total,
            "by_reason": dict(sorted(self.counts.items())),
            "last": {
                "reason": self.last_reason,
                "detail": self.last_detail,
                "at": _iso(self.last_at),
            },
        }


# -- the region ---------------------------------------------------------------------


def sort_key(
    view: SiteView, now: datetime, settings: RegionSettings
) -> tuple[int, str, str]:
    """Worst rank first, then by name."""
    return (_ORDER[view.rank(now, settings)], view.name.casefold(), view.key)


def region_object(
    name: str,
    county: str,
    views: Iterable[SiteView],
    now: datetime,
    settings: RegionSettings,
) -> dict[str, Any]:
    """The region as the regional page reads it (the websocket's payload)."""
    rows = [
        view.row(now, settings)
        for view in sorted(views, key=lambda view: sort_key(view, now, settings))
    ]
    counts = dict.fromkeys((rank.value for rank in RANKS), 0)
    for row in rows:
        counts[row["rank"]] += 1
    return {
        "schema": REGION_SCHEMA_VERSION,
        "region": name,
        "county": county,
        "updated": now.isoformat(),
        "counts": counts,
        "sites": rows,
    }
