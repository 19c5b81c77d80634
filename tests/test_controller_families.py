"""ComAp and SmartGen controllers on the real Home Assistant test instance.

The simulator serves the site's controller as each family (`use_family`),
from the same profile data the integration reads with; the site's subentry
names the family. SmartGen is commanded through the same interlocks as DSE;
ComAp is read only and says so.
"""

from __future__ import annotations

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import (
    CONF_CONTROLLER_FAMILY,
    CONF_MODEL,
    CONF_SERIAL,
    DOMAIN,
    SUBENTRY_GENERATOR,
)
from custom_components.sot_point.device_check import (
    DeviceCheckError,
    check_generator,
    run_check,
    search_candidates,
    search_generator,
    search_settings,
)
from custom_components.sot_point.hardware.client import ModbusConnection, TcpEndpoint
from custom_components.sot_point.hardware.families import (
    ControllerFamily,
    WrongFamilyError,
)
from custom_components.sot_point.hardware.profiles import smartgen_hgm
from custom_components.sot_point.hardware.state import AlarmCondition, ControlMode
from simulator.families import use_family
from simulator.server import SimulatedSite, writes_to

from .conftest import (
    fast_control,
    load_site,
    refresh,
    running,
    site_entry,
    state_of,
    with_device_data,
)


def _entry(sim: SimulatedSite, family: ControllerFamily) -> MockConfigEntry:
    use_family(sim, family)
    return with_device_data(
        site_entry(sim),
        SUBENTRY_GENERATOR,
        {CONF_CONTROLLER_FAMILY: family.value, CONF_SERIAL: "", CONF_MODEL: "x"},
    )


def _writes(sim: SimulatedSite) -> list[tuple[int, list[int]]]:
    return [
        (w.address, w.values) for w in writes_to(sim.writes, sim.site.config.units.dse)
    ]


async def _start(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await hass.services.async_call(
        DOMAIN,
        "start_generator",
        {"config_entry_id": entry.entry_id},
        blocking=True,
    )


async def test_smartgen_entities_show_what_the_controller_sends(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """Mode, engine state, run hours and starts read from the SmartGen map."""
    entry = await load_site(hass, _entry(sim, ControllerFamily.SMARTGEN))
    await refresh(hass, entry)
    assert state_of(hass, "sensor.generator_control_mode") == "auto"
    assert state_of(hass, "sensor.generator_engine_state") == "stopped"
    starts = sim.site.controller.counters.starts
    assert state_of(hass, "sensor.generator_number_of_starts") == str(starts)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, entry)
    assert state_of(hass, "sensor.generator_control_mode") == "manual"


async def test_smartgen_start_in_manual_presses_the_start_coil_once(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """The start goes to remote coil 0 (FC05), once; the engine starts."""
    entry = await load_site(hass, _entry(sim, ControllerFamily.SMARTGEN))
    fast_control(entry)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, entry)
    async with running(sim):
        await _start(hass, entry)
    assert _writes(sim) == [(smartgen_hgm.REMOTE_START, [1])]
    await refresh(hass, entry)
    assert state_of(hass, "sensor.generator_engine_state") in (
        "pre_start",
        "warming_up",
        "running",
    )


@pytest.mark.parametrize(
    ("prepare", "service", "data", "key"),
    [
        ("stop", "start_generator", {}, "refused_stop_mode"),
        ("shutdown", "start_generator", {}, "refused_shutdown_alarm"),
        ("", "start_generator", {}, "refused_not_supported"),
        ("", "set_controller_mode", {"mode": "stop"}, "refused_not_supported"),
        ("", "transfer_load", {"to": "generator"}, "refused_not_running_in_band"),
    ],
)
async def test_smartgen_refusals_write_nothing(  # noqa: PLR0917
    hass: HomeAssistant,
    sim: SimulatedSite,
    prepare: str,
    service: str,
    data: dict[str, str],
    key: str,
) -> None:
    """The same interlocks as DSE, and what SmartGen documents no coil for."""
    entry = await load_site(hass, _entry(sim, ControllerFamily.SMARTGEN))
    fast_control(entry)
    if prepare == "stop":
        sim.site.set_mode(ControlMode.STOP)
    if prepare == "shutdown":
        sim.site.set_mode(ControlMode.MANUAL)
        sim.site.controller.alarms.raise_alarm(
            "low_oil_pressure", AlarmCondition.SHUTDOWN
        )
    await refresh(hass, entry)
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            service,
            {"config_entry_id": entry.entry_id, **data},
            blocking=True,
        )
    assert caught.value.translation_key == key
    assert _writes(sim) == []


