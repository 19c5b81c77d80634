"""`/cap.xml`: the site's notices and power state as CAP 1.2 alerts.

The Common Alerting Protocol (OASIS CAP 1.2) is what alert aggregators and
Sweden's own VMA chain read. The document is an Atom feed (RFC 4287) with one
entry per alert, each entry holding its whole `<alert>` inline as
`application/cap+xml`: one address gives every current alert, as the
national feeds do, and each alert stands on its own.

An alert's identifier stays the same for as long as what it says does: a
notice is one alert from its publication on; the power state is one alert
from the moment it began. When either changes, the new alert is an `Update`
that `references` the one before. `CapMemory` keeps those (identifier, sent)
pairs in a small file beside the state, so a restart changes nothing an
aggregator has seen.

Times are CAP's dateTime: seconds, an explicit offset, never "Z" (CAP 1.2
§3.3.2), in Stockholm's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
import hashlib
import json
import logging
import os
from pathlib import Path
import re
from typing import Any, Final
import unicodedata
import uuid
from xml.sax.saxutils import escape, quoteattr

from .status import Importance, Notice, SiteStatus
from .texts import LANGUAGES, TIME_ZONE, Lang, date_time, text
from .view import BannerKind, banner_kind

LOGGER = logging.getLogger(__name__)
CAP_NAMESPACE: Final = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_FILE: Final = "cap.json"
# A fixed namespace: the same site and content give the same identifier.
_ID_NAMESPACE: Final = uuid.UUID("0d6f0c38-5f55-4a5e-9a2b-8c7e6f1d2a43")
_CAP_LANGUAGE: Final[dict[Lang, str]] = {"sv": "sv-SE", "en": "en-US"}
# XML 1.0 forbids these characters outright; a notice typed with one is
# still published, without it.
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_WORDS: Final[dict[Lang, dict[str, str]]] = {
    "sv": {
        "power_event": "Elförsörjning vid SOT-punkten",
        "notice_event": "Meddelande från SOT-punkten",
        "since": "Sedan {time}.",
    },
    "en": {
        "power_event": "Power supply at the SOT point",
        "notice_event": "Notice from the SOT point",
        "since": "Since {time}.",
    },
}
# urgency, severity, certainty (CAP 1.2 §3.2.2) of each power state.
_POWER_GRADES: Final[dict[BannerKind, tuple[str, str, str]]] = {
    BannerKind.NORMAL: ("Past", "Minor", "Observed"),
    BannerKind.RETURNING: ("Past", "Minor", "Observed"),
    BannerKind.STARTING: ("Immediate", "Moderate", "Observed"),
    BannerKind.BACKUP: ("Immediate", "Moderate", "Observed"),
    BannerKind.NO_BACKUP: ("Immediate", "Severe", "Observed"),
    BannerKind.UNKNOWN: ("Unknown", "Unknown", "Unknown"),
}
_NOTICE_GRADES: Final[dict[Importance, tuple[str, str, str]]] = {
    Importance.URGENT: ("Immediate", "Moderate", "Observed"),
    Importance.IMPORTANT: ("Expected", "Minor", "Observed"),
    Importance.INFO: ("Unknown", "Minor", "Observed"),
}
_BANNER_KEYS: Final[dict[BannerKind, str]] = {
    BannerKind.NORMAL: "banner_normal",
    BannerKind.RETURNING: "banner_returning",
    BannerKind.STARTING: "banner_starting",
    BannerKind.BACKUP: "banner_backup_power",
    BannerKind.NO_BACKUP: "banner_no_backup",
    BannerKind.UNKNOWN: "banner_unknown",
}


def cap_time(moment: datetime) -> str:
    """CAP's dateTime: local time to the second with its offset, never "Z"."""
    return moment.astimezone(TIME_ZONE).replace(microsecond=0).isoformat()


def clean(value: str) -> str:
    """Text without the characters XML cannot carry, escaped."""
    return escape(_NOT_XML.sub("", value))


def sender_for(site: str) -> str:
    """The alerts' sender: the site's name in plain letters (no space or comma)."""
    ascii_name = unicodedata.normalize("NFKD", site).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "site"
    return f"sot-point.{slug}"


