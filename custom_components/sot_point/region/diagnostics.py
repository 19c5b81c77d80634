"""A region's diagnostics: what it follows, its sites, and what it refused."""

from __future__ import annotations

from typing import Any

from homeassistant.util import dt as dt_util

from .hub import RegionConfigEntry


def region_diagnostics(entry: RegionConfigEntry) -> dict[str, Any]:
    """Everything a technician needs to see why a region shows what it shows.

    Refused messages show here only: per site, how many for which reason,
    and the last one's topic and reason in words. The sites' statuses are
    public (docs/status.md), so nothing is redacted.
    """
    hub = entry.runtime_data
    now = dt_util.utcnow()
    settings = hub.settings
    events = hub.events
    return {
        "kind": "region",
        "county": settings.county,
        "options": dict(entry.options),
        "topics": list(hub.topics),
        "subscribed": sorted(hub.subscribed),
        "connected": hub.connected(),
        "messages_taken": hub.messages,
        "events": {
            "stored": len(events),
            "dropped": events.log.dropped,
            "repeats": events.repeats,
        },
        "sites": {
            key: {
                "name": view.name,
                "rank": view.rank(now, settings).value,
                "online": view.online(now, settings),
                "silent": view.silent(now, settings),
                "available": view.available,
                "last_heard": view.last_heard.isoformat() if view.last_heard else None,
                "heartbeat_s": view.heartbeat_s,
                "silent_after_s": settings.silence(view.heartbeat_s).total_seconds(),
            }
            for key, view in sorted(hub.views.items())
        },
        "refused": {
            key: refusals.as_dict() for key, refusals in sorted(hub.refusals.items())
        },
    }
