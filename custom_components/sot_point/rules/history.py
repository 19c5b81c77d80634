"""What the site's states add to its journal: outages, starts, test runs, alarms.

`SiteHistory` takes one `SiteState` at a time and answers with `Changes`:
records to append, records to update, and bus events to fire. It holds what
is open (the outage, test run, start attempt and alarms under way) and nothing
else: the records themselves, their storage and the event bus are the
journal's (journal/), which applies the changes. The open state is dumped into
the journal's storage and restored from it, so a record still open when Home
Assistant stops is continued, not duplicated, when it starts again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Container, Mapping
import copy
from datetime import datetime, timedelta
from typing import Any, Final

from ..const import (
    EVENT_ALARM,
    EVENT_OUTAGE_ENDED,
    EVENT_OUTAGE_STARTED,
    EVENT_START_FAILED,
    EVENT_TEST_RUN_ENDED,
    EVENT_TEST_RUN_STARTED,
)
from ..hardware.state import AlarmCondition, ControlMode, EngineState, GeneratorState
from .open_records import OpenAttempt, OpenOutage, OpenState, OpenTestRun, seconds
from .records import (
    AlarmData,
    Announcement,
    AttemptResult,
    Changes,
    FailureReason,
    JournalRecord,
    OutageData,
    RecordKind,
    StartAttemptData,
    StartFailureData,
    TestRunData,
    Update,
)
from .site import SiteMode, SiteState
from .words import word

# Start failures already reported, by attempt and outage, so one failed start
# is one record however many ways it shows (alarm, then no backup).
_FAILURE_MEMORY: Final = 20
_AT_REST: Final = frozenset({EngineState.STOPPED, EngineState.AT_REST})
# An alarm raised again this soon after it cleared is the same one, flapping.
FLAP_WINDOW: Final = timedelta(minutes=1)
# The alarm record's fields its events repeat.
_ALARM_FIELDS: Final = ("alarm", "condition", "stops_engine")


class SiteHistory:
    """Derives the journal's outages, starts, test runs and alarms from states."""

    def __init__(self, new_id: Callable[[], str]) -> None:
        """Start with nothing open; `new_id` names each new record."""
        self._new_id = new_id
        self._open = OpenState()
        self._changes = Changes()
        self._boot: tuple[datetime, datetime | None] | None = None

    # -- what is open -------------------------------------------------------------

    @property
    def outage_id(self) -> str | None:
        """The record of the outage going on, if any."""
        return self._open.outage.record_id if self._open.outage else None

    @property
    def has_running_figures(self) -> bool:
        """An outage or test run is open: its figures change with every state."""
        return self._open.outage is not None or self._open.test_run is not None

    def open_alarm_id(self, alarm_key: str) -> str | None:
        """The record of the alarm raised now under that key, if any."""
        return self._open.alarms.get(alarm_key)

    def open_ids(self) -> set[str]:
        """The records still open: updated later, so never to be pruned."""
        return self._open.record_ids()

    def running_totals(self) -> list[Update]:
        """The open outage's figures so far, for its record."""
        outage = self._open.outage
        if outage is None:
            return []
        return [Update(outage.record_id, outage.totals())]

    def note_delivery(self, litres: float | None) -> None:
        """A fuel delivery was recorded: it counts in the open outage's fuel."""
        if self._open.outage is not None:
            self._open.outage.delivered_l += float(litres or 0.0)

    def dump(self) -> dict[str, Any]:
        """What is open, as plain values for storage."""
        return self._open.dump()

    def restore(self, opened: Mapping[str, Any], known: Container[str]) -> list[Any]:
        """Take back what `dump` wrote; the parts it could not read.

        What is open is kept only if its record (an id in `known`) is still
        there. The state seen last is not stored: the next one follows a time
        nobody watched.
        """
        self._open, unreadable = OpenState.restore(opened, known)
        return unreadable

    # -- deriving -----------------------------------------------------------------

    def observe(self, state: SiteState) -> Changes:
        """Take one cycle's SiteState; what changed in the journal since the last.

        All or nothing: should it fail, what is open stays as it was, so that
        it agrees with the journal, which then has nothing to apply.
        """
        before = copy.deepcopy(self._open)
        self._changes = changes = Changes()
        try:
            self._observe(state)
        except BaseException:
            self._open = before
            raise
        return changes

    def _observe(self, state: SiteState) -> None:
        self._observe_outage(state)
        generator = state.generator
        if generator is not None:
            raised = self._observe_alarms(state, generator)
            self._observe_start_failure(state, generator, raised)
            self._observe_engine(state, generator)
            self._observe_test_run(state, generator)
        self._open.last_mode = state.mode
        self._open.previous_update = state.updated

    @property
    def _watched(self) -> bool:
        """The time since the last state was watched (no restart in between)."""
        return self._open.previous_update is not None

    def _append(self, kind: RecordKind, at: datetime, data: Mapping[str, Any]) -> str:
        record = JournalRecord.new(self._new_id(), kind, at, data)
        self._changes.appended.append(record)
        return record.id

    def _update(self, record_id: str, changes: Mapping[str, Any]) -> None:
        self._changes.updated.append(Update(record_id, changes))

    def _announce(self, announcement: Announcement) -> None:
        self._changes.announced.append(announcement)

    # outages

    def note_start(self, started: datetime, mains_last_good: datetime | None) -> None:
        """Home Assistant (or the site) starts at `started`.

        An outage first seen now began after `mains_last_good` (the last
        moment the mains was seen good, as stored), or, when that is not
        known, at the latest `started`.
        """
        self._boot = (started, mains_last_good)

    def _observe_outage(self, state: SiteState) -> None:
        outage = self._open.outage
        if state.mains_available:
            self._open.lost_at_start = False
        elif not self._watched and outage is None and state.mains_available is False:
            # Lost before we looked; confirmed only after the confirmation
            # delay, by which time this start has been watched.
            self._open.lost_at_start = True
        if (
            state.outage_started is not None
            and outage is None
            and (self._open.lost_at_start or not self._watched)
        ):
            self._open.lost_at_start = False
            outage = self._begin_outage_before_start(state)
        if state.outage_started is not None:
            outage = outage or self._begin_outage(state, state.outage_started)
            if outage.advance(state, watched=self._watched, bridge=True):
                self._update(outage.record_id, outage.totals())
        elif outage is not None and state.mains_available:
            # Only a mains known to be back ends it: a silent controller after
            # a restart says nothing about the grid.
            self._end_outage(outage, state)

    def _begin_outage_before_start(self, state: SiteState) -> OpenOutage:
        """The first reading after a start shows the mains already lost.

        Not a new outage at this moment: it began while nobody watched, after
        the mains was last seen good. That moment is the record's start, so
        it is never later than the true one, and the record says so.
        """
        booted, last_good = self._boot or (state.updated, None)
        started = min(last_good or booted, state.outage_started or state.updated)
        return self._begin_outage(
            state,
            started,
            OutageData(start_uncertain=True, started_by=booted.isoformat()),
        )

    def _begin_outage(
        self, state: SiteState, started: datetime, extra: OutageData | None = None
    ) -> OpenOutage:
        data = OutageData(started=started.isoformat(), ended=None) | (extra or {})
        record_id = self._append(RecordKind.OUTAGE, started, data)
        self._open.outage = OpenOutage(
            record_id=record_id,
            started=started,
            last_seen=state.updated,
            last_mode=state.mode.value,
            last_consumption_lph=state.fuel.consumption_lph,
        )
        self._announce(Announcement(EVENT_OUTAGE_STARTED, record_id, data))
        return self._open.outage

    def _end_outage(self, outage: OpenOutage, state: SiteState) -> None:
        # Over while nobody watched: when it ended, and what ran meanwhile,
        # is not known, so the gap is not bridged.
        watched = self._watched
        outage.advance(state, watched=watched, bridge=watched)
        self._update(outage.record_id, outage.ended(state, watched=watched))
        self._open.outage = None
        self._announce(
            Announcement(EVENT_OUTAGE_ENDED, outage.record_id, whole_record=True)
        )

    # alarms

    def _observe_alarms(self, state: SiteState, generator: GeneratorState) -> set[str]:
        """Raise and clear alarm records; the keys newly raised this cycle."""
        if generator.alarms is None:
            return set()  # the alarm page was not read: nothing is known
        active = {alarm.key: alarm.condition for alarm in generator.active_alarms}
        alarms = self._open.alarms
        raised: set[str] = set()
        for key, condition in active.items():
            if key in alarms:
                self._update(alarms[key], AlarmData(condition=word(condition)))
            else:
                self._raise_alarm(state, key, condition)
                raised.add(key)
        for key in [key for key in alarms if key not in active]:
            self._clear_alarm(state, key)
        return raised

    def _raise_alarm(
        self, state: SiteState, key: str, condition: AlarmCondition
    ) -> None:
        recent = self._open.recent_clears.pop(key, None)
        if recent is not None and state.updated - recent[1] <= FLAP_WINDOW:
            # Back within a minute: the same occurrence, flapping. One record
            # with a count, and no new announcement to ring every phone again.
            record_id, _cleared, raised = recent
            self._update(
                record_id,
                AlarmData(condition=word(condition), cleared=None, count=raised + 1),
            )
            self._open.alarms[key] = record_id
            self._open.raises[key] = raised + 1
            return
        data = AlarmData(
            alarm=key,
            condition=word(condition),
            stops_engine=condition.stops_engine,
            raised=state.updated.isoformat(),
            cleared=None,
            count=1,
            acknowledged=None,
            acknowledged_by=None,
            acknowledged_by_name=None,
        )
        record_id = self._append(RecordKind.ALARM, state.updated, data)
        self._open.alarms[key] = record_id
        self._announce(_alarm_event(record_id, "raised"))

    def _clear_alarm(self, state: SiteState, key: str) -> None:
        record_id = self._open.alarms.pop(key)
        raised = self._open.raises.pop(key, 1)
        self._open.recent_clears[key] = (record_id, state.updated, raised)
        self._update(record_id, AlarmData(cleared=state.updated.isoformat()))
        self._announce(_alarm_event(record_id, "cleared"))

    # start attempts and failures

    def _observe_engine(self, state: SiteState, generator: GeneratorState) -> None:
        engine = generator.engine
        if engine is None:
            return
        previous, self._open.last_engine = self._open.last_engine, engine
        if (
            self._open.attempt is None
            and previous in _AT_REST
            and generator.starting_or_running
        ):
            self._begin_attempt(state, generator)
        if self._open.attempt is None:
            return
        if generator.engine_running:
            self._close_attempt(state, "running")
        elif engine in _AT_REST:
            failed = generator.has_stopping_alarm
            self._close_attempt(state, "failed" if failed else "abandoned")

    def _begin_attempt(self, state: SiteState, generator: GeneratorState) -> None:
        data = StartAttemptData(
            during_outage=self._open.outage is not None,
            control_mode=word(generator.mode),
            site_mode=state.mode.value,
            result=None,
            ended=None,
            time_to_running_s=None,
        )
        record_id = self._append(RecordKind.START_ATTEMPT, state.updated, data)
        self._open.attempt = OpenAttempt(record_id, state.updated)

    def _close_attempt(self, state: SiteState, result: AttemptResult) -> None:
        attempt = self._open.attempt
        if attempt is None:
            return
        elapsed = seconds(state.updated - attempt.started)
        self._update(
            attempt.record_id,
            StartAttemptData(
                result=result,
                ended=state.updated.isoformat(),
                time_to_running_s=elapsed if result == "running" else None,
            ),
        )
        self._open.attempt = None

    def _observe_start_failure(
        self, state: SiteState, generator: GeneratorState, raised: Collection[str]
    ) -> None:
        """A fail-to-start alarm, or an outage the site faces without backup."""
        opened = self._open
        reason: FailureReason
        if "fail_to_start" in raised:
            reason = "fail_to_start"
        elif (
            state.mode is SiteMode.OUTAGE_NO_BACKUP
            and opened.last_mode is not SiteMode.OUTAGE_NO_BACKUP
            and self._start_expected(generator)
        ):
            reason = "no_backup"
        else:
            return
        keys = [o.record_id for o in (opened.attempt, opened.outage) if o is not None]
        if any(key in opened.failures for key in keys):
            return
        opened.failures = (opened.failures + keys)[-_FAILURE_MEMORY:]
        data = StartFailureData(
            reason=reason,
            attempt_id=opened.attempt.record_id if opened.attempt else None,
            outage_id=opened.outage.record_id if opened.outage else None,
            control_mode=word(generator.mode),
            engine=word(generator.engine),
            alarms=[alarm.key for alarm in generator.stopping_alarms],
        )
        record_id = self._append(RecordKind.START_FAILURE, state.updated, data)
        self._announce(Announcement(EVENT_START_FAILED, record_id, data))
        self._close_attempt(state, "failed")

    def _start_expected(self, generator: GeneratorState) -> bool:
        # A site run by hand (Manual) waits for someone to press Start; no
        # backup is then not yet a failed start. It is one when a start was
        # tried, when the controller was in Auto (it should have started) or
        # left in Stop (it cannot), or when an alarm forbids starting at all.
        return (
            self._open.attempt is not None
            or generator.mode in (ControlMode.AUTO, ControlMode.STOP, ControlMode.OFF)
            or generator.has_stopping_alarm
        )

    # test runs

    def _observe_test_run(self, state: SiteState, generator: GeneratorState) -> None:
        run = self._open.test_run
        if state.mode is SiteMode.TEST_RUN:
            if run is None:
                run = self._begin_test_run(state, generator)
            run.sample(state, generator)
        elif run is not None:
            self._update(run.record_id, run.ended(state, generator))
            self._open.test_run = None
            self._announce(
                Announcement(EVENT_TEST_RUN_ENDED, run.record_id, whole_record=True)
            )

    def _begin_test_run(
        self, state: SiteState, generator: GeneratorState
    ) -> OpenTestRun:
        data = TestRunData(
            started=state.updated.isoformat(),
            ended=None,
            control_mode=word(generator.mode),
            on_load_requested=generator.mode is ControlMode.TEST_ON_LOAD,
        )
        record_id = self._append(RecordKind.TEST_RUN, state.updated, data)
        self._open.test_run = OpenTestRun(record_id, state.updated)
        self._announce(Announcement(EVENT_TEST_RUN_STARTED, record_id, data))
        return self._open.test_run


def _alarm_event(record_id: str, action: str) -> Announcement:
    """An alarm's event: the action, and the alarm as its record tells it."""
    fields = {"action": action}
    return Announcement(EVENT_ALARM, record_id, fields, record_keys=_ALARM_FIELDS)
