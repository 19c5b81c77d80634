"""The Atom feed (RFC 4287): the notices and the outage events, newest first.

For feed readers and for a neighbouring village's page that wants to show
what happens here. Ids are stable URNs, so a reader shows each notice and
each event once however often the feed is rebuilt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
import uuid
from xml.sax.saxutils import escape, quoteattr

from .history import Event, EventKind
from .status import Notice, SiteStatus
from .texts import Lang, duration, text

# A fixed namespace so the same site name always gives the same feed id.
_FEED_NAMESPACE: Final = uuid.UUID("6f1c2d1e-6a3b-4f57-9a55-0b5f3c1e7d21")
_EVENT_KEYS: Final[dict[EventKind, str]] = {
    EventKind.OUTAGE_STARTED: "feed_outage_started",
    EventKind.BACKUP_POWER: "feed_backup_power",
    EventKind.NO_BACKUP: "feed_no_backup",
    EventKind.OUTAGE_ENDED: "feed_outage_ended",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed entry."""

    id: str
    title: str
    updated: datetime
    content: str
    content_lang: Lang


def _notice_entry(notice: Notice, lang: Lang) -> Entry:
    english = lang == "en" and notice.text_en is not None
    body = notice.text_en if english and notice.text_en else notice.text_sv
    title = body if len(body) <= 80 else body[:79] + "…"
    return Entry(
        id=f"urn:sot-point:notice:{notice.id}",
        title=title,
        updated=notice.published,
        content=body,
        content_lang="en" if english else "sv",
    )


def _event_entry(event: Event, lang: Lang) -> Entry:
    content = text(lang, _EVENT_KEYS[event.kind])
    if event.kind is EventKind.OUTAGE_ENDED:
        lasted = duration(event.at - event.started, lang)
        content = text(lang, "feed_outage_ended_detail", duration=lasted)
    return Entry(
        id=f"urn:sot-point:event:{event.kind}:{event.started.isoformat()}",
        title=text(lang, _EVENT_KEYS[event.kind]),
        updated=event.at,
        content=content,
        content_lang=lang,
    )


def entries(
    status: SiteStatus | None, events: Sequence[Event], now: datetime, lang: Lang
) -> list[Entry]:
    """Active notices and the outage events, newest first."""
    notices = status.notices if status else ()
    found = [
        _notice_entry(n, lang) for n in notices if n.expires is None or now < n.expires
    ]
    found += [_event_entry(e, lang) for e in events]
    return sorted(found, key=lambda e: e.updated, reverse=True)


def _entry_xml(entry: Entry) -> str:
    return (
        f"<entry><id>{escape(entry.id)}</id><title>{escape(entry.title)}</title>"
        f"<updated>{entry.updated.isoformat()}</updated>"
        f'<content type="text" xml:lang="{entry.content_lang}">'
        f"{escape(entry.content)}</content></entry>"
    )


def feed(
    site: str,
    status: SiteStatus | None,
    events: Sequence[Event],
    *,
    now: datetime,
    lang: Lang,
    public_url: str | None,
) -> str:
    """The feed document."""
    found = entries(status, events, now, lang)
    updated = found[0].updated if found else (status.updated if status else None)
    base = (public_url or "").rstrip("/")
    self_link = f"{base}/feed.atom?lang={lang}" if base else f"feed.atom?lang={lang}"
    page_link = f"{base}/?lang={lang}" if base else f"./?lang={lang}"
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{lang}">'
        f"<id>urn:uuid:{uuid.uuid5(_FEED_NAMESPACE, site)}</id>"
        f"<title>{escape(text(lang, 'page_title', site=site))}</title>"
        f"<updated>{(updated or now).isoformat()}</updated>"
        f"<author><name>{escape(site)}</name></author>"
        f'<link rel="self" href={quoteattr(self_link)}/>'
        f'<link rel="alternate" type="text/html" href={quoteattr(page_link)}/>'
        + "".join(_entry_xml(entry) for entry in found)
        + "</feed>"
    )
