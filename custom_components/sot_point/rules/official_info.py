"""Official information from Krisinformation.se, as plain data.

When the box has internet the integration fetches Krisinformation's API v3
(`/news` and `/vmas`, JSON; docs/status.md) for the site's county, keeps the
items that concern the site's municipality or county (or the whole country),
and shows them on the info page with their source, time and a link. The items
are CAP-derived: an identifier, a headline, a short text, when published and
updated, the areas they concern (SCB county and municipality codes, with
names), a link and an expiry. This module reads them, decides what is still
current and builds the status object's `official` part; official_info.py
fetches and stores. Nothing here needs the internet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from html import unescape
import re
from typing import Any, Final

from .uplink import CONF_COUNTY, CONF_MUNICIPALITY, COUNTIES, uplink_section

DEFAULT_BASE_URL: Final = "https://api.krisinformation.se/v3"
# A site option the form does not show: where the API is (the tests' own
# server); the default is Krisinformation's.
CONF_OFFICIAL_BASE_URL: Final = "official_base_url"
FETCH_INTERVAL: Final = timedelta(minutes=10)
# An item without an expiry of its own leaves the page this long after it
# was last updated: news stay for days, a VMA is about the hour it is sent.
NEWS_LIFETIME: Final = timedelta(days=3)
VMA_LIFETIME: Final = timedelta(hours=12)
# The page is no wall of news: the newest few are enough.
MAX_ITEMS: Final = 8
SOURCE_NEWS: Final = "krisinformation"
SOURCE_VMA: Final = "vma"
_MUNICIPALITY: Final = re.compile(r"\d{4}")
_TAG: Final = re.compile(r"<[^>]*>")
_SPACE: Final = re.compile(r"\s+")


class OfficialFormatError(ValueError):
    """A response that is not a list of Krisinformation items."""


@dataclass(frozen=True, slots=True)
class Area:
    """Where the site is, for official information: SCB codes and a place."""

    county: str
    municipality: str
    location: Mapping[str, float] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The status object's `official.area`."""
        return {
            "county": self.county,
            "municipality": self.municipality,
            "location": dict(self.location) if self.location else None,
        }


def official_area(
    options: Mapping[str, Any], location: Mapping[str, float] | None
) -> Area | None:
    """The site's county and municipality, from the uplink's section.

    The uplink's SCB codes say where the site is whether or not the uplink
    itself is on; without them nothing is fetched (a site cannot be told
    apart from the whole country).
    """
    section = uplink_section(options)
    county = str(section.get(CONF_COUNTY) or "").strip()
    municipality = str(section.get(CONF_MUNICIPALITY) or "").strip()
    if (
        county not in COUNTIES
        or not _MUNICIPALITY.fullmatch(municipality)
        or not municipality.startswith(county)
    ):
        return None
    return Area(county, municipality, location)


@dataclass(frozen=True, slots=True)
class ItemArea:
    """One area an item concerns: its kind, SCB code (if given) and name."""

    type: str
    code: str | None
    name: str


