"""The site coordinator against the simulator: setup retry, silence, wrong device."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.sot_point.const import (
    CONF_INSTRUMENT_INTERVAL,
    CONF_SERIAL,
    CONF_TOTALS_INTERVAL,
    DOMAIN,
    EVENT_OUTAGE_STARTED,
    STATUS_INTERVAL_S,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
)
from custom_components.sot_point.coordinator import SotPointCoordinator
from custom_components.sot_point.hardware.client import ConnectionSettings
from custom_components.sot_point.hardware.profiles import dse_gencomm
from custom_components.sot_point.rules.site import SiteState
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


# --- Mains loss at the controller, without a transfer switch -----------------

MAINS = "binary_sensor.mains_available"
OUTAGE = "binary_sensor.sot_punkt_kall_outage_in_progress"
CONTROLLER_ONLY = (SUBENTRY_GENERATOR, SUBENTRY_IO_MODULE)
# Page 4 and the totals are read at setup and not again while a test runs
# (their intervals run on the monotonic clock, which HA's test clock does not
# move): every poll after setup is a fast cycle.
FAST_CYCLES = {CONF_INSTRUMENT_INTERVAL: 60.0, CONF_TOTALS_INTERVAL: 3600.0}
# Page 4 on every poll, the totals never again: every poll a full one.
FULL_POLLS = {CONF_INSTRUMENT_INTERVAL: 0.0, CONF_TOTALS_INTERVAL: 3600.0}
READ_HOLDING = 3  # GenComm's only read; the I/O module uses FC04 and FC01


@dataclass(frozen=True)
class Poll:
    """One poll as the site saw it: the controller's requests, the mains."""

    requests: int
    mains_available: bool | None


def _watch_polls(entry: MockConfigEntry) -> list[Poll]:
    """Every poll from now on, with the controller's FC03 requests it took."""
    coordinator: SotPointCoordinator = entry.runtime_data.coordinator
    handle = coordinator.handle_of(SUBENTRY_GENERATOR)
    assert handle is not None
    stats = handle.reader.connection.stats
    polls: list[Poll] = []
    counted = [stats.by_function.get(READ_HOLDING, 0)]

    def seen(state: SiteState) -> None:
        now = stats.by_function.get(READ_HOLDING, 0)
        polls.append(Poll(now - counted[0], state.mains_available))
        counted[0] = now

    coordinator.async_add_observer(seen)
    return polls


async def _next_poll(hass: HomeAssistant) -> None:
    """One tick of the coordinator's 1 s cycle, on Home Assistant's clock.

    The coordinator's next poll is due within the interval plus its own
    sub-second offset (under 0.5 s); the poll it starts is awaited.
    """
    async_fire_time_changed(
        hass, dt_util.utcnow() + timedelta(seconds=STATUS_INTERVAL_S + 0.5)
    )
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_mains_lost_at_the_controller_shows_in_the_next_fast_cycle(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """No transfer switch: the next poll after the grid goes says it is gone.

    That poll is a fast cycle of three requests (status, engine state, the
    mains block), not the full page 4 at the instrument interval.
    """
    entry = await load_site(
        hass, site_entry(sim, devices=CONTROLLER_ONLY, options=FAST_CYCLES)
    )
    assert state_of(hass, MAINS) == "on"
    polls = _watch_polls(entry)
    await _next_poll(hass)
    assert polls[0] == Poll(requests=3, mains_available=True)

    sim.site.lose_mains()
    polls.clear()
    await _next_poll(hass)
    assert polls[0] == Poll(requests=3, mains_available=False)
    assert state_of(hass, MAINS) == "off"
    assert state_of(hass, OUTAGE) == "on"

    sim.site.restore_mains()
    polls.clear()
    await _next_poll(hass)
    assert polls[0] == Poll(requests=3, mains_available=True)
    assert state_of(hass, MAINS) == "on"


async def test_full_poll_stays_four_requests_with_the_mains_on_page_4(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """When page 4 is read its mains registers count; no fifth request."""
    entry = await load_site(
        hass, site_entry(sim, devices=CONTROLLER_ONLY, options=FULL_POLLS)
    )
    polls = _watch_polls(entry)
    await _next_poll(hass)
    assert polls[0] == Poll(requests=4, mains_available=True)

    sim.site.lose_mains()
    polls.clear()
    await _next_poll(hass)
    assert polls[0] == Poll(requests=4, mains_available=False)
    assert state_of(hass, MAINS) == "off"


def _silence(sim: SimulatedSite, kind: FaultKind, *addresses: int) -> None:
    """The controller (or some of its blocks) stops answering: `kind` faults."""
    sim.faults.units = frozenset({sim.site.config.units.dse})
    sim.faults.addresses = frozenset(addresses) if addresses else None
    if kind is FaultKind.EXCEPTION:
        sim.faults.exception_code = GATEWAY_NO_RESPONSE
    sim.faults.enable(rate=1.0, kinds={kind: 1.0})


async def _impatient(entry: MockConfigEntry) -> None:
    """Time out after 0.2 s, once: the real 1 s x 3 tries only slow the test."""
    coordinator: SotPointCoordinator = entry.runtime_data.coordinator
    handle = coordinator.handle_of(SUBENTRY_GENERATOR)
    assert handle is not None
    connection = handle.reader.connection
    connection.settings = ConnectionSettings(timeout=0.2, retries=0, backoff=0.0)
    await connection.close()  # the next client is made with these settings


@pytest.mark.parametrize(
    ("kind", "addresses", "controller_answers"),
    [
        (FaultKind.EXCEPTION, (), False),
        (FaultKind.DROP, (), False),
        (FaultKind.DROP, (dse_gencomm.MAINS_BLOCK.address,), True),
    ],
    ids=["gateway_no_response", "timeout", "mains_block_timeout"],
)
async def test_a_silent_controller_is_no_mains_failure(
    hass: HomeAssistant,
    sim: SimulatedSite,
    kind: FaultKind,
    addresses: tuple[int, ...],
    controller_answers: bool,
) -> None:
    """Unanswered reads make the mains unknown: unavailable, never "off".

    The outage delay is 0 here, so a single poll read as "mains lost" would
    open an outage: none is opened, and nothing is announced.
    """
    entry = await load_site(
        hass, site_entry(sim, devices=CONTROLLER_ONLY, options=FAST_CYCLES)
    )
    await _impatient(entry)
    announced = async_capture_events(hass, EVENT_OUTAGE_STARTED)
    polls = _watch_polls(entry)
    _silence(sim, kind, *addresses)
    for _ in range(3):
        await _next_poll(hass)
    assert sim.faults.counts[kind] >= 3
    assert [poll.mains_available for poll in polls] == [None] * len(polls)
    assert len(polls) >= 3
    assert state_of(hass, MAINS) == STATE_UNAVAILABLE
    assert state_of(hass, OUTAGE) == "off"
    assert entry.runtime_data.journal.open_outage is None
    assert announced == []
    mode = state_of(hass, "sensor.generator_control_mode")
    assert (mode == "auto") is controller_answers
    assert state_of(hass, "sensor.warm_room_room_temperature") != STATE_UNAVAILABLE

    sim.faults.disable()
    await _next_poll(hass)
    assert state_of(hass, MAINS) == "on"
    assert state_of(hass, OUTAGE) == "off"
