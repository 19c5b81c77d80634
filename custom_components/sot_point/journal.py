"""The site journal: what happened at the SOT point, kept across restarts.

Outages, start attempts and failures, test runs and alarms are derived from the
stream of `SiteState`s the coordinator builds; commands, fuel deliveries, the
maintenance lock and notices are added by the services. Every record is kept in
Home Assistant's storage, and most announce themselves on the event bus (see
docs/events.md), which is also what the logbook shows.

Records that span time (an outage, a test run, a start attempt, an alarm) are
written when they begin and updated in place when they end, so one that is
still open when Home Assistant stops is continued, not duplicated, when it
starts again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Context, Event, HomeAssistant
from homeassistant.exceptions import UnsupportedStorageVersionError
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now

from .const import (
    DOMAIN,
    EVENT_ALARM,
    EVENT_COMMAND,
    EVENT_COMMAND_REFUSED,
    EVENT_FUEL_DELIVERY,
    EVENT_MAINTENANCE,
    EVENT_NOTICE,
    EVENT_OUTAGE_ENDED,
    EVENT_OUTAGE_STARTED,
    EVENT_START_FAILED,
    EVENT_TEST_RUN_ENDED,
    EVENT_TEST_RUN_STARTED,
    LOGGER,
)
from .hardware.state import (
    AlarmCondition,
    ControlMode,
    EngineState,
    GeneratorState,
)
from .logbook import async_load_texts
from .rules.site import SiteMode, SiteState
from .rules.words import word

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

STORAGE_VERSION: Final = 1
STORAGE_MINOR_VERSION: Final = 1
SAVE_DELAY_S: Final = 10.0
# An outage's running totals are worth keeping if Home Assistant dies without
# a clean stop, but not worth a disk write every second.
PROGRESS_SAVE_INTERVAL: Final = timedelta(minutes=5)
# Decades of outages, test runs and commands; only a fault that floods the
# journal (an alarm flapping every second) reaches this, and then the oldest go.
MAX_RECORDS: Final = 20_000
# Start failures already reported, by attempt and outage, so one failed start
# is one record however many ways it shows (alarm, then no backup).
_FAILURE_MEMORY: Final = 20

_AT_REST: Final = frozenset({EngineState.STOPPED, EngineState.AT_REST})
_TEST_MODES: Final = frozenset({ControlMode.TEST_ON_LOAD, ControlMode.TEST_OFF_LOAD})


class RecordKind(StrEnum):
    """What a journal record is about."""

    OUTAGE = "outage"
    START_ATTEMPT = "start_attempt"
    START_FAILURE = "start_failure"
    TEST_RUN = "test_run"
    ALARM = "alarm"
    COMMAND = "command"
    FUEL_DELIVERY = "fuel_delivery"
    MAINTENANCE = "maintenance"
    NOTICE = "notice"


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One entry of the journal; `at` is UTC, `data` depends on the kind."""

    id: str
    kind: RecordKind
    at: datetime
    data: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """The record as plain JSON-ready values (storage, exports)."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "at": self.at.isoformat(),
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> JournalRecord:
        """Back from `as_dict`; ValueError for a kind or time it cannot read."""
        return cls(
            id=str(raw["id"]),
            kind=RecordKind(raw["kind"]),
            at=_time(raw["at"]),
            data=MappingProxyType(dict(raw.get("data") or {})),
        )


@dataclass
class _OpenOutage:
    """Running figures of the outage in progress."""

    record_id: str
    started: datetime
    last_seen: datetime
    last_mode: str | None = None
    last_consumption_lph: float | None = None
    backup_s: float = 0.0
    estimated_l: float = 0.0
    delivered_l: float = 0.0
    unobserved_s: float = 0.0
    time_to_backup_s: float | None = None
    fuel_start_l: float | None = None
    energy_start_kwh: float | None = None

    _TIMES = ("started", "last_seen")


@dataclass
class _OpenTestRun:
    """Running figures of the test run in progress."""

    record_id: str
    started: datetime
    reached_running: bool = False
    on_load: bool = False
    load_sum_kw: float = 0.0
    load_samples: int = 0
    max_load_kw: float = 0.0

    _TIMES = ("started",)

    def sample(self, state: SiteState, generator: GeneratorState) -> None:
        """Take this cycle's engine and load into account."""
        if state.transfer and state.transfer.on_generator:
            self.on_load = True
        if not generator.engine_running:
            return
        self.reached_running = True
        load = generator.generator_kw
        if load is not None:
            self.load_sum_kw += load
            self.load_samples += 1
            self.max_load_kw = max(self.max_load_kw, load)

    @property
    def mean_load_kw(self) -> float | None:
        """Mean generator output while running."""
        if not self.load_samples:
            return None
        return round(self.load_sum_kw / self.load_samples, 2)


