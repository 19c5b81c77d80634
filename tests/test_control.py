"""Control through services, buttons, the mode select and switches (simulator).

Every refusal is checked at the simulator too: a refused command must not
have written a single register.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any, cast

from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sot_point.const import (
    DOMAIN,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
)
from custom_components.sot_point.control import SiteControl
from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    CONTROL_KEY_ADDRESS,
    ControlKey,
    control_words,
)
from custom_components.sot_point.hardware.state import AlarmCondition, ControlMode
from custom_components.sot_point.journal import RecordKind
from simulator.faults import FaultKind
from simulator.server import SimulatedSite, writes_to

from .conftest import fast_control, refresh, running, site_entry

START = "button.generator_start"
MODE = "select.generator_mode"
LOCK = "switch.sot_punkt_kall_maintenance_lock"
HEATER = "switch.warm_room_heater"


async def _call(
    hass: HomeAssistant, entry: MockConfigEntry, service: str, **data: object
) -> None:
    await hass.services.async_call(
        DOMAIN,
        service,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
    )


def _dse_writes(sim: SimulatedSite) -> list[list[int]]:
    return [w.values for w in writes_to(sim.writes, sim.site.config.units.dse)]


async def test_start_in_manual_starts_the_engine(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """In Manual the start button sends the start key once; the engine starts."""
    fast_control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    async with running(sim):
        await hass.services.async_call(
            "button", "press", {ATTR_ENTITY_ID: START}, blocking=True
        )
    assert _dse_writes(sim) == [control_words(ControlKey.START_ENGINE)]
    await refresh(hass, site)
    state = hass.states.get("sensor.generator_engine_state")
    assert state is not None
    assert state.state in ("pre_start", "warming_up", "running")


async def test_start_in_auto_is_a_remote_start(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """In Auto the service sends telemetry start; stop cancels it."""
    fast_control(site)
    async with running(sim):
        await _call(hass, site, "start_generator")
        await _call(hass, site, "stop_generator")
    assert _dse_writes(sim) == [
        control_words(ControlKey.TELEMETRY_START),
        control_words(ControlKey.CANCEL_TELEMETRY_START),
    ]


async def test_mode_select_changes_the_controller(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """Choosing Manual in the select puts the controller in Manual."""
    fast_control(site)
    async with running(sim):
        await hass.services.async_call(
            "select",
            "select_option",
            {ATTR_ENTITY_ID: MODE, "option": "manual"},
            blocking=True,
        )
    await refresh(hass, site)
    assert sim.site.controller.mode is ControlMode.MANUAL
    state = hass.states.get(MODE)
    assert state is not None
    assert state.state == "manual"


@pytest.mark.parametrize(
    ("prepare", "service", "data", "key"),
    [
        ("stop_mode", "start_generator", {}, "refused_stop_mode"),
        ("shutdown_alarm", "start_generator", {}, "refused_shutdown_alarm"),
        ("", "transfer_load", {"to": "generator"}, "refused_not_running_in_band"),
        ("maintenance", "start_generator", {}, "refused_maintenance_lock"),
        (
            "maintenance",
            "set_controller_mode",
            {"mode": "manual"},
            "refused_maintenance_lock",
        ),
        ("maintenance", "transfer_load", {"to": "mains"}, "refused_maintenance_lock"),
        ("maintenance", "start_test_run", {}, "refused_maintenance_lock"),
    ],
)
async def test_unsafe_commands_are_refused_and_write_nothing(  # noqa: PLR0917
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    prepare: str,
    service: str,
    data: dict[str, object],
    key: str,
) -> None:
    """Each refusal is a translated validation error, and nothing reaches the device."""
    fast_control(site)
    if prepare == "stop_mode":
        sim.site.set_mode(ControlMode.STOP)
    elif prepare == "shutdown_alarm":
        sim.site.set_mode(ControlMode.MANUAL)
        sim.site.inject_alarm("low_oil_pressure", AlarmCondition.SHUTDOWN)
    elif prepare == "maintenance":
        await hass.services.async_call(
            "switch", "turn_on", {ATTR_ENTITY_ID: LOCK}, blocking=True
        )
    await refresh(hass, site)
    with pytest.raises(ServiceValidationError) as refused:
        await _call(hass, site, service, **data)
    assert refused.value.translation_key == key
    assert _dse_writes(sim) == []


async def test_shutdown_refusal_names_the_alarm_in_swedish(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """The person is told which alarm stops the start, in the site's language."""
    hass.config.language = "sv"
    fast_control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    sim.site.inject_alarm("low_oil_pressure", AlarmCondition.SHUTDOWN)
    await refresh(hass, site)
    with pytest.raises(ServiceValidationError) as refused:
        await _call(hass, site, "start_generator")
    assert refused.value.translation_placeholders == {"detail": "Lågt oljetryck"}