@dataclass(frozen=True, slots=True)
class Version:
    """One alert as sent: what it said (a digest), its identifier and time."""

    digest: str
    identifier: str
    sent: datetime
    # The alert this one updates: (identifier, sent); None for a first alert.
    previous: tuple[str, datetime] | None = None

    def as_dict(self) -> dict[str, Any]:
        """For the memory file."""
        return {
            "digest": self.digest,
            "identifier": self.identifier,
            "sent": self.sent.isoformat(),
            "previous": [self.previous[0], self.previous[1].isoformat()]
            if self.previous
            else None,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Version:
        """From the memory file."""
        previous = raw.get("previous")
        return cls(
            digest=str(raw["digest"]),
            identifier=str(raw["identifier"]),
            sent=datetime.fromisoformat(raw["sent"]),
            previous=(str(previous[0]), datetime.fromisoformat(previous[1]))
            if previous
            else None,
        )


class CapMemory:
    """The current version of each alert, kept in `cap.json` across restarts."""

    def __init__(self, data_dir: Path | None) -> None:
        """Read nothing yet; `load` does."""
        self.path = data_dir / CAP_FILE if data_dir is not None else None
        self.versions: dict[str, Version] = {}

    def load(self) -> None:
        """Read the file; an unreadable one starts the memory afresh."""
        if self.path is None:
            return
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            self.versions = {k: Version.from_dict(v) for k, v in raw.items()}
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError, IndexError) as err:
            LOGGER.warning("starting the CAP memory afresh: %s", err)
            self.versions = {}

    def version(self, key: str, site: str, digest: str, sent: datetime) -> Version:
        """The alert for `key` saying `digest`: the same one, or an update."""
        known = self.versions.get(key)
        if known is not None and known.digest == digest:
            return known
        identifier = str(uuid.uuid5(_ID_NAMESPACE, f"{site}|{key}|{digest}"))
        previous = (known.identifier, known.sent) if known is not None else None
        if previous is not None and sent <= previous[1]:
            sent = previous[1]  # an update is never older than what it updates
        made = Version(digest, identifier, sent, previous)
        self.versions[key] = made
        self._save()
        return made

    def forget_others(self, keep: set[str]) -> None:
        """Drop the alerts no longer current (a notice cleared or expired)."""
        if set(self.versions) - keep:
            self.versions = {k: v for k, v in self.versions.items() if k in keep}
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        data = {k: v.as_dict() for k, v in self.versions.items()}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            with temporary.open("w", encoding="utf-8") as out:
                json.dump(data, out)
                out.flush()
                os.fsync(out.fileno())
            temporary.replace(self.path)
        except OSError as err:
            LOGGER.warning("could not save the CAP memory: %s", err)


@dataclass(frozen=True, slots=True)
class Place:
    """Where the site is, as far as the status tells."""

    name: str
    municipality: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class Info:
    """One language's `<info>`."""

    lang: Lang
    event: str
    grades: tuple[str, str, str]
    category: str
    headline: str
    description: str
    expires: datetime | None


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def _power_since(status: SiteStatus | None, kind: BannerKind) -> datetime | None:
    if status is None or kind is BannerKind.UNKNOWN:
        return None
    return status.outage_started


def _power_infos(
    status: SiteStatus | None, kind: BannerKind, since: datetime | None
) -> list[Info]:
    infos = []
    for lang in LANGUAGES:
        words = _WORDS[lang]
        description = (
            words["since"].format(time=date_time(since, lang)) if since else ""
        )
        infos.append(
            Info(
                lang=lang,
                event=words["power_event"],
                grades=_POWER_GRADES[kind],
                category="Infra",
                headline=text(lang, _BANNER_KEYS[kind]),
                description=description,
                expires=None,
            )
        )
    return infos


def _notice_infos(notice: Notice) -> list[Info]:
    infos = []
    for lang in LANGUAGES:
        body = notice.text_en if lang == "en" and notice.text_en else notice.text_sv
        headline = body if len(body) <= 80 else body[:79] + "…"
        infos.append(
            Info(
                lang=lang,
                event=_WORDS[lang]["notice_event"],
                grades=_NOTICE_GRADES[notice.importance],
                category="Other",
                headline=headline,
                description=body,
                expires=notice.expires,
            )
        )
    return infos


def _area(place: Place) -> str:
    parts = [f"<areaDesc>{clean(place.name)}</areaDesc>"]
    if place.latitude is not None and place.longitude is not None:
        # A circle of 1 km round the point: the village the site serves.
        circle = f"{place.latitude:.3f},{place.longitude:.3f} 1.0"
        parts.append(f"<circle>{circle}</circle>")
    if place.municipality:
        parts.append(
            "<geocode><valueName>Kommun</valueName>"
            f"<value>{clean(place.municipality)}</value></geocode>"
        )
    return "<area>" + "".join(parts) + "</area>"


