"""Cold readiness and rolling outages, against the simulator.

Home Assistant's clock and the simulator's move together where a test says.
Each finding is checked as a person sees it: the "ready to start" sensor and
its causes, the repair issue, the "rolling outages" sensor and its event;
and each is shown not to come from a device that has gone silent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.sot_point.const import (
    CONF_COOLANT_HOLD,
    CONF_MINIMUM_AUTONOMY,
    CONF_OUTSIDE_TEMPERATURE,
    CONF_ROLLING_COUNT,
    CONF_ROLLING_WINDOW,
    DOMAIN,
    EVENT_ALARM,
    EVENT_FUEL_LOSS,
    EVENT_ROLLING_OUTAGES,
    SUBENTRY_GENERATOR,
)
from custom_components.sot_point.hardware.state import ControlMode
from custom_components.sot_point.site_readiness import readiness_issue_id
from simulator.server import SimulatedSite

from .conftest import load_site, minutes_pass, refresh, site_entry

pytestmark = pytest.mark.freeze_time(tick=True)

ENTRY_ID = "01SITEKALL0000000000000000"
READY = "binary_sensor.generator_ready_to_start"
ROLLING = "binary_sensor.sot_punkt_kall_rolling_outages"
VOLUME = "sensor.fuel_tank_volume"
OPTIONS: dict[str, Any] = {
    CONF_COOLANT_HOLD: 30.0,
    CONF_ROLLING_COUNT: 3.0,
    CONF_ROLLING_WINDOW: 6.0,
}


async def _load(
    hass: HomeAssistant, sim: SimulatedSite, *devices: str, **options: Any
) -> MockConfigEntry:
    entry = site_entry(sim, devices=devices, options=OPTIONS | options)
    await load_site(hass, entry)
    return entry


def _causes(hass: HomeAssistant) -> list[str]:
    state = hass.states.get(READY)
    assert state is not None
    return list(state.attributes["causes"])


def _issue(issue_registry: ir.IssueRegistry, issue: str) -> ir.IssueEntry | None:
    return issue_registry.async_get_issue(DOMAIN, readiness_issue_id(issue, ENTRY_ID))


async def test_a_warm_set_in_auto_is_ready(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: SimulatedSite
) -> None:
    entry = await _load(hass, sim, SUBENTRY_GENERATOR)
    await minutes_pass(hass, freezer, sim, entry, 2)
    assert hass.states.get(READY).state == STATE_ON  # type: ignore[union-attr]
    assert _causes(hass) == []
    rolling = hass.states.get(ROLLING)
    assert rolling is not None
    assert rolling.state == STATE_OFF


async def test_a_failed_block_heater_makes_the_set_not_ready_and_raises_a_repair(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """At -20 °C the coolant sinks from 40 °C below 20 °C within the hour."""
    entry = await _load(hass, sim, SUBENTRY_GENERATOR)
    sim.site.set_outdoor_temperature(-20.0)
    sim.site.fail_block_heater(True)
    await minutes_pass(hass, freezer, sim, entry, 40)
    assert hass.states.get(READY).state == STATE_ON  # type: ignore[union-attr]
    assert _issue(issue_registry, "block_heater") is None
    await minutes_pass(hass, freezer, sim, entry, 30)
    assert hass.states.get(READY).state == STATE_OFF  # type: ignore[union-attr]
    assert _causes(hass) == ["block_heater"]
    issue = _issue(issue_registry, "block_heater")
    assert issue is not None
    assert issue.translation_key == "block_heater"
    assert issue.translation_placeholders is not None
    assert int(issue.translation_placeholders["coolant"]) < 20
    # Mended: the coolant warms back past the limit and all is well again.
    sim.site.fail_block_heater(False)
    await minutes_pass(hass, freezer, sim, entry, 45)
    assert hass.states.get(READY).state == STATE_ON  # type: ignore[union-attr]
    assert _issue(issue_registry, "block_heater") is None


async def test_a_cold_engine_on_a_mild_day_or_in_an_outage_is_no_fault(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The named outdoor sensor says +5 °C; later the mains is gone."""
    hass.states.async_set("sensor.outdoor", "5.0", {"device_class": "temperature"})
    entry = await _load(
        hass, sim, SUBENTRY_GENERATOR, **{CONF_OUTSIDE_TEMPERATURE: "sensor.outdoor"}
    )
    sim.site.set_outdoor_temperature(-20.0)  # the container's air, not the sensor
    sim.site.fail_block_heater(True)
    await minutes_pass(hass, freezer, sim, entry, 70)
    assert _causes(hass) == []
    hass.states.async_set("sensor.outdoor", "-8.0", {"device_class": "temperature"})
    await minutes_pass(hass, freezer, sim, entry, 31)
    assert _causes(hass) == ["block_heater"]
    assert _issue(issue_registry, "block_heater") is not None


