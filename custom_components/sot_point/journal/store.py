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
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..rules.records import JournalRecord, RecordKind

STORAGE_VERSION: Final = 1
# 1.2: alarm records carry a count (how often a flapping alarm came back).
STORAGE_MINOR_VERSION: Final = 2
# The longest a record waits in memory before it is on disk: a pulled plug
# loses at most this much of the journal (outage figures: PROGRESS_SAVE_INTERVAL).
SAVE_DELAY_S: Final = 10.0
# The repair issue of a journal set aside for its shape.
JOURNAL_SET_ASIDE: Final = "journal_set_aside"
# An outage's running totals are worth keeping if Home Assistant dies without
# a clean stop, but not worth a disk write every second.
PROGRESS_SAVE_INTERVAL: Final = timedelta(minutes=5)
# What the site is accountable for (outages, start attempts and failures,
# test runs, fuel deliveries, maintenance, notices) is never pruned: a busy
# site adds a few hundred a year. Commands, refusals and alarms can come in
# floods (an automation refused in a loop, an alarm flapping), so they are
# capped on their own, and the oldest of them go first.
# Answers too: any number can text the modem, and a loop of texts must not
# push out years of outages.
CAPPED_KINDS: Final = frozenset(
    {RecordKind.COMMAND, RecordKind.ALARM, RecordKind.ANSWER}
)
MAX_CAPPED_RECORDS: Final = 10_000


class JournalStore(Store[dict[str, Any]]):
    """The journal's storage file, with its migrations."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """The journal file of one site's config entry."""
        self._entry_id = entry_id
        super().__init__(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}.journal",
            minor_version=STORAGE_MINOR_VERSION,
            # Written beside, flushed to disk and renamed over: a power cut
            # in the middle of a save leaves the previous file whole.
            atomic_writes=True,
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
            if old_minor_version < 2:
                return _with_alarm_counts(old_data)
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
            stored = await self.async_load()
        except UnsupportedStorageVersionError, NotImplementedError:
            LOGGER.error(
                "%s: cannot read the stored journal (saved by another version "
                "of SOT Point?); it is left as it is, and new records are kept "
                "only until Home Assistant stops",
                site,
            )
            self.make_read_only()
            return None
        if stored is None or _good_shape(stored):
            return stored
        await self._async_set_aside(stored, site)
        return None

    async def _async_set_aside(self, stored: object, site: str) -> None:
        """Keep a journal of the wrong shape beside, tell people, start empty.

        As Home Assistant does with a file that is not JSON at all: the site
        must start, and nothing is thrown away.
        """
        moment = dt_util.utcnow().strftime("%Y%m%dT%H%M%SZ")
        aside: Store[dict[str, Any]] = Store(
            self.hass, 1, f"{self.key}.wrong_shape.{moment}", atomic_writes=True
        )
        # Under a key of its own: the stored value may be any JSON at all.
        await aside.async_save({"journal": stored})
        LOGGER.error(
            "%s: the stored journal is not in the shape SOT Point writes; it "
            "was set aside as %s and the site starts with an empty journal",
            site,
            aside.path,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{JOURNAL_SET_ASIDE}_{self._entry_id}",
            is_fixable=False,
            is_persistent=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key=JOURNAL_SET_ASIDE,
            translation_placeholders={"site": site, "path": aside.path},
        )


def _with_alarm_counts(old_data: dict[str, Any]) -> dict[str, Any]:
    """1.1 to 1.2: each alarm record raised once, as it was then."""
    records = old_data.get("records") if isinstance(old_data, dict) else None
    if not isinstance(records, list):
        return old_data  # the shape check after loading sets it aside
    return old_data | {
        "records": [
            raw | {"data": raw.get("data", {}) | {"count": 1}}
            if isinstance(raw, dict)
            and raw.get("kind") == "alarm"
            and isinstance(raw.get("data", {}), dict)
            and "count" not in raw.get("data", {})
            else raw
            for raw in records
        ]
    }


def _good_shape(stored: object) -> bool:
    """Whether stored data has the journal's shape (the records are read one by one)."""
    if not isinstance(stored, dict):
        return False
    records, opened = stored.get("records"), stored.get("open")
    return isinstance(records, list | None) and isinstance(opened, dict | None)


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
    """The records without the oldest capped ones beyond the cap; None if none go.

    Only CAPPED_KINDS are pruned; records whose id is in `keep` (those
    still open) stay whatever their age.
    """
    if len(records) <= MAX_CAPPED_RECORDS:
        return None  # cannot be over the cap: no need to count
    excess = sum(r.kind in CAPPED_KINDS for r in records) - MAX_CAPPED_RECORDS
    if excess <= 0:
        return None
    kept: list[JournalRecord] = []
    for record in records:
        if excess > 0 and record.kind in CAPPED_KINDS and record.id not in keep:
            excess -= 1
            continue
        kept.append(record)
    return kept
