"""The journal's derivation (rules/history.py) from plain site states, without HA.

Each test drives a `SiteTracker` with hand-made snapshots, hands every state
to a `SiteHistory`, and applies what it answers to a plain dict of records,
the way the journal does, so the records and events can be checked exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
import json
from typing import Any, cast

import pytest

from custom_components.sot_point.const import (
    EVENT_ALARM,
    EVENT_OUTAGE_ENDED,
    EVENT_OUTAGE_STARTED,
    EVENT_START_FAILED,
    EVENT_TEST_RUN_ENDED,
    EVENT_TEST_RUN_STARTED,
)
from custom_components.sot_point.hardware.state import (
    Alarm,
    AlarmCondition,
    ControlMode,
    EngineState,
    GeneratorState,
    StatusFlag,
    TransferPosition,
    TransferState,
)
from custom_components.sot_point.rules.history import SiteHistory
from custom_components.sot_point.rules.records import (
    AlarmData,
    Changes,
    JournalRecord,
    OutageData,
    RecordKind,
    StartAttemptData,
    StartFailureData,
    # Named so that pytest does not take it for a test class.
    TestRunData as RunData,
    parse_time,
)
from custom_components.sot_point.rules.site import (
    SiteMode,
    SiteSettings,
    SiteState,
    SiteTracker,
    Snapshots,
)

T0 = datetime(2026, 2, 10, 8, 0, tzinfo=UTC)
ON_MAINS = TransferPosition.MAINS
ON_GENERATOR = TransferPosition.GENERATOR


def at(seconds: float) -> datetime:
    """T0 and so many seconds."""
    return T0 + timedelta(seconds=seconds)


def iso(seconds: float) -> str:
    """T0 and so many seconds, as a record writes it."""
    return at(seconds).isoformat()


def generator(
    *,
    engine: EngineState = EngineState.STOPPED,
    mode: ControlMode = ControlMode.AUTO,
    kw: float = 0.0,
    energy_kwh: float | None = None,
    alarms: tuple[Alarm, ...] = (),
) -> GeneratorState:
    """A controller's poll: engine, mode, output, energy counter, alarm page."""
    values: dict[str, float] = {
        f"generator_power_l{n}": kw * 1000 / 3 for n in (1, 2, 3)
    }
    if energy_kwh is not None:
        values["energy_positive"] = energy_kwh
    return GeneratorState(
        mode=mode, engine=engine, flags=StatusFlag(0), values=values, alarms=alarms
    )


def switch(position: TransferPosition, *, mains: bool) -> TransferState:
    """A transfer switch: where the load is, and whether the grid is there."""
    return TransferState(
        position=position,
        automatic=True,
        mains_available=mains,
        generator_available=position is ON_GENERATOR,
    )


def counter() -> Callable[[], str]:
    """Record ids in order: r1, r2, ..."""
    numbers = count(1)
    return lambda: f"r{next(numbers)}"


@dataclass
class Site:
    """A tracker and a history, with the journal's records kept in a dict."""

    history: SiteHistory = field(default_factory=lambda: SiteHistory(counter()))
    tracker: SiteTracker = field(
        default_factory=lambda: SiteTracker(
            SiteSettings(outage_confirm_delay=timedelta(seconds=5))
        )
    )
    records: dict[str, JournalRecord] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def poll(
        self,
        seconds: float,
        gen: GeneratorState,
        transfer: TransferState | None = None,
    ) -> SiteState:
        """One cycle at T0 + `seconds`: the state, and the journal it changes."""
        snapshots = Snapshots(generator=gen, transfer_switch=transfer)
        state = self.tracker.update(snapshots, at(seconds))
        self.apply(self.history.observe(state))
        return state

    def apply(self, changes: Changes) -> None:
        """What the journal does with the changes: store, update, announce."""
        for record in changes.appended:
            self.records[record.id] = record
        for update in changes.updated:
            old = self.records[update.record_id]
            self.records[update.record_id] = old.with_data(update.changes)
        for announced in changes.announced:
            record = self.records[announced.record_id]
            self.events.append((announced.event_type, announced.payload(record)))

    def of(self, kind: RecordKind) -> list[JournalRecord]:
        """The records of one kind, in the order they were written."""
        return [record for record in self.records.values() if record.kind is kind]

    def only(self, kind: RecordKind) -> JournalRecord:
        """The one record of a kind."""
        found = self.of(kind)
        assert len(found) == 1, found
        return found[0]

    def event_types(self) -> list[str]:
        """The events fired so far, by type."""
        return [event_type for event_type, _ in self.events]


