"""What the page says, decided from the status: plain words, no markup.

Pure functions of the status, the options, the time and the language, so the
wording of every situation is tested without a server. The markup is
render.py's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from .official import Official
from .settings import Options
from .status import (
    Importance,
    Mode,
    Notice,
    Service,
    ServiceState,
    SiteStatus,
    Source,
)
from .texts import Lang, age, duration, hours, local_time, temperature, text

# Older than this, the page says its data may be out of date: the integration
# sends the status at least every 30 s while the site is polled.
STALE_AFTER: Final = timedelta(minutes=3)


class BannerKind(StrEnum):
    """The banner's look; each has its own colours (render.PALETTE)."""

    NORMAL = "normal"
    STARTING = "starting"
    BACKUP = "backup"
    NO_BACKUP = "no_backup"
    RETURNING = "returning"
    UNKNOWN = "unknown"


class Power(StrEnum):
    """Whether the site has power for what it offers."""

    WORKS = "works"
    STARTING = "starting"
    DOWN = "down"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Banner:
    """The status banner: the situation in a few words, and since when."""

    kind: BannerKind
    title: str
    detail: str | None


@dataclass(frozen=True, slots=True)
class ServiceLine:
    """One thing the site offers and whether it works now.

    Without a service board (schema 1) whether it works follows the power;
    with one, the association's or the site's state of each service, with
    its note (as the association wrote it, in `note_lang`), its opening
    hours and, where the site decides it, what it follows.
    """

    name: str
    power: Power
    state: str
    extra: str | None = None
    hours: str | None = None
    note: str | None = None
    note_lang: Lang | None = None
    follows: str | None = None


@dataclass(frozen=True, slots=True)
class NoticeLine:
    """One notice as shown: text in the reader's language where there is one."""

    text: str
    text_lang: Lang
    importance: Importance
    label: str | None
    published: str


@dataclass(frozen=True, slots=True)
class View:
    """Everything the page, the kiosk and the feed say about the site now."""

    lang: Lang
    site: str
    banner: Banner
    services: tuple[ServiceLine, ...]
    notices: tuple[NoticeLine, ...]
    fuel: str | None
    updated: str
    stale: bool
    # The local P4 station from the site's options, for the emergency part.
    radio: str | None = None
    # What the authorities say (official.py); None: the site fetches nothing.
    official: Official | None = None


_BANNERS: Final[dict[Mode, tuple[BannerKind, str]]] = {
    Mode.NORMAL: (BannerKind.NORMAL, "banner_normal"),
    Mode.TEST_RUN: (BannerKind.NORMAL, "banner_test_run"),
    Mode.OUTAGE_DETECTED: (BannerKind.STARTING, "banner_starting"),
    Mode.STARTING: (BannerKind.STARTING, "banner_starting"),
    Mode.BACKUP_POWER: (BannerKind.BACKUP, "banner_backup_power"),
    Mode.OUTAGE_NO_BACKUP: (BannerKind.NO_BACKUP, "banner_no_backup"),
    Mode.RETURNING: (BannerKind.RETURNING, "banner_returning"),
}
_POWER: Final[dict[BannerKind, Power]] = {
    BannerKind.NORMAL: Power.WORKS,
    BannerKind.RETURNING: Power.WORKS,
    BannerKind.BACKUP: Power.WORKS,
    BannerKind.STARTING: Power.STARTING,
    BannerKind.NO_BACKUP: Power.DOWN,
    BannerKind.UNKNOWN: Power.UNKNOWN,
}


def banner_kind(status: SiteStatus | None) -> tuple[BannerKind, str]:
    """The banner's kind and text key for a status."""
    if status is None:
        return BannerKind.UNKNOWN, "banner_no_data"
    if not status.reachable or status.mode is None:
        return BannerKind.UNKNOWN, "banner_unknown"
    if status.mode is Mode.FAULT:
        # "Fault" is the association's business (a device is silent, an
        # alarm); residents need to know whether there is power.
        if status.mains_available and status.outage_started is None:
            return BannerKind.NORMAL, "banner_normal"
        return BannerKind.UNKNOWN, "banner_unknown"
    return _BANNERS[status.mode]


def banner(status: SiteStatus | None, now: datetime, lang: Lang) -> Banner:
    """The banner's words."""
    kind, key = banner_kind(status)
    detail: str | None = None
    if status is None:
        detail = text(lang, "no_data_detail")
    elif kind is BannerKind.UNKNOWN:
        detail = text(lang, "unknown_detail")
    elif status.outage_started is not None and kind is not BannerKind.RETURNING:
        detail = text(
            lang,
            "since",
            time=local_time(status.outage_started, now, lang),
            duration=duration(now - status.outage_started, lang),
        )
    return Banner(kind, text(lang, key), detail)


