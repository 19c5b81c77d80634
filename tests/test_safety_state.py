"""The maintenance lock and a test run's end outlive crashes, reloads and restarts.

Both are kept by `SiteControl` in the site's own store, written the moment
they change (custom_components/sot_point/safety_store.py), not in the lock
switch's restore state, which Home Assistant saves every 15 minutes and
never for a disabled entity. Against the simulator; Home Assistant's storage
is phacc's, kept in memory for the whole test, as a disk keeps it across a
crash.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    entity_registry as er,
    issue_registry as ir,
    restore_state,
)
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_restore_cache,
)

from custom_components.sot_point.const import DOMAIN
from custom_components.sot_point.control import (
    ISSUE_AFTER_TRIES,
    RETRY_FIRST_S,
    RETRY_MAX_S,
)
from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    CONTROL_KEY_ADDRESS,
    ControlKey,
    key_from_words,
)
from custom_components.sot_point.hardware.state import AlarmCondition, ControlMode
from custom_components.sot_point.journal import RecordKind
from custom_components.sot_point.repairs import Issue
from custom_components.sot_point.safety_store import safety_store_key
from simulator.faults import FaultKind
from simulator.server import SimulatedSite, writes_to

from .conftest import fast_control, refresh, running, site_entry

LOCK = "switch.sot_punkt_kall_maintenance_lock"
MODE = "select.generator_mode"
ENTRY_ID = "01SITEKALL0000000000000000"
STORE = safety_store_key(ENTRY_ID)


async def _call(
    hass: HomeAssistant, entry: MockConfigEntry, service: str, **data: object
) -> None:
    await hass.services.async_call(
        DOMAIN, service, {"config_entry_id": entry.entry_id, **data}, blocking=True
    )


async def _lock(hass: HomeAssistant, on: bool) -> None:
    await hass.services.async_call(
        "switch", "turn_on" if on else "turn_off", {ATTR_ENTITY_ID: LOCK}, blocking=True
    )


def _dse_keys(sim: SimulatedSite) -> list[ControlKey | None]:
    return [
        key_from_words(w.values)
        for w in writes_to(sim.writes, sim.site.config.units.dse)
    ]


def _mode(sim: SimulatedSite) -> ControlMode:
    """The mode the simulated controller is in now."""
    return sim.site.controller.mode


def _stored(hass_storage: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = hass_storage[STORE]["data"]
    return data


def _stored_end(hass_storage: dict[str, Any]) -> datetime | None:
    end = _stored(hass_storage)["test_run_end"]
    return None if end is None else dt_util.parse_datetime(end)


def _returns_to_auto(entry: MockConfigEntry) -> list[str]:
    """The results of the journaled tries to put the controller in Auto."""
    commands = entry.runtime_data.journal.records(kinds=[RecordKind.COMMAND])
    return [c.data["result"] for c in commands if c.data["command"] == "select_auto"]


async def _setup_again(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _start_refused_by_the_lock(
    hass: HomeAssistant, sim: SimulatedSite, entry: MockConfigEntry
) -> None:
    writes = len(sim.writes)
    with pytest.raises(ServiceValidationError) as refused:
        await _call(hass, entry, "start_generator")
    assert refused.value.translation_key == "refused_maintenance_lock"
    assert len(sim.writes) == writes


async def _fire(hass: HomeAssistant, sim: SimulatedSite, after: timedelta) -> None:
    """Home Assistant's clock `after` ahead: due timers run, and what they start."""
    async with running(sim):
        async_fire_time_changed(hass, dt_util.utcnow() + after)
        await hass.async_block_till_done()


# -- the maintenance lock -------------------------------------------------------------


