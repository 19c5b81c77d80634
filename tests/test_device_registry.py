"""The registries as devices are added to and removed from a site.

A device belongs to one config subentry (or to the site itself) for its whole
life; Home Assistant warns when an integration moves one, and will refuse to
from 2027.8. These tests add and remove the site's devices in several orders
against the simulator and check, after every step, that no device moved, that
every entity sits with its device, and that nothing is left behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    frame,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import (
    CONF_RELAY_KIND,
    CONF_TEMPERATURE_ADDRESS,
    DOMAIN,
    RELAY_NONE,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
    SUBENTRY_TRANSFER_SWITCH,
)
from simulator.server import SimulatedSite

from .conftest import site_entry

MOVED = "assigns an existing device to a different config subentry"
POSITION = "sensor.transfer_switch_position"
ON_BACKUP = "binary_sensor.transfer_switch_on_backup_power"
MAINS = "binary_sensor.mains_available"
ROOM = "sensor.warm_room_room_temperature"
HEATER = "binary_sensor.warm_room_heater"
HEATER_SWITCH = "switch.warm_room_heater"
TANK_FAULT = "binary_sensor.fuel_tank_level_sensor_fault"
ENTRY_ID = "01SITEKALL0000000000000000"
GENERATOR, IO, ATS = SUBENTRY_GENERATOR, SUBENTRY_IO_MODULE, SUBENTRY_TRANSFER_SWITCH

# Which subentry type owns each of the site's devices; None: the site itself.
OWNER = {
    "generator": GENERATOR,
    "warm_room": IO,
    "transfer_switch": None,
    "mains": None,
    "tank": None,
}


@dataclass
class Site:
    """A site whose devices come and go, with what the registries showed so far."""

    hass: HomeAssistant
    sim: SimulatedSite
    entry: MockConfigEntry
    # The subentry each device was first seen in: it must never change.
    seen: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    async def start(
        cls, hass: HomeAssistant, sim: SimulatedSite, kinds: tuple[str, ...]
    ) -> Site:
        """Load a site with `kinds` devices."""
        entry = site_entry(sim, devices=kinds)
        if not kinds:  # site_entry gives all three for none
            entry = MockConfigEntry(
                domain=DOMAIN,
                entry_id=entry.entry_id,
                title=entry.title,
                unique_id=entry.unique_id,
                data=dict(entry.data),
                options=dict(entry.options),
            )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        site = cls(hass, sim, entry)
        site.check()
        return site

    def subentry_id(self, kind: str) -> str | None:
        """The subentry of a kind the site has now, if any."""
        return next(
            (
                s.subentry_id
                for s in self.entry.subentries.values()
                if s.subentry_type == kind
            ),
            None,
        )

    async def add(self, kind: str) -> None:
        """Add a device the way the subentry flow does; the site reloads."""
        template = next(
            s
            for s in site_entry(self.sim).subentries.values()
            if s.subentry_type == kind
        )
        subentry = ConfigSubentry(
            data=template.data,
            subentry_type=kind,
            title=template.title,
            unique_id=template.unique_id,
        )
        assert self.hass.config_entries.async_add_subentry(self.entry, subentry)
        await self.hass.async_block_till_done()
        self.check()

    async def reconfigure(self, kind: str, data: dict[str, Any]) -> None:
        """Change a device's settings the way its reconfigure flow does."""
        subentry = self.entry.subentries[self.subentry_id(kind) or ""]
        assert self.hass.config_entries.async_update_subentry(
            self.entry, subentry, data=data
        )
        await self.hass.async_block_till_done()
        self.check()

    async def remove(self, kind: str) -> None:
        """Remove a device from the site; the site reloads."""
        subentry_id = self.subentry_id(kind)
        assert subentry_id is not None
        assert self.hass.config_entries.async_remove_subentry(self.entry, subentry_id)
        await self.hass.async_block_till_done()
        self.check()

    def devices(self) -> dict[str, dr.DeviceEntry]:
        """The site's devices by what they stand for (site, generator, tank...)."""
        registry = dr.async_get(self.hass)
        found: dict[str, dr.DeviceEntry] = {}
        for device in dr.async_entries_for_config_entry(registry, ENTRY_ID):
            ((domain, identifier),) = device.identifiers
            assert domain == DOMAIN
            found[identifier.removeprefix(f"{ENTRY_ID}_") or "site"] = device
        return found

    def entities(self) -> list[er.RegistryEntry]:
        """Every registry entry of the site, disabled ones included."""
        return er.async_entries_for_config_entry(er.async_get(self.hass), ENTRY_ID)

    def check(self) -> None:
        """One subentry per device for life, entities with their device, no litter."""
        devices = self.devices()
        # A device removed with its subentry ends its life; Home Assistant
        # may give the next one of the same identifiers its id again.
        ids = {device.id for device in devices.values()}
        self.seen = {k: v for k, v in self.seen.items() if k in ids}
        entities = self.entities()
        subentries = set(self.entry.subentries)
        for name, device in devices.items():
            owner = OWNER.get(name)
            expected = self.subentry_id(owner) if owner else None
            assert device.config_subentry_id == expected, name
            assert self.seen.setdefault(device.id, expected) == expected, name
            # A device nothing shows any more is gone, not left empty.
            assert any(e.device_id == device.id for e in entities), name
        by_id = {device.id: device for device in devices.values()}
        for entity in entities:
            # On one of the site's devices, in that device's subentry.
            assert entity.device_id in by_id, entity.entity_id
            assert (
                entity.config_subentry_id == by_id[entity.device_id].config_subentry_id
            ), entity.entity_id
            assert entity.config_subentry_id in subentries | {None}
            # Every entity in the registry is one the site provides now.
            assert self.hass.states.get(entity.entity_id) is not None or (
                entity.disabled_by is not None
            ), entity.entity_id

    def state(self, entity_id: str) -> str | None:
        """An entity's state, None when the site has no such entity."""
        state = self.hass.states.get(entity_id)
        return None if state is None else state.state


