"""The site coordinator against the simulator: setup retry, silence, wrong device."""

from __future__ import annotations

from dataclasses import replace

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import (
    CONF_SERIAL,
    DOMAIN,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
)
from custom_components.sot_point.coordinator import SotPointCoordinator
from simulator.faults import FaultKind
from simulator.server import SimulatedSite

from .conftest import load_site, refresh, site_entry, state_of, with_device_data

SITE = "sensor.sot_punkt_kall_site_status"
GENERATOR_ID = "01SUBENTRYGENERATOR0000000"
WRONG_DEVICE = f"wrong_device_{GENERATOR_ID}"
OTHER_SERIAL = 1_730_777
GATEWAY_NO_RESPONSE = 11  # Modbus exception: nothing answers behind the gateway


def _unplug(sim: SimulatedSite, unit: int) -> None:
    """The gateway finds nothing at `unit` on its bus (exception 11)."""
    sim.faults.exception_code = GATEWAY_NO_RESPONSE
    sim.faults.units = frozenset({unit})
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})


async def test_silent_only_device_sets_up_unavailable_and_is_found_later(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """The gateway answers but the controller does not yet: set up, unavailable.

    Home Assistant often boots on the generator before the controller's
    gateway is up: the site must not wait for a setup retry, and its
    entities come alive with the first poll that reaches the controller.
    """
    _unplug(sim, sim.site.config.units.dse)
    entry = site_entry(sim, devices=(SUBENTRY_GENERATOR,))
    await load_site(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert sim.faults.counts[FaultKind.EXCEPTION] >= 1
    assert state_of(hass, SITE) == STATE_UNAVAILABLE
    assert state_of(hass, "select.generator_mode") == STATE_UNAVAILABLE

    sim.faults.disable()
    await refresh(hass, entry)
    assert state_of(hass, SITE) == "normal"
    assert state_of(hass, "select.generator_mode") == "auto"


async def test_every_device_silent_makes_everything_unavailable(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """With no device answering even the site's own status is unavailable."""
    assert state_of(hass, SITE) == "normal"
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
    await refresh(hass, site)
    coordinator: SotPointCoordinator = site.runtime_data.coordinator
    assert not coordinator.last_update_success
    assert isinstance(coordinator.last_exception, Exception)
    assert str(coordinator.last_exception) == "No device of SOT-punkt Kall answers"
    for entity_id in (
        SITE,
        "binary_sensor.mains_available",
        "sensor.generator_control_mode",
        "sensor.warm_room_room_temperature",
        "sensor.transfer_switch_position",
        "sensor.fuel_tank_volume",
        "binary_sensor.sot_punkt_kall_outage_in_progress",
    ):
        assert state_of(hass, entity_id) == STATE_UNAVAILABLE, entity_id

    sim.faults.disable()
    await refresh(hass, site)
    assert state_of(hass, SITE) == "normal"
    assert state_of(hass, "sensor.warm_room_room_temperature") != STATE_UNAVAILABLE


async def test_another_controller_at_the_address_is_not_shown(
    hass: HomeAssistant,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Set up for one serial, another answers: a repair, generator unavailable.

    The warm room, fed by the I/O module, carries on. Once the device is set up
    for the controller that is really there, the repair goes away.
    """
    entry = with_device_data(
        site_entry(sim), SUBENTRY_GENERATOR, {CONF_SERIAL: str(OTHER_SERIAL)}
    )
    await load_site(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    issue = issue_registry.async_get_issue(DOMAIN, WRONG_DEVICE)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_key == "wrong_device"
    assert issue.translation_placeholders == {
        "device": entry.subentries[GENERATOR_ID].title,
        "expected": str(OTHER_SERIAL),
        "found": str(sim.site.config.serial_number),
    }
    assert state_of(hass, "sensor.generator_control_mode") == STATE_UNAVAILABLE
    assert state_of(hass, "binary_sensor.generator_running") == STATE_UNAVAILABLE
    assert state_of(hass, "sensor.warm_room_room_temperature") != STATE_UNAVAILABLE
    assert f"expected {OTHER_SERIAL}" in caplog.text

    # The technician sets the device up again for the controller found there.
    subentry = entry.subentries[GENERATOR_ID]
    assert hass.config_entries.async_update_subentry(
        entry,
        subentry,
        data={**subentry.data, CONF_SERIAL: str(sim.site.config.serial_number)},
    )
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, WRONG_DEVICE) is None
    assert state_of(hass, "sensor.generator_control_mode") == "auto"


async def test_wrong_device_issue_goes_with_the_site(
    hass: HomeAssistant, sim: SimulatedSite, issue_registry: ir.IssueRegistry
) -> None:
    """A site removed while another controller answers leaves no issue behind."""
    entry = with_device_data(
        site_entry(sim), SUBENTRY_GENERATOR, {CONF_SERIAL: str(OTHER_SERIAL)}
    )
    await load_site(hass, entry)
    assert issue_registry.async_get_issue(DOMAIN, WRONG_DEVICE) is not None

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, WRONG_DEVICE) is None


async def test_wrong_device_issue_goes_with_its_controller(
    hass: HomeAssistant, sim: SimulatedSite, issue_registry: ir.IssueRegistry
) -> None:
    """A controller taken off the site takes its wrong-device issue with it."""
    entry = with_device_data(
        site_entry(sim), SUBENTRY_GENERATOR, {CONF_SERIAL: str(OTHER_SERIAL)}
    )
    await load_site(hass, entry)
    assert issue_registry.async_get_issue(DOMAIN, WRONG_DEVICE) is not None

    assert hass.config_entries.async_remove_subentry(entry, GENERATOR_ID)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, WRONG_DEVICE) is None


async def test_rewiring_to_another_controller_is_noticed_and_undone(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """While the site runs, the cable goes to another controller and back."""
    units = sim.site.config.units
    own_serial = sim.site.config.serial_number
    assert state_of(hass, "sensor.generator_control_mode") == "auto"

    _unplug(sim, units.dse)  # cables off: nothing answers for a moment
    await refresh(hass, site)
    assert state_of(hass, "sensor.generator_control_mode") == STATE_UNAVAILABLE
    sim.site.config = replace(sim.site.config, serial_number=OTHER_SERIAL)
    sim.faults.disable()
    await refresh(hass, site)
    assert issue_registry.async_get_issue(DOMAIN, WRONG_DEVICE) is not None
    assert state_of(hass, "sensor.generator_control_mode") == STATE_UNAVAILABLE
    assert state_of(hass, "sensor.warm_room_room_temperature") != STATE_UNAVAILABLE

    _unplug(sim, units.dse)
    await refresh(hass, site)
    sim.site.config = replace(sim.site.config, serial_number=own_serial)
    sim.faults.disable()
    await refresh(hass, site)
    assert issue_registry.async_get_issue(DOMAIN, WRONG_DEVICE) is None
    assert state_of(hass, "sensor.generator_control_mode") == "auto"


async def test_io_module_silent_alone_keeps_the_site_up(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """One device of three silent is not a failed update: only its entities go."""
    _unplug(sim, sim.site.config.units.io or 1)
    await refresh(hass, site)
    coordinator: SotPointCoordinator = site.runtime_data.coordinator
    assert coordinator.last_update_success
    assert coordinator.data.failed == {"01SUBENTRYIOMODULE00000000"}
    assert state_of(hass, "sensor.warm_room_room_temperature") == STATE_UNAVAILABLE
    assert state_of(hass, "switch.warm_room_heater") == STATE_UNAVAILABLE
    assert state_of(hass, "sensor.generator_control_mode") == "auto"
    assert state_of(hass, SITE) == "normal"
    assert SUBENTRY_IO_MODULE in {h.kind for h in coordinator.devices.values()}