async def test_maintenance_lock_still_allows_stop_and_survives_restart(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """With the lock on, Stop still goes through; a reload keeps the lock on."""
    fast_control(site)
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: LOCK}, blocking=True
    )
    async with running(sim):
        await _call(hass, site, "set_controller_mode", mode="stop")
    assert _dse_writes(sim) == [control_words(ControlKey.SELECT_STOP)]

    assert await hass.config_entries.async_reload(site.entry_id)
    await hass.async_block_till_done()
    assert fast_control(site).maintenance is True
    state = hass.states.get(LOCK)
    assert state is not None
    assert state.state == "on"


async def test_reset_alarms_not_followed_is_reported(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """An alarm whose cause stays does not clear: the person is told so."""
    fast_control(site)
    sim.site.inject_alarm("high_coolant_temperature", AlarmCondition.SHUTDOWN)
    await refresh(hass, site)
    with pytest.raises(HomeAssistantError) as failed:
        await _call(hass, site, "reset_alarms")
    assert failed.value.translation_key == "command_not_followed"
    assert len(_dse_writes(sim)) == 1


async def test_heater_switch_drives_the_relay(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """The heater switch writes the I/O module's relay and shows its read-back."""
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: HEATER}, blocking=True
    )
    state = hass.states.get(HEATER)
    assert state is not None
    assert state.state == "on"
    assert sim.site.heater_relay is True
    await hass.services.async_call(
        "switch", "turn_off", {ATTR_ENTITY_ID: HEATER}, blocking=True
    )
    assert sim.site.heater_relay is False


async def test_test_run_on_load_returns_to_auto(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """A test run selects Test on load and puts the controller back in Auto after."""
    fast_control(site)
    async with running(sim):
        await _call(hass, site, "start_test_run", duration=5, with_load=True)
    modes = [sim.site.controller.mode]
    async with running(sim):
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=6))
        await hass.async_block_till_done()
    modes.append(sim.site.controller.mode)
    assert modes == [ControlMode.TEST_ON_LOAD, ControlMode.AUTO]
    assert _dse_writes(sim)[-1] == control_words(ControlKey.SELECT_AUTO)


async def test_unknown_site_is_a_clear_error(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """A service call for a site that does not exist says so."""
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN, "start_generator", {"config_entry_id": "nope"}, blocking=True
        )


async def test_raw_write_address_is_the_gencomm_key_register() -> None:
    """The control key goes to 4104 (page 16 offset 8), as GenComm defines."""
    assert CONTROL_KEY_ADDRESS == 16 * 256 + 8


