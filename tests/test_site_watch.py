"""Fuel that goes missing and a set that runs on, against the simulator.

Home Assistant's clock and the simulator's move together, a minute a poll,
where a test says; each finding is checked as the bus event, the journal
record and the repair issue a person sees, and each is shown not to come
from a device that has gone silent.
"""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.sot_point.const import (
    CONF_FUEL_LOSS_FACTOR,
    CONF_FUEL_LOSS_HOLD,
    CONF_FUEL_LOSS_NOISE,
    CONF_GENERATOR_RATED_KW,
    CONF_MAINS_VOLTAGE_MIN,
    CONF_RUNAWAY_AFTER,
    DOMAIN,
    EVENT_FUEL_LOSS,
    EVENT_RUNAWAY_RUN,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
)
from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    CONTROL_KEY_ADDRESS,
)
from custom_components.sot_point.journal import RecordKind
from simulator.faults import FaultKind
from simulator.server import SimulatedSite

from .conftest import load_site, minutes_pass, running, site_entry

pytestmark = pytest.mark.freeze_time(tick=True)

ENTRY_ID = "01SITEKALL0000000000000000"
FUEL_ISSUE = f"fuel_loss_{ENTRY_ID}"
RUNAWAY_ISSUE = f"runaway_run_{ENTRY_ID}"
OPTIONS: dict[str, Any] = {
    CONF_FUEL_LOSS_NOISE: 20.0,
    CONF_FUEL_LOSS_HOLD: 10.0,
    CONF_FUEL_LOSS_FACTOR: 2.0,
    CONF_RUNAWAY_AFTER: 30.0,
    # The simulator's set: its curve then allows what it burns.
    CONF_GENERATOR_RATED_KW: 24.0,
}


async def _load(
    hass: HomeAssistant, sim: SimulatedSite, *devices: str, **options: Any
) -> MockConfigEntry:
    entry = site_entry(sim, devices=devices, options=OPTIONS | options)
    await load_site(hass, entry)
    entry.runtime_data.control.verify_interval = 0.05
    return entry