async def test_lock_survives_a_crash_right_after_it_is_turned_on(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Turned on, then Home Assistant dies before restore state is ever saved."""
    fast_control(site)
    await _lock(hass, True)
    assert _stored(hass_storage) == {"maintenance": True, "test_run_end": None}

    assert await hass.config_entries.async_unload(site.entry_id)
    # A crash takes the restore states kept in memory with it; none were
    # saved to disk (that happens every 15 minutes).
    restore_state.async_get(hass).last_states.clear()
    await _setup_again(hass, site)

    assert site.runtime_data.control.maintenance is True
    state = hass.states.get(LOCK)
    assert state is not None
    assert state.state == "on"
    await refresh(hass, site)
    await _start_refused_by_the_lock(hass, sim, site)


async def test_lock_holds_with_its_switch_disabled(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A disabled lock entity restores nothing; the lock is kept all the same."""
    await _lock(hass, True)
    entity_registry.async_update_entity(LOCK, disabled_by=er.RegistryEntryDisabler.USER)
    assert await hass.config_entries.async_reload(site.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(LOCK) is None
    assert site.runtime_data.control.maintenance is True
    await _start_refused_by_the_lock(hass, sim, site)


async def test_lock_of_the_switch_is_taken_over_once(
    hass: HomeAssistant,
    sim: SimulatedSite,
    entity_registry: er.EntityRegistry,
    hass_storage: dict[str, Any],
) -> None:
    """Updated from a release that kept the lock in the switch's restore state.

    The first setup takes a lock that was on from there and stores it; after
    that the store alone counts, whatever restore state says.
    """
    entry = site_entry(sim)
    entry.add_to_hass(hass)
    registered = entity_registry.async_get_or_create(
        Platform.SWITCH,
        DOMAIN,
        f"{ENTRY_ID}_maintenance_lock",
        config_entry=entry,
        suggested_object_id="sot_punkt_kall_maintenance_lock",
    )
    assert registered.entity_id == LOCK
    mock_restore_cache(hass, [State(LOCK, "on")])
    assert STORE not in hass_storage

    await _setup_again(hass, entry)
    assert entry.runtime_data.control.maintenance is True
    assert _stored(hass_storage)["maintenance"] is True
    await _start_refused_by_the_lock(hass, sim, entry)

    await _lock(hass, False)
    mock_restore_cache(hass, [State(LOCK, "on")])
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.control.maintenance is False


# -- the test run's end ---------------------------------------------------------------


async def test_test_run_ends_on_time_across_a_reload(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A reload (options, devices) in the middle of a run does not lose its end."""
    fast_control(site)
    async with running(sim):
        await _call(hass, site, "start_test_run", duration=30, with_load=True)
    assert _mode(sim) is ControlMode.TEST_ON_LOAD
    end = _stored_end(hass_storage)
    assert end is not None
    assert abs(end - dt_util.utcnow() - timedelta(minutes=30)) < timedelta(minutes=1)

    assert await hass.config_entries.async_reload(site.entry_id)
    await hass.async_block_till_done()
    fast_control(site)
    await _fire(hass, sim, timedelta(minutes=20))
    assert _mode(sim) is ControlMode.TEST_ON_LOAD

    await _fire(hass, sim, timedelta(minutes=31))
    assert _mode(sim) is ControlMode.AUTO
    assert _dse_keys(sim)[-1] is ControlKey.SELECT_AUTO
    assert _stored_end(hass_storage) is None
    assert _returns_to_auto(site) == ["done"]


@pytest.mark.freeze_time(tick=True)
async def test_test_run_whose_end_passed_while_down_ends_at_setup(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    site: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Home Assistant is down when the run should end: it ends at the next setup."""
    fast_control(site)
    async with running(sim):
        await _call(hass, site, "start_test_run", duration=30, with_load=True)
    assert await hass.config_entries.async_unload(site.entry_id)
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=45))
    assert _mode(sim) is ControlMode.TEST_ON_LOAD

    async with running(sim):
        await _setup_again(hass, site)
    assert _mode(sim) is ControlMode.AUTO
    assert _stored_end(hass_storage) is None
    assert _returns_to_auto(site) == ["done"]


@pytest.mark.freeze_time(tick=True)
async def test_run_held_by_the_lock_ends_when_the_lock_goes_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    site: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """The lock refuses the return to Auto at the run's end; lock off ends it at once.

    Not at the next try, up to ten minutes later: the technician is done,
    and the set is still running its test.
    """
    fast_control(site)
    async with running(sim):
        await _call(hass, site, "start_test_run", duration=5, with_load=True)
    await _lock(hass, True)
    freezer.tick(timedelta(minutes=6))
    async with running(sim):
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert _mode(sim) is ControlMode.TEST_ON_LOAD
    assert _returns_to_auto(site) == ["refused"]

    async with running(sim):
        await _lock(hass, False)
        await hass.async_block_till_done()
    assert _mode(sim) is ControlMode.AUTO
    assert _returns_to_auto(site) == ["refused", "done"]
    assert _stored_end(hass_storage) is None


async def test_return_to_auto_is_tried_again_after_a_refusal(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
) -> None:
    """The controller is busy at the end; 30 s later it takes the key."""
    fast_control(site)
    async with running(sim):
        await _call(hass, site, "start_test_run", duration=5, with_load=True)
    sim.faults.units = frozenset({sim.site.config.units.dse})
    sim.faults.addresses = frozenset({CONTROL_KEY_ADDRESS})
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
    await _fire(hass, sim, timedelta(minutes=6))
    assert _mode(sim) is ControlMode.TEST_ON_LOAD
    assert _returns_to_auto(site) == ["failed"]
    assert _stored_end(hass_storage) is not None

    sim.faults.disable()
    await _fire(hass, sim, timedelta(seconds=RETRY_FIRST_S - 10))
    assert _returns_to_auto(site) == ["failed"]  # not yet: it waits its 30 s
    await _fire(hass, sim, timedelta(seconds=RETRY_FIRST_S + 1))
    assert _mode(sim) is ControlMode.AUTO
    assert _returns_to_auto(site) == ["failed", "done"]
    assert _stored_end(hass_storage) is None
    issue_id = Issue.TEST_RUN_NOT_ENDED.issue_id(ENTRY_ID)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_run_not_ended_after_three_tries_is_a_repair_issue(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
) -> None:
    """Three refusals raise an issue; the return that works deletes it."""
    fast_control(site)
    async with running(sim):
        await _call(hass, site, "start_test_run", duration=5, with_load=False)
    sim.faults.units = frozenset({sim.site.config.units.dse})
    sim.faults.addresses = frozenset({CONTROL_KEY_ADDRESS})
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
    issue_id = Issue.TEST_RUN_NOT_ENDED.issue_id(ENTRY_ID)
    await _fire(hass, sim, timedelta(minutes=6))
    for _ in range(ISSUE_AFTER_TRIES - 1):
        assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
        await _fire(hass, sim, timedelta(seconds=RETRY_MAX_S + 1))
    assert _returns_to_auto(site) == ["failed"] * ISSUE_AFTER_TRIES
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_key == "test_run_not_ended"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["tries"] == str(ISSUE_AFTER_TRIES)
    assert _mode(sim) is ControlMode.MANUAL

    sim.faults.disable()
    await _fire(hass, sim, timedelta(seconds=RETRY_MAX_S + 1))
    assert _mode(sim) is ControlMode.AUTO
    assert _returns_to_auto(site)[-1] == "done"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert _stored_end(hass_storage) is None


async def test_failed_start_puts_the_mode_back(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Test mode was selected but the start failed: back to Auto, no end kept."""
    fast_control(site)
    await refresh(hass, site)

    @callback
    def alarm_once_in_test(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.state == "test_on_load":
            sim.site.inject_alarm("low_oil_pressure", AlarmCondition.SHUTDOWN)

    unsubscribe = async_track_state_change_event(hass, [MODE], alarm_once_in_test)
    try:
        async with running(sim):
            with pytest.raises(HomeAssistantError):
                await _call(hass, site, "start_test_run", duration=30, with_load=True)
    finally:
        unsubscribe()
    keys = _dse_keys(sim)
    assert keys[0] is ControlKey.SELECT_TEST_ON_LOAD
    assert keys[-1] is ControlKey.SELECT_AUTO
    assert _mode(sim) is ControlMode.AUTO
    assert _stored_end(hass_storage) is None
    assert site.runtime_data.control.test_run_end is None
