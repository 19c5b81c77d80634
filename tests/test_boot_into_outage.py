"""Home Assistant starts on generator power, in the middle of an outage.

At a real SOT point the Home Assistant box, the Modbus gateway and the
router lose power with the grid and come back on the generator: Home
Assistant starts while the mains is gone and the set runs, and the gateway
answers only a while later. The site must set up, show its entities
unavailable until their devices answer, and then record the outage as one
that began before it started: at the last moment the mains was seen good.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.sot_point.const import DOMAIN, EVENT_OUTAGE_STARTED
from custom_components.sot_point.hardware.state import EngineState
from custom_components.sot_point.journal import JournalRecord
from custom_components.sot_point.rules.records import parse_time
from simulator.faults import FaultKind
from simulator.server import SimulatedSite

from .conftest import load_site, refresh, site_entry, state_of

ENTRY_ID = "01SITEKALL0000000000000000"
MAINS_KEY = f"{DOMAIN}.{ENTRY_ID}.mains"
STATUS = "sensor.sot_punkt_kall_site_status"


def _device_entities(hass: HomeAssistant) -> list[str]:
    """The enabled entities of the site's devices (those under a subentry)."""
    return [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(er.async_get(hass), ENTRY_ID)
        if entity.config_subentry_id is not None and not entity.disabled
    ]


def _open_outage(entry: MockConfigEntry) -> JournalRecord | None:
    """The journal's open outage now (read afresh each time)."""
    outage: JournalRecord | None = entry.runtime_data.journal.open_outage
    return outage


def _stored_mains(at: str) -> dict[str, Any]:
    return {
        "version": 1,
        "minor_version": 1,
        "key": MAINS_KEY,
        "data": {"good_at": at},
    }


async def test_boot_into_an_outage_with_the_gateway_silent_at_first(
    hass: HomeAssistant, sim: SimulatedSite, hass_storage: dict[str, Any]
) -> None:
    """Set up, unavailable while silent, then the outage from when last seen good."""
    last_good = dt_util.utcnow().replace(microsecond=0) - timedelta(minutes=3)
    hass_storage[MAINS_KEY] = _stored_mains(last_good.isoformat())
    # The grid went while Home Assistant was dark; the controller in Auto
    # started the set and took the load by itself.
    sim.site.lose_mains()
    sim.advance(90)
    assert sim.site.controller.engine_state is EngineState.RUNNING
    sim.faults.enable(rate=1.0, kinds={FaultKind.DISCONNECT: 1.0})
    announced = async_capture_events(hass, EVENT_OUTAGE_STARTED)
    booted = dt_util.utcnow()

    entry = await load_site(hass, site_entry(sim))
    await refresh(hass, entry)  # the gateway is still silent
    silent = _device_entities(hass)
    assert len(silent) > 20
    assert {state_of(hass, e) for e in silent} == {STATE_UNAVAILABLE}
    assert _open_outage(entry) is None
    assert announced == []

    sim.faults.disable()  # the gateway has booted too
    await refresh(hass, entry)
    outage = _open_outage(entry)
    assert outage is not None
    assert outage.at == last_good
    assert outage.data["start_uncertain"] is True
    assert parse_time(outage.data["started_by"]) >= booted
    assert state_of(hass, STATUS) == "backup_power"
    # Announced as any new outage, for the blueprints to tell people.
    assert len(announced) == 1
    assert announced[0].data["record_id"] == outage.id
    assert STATE_UNAVAILABLE not in {state_of(hass, e) for e in silent}


async def test_boot_into_an_outage_with_nothing_stored_starts_it_at_boot(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """A new installation knows no earlier moment: the outage began by now."""
    sim.site.lose_mains()
    sim.advance(90)
    booted = dt_util.utcnow()
    entry = await load_site(hass, site_entry(sim))
    outage = entry.runtime_data.journal.open_outage
    assert outage is not None
    assert outage.data["start_uncertain"] is True
    assert booted <= outage.at <= dt_util.utcnow()


async def test_mains_seen_good_is_stored_for_the_next_start(
    hass: HomeAssistant, sim: SimulatedSite, hass_storage: dict[str, Any]
) -> None:
    """While the grid is up, the moment it was last seen good is kept on disk."""
    entry = await load_site(hass, site_entry(sim))
    await refresh(hass, entry)
    await hass.async_block_till_done()
    stored = parse_time(hass_storage[MAINS_KEY]["data"]["good_at"])
    assert dt_util.utcnow() - stored < timedelta(seconds=30)
    assert entry.runtime_data.journal.open_outage is None