@dataclass
class _OpenAttempt:
    """The start attempt under way."""

    record_id: str
    started: datetime

    _TIMES = ("started",)


class JournalStore(Store[dict[str, Any]]):
    """The journal's storage file, with its migrations."""

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


class Journal:
    """The journal of one site: its records, what is open, and their storage."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Prepare an empty journal; `async_load` reads what was stored."""
        self._hass = hass
        self._entry = entry
        self._store = JournalStore(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry.entry_id}.journal",
            minor_version=STORAGE_MINOR_VERSION,
        )
        self._records: list[JournalRecord] = []
        self._index: dict[str, int] = {}
        self._outage: _OpenOutage | None = None
        self._test_run: _OpenTestRun | None = None
        self._attempt: _OpenAttempt | None = None
        self._alarms: dict[str, str] = {}
        self._failures: list[str] = []
        # None until the first SiteState after loading: the time before it was
        # not watched (Home Assistant stopped, or the site unloaded).
        self._previous_update: datetime | None = None
        self._last_engine: EngineState | None = None
        self._last_mode: SiteMode | None = None
        self._progress_saved: datetime | None = None

    # -- loading and saving -------------------------------------------------------

    async def async_load(self) -> None:
        """Read the stored journal and start listening for Home Assistant's stop."""
        try:
            stored = await self._store.async_load()
        except UnsupportedStorageVersionError, NotImplementedError:
            # Written by a release that knows a layout this one does not: keep
            # the site running and journaling in memory, and the file as it is.
            LOGGER.error(
                "%s: cannot read the stored journal (saved by another version "
                "of SOT Point?); it is left as it is, and new records are kept "
                "only until Home Assistant stops",
                self._site,
            )
            self._store.make_read_only()
            stored = None
        if stored:
            self._restore(stored)
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

    async def _async_on_stop(self, _event: Event) -> None:
        await self.async_flush()

    async def _async_on_config_update(self, _event: Event) -> None:
        # The logbook describes events without waiting, from texts already
        # loaded; a new language needs its texts loaded now.
        await async_load_texts(self._hass)

    def _restore(self, stored: Mapping[str, Any]) -> None:
        for raw in stored.get("records") or ():
            try:
                record = JournalRecord.from_dict(raw)
            except KeyError, TypeError, ValueError:
                LOGGER.warning(
                    "%s: skipping unreadable journal record %s", self._site, raw
                )
                continue
            self._records.append(record)
        self._reindex()
        opened: Mapping[str, Any] = stored.get("open") or {}
        self._outage = self._reopen(_OpenOutage, opened.get("outage"))
        self._test_run = self._reopen(_OpenTestRun, opened.get("test_run"))
        self._attempt = self._reopen(_OpenAttempt, opened.get("attempt"))
        self._alarms = {
            str(key): str(record_id)
            for key, record_id in (opened.get("alarms") or {}).items()
            if record_id in self._index
        }
        self._failures = [str(x) for x in opened.get("failures") or ()]

    def _reopen[T: DataclassInstance](self, cls: type[T], raw: Any) -> T | None:
        """An open record's running figures, if its record is still there."""
        if not isinstance(raw, Mapping) or raw.get("record_id") not in self._index:
            return None
        try:
            return _restore(cls, raw)
        except KeyError, TypeError, ValueError:
            LOGGER.warning("%s: dropping unreadable open %s", self._site, raw)
            return None

    def _data_to_save(self) -> dict[str, Any]:
        self._sync_open_records()
        return {
            "records": [record.as_dict() for record in self._records],
            "open": {
                "outage": _dump(self._outage),
                "test_run": _dump(self._test_run),
                "attempt": _dump(self._attempt),
                "alarms": dict(self._alarms),
                "failures": list(self._failures),
            },
        }

    def _schedule_save(self) -> None:
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY_S)

    def _save_progress(self, now: datetime) -> None:
        if self._outage is None and self._test_run is None:
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
        if self._outage is None:
            return None
        self._sync_open_records()
        return self._record(self._outage.record_id)

    def _record(self, record_id: str) -> JournalRecord:
        return self._records[self._index[record_id]]

    def _sync_open_records(self) -> None:
        """Copy the open outage's running totals into its record."""
        outage = self._outage
        if outage is not None:
            # Called while the store serialises: must not schedule another save.
            self._replace(outage.record_id, _outage_totals(outage), save=False)

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
        body = {str(key): _plain(value) for key, value in data.items()}
        if context is not None and context.user_id and not body.get("user_id"):
            body["user_id"] = context.user_id
        record = self._append(kind, dt_util.as_utc(at or dt_util.utcnow()), body)
        if kind is RecordKind.FUEL_DELIVERY and self._outage is not None:
            self._outage.delivered_l += float(body.get("litres") or 0.0)
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
            {
                "acknowledged": dt_util.utcnow().isoformat(),
                "acknowledged_by": user_id,
                "acknowledged_by_name": user_name,
            },
        )
        self._fire(
            EVENT_ALARM,
            updated,
            {
                "action": "acknowledged",
                "alarm": alarm_key,
                "condition": updated.data.get("condition"),
                "user_id": user_id,
                "user_name": user_name,
            },
            context,
        )
        return updated

    def _unacknowledged_alarm(self, alarm_key: str) -> JournalRecord | None:
        if alarm_key in self._alarms:
            record = self._record(self._alarms[alarm_key])
            if record.data.get("acknowledged") is None:
                return record
        for record in reversed(self._records):
            if (
                record.kind is RecordKind.ALARM
                and record.data.get("alarm") == alarm_key
                and record.data.get("acknowledged") is None
            ):
                return record
        return None

    def _append(
        self, kind: RecordKind, at: datetime, data: Mapping[str, Any]
    ) -> JournalRecord:
        record = JournalRecord(ulid_now(), kind, at, MappingProxyType(dict(data)))
        self._index[record.id] = len(self._records)
        self._records.append(record)
        self._prune()
        self._schedule_save()
        return record

    def _replace(
        self, record_id: str, changes: Mapping[str, Any], *, save: bool = True
    ) -> JournalRecord:
        position = self._index[record_id]
        old = self._records[position]
        new = replace(old, data=MappingProxyType(dict(old.data) | dict(changes)))
        self._records[position] = new
        if save and new.data != old.data:
            self._schedule_save()
        return new

    def _prune(self) -> None:
        excess = len(self._records) - MAX_RECORDS
        if excess <= 0:
            return
        keep = self._open_ids()
        kept: list[JournalRecord] = []
        for record in self._records:
            if excess > 0 and record.id not in keep:
                excess -= 1
                continue
            kept.append(record)
        self._records = kept
        self._reindex()

    def _open_ids(self) -> set[str]:
        opened = (self._outage, self._test_run, self._attempt)
        return {o.record_id for o in opened if o is not None} | set(
            self._alarms.values()
        )

    def _reindex(self) -> None:
        self._index = {record.id: n for n, record in enumerate(self._records)}

    def _fire(
        self,
        event_type: str,
        record: JournalRecord,
        fields_: Mapping[str, Any],
        context: Context | None = None,
    ) -> None:
        payload = {key: _plain(value) for key, value in fields_.items()} | {
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
            self._observe(state)
        except Exception:
            LOGGER.exception("%s: journal could not record", self._site)

    def _observe(self, state: SiteState) -> None:
        self._observe_outage(state)
        generator = state.generator
        if generator is not None:
            raised = self._observe_alarms(state, generator)
            self._observe_start_failure(state, generator, raised)
            self._observe_engine(state, generator)
            self._observe_test_run(state, generator)
        self._last_mode = state.mode
        self._previous_update = state.updated
        self._save_progress(state.updated)

    # outages

    def _observe_outage(self, state: SiteState) -> None:
        if state.outage_started is not None:
            outage = self._outage or self._begin_outage(state, state.outage_started)
            self._advance_outage(outage, state, bridge=True)
        elif self._outage is not None and state.mains_available:
            # Only a mains known to be back ends it: a silent controller after
            # a restart says nothing about the grid.
            self._end_outage(self._outage, state)

    def _begin_outage(self, state: SiteState, started: datetime) -> _OpenOutage:
        data = {"started": started.isoformat(), "ended": None}
        record = self._append(RecordKind.OUTAGE, started, data)
        self._outage = _OpenOutage(
            record_id=record.id,
            started=started,
            last_seen=state.updated,
            last_mode=state.mode.value,
            last_consumption_lph=state.fuel.consumption_lph,
        )
        self._fire(EVENT_OUTAGE_STARTED, record, data)
        return self._outage

    def _advance_outage(
        self, outage: _OpenOutage, state: SiteState, *, bridge: bool
    ) -> None:
        """Add the time since the last state to the outage's running totals.

        A gap while Home Assistant was stopped is bridged with the mode seen
        last (the controller keeps the site on backup power without us) unless
        the outage turns out to be over, when nobody knows when it ended.
        """
        elapsed = max((state.updated - outage.last_seen).total_seconds(), 0.0)
        if self._previous_update is None:
            outage.unobserved_s += elapsed
        if bridge:
            if outage.last_mode == SiteMode.BACKUP_POWER:
                outage.backup_s += elapsed
            outage.estimated_l += (outage.last_consumption_lph or 0.0) * elapsed / 3600
        outage.last_seen = state.updated
        outage.last_mode = state.mode.value
        outage.last_consumption_lph = state.fuel.consumption_lph
        if outage.fuel_start_l is None:
            outage.fuel_start_l = state.fuel.litres
        if outage.energy_start_kwh is None and state.generator is not None:
            outage.energy_start_kwh = state.generator.number("energy_positive")
        if state.mode is SiteMode.BACKUP_POWER and outage.time_to_backup_s is None:
            outage.time_to_backup_s = (state.updated - outage.started).total_seconds()
            self._replace(outage.record_id, _outage_totals(outage))

    def _end_outage(self, outage: _OpenOutage, state: SiteState) -> None:
        unwatched = self._previous_update is None
        self._advance_outage(outage, state, bridge=not unwatched)
        fuel_used, fuel_source = _fuel_used(outage, state.fuel.litres)
        data = _outage_totals(outage) | {
            "ended": state.updated.isoformat(),
            "duration_s": _seconds(state.updated - outage.started),
            "fuel_end_l": state.fuel.litres,
            "fuel_used_l": fuel_used,
            "fuel_used_source": fuel_source,
            "energy_kwh": _energy_used(outage, state.generator),
            "end_uncertain": unwatched,
        }
        record = self._replace(outage.record_id, data)
        self._outage = None
        self._fire(EVENT_OUTAGE_ENDED, record, record.data)

    # alarms

    def _observe_alarms(self, state: SiteState, generator: GeneratorState) -> set[str]:
        """Raise and clear alarm records; the keys newly raised this cycle."""
        if generator.alarms is None:
            return set()  # the alarm page was not read: nothing is known
        active = {alarm.key: alarm.condition for alarm in generator.active_alarms}
        raised: set[str] = set()
        for key, condition in active.items():
            if key in self._alarms:
                self._replace(self._alarms[key], {"condition": word(condition)})
            else:
                self._raise_alarm(state, key, condition)
                raised.add(key)
        for key in [key for key in self._alarms if key not in active]:
            self._clear_alarm(state, key)
        return raised

    def _raise_alarm(
        self, state: SiteState, key: str, condition: AlarmCondition
    ) -> None:
        data = {
            "alarm": key,
            "condition": word(condition),
            "stops_engine": condition.stops_engine,
            "raised": state.updated.isoformat(),
            "cleared": None,
            "acknowledged": None,
            "acknowledged_by": None,
            "acknowledged_by_name": None,
        }
        record = self._append(RecordKind.ALARM, state.updated, data)
        self._alarms[key] = record.id
        self._fire(EVENT_ALARM, record, _alarm_event(record, "raised"))

    def _clear_alarm(self, state: SiteState, key: str) -> None:
        record_id = self._alarms.pop(key)
        record = self._replace(record_id, {"cleared": state.updated.isoformat()})
        self._fire(EVENT_ALARM, record, _alarm_event(record, "cleared"))

    # start attempts and failures

    def _observe_engine(self, state: SiteState, generator: GeneratorState) -> None:
        engine = generator.engine
        if engine is None:
            return
        previous, self._last_engine = self._last_engine, engine
        if (
            self._attempt is None
            and previous in _AT_REST
            and generator.starting_or_running
        ):
            self._begin_attempt(state, generator)
        if self._attempt is None:
            return
        if generator.engine_running:
            self._close_attempt(state, "running")
        elif engine in _AT_REST:
            failed = generator.has_stopping_alarm
            self._close_attempt(state, "failed" if failed else "abandoned")

    def _begin_attempt(self, state: SiteState, generator: GeneratorState) -> None:
        data = {
            "during_outage": self._outage is not None,
            "control_mode": word(generator.mode),
            "site_mode": state.mode.value,
            "result": None,
            "ended": None,
            "time_to_running_s": None,
        }
        record = self._append(RecordKind.START_ATTEMPT, state.updated, data)
        self._attempt = _OpenAttempt(record.id, state.updated)

    def _close_attempt(self, state: SiteState, result: str) -> None:
        attempt = self._attempt
        if attempt is None:
            return
        elapsed = _seconds(state.updated - attempt.started)
        self._replace(
            attempt.record_id,
            {
                "result": result,
                "ended": state.updated.isoformat(),
                "time_to_running_s": elapsed if result == "running" else None,
            },
        )
        self._attempt = None

    def _observe_start_failure(
        self, state: SiteState, generator: GeneratorState, raised: set[str]
    ) -> None:
        """A fail-to-start alarm, or an outage the site faces without backup."""
        if "fail_to_start" in raised:
            reason = "fail_to_start"
        elif (
            state.mode is SiteMode.OUTAGE_NO_BACKUP
            and self._last_mode is not SiteMode.OUTAGE_NO_BACKUP
            and self._start_expected(generator)
        ):
            reason = "no_backup"
        else:
            return
        keys = [o.record_id for o in (self._attempt, self._outage) if o is not None]
        if any(key in self._failures for key in keys):
            return
        self._failures = (self._failures + keys)[-_FAILURE_MEMORY:]
        data = {
            "reason": reason,
            "attempt_id": self._attempt.record_id if self._attempt else None,
            "outage_id": self._outage.record_id if self._outage else None,
            "control_mode": word(generator.mode),
            "engine": word(generator.engine),
            "alarms": [alarm.key for alarm in generator.stopping_alarms],
        }
        record = self._append(RecordKind.START_FAILURE, state.updated, data)
        self._fire(EVENT_START_FAILED, record, data)
        self._close_attempt(state, "failed")

    def _start_expected(self, generator: GeneratorState) -> bool:
        # A site run by hand (Manual) waits for someone to press Start; no
        # backup is then not yet a failed start. It is one when a start was
        # tried, when the controller was in Auto (it should have started) or
        # left in Stop (it cannot), or when an alarm forbids starting at all.
        return (
            self._attempt is not None
            or generator.mode in (ControlMode.AUTO, ControlMode.STOP, ControlMode.OFF)
            or generator.has_stopping_alarm
        )

    # test runs

    def _observe_test_run(self, state: SiteState, generator: GeneratorState) -> None:
        run = self._test_run
        if state.mode is SiteMode.TEST_RUN:
            if run is None:
                run = self._begin_test_run(state, generator)
            run.sample(state, generator)
        elif run is not None:
            self._end_test_run(run, state, generator)

    def _begin_test_run(
        self, state: SiteState, generator: GeneratorState
    ) -> _OpenTestRun:
        data = {
            "started": state.updated.isoformat(),
            "ended": None,
            "control_mode": word(generator.mode),
            "on_load_requested": generator.mode is ControlMode.TEST_ON_LOAD,
        }
        record = self._append(RecordKind.TEST_RUN, state.updated, data)
        self._test_run = _OpenTestRun(record.id, state.updated)
        self._fire(EVENT_TEST_RUN_STARTED, record, data)
        return self._test_run

    def _end_test_run(
        self, run: _OpenTestRun, state: SiteState, generator: GeneratorState
    ) -> None:
        # A shutdown alarm ends a test run at once (the site reads fault),
        # so the state that ends it is the one that shows the alarm.
        failed = not run.reached_running or generator.has_stopping_alarm
        data = {
            "ended": state.updated.isoformat(),
            "duration_s": _seconds(state.updated - run.started),
            "result": "failed" if failed else "ok",
            "on_load": run.on_load,
            "mean_load_kw": run.mean_load_kw,
            "max_load_kw": round(run.max_load_kw, 2) if run.load_samples else None,
            "interrupted_by_outage": state.outage_in_progress
            or state.mode is SiteMode.OUTAGE_DETECTED,
        }
        record = self._replace(run.record_id, data)
        self._test_run = None
        self._fire(EVENT_TEST_RUN_ENDED, record, record.data)


# -- helpers -----------------------------------------------------------------------


def _time(value: Any) -> datetime:
    parsed = dt_util.parse_datetime(str(value))
    if parsed is None:
        msg = f"not a time: {value!r}"
        raise ValueError(msg)
    return dt_util.as_utc(parsed)


def _seconds(delta: timedelta) -> float:
    return round(delta.total_seconds(), 1)


def _plain(value: Any) -> Any:
    """A value as it can travel on the bus and into the recorder."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def _dump(obj: DataclassInstance | None) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {key: _plain(value) for key, value in asdict(obj).items()}


def _restore[T: DataclassInstance](cls: type[T], raw: Mapping[str, Any]) -> T:
    times: tuple[str, ...] = getattr(cls, "_TIMES", ())
    names = {f.name for f in fields(cls)}
    values = {
        key: _time(value) if key in times else value
        for key, value in raw.items()
        if key in names
    }
    return cls(**values)


def _outage_totals(outage: _OpenOutage) -> dict[str, Any]:
    """The outage's figures so far, as they go into its record."""
    return {
        "time_to_backup_s": None
        if outage.time_to_backup_s is None
        else round(outage.time_to_backup_s, 1),
        "backup_power_s": round(outage.backup_s, 1),
        "fuel_start_l": outage.fuel_start_l,
        "fuel_estimated_l": round(outage.estimated_l, 1),
        "fuel_delivered_l": round(outage.delivered_l, 1),
        "unobserved_s": round(outage.unobserved_s, 1),
    }


def _fuel_used(
    outage: _OpenOutage, litres_now: float | None
) -> tuple[float | None, str | None]:
    """Fuel burnt during the outage and how it is known.

    The tank's own level is the better witness; the consumption curve stands
    in when the tank has no reading, or when sensor noise on a short outage
    makes the difference meaningless (negative).
    """
    if outage.fuel_start_l is not None and litres_now is not None:
        used = outage.fuel_start_l + outage.delivered_l - litres_now
        if used >= 0:
            return round(used, 1), "tank_level"
    if outage.last_consumption_lph is None and outage.estimated_l == 0:
        return None, None
    return round(outage.estimated_l, 1), "consumption"


def _energy_used(outage: _OpenOutage, generator: GeneratorState | None) -> float | None:
    """KWh the generator's own counter advanced during the outage."""
    if outage.energy_start_kwh is None or generator is None:
        return None
    now = generator.number("energy_positive")
    if now is None or now < outage.energy_start_kwh:
        return None
    return round(now - outage.energy_start_kwh, 1)


def _alarm_event(record: JournalRecord, action: str) -> dict[str, Any]:
    return {
        "action": action,
        "alarm": record.data.get("alarm"),
        "condition": record.data.get("condition"),
        "stops_engine": record.data.get("stops_engine"),
    }


def _event_for_added(record: JournalRecord) -> str | None:
    """The bus event a record written by `add` announces itself with."""
    if record.kind is RecordKind.COMMAND:
        refused = record.data.get("result") == "refused"
        return EVENT_COMMAND_REFUSED if refused else EVENT_COMMAND
    return {
        RecordKind.FUEL_DELIVERY: EVENT_FUEL_DELIVERY,
        RecordKind.MAINTENANCE: EVENT_MAINTENANCE,
        RecordKind.NOTICE: EVENT_NOTICE,
        RecordKind.START_FAILURE: EVENT_START_FAILED,
    }.get(record.kind)
