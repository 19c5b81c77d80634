"""Entities of a whole site against the simulator: a normal day and a storm."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.sot_point.coordinator import SotPointCoordinator
from simulator.faults import FaultKind
from simulator.server import SimulatedSite

from .conftest import refresh, site_entry, state_of

SITE = "sensor.sot_punkt_kall_site_status"


def _coordinator(entry: MockConfigEntry) -> SotPointCoordinator:
    coordinator: SotPointCoordinator = entry.runtime_data.coordinator
    return coordinator


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
async def test_all_entities_snapshot(
    hass: HomeAssistant,
    sim: SimulatedSite,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every entity of a normal day, with names, units, classes and states."""
    entry = site_entry(sim)
    entry.add_to_hass(hass)
    with patch("custom_components.sot_point.PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_normal_day(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """On a normal day the site reads normal, mains on, generator at rest in Auto."""
    assert state_of(hass, SITE) == "normal"
    assert state_of(hass, "binary_sensor.mains_available") == "on"
    assert state_of(hass, "sensor.generator_control_mode") == "auto"
    assert state_of(hass, "sensor.generator_engine_state") == "stopped"
    assert state_of(hass, "binary_sensor.generator_running") == "off"
    assert state_of(hass, "sensor.transfer_switch_position") == "mains"
    assert state_of(hass, "binary_sensor.sot_punkt_kall_outage_in_progress") == "off"
    assert float(state_of(hass, "sensor.fuel_tank_volume")) > 0
    assert (
        state_of(hass, "sensor.fuel_tank_autonomy_at_current_load") != STATE_UNAVAILABLE
    )


async def test_devices_are_registered(
    hass: HomeAssistant, site: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """The site, generator, mains, switch, tank and warm room are devices."""
    devices = dr.async_entries_for_config_entry(device_registry, site.entry_id)
    names = sorted(d.name_by_user or d.name or "" for d in devices)
    assert len(devices) == 6, names
    generator = next(d for d in devices if d.manufacturer == "Deep Sea Electronics")
    assert generator.model == "DSE7320 MKII"
    assert generator.serial_number == str(1_730_001)
    site_device = next(d for d in devices if d.name == "SOT-punkt Kall")
    assert all(
        d.via_device_id == site_device.id for d in devices if d is not site_device
    )


@pytest.mark.parametrize("scenario", ["storm"])
async def test_storm_unfolds_on_entities(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """Mains fails; after a failed crank the set takes the load; mains returns."""
    assert state_of(hass, SITE) == "normal"
    sim.advance(31)  # the storm cuts the grid at t = 30 s
    await refresh(hass, site)
    assert state_of(hass, "binary_sensor.mains_available") == "off"
    assert state_of(hass, "binary_sensor.sot_punkt_kall_outage_in_progress") == "on"
    assert state_of(hass, SITE) == "starting"

    timings = sim.site.config.timings
    sim.advance(timings.time_to_load(failed_cranks=1) + 5)
    await refresh(hass, site)
    assert state_of(hass, "sensor.generator_engine_state") == "running"
    assert state_of(hass, "sensor.transfer_switch_position") == "generator"
    assert state_of(hass, SITE) == "backup_power"
    assert float(state_of(hass, "sensor.generator_active_power")) > 0
    assert float(state_of(hass, "sensor.fuel_tank_consumption")) > 0

    sim.advance(6 * 3600)  # the grid comes back after six hours
    await refresh(hass, site)
    assert state_of(hass, "binary_sensor.mains_available") == "on"
    sim.advance(timings.mains_return_delay + timings.transfer_time + 2)
    await refresh(hass, site)
    assert state_of(hass, "sensor.transfer_switch_position") == "mains"
    assert state_of(hass, "binary_sensor.sot_punkt_kall_outage_in_progress") == "off"
    assert state_of(hass, SITE) == "returning"  # cooling down off load

    sim.advance(timings.cooldown + 30)
    await refresh(hass, site)
    assert state_of(hass, SITE) == "normal"


async def test_silent_device_goes_unavailable_alone_and_returns(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The controller falls silent: its entities go unavailable, the room stays."""
    sim.faults.enable(rate=1.0, kinds={"drop": 1.0})  # type: ignore[dict-item]
    sim.faults.units = frozenset({sim.site.config.units.dse})
    await refresh(hass, site)
    await refresh(hass, site)
    assert state_of(hass, "sensor.generator_control_mode") == STATE_UNAVAILABLE
    assert state_of(hass, "binary_sensor.generator_running") == STATE_UNAVAILABLE
    assert state_of(hass, "sensor.warm_room_room_temperature") != STATE_UNAVAILABLE
    assert caplog.text.count("stopped answering") == 1

    sim.faults.disable()
    await refresh(hass, site)
    await refresh(hass, site)
    assert state_of(hass, "sensor.generator_control_mode") == "auto"
    assert caplog.text.count("answers again") == 1


# What needed the controller's first answer before: configured by the site,
# so they exist from setup (unavailable until the controller answers).
CONFIGURED_BY_THE_SITE = (
    *(
        f"sensor.generator_{kind}_l{n}"
        for kind in ("voltage", "current")
        for n in (1, 2, 3)
    ),
    *(f"sensor.mains_voltage_l{n}" for n in (1, 2, 3)),
    "sensor.mains_frequency",
    "sensor.generator_load",
    "sensor.generator_run_hours",
    "sensor.generator_energy_delivered",
    "sensor.generator_number_of_starts",
)
# Known only from the controller's answers: which alarms it implements, and
# whether it measures a fuel level.
REPORTED_BY_THE_CONTROLLER = (
    "binary_sensor.generator_low_oil_pressure",
    "sensor.generator_fuel_level_controller",
)


async def test_generator_silent_at_setup_gets_its_entities_without_a_reload(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """The HA box is up before the gateway answers for the controller.

    Every entity the site's configuration implies is there from the start,
    unavailable; once the controller answers they show its values, and the
    alarms and fuel level it turns out to have appear, all without a reload.
    """
    sim.faults.units = frozenset({sim.site.config.units.dse})
    sim.faults.enable(rate=1.0, kinds={FaultKind.DROP: 1.0})
    entry = site_entry(sim)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = _coordinator(entry)
    for entity_id in CONFIGURED_BY_THE_SITE:
        assert state_of(hass, entity_id) == STATE_UNAVAILABLE, entity_id
    for entity_id in REPORTED_BY_THE_CONTROLLER:
        assert hass.states.get(entity_id) is None, entity_id

    sim.faults.disable()
    await refresh(hass, entry)

    assert _coordinator(entry) is coordinator
    for entity_id in CONFIGURED_BY_THE_SITE:
        float(state_of(hass, entity_id))
    assert state_of(hass, "sensor.mains_voltage_l1") != "0"
    assert state_of(hass, "binary_sensor.generator_low_oil_pressure") == "off"
    float(state_of(hass, "sensor.generator_fuel_level_controller"))