def _info(info: Info, site: str, web: str | None, place: Place) -> str:
    urgency, severity, certainty = info.grades
    parts = [
        f"<language>{_CAP_LANGUAGE[info.lang]}</language>",
        f"<category>{info.category}</category>",
        f"<event>{clean(info.event)}</event>",
        f"<urgency>{urgency}</urgency>",
        f"<severity>{severity}</severity>",
        f"<certainty>{certainty}</certainty>",
    ]
    if info.expires is not None:
        parts.append(f"<expires>{cap_time(info.expires)}</expires>")
    parts.append(f"<senderName>{clean(site)}</senderName>")
    parts.append(f"<headline>{clean(info.headline)}</headline>")
    if info.description:
        parts.append(f"<description>{clean(info.description)}</description>")
    if web:
        parts.append(f"<web>{clean(web)}</web>")
    parts.append(_area(place))
    return "<info>" + "".join(parts) + "</info>"


def alert_xml(
    version: Version,
    sender: str,
    infos: list[Info],
    *,
    site: str,
    web: str | None,
    place: Place,
) -> str:
    """One `<alert>` (CAP 1.2 §3.2.1, its elements in the schema's order)."""
    parts = [
        f"<identifier>{version.identifier}</identifier>",
        f"<sender>{sender}</sender>",
        f"<sent>{cap_time(version.sent)}</sent>",
        "<status>Actual</status>",
        f"<msgType>{'Update' if version.previous else 'Alert'}</msgType>",
        "<scope>Public</scope>",
    ]
    if version.previous is not None:
        identifier, sent = version.previous
        parts.append(f"<references>{sender},{identifier},{cap_time(sent)}</references>")
    parts.extend(_info(info, site, web, place) for info in infos)
    return f'<alert xmlns="{CAP_NAMESPACE}">' + "".join(parts) + "</alert>"


def current_alerts(
    status: SiteStatus | None,
    memory: CapMemory,
    now: datetime,
) -> list[tuple[Version, list[Info]]]:
    """The power state's alert, then each notice's still in force."""
    site = status.site if status else "SOT-punkt"
    kind, _ = banner_kind(status)
    since = _power_since(status, kind)
    power = memory.version("power", site, _digest(kind, since), since or now)
    found = [(power, _power_infos(status, kind, since))]
    keep = {"power"}
    for notice in status.notices if status else ():
        if notice.expires is not None and notice.expires <= now:
            continue
        key = f"notice:{notice.id}"
        keep.add(key)
        digest = _digest(
            notice.text_sv, notice.text_en, notice.importance, notice.expires
        )
        version = memory.version(key, site, digest, notice.published)
        found.append((version, _notice_infos(notice)))
    memory.forget_others(keep)
    return found


def cap_feed(
    status: SiteStatus | None,
    memory: CapMemory,
    now: datetime,
    *,
    public_url: str | None,
    place: Place | None = None,
) -> str:
    """The Atom feed of the current CAP alerts."""
    site = status.site if status else "SOT-punkt"
    where = place or Place(site)
    sender = sender_for(site)
    base = (public_url or "").rstrip("/")
    web = f"{base}/" if base else None
    alerts = current_alerts(status, memory, now)
    newest = max(version.sent for version, _ in alerts)
    entries = []
    for version, infos in alerts:
        title = infos[0].headline
        entries.append(
            f"<entry><id>urn:uuid:{version.identifier}</id>"
            f"<title>{clean(title)}</title>"
            f"<updated>{cap_time(version.sent)}</updated>"
            '<content type="application/cap+xml">'
            + alert_xml(version, sender, infos, site=site, web=web, place=where)
            + "</content></entry>"
        )
    self_link = f"{base}/cap.xml" if base else "cap.xml"
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="sv">'
        f"<id>urn:uuid:{uuid.uuid5(_ID_NAMESPACE, site)}</id>"
        f"<title>{clean(site)}: CAP</title>"
        f"<updated>{cap_time(newest)}</updated>"
        f"<author><name>{clean(site)}</name></author>"
        f'<link rel="self" href={quoteattr(self_link)}/>' + "".join(entries) + "</feed>"
    )


def place_of(raw: dict[str, Any] | None) -> Place | None:
    """Where the site is: its name, and what `official.area` tells.

    That is its municipality's SCB code and its place to about 100 m (status
    schema 2), when known.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("site"), str):
        return None
    official = raw.get("official")
    area = official.get("area") if isinstance(official, dict) else None
    if not isinstance(area, dict):
        return Place(raw["site"])
    municipality = area.get("municipality")
    location = area.get("location")
    latitude = longitude = None
    if isinstance(location, dict):
        latitude, longitude = (
            _coordinate(location, "latitude", 90),
            _coordinate(location, "longitude", 180),
        )
    return Place(
        raw["site"],
        municipality
        if isinstance(municipality, str) and municipality.isdigit()
        else None,
        latitude if longitude is not None else None,
        longitude if latitude is not None else None,
    )


def _coordinate(location: dict[str, Any], key: str, limit: float) -> float | None:
    value = location.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if -limit <= value <= limit else None
