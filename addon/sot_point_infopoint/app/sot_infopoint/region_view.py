"""What the regional overview says, decided from the region object: words, no markup.

Pure functions of the region, the time and the language, as view.py is for
the site's page; region_render.py turns this into HTML and SVG. The rows keep
the integration's order (worst rank first); the add-on adds only what its own
clock knows: how old each row's data is, and whether the whole object is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from .region import Location, Rank, Region, RegionSite
from .region_texts import municipality_name, rank_words, rtext
from .texts import Lang, duration, local_time, number, temperature

# The integration sends the region object at least every 30 s; three missed
# heartbeats and the page says that what it shows may be out of date.
REGION_STALE_AFTER: Final = timedelta(seconds=90)
# Ranks whose row says since when the outage has lasted.
_OUTAGE_RANKS: Final = frozenset(
    {
        Rank.OUTAGE_NO_BACKUP,
        Rank.START_FAILED,
        Rank.LOW_AUTONOMY,
        Rank.BACKUP_POWER,
    }
)


@dataclass(frozen=True, slots=True)
class SiteRow:
    """One site as its row and its dot on the map say it."""

    number: int
    key: str
    name: str
    municipality: str
    rank: Rank
    rank_words: str
    detail: str | None
    autonomy: str
    warm_room: str
    age: str
    location: Location | None


@dataclass(frozen=True, slots=True)
class CountLine:
    """How many sites have one rank."""

    rank: Rank
    count: int
    words: str


@dataclass(frozen=True, slots=True)
class RegionView:
    """Everything the overview and the kiosk say about the region now."""

    lang: Lang
    title: str
    has_data: bool
    built: str | None
    stale: str | None
    total: str
    counts: tuple[CountLine, ...]
    rows: tuple[SiteRow, ...]

    @property
    def unplaced(self) -> tuple[SiteRow, ...]:
        """The rows without coordinates (listed beside the map)."""
        return tuple(row for row in self.rows if row.location is None)


def heard_age(moment: datetime | None, now: datetime, lang: Lang) -> str:
    """`för 2 min sedan` / `2 min ago`; `just nu` under a minute; `aldrig` for None.

    A moment ahead of the add-on's clock (the two clocks disagree a little)
    is `just nu`, never a negative age.
    """
    if moment is None:
        return rtext(lang, "heard_never")
    span = now - moment
    if span < timedelta(minutes=1):
        return rtext(lang, "heard_just_now")
    return rtext(lang, "heard_ago", duration=duration(span, lang))


def autonomy_text(hours_left: float | None, lang: Lang) -> str:
    """`61 tim` / `61 h`; one decimal under ten hours (`4,5 tim`); a dash if unknown."""
    if hours_left is None:
        return rtext(lang, "not_reported")
    shown = number(hours_left, lang, 1 if hours_left < 10 else 0)
    return rtext(lang, "autonomy", hours=shown)


def warm_room_text(celsius: float | None, lang: Lang) -> str:
    """`19,5 °C`, or a dash when the site has no warm room reading."""
    if celsius is None:
        return rtext(lang, "not_reported")
    return temperature(celsius, lang)


def site_row(site: RegionSite, position: int, now: datetime, lang: Lang) -> SiteRow:
    """The row of one site, numbered from 1 in the region's order."""
    detail = None
    if site.outage_started is not None and site.rank in _OUTAGE_RANKS:
        detail = rtext(
            lang, "outage_since", time=local_time(site.outage_started, now, lang)
        )
    return SiteRow(
        number=position,
        key=site.key,
        name=site.name,
        municipality=municipality_name(site.municipality),
        rank=site.rank,
        rank_words=rank_words(site.rank, lang),
        detail=detail,
        autonomy=autonomy_text(site.autonomy_h, lang),
        warm_room=warm_room_text(site.warm_room_c, lang),
        age=heard_age(site.last_heard, now, lang),
        location=site.location,
    )


def total_text(count: int, lang: Lang) -> str:
    """`1 SOT-punkt`, `20 SOT-punkter`."""
    if count == 1:
        return rtext(lang, "total_one")
    return rtext(lang, "total_many", count=str(count))


def stale_text(region: Region, now: datetime, lang: Lang) -> str | None:
    """What the page says when the region object has stopped coming; else None."""
    span = now - region.updated
    if span <= REGION_STALE_AFTER:
        return None
    return rtext(
        lang,
        "stale",
        duration=duration(span, lang),
        time=local_time(region.updated, now, lang),
    )


def build_region_view(region: Region | None, now: datetime, lang: Lang) -> RegionView:
    """The whole overview for one language at one moment."""
    if region is None:
        return RegionView(
            lang=lang,
            title=rtext(lang, "no_region"),
            has_data=False,
            built=None,
            stale=None,
            total=total_text(0, lang),
            counts=tuple(CountLine(rank, 0, rank_words(rank, lang)) for rank in Rank),
            rows=(),
        )
    counts = region.counts()
    return RegionView(
        lang=lang,
        title=region.name,
        has_data=True,
        built=rtext(
            lang,
            "built",
            time=local_time(region.updated, now, lang),
            age=heard_age(region.updated, now, lang),
        ),
        stale=stale_text(region, now, lang),
        total=total_text(len(region.sites), lang),
        counts=tuple(
            CountLine(rank, count, rank_words(rank, lang))
            for rank, count in counts.items()
        ),
        rows=tuple(
            site_row(site, position, now, lang)
            for position, site in enumerate(region.sites, start=1)
        ),
    )