def power_cut_until_backup(site: Site) -> None:
    """The grid fails at T0 + 1 s; the set runs from 7 s and takes 9 kW at 20 s."""
    site.poll(0, generator(energy_kwh=1000.0), switch(ON_MAINS, mains=True))
    site.poll(1, generator(energy_kwh=1000.0), switch(ON_MAINS, mains=False))
    starting = generator(engine=EngineState.PRE_START, energy_kwh=1000.0)
    assert site.poll(7, starting, switch(ON_MAINS, mains=False)).mode is (
        SiteMode.STARTING
    )
    running = generator(engine=EngineState.RUNNING, kw=9.0, energy_kwh=1000.0)
    backup = site.poll(20, running, switch(ON_GENERATOR, mains=False))
    assert backup.mode is SiteMode.BACKUP_POWER


# -- outages ----------------------------------------------------------------------


def test_power_cut_is_one_outage_record_with_its_figures() -> None:
    """Mains lost, outage confirmed, backup power, mains back: one outage."""
    site = Site()
    power_cut_until_backup(site)
    running = generator(engine=EngineState.RUNNING, kw=9.0, energy_kwh=1020.0)
    site.poll(3620, running, switch(ON_GENERATOR, mains=False))
    # The grid is back, the load still on the set: not over yet.
    running = generator(engine=EngineState.RUNNING, kw=9.0, energy_kwh=1027.5)
    returning = site.poll(3650, running, switch(ON_GENERATOR, mains=True))
    assert returning.mode is SiteMode.RETURNING
    assert cast(OutageData, site.only(RecordKind.OUTAGE).data)["ended"] is None
    cooling = generator(engine=EngineState.COOLING_DOWN, energy_kwh=1027.5)
    site.poll(3700, cooling, switch(ON_MAINS, mains=True))

    outage = site.only(RecordKind.OUTAGE)
    data = cast(OutageData, outage.data)
    assert outage.at == at(1)
    assert data["started"] == iso(1)
    assert data["ended"] == iso(3700)
    assert data["duration_s"] == 3699.0
    assert data["time_to_backup_s"] == 19.0
    # On backup from 20 s until the load went back at 3700 s; the state at
    # 3650 s already read returning.
    assert data["backup_power_s"] == 3630.0
    assert data["unobserved_s"] == 0.0
    assert data["end_uncertain"] is False
    assert data["energy_kwh"] == 27.5
    # No tank reading: the fuel is what the consumption curve says.
    assert data["fuel_used_source"] == "consumption"
    assert data["fuel_used_l"] == data["fuel_estimated_l"]
    assert (data["fuel_used_l"] or 0) > 0

    assert site.event_types() == [EVENT_OUTAGE_STARTED, EVENT_OUTAGE_ENDED]
    assert site.events[0][1] == {"started": iso(1), "ended": None}
    assert site.events[1][1] == dict(outage.data)

    attempt = cast(StartAttemptData, site.only(RecordKind.START_ATTEMPT).data)
    assert attempt["result"] == "running"
    assert attempt["during_outage"] is True
    assert attempt["time_to_running_s"] == 13.0


def test_open_outage_totals_are_kept_up_to_date() -> None:
    """What the journal copies into the open outage's record before a read."""
    site = Site()
    power_cut_until_backup(site)
    running = generator(engine=EngineState.RUNNING, kw=9.0)
    site.poll(620, running, switch(ON_GENERATOR, mains=False))
    assert site.history.outage_id == site.only(RecordKind.OUTAGE).id
    [totals] = site.history.running_totals()
    assert totals.record_id == site.history.outage_id
    assert cast(OutageData, totals.changes)["backup_power_s"] == 600.0
    site.history.note_delivery(80.0)
    [totals] = site.history.running_totals()
    assert cast(OutageData, totals.changes)["fuel_delivered_l"] == 80.0


# -- alarms -----------------------------------------------------------------------


