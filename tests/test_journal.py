"""The site journal against the simulator: what it writes down, and that it lasts.

Home Assistant's clock (`freezer`) and the simulator's (`sim.advance`) move in
step, so durations in the journal can be checked against hand-computed ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Context, Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_capture_events,
)

from custom_components.sot_point.const import (
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
)
from custom_components.sot_point.hardware.commands import Command
from custom_components.sot_point.hardware.profiles.dse_gencomm import ControlKey
from custom_components.sot_point.hardware.state import AlarmCondition, ControlMode
from custom_components.sot_point.journal import (
    Journal,
    JournalRecord,
    RecordKind,
    store as journal_module,
)
from simulator.server import SimulatedSite

from .conftest import site_entry

ENTRY_ID = "01SITEKALL0000000000000000"
STORE_KEY = f"{DOMAIN}.{ENTRY_ID}.journal"
SITE = "SOT-punkt Kall"
T0 = datetime(2026, 2, 10, 8, 0, tzinfo=dt_util.UTC)
# Time starts at T0 and runs on between the jumps a test makes: stopped
# still, pymodbus and Home Assistant's timeouts would wait forever. Figures are
# therefore checked to within the second or two the test itself takes.
pytestmark = pytest.mark.freeze_time(T0, tick=True)
SLACK = 2.0


# -- helpers ----------------------------------------------------------------------


def journal_of(entry: MockConfigEntry) -> Journal:
    """The loaded site's journal."""
    journal: Journal = entry.runtime_data.journal
    return journal


async def refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """One poll of the site, and whatever it set off."""
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


