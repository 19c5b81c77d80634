# ruff: noqa: RUF001 - the words use the Swedish dash
"""What the authorities say: the status object's `official` part on the page.

The integration fetches Krisinformation.se's news and VMA warnings when the
box has internet (custom_components/sot_point/official_info.py) and sends
them in the status object (docs/status.md). Each item is shown with its
source, its time and a link; when the last fetch failed, or is older than a
live connection would leave it, the section says when it was fetched and that
it may be out of date. Expired items are not shown. The items are in Swedish,
as Krisinformation publishes them; the English page marks them so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any, Final

from .texts import Lang, local_time

# The integration fetches every 10 minutes; older than this, something is off.
STALE_AFTER: Final = timedelta(minutes=30)
_WORDS: Final[dict[Lang, dict[str, str]]] = {
    "sv": {
        "heading": "Myndigheterna informerar",
        "krisinformation": "Krisinformation.se",
        "vma": "VMA – Viktigt meddelande till allmänheten",
        "published": "{source}, {time}",
        "link": "Läs mer",
        "fetched": "Hämtat {time}.",
        "stale": "Hämtat {time}, kan vara inaktuellt.",
        "none": "Inga meddelanden från myndigheterna för området just nu.",
        "never": "Ingen information från myndigheterna har kunnat hämtas än.",
    },
    "en": {
        "heading": "From the authorities",
        "krisinformation": "Krisinformation.se",
        "vma": "VMA – Important Public Announcement",
        "published": "{source}, {time}",
        "link": "Read more",
        "fetched": "Fetched {time}.",
        "stale": "Fetched {time}, may be out of date.",
        "none": "No messages from the authorities for the area right now.",
        "never": "No information from the authorities could be fetched yet.",
    },
}


@dataclass(frozen=True, slots=True)
class OfficialLine:
    """One item as shown."""

    headline: str
    summary: str
    meta: str
    link: str | None
    vma: bool


@dataclass(frozen=True, slots=True)
class Official:
    """The section: its items and how fresh they are."""

    lines: tuple[OfficialLine, ...]
    fetched: str
    stale: bool


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _line(raw: Any, now: datetime, lang: Lang) -> OfficialLine | None:
    if not isinstance(raw, dict):
        return None
    headline, updated = raw.get("headline"), _time(raw.get("updated"))
    expires = _time(raw.get("expires"))
    if not isinstance(headline, str) or updated is None:
        return None
    if expires is not None and expires <= now:
        return None
    vma = raw.get("source") == "vma"
    words = _WORDS[lang]
    link = raw.get("link")
    summary = raw.get("summary")
    return OfficialLine(
        headline=headline,
        summary=summary if isinstance(summary, str) else "",
        meta=words["published"].format(
            source=words["vma" if vma else "krisinformation"],
            time=local_time(updated, now, lang),
        ),
        link=link if isinstance(link, str) and link.startswith("https://") else None,
        vma=vma,
    )


def official_view(
    raw: dict[str, Any] | None, now: datetime, lang: Lang
) -> Official | None:
    """The section for the status as it came; None when the site has none."""
    part = raw.get("official") if isinstance(raw, dict) else None
    if not isinstance(part, dict):
        return None
    items = part.get("items")
    lines = tuple(
        line
        for line in (
            _line(item, now, lang)
            for item in (items if isinstance(items, list) else ())
        )
        if line is not None
    )
    fetched_at, failed_at = _time(part.get("fetched_at")), _time(part.get("failed_at"))
    words = _WORDS[lang]
    if fetched_at is None:
        return Official(lines, words["never"], stale=True)
    stale = failed_at is not None or now - fetched_at > STALE_AFTER
    fetched = words["stale" if stale else "fetched"].format(
        time=local_time(fetched_at, now, lang)
    )
    return Official(lines, fetched, stale=stale)


def official_section(official: Official | None, lang: Lang, *, links: bool) -> str:
    """The section's HTML; links off on the kiosk (nobody can follow them)."""
    if official is None:
        return ""
    words = _WORDS[lang]
    items = []
    for line in official.lines:
        text_lang = ' lang="sv"' if lang != "sv" else ""
        summary = f"<p{text_lang}>{escape(line.summary)}</p>" if line.summary else ""
        more = ""
        if links and line.link:
            more = f'<p><a href="{escape(line.link)}">{escape(words["link"])}</a></p>'
        kind = "n-urgent" if line.vma else "n-info"
        items.append(
            f'<article class="notice {kind}">'
            f"<h3{text_lang}>{escape(line.headline)}</h3>"
            f'{summary}<p class="meta">{escape(line.meta)}</p>{more}</article>'
        )
    body = "".join(items) or f"<p>{escape(words['none'])}</p>"
    fetched_class = "stale" if official.stale else "muted"
    body += f'<p class="{fetched_class}">{escape(official.fetched)}</p>'
    return (
        '<section aria-labelledby="official">'
        f'<h2 id="official">{escape(words["heading"])}</h2>{body}</section>'
    )