async def test_fuel_delivery_estimate_for_a_tank_without_sensor(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """Without a level sensor, deliveries and burnt fuel make the estimate.

    It is shown with its basis, burns down while the set runs, and survives a
    reload of the site.
    """
    sim.site.config = replace(sim.site.config, controller_fuel_sensor=False)
    entry = site_entry(sim, devices=(SUBENTRY_GENERATOR,))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    volume = "sensor.fuel_tank_volume"
    assert hass.states.get(volume) is None or (
        hass.states.get(volume).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    )

    await _call(hass, entry, "record_fuel_delivery", litres=150, tank_litres=180)
    state = hass.states.get(volume)
    assert state is not None
    assert float(state.state) == 180.0
    assert state.attributes["source"] == "estimate"
    assert state.attributes["estimate"]["basis"] == "delivery_level"

    await _call(hass, entry, "record_fuel_delivery", litres=10)
    state = hass.states.get(volume)
    assert state is not None
    assert float(state.state) == 190.0

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(volume)
    assert state is not None
    assert float(state.state) == pytest.approx(190.0, abs=0.1)


async def test_acknowledgement_and_refusal_are_in_the_exported_journal(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """Who acknowledged an alarm, and a refused start with its reason, are kept."""
    fast_control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    sim.site.inject_alarm("low_oil_pressure", AlarmCondition.SHUTDOWN)
    await refresh(hass, site)
    with pytest.raises(ServiceValidationError):
        await _call(hass, site, "start_generator")
    answer = await hass.services.async_call(
        DOMAIN,
        "acknowledge_alarm",
        {"config_entry_id": site.entry_id, "by": "Anna"},
        blocking=True,
        return_response=True,
    )
    assert answer == {"acknowledged": ["low_oil_pressure"]}

    exported = await hass.services.async_call(
        DOMAIN,
        "export_journal",
        {"config_entry_id": site.entry_id},
        blocking=True,
        return_response=True,
    )
    assert exported is not None
    records = cast(list[dict[str, Any]], exported["records"])
    alarms = [r for r in records if r["kind"] == "alarm"]
    assert alarms[-1]["data"]["alarm"] == "low_oil_pressure"
    assert alarms[-1]["data"]["acknowledged_by_name"] == "Anna"
    commands = [r for r in records if r["kind"] == "command"]
    assert commands[-1]["data"]["result"] == "refused"
    assert commands[-1]["data"]["reason"] == "shutdown_alarm"


async def test_controller_refusal_is_reported(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """A command our interlocks allow but the controller refuses (exception 8).

    In Auto the controller keeps the transfer to itself; the person is told
    the controller said no, and the journal says the command failed.
    """
    fast_control(site)
    with pytest.raises(HomeAssistantError) as refused:
        await _call(hass, site, "transfer_load", to="mains")
    assert refused.value.translation_key == "controller_refused"


async def test_silent_generator_is_reported_not_commanded(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """A command to a controller that stopped answering is not sent blindly.

    The rest of the site still answers, so its poll succeeds; the refusal
    comes from the controller's own failed read, and is journaled.
    """
    fast_control(site)
    sim.faults.units = frozenset({sim.site.config.units.dse})
    sim.faults.enable(rate=1.0, kinds={FaultKind.DROP: 1.0})
    await refresh(hass, site)
    assert site.runtime_data.coordinator.last_update_success
    with pytest.raises(ServiceValidationError) as refused:
        await _call(hass, site, "start_generator")
    assert refused.value.translation_key == "refused_no_fresh_reading"
    assert _dse_writes(sim) == []
    (record,) = site.runtime_data.journal.records(kinds={RecordKind.COMMAND})
    assert record.data["result"] == "refused"
    assert record.data["reason"] == "no_fresh_reading"


async def test_write_lost_on_the_way_is_a_communication_error(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """The write is lost on the way: the person learns it may not have arrived.

    The controller is read again first: it did not start, so the command is
    a communication error, not done.
    """
    fast_control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    sim.faults.units = frozenset({sim.site.config.units.dse})
    sim.faults.addresses = frozenset({CONTROL_KEY_ADDRESS})
    sim.faults.enable(rate=1.0, kinds={FaultKind.DISCONNECT: 1.0})
    async with running(sim):
        with pytest.raises(HomeAssistantError) as failed:
            await _call(hass, site, "start_generator")
    assert failed.value.translation_key == "communication_error"
    assert not sim.site.controller.engine.fired


async def test_write_whose_answer_is_lost_is_verified(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """The start key arrives but its answer does not: the next reads show it done."""
    fast_control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    sim.faults.units = frozenset({sim.site.config.units.dse})
    sim.faults.addresses = frozenset({CONTROL_KEY_ADDRESS})
    sim.faults.enable(rate=1.0, kinds={FaultKind.DROP: 1.0})
    async with running(sim):
        await _call(hass, site, "start_generator")
    results = [
        r.data.get("result")
        for r in site.runtime_data.journal.records(kinds={RecordKind.COMMAND})
    ]
    assert results == ["done"]


async def test_transfer_nothing_can_show_is_journaled_unverified(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """No load on either side: the transfer is sent, but no reading can confirm it.

    The store is closed and the heater off, so no current flows to show
    which side carries the load: the journal says unverified, not done.
    """
    fast_control(site)
    sim.site.config = replace(
        sim.site.config,
        load=replace(sim.site.config.load, store_w=(0.0, 0.0, 0.0), compressor_w=0.0),
    )
    sim.site.set_mode(ControlMode.MANUAL)
    sim.site.press_key(ControlKey.START_ENGINE)
    sim.advance(30)
    await refresh(hass, site)
    async with running(sim):
        await _call(hass, site, "transfer_load", to="generator")
    assert _dse_writes(sim)[-1] == control_words(ControlKey.TRANSFER_TO_GENERATOR)
    (record,) = site.runtime_data.journal.records(kinds={RecordKind.COMMAND})
    assert record.data["command"] == "transfer_to_generator"
    assert record.data["result"] == "unverified"


async def test_command_refused_on_a_stale_state(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """The site's last poll failed: nothing is sent, whatever the old state said."""
    fast_control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    sim.faults.enable(rate=1.0, kinds={FaultKind.DROP: 1.0})
    await refresh(hass, site)
    sim.faults.disable()
    with pytest.raises(ServiceValidationError) as refused:
        await _call(hass, site, "start_generator")
    assert refused.value.translation_key == "refused_no_fresh_reading"
    assert _dse_writes(sim) == []


async def test_site_without_generator_or_relay_says_so(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """Commands need a generator; the heater needs an I/O module with a relay."""
    entry = site_entry(sim, devices=(SUBENTRY_IO_MODULE,))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as missing:
        await _call(hass, entry, "start_generator")
    assert missing.value.translation_key == "no_generator"

    data = entry.runtime_data
    control = SiteControl(hass, data.coordinator, data.journal, data.fuel)
    control.coordinator.devices.clear()
    with pytest.raises(ServiceValidationError) as no_relay:
        await control.async_set_heater(True, None)
    assert no_relay.value.translation_key == "no_io_module"


async def test_heater_write_failure_is_a_communication_error(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """A relay that does not answer leaves the switch as it was, with an error."""
    sim.faults.units = frozenset({sim.site.config.units.io or 1})
    sim.faults.enable(rate=1.0, kinds={FaultKind.DISCONNECT: 1.0})
    with pytest.raises(HomeAssistantError) as failed:
        await hass.services.async_call(
            "switch", "turn_off", {ATTR_ENTITY_ID: HEATER}, blocking=True
        )
    assert failed.value.translation_key == "communication_error"


async def test_test_run_off_load_and_manual_return(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """Off load: Manual and a start; if someone already chose Auto, nothing more."""
    fast_control(site)
    async with running(sim):
        await _call(hass, site, "start_test_run", duration=5, with_load=False)
    assert _dse_writes(sim) == [
        control_words(ControlKey.SELECT_MANUAL),
        control_words(ControlKey.START_ENGINE),
    ]
    async with running(sim):
        await _call(hass, site, "set_controller_mode", mode="auto")
    await refresh(hass, site)
    writes = len(_dse_writes(sim))
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=6))
    await hass.async_block_till_done()
    assert len(_dse_writes(sim)) == writes


async def test_manual_site_waiting_for_start_is_not_a_failed_start(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """A site run by hand waits for a person: no 'start failed' is recorded."""
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    sim.site.lose_mains()
    sim.advance(10)
    await refresh(hass, site)
    await refresh(hass, site)
    state = hass.states.get("sensor.sot_punkt_kall_site_status")
    assert state is not None
    assert state.state == "outage_no_backup"
    kinds = [r.kind.value for r in site.runtime_data.journal.records()]
    assert "outage" in kinds
    assert "start_failure" not in kinds


async def test_entities_follow_the_controller_while_a_command_is_checked(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """The mode shows Manual as soon as the controller reads Manual.

    The command's own verification reads the controller; the entities show
    that read, before the command is over, instead of the state before it.
    """
    fast_control(site)
    await refresh(hass, site)
    journal = site.runtime_data.journal
    seen: list[tuple[str, int]] = []

    @callback
    def remember(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None:
            done = journal.records(kinds={RecordKind.COMMAND})
            seen.append((new.state, len(done)))

    unsubscribe = async_track_state_change_event(hass, [MODE], remember)
    async with running(sim):
        await hass.services.async_call(
            "select",
            "select_option",
            {ATTR_ENTITY_ID: MODE, "option": "manual"},
            blocking=True,
        )
    unsubscribe()
    # Shown while the command was still being checked: before its record.
    assert ("manual", 0) in seen
