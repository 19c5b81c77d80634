"""The simulated controller's clock and maintenance timer over real Modbus (page 7).

1792 is the clock in seconds since 1970, 1794 the time to the next service
(s32, negative when overdue), 1796 when that service is due; all u32/s32 high
word first (shared/domain/dse-gencomm.md §4).
"""

from __future__ import annotations

import time

from pymodbus.client import AsyncModbusTcpClient
import pytest

from simulator import SimulatedSite, Site, SiteConfig

from .helpers import DSE, connected, exception_code, registers

CLOCK = 1792


def _u32(words: list[int], at: int) -> int:
    return words[at] << 16 | words[at + 1]


def _s32(words: list[int], at: int) -> int:
    value = _u32(words, at)
    return value - (1 << 32) if value >= 1 << 31 else value


async def test_clock_follows_the_host_then_simulated_time(
    sim: SimulatedSite, client: AsyncModbusTcpClient
) -> None:
    """The clock starts on this computer's time and runs with simulated time."""
    before = _u32(await registers(client, CLOCK, 2), 0)
    assert abs(before - time.time()) < 5
    sim.advance(600)
    after = _u32(await registers(client, CLOCK, 2), 0)
    assert after - before == 600


async def test_maintenance_timer_counts_down_past_zero(
    sim: SimulatedSite, client: AsyncModbusTcpClient
) -> None:
    """The timer falls with simulated time and reads negative once overdue."""
    sim.site.set_maintenance_due_in(300)
    words = await registers(client, CLOCK, 6)
    assert _s32(words, 2) == 300
    assert _u32(words, 4) == _u32(words, 0) + 300  # due at = clock + timer
    sim.advance(900)
    words = await registers(client, CLOCK, 6)
    assert _s32(words, 2) == -600
    assert _u32(words, 4) == _u32(words, 0) - 600


async def test_writing_the_clock_sets_it(
    sim: SimulatedSite, client: AsyncModbusTcpClient
) -> None:
    """One FC16 of both words sets the clock; half of it is refused."""
    target = 1_900_000_000
    response = await client.write_registers(
        CLOCK, [target >> 16, target & 0xFFFF], device_id=DSE
    )
    assert exception_code(response) is None
    assert _u32(await registers(client, CLOCK, 2), 0) == target
    sim.advance(60)
    assert _u32(await registers(client, CLOCK, 2), 0) == target + 60
    half = await client.write_registers(CLOCK + 1, [5], device_id=DSE)
    assert exception_code(half) == 2


async def test_writing_the_timer_starts_it_over(
    sim: SimulatedSite, client: AsyncModbusTcpClient
) -> None:
    """A service engineer's reset: 1794, or 1796 as a date, moves the due time."""
    sim.site.apply("maintenance_due_in", {"seconds": -3600})
    due_in = 86_400
    await client.write_registers(
        CLOCK + 2, [due_in >> 16, due_in & 0xFFFF], device_id=DSE
    )
    assert _s32(await registers(client, CLOCK + 2, 2), 0) == due_in
    clock = _u32(await registers(client, CLOCK, 2), 0)
    due_at = clock + 7200
    await client.write_registers(
        CLOCK + 4, [due_at >> 16, due_at & 0xFFFF], device_id=DSE
    )
    assert _s32(await registers(client, CLOCK + 2, 2), 0) == 7200


@pytest.mark.usefixtures("socket_enabled")
async def test_configured_offset_and_start() -> None:
    """A fixed start makes the clock reproducible; the offset sets it wrong."""
    config = SiteConfig(clock_start=1_800_000_000.0, clock_offset_s=-420.0)
    async with (
        SimulatedSite.serve(scenario=None, speed=0, config=config) as sim,
        connected(sim) as client,
    ):
        assert _u32(await registers(client, CLOCK, 2), 0) == 1_800_000_000 - 420
    site = Site(config)
    site.apply("clock_offset", {"seconds": 600})
    assert abs(site.controller.clock.read(site.now) - (time.time() + 600)) < 2
    site.advance(10)
    assert site.controller.clock.read(site.now) - time.time() > 590