_BOARD_POWER: Final[dict[ServiceState, Power]] = {
    ServiceState.OPEN: Power.WORKS,
    ServiceState.LIMITED: Power.STARTING,
    ServiceState.CLOSED: Power.DOWN,
    ServiceState.UNKNOWN: Power.UNKNOWN,
}
_FOLLOWS: Final[dict[Source, str]] = {
    Source.HEATER: "follows_heater",
    Source.PUMP_POWER: "follows_power",
}


def services(
    status: SiteStatus | None,
    options: Options,
    kind: BannerKind,
    lang: Lang,
    now: datetime | None = None,
) -> tuple[ServiceLine, ...]:
    """What the site offers, each with whether it works now.

    The service board when the status has one; otherwise (schema 1, or a
    site that lists no services) what the options offer, following the power.
    """
    if status is not None and status.services:
        return tuple(
            _board_line(service, status, kind, lang, now or status.updated)
            for service in status.services
        )
    power = _POWER[kind]
    lines = []
    for name in options.offers:
        extra = None
        if name == "warm_room" and power is not Power.UNKNOWN:
            extra = _room(status, lang)
        lines.append(
            ServiceLine(
                text(lang, f"svc_{name}"), power, text(lang, f"state_{power}"), extra
            )
        )
    return tuple(lines)


def _room(status: SiteStatus | None, lang: Lang) -> str | None:
    if status is None or status.room_temperature_c is None:
        return None
    return text(
        lang,
        "room_temperature",
        temperature=temperature(status.room_temperature_c, lang),
    )


def _board_line(
    service: Service,
    status: SiteStatus,
    kind: BannerKind,
    lang: Lang,
    now: datetime | None,
) -> ServiceLine:
    extra = None
    if service.key == "warm_room" and kind is not BannerKind.UNKNOWN:
        extra = _room(status, lang)
    follows = None
    if service.source in _FOLLOWS:
        follows = text(lang, _FOLLOWS[service.source])
    elif service.source is Source.STALE and service.updated and now:
        when = local_time(service.updated, now, lang)
        follows = text(lang, "board_stale", time=when)
    return ServiceLine(
        name=text(lang, f"svc_{service.key}"),
        power=_BOARD_POWER[service.state],
        state=text(lang, f"board_{service.state}"),
        extra=extra,
        hours=text(lang, "board_hours", hours=service.hours) if service.hours else None,
        note=service.note,
        # The association writes its notes in Swedish.
        note_lang="sv",
        follows=follows,
    )


def notice_lines(
    notices: tuple[Notice, ...], now: datetime, lang: Lang
) -> tuple[NoticeLine, ...]:
    """Notices still valid at `now`, newest first, in the reader's language."""
    shown = [n for n in notices if n.expires is None or now < n.expires]
    shown.sort(key=lambda n: (n.published, n.id), reverse=True)
    return tuple(_notice_line(n, now, lang) for n in shown)


def _notice_line(notice: Notice, now: datetime, lang: Lang) -> NoticeLine:
    english = lang == "en" and notice.text_en is not None
    label = None
    if notice.importance is not Importance.INFO:
        label = text(lang, f"importance_{notice.importance}")
    return NoticeLine(
        text=notice.text_en if english and notice.text_en else notice.text_sv,
        text_lang="en" if english else "sv",
        importance=notice.importance,
        label=label,
        published=text(lang, "published", time=local_time(notice.published, now, lang)),
    )


def fuel_line(status: SiteStatus | None, options: Options, lang: Lang) -> str | None:
    """How long the diesel lasts, when the options allow showing it."""
    if not options.show_fuel_autonomy or status is None or not status.reachable:
        return None
    autonomy = status.fuel.autonomy_h
    if autonomy is None:
        return None
    return text(lang, "fuel_autonomy", hours=hours(autonomy, lang))


def updated_line(status: SiteStatus | None, now: datetime, lang: Lang) -> str:
    """The last-updated line: time and age of the data."""
    if status is None or status.updated is None:
        return text(lang, "never_updated")
    return text(
        lang,
        "updated",
        time=local_time(status.updated, now, lang),
        age=age(status.updated, now, lang),
    )


def is_stale(status: SiteStatus | None, now: datetime) -> bool:
    """Whether the data is older than a live site would leave it."""
    if status is None or status.updated is None:
        return True
    return now - status.updated > STALE_AFTER


def build_view(
    status: SiteStatus | None, options: Options, now: datetime, lang: Lang
) -> View:
    """The whole view of the site for one language at one moment."""
    top = banner(status, now, lang)
    return View(
        lang=lang,
        site=status.site if status else "SOT-punkt",
        banner=top,
        services=services(status, options, top.kind, lang, now),
        notices=notice_lines(status.notices if status else (), now, lang),
        fuel=fuel_line(status, options, lang),
        updated=updated_line(status, now, lang),
        stale=is_stale(status, now),
        radio=status.local_radio if status else None,
    )
