"""The info point in region mode: the county's overview instead of a site's page.

The same running machinery as a site's info point (app.Infopoint: the two
servers, the client and its reconnections, the minute timer, /healthz, the
state file written atomically), with the region's subscription
(`sot_point/subscribe_region`), the region object kept in `region.json`, and
the overview rendered in its place:

- `/`: every site worst first, the counts, the map (both languages);
- `/kiosk`: the crisis room's screen;
- `/status.json`: the region object as it came;
- `/healthz`: as in site mode.

The site's `/notice` and `/feed.atom` do not exist here (404).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

from .admin import admin
from .app import HTML, Clock, Infopoint, utcnow
from .client import REGION_COMMAND
from .region import Region, RegionError, parse_region
from .region_render import REGION_CSS, REGION_KIOSK_CSS, region_kiosk, region_page
from .region_view import build_region_view
from .render import BASE_CSS, csp_hash
from .server import Prepared, prepare
from .settings import Settings
from .store import REGION_STATE_FILE
from .texts import LANGUAGES, Lang

LOGGER = logging.getLogger(__name__)
_PAGE_HASH: Final = csp_hash(REGION_CSS)
_KIOSK_HASH: Final = csp_hash(REGION_KIOSK_CSS)
_ADMIN_HASH: Final = csp_hash(BASE_CSS)


def _ranks_changed(before: Region | None, after: Region) -> bool:
    """Whether a change is worth a disk write now rather than within a minute."""
    if before is None:
        return True
    return [(site.key, site.rank) for site in before.sites] != [
        (site.key, site.rank) for site in after.sites
    ]


class RegionInfopoint(Infopoint):
    """One running info point in region mode."""

    command = REGION_COMMAND
    state_file = REGION_STATE_FILE

    def __init__(self, settings: Settings, clock: Clock = utcnow) -> None:
        """Prepare; `start` reads the last region object and opens the ports."""
        self.region: Region | None = None
        super().__init__(settings, clock)

    def entry_id(self) -> str | None:
        """The region's config entry; None: the only region there is."""
        return self.settings.options.region_entry_id

    def restore(self) -> None:
        """Take up the region object saved before the last stop."""
        saved = self._file.load()
        if saved.status is None:
            return
        try:
            self.region = parse_region(saved.status)
            self._raw = saved.status
        except RegionError as err:
            LOGGER.warning("ignoring the saved region object: %s", err)

    def on_status(self, raw: dict[str, Any]) -> None:
        """A region object from Home Assistant: check, remember, render."""
        self._last_status = self.clock()
        try:
            region = parse_region(raw)
        except RegionError as err:
            LOGGER.warning("ignoring a region object: %s", err)
            return
        previous, self.region, self._raw = self.region, region, raw
        if _ranks_changed(previous, region):
            self.save()
        else:
            self._dirty = True
        self.render()

    def render(self) -> None:
        """Prepare every public response for the region and the time now."""
        now = self.clock()
        cache: dict[tuple[str, str], Prepared] = {}
        for lang in LANGUAGES:
            view = build_region_view(self.region, now, lang)
            cache["page", lang] = prepare(
                region_page(view), HTML, style_hash=_PAGE_HASH
            )
            cache["kiosk", lang] = prepare(
                region_kiosk(view), HTML, style_hash=_KIOSK_HASH
            )
        cache["status", ""] = self._region_json()
        cache["healthz", ""] = self._healthz(now)
        self.pages.replace(cache)

    def _region_json(self) -> Prepared:
        if self._raw is None:
            return prepare(
                '{"error": "no region object yet"}\n',
                "application/json",
                status=503,
                cache_control="no-store",
            )
        return prepare(
            json.dumps(self._raw, ensure_ascii=False),
            "application/json",
            extra={"Access-Control-Allow-Origin": "*"},
        )

    def admin_page(self, lang: Lang) -> Prepared:
        """The admin view now, for the region."""
        name = self.region.name if self.region else "SOT Point"
        html = admin(
            name,
            self.client.state,
            self.settings.options,
            self.clock(),
            lang,
            region=True,
        )
        return prepare(html, HTML, style_hash=_ADMIN_HASH, cache_control="no-store")


def infopoint_for(settings: Settings, clock: Clock = utcnow) -> Infopoint:
    """The info point of the settings' mode: a site's, or a region's."""
    if settings.options.mode == "region":
        return RegionInfopoint(settings, clock)
    return Infopoint(settings, clock)
