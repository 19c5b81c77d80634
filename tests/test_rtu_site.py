"""A site wired as most are: controller and I/O module on one RS-485 line.

The generator's and the I/O module's subentries say Modbus RTU, with the
serial port set to the client's end of a pty line (`simulator.serial_link`)
at 9600 or 19200 baud 8N1. The integration reads them through its normal
path (settings -> SerialEndpoint -> pymodbus serial client) on the real Home
Assistant test instance; the simulator answers through pymodbus's RTU server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.sot_point.const import (
    CONF_BAUDRATE,
    CONF_CONNECTION_TYPE,
    CONF_HOST,
    CONF_PARITY,
    CONF_PORT,
    CONF_SERIAL_PORT,
    CONF_STOPBITS,
    CONNECTION_RTU,
    EVENT_OUTAGE_STARTED,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
)
from custom_components.sot_point.coordinator import SotPointCoordinator
from custom_components.sot_point.hardware.client import (
    ConnectionSettings,
    SerialEndpoint,
)
from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    ControlKey,
    control_words,
)
from custom_components.sot_point.hardware.state import ControlMode
from simulator.faults import FaultKind
from simulator.serial_link import Framing, SerialLine, serve_rtu
from simulator.server import SimulatedSite, writes_to

from .conftest import fast_control, load_site, refresh, running, site_entry, state_of

MAINS = "binary_sensor.mains_available"
OUTAGE = "binary_sensor.sot_punkt_kall_outage_in_progress"
ALARM_ACTIVE = "binary_sensor.generator_alarm_active"
MODE = "select.generator_mode"
START = "button.generator_start"
ROOM = "sensor.warm_room_room_temperature"
SITE = "sensor.sot_punkt_kall_site_status"
GENERATOR_ENTITIES = (
    "sensor.generator_control_mode",
    "sensor.generator_engine_state",
    "sensor.mains_voltage_l1",
    "binary_sensor.generator_running",
    ALARM_ACTIVE,
    MAINS,
)


@dataclass
class RtuSite:
    """A loaded site on a serial line, and the line."""

    entry: MockConfigEntry
    line: SerialLine


def _rtu(line: SerialLine, data: dict[str, object]) -> dict[str, object]:
    """A device's subentry data moved from the network onto `line`."""
    moved = {k: v for k, v in data.items() if k not in (CONF_HOST, CONF_PORT)}
    return moved | {
        CONF_CONNECTION_TYPE: CONNECTION_RTU,
        CONF_SERIAL_PORT: line.device,
        CONF_BAUDRATE: line.framing.baudrate,
        CONF_PARITY: line.framing.parity,
        CONF_STOPBITS: line.framing.stopbits,
    }


def _on_the_line(base: MockConfigEntry, line: SerialLine) -> MockConfigEntry:
    """`base` with every device on the serial line."""
    return MockConfigEntry(
        domain=base.domain,
        entry_id=base.entry_id,
        title=base.title,
        unique_id=base.unique_id,
        data=dict(base.data),
        options=dict(base.options),
        subentries_data=[
            {
                "data": _rtu(line, dict(s.data)),
                "subentry_id": s.subentry_id,
                "subentry_type": s.subentry_type,
                "title": s.title,
                "unique_id": s.unique_id,
            }
            for s in base.subentries.values()
        ],
    )


@pytest.fixture(params=[9600, 19200], ids=lambda baud: f"{baud}_8N1")
async def rtu_site(
    request: pytest.FixtureRequest, hass: HomeAssistant, sim: SimulatedSite
) -> AsyncIterator[RtuSite]:
    """Controller and I/O module on one RS-485 line, the site loaded."""
    async with serve_rtu(sim, Framing(request.param)) as line:
        base = site_entry(sim, devices=(SUBENTRY_GENERATOR, SUBENTRY_IO_MODULE))
        entry = await load_site(hass, _on_the_line(base, line))
        yield RtuSite(entry, line)
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


def _coordinator(entry: MockConfigEntry) -> SotPointCoordinator:
    coordinator: SotPointCoordinator = entry.runtime_data.coordinator
    return coordinator


async def _impatient(entry: MockConfigEntry) -> None:
    """Give up on an answer after 0.1 s: the real 1 s x 3 tries only slow tests.

    Both devices share the line's one connection (RS-485 is half-duplex).
    """
    handle = _coordinator(entry).handle_of(SUBENTRY_GENERATOR)
    assert handle is not None
    connection = handle.reader.connection
    connection.settings = ConnectionSettings(timeout=0.1, retries=1, backoff=0.0)
    await connection.close()  # the next client is made with these settings


async def test_entities_read_over_the_serial_line(
    hass: HomeAssistant, rtu_site: RtuSite
) -> None:
    """Both devices share one serial connection; the entities have values."""
    entry, line = rtu_site.entry, rtu_site.line
    handles = list(_coordinator(entry).devices.values())
    assert {h.endpoint for h in handles} == {
        SerialEndpoint(line.device, line.framing.baudrate)
    }
    assert state_of(hass, "sensor.generator_control_mode") == "auto"
    assert state_of(hass, "sensor.generator_engine_state") == "stopped"
    assert 225 <= float(state_of(hass, "sensor.mains_voltage_l1")) <= 235
    assert state_of(hass, MAINS) == "on"
    assert state_of(hass, ALARM_ACTIVE) == "off"
    assert state_of(hass, ROOM) != STATE_UNAVAILABLE