def step(sim: SimulatedSite, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Move the simulated site and Home Assistant's clock on together."""
    sim.advance(seconds)
    freezer.tick(timedelta(seconds=seconds))


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up (or set up again) the site's entry."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def only(journal: Journal, kind: RecordKind) -> JournalRecord:
    """The single record of a kind; fails when there are none or several."""
    records = journal.records(kinds={kind})
    assert len(records) == 1, records
    return records[0]


def time_to_backup(sim: SimulatedSite, failed_cranks: int = 0) -> float:
    """Whole seconds after which the site is surely on backup power."""
    return float(int(sim.site.config.timings.time_to_load(failed_cranks)) + 2)


def time_to_mains(sim: SimulatedSite) -> float:
    """Whole seconds after the grid returns until the load is back on it."""
    timings = sim.site.config.timings
    return float(int(timings.mains_return_delay + timings.transfer_time) + 2)


@pytest.fixture
def clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Home Assistant's clock, started at T0."""
    return freezer


def near(moment: Any, expected: datetime) -> bool:
    """Whether a record's time (datetime or ISO text) is `expected`, give or take."""
    if isinstance(moment, str):
        moment = dt_util.parse_datetime(moment)
    assert isinstance(moment, datetime)
    return abs((moment - expected).total_seconds()) <= SLACK


def about(value: float) -> Any:
    """A figure in seconds, give or take the test's own running time."""
    return pytest.approx(value, abs=SLACK)


@pytest.fixture
async def loaded(
    hass: HomeAssistant, sim: SimulatedSite, clock: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The site, loaded at T0 on a normal day."""
    entry = site_entry(sim)
    entry.add_to_hass(hass)
    await set_up(hass, entry)
    return entry


async def outage_on_backup(
    hass: HomeAssistant,
    sim: SimulatedSite,
    entry: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> float:
    """The grid fails at T0 and the set takes the load; seconds until it did."""
    sim.site.lose_mains()
    await refresh(hass, entry)
    to_backup = time_to_backup(sim)
    step(sim, clock, to_backup)
    await refresh(hass, entry)
    assert entry.runtime_data.coordinator.data.mode == "backup_power"
    return to_backup


# -- outages ----------------------------------------------------------------------


async def test_outage_is_recorded_with_its_figures(
    hass: HomeAssistant,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """A two-hour power cut: start, end, time to backup, hours, fuel and energy."""
    started_events = async_capture_events(hass, EVENT_OUTAGE_STARTED)
    ended_events = async_capture_events(hass, EVENT_OUTAGE_ENDED)
    tank_before = sim.site.tank.litres
    energy_before = sim.site.controller.counters.energy_kwh

    to_backup = await outage_on_backup(hass, sim, loaded, clock)
    assert len(started_events) == 1
    assert near(started_events[0].data["started"], T0)
    assert started_events[0].data["entry_id"] == ENTRY_ID
    assert started_events[0].data["site"] == SITE
    open_outage = journal_of(loaded).open_outage
    assert open_outage is not None
    assert near(open_outage.at, T0)
    assert open_outage.data["time_to_backup_s"] == about(to_backup)

    step(sim, clock, 7200)
    sim.site.restore_mains()
    await refresh(hass, loaded)
    assert journal_of(loaded).open_outage is not None  # still on the generator
    step(sim, clock, time_to_mains(sim))
    await refresh(hass, loaded)

    outage = only(journal_of(loaded), RecordKind.OUTAGE)
    assert journal_of(loaded).open_outage is None
    duration = to_backup + 7200 + time_to_mains(sim)
    assert near(outage.at, T0)
    assert near(outage.data["ended"], T0 + timedelta(seconds=duration))
    assert outage.data["duration_s"] == about(duration)
    assert outage.data["time_to_backup_s"] == about(to_backup)
    assert outage.data["backup_power_s"] == about(7200)
    assert outage.data["end_uncertain"] is False
    assert outage.data["unobserved_s"] == 0
    tank_used = tank_before - sim.site.tank.litres
    assert outage.data["fuel_used_source"] == "tank_level"
    assert outage.data["fuel_used_l"] == pytest.approx(tank_used, abs=1.0)
    # The consumption curve is the integration's own model, not the engine's:
    # it only has to be of the right size.
    assert outage.data["fuel_estimated_l"] == pytest.approx(tank_used, rel=0.5)
    energy = sim.site.controller.counters.energy_kwh - energy_before
    assert outage.data["energy_kwh"] == pytest.approx(energy, abs=0.2)

    assert len(ended_events) == 1
    ended = ended_events[0].data
    assert ended["record_id"] == outage.id
    assert ended["duration_s"] == about(duration)
    assert ended["backup_power_s"] == about(7200)
    assert ended["site"] == SITE


async def test_outage_in_progress_is_continued_after_a_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """Home Assistant goes away for ten minutes mid-outage: still one outage."""
    to_backup = await outage_on_backup(hass, sim, loaded, clock)
    first = journal_of(loaded).open_outage
    assert first is not None

    assert await hass.config_entries.async_unload(loaded.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[STORE_KEY]["data"]
    assert stored["open"]["outage"]["record_id"] == first.id

    step(sim, clock, 600)  # the set carries the store while HA is away
    await set_up(hass, loaded)
    resumed = journal_of(loaded).open_outage
    assert resumed is not None
    assert resumed.id == first.id
    assert resumed.at == first.at

    step(sim, clock, 1800)
    await refresh(hass, loaded)
    sim.site.restore_mains()
    step(sim, clock, time_to_mains(sim))
    await refresh(hass, loaded)

    outage = only(journal_of(loaded), RecordKind.OUTAGE)
    duration = to_backup + 600 + 1800 + time_to_mains(sim)
    assert outage.id == first.id
    assert outage.at == first.at
    assert outage.data["duration_s"] == about(duration)
    assert outage.data["end_uncertain"] is False
    assert outage.data["unobserved_s"] == about(600)
    # The controller kept the site on backup power while nobody watched.
    assert outage.data["backup_power_s"] == about(600 + 1800 + time_to_mains(sim))


async def test_outage_that_ended_while_home_assistant_was_away(
    hass: HomeAssistant,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """The grid came back while HA was stopped: closed, marked as not observed."""
    to_backup = await outage_on_backup(hass, sim, loaded, clock)
    assert await hass.config_entries.async_unload(loaded.entry_id)
    await hass.async_block_till_done()

    step(sim, clock, 3600)
    sim.site.restore_mains()
    step(sim, clock, time_to_mains(sim) + sim.site.config.timings.cooldown + 30)
    await set_up(hass, loaded)

    outage = only(journal_of(loaded), RecordKind.OUTAGE)
    assert journal_of(loaded).open_outage is None
    assert near(outage.at, T0)
    assert outage.data["end_uncertain"] is True
    assert near(outage.data["ended"], dt_util.utcnow())
    # Only what was seen counts as backup power; the rest is unobserved.
    assert outage.data["backup_power_s"] == 0
    assert outage.data["unobserved_s"] == about(
        (dt_util.utcnow() - T0).total_seconds() - to_backup
    )


async def test_silent_controller_after_restart_does_not_end_the_outage(
    hass: HomeAssistant,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """No mains reading is no evidence the grid is back."""
    await outage_on_backup(hass, sim, loaded, clock)
    assert await hass.config_entries.async_unload(loaded.entry_id)
    await hass.async_block_till_done()
    sim.faults.enable(rate=1.0, kinds={"drop": 1.0})  # type: ignore[dict-item]
    units = sim.site.config.units
    sim.faults.units = frozenset(u for u in (units.dse, units.ats) if u is not None)
    await set_up(hass, loaded)
    await refresh(hass, loaded)
    assert journal_of(loaded).open_outage is not None
    sim.faults.disable()


async def test_home_assistant_stop_saves_the_open_outage(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """Stopping Home Assistant writes the journal, open outage included."""
    await outage_on_backup(hass, sim, loaded, clock)
    hass_storage.pop(STORE_KEY, None)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    stored = hass_storage[STORE_KEY]["data"]
    outage = stored["open"]["outage"]
    assert near(outage["started"], T0)
    assert outage["last_mode"] == "backup_power"
    assert [r["kind"] for r in stored["records"]].count("outage") == 1


# -- start attempts and failures ------------------------------------------------------


@pytest.mark.parametrize("scenario", ["storm"])
async def test_failed_crank_then_start_is_one_attempt(
    hass: HomeAssistant,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """The storm's first crank fails, the second fires: one successful attempt."""
    failures = async_capture_events(hass, EVENT_START_FAILED)
    step(sim, clock, 31)  # the storm cuts the grid at t = 30 s
    await refresh(hass, loaded)
    for _ in range(8):
        step(sim, clock, 5)
        await refresh(hass, loaded)
    step(sim, clock, time_to_backup(sim, failed_cranks=1))
    await refresh(hass, loaded)

    attempt = only(journal_of(loaded), RecordKind.START_ATTEMPT)
    assert attempt.data["result"] == "running"
    assert attempt.data["during_outage"] is True
    assert attempt.data["control_mode"] == "auto"
    assert attempt.data["time_to_running_s"] > 20  # a crank, its rest, a crank
    assert journal_of(loaded).records(kinds={RecordKind.START_FAILURE}) == []
    assert failures == []


@pytest.mark.parametrize("scenario", ["fail_to_start"])
async def test_fail_to_start_is_one_failure(
    hass: HomeAssistant,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """Three failed cranks: one attempt, one failure, one alarm, one event."""
    failures = async_capture_events(hass, EVENT_START_FAILED)
    step(sim, clock, 31)
    await refresh(hass, loaded)
    for _ in range(30):
        step(sim, clock, 5)
        await refresh(hass, loaded)
    journal = journal_of(loaded)
    assert loaded.runtime_data.coordinator.data.mode == "outage_no_backup"

    attempt = only(journal, RecordKind.START_ATTEMPT)
    failure = only(journal, RecordKind.START_FAILURE)
    alarm = only(journal, RecordKind.ALARM)
    outage = only(journal, RecordKind.OUTAGE)
    assert attempt.data["result"] == "failed"
    assert failure.data["reason"] == "fail_to_start"
    assert failure.data["attempt_id"] == attempt.id
    assert failure.data["outage_id"] == outage.id
    assert failure.data["alarms"] == ["fail_to_start"]
    assert alarm.data["alarm"] == "fail_to_start"
    assert alarm.data["stops_engine"] is True
    assert len(failures) == 1
    assert failures[0].data["reason"] == "fail_to_start"
    assert failures[0].data["site"] == SITE
    assert outage.data["time_to_backup_s"] is None


async def test_outage_with_controller_in_stop_is_a_start_failure(
    hass: HomeAssistant,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """Someone left the controller in Stop: the power cut has no backup."""
    sim.site.set_mode(ControlMode.STOP)
    await refresh(hass, loaded)
    sim.site.lose_mains()
    await refresh(hass, loaded)
    step(sim, clock, 60)
    await refresh(hass, loaded)

    failure = only(journal_of(loaded), RecordKind.START_FAILURE)
    assert failure.data["reason"] == "no_backup"
    assert failure.data["control_mode"] == "stop"
    assert failure.data["attempt_id"] is None
    assert journal_of(loaded).records(kinds={RecordKind.START_ATTEMPT}) == []

    # After a restart the site is still without backup: nothing new to report.
    failures = async_capture_events(hass, EVENT_START_FAILED)
    assert await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()
    await refresh(hass, loaded)
    only(journal_of(loaded), RecordKind.START_FAILURE)
    assert failures == []


async def test_grid_blip_during_the_start_delay_abandons_the_start(
    hass: HomeAssistant,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """The grid returns before the set fires: the start is abandoned, not failed."""
    sim.site.lose_mains()
    step(sim, clock, 3)  # past the mains-fail delay, inside the start delay
    await refresh(hass, loaded)
    sim.site.restore_mains()
    step(sim, clock, 3)
    await refresh(hass, loaded)
    journal = journal_of(loaded)
    attempt = only(journal, RecordKind.START_ATTEMPT)
    assert attempt.data["result"] == "abandoned"
    assert attempt.data["time_to_running_s"] is None
    assert journal.records(kinds={RecordKind.START_FAILURE}) == []
    outage = only(journal, RecordKind.OUTAGE)
    assert outage.data["duration_s"] == about(3)
    assert outage.data["time_to_backup_s"] is None
    assert outage.data["backup_power_s"] == 0


# -- test runs --------------------------------------------------------------------


async def test_test_run_on_load_is_recorded(
    hass: HomeAssistant,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """Test on load for half an hour, back to Auto: a passed test run with load."""
    started = async_capture_events(hass, EVENT_TEST_RUN_STARTED)
    ended = async_capture_events(hass, EVENT_TEST_RUN_ENDED)
    sim.site.set_mode(ControlMode.TEST_ON_LOAD)
    sim.site.press_key(ControlKey.START_ENGINE)  # Test mode waits for Start
    await refresh(hass, loaded)
    for _ in range(6):
        step(sim, clock, 5)
        await refresh(hass, loaded)
    step(sim, clock, 1800)
    await refresh(hass, loaded)
    sim.site.set_mode(ControlMode.AUTO)
    step(sim, clock, sim.site.config.timings.cooldown + 30)
    await refresh(hass, loaded)
    assert loaded.runtime_data.coordinator.data.mode == "normal"

    run = only(journal_of(loaded), RecordKind.TEST_RUN)
    assert near(run.at, T0)
    assert run.data["result"] == "ok"
    assert run.data["on_load"] is True
    assert run.data["mean_load_kw"] > 1
    assert run.data["max_load_kw"] >= run.data["mean_load_kw"]
    assert run.data["duration_s"] == about(
        30 + 1800 + sim.site.config.timings.cooldown + 30
    )
    assert run.data["interrupted_by_outage"] is False
    assert len(started) == 1
    assert started[0].data["on_load_requested"] is True
    assert len(ended) == 1
    assert ended[0].data["result"] == "ok"
    attempt = only(journal_of(loaded), RecordKind.START_ATTEMPT)
    assert attempt.data["during_outage"] is False
    assert attempt.data["result"] == "running"


async def test_test_mode_without_start_is_a_failed_test_run(
    hass: HomeAssistant,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """Test mode selected but Start never pressed: the set never ran."""
    sim.site.set_mode(ControlMode.TEST_ON_LOAD)
    await refresh(hass, loaded)
    step(sim, clock, 600)
    sim.site.set_mode(ControlMode.AUTO)
    await refresh(hass, loaded)
    run = only(journal_of(loaded), RecordKind.TEST_RUN)
    assert run.data["result"] == "failed"
    assert run.data["mean_load_kw"] is None
    assert run.data["max_load_kw"] is None
    assert journal_of(loaded).records(kinds={RecordKind.START_ATTEMPT}) == []


async def test_test_run_stopped_by_a_shutdown_alarm_failed(
    hass: HomeAssistant,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """The coolant overheats during the test: the test run failed."""
    sim.site.set_mode(ControlMode.TEST_ON_LOAD)
    sim.site.press_key(ControlKey.START_ENGINE)
    for _ in range(6):
        step(sim, clock, 5)
        await refresh(hass, loaded)
    sim.site.inject_alarm("high_coolant_temperature")
    step(sim, clock, 5)
    await refresh(hass, loaded)

    run = only(journal_of(loaded), RecordKind.TEST_RUN)
    assert run.data["result"] == "failed"
    alarm = only(journal_of(loaded), RecordKind.ALARM)
    assert alarm.data["alarm"] == "high_coolant_temperature"
    assert alarm.data["condition"] == "shutdown"


# -- alarms -----------------------------------------------------------------------


async def test_alarm_raised_acknowledged_and_cleared(
    hass: HomeAssistant,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """One alarm occurrence is one record: raised, then who acknowledged, cleared."""
    events = async_capture_events(hass, EVENT_ALARM)
    sim.site.inject_alarm("low_fuel_level", AlarmCondition.WARNING)
    await refresh(hass, loaded)
    await refresh(hass, loaded)  # still raised: nothing new
    journal = journal_of(loaded)
    alarm = only(journal, RecordKind.ALARM)
    assert alarm.data["condition"] == "warning"
    assert alarm.data["stops_engine"] is False
    assert [e.data["action"] for e in events] == ["raised"]

    clock.tick(60)
    acknowledged = journal.acknowledge_alarm(
        "low_fuel_level", user_name="Anna", context=Context(user_id="user-anna")
    )
    assert acknowledged is not None
    assert acknowledged.id == alarm.id
    assert acknowledged.data["acknowledged_by"] == "user-anna"
    assert acknowledged.data["acknowledged_by_name"] == "Anna"
    assert journal.acknowledge_alarm("low_fuel_level") is None  # done already
    assert journal.acknowledge_alarm("over_speed") is None  # never raised

    sim.site.release_alarm("low_fuel_level")
    sim.site.press_key(ControlKey.RESET_ALARMS_BUTTON)
    step(sim, clock, 5)
    await refresh(hass, loaded)
    alarm = only(journal, RecordKind.ALARM)
    assert near(alarm.data["cleared"], dt_util.utcnow())
    assert near(alarm.data["acknowledged"], T0 + timedelta(seconds=60))
    assert [e.data["action"] for e in events] == ["raised", "acknowledged", "cleared"]
    assert events[1].data["user_id"] == "user-anna"
    assert events[1].context.user_id == "user-anna"
    assert all(e.data["alarm"] == "low_fuel_level" for e in events)


async def test_cleared_alarm_can_still_be_acknowledged(
    hass: HomeAssistant,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """An alarm that came and went overnight is acknowledged in the morning."""
    sim.site.inject_alarm("battery_low_voltage", AlarmCondition.WARNING)
    await refresh(hass, loaded)
    sim.site.release_alarm("battery_low_voltage")
    sim.site.press_key(ControlKey.RESET_ALARMS_BUTTON)
    step(sim, clock, 5)
    await refresh(hass, loaded)
    record = journal_of(loaded).acknowledge_alarm("battery_low_voltage", user_id="u1")
    assert record is not None
    assert record.data["cleared"] is not None
    assert record.data["acknowledged_by"] == "u1"


async def test_alarm_still_raised_after_restart_is_not_raised_again(
    hass: HomeAssistant,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """An alarm raised before a restart and still there is the same record."""
    sim.site.inject_alarm("low_fuel_level", AlarmCondition.WARNING)
    await refresh(hass, loaded)
    assert await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()
    events = async_capture_events(hass, EVENT_ALARM)
    await refresh(hass, loaded)
    only(journal_of(loaded), RecordKind.ALARM)
    assert events == []


# -- records the services add -----------------------------------------------------


async def test_added_records_announce_themselves(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    """Commands, deliveries, the maintenance lock and notices: record and event."""
    captured: dict[str, list[Event]] = {
        name: async_capture_events(hass, name)
        for name in (
            EVENT_COMMAND,
            EVENT_COMMAND_REFUSED,
            EVENT_FUEL_DELIVERY,
            EVENT_MAINTENANCE,
            EVENT_NOTICE,
        )
    }
    journal = journal_of(loaded)
    who = Context(user_id="user-bertil")
    journal.add(
        RecordKind.COMMAND,
        {"command": "start", "result": "refused", "reason": "maintenance_lock"},
        context=who,
    )
    journal.add(
        RecordKind.COMMAND,
        {
            "command": Command.STOP,
            "result": "done",
            "checks": {"modes": (ControlMode.AUTO,), "at": T0},
        },
    )
    journal.add(RecordKind.FUEL_DELIVERY, {"litres": 500.0}, context=who)
    journal.add(RecordKind.MAINTENANCE, {"on": True, "user_id": None}, context=who)
    journal.add(RecordKind.NOTICE, {"message": "Öppet till 20"})
    # A past outage written in by hand (a paper log) announces nothing.
    journal.add(RecordKind.OUTAGE, {"started": "2025-12-24T15:00:00+00:00"})
    await hass.async_block_till_done()

    refused = captured[EVENT_COMMAND_REFUSED]
    assert len(refused) == 1
    assert refused[0].data["reason"] == "maintenance_lock"
    assert refused[0].data["user_id"] == "user-bertil"
    assert refused[0].context is who
    done = captured[EVENT_COMMAND]
    assert [e.data["command"] for e in done] == ["stop"]
    # Whatever a caller hands over travels on the bus as plain values.
    assert done[0].data["checks"] == {"modes": [1], "at": T0.isoformat()}
    assert captured[EVENT_FUEL_DELIVERY][0].data["litres"] == 500.0
    assert captured[EVENT_MAINTENANCE][0].data["on"] is True
    assert captured[EVENT_MAINTENANCE][0].data["user_id"] == "user-bertil"
    assert captured[EVENT_NOTICE][0].data["message"] == "Öppet till 20"
    assert all(
        e.data["entry_id"] == ENTRY_ID and e.data["site"] == SITE
        for events in captured.values()
        for e in events
    )
    kinds = [r.kind for r in journal.records()]
    assert kinds == [
        RecordKind.COMMAND,
        RecordKind.COMMAND,
        RecordKind.FUEL_DELIVERY,
        RecordKind.MAINTENANCE,
        RecordKind.NOTICE,
        RecordKind.OUTAGE,
    ]


async def test_refused_start_under_maintenance_lock_is_journaled(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_admin_user: MockUser
) -> None:
    """The lock is on and someone presses start: the refusal is written down."""
    control = loaded.runtime_data.control
    await control.async_set_maintenance(True, Context(user_id="user-c"))
    with pytest.raises(Exception, match="maintenance"):
        await hass.services.async_call(
            DOMAIN,
            "start_generator",
            {"config_entry_id": loaded.entry_id},
            blocking=True,
            context=Context(user_id=hass_admin_user.id),
        )
    journal = journal_of(loaded)
    maintenance = only(journal, RecordKind.MAINTENANCE)
    assert maintenance.data["on"] is True
    assert maintenance.data["user_id"] == "user-c"
    command = only(journal, RecordKind.COMMAND)
    assert command.data["result"] == "refused"
    assert command.data["reason"] == "maintenance_lock"
    assert command.data["user_id"] == hass_admin_user.id


async def test_delivery_during_an_outage_counts_in_its_fuel(
    hass: HomeAssistant,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    clock: FrozenDateTimeFactory,
) -> None:
    """Fuel delivered mid-outage is not counted as fuel gained by the tank."""
    sim.site.set_tank_litres(100.0)  # of 200
    await refresh(hass, loaded)
    await outage_on_backup(hass, sim, loaded, clock)
    tank_before = 100.0
    step(sim, clock, 3600)
    sim.site.refill(80.0)
    journal_of(loaded).add(RecordKind.FUEL_DELIVERY, {"litres": 80.0})
    await refresh(hass, loaded)
    sim.site.restore_mains()
    step(sim, clock, time_to_mains(sim))
    await refresh(hass, loaded)
    outage = only(journal_of(loaded), RecordKind.OUTAGE)
    burnt = tank_before + 80.0 - sim.site.tank.litres
    assert burnt > 1
    assert outage.data["fuel_delivered_l"] == 80.0
    assert outage.data["fuel_used_l"] == pytest.approx(burnt, abs=1.0)


# -- reading and keeping ----------------------------------------------------------


async def test_records_filter_by_time_and_kind(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    """`records` picks a period (start inclusive, end exclusive) and kinds."""
    journal = journal_of(loaded)
    for hour in (1, 2, 3):
        journal.add(RecordKind.NOTICE, {"message": str(hour)}, at=T0.replace(hour=hour))
    journal.add(RecordKind.FUEL_DELIVERY, {"litres": 1}, at=T0.replace(hour=2))
    picked = journal.records(T0.replace(hour=2), T0.replace(hour=3))
    assert [r.kind for r in picked] == [RecordKind.NOTICE, RecordKind.FUEL_DELIVERY]
    notices = journal.records(kinds={RecordKind.NOTICE})
    assert [r.data["message"] for r in notices] == ["1", "2", "3"]
    assert JournalRecord.from_dict(notices[0].as_dict()) == notices[0]


async def test_a_flood_of_commands_never_pushes_out_what_matters(
    hass: HomeAssistant,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Commands and alarms are capped apart; outages and notices all stay.

    An automation refused in a loop fills the journal with commands: the
    oldest commands go, never an outage, a notice or anything still open.
    """
    monkeypatch.setattr(journal_module, "MAX_CAPPED_RECORDS", 5)
    journal = journal_of(loaded)
    sim.site.lose_mains()
    await refresh(hass, loaded)
    outage = journal.open_outage
    assert outage is not None
    journal.add(RecordKind.NOTICE, {"message": "first"})
    for n in range(10):
        journal.add(RecordKind.COMMAND, {"command": "start", "result": str(n)})
    journal.add(RecordKind.NOTICE, {"message": "last"})
    kept = journal.records()
    assert kept[0].id == outage.id
    notices = [r.data["message"] for r in kept if r.kind is RecordKind.NOTICE]
    assert notices == ["first", "last"]
    commands = [r.data["result"] for r in kept if r.kind is RecordKind.COMMAND]
    assert commands == ["5", "6", "7", "8", "9"]


async def test_journal_saved_by_a_newer_minor_version_loads(
    hass: HomeAssistant, hass_storage: dict[str, Any], sim: SimulatedSite
) -> None:
    """A downgrade keeps the records; a record of an unknown kind is skipped."""
    hass_storage[STORE_KEY] = {
        "version": 1,
        "minor_version": 3,
        "key": STORE_KEY,
        "data": {
            "records": [
                {
                    "id": "01A",
                    "kind": "outage",
                    "at": "2025-12-24T15:00:00+00:00",
                    "data": {"started": "2025-12-24T15:00:00+00:00", "ended": None},
                },
                {"id": "01B", "kind": "volcano", "at": "2025-12-25T00:00:00+00:00"},
                {
                    "id": "01C",
                    "kind": "fuel_delivery",
                    "at": "2025-12-26T10:00:00+00:00",
                    "data": {"litres": 800},
                    "source": "a field from the future",
                },
            ],
            "open": {
                "outage": {
                    "record_id": "01A",
                    "started": "2025-12-24T15:00:00+00:00",
                    "last_seen": "2025-12-24T18:00:00+00:00",
                    "last_mode": "backup_power",
                    "backup_s": 10000.0,
                    "colour": "a field from the future",
                },
                "alarms": {"low_fuel_level": "01Z"},
            },
            "statistics": {"from": "the future"},
        },
    }
    entry = site_entry(sim)
    entry.add_to_hass(hass)
    await set_up(hass, entry)
    journal = journal_of(entry)
    assert [r.id for r in journal.records()] == ["01A", "01C"]
    # The grid is up at the simulator: the old outage is closed, end unseen.
    outage = journal.records(kinds={RecordKind.OUTAGE})[0]
    assert outage.data["end_uncertain"] is True
    assert outage.data["backup_power_s"] == 10000.0
    assert hass_storage[STORE_KEY]["minor_version"] == 2


async def test_journal_of_version_1_1_migrates(
    hass: HomeAssistant, hass_storage: dict[str, Any], sim: SimulatedSite
) -> None:
    """A journal from before alarm counts: each alarm counted once, all else kept."""
    alarm: dict[str, Any] = {
        "id": "01A",
        "kind": "alarm",
        "at": "2025-12-24T15:00:00+00:00",
        "data": {
            "alarm": "low_fuel_level",
            "condition": "warning",
            "stops_engine": False,
            "raised": "2025-12-24T15:00:00+00:00",
            "cleared": "2025-12-24T15:10:00+00:00",
        },
    }
    delivery = {
        "id": "01B",
        "kind": "fuel_delivery",
        "at": "2025-12-26T10:00:00+00:00",
        "data": {"litres": 800},
    }
    hass_storage[STORE_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": STORE_KEY,
        "data": {"records": [alarm, delivery], "open": {}},
    }
    entry = site_entry(sim)
    entry.add_to_hass(hass)
    await set_up(hass, entry)
    journal = journal_of(entry)
    migrated, kept = journal.records()
    assert migrated.data == alarm["data"] | {"count": 1}
    assert kept.data == {"litres": 800}
    await journal.async_flush()
    assert hass_storage[STORE_KEY]["minor_version"] == 2


@pytest.mark.parametrize(
    "data",
    [
        {"records": [], "open": []},
        {"records": {"01A": "an outage"}, "open": {}},
        ["a", "list"],
    ],
)
async def test_journal_of_the_wrong_shape_is_set_aside(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
    data: Any,
) -> None:
    """Valid JSON in the wrong shape: kept beside, a repair says so, the site runs.

    The site sets up with an empty journal and goes on journaling; nothing
    of the bad file is lost.
    """
    hass_storage[STORE_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": STORE_KEY,
        "data": data,
    }
    entry = site_entry(sim)
    entry.add_to_hass(hass)
    await set_up(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    journal = journal_of(entry)
    assert journal.records() == []

    (aside,) = [key for key in hass_storage if key.startswith(f"{STORE_KEY}.wrong")]
    assert hass_storage[aside]["data"] == {"journal": data}
    issue = issue_registry.async_get_issue(DOMAIN, f"journal_set_aside_{ENTRY_ID}")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert aside in issue.translation_placeholders["path"]

    sim.site.lose_mains()
    await refresh(hass, entry)
    assert journal.open_outage is not None


@pytest.mark.parametrize("version", [0, 2])
async def test_journal_of_an_unknown_major_version_is_left_alone(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    sim: SimulatedSite,
    caplog: pytest.LogCaptureFixture,
    version: int,
) -> None:
    """The site still loads; a journal file it cannot read is not overwritten."""
    newer = {"version": version, "minor_version": 1, "key": STORE_KEY, "data": {}}
    hass_storage[STORE_KEY] = dict(newer)
    entry = site_entry(sim)
    entry.add_to_hass(hass)
    await set_up(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert "cannot read the stored journal" in caplog.text
    journal_of(entry).add(RecordKind.NOTICE, {"message": "x"})
    await journal_of(entry).async_flush()
    assert hass_storage[STORE_KEY] == newer


async def test_unreadable_records_are_skipped(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    sim: SimulatedSite,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A damaged record or open state costs that record, not the journal."""
    hass_storage[STORE_KEY] = {
        "version": 1,
        "key": STORE_KEY,
        "data": {
            "records": [
                {"id": "01A", "kind": "notice", "at": "yesterday", "data": {}},
                {"id": "01B", "kind": "test_run", "at": "2026-01-01T10:00:00+00:00"},
            ],
            "open": {"test_run": {"record_id": "01B", "started": "soon"}},
        },
    }
    entry = site_entry(sim)
    entry.add_to_hass(hass)
    await set_up(hass, entry)
    assert [r.id for r in journal_of(entry).records()] == ["01B"]
    assert caplog.text.count("unreadable") == 2
