"""Shared fixtures for the SOT Point tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.sot_point.const import (
    CONF_CONNECTION_TYPE,
    CONF_HOST,
    CONF_INSTRUMENT_INTERVAL,
    CONF_MODEL,
    CONF_OUTAGE_DELAY,
    CONF_PORT,
    CONF_REQUEST_GAP,
    CONF_SERIAL,
    CONF_SITE_NAME,
    CONF_TANK_CAPACITY,
    CONF_TANK_USABLE,
    CONF_TOTALS_INTERVAL,
    CONF_UNIT_ID,
    CONNECTION_TCP,
    DOMAIN,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
    SUBENTRY_TRANSFER_SWITCH,
)

# Imported at collection time so this integration, not phacc's own
# testing_config, is what "custom_components.sot_point" resolves to.
from custom_components.sot_point.rules.official_info import CONF_OFFICIAL_BASE_URL
from simulator.server import SimulatedSite

if TYPE_CHECKING:
    from custom_components.sot_point.control import SiteControl
    from custom_components.sot_point.coordinator import SotPointCoordinator


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/sot_point in every test."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format, kept in tests/snapshots/.

    Without the entity registry's `compat_name`, which HA 2026.11 added (for
    names set before its naming change): the snapshots hold on either release.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension).with_defaults(
        exclude=props("compat_name")
    )


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create every entity enabled, including those disabled by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
    ):
        yield


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """A site config entry without devices, as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="SOT-punkt Kall",
        unique_id="sot-punkt kall",
        data={CONF_SITE_NAME: "SOT-punkt Kall"},
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the site and hand back its entry."""
    return await load_site(hass, mock_config_entry)


@pytest.fixture
def scenario() -> str:
    """The simulator scenario; override by parametrizing or in a test module."""
    return "normal"


@pytest.fixture
async def sim(socket_enabled: None, scenario: str) -> AsyncIterator[SimulatedSite]:
    """A simulated site on loopback whose time moves only when a test says so."""
    async with SimulatedSite.serve(scenario=scenario, speed=0) as site:
        yield site


def _tcp(sim: SimulatedSite, unit: int) -> dict[str, Any]:
    return {
        CONF_CONNECTION_TYPE: CONNECTION_TCP,
        CONF_HOST: "127.0.0.1",
        CONF_PORT: sim.port,
        CONF_UNIT_ID: unit,
    }


def site_entry(
    sim: SimulatedSite,
    *,
    devices: tuple[str, ...] = (),
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """A site whose devices (all three by default) point at the simulator.

    `options` replace single options of the defaults below.
    """
    units = sim.site.config.units
    serial = str(sim.site.config.serial_number)
    subentries = {
        SUBENTRY_GENERATOR: {
            "data": _tcp(sim, units.dse)
            | {CONF_REQUEST_GAP: 0.0, CONF_SERIAL: serial, CONF_MODEL: "DSE7320 MKII"},
            "subentry_type": SUBENTRY_GENERATOR,
            "subentry_id": "01SUBENTRYGENERATOR0000000",
            "title": f"DSE7320 MKII ({serial})",
            "unique_id": serial,
        },
        SUBENTRY_IO_MODULE: {
            "data": _tcp(sim, units.io or 1),
            "subentry_type": SUBENTRY_IO_MODULE,
            "subentry_id": "01SUBENTRYIOMODULE00000000",
            "title": "I/O module",
            "unique_id": f"127.0.0.1:{sim.port}-{units.io}",
        },
        SUBENTRY_TRANSFER_SWITCH: {
            "data": _tcp(sim, units.ats or 2),
            "subentry_type": SUBENTRY_TRANSFER_SWITCH,
            "subentry_id": "01SUBENTRYTRANSFER00000000",
            "title": "Transfer switch",
            "unique_id": f"127.0.0.1:{sim.port}-{units.ats}",
        },
    }
    chosen = devices or (
        SUBENTRY_GENERATOR,
        SUBENTRY_IO_MODULE,
        SUBENTRY_TRANSFER_SWITCH,
    )
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id="01SITEKALL0000000000000000",
        title="SOT-punkt Kall",
        unique_id="sot-punkt kall",
        data={CONF_SITE_NAME: "SOT-punkt Kall"},
        options={
            # Every group read on every poll and no confirmation wait, so a
            # test sees the simulator's state after one refresh.
            CONF_INSTRUMENT_INTERVAL: 0.0,
            CONF_TOTALS_INTERVAL: 0.0,
            CONF_OUTAGE_DELAY: 0.0,
            CONF_TANK_CAPACITY: sim.site.config.tank_capacity_l,
            CONF_TANK_USABLE: sim.site.config.tank_capacity_l,
            # Official information is fetched from where nothing listens:
            # the tests never reach the internet (test_official_info.py
            # serves recorded answers).
            CONF_OFFICIAL_BASE_URL: "http://127.0.0.1:9",
        }
        | (options or {}),
        subentries_data=[subentries[kind] for kind in chosen],
    )


@pytest.fixture
async def site(hass: HomeAssistant, sim: SimulatedSite) -> MockConfigEntry:
    """A loaded site with generator, I/O module and transfer switch."""
    return await load_site(hass, site_entry(sim))


def with_device_data(
    base: MockConfigEntry, kind: str, changes: dict[str, Any]
) -> MockConfigEntry:
    """`base` with the data of its `kind` device changed."""
    return MockConfigEntry(
        domain=base.domain,
        entry_id=base.entry_id,
        title=base.title,
        unique_id=base.unique_id,
        data=dict(base.data),
        options=dict(base.options),
        subentries_data=[
            ConfigSubentryDataWithId(
                data={**s.data, **changes} if s.subentry_type == kind else s.data,
                subentry_id=s.subentry_id,
                subentry_type=s.subentry_type,
                title=s.title,
                unique_id=s.unique_id,
            )
            for s in base.subentries.values()
        ],
    )


async def load_site(
    hass: HomeAssistant, entry: MockConfigEntry, *, must_load: bool = True
) -> MockConfigEntry:
    """Add `entry` to Home Assistant, set it up and hand it back.

    Setup must succeed unless `must_load` is false, for tests of a failed setup.
    """
    entry.add_to_hass(hass)
    loaded = await hass.config_entries.async_setup(entry.entry_id)
    assert loaded or not must_load
    await hass.async_block_till_done()
    return entry


async def refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Poll the site of a loaded `entry` now, as its poll would."""
    coordinator: SotPointCoordinator = entry.runtime_data.coordinator
    await coordinator.async_refresh()
    await hass.async_block_till_done()


async def minutes_pass(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    entry: MockConfigEntry,
    minutes: int,
) -> None:
    """Let `minutes` pass on Home Assistant's clock and the site's, polling
    once a minute."""
    for _ in range(minutes):
        freezer.tick(timedelta(minutes=1))
        sim.advance(60)
        async_fire_time_changed(hass, dt_util.utcnow())
        await refresh(hass, entry)


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """The state of `entity_id`, which must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def fast_control(entry: MockConfigEntry) -> SiteControl:
    """The site's control, verifying commands quickly (a new one after each setup)."""
    control: SiteControl = entry.runtime_data.control
    control.verify_interval = 0.05
    control.verify_timeout = 2.0
    return control


@asynccontextmanager
async def running(sim: SimulatedSite, speed: float = 20.0) -> AsyncIterator[None]:
    """Let simulated time pass while a command is verified."""

    async def tick() -> None:
        while True:
            await asyncio.sleep(0.02)
            sim.advance(speed * 0.02)

    task = asyncio.create_task(tick())
    try:
        yield
    finally:
        task.cancel()