def _losses(events: list[Event[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [dict(event.data) for event in events]


async def test_a_leak_while_stopped_is_an_event_a_record_and_a_repair(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """2 L a minute out of a standing set: past 20 L at minute 11, held to 21."""
    events = async_capture_events(hass, EVENT_FUEL_LOSS)
    entry = await _load(hass, sim)
    await minutes_pass(hass, freezer, sim, entry, 5)
    assert events == []
    sim.site.set_fuel_leak(120.0)
    await minutes_pass(hass, freezer, sim, entry, 30)
    (loss,) = _losses(events)
    assert loss["kind"] == "leak"
    assert loss["running"] is False
    assert 40 <= loss["litres"] <= 50
    assert loss["entry_id"] == ENTRY_ID
    (record,) = entry.runtime_data.journal.records(kinds=[RecordKind.FUEL_LOSS])
    assert record.data["litres"] == loss["litres"]
    assert record.data["started"] < record.data["ended"]
    issue = issue_registry.async_get_issue(DOMAIN, FUEL_ISSUE)
    assert issue is not None
    assert issue.translation_key == "fuel_loss"
    assert issue.is_fixable
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["litres"] == f"{loss['litres']:.0f}"


async def test_theft_in_one_go_is_a_leak_once_the_drop_has_held(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: SimulatedSite
) -> None:
    events = async_capture_events(hass, EVENT_FUEL_LOSS)
    entry = await _load(hass, sim)
    await minutes_pass(hass, freezer, sim, entry, 2)
    sim.site.take_fuel(60.0)
    await minutes_pass(hass, freezer, sim, entry, 9)
    assert events == []  # not yet held ten minutes
    await minutes_pass(hass, freezer, sim, entry, 3)
    (loss,) = _losses(events)
    assert loss["kind"] == "leak"
    assert loss["litres"] == pytest.approx(60.0, abs=2.0)


async def test_a_running_set_on_its_curve_is_fine_and_a_leak_on_top_is_not(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: SimulatedSite
) -> None:
    """On backup power the set burns its curve: nothing; 60 L/h more: a leak."""
    events = async_capture_events(hass, EVENT_FUEL_LOSS)
    entry = await _load(hass, sim)
    sim.site.lose_mains()
    await minutes_pass(hass, freezer, sim, entry, 60)
    assert entry.runtime_data.coordinator.data.generator_running
    assert events == []
    sim.site.set_fuel_leak(60.0)
    await minutes_pass(hass, freezer, sim, entry, 45)
    (loss,) = _losses(events)
    assert loss["kind"] == "leak"
    assert loss["running"] is True
    assert loss["expected_l"] > 0


async def test_a_lower_level_after_a_gap_is_unexplained_not_theft(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    events = async_capture_events(hass, EVENT_FUEL_LOSS)
    entry = await _load(hass, sim)
    await minutes_pass(hass, freezer, sim, entry, 2)
    sim.go_silent()
    sim.site.take_fuel(60.0)
    await minutes_pass(hass, freezer, sim, entry, 30)
    assert not entry.runtime_data.coordinator.last_update_success
    assert events == []  # silence is no news
    sim.answer_again()
    await minutes_pass(hass, freezer, sim, entry, 12)
    (loss,) = _losses(events)
    assert loss["kind"] == "unexplained"
    issue = issue_registry.async_get_issue(DOMAIN, FUEL_ISSUE)
    assert issue is not None
    assert issue.translation_key == "fuel_loss_unexplained"


async def test_a_silent_level_sensor_never_raises_a_loss(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Both devices that read the level silent while the tank drains.

    The transfer switch still answers, so the site goes on with its level
    unavailable (the controller reads the tank too, so both must be silent).
    """
    events = async_capture_events(hass, EVENT_FUEL_LOSS)
    entry = await _load(hass, sim)
    await minutes_pass(hass, freezer, sim, entry, 2)
    units = sim.site.config.units
    sim.go_silent(units.dse, units.io or 1)
    sim.site.set_fuel_leak(120.0)
    await minutes_pass(hass, freezer, sim, entry, 40)
    assert entry.runtime_data.coordinator.data.fuel.litres is None
    assert events == []
    assert issue_registry.async_get_issue(DOMAIN, FUEL_ISSUE) is None


async def _runaway_site(hass: HomeAssistant, sim: SimulatedSite) -> MockConfigEntry:
    """A site that judges 190 V good where the controller's band says failed.

    Without a transfer switch the site judges the mains from the controller's
    readings with its own band: the controller starts on a brown-out that
    the site calls good, and never stops.
    """
    entry = await _load(
        hass,
        sim,
        SUBENTRY_GENERATOR,
        SUBENTRY_IO_MODULE,
        **{CONF_MAINS_VOLTAGE_MIN: 180.0},
    )
    sim.site.mains_out_of_band(voltage=190.0)
    return entry


async def test_a_runaway_run_raises_an_event_and_a_repair_until_it_stops(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    events = async_capture_events(hass, EVENT_RUNAWAY_RUN)
    entry = await _runaway_site(hass, sim)
    await minutes_pass(hass, freezer, sim, entry, 25)
    state = entry.runtime_data.coordinator.data
    assert state.generator_running
    assert state.mains_available is True
    assert events == []
    await minutes_pass(hass, freezer, sim, entry, 10)
    (event,) = events
    assert event.data["reason"] == "mains_back"
    assert event.data["control_mode"] == "auto"
    assert event.data["minutes"] >= 30
    issue = issue_registry.async_get_issue(DOMAIN, RUNAWAY_ISSUE)
    assert issue is not None
    assert issue.translation_key == "runaway_run"
    await minutes_pass(hass, freezer, sim, entry, 10)
    assert len(events) == 1  # told once

    sim.site.restore_mains()
    await minutes_pass(hass, freezer, sim, entry, 15)
    assert not entry.runtime_data.coordinator.data.generator.engine_on
    assert issue_registry.async_get_issue(DOMAIN, RUNAWAY_ISSUE) is None


async def test_a_silent_controller_never_raises_a_runaway_run(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    events = async_capture_events(hass, EVENT_RUNAWAY_RUN)
    entry = await _runaway_site(hass, sim)
    await minutes_pass(hass, freezer, sim, entry, 2)
    sim.go_silent(sim.site.config.units.dse)
    await minutes_pass(hass, freezer, sim, entry, 60)
    assert entry.runtime_data.coordinator.data.generator is None
    assert events == []
    assert issue_registry.async_get_issue(DOMAIN, RUNAWAY_ISSUE) is None


async def test_a_test_run_that_runs_past_its_end_is_a_runaway_run(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A 5-minute run whose return to Auto is refused: runaway at minute 16."""
    events = async_capture_events(hass, EVENT_RUNAWAY_RUN)
    entry = await _load(hass, sim)
    control = entry.runtime_data.control
    async with running(sim):
        await control.async_start_test_run(5, True, None)
    # The controller refuses every control key from now on.
    sim.faults.addresses = frozenset({CONTROL_KEY_ADDRESS})
    sim.faults.affect_writes = True
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
    await minutes_pass(hass, freezer, sim, entry, 14)
    assert entry.runtime_data.coordinator.data.generator_running
    assert events == []
    await minutes_pass(hass, freezer, sim, entry, 3)
    (event,) = events
    assert event.data["reason"] == "test_run_overdue"
    issue = issue_registry.async_get_issue(DOMAIN, RUNAWAY_ISSUE)
    assert issue is not None
    assert issue.translation_key == "runaway_test_run"

    sim.answer_again()  # the next try puts it back in Auto; it stops
    await minutes_pass(hass, freezer, sim, entry, 20)
    assert not entry.runtime_data.coordinator.data.generator.engine_on
    assert issue_registry.async_get_issue(DOMAIN, RUNAWAY_ISSUE) is None
