"""The site journal: what happened at the SOT point, kept across restarts.

Outages, start attempts and failures, test runs and alarms are derived from the
stream of `SiteState`s the coordinator builds (rules/history.py, without Home
Assistant); commands, fuel deliveries, the maintenance lock and notices are
added by the services. Every record is kept in Home Assistant's storage
(store.py), and most announce themselves on the event bus (see
docs/events.md), which is also what the logbook shows.

Records that span time (an outage, a test run, a start attempt, an alarm) are
written when they begin and updated in place when they end, so one that is
still open when Home Assistant stops is continued, not duplicated, when it
starts again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, cast

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Context, Event, HomeAssistant
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now

from ..const import (
    EVENT_ALARM,
    EVENT_COMMAND,
    EVENT_COMMAND_REFUSED,
    EVENT_FUEL_DELIVERY,
    EVENT_FUEL_LOSS,
    EVENT_MAINTENANCE,
    EVENT_NOTICE,
    EVENT_START_FAILED,
    LOGGER,
)
from ..rules.history import SiteHistory
from ..rules.records import (
    AlarmData,
    Changes,
    CommandData,
    FuelDeliveryData,
    JournalRecord,
    RecordKind,
    plain,
)
from ..rules.site import SiteState
from ..texts import async_load_texts
from .mains_memory import MainsSeenGood
from .store import (
    PROGRESS_SAVE_INTERVAL,
    SAVE_DELAY_S,
    JournalStore,
    data_to_store,
    pruned,
    stored_records,
)

__all__ = ["Journal", "JournalRecord", "RecordKind"]


class Journal:
    """The journal of one site: its records, what is open, and their storage."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Prepare an empty journal; `async_load` reads what was stored."""
        self._hass = hass
        self._entry = entry
        self._store = JournalStore(hass, entry.entry_id)
        self._records: list[JournalRecord] = []
        self._index: dict[str, int] = {}
        self._history = SiteHistory(ulid_now)
        self._progress_saved: datetime | None = None
        self._mains = MainsSeenGood(hass, entry.entry_id)

    # -- loading and saving -------------------------------------------------------

    async def async_load(self) -> None:
        """Read the stored journal and start listening for Home Assistant's stop."""
        stored = await self._store.async_load_journal(self._site)
        if stored:
            self._restore(stored)
        self._history.note_start(dt_util.utcnow(), await self._mains.async_load())
        await async_load_texts(self._hass)
        self._entry.async_on_unload(
            self._hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self._async_on_stop)
        )
        self._entry.async_on_unload(
            self._hass.bus.async_listen(
                EVENT_CORE_CONFIG_UPDATE, self._async_on_config_update
            )
        )

    async def async_flush(self) -> None:
        """Write the journal now (unload, Home Assistant stopping)."""
        await self._store.async_save(self._data_to_save())
        await self._mains.async_flush()

    async def _async_on_stop(self, _event: Event) -> None:
        await self.async_flush()

    async def _async_on_config_update(self, _event: Event) -> None:
        # The logbook describes events without waiting, from texts already
        # loaded; a new language needs its texts loaded now.
        await async_load_texts(self._hass)

    def _restore(self, stored: Mapping[str, Any]) -> None:
        self._records = stored_records(stored, self._site)
        self._reindex()
        opened: Mapping[str, Any] = stored.get("open") or {}
        for raw in self._history.restore(opened, self._index):
            LOGGER.warning("%s: dropping unreadable open %s", self._site, raw)

    def _data_to_save(self) -> dict[str, Any]:
        self._sync_open_records()
        return data_to_store(self._records, self._history.dump())

    def _schedule_save(self) -> None:
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY_S)

    def _save_progress(self, now: datetime) -> None:
        if not self._history.has_running_figures:
            return
        if (
            self._progress_saved is None
            or now - self._progress_saved >= PROGRESS_SAVE_INTERVAL
        ):
            self._progress_saved = now
            self._schedule_save()

    # -- reading --------------------------------------------------------------------

    def records(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        kinds: Collection[RecordKind] | None = None,
    ) -> list[JournalRecord]:
        """Records with `start` <= at < `end`, of the given kinds, oldest first."""
        self._sync_open_records()
        chosen = [
            record
            for record in self._records
            if (start is None or record.at >= start)
            and (end is None or record.at < end)
            and (kinds is None or record.kind in kinds)
        ]
        return sorted(chosen, key=lambda record: record.at)

    @property
    def open_outage(self) -> JournalRecord | None:
        """The record of the outage going on, if any."""
        outage_id = self._history.outage_id
        if outage_id is None:
            return None
        self._sync_open_records()
        return self._record(outage_id)

    @property
    def last_ended_outage(self) -> JournalRecord | None:
        """The record of the last outage that has ended, if any."""
        for record in reversed(self._records):
            if record.kind is RecordKind.OUTAGE and record.data.get("ended"):
                return record
        return None

    def _record(self, record_id: str) -> JournalRecord:
        return self._records[self._index[record_id]]

    def _sync_open_records(self) -> None:
        """Copy the open outage's running totals into its record."""
        for update in self._history.running_totals():
            # Called while the store serialises: must not schedule another save.
            self._replace(update.record_id, update.changes, save=False)

    # -- writing --------------------------------------------------------------------

    def add(
        self,
        kind: RecordKind,
        data: Mapping[str, Any],
        *,
        at: datetime | None = None,
        context: Context | None = None,
    ) -> JournalRecord:
        """Write a record, save it soon and announce it on the bus.

        The person behind `context` is recorded as `user_id` unless the data
        names one.
        """
        kind = RecordKind(kind)
        # Plain values only, so the record reads the same after a restart.
        body = {str(key): plain(value) for key, value in data.items()}
        if context is not None and context.user_id and not body.get("user_id"):
            body["user_id"] = context.user_id
        at = dt_util.as_utc(at or dt_util.utcnow())
        record = self._append(JournalRecord.new(ulid_now(), kind, at, body))
        if kind is RecordKind.FUEL_DELIVERY:
            self._history.note_delivery(cast(FuelDeliveryData, body).get("litres"))
        event_type = _event_for_added(record)
        if event_type is not None:
            self._fire(event_type, record, body, context)
        return record

    def acknowledge_alarm(
        self,
        alarm_key: str,
        *,
        user_id: str | None = None,
        user_name: str | None = None,
        context: Context | None = None,
    ) -> JournalRecord | None:
        """Note who acknowledged an alarm; None when it has nothing to acknowledge.

        The alarm still raised is acknowledged, else the latest occurrence that
        nobody has acknowledged yet.
        """
        record = self._unacknowledged_alarm(alarm_key)
        if record is None:
            return None
        if user_id is None and context is not None:
            user_id = context.user_id
        updated = self._replace(
            record.id,
            AlarmData(
                acknowledged=dt_util.utcnow().isoformat(),
                acknowledged_by=user_id,
                acknowledged_by_name=user_name,
            ),
        )
        self._fire(
            EVENT_ALARM,
            updated,
            {
                "action": "acknowledged",
                "alarm": alarm_key,
                "condition": cast(AlarmData, updated.data).get("condition"),
                "user_id": user_id,
                "user_name": user_name,
            },
            context,
        )
        return updated

    def _unacknowledged_alarm(self, alarm_key: str) -> JournalRecord | None:
        if (record_id := self._history.open_alarm_id(alarm_key)) is not None:
            record = self._record(record_id)
            if cast(AlarmData, record.data).get("acknowledged") is None:
                return record
        for record in reversed(self._records):
            if record.kind is not RecordKind.ALARM:
                continue
            data = cast(AlarmData, record.data)
            if data.get("alarm") == alarm_key and data.get("acknowledged") is None:
                return record
        return None

    def _append(self, record: JournalRecord) -> JournalRecord:
        self._index[record.id] = len(self._records)
        self._records.append(record)
        if (kept := pruned(self._records, self._history.open_ids())) is not None:
            self._records = kept
            self._reindex()
        self._schedule_save()
        return record

    def _replace(
        self, record_id: str, changes: Mapping[str, Any], *, save: bool = True
    ) -> JournalRecord:
        position = self._index[record_id]
        old = self._records[position]
        new = old.with_data(changes)
        self._records[position] = new
        if save and new.data != old.data:
            self._schedule_save()
        return new

    def _reindex(self) -> None:
        self._index = {record.id: n for n, record in enumerate(self._records)}

    def _fire(
        self,
        event_type: str,
        record: JournalRecord,
        fields: Mapping[str, Any],
        context: Context | None = None,
    ) -> None:
        payload = {key: plain(value) for key, value in fields.items()} | {
            "entry_id": self._entry.entry_id,
            "site": self._site,
            "record_id": record.id,
            "at": record.at.isoformat(),
        }
        self._hass.bus.async_fire(event_type, payload, context=context)

    @property
    def _site(self) -> str:
        return self._entry.title

    # -- deriving records from the site's state -------------------------------------

    def observe(self, state: SiteState) -> None:
        """Take one cycle's SiteState; write what changed since the last one.

        A fault here must not blank the site's entities: the coordinator
        calls this with every state, so the record is lost, not the poll.
        """
        try:
            self._apply(self._history.observe(state))
            self._save_progress(state.updated)
            if state.mains_available:
                self._mains.seen_good(state.updated)
        except Exception:
            LOGGER.exception("%s: journal could not record", self._site)

    def _apply(self, changes: Changes) -> None:
        """Store, update and announce what a state changed, in that order."""
        for record in changes.appended:
            self._append(record)
        for update in changes.updated:
            self._replace(update.record_id, update.changes)
        for announcement in changes.announced:
            record = self._record(announcement.record_id)
            self._fire(announcement.event_type, record, announcement.payload(record))


def _event_for_added(record: JournalRecord) -> str | None:
    """The bus event a record written by `add` announces itself with."""
    if record.kind is RecordKind.COMMAND:
        refused = cast(CommandData, record.data).get("result") == "refused"
        return EVENT_COMMAND_REFUSED if refused else EVENT_COMMAND
    return {
        RecordKind.FUEL_DELIVERY: EVENT_FUEL_DELIVERY,
        RecordKind.FUEL_LOSS: EVENT_FUEL_LOSS,
        RecordKind.MAINTENANCE: EVENT_MAINTENANCE,
        RecordKind.NOTICE: EVENT_NOTICE,
        RecordKind.START_FAILURE: EVENT_START_FAILED,
    }.get(record.kind)
