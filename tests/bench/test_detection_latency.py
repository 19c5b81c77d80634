"""Measured, not asserted: how long until Home Assistant shows a lost mains.

Run by `scripts/bench --only detection` (pytest -m bench); skipped otherwise.
The simulator runs at real speed and the site with its default options, so
the figure is what a technician would see: every second the controller's
status, engine state and mains block (the fast cycle), and at the instrument
interval page 4 and the alarm page instead of the mains block (the full poll).
For a site without a transfer switch it also counts the controller's
requests: per poll, and per second over the whole run.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import statistics
import time

from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import (
    CONF_REQUEST_GAP,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
)
from custom_components.sot_point.coordinator import SotPointCoordinator
from custom_components.sot_point.rules.site import SiteState
from simulator.server import SimulatedSite

from ..conftest import site_entry, with_device_data

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


READ_HOLDING = 3  # the controller's reads; the I/O module uses FC04 and FC01


class RequestCount:
    """The controller's FC03 requests in each poll, from the site's observer."""

    def __init__(self, entry: MockConfigEntry) -> None:
        """Start counting with the next poll."""
        coordinator: SotPointCoordinator = entry.runtime_data.coordinator
        handle = coordinator.handle_of(SUBENTRY_GENERATOR)
        assert handle is not None
        self._stats = handle.reader.connection.stats
        self._first = self._last = self._read()
        self._start = time.perf_counter()
        self.per_poll: Counter[int] = Counter()
        coordinator.async_add_observer(self._seen)

    def _read(self) -> int:
        return self._stats.by_function.get(READ_HOLDING, 0)

    def _seen(self, _state: SiteState) -> None:
        now = self._read()
        self.per_poll[now - self._last] += 1
        self._last = now

    def line(self, label: str) -> str:
        """Requests a poll (how many polls took each count), and a second."""
        seconds = time.perf_counter() - self._start
        polls = ", ".join(
            f"{count} x{times}" for count, times in sorted(self.per_poll.items())
        )
        rate = (self._last - self._first) / seconds
        return (
            f"mains loss bench, controller requests ({label}): per poll {polls}; "
            f"{rate:.2f} requests/s over {seconds:.0f} s"
        )


CONTROLLER_ONLY = (SUBENTRY_GENERATOR, SUBENTRY_IO_MODULE)


@pytest.mark.parametrize(
    ("label", "devices", "gap"),
    [
        ("transfer switch senses mains", (), 0.0),
        ("controller only", CONTROLLER_ONLY, 0.0),
        ("controller only, DSE 0.1 s request gap", CONTROLLER_ONLY, 0.1),
    ],
)
async def test_mains_loss_to_entity_off(
    hass: HomeAssistant, label: str, devices: tuple[str, ...], gap: float
) -> None:
    """Median time from mains loss at the simulator to the entity going off."""
    async with SimulatedSite.serve(scenario="normal", speed=1.0) as sim:
        entry: MockConfigEntry = with_device_data(
            site_entry(sim, devices=devices),
            SUBENTRY_GENERATOR,
            {CONF_REQUEST_GAP: gap},
        )
        entry.add_to_hass(hass)
        # The tank size only; the poll intervals are the defaults a
        # technician gets.
        hass.config_entries.async_update_entry(entry, options={})
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert hass.states.get(ENTITY).state == "on"  # type: ignore[union-attr]
        requests = RequestCount(entry)
        lost: list[float] = []
        for _ in range(RUNS):
            lost.append(await _time_until(hass, "off", sim.site.lose_mains))
            await _time_until(hass, "on", sim.site.restore_mains)
        await hass.config_entries.async_unload(entry.entry_id)
    ordered = sorted(lost)
    median = statistics.median(lost)
    print(
        f"\nmains loss -> {ENTITY} off ({label}): median {median:.2f} s, "
        f"min {ordered[0]:.2f} s, max {ordered[-1]:.2f} s over {RUNS} runs"
    )
    # With a transfer switch on the same gateway its FC03 reads count too.
    if devices == CONTROLLER_ONLY:
        print(requests.line(label))
