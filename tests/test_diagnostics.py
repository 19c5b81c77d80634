"""Diagnostics of a running site: settings, devices, raw blocks, nothing private."""

from __future__ import annotations

import json
import socket
from typing import Any

from homeassistant.components.diagnostics import REDACTED
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.sot_point.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_SERIAL,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
    SUBENTRY_TRANSFER_SWITCH,
)
from custom_components.sot_point.hardware.profiles import dse_gencomm
from simulator.faults import FaultKind
from simulator.server import SimulatedSite

from .conftest import site_entry


def _devices(diagnostics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {device["type"]: device for device in diagnostics["devices"]}


async def _diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> dict[str, Any]:
    data = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert isinstance(data, dict)
    return data


async def test_diagnostics_of_a_normal_day(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: SimulatedSite,
    site: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Settings, each device's data and raw blocks, the site's state."""
    # The controller's clock (raw page 7 words) runs on the host's time; pin
    # it so the snapshot is the same on every run.
    sim.site.controller.clock.set(sim.site.now, 1_800_000_000)
    await site.runtime_data.coordinator.async_refresh()
    diagnostics = await _diagnostics(hass, hass_client, site)
    # The port is picked at random and the request counters depend on timing.
    assert diagnostics == snapshot(exclude=props("connection", CONF_PORT))

    devices = _devices(diagnostics)
    assert set(devices) == {
        SUBENTRY_GENERATOR,
        SUBENTRY_IO_MODULE,
        SUBENTRY_TRANSFER_SWITCH,
    }
    for device in devices.values():
        assert device["data"][CONF_HOST] == REDACTED
        assert device["data"][CONF_PORT] == sim.port
        assert device["connection"]["requests"] > 0
        assert device["connection"]["failures"] == 0
    generator = devices[SUBENTRY_GENERATOR]
    assert generator["data"][CONF_SERIAL] == REDACTED
    assert generator["model_code"] == sim.site.config.model_code
    # The words of every group as they came off the wire, block by block.
    raw = generator["raw_blocks"]
    assert set(raw) == {"status", "instruments", "totals", "mains"}
    assert set(raw["status"]) == {"status", "engine"}
    assert set(raw["instruments"]) == {"instruments", "alarms"}
    # Page 4 was read in this poll and carried the mains: no fast mains block.
    assert raw["mains"] is None
    assert raw["status"]["status"][0] == 1  # register 772: Auto
    assert generator["errors"] == {}
    assert diagnostics["site"]["mode"] == "normal"
    assert diagnostics["site"]["failed"] == []


async def test_nothing_private_in_titles_or_error_texts(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, sim: SimulatedSite
) -> None:
    """Titles as the config flow writes them, and errors naming the address.

    The serial number and the gateway's address must not reach a shared
    diagnostics file through a device title, the list of silent devices or an
    error text any more than through the device's data.
    """
    serial = str(sim.site.config.serial_number)
    closed = _closed_port()
    base = site_entry(sim)
    ports = dict.fromkeys((SUBENTRY_GENERATOR, SUBENTRY_TRANSFER_SWITCH), sim.port)
    ports[SUBENTRY_IO_MODULE] = closed  # the module's gateway is switched off
    titles = {
        SUBENTRY_GENERATOR: f"DSE7320 MKII (serial {serial})",
        SUBENTRY_IO_MODULE: f"I/O module 127.0.0.1:{closed} unit 1",
        SUBENTRY_TRANSFER_SWITCH: f"Transfer switch 127.0.0.1:{sim.port} unit 2",
    }
    entry = MockConfigEntry(
        domain=base.domain,
        entry_id=base.entry_id,
        title=base.title,
        unique_id=base.unique_id,
        data=dict(base.data),
        options=dict(base.options),
        subentries_data=[
            ConfigSubentryDataWithId(
                data={**s.data, CONF_PORT: ports[s.subentry_type]},
                subentry_id=s.subentry_id,
                subentry_type=s.subentry_type,
                title=titles[s.subentry_type],
                unique_id=s.unique_id,
            )
            for s in base.subentries.values()
        ],
    )
    # The alarm page is refused too: the generator keeps an error of its own.
    sim.faults.addresses = frozenset({dse_gencomm.NAMED_ALARM_PAGE})
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await _diagnostics(hass, hass_client, entry)
    devices = _devices(diagnostics)
    instruments_error = devices[SUBENTRY_GENERATOR]["errors"]["instruments"]
    assert str(dse_gencomm.NAMED_ALARM_PAGE) in instruments_error
    io_error = devices[SUBENTRY_IO_MODULE]["connection"]["last_error"]
    assert io_error == f"{REDACTED}:{closed}: could not connect"
    assert diagnostics["site"]["failed"] == [f"I/O module {REDACTED}:{closed} unit 1"]
    assert devices[SUBENTRY_GENERATOR]["title"] == f"DSE7320 MKII (serial {REDACTED})"
    text = json.dumps(diagnostics)
    assert serial not in text
    assert "127.0.0.1" not in text


def _closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