@pytest.fixture(autouse=True)
def _no_moved_devices(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Whatever a test does, Home Assistant never reports a device moved.

    Home Assistant reports each misuse once per process; a fresh record of
    what it reported makes every test see its own.
    """
    caplog.set_level(logging.WARNING)
    with patch.object(frame, "_REPORTED_INTEGRATIONS", set()):
        yield
    logged = caplog.get_records("setup") + caplog.get_records("call")
    assert not [r for r in logged if MOVED in r.getMessage()]


async def test_transfer_switch_added_then_removed(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """A separate switch joins a generator site and leaves it again.

    The switch's position is the site's whichever device reads it: the same
    entities, on the same device, fed by the controller, then by the switch
    (whose make and model the device then shows), then by the controller again.
    """
    site = await Site.start(hass, sim, (GENERATOR,))
    before = site.devices()["transfer_switch"]
    assert before.manufacturer is None
    assert site.state(POSITION) == "mains"
    assert site.state(ON_BACKUP) == "off"
    position = er.async_get(hass).async_get(POSITION)
    assert position is not None

    await site.add(ATS)
    switch = site.devices()["transfer_switch"]
    assert switch.id == before.id
    assert (switch.manufacturer, switch.model) == ("Socomec", "ATyS")
    assert site.state(POSITION) == "mains"
    assert site.state(ON_BACKUP) == "off"
    # The generator's own device stayed with the generator.
    assert site.devices()["generator"].config_subentry_id == site.subentry_id(GENERATOR)

    await site.remove(ATS)
    switch = site.devices()["transfer_switch"]
    assert switch.id == before.id
    assert (switch.manufacturer, switch.model) == (None, None)
    assert site.state(POSITION) == "mains"
    assert site.state(ON_BACKUP) == "off"
    after = er.async_get(hass).async_get(POSITION)
    assert after is not None
    assert after.id == position.id  # the same entity all along
    assert after.config_subentry_id is None
    assert after.device_id == before.id


async def test_switch_only_site_loses_its_switch(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """Without controller or switch nothing tells the mains or the load's side.

    The switch's and the mains' entities and devices go with the switch,
    rather than staying in the registry as entities nothing provides.
    """
    site = await Site.start(hass, sim, (ATS, IO))
    assert site.state(POSITION) == "mains"
    assert site.state(MAINS) == "on"
    assert {"transfer_switch", "mains"} <= set(site.devices())

    await site.remove(ATS)
    assert site.state(POSITION) is None
    assert site.state(ON_BACKUP) is None
    assert site.state(MAINS) is None
    assert not {"transfer_switch", "mains"} & set(site.devices())
    registry = er.async_get(hass)
    assert registry.async_get(POSITION) is None
    assert registry.async_get(MAINS) is None

    # Back again: the same entity ids as before.
    await site.add(ATS)
    assert site.state(POSITION) == "mains"
    assert site.state(MAINS) == "on"


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param(
            ["+generator", "+transfer_switch", "-generator", "+generator"],
            id="generator-first",
        ),
        pytest.param(
            ["+transfer_switch", "+generator", "-transfer_switch", "-generator"],
            id="switch-first",
        ),
        pytest.param(
            ["+io_module", "+generator", "-io_module", "+transfer_switch"],
            id="io-first",
        ),
    ],
)
async def test_devices_come_and_go_in_any_order(
    hass: HomeAssistant, sim: SimulatedSite, steps: list[str]
) -> None:
    """Each step keeps every device in one subentry and the registries tidy."""
    site = await Site.start(hass, sim, (IO,) if steps[0] != "+io_module" else ())
    for step in steps:
        kind = step[1:]
        if step.startswith("+"):
            await site.add(kind)
        else:
            await site.remove(kind)
        kinds = {s.subentry_type for s in site.entry.subentries.values()}
        has_switch = bool(kinds & {GENERATOR, ATS})
        assert (site.state(POSITION) is not None) == has_switch, step
        assert (site.state(MAINS) is not None) == has_switch, step
        assert ("generator" in site.devices()) == (GENERATOR in kinds), step
        assert ("warm_room" in site.devices()) == (IO in kinds), step


async def test_inputs_left_empty_later_take_their_entities_along(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """The technician clears the thermometer and the relay of a running module.

    The room temperature and heater entities leave the registry, and the warm
    room device with them; put back, they return under their old ids.
    """
    site = await Site.start(hass, sim, (GENERATOR, IO))
    assert site.state(ROOM) is not None
    assert site.state(HEATER_SWITCH) is not None
    subentry = site.entry.subentries[site.subentry_id(IO) or ""]
    full = dict(subentry.data)

    await site.reconfigure(
        IO, {**full, CONF_TEMPERATURE_ADDRESS: None, CONF_RELAY_KIND: RELAY_NONE}
    )
    registry = er.async_get(hass)
    for entity_id in (ROOM, HEATER, HEATER_SWITCH):
        assert registry.async_get(entity_id) is None, entity_id
    assert "warm_room" not in site.devices()
    assert site.state(TANK_FAULT) == "off"  # the level input is still there

    await site.reconfigure(IO, full)
    for entity_id in (ROOM, HEATER, HEATER_SWITCH):
        assert site.state(entity_id) not in (None, STATE_UNAVAILABLE), entity_id
    assert site.devices()["warm_room"].config_subentry_id == site.subentry_id(IO)


async def test_switch_device_from_before_is_moved_to_the_site(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """A registry from before: the switch's device under the switch's subentry.

    Setup moves it to the site explicitly, entities first, so nothing is
    reported, the device keeps its id and the entity keeps what the user set.
    """
    entry = site_entry(sim, devices=(GENERATOR, ATS))
    entry.add_to_hass(hass)
    ats = next(
        s.subentry_id for s in entry.subentries.values() if s.subentry_type == ATS
    )
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    old = devices.async_get_or_create(
        config_entry_id=ENTRY_ID,
        config_subentry_id=ats,
        identifiers={(DOMAIN, f"{ENTRY_ID}_transfer_switch")},
        manufacturer="Socomec",
        model="ATyS",
    )
    position = entities.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{ENTRY_ID}_transfer_position",
        config_entry=entry,
        config_subentry_id=ats,
        device_id=old.id,
        suggested_object_id="transfer_switch_position",
    )
    entities.async_update_entity(position.entity_id, name="Changeover")

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    site = Site(hass, sim, entry)
    site.check()
    assert entry.minor_version == 2
    switch = site.devices()["transfer_switch"]
    assert switch.id == old.id
    assert switch.config_subentry_id is None
    moved = entities.async_get(POSITION)
    assert moved is not None
    assert moved.id == position.id
    assert moved.name == "Changeover"
    assert moved.config_subentry_id is None
    assert site.state(POSITION) == "mains"

    # Taking the switch off now leaves the site's switch device in place.
    await site.remove(ATS)
    assert site.devices()["transfer_switch"].id == old.id
    assert site.state(POSITION) == "mains"