def test_alarm_raised_then_cleared_is_one_record() -> None:
    """Raised, still raised, cleared: one alarm record, two events."""
    site = Site()
    low_fuel = (Alarm("low_fuel_level", AlarmCondition.WARNING),)
    site.poll(0, generator())
    site.poll(10, generator(alarms=low_fuel))
    site.poll(40, generator(alarms=low_fuel))
    site.poll(70, generator())

    alarm = site.only(RecordKind.ALARM)
    data = cast(AlarmData, alarm.data)
    assert alarm.at == at(10)
    assert data["alarm"] == "low_fuel_level"
    assert data["condition"] == "warning"
    assert data["stops_engine"] is False
    assert data["raised"] == iso(10)
    assert data["cleared"] == iso(70)
    assert data["acknowledged"] is None
    assert site.history.open_alarm_id("low_fuel_level") is None
    expected = {"alarm": "low_fuel_level", "condition": "warning"}
    assert site.events == [
        (EVENT_ALARM, {"action": "raised", "stops_engine": False} | expected),
        (EVENT_ALARM, {"action": "cleared", "stops_engine": False} | expected),
    ]


def test_flapping_alarm_is_one_record_with_a_count() -> None:
    """An alarm that clears and comes back every 5 s for ten minutes: one record.

    Counted, not 120 records, and phones are told of it once; after it stays
    away for more than a minute, a new occurrence is a new record.
    """
    site = Site()
    door = (Alarm("low_fuel_level", AlarmCondition.WARNING),)
    site.poll(0, generator())
    second = 5
    for _ in range(120):
        site.poll(second, generator(alarms=door))
        site.poll(second + 2.5, generator())
        second += 5
    alarm = site.only(RecordKind.ALARM)
    data = cast(AlarmData, alarm.data)
    assert data["count"] == 120
    assert data["raised"] == iso(5)
    assert data["cleared"] == iso(second - 5 + 2.5)
    raised = [e for e in site.events if e[1]["action"] == "raised"]
    assert len(raised) == 1

    site.poll(second + 120, generator(alarms=door))
    alarms = [r for r in site.records.values() if r.kind is RecordKind.ALARM]
    assert len(alarms) == 2
    assert cast(AlarmData, alarms[-1].data)["count"] == 1


def test_outage_found_at_a_start_begins_when_the_mains_was_last_seen_good() -> None:
    """Home Assistant starts with the grid already gone; 5 s later it is confirmed.

    The outage began while nobody watched: its record starts at the last
    moment the mains was seen good (as stored before the stop), says so,
    and is announced once, like any new outage.
    """
    site = Site()
    site.history.note_start(at(0), at(-600))
    state = site.poll(0, generator(), switch(ON_MAINS, mains=False))
    assert state.outage_started is None  # not confirmed yet
    site.poll(3, generator(), switch(ON_MAINS, mains=False))
    site.poll(6, generator(), switch(ON_MAINS, mains=False))
    outage = site.only(RecordKind.OUTAGE)
    data = cast(OutageData, outage.data)
    assert outage.at == at(-600)
    assert data["started"] == iso(-600)
    assert data["start_uncertain"] is True
    assert data["started_by"] == iso(0)
    started = [e for e in site.events if e[0] == EVENT_OUTAGE_STARTED]
    assert len(started) == 1


def test_outage_after_a_start_with_the_mains_good_is_an_ordinary_one() -> None:
    """Seen good after the start, then lost: the outage begins when it was lost."""
    site = Site()
    site.history.note_start(at(0), at(-600))
    site.poll(0, generator(), switch(ON_MAINS, mains=True))
    site.poll(10, generator(), switch(ON_MAINS, mains=False))
    site.poll(16, generator(), switch(ON_MAINS, mains=False))
    data = cast(OutageData, site.only(RecordKind.OUTAGE).data)
    assert data["started"] == iso(10)
    assert "start_uncertain" not in data


def test_alarm_page_not_read_changes_nothing() -> None:
    """A poll without the alarm page neither raises nor clears anything."""
    site = Site()
    site.poll(0, generator(alarms=(Alarm("low_fuel_level", AlarmCondition.WARNING),)))
    unread = GeneratorState(ControlMode.AUTO, EngineState.STOPPED, StatusFlag(0))
    site.poll(10, unread)
    assert cast(AlarmData, site.only(RecordKind.ALARM).data)["cleared"] is None
    assert site.history.open_alarm_id("low_fuel_level") is not None


# -- start attempts ---------------------------------------------------------------


