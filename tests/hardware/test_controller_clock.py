"""The controller's clock over the simulator: read with the counters, set, read back."""

from __future__ import annotations

from collections.abc import AsyncIterator
import time

import pytest

from custom_components.sot_point.hardware.client import (
    ConnectionSettings,
    ModbusConnection,
    TcpEndpoint,
)
from custom_components.sot_point.hardware.devices import DseController, PollIntervals
from custom_components.sot_point.hardware.profiles.dse_gencomm import read_plan
from simulator import SiteConfig
from simulator.server import SimulatedSite, writes_to

pytestmark = pytest.mark.usefixtures("socket_enabled")

FAST = ConnectionSettings(timeout=0.25, retries=2, backoff=0.01)
# Totals once an hour: what the integration does by default is far slower
# than the clock drifts, so a second read must come from set_clock itself.
SLOW_TOTALS = PollIntervals(instruments=0.0, totals=3600.0)


@pytest.fixture
async def sim() -> AsyncIterator[SimulatedSite]:
    """A site whose controller clock is ten minutes fast."""
    config = SiteConfig(clock_offset_s=600.0, maintenance_due_in_s=-2 * 86400)
    async with SimulatedSite.serve(scenario=None, speed=0, config=config) as site:
        yield site


@pytest.fixture
async def controller(sim: SimulatedSite) -> AsyncIterator[DseController]:
    """A connected controller reader for `sim`."""
    connection = ModbusConnection(TcpEndpoint("127.0.0.1", sim.port), FAST)
    reader = DseController(connection, sim.site.config.units.dse, SLOW_TOTALS)
    await reader.connect()
    yield reader
    await connection.close()


def test_clock_and_maintenance_ride_in_the_counters_block() -> None:
    """Page 7 from 1792 to 1809 is still one request of the totals group."""
    counters = read_plan(32841).totals[-1]
    assert (counters.address, counters.count) == (1792, 18)


async def test_poll_reads_clock_and_overdue_maintenance(
    controller: DseController,
) -> None:
    """The clock reads ten minutes fast; maintenance is two days overdue."""
    assert controller.read_age("totals") is None  # nothing read yet
    state = await controller.poll()
    clock = state.number("controller_clock")
    assert clock is not None
    assert abs(clock - time.time() - 600) < 5
    assert state.number("time_to_maintenance") == -2 * 86400
    due_at = state.number("maintenance_due_at")
    assert due_at == clock - 2 * 86400
    age = controller.read_age("totals")
    assert age is not None
    assert 0 <= age < 5


async def test_set_clock_writes_once_and_reads_back(
    sim: SimulatedSite, controller: DseController
) -> None:
    """One FC16 of both words at 1792; the read-back and the next poll agree."""
    await controller.poll()
    target = 1_893_456_000  # 2030-01-01
    assert await controller.set_clock(target) == target
    writes = writes_to(sim.writes, sim.site.config.units.dse)
    assert [(w.address, w.values) for w in writes] == [
        (1792, [target >> 16, target & 0xFFFF])
    ]
    # The hourly totals group is read again on the next poll, not in an hour.
    state = await controller.poll()
    assert state.number("controller_clock") == target
