"""The journal's storage: its file, versions and migrations, and how much it keeps.

Stored as `{"records": [record.as_dict(), ...], "open": SiteHistory.dump()}`
in `.storage/sot_point.<config entry id>.journal`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta
from typing import Any, Final, override

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import UnsupportedStorageVersionError
from homeassistant.helpers.storage import Store

from ..const import DOMAIN, LOGGER
from ..rules.records import JournalRecord

STORAGE_VERSION: Final = 1
STORAGE_MINOR_VERSION: Final = 1
SAVE_DELAY_S: Final = 10.0
# An outage's running totals are worth keeping if Home Assistant dies without
# a clean stop, but not worth a disk write every second.
PROGRESS_SAVE_INTERVAL: Final = timedelta(minutes=5)
# Decades of outages, test runs and commands; only a fault that floods the
# journal (an alarm flapping every second) reaches this, and then the oldest go.
MAX_RECORDS: Final = 20_000


class JournalStore(Store[dict[str, Any]]):
    """The journal's storage file, with its migrations."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """The journal file of one site's config entry."""
        super().__init__(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}.journal",
            minor_version=STORAGE_MINOR_VERSION,
        )

    @override
    async def _async_migrate_func(
        self,
        old_major_version: int,
        old_minor_version: int,
        old_data: dict[str, Any],
    ) -> dict[str, Any]:
        """Bring stored data written by another version of the journal up to date.

        Minor versions only add keys and readers ignore keys they do not know,
        so data from a newer minor version (an integration downgrade) is read
        as it is. A new major version adds its conversion here.
        """
        if old_major_version == 1:
            return old_data
        msg = f"journal storage version {old_major_version}.{old_minor_version}"
        raise NotImplementedError(msg)

    async def async_load_journal(self, site: str) -> dict[str, Any] | None:
        """What was stored; None when nothing was, or it cannot be read.

        A file written by a release that knows a layout this one does not is
        left as it is: the store turns read-only, and the site runs and
        journals in memory until Home Assistant stops.
        """
        try:
            return await self.async_load()
        except UnsupportedStorageVersionError, NotImplementedError:
            LOGGER.error(
                "%s: cannot read the stored journal (saved by another version "
                "of SOT Point?); it is left as it is, and new records are kept "
                "only until Home Assistant stops",
                site,
            )
            self.make_read_only()
            return None


def stored_records(stored: Mapping[str, Any], site: str) -> list[JournalRecord]:
    """The stored records, skipping (and logging) any it cannot read."""
    records: list[JournalRecord] = []
    for raw in stored.get("records") or ():
        try:
            records.append(JournalRecord.from_dict(raw))
        except KeyError, TypeError, ValueError:
            LOGGER.warning("%s: skipping unreadable journal record %s", site, raw)
    return records


def data_to_store(
    records: Sequence[JournalRecord], opened: Mapping[str, Any]
) -> dict[str, Any]:
    """The records and what is open, as they are written to the file."""
    return {"records": [record.as_dict() for record in records], "open": opened}


def pruned(
    records: Sequence[JournalRecord], keep: Collection[str]
) -> list[JournalRecord] | None:
    """The records without the oldest beyond MAX_RECORDS; None if none go.

    Records whose id is in `keep` (those still open) stay whatever their age.
    """
    excess = len(records) - MAX_RECORDS
    if excess <= 0:
        return None
    kept: list[JournalRecord] = []
    for record in records:
        if excess > 0 and record.id not in keep:
            excess -= 1
            continue
        kept.append(record)
    return kept