def test_start_back_at_rest_with_a_shutdown_alarm_is_a_failed_start() -> None:
    """The set never runs and stops on a shutdown alarm: the attempt failed."""
    site = Site()
    site.poll(0, generator(mode=ControlMode.MANUAL))
    site.poll(5, generator(mode=ControlMode.MANUAL, engine=EngineState.PRE_START))
    site.poll(15, generator(mode=ControlMode.MANUAL, engine=EngineState.WARMING_UP))
    oil = (Alarm("low_oil_pressure", AlarmCondition.SHUTDOWN),)
    site.poll(25, generator(mode=ControlMode.MANUAL, alarms=oil))

    attempt = site.only(RecordKind.START_ATTEMPT)
    data = cast(StartAttemptData, attempt.data)
    assert attempt.at == at(5)
    assert data["result"] == "failed"
    assert data["ended"] == iso(25)
    assert data["time_to_running_s"] is None
    assert data["during_outage"] is False
    assert data["control_mode"] == "manual"
    assert cast(AlarmData, site.only(RecordKind.ALARM).data)["stops_engine"] is True


def test_start_back_at_rest_without_an_alarm_is_abandoned() -> None:
    """Stopped before it ran, and nothing wrong: abandoned, not failed."""
    site = Site()
    site.poll(0, generator())
    site.poll(5, generator(engine=EngineState.PRE_START))
    site.poll(8, generator(engine=EngineState.STOPPED))
    data = cast(StartAttemptData, site.only(RecordKind.START_ATTEMPT).data)
    assert data["result"] == "abandoned"
    assert site.of(RecordKind.START_FAILURE) == []


def test_fail_to_start_alarm_is_one_start_failure() -> None:
    """Fail to start during a power cut: one failure, tied to attempt and outage."""
    site = Site()
    site.poll(0, generator(), switch(ON_MAINS, mains=True))
    site.poll(1, generator(), switch(ON_MAINS, mains=False))
    cranking = generator(engine=EngineState.PRE_START)
    site.poll(7, cranking, switch(ON_MAINS, mains=False))
    failed = generator(alarms=(Alarm("fail_to_start", AlarmCondition.SHUTDOWN),))
    state = site.poll(40, failed, switch(ON_MAINS, mains=False))
    assert state.mode is SiteMode.OUTAGE_NO_BACKUP
    site.poll(45, failed, switch(ON_MAINS, mains=False))  # the same failure

    failure = site.only(RecordKind.START_FAILURE)
    data = cast(StartFailureData, failure.data)
    attempt = site.only(RecordKind.START_ATTEMPT)
    assert data["reason"] == "fail_to_start"
    assert data["attempt_id"] == attempt.id
    assert data["outage_id"] == site.only(RecordKind.OUTAGE).id
    assert data["alarms"] == ["fail_to_start"]
    assert cast(StartAttemptData, attempt.data)["result"] == "failed"
    assert site.event_types().count(EVENT_START_FAILED) == 1


# -- test runs --------------------------------------------------------------------


def test_test_run_on_load_passes() -> None:
    """Test on load, the set runs with load, back to Auto: a passed test run."""
    site = Site()
    site.poll(0, generator())
    test_mode = ControlMode.TEST_ON_LOAD
    site.poll(5, generator(mode=test_mode, engine=EngineState.PRE_START))
    loaded = generator(mode=test_mode, engine=EngineState.RUNNING, kw=6.0)
    site.poll(20, loaded, switch(ON_GENERATOR, mains=True))
    loaded = generator(mode=test_mode, engine=EngineState.RUNNING, kw=10.0)
    site.poll(620, loaded, switch(ON_GENERATOR, mains=True))
    site.poll(700, generator(), switch(ON_MAINS, mains=True))

    run = site.only(RecordKind.TEST_RUN)
    data = cast(RunData, run.data)
    assert data["result"] == "ok"
    assert data["duration_s"] == 695.0
    assert data["on_load"] is True
    assert data["on_load_requested"] is True
    assert data["mean_load_kw"] == 8.0
    assert data["max_load_kw"] == 10.0
    assert data["interrupted_by_outage"] is False
    assert site.event_types() == [EVENT_TEST_RUN_STARTED, EVENT_TEST_RUN_ENDED]
    assert site.events[1][1] == dict(run.data)


# -- what is open, across a restart -----------------------------------------------


