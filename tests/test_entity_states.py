"""What the entities show for other device sets, alarms, broken sensors and reads.

Each test runs a site against the simulator with time standing still and looks
at entity states after a refresh, the way a person sees the site.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import (
    CONF_LEVEL_ADDRESS,
    CONF_RELAY_ADDRESS,
    CONF_RELAY_KIND,
    CONF_TEMPERATURE_ADDRESS,
    DOMAIN,
    RELAY_NONE,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
    SUBENTRY_TRANSFER_SWITCH,
)
from custom_components.sot_point.hardware.profiles import dse_gencomm
from custom_components.sot_point.hardware.profiles.dse_gencomm import ControlKey
from custom_components.sot_point.hardware.profiles.generic_io import (
    IoModuleConfig,
    RelayKind,
)
from custom_components.sot_point.hardware.state import AlarmCondition, ControlMode
from simulator.config import SiteConfig
from simulator.faults import CorruptStyle, FaultKind
from simulator.server import SimulatedSite

from .conftest import load_site, refresh, site_entry, state_of, with_device_data

SITE = "sensor.sot_punkt_kall_site_status"
ALARM_ACTIVE = "binary_sensor.generator_alarm_active"
ON_GENERATOR = "binary_sensor.transfer_switch_on_backup_power"
POSITION = "sensor.transfer_switch_position"
# Disabled by default: the heater switch shows the relay too.
HEATER = "binary_sensor.warm_room_heater"
HEATER_SWITCH = "switch.warm_room_heater"
ROOM = "sensor.warm_room_room_temperature"
TANK_FAULT = "binary_sensor.fuel_tank_level_sensor_fault"
FUEL_SENSORS = (
    "sensor.fuel_tank_level",
    "sensor.fuel_tank_volume",
    "sensor.fuel_tank_autonomy_at_current_load",
    "sensor.fuel_tank_autonomy_at_last_hour_s_load",
)


def _attributes(hass: HomeAssistant, entity_id: str) -> dict[str, Any]:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return dict(state.attributes)


def _refuse(sim: SimulatedSite, *addresses: int) -> None:
    """The generator refuses reads starting at `addresses` (device busy)."""
    sim.faults.units = frozenset({sim.site.config.units.dse})
    sim.faults.addresses = frozenset(addresses)
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})


# --- Alarms -----------------------------------------------------------------


async def test_raised_alarm_is_listed_with_its_condition(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """Low oil pressure shuts the set down: named, with its condition."""
    assert state_of(hass, ALARM_ACTIVE) == "off"
    assert _attributes(hass, ALARM_ACTIVE)["alarms"] == {}
    sim.site.inject_alarm("low_oil_pressure", AlarmCondition.SHUTDOWN)
    sim.site.inject_alarm("low_fuel_level", AlarmCondition.WARNING)
    await refresh(hass, site)

    assert state_of(hass, ALARM_ACTIVE) == "on"
    assert _attributes(hass, ALARM_ACTIVE)["alarms"] == {
        "low_oil_pressure": "shutdown",
        "low_fuel_level": "warning",
    }
    oil = "binary_sensor.generator_low_oil_pressure"
    assert state_of(hass, oil) == "on"
    assert _attributes(hass, oil)["condition"] == "shutdown"
    fuel = "binary_sensor.generator_low_fuel_level"
    assert state_of(hass, fuel) == "on"
    assert _attributes(hass, fuel)["condition"] == "warning"
    stop = "binary_sensor.generator_emergency_stop"
    assert state_of(hass, stop) == "off"
    assert _attributes(hass, stop)["condition"] == "not_active"
    # A shutdown alarm on a normal day: the set could not take over.
    assert state_of(hass, SITE) == "fault"


async def test_alarm_page_refused_shows_alarms_unknown(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """No alarm page read: the alarm sensors are unavailable, not "no alarm"."""
    sim.site.inject_alarm("low_oil_pressure", AlarmCondition.SHUTDOWN)
    await refresh(hass, site)
    assert state_of(hass, ALARM_ACTIVE) == "on"

    _refuse(sim, dse_gencomm.alarm_block(sim.site.config.model_code).address)
    await refresh(hass, site)
    assert state_of(hass, ALARM_ACTIVE) == STATE_UNAVAILABLE
    assert state_of(hass, "binary_sensor.generator_low_oil_pressure") == (
        STATE_UNAVAILABLE
    )
    # Page 4 is read with the alarms and goes with them; status still reads.
    assert state_of(hass, "sensor.mains_voltage_l1") == STATE_UNAVAILABLE
    assert state_of(hass, "sensor.generator_control_mode") == "auto"

    sim.faults.disable()
    await refresh(hass, site)
    assert state_of(hass, ALARM_ACTIVE) == "on"
    assert state_of(hass, "binary_sensor.generator_low_oil_pressure") == "on"


async def test_garbled_engine_state_is_not_guessed(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """A corrupted engine-state word shows as unknown, not as some state."""
    sim.faults.units = frozenset({sim.site.config.units.dse})
    sim.faults.addresses = frozenset({dse_gencomm.ENGINE_BLOCK.address})
    sim.faults.corrupt_style = CorruptStyle.VALUES
    sim.faults.enable(rate=1.0, kinds={FaultKind.CORRUPT: 1.0})
    await refresh(hass, site)
    assert sim.faults.counts[FaultKind.CORRUPT] >= 1
    assert state_of(hass, "sensor.generator_engine_state") == STATE_UNAVAILABLE
    assert state_of(hass, "binary_sensor.generator_running") == STATE_UNAVAILABLE
    assert state_of(hass, "sensor.generator_control_mode") == "auto"

    sim.faults.disable()
    await refresh(hass, site)
    assert state_of(hass, "binary_sensor.generator_running") == "off"


# --- Generator on load ------------------------------------------------------


async def test_test_run_on_load_and_power_from_the_phases(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """A test on load reads as a test run; power survives a refused totals page."""
    sim.site.set_mode(ControlMode.TEST_ON_LOAD)
    await refresh(hass, site)
    assert state_of(hass, SITE) == "test_run"

    sim.site.press_key(ControlKey.START_ENGINE)  # the start button on the panel
    sim.advance(60)  # crank, run up, take the load
    await refresh(hass, site)
    assert state_of(hass, "binary_sensor.generator_running") == "on"
    assert state_of(hass, POSITION) == "generator"
    assert state_of(hass, SITE) == "test_run"
    power = float(state_of(hass, "sensor.generator_active_power"))
    unit = _attributes(hass, "sensor.generator_active_power")["unit_of_measurement"]
    assert unit == "kW"
    assert power > 1  # the store's load
    assert state_of(hass, "sensor.generator_run_hours") != STATE_UNAVAILABLE

    # Page 6 (total power) is refused: the phases on page 4 still add up.
    _refuse(sim, dse_gencomm.POWER_BLOCK.address)
    await refresh(hass, site)
    assert float(state_of(hass, "sensor.generator_active_power")) == pytest.approx(
        power, abs=0.01
    )
    assert state_of(hass, "sensor.generator_run_hours") == STATE_UNAVAILABLE
    assert state_of(hass, "sensor.generator_energy_delivered") == STATE_UNAVAILABLE


# --- Fuel tank ----------------------------------------------------------------


async def test_tank_sensor_wire_break(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """A broken level loop: no made-up litres, a problem that says why."""
    assert state_of(hass, TANK_FAULT) == "off"
    sim.site.set_tank_sensor_fault(2.0)  # below 3.6 mA: the loop is open
    await refresh(hass, site)
    assert state_of(hass, TANK_FAULT) == "on"
    assert _attributes(hass, TANK_FAULT)["fault"] == "wire_break"
    for entity_id in FUEL_SENSORS:
        assert state_of(hass, entity_id) == STATE_UNAVAILABLE, entity_id
    # The controller's own sender is still shown for what it is.
    assert float(state_of(hass, "sensor.generator_fuel_level_controller")) > 0

    sim.site.set_tank_sensor_fault(None)
    await refresh(hass, site)
    assert state_of(hass, TANK_FAULT) == "off"
    assert float(state_of(hass, "sensor.fuel_tank_volume")) > 0


# --- I/O module variants ------------------------------------------------------


async def test_io_module_without_relay_has_no_heater(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """No heater relay configured: no heater entity that could never be read."""
    entry = with_device_data(
        site_entry(sim, devices=(SUBENTRY_IO_MODULE,)),
        SUBENTRY_IO_MODULE,
        {CONF_RELAY_KIND: RELAY_NONE},
    )
    await load_site(hass, entry)
    assert hass.states.get(HEATER) is None
    assert hass.states.get(HEATER_SWITCH) is None
    assert float(state_of(hass, ROOM)) == pytest.approx(
        sim.site.room.temperature_c, abs=0.1
    )
    assert float(state_of(hass, "sensor.fuel_tank_volume")) > 0
    # Nothing measures the mains or the switch without generator or ATS.
    assert hass.states.get("binary_sensor.mains_available") is None
    assert hass.states.get(POSITION) is None


@pytest.mark.parametrize(
    ("left_empty", "absent", "present"),
    [
        pytest.param(
            {CONF_TEMPERATURE_ADDRESS: None},
            (ROOM,),
            (TANK_FAULT, HEATER, HEATER_SWITCH),
            id="temperature",
        ),
        pytest.param(
            {CONF_LEVEL_ADDRESS: None},
            (TANK_FAULT,),
            (ROOM, HEATER, HEATER_SWITCH),
            id="level",
        ),
        pytest.param(
            {CONF_RELAY_KIND: RELAY_NONE},
            (HEATER, HEATER_SWITCH),
            (ROOM, TANK_FAULT),
            id="relay",
        ),
    ],
)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_input_left_empty_has_no_entity(
    hass: HomeAssistant,
    sim: SimulatedSite,
    left_empty: dict[str, Any],
    absent: tuple[str, ...],
    present: tuple[str, ...],
) -> None:
    """An input the technician left empty is no such input: no entity for it.

    Not an entity that is unavailable for ever, nor a level sensor "fault"
    that reads "off" for a level sensor there is not.
    """
    await load_site(
        hass, with_device_data(site_entry(sim), SUBENTRY_IO_MODULE, left_empty)
    )
    for entity_id in absent:
        assert hass.states.get(entity_id) is None, entity_id
    for entity_id in present:
        assert state_of(hass, entity_id) != STATE_UNAVAILABLE, entity_id


async def test_module_with_no_inputs_leaves_no_warm_room(
    hass: HomeAssistant, sim: SimulatedSite, device_registry: dr.DeviceRegistry
) -> None:
    """Only a level input: the tank reads from it, and there is no warm room."""
    entry = await load_site(
        hass,
        with_device_data(
            site_entry(sim, devices=(SUBENTRY_GENERATOR, SUBENTRY_IO_MODULE)),
            SUBENTRY_IO_MODULE,
            {CONF_TEMPERATURE_ADDRESS: None, CONF_RELAY_KIND: RELAY_NONE},
        ),
    )
    for entity_id in (ROOM, HEATER, HEATER_SWITCH):
        assert hass.states.get(entity_id) is None, entity_id
    assert state_of(hass, TANK_FAULT) == "off"
    assert _attributes(hass, "sensor.fuel_tank_volume")["source"] == "level_sensor"
    identifier = (DOMAIN, f"{entry.entry_id}_warm_room")
    assert (
        device_registry.async_get_device_by_identifier(identifier, entry.entry_id)
        is None
    )


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(FaultKind.DROP, id="silent"),
        pytest.param(FaultKind.EXCEPTION, id="refusing"),
    ],
)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_configured_inputs_of_a_failing_module_are_unavailable(
    hass: HomeAssistant, sim: SimulatedSite, fault: FaultKind
) -> None:
    """A module that fails from the start: its inputs show, unavailable.

    What exists is decided from the configuration, so nothing vanishes because
    the first read failed; and nothing shows a value it did not read.
    """
    sim.faults.units = frozenset({sim.site.config.units.io or 1})
    sim.faults.enable(rate=1.0, kinds={fault: 1.0})
    entry = await load_site(hass, site_entry(sim))
    io_inputs = (ROOM, HEATER, HEATER_SWITCH, TANK_FAULT)
    for entity_id in io_inputs:
        assert state_of(hass, entity_id) == STATE_UNAVAILABLE, entity_id
    # The tank falls back on the controller's own sender meanwhile.
    assert _attributes(hass, "sensor.fuel_tank_volume")["source"] == "controller"

    sim.faults.disable()
    await refresh(hass, entry)
    assert float(state_of(hass, ROOM)) == pytest.approx(
        sim.site.room.temperature_c, abs=0.1
    )
    assert state_of(hass, HEATER) == "off"
    assert state_of(hass, HEATER_SWITCH) == "off"
    assert state_of(hass, TANK_FAULT) == "off"


@pytest.fixture
async def register_relay_sim(socket_enabled: None) -> AsyncIterator[SimulatedSite]:
    """A site whose I/O module switches the heater with holding register 5."""
    config = SiteConfig(
        io=IoModuleConfig(
            tank_capacity_l=200.0,
            relay_kind=RelayKind.HOLDING_REGISTER,
            relay_address=5,
        )
    )
    async with SimulatedSite.serve(scenario="normal", speed=0, config=config) as sim:
        yield sim


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_heater_relay_in_a_holding_register(
    hass: HomeAssistant, register_relay_sim: SimulatedSite
) -> None:
    """The heater state is read from the register the module uses."""
    sim = register_relay_sim
    entry = await load_site(
        hass,
        with_device_data(
            site_entry(sim, devices=(SUBENTRY_IO_MODULE,)),
            SUBENTRY_IO_MODULE,
            {CONF_RELAY_KIND: RelayKind.HOLDING_REGISTER.value, CONF_RELAY_ADDRESS: 5},
        ),
    )
    assert state_of(hass, HEATER) == "off"
    sim.site.set_heater(True)
    await refresh(hass, entry)
    assert state_of(hass, HEATER) == "on"


# --- Sites without a generator controller or without a transfer switch -------


async def test_transfer_switch_only_site_through_an_outage(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """Only the ATS is connected: mains, outage and backup come from it alone."""
    entry = await load_site(hass, site_entry(sim, devices=(SUBENTRY_TRANSFER_SWITCH,)))
    assert state_of(hass, SITE) == "normal"
    assert state_of(hass, "binary_sensor.mains_available") == "on"
    assert state_of(hass, POSITION) == "mains"
    assert state_of(hass, ON_GENERATOR) == "off"
    assert hass.states.get("sensor.generator_control_mode") is None

    sim.site.lose_mains()
    await refresh(hass, entry)
    assert state_of(hass, "binary_sensor.mains_available") == "off"
    assert state_of(hass, "binary_sensor.sot_punkt_kall_outage_in_progress") == "on"
    assert state_of(hass, SITE) == "outage_no_backup"

    sim.advance(sim.site.config.timings.time_to_load() + 5)
    await refresh(hass, entry)
    assert state_of(hass, POSITION) == "generator"
    assert state_of(hass, ON_GENERATOR) == "on"
    # The switch has the load on a live generator: that is backup power.
    assert state_of(hass, SITE) == "backup_power"


async def test_generator_without_transfer_switch_tells_the_side_by_current(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """The controller drives the contactors: the load's side is where current is."""
    entry = await load_site(
        hass, site_entry(sim, devices=(SUBENTRY_GENERATOR, SUBENTRY_IO_MODULE))
    )
    assert state_of(hass, POSITION) == "mains"
    assert state_of(hass, ON_GENERATOR) == "off"

    sim.site.lose_mains()
    await refresh(hass, entry)
    # Dead grid, set not on load yet: no current anywhere, side unknown.
    assert state_of(hass, POSITION) == STATE_UNAVAILABLE
    assert state_of(hass, ON_GENERATOR) == STATE_UNAVAILABLE
    assert state_of(hass, SITE) == "starting"

    sim.advance(sim.site.config.timings.time_to_load() + 5)
    await refresh(hass, entry)
    assert state_of(hass, POSITION) == "generator"
    assert state_of(hass, ON_GENERATOR) == "on"
    assert state_of(hass, SITE) == "backup_power"

    # Page 4 refused: neither side's current is known.
    _refuse(sim, dse_gencomm.INSTRUMENT_BLOCK.address)
    await refresh(hass, entry)
    assert state_of(hass, POSITION) == STATE_UNAVAILABLE
    assert state_of(hass, ON_GENERATOR) == STATE_UNAVAILABLE
    assert state_of(hass, "binary_sensor.mains_available") == STATE_UNAVAILABLE
    assert state_of(hass, "sensor.fuel_tank_consumption") == STATE_UNAVAILABLE
