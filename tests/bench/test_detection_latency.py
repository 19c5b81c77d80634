"""Measured, not asserted: how long until Home Assistant shows a lost mains.

Run by `scripts/bench --only detection` (pytest -m bench); skipped otherwise.
The simulator runs at real speed and the site with its default options, so
the figure is what a technician would see: the controller's page 4 (with the
mains voltages) is read at the instrument interval, the status every second.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import SUBENTRY_GENERATOR, SUBENTRY_IO_MODULE
from simulator.server import SimulatedSite

from ..conftest import site_entry

pytestmark = [pytest.mark.bench, pytest.mark.usefixtures("socket_enabled")]

ENTITY = "binary_sensor.mains_available"
RUNS = 20


async def _time_until(hass: HomeAssistant, wanted: str, action: object) -> float:
    changed = asyncio.Event()

    @callback
    def seen(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.state == wanted:
            changed.set()

    unsubscribe = async_track_state_change_event(hass, ENTITY, seen)
    start = time.perf_counter()
    action()  # type: ignore[operator]
    await asyncio.wait_for(changed.wait(), timeout=30)
    unsubscribe()
    return time.perf_counter() - start


@pytest.mark.parametrize(
    ("label", "devices"),
    [
        ("transfer switch senses mains", ()),
        ("controller only", (SUBENTRY_GENERATOR, SUBENTRY_IO_MODULE)),
    ],
)
async def test_mains_loss_to_entity_off(
    hass: HomeAssistant, label: str, devices: tuple[str, ...]
) -> None:
    """Median time from mains loss at the simulator to the entity going off."""
    async with SimulatedSite.serve(scenario="normal", speed=1.0) as sim:
        entry: MockConfigEntry = site_entry(sim, devices=devices)
        entry.add_to_hass(hass)
        # The tank size only; the poll intervals are the defaults a
        # technician gets.
        hass.config_entries.async_update_entry(entry, options={})
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert hass.states.get(ENTITY).state == "on"  # type: ignore[union-attr]
        lost: list[float] = []
        for _ in range(RUNS):
            lost.append(await _time_until(hass, "off", sim.site.lose_mains))
            await _time_until(hass, "on", sim.site.restore_mains)
        await hass.config_entries.async_unload(entry.entry_id)
    ordered = sorted(lost)
    median = statistics.median(lost)
    print(
        f"mains loss -> {ENTITY} off ({label}): median {median:.2f} s, "
        f"min {ordered[0]:.2f} s, max {ordered[-1]:.2f} s over {RUNS} runs"
    )