async def test_a_weak_starter_battery_is_not_ready_and_raises_a_repair(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A battery that holds 12.0 V on float instead of 13.6 V."""
    entry = await _load(hass, sim, SUBENTRY_GENERATOR)
    await minutes_pass(hass, freezer, sim, entry, 12)
    sim.site.age_battery(0.0, worn_v=1.6)
    await minutes_pass(hass, freezer, sim, entry, 5)
    assert _causes(hass) == []  # held five minutes of ten
    await minutes_pass(hass, freezer, sim, entry, 6)
    assert _causes(hass) == ["battery_low"]
    issue = _issue(issue_registry, "starter_battery")
    assert issue is not None
    assert issue.translation_key == "battery_low"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["battery"] == "12.0"


async def test_a_battery_ageing_day_after_day_is_seen_across_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """0.1 V lost a day, seen once a day; Home Assistant restarts on day 4."""
    entry = await _load(hass, sim, SUBENTRY_GENERATOR)
    await minutes_pass(hass, freezer, sim, entry, 12)
    for day in range(1, 8):
        freezer.tick(timedelta(days=1))
        sim.site.age_battery(0.0, worn_v=0.1 * day)
        sim.advance(60)
        await refresh(hass, entry)
        await refresh(hass, entry)
        if day == 4:
            # The daily figures are stored, so the trend goes on.
            await hass.config_entries.async_reload(entry.entry_id)
            await hass.async_block_till_done()
            await minutes_pass(hass, freezer, sim, entry, 11)
    assert _causes(hass) == ["battery_falling"]
    state = hass.states.get(READY)
    assert state is not None
    assert state.attributes["battery_fall_per_week"] == pytest.approx(0.7, abs=0.1)
    issue = _issue(issue_registry, "starter_battery")
    assert issue is not None
    assert issue.translation_key == "battery_falling"


async def test_a_failed_test_run_makes_the_set_not_ready(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Test mode chosen but the set never started: the test run failed."""
    entry = await _load(hass, sim, SUBENTRY_GENERATOR)
    await minutes_pass(hass, freezer, sim, entry, 1)
    sim.site.set_mode(ControlMode.TEST_ON_LOAD)
    await minutes_pass(hass, freezer, sim, entry, 1)
    assert set(_causes(hass)) == {"not_in_auto"}
    await minutes_pass(hass, freezer, sim, entry, 10)
    sim.site.set_mode(ControlMode.AUTO)
    await minutes_pass(hass, freezer, sim, entry, 1)
    assert _causes(hass) == ["test_run_failed"]
    issue = _issue(issue_registry, "test_run_failed")
    assert issue is not None


async def test_a_silent_controller_raises_no_readiness_fault(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Silent for two hours while the heater has failed: unavailable, no issue.

    Only what is read counts: the heater's fault shows once the controller
    answers again and the coolant has been seen cold for the hold time.
    """
    entry = await _load(hass, sim, SUBENTRY_GENERATOR)
    sim.site.set_outdoor_temperature(-20.0)
    await minutes_pass(hass, freezer, sim, entry, 2)
    sim.go_silent()
    sim.site.fail_block_heater(True)
    sim.site.age_battery(0.0, worn_v=2.0)
    await minutes_pass(hass, freezer, sim, entry, 120)
    assert hass.states.get(READY).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    for issue in ("block_heater", "starter_battery", "test_run_failed"):
        assert _issue(issue_registry, issue) is None
    sim.answer_again()
    await minutes_pass(hass, freezer, sim, entry, 2)
    assert hass.states.get(READY).state == STATE_ON  # type: ignore[union-attr]


async def test_three_outages_within_six_hours_are_rolling(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: SimulatedSite
) -> None:
    """30 min out every 90 min: rolling from the third, not after the window."""
    events = async_capture_events(hass, EVENT_ROLLING_OUTAGES)
    entry = await _load(hass, sim)
    for turn in range(3):
        sim.site.lose_mains()
        await minutes_pass(hass, freezer, sim, entry, 30 if turn < 2 else 5)
        if turn < 2:
            sim.site.restore_mains()
            await minutes_pass(hass, freezer, sim, entry, 60)
            assert hass.states.get(ROLLING).state == STATE_OFF  # type: ignore[union-attr]
    state = hass.states.get(ROLLING)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes["outages"] == 3
    (began,) = [event.data for event in events]
    assert began["active"] is True
    assert began["entry_id"] == ENTRY_ID
    sim.site.restore_mains()
    # A silent site neither adds nor removes an outage.
    sim.go_silent()
    await minutes_pass(hass, freezer, sim, entry, 30)
    assert len(events) == 1
    sim.answer_again()
    # Six hours after the first outage began it no longer counts.
    await minutes_pass(hass, freezer, sim, entry, 150)
    assert hass.states.get(ROLLING).state == STATE_OFF  # type: ignore[union-attr]
    assert [event.data["active"] for event in events] == [True, False]


async def test_silence_raises_no_low_fuel_and_no_alarm(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The I/O module and the controller silent for an hour on a low tank.

    The tank's figures go unavailable; no low-autonomy repair, no alarm and
    no fuel loss come from the silence, however long it lasts.
    """
    alarms = async_capture_events(hass, EVENT_ALARM)
    losses = async_capture_events(hass, EVENT_FUEL_LOSS)
    entry = await _load(hass, sim, **{CONF_MINIMUM_AUTONOMY: 24.0})
    await minutes_pass(hass, freezer, sim, entry, 2)
    sim.go_silent()
    sim.site.set_tank_litres(5.0)
    await minutes_pass(hass, freezer, sim, entry, 60)
    assert hass.states.get(VOLUME).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert (
        issue_registry.async_get_issue(DOMAIN, f"low_fuel_autonomy_{ENTRY_ID}") is None
    )
    assert alarms == []
    assert losses == []
    # Answering again, the low tank is real and is said.
    sim.answer_again()
    await minutes_pass(hass, freezer, sim, entry, 3)
    assert (
        issue_registry.async_get_issue(DOMAIN, f"low_fuel_autonomy_{ENTRY_ID}")
        is not None
    )
