"""The region's repair issue: the sites that have gone silent, by name.

Raised when a site has said nothing for longer than its allowance
(rules/region.py: `silent_after_heartbeats` heartbeats, at least 90 s),
updated as sites fall silent or come back, deleted when none is silent.
"""

from __future__ import annotations

from typing import Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..const import DOMAIN
from ..rules.region import SiteView
from .hub import RegionConfigEntry

ISSUE_SILENT_SITES: Final = "region_silent_sites"
# The issue names this many sites and counts the rest.
NAMES_SHOWN: Final = 30


def silent_issue_id(entry_id: str) -> str:
    """The registry id of a region's silent-sites issue."""
    return f"{ISSUE_SILENT_SITES}_{entry_id}"


def silent_sites_text(views: list[SiteView]) -> str:
    """The silent sites as the issue lists them: by name, then their count."""
    names = sorted((f"{view.name} ({view.key})" for view in views), key=str.casefold)
    shown = ", ".join(names[:NAMES_SHOWN])
    if len(names) > NAMES_SHOWN:
        shown += f", … (+{len(names) - NAMES_SHOWN})"
    return shown


@callback
def async_follow_silent_sites(
    hass: HomeAssistant, entry: RegionConfigEntry
) -> CALLBACK_TYPE:
    """Keep the region's silent-sites issue in step with its hub."""
    issue_id = silent_issue_id(entry.entry_id)

    @callback
    def sync(views: list[SiteView]) -> None:
        if not views:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_SILENT_SITES,
            translation_placeholders={
                "region": entry.title,
                "count": str(len(views)),
                "sites": silent_sites_text(views),
            },
            data={"entry_id": entry.entry_id, "issue": ISSUE_SILENT_SITES},
        )

    unsub = entry.runtime_data.async_add_silence_observer(sync)

    @callback
    def stop() -> None:
        unsub()
        # Nobody watches the sites while the region is unloaded.
        ir.async_delete_issue(hass, DOMAIN, issue_id)

    return stop