async def test_mode_and_start_go_through_the_interlocks_over_the_line(
    hass: HomeAssistant, sim: SimulatedSite, rtu_site: RtuSite
) -> None:
    """Manual from the select, then the start button: two keys, engine starts."""
    entry = rtu_site.entry
    fast_control(entry)
    async with running(sim):
        await hass.services.async_call(
            "select",
            "select_option",
            {ATTR_ENTITY_ID: MODE, "option": "manual"},
            blocking=True,
        )
        await hass.services.async_call(
            "button", "press", {ATTR_ENTITY_ID: START}, blocking=True
        )
    assert [w.values for w in writes_to(sim.writes, sim.site.config.units.dse)] == [
        control_words(ControlKey.SELECT_MANUAL),
        control_words(ControlKey.START_ENGINE),
    ]
    assert sim.site.controller.mode is ControlMode.MANUAL
    await refresh(hass, entry)
    assert state_of(hass, MODE) == "manual"
    assert state_of(hass, "sensor.generator_engine_state") in (
        "pre_start",
        "warming_up",
        "running",
    )


async def test_a_silent_controller_is_unavailable_not_a_mains_failure(
    hass: HomeAssistant, sim: SimulatedSite, rtu_site: RtuSite
) -> None:
    """The controller stops answering on the bus; the I/O module still does."""
    entry = rtu_site.entry
    await _impatient(entry)
    announced = async_capture_events(hass, EVENT_OUTAGE_STARTED)
    sim.faults.units = frozenset({sim.site.config.units.dse})
    sim.faults.enable(rate=1.0, kinds={FaultKind.DROP: 1.0})
    for _ in range(2):
        await refresh(hass, entry)
    for entity_id in GENERATOR_ENTITIES:
        assert state_of(hass, entity_id) == STATE_UNAVAILABLE, entity_id
    assert state_of(hass, OUTAGE) == "off"
    # The site cannot see its mains or its generator: it says so, no outage.
    assert state_of(hass, SITE) == "fault"
    assert state_of(hass, ROOM) != STATE_UNAVAILABLE
    assert entry.runtime_data.journal.open_outage is None
    assert announced == []

    sim.faults.disable()
    await _patient(entry)
    await refresh(hass, entry)
    assert state_of(hass, MAINS) == "on"
    assert state_of(hass, "sensor.generator_control_mode") == "auto"


async def test_a_cut_line_makes_the_site_unavailable_and_comes_back(
    hass: HomeAssistant, rtu_site: RtuSite
) -> None:
    """Nothing gets across: every device unavailable, no outage, then back."""
    entry, line = rtu_site.entry, rtu_site.line
    await _impatient(entry)
    announced = async_capture_events(hass, EVENT_OUTAGE_STARTED)
    line.cut()
    await refresh(hass, entry)
    assert not _coordinator(entry).last_update_success
    for entity_id in (*GENERATOR_ENTITIES, ROOM):
        assert state_of(hass, entity_id) == STATE_UNAVAILABLE, entity_id
    assert entry.runtime_data.journal.open_outage is None
    assert announced == []

    line.mend()
    await _patient(entry)
    await refresh(hass, entry)
    assert state_of(hass, MAINS) == "on"
    assert state_of(hass, ROOM) != STATE_UNAVAILABLE


async def _patient(entry: MockConfigEntry) -> None:
    """Back to the integration's own timeouts, for the polls after a fault."""
    handle = _coordinator(entry).handle_of(SUBENTRY_GENERATOR)
    assert handle is not None
    handle.reader.connection.settings = ConnectionSettings()
    await handle.reader.connection.close()


def _states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    registry = er.async_get(hass)
    return {
        e.entity_id: state_of(hass, e.entity_id)
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        if hass.states.get(e.entity_id) is not None
    }


async def test_a_noisy_line_never_shows_a_wrong_value(
    hass: HomeAssistant, rtu_site: RtuSite
) -> None:
    """CRC errors and garbage on 20 % of frames, for 8 polls.

    Every entity shows its clean value or is unavailable; the mains is never
    "off", no alarm and no outage is raised; the polls after the noise show
    every clean value again. The site status may say "fault" while the
    controller is unread (the site never claims "normal" without seeing its
    mains or generator), never an outage.
    """
    entry, line = rtu_site.entry, rtu_site.line
    await _impatient(entry)
    announced = async_capture_events(hass, EVENT_OUTAGE_STARTED)
    clean = _states(hass, entry)
    line.noise(0.2)
    for _ in range(8):
        await refresh(hass, entry)
        for entity_id, state in _states(hass, entry).items():
            if entity_id == SITE and state == "fault":
                assert state_of(hass, MAINS) == STATE_UNAVAILABLE
                continue
            assert state in (clean[entity_id], STATE_UNAVAILABLE), entity_id
        assert state_of(hass, MAINS) != "off"
        assert state_of(hass, ALARM_ACTIVE) != "on"
        assert state_of(hass, OUTAGE) != "on"
    assert line.counts["crc"] + line.counts["burst"] > 0
    assert entry.runtime_data.journal.open_outage is None
    assert announced == []

    line.noise(0.0)
    await _patient(entry)
    for _ in range(2):
        await refresh(hass, entry)
    assert _states(hass, entry) == clean