async def test_comap_is_read_and_refuses_every_command(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """ComAp: battery and alarms are shown; a start is refused as read-only."""
    entry = await load_site(hass, _entry(sim, ControllerFamily.COMAP))
    fast_control(entry)
    await refresh(hass, entry)
    battery = hass.states.get("sensor.generator_starter_battery_voltage")
    assert battery is not None
    assert float(battery.state) == pytest.approx(sim.site.engine.battery_voltage, 0.1)
    with pytest.raises(ServiceValidationError) as caught:
        await _start(hass, entry)
    assert caught.value.translation_key == "refused_read_only"
    assert caught.value.translation_placeholders == {"detail": "comap"}
    assert _writes(sim) == []
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: "select.generator_mode", "option": "manual"},
        blocking=False,
    )
    await hass.async_block_till_done()
    assert _writes(sim) == []


@pytest.mark.parametrize("family", list(ControllerFamily))
async def test_a_controller_of_another_family_is_refused(
    sim: SimulatedSite, family: ControllerFamily
) -> None:
    """Test-before-configure: each family's identity refuses the other two."""
    use_family(sim, family)
    connection = ModbusConnection(TcpEndpoint("127.0.0.1", sim.port))
    try:
        found = await check_generator(connection, 10, family)
        assert found.family is family
        for other in ControllerFamily:
            if other is not family:
                with pytest.raises(WrongFamilyError) as caught:
                    await check_generator(connection, 10, other)
                assert caught.value.family is other
    finally:
        await connection.close()


@pytest.mark.parametrize("family", list(ControllerFamily))
async def test_search_names_the_family_it_found(
    hass: HomeAssistant, sim: SimulatedSite, family: ControllerFamily
) -> None:
    """The search reads each family's identity and keeps the one that fits."""
    use_family(sim, family)
    entry = MockConfigEntry(domain=DOMAIN)
    entry.add_to_hass(hass)
    link = {"connection_type": "tcp", "host": "127.0.0.1", "port": sim.port}
    _data, found = await search_generator(
        entry, search_candidates(link, (10,), ()), 0.0
    )
    assert found.family is family


async def test_wrong_family_has_its_own_flow_error(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """A DSE where SmartGen was chosen: the form says "not a SmartGen"."""
    entry = MockConfigEntry(domain=DOMAIN)
    entry.add_to_hass(hass)
    link = {"connection_type": "tcp", "host": "127.0.0.1", "port": sim.port}

    async def smartgen(connection: ModbusConnection, unit: int) -> object:
        return await check_generator(connection, unit, ControllerFamily.SMARTGEN)

    with pytest.raises(DeviceCheckError) as caught:
        await run_check(entry, link | {"unit_id": 10}, search_settings(0.0), smartgen)
    assert caught.value.key == "not_smartgen"


async def test_smartgen_test_run_from_auto_selects_test_then_starts(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """A scheduled test run finds the controller in Auto, where SmartGen has no
    start coil: the start is judged in the run's own mode (Test), so the run
    goes ahead: the Test coil, then the Start coil, each once.
    """
    entry = await load_site(hass, _entry(sim, ControllerFamily.SMARTGEN))
    fast_control(entry)
    await refresh(hass, entry)
    assert state_of(hass, "sensor.generator_control_mode") == "auto"
    async with running(sim):
        await hass.services.async_call(
            DOMAIN,
            "start_test_run",
            {"config_entry_id": entry.entry_id, "duration": 5, "with_load": True},
            blocking=True,
        )
    assert _writes(sim) == [
        (smartgen_hgm.REMOTE_TEST_MODE, [1]),
        (smartgen_hgm.REMOTE_START, [1]),
    ]