def test_dump_and_restore_mid_outage_continue_the_same_record() -> None:
    """Home Assistant stops for ten minutes mid-outage: the same outage goes on."""
    site = Site()
    power_cut_until_backup(site)
    running = generator(engine=EngineState.RUNNING, kw=9.0)
    site.poll(600, running, switch(ON_GENERATOR, mains=False))
    outage_id = site.history.outage_id
    assert outage_id is not None
    # What the journal stores, through JSON as the store writes it.
    stored = json.loads(json.dumps(site.history.dump()))

    restarted = SiteHistory(counter())
    assert restarted.restore(stored, site.records.keys()) == []
    assert restarted.outage_id == outage_id
    assert restarted.open_ids() == site.history.open_ids()
    tracker = SiteTracker(SiteSettings(outage_confirm_delay=timedelta(seconds=5)))
    tracker.resume_outage(at(1))  # as the coordinator does after a restart
    after = Site(history=restarted, tracker=tracker, records=site.records)
    after.poll(1200, running, switch(ON_GENERATOR, mains=False))
    after.poll(
        1300, generator(engine=EngineState.COOLING_DOWN), switch(ON_MAINS, mains=True)
    )

    outage = after.only(RecordKind.OUTAGE)
    data = cast(OutageData, outage.data)
    assert outage.id == outage_id
    assert data["ended"] == iso(1300)
    assert data["duration_s"] == 1299.0
    assert data["time_to_backup_s"] == 19.0
    assert data["unobserved_s"] == 600.0
    # The controller kept the site on backup power while nobody watched.
    assert data["backup_power_s"] == 1280.0
    assert data["end_uncertain"] is False
    assert after.event_types() == [EVENT_OUTAGE_ENDED]


def test_outage_over_while_nobody_watched_is_closed_uncertain() -> None:
    """Restored, and the first state already has the load on the mains."""
    site = Site()
    power_cut_until_backup(site)
    restarted = SiteHistory(counter())
    restarted.restore(site.history.dump(), site.records.keys())
    after = Site(history=restarted, records=site.records)
    after.poll(4000, generator(), switch(ON_MAINS, mains=True))
    data = cast(OutageData, after.only(RecordKind.OUTAGE).data)
    assert data["end_uncertain"] is True
    assert data["unobserved_s"] == 3980.0
    assert data["backup_power_s"] == 0.0


def test_restore_drops_what_it_cannot_use() -> None:
    """Open state whose record is gone is dropped; a damaged one is reported."""
    history = SiteHistory(counter())
    unreadable = history.restore(
        {
            "outage": {"record_id": "gone", "started": iso(0), "last_seen": iso(0)},
            "test_run": {"record_id": "r1", "started": "soon"},
            "alarms": {"low_fuel_level": "r2", "over_speed": "gone"},
            "failures": ["r9"],
        },
        {"r1", "r2"},
    )
    assert unreadable == [{"record_id": "r1", "started": "soon"}]
    assert history.outage_id is None
    assert history.open_ids() == {"r2"}
    assert history.dump() == {
        "outage": None,
        "test_run": None,
        "attempt": None,
        "alarms": {"low_fuel_level": "r2"},
        "failures": ["r9"],
    }


def test_a_fault_while_observing_leaves_nothing_half_open() -> None:
    """A state that fails half way changes nothing; the next one starts clean."""
    calls = count()

    def flaky_id() -> str:
        # The outage's record gets an id, then the alarm's cannot.
        if (n := next(calls)) == 1:
            raise RuntimeError("no id today")
        return f"r{n}"

    site = Site(history=SiteHistory(flaky_id))
    site.poll(0, generator(), switch(ON_MAINS, mains=True))
    site.poll(1, generator(), switch(ON_MAINS, mains=False))
    alarm = (Alarm("low_fuel_level", AlarmCondition.WARNING),)
    with pytest.raises(RuntimeError):
        site.poll(7, generator(alarms=alarm), switch(ON_MAINS, mains=False))
    assert site.history.open_ids() == set()
    assert site.history.dump()["outage"] is None

    site.poll(8, generator(alarms=alarm), switch(ON_MAINS, mains=False))
    assert set(site.records) == {"r2", "r3"}
    assert site.history.outage_id == "r2"
    assert site.history.open_ids() == {"r2", "r3"}
    assert site.only(RecordKind.OUTAGE).at == at(1)


def test_record_round_trip_through_storage() -> None:
    """A record reads back the same from its stored form; times come back UTC."""
    record = JournalRecord.new("r1", RecordKind.NOTICE, at(0), {"message": "x"})
    assert JournalRecord.from_dict(json.loads(json.dumps(record.as_dict()))) == record
    assert parse_time("2026-02-10T09:00:00+01:00") == T0
    with pytest.raises(ValueError, match="not a time"):
        parse_time("yesterday")
