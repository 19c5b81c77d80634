"""Fixtures for the simulator tests: real pymodbus clients on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

from pymodbus.client import AsyncModbusTcpClient
import pytest

from simulator import SimulatedSite

from .helpers import connected


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """The simulator needs no Home Assistant instance: skip the suite's hass."""


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[SimulatedSite]:
    """A site on standby, time stepped by hand."""
    async with SimulatedSite.serve(scenario="normal", speed=0) as simulated:
        yield simulated


@pytest.fixture
async def client(sim: SimulatedSite) -> AsyncIterator[AsyncModbusTcpClient]:
    """A connected client for `sim`."""
    async with connected(sim) as modbus:
        yield modbus