@dataclass(frozen=True, slots=True)
class OfficialItem:
    """One item of official information, as kept and shown."""

    id: str
    source: str
    headline: str
    summary: str
    published: datetime
    updated: datetime
    expires: datetime
    link: str | None
    areas: tuple[ItemArea, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """As the store and the status object hold it."""
        return {
            "id": self.id,
            "source": self.source,
            "headline": self.headline,
            "summary": self.summary,
            "published": self.published.isoformat(),
            "updated": self.updated.isoformat(),
            "expires": self.expires.isoformat(),
            "link": self.link,
            "areas": [
                {"type": a.type, "code": a.code, "name": a.name} for a in self.areas
            ],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> OfficialItem:
        """From the store."""
        return cls(
            id=str(raw["id"]),
            source=str(raw["source"]),
            headline=str(raw["headline"]),
            summary=str(raw.get("summary") or ""),
            published=datetime.fromisoformat(raw["published"]),
            updated=datetime.fromisoformat(raw["updated"]),
            expires=datetime.fromisoformat(raw["expires"]),
            link=raw.get("link"),
            areas=tuple(
                ItemArea(str(a["type"]), a.get("code"), str(a["name"]))
                for a in raw.get("areas") or ()
            ),
        )


def plain_text(value: Any) -> str:
    """Text of an API field that may hold HTML: tags out, entities read."""
    return _SPACE.sub(" ", unescape(_TAG.sub(" ", str(value or "")))).strip()


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        msg = f"a time without an offset: {value!r}"
        raise ValueError(msg)
    return moment


def _areas(value: Any) -> tuple[ItemArea, ...]:
    if not isinstance(value, list):
        return ()
    found = []
    for area in value:
        if not isinstance(area, Mapping):
            continue
        code = area.get("Code")
        found.append(
            ItemArea(
                type=str(area.get("Type") or ""),
                code=str(code) if code not in (None, "") else None,
                name=plain_text(area.get("Description")),
            )
        )
    return tuple(found)


def parse_item(raw: Mapping[str, Any], source: str) -> OfficialItem:
    """One API v3 item (`/news` or `/vmas`); ValueError/KeyError if malformed."""
    published = _time(raw.get("Published"))
    if published is None:
        msg = "an item without a publication time"
        raise ValueError(msg)
    updated = _time(raw.get("Updated")) or published
    lifetime = VMA_LIFETIME if source == SOURCE_VMA else NEWS_LIFETIME
    expires = _time(raw.get("Expires")) or updated + lifetime
    identifier = str(raw.get("Identifier") or "").strip()
    headline = plain_text(raw.get("Headline"))
    if not identifier or not headline:
        msg = "an item without an identifier or a headline"
        raise ValueError(msg)
    summary = plain_text(raw.get("PushMessage") or raw.get("Preamble"))
    link = str(raw.get("Web") or "").strip()
    return OfficialItem(
        id=identifier,
        source=source,
        headline=headline,
        summary=summary,
        published=published,
        updated=updated,
        expires=expires,
        link=link if link.startswith(("https://", "http://")) else None,
        areas=_areas(raw.get("Area")),
    )


def parse_items(payload: Any, source: str) -> list[OfficialItem]:
    """Every readable item of a response; OfficialFormatError if it is no list.

    An item that cannot be read is left out rather than failing the rest: one
    odd item must not hide a VMA.
    """
    if not isinstance(payload, list):
        msg = f"expected a list of items, not {type(payload).__name__}"
        raise OfficialFormatError(msg)
    items = []
    for raw in payload:
        if not isinstance(raw, Mapping) or raw.get("IsTest") is True:
            continue
        try:
            items.append(parse_item(raw, source))
        except ValueError, KeyError, TypeError:
            continue
    return items


def concerns(item: OfficialItem, area: Area) -> bool:
    """Whether an item is for the site: its municipality, county or country."""
    if not item.areas:
        return True  # no area given: the whole country
    county_name = COUNTIES.get(area.county, "")
    for place in item.areas:
        kind = place.type.lower()
        if kind == "country":
            return True
        if kind == "county" and (
            place.code == area.county or (not place.code and place.name == county_name)
        ):
            return True
        if kind == "municipality" and place.code == area.municipality:
            return True
    return False


def current(items: Iterable[OfficialItem], now: datetime) -> list[OfficialItem]:
    """Items not yet expired, newest first, at most MAX_ITEMS."""
    kept = [item for item in items if item.expires > now]
    kept.sort(key=lambda item: (item.updated, item.id), reverse=True)
    return kept[:MAX_ITEMS]


@dataclass(frozen=True, slots=True)
class OfficialState:
    """What the site knows from the authorities, and since when."""

    items: tuple[OfficialItem, ...] = ()
    # The last fetch that worked; None: never.
    fetched_at: datetime | None = None
    # The last fetch that failed after it; None: the last one worked.
    failed_at: datetime | None = None

    def fetched(
        self, items: Iterable[OfficialItem], area: Area, now: datetime
    ) -> OfficialState:
        """A fetch worked: these are the items now."""
        mine = [item for item in items if concerns(item, area)]
        unique = {item.id: item for item in mine}.values()
        return OfficialState(tuple(current(unique, now)), now, None)

    def failed(self, now: datetime) -> OfficialState:
        """A fetch failed: the last items stay, and their age shows."""
        return replace(self, failed_at=now)

    def as_dict(self) -> dict[str, Any]:
        """As the store keeps it."""
        return {
            "items": [item.as_dict() for item in self.items],
            "fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
            "failed_at": self.failed_at.isoformat() if self.failed_at else None,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> OfficialState:
        """From the store; anything unreadable starts empty."""
        items = tuple(OfficialItem.from_dict(i) for i in raw.get("items") or ())
        fetched = raw.get("fetched_at")
        failed = raw.get("failed_at")
        return cls(
            items,
            datetime.fromisoformat(fetched) if fetched else None,
            datetime.fromisoformat(failed) if failed else None,
        )


def official_status(
    state: OfficialState | None, area: Area | None, now: datetime
) -> dict[str, Any] | None:
    """The status object's `official` part; None when the site has no area."""
    if area is None:
        return None
    state = state or OfficialState()
    return {
        "area": area.as_dict(),
        "fetched_at": state.fetched_at.isoformat() if state.fetched_at else None,
        "failed_at": state.failed_at.isoformat() if state.failed_at else None,
        "items": [
            {k: v for k, v in item.as_dict().items() if k != "areas"}
            for item in current(state.items, now)
        ],
    }
