"""The region's follow-up report as CSV, over HTTP.

GET /api/sot_point/{entry_id}/region.csv?start=YYYY-MM-DD&end=YYYY-MM-DD
(&lang=sv|en): per site, from the events the region received, what
rules/region_report.py counts. The period is read as the site's journal
export reads it (export.period: this year so far by default, whole days in
Home Assistant's time zone), and the same people may fetch it: a logged-in
user who may read the region's entities.
"""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from typing import Any, Final

from aiohttp import web
from homeassistant.components.http.const import KEY_HASS_USER
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from ..export import CSV_LANGUAGE, ensure_may_read, period
from ..rules.region import is_region
from ..rules.region_report import report_csv, report_rows
from ..texts import Texts, async_load_texts
from .hub import RegionConfigEntry

REGION_CSV_URL: Final = "/api/sot_point/{entry_id}/region.csv"
LANGUAGES: Final = ("sv", "en")


@callback
def async_register_region_report_view(hass: HomeAssistant) -> None:
    """Serve every region's CSV (called once, from async_setup)."""
    hass.http.register_view(RegionCsvView())


class RegionCsvView(HomeAssistantView):
    """GET /api/sot_point/{entry_id}/region.csv?start=...&end=...&lang=...

    For a logged-in user who may read the region's entities; anyone else is
    answered 401, as Home Assistant answers Unauthorized.
    """

    url = REGION_CSV_URL
    name = "api:sot_point:region_csv"
    requires_auth = True

    async def get(self, request: web.Request, entry_id: str) -> web.Response:
        """The CSV for one region and period (default: this year so far)."""
        hass = request.app[KEY_HASS]
        await async_load_texts(hass, CSV_LANGUAGE)
        texts = Texts(hass)
        entry = hass.config_entries.async_get_entry(entry_id)
        if (
            entry is None
            or entry.domain != DOMAIN
            or not is_region(entry.data)
            or entry.state is not ConfigEntryState.LOADED
        ):
            message = texts.message("region_report_unknown_region", region=entry_id)
            return self.json_message(message, HTTPStatus.NOT_FOUND)
        ensure_may_read(hass, entry, request[KEY_HASS_USER])
        try:
            first, last = period(request.query, dt_util.now().date())
        except ValueError as err:
            message = texts.message("journal_export_bad_period", error=str(err))
            return self.json_message(message, HTTPStatus.BAD_REQUEST)
        language = request.query.get("lang", CSV_LANGUAGE)
        if language not in LANGUAGES:
            language = CSV_LANGUAGE
        region: RegionConfigEntry = entry
        body = _report(
            region,
            dt_util.start_of_local_day(first),
            dt_util.start_of_local_day(last + timedelta(days=1)),
            language,
        )
        county = region.runtime_data.settings.county
        filename = f"{DOMAIN}-region-{county}-{first.isoformat()}-{last.isoformat()}"
        return web.Response(
            body=body.encode("utf-8"),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )


def _report(entry: RegionConfigEntry, start: Any, end: Any, language: str) -> str:
    """The report's CSV text from the region's stored events."""
    hub = entry.runtime_data
    rows = report_rows(list(hub.events), hub.site_names(), start, end)
    return report_csv(rows, language)
