"""The registries as devices are added to and removed from a site.

Each subentry shows the device it added; the site's own devices (the site, the
mains, the tank) belong to no subentry. A device belongs to one config
subentry (or to the site itself) for its whole life; Home Assistant warns when
an integration moves one, and will refuse to from 2027.8. These tests add and
remove the site's devices in several orders against the simulator and check,
after every step, that no device moved, that every entity sits with its
device, and that nothing is left behind.
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
    "transfer_switch": ATS,
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
            name = identifier.removeprefix(f"{ENTRY_ID}_")
            found["site" if name == ENTRY_ID else name] = device
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


async def test_each_subentry_shows_the_device_it_added(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """Under each subentry its device; the site's own devices under none.

    What a technician sees on the integration page: the controller under the
    generator's subentry, the warm room under the I/O module's, the switch
    (with its position) under the switch's; the site, the mains and the tank
    are the site's, under no subentry.
    """
    site = await Site.start(hass, sim, (GENERATOR, IO, ATS))
    devices = site.devices()
    assert {name: d.config_subentry_id for name, d in devices.items()} == {
        "site": None,
        "generator": site.subentry_id(GENERATOR),
        "warm_room": site.subentry_id(IO),
        "transfer_switch": site.subentry_id(ATS),
        "mains": None,
        "tank": None,
    }
    generator, switch = devices["generator"], devices["transfer_switch"]
    assert (generator.manufacturer, generator.model, generator.serial_number) == (
        "Deep Sea Electronics",
        "DSE7320 MKII",
        str(sim.site.config.serial_number),
    )
    assert (switch.manufacturer, switch.model) == ("Socomec", "ATyS")
    registry = er.async_get(hass)
    for entity_id in (POSITION, ON_BACKUP):
        entity = registry.async_get(entity_id)
        assert entity is not None
        assert entity.device_id == switch.id
        assert entity.config_subentry_id == site.subentry_id(ATS)
    mains = registry.async_get(MAINS)
    assert mains is not None
    assert mains.config_subentry_id is None


async def test_transfer_switch_added_then_removed(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """A separate switch joins a generator site and leaves it again.

    Without it the controller tells the switch's position, shown on the
    generator's device; with it, on the switch's own device under its
    subentry. The entities keep their ids and what the user set on them.
    """
    site = await Site.start(hass, sim, (GENERATOR,))
    assert "transfer_switch" not in site.devices()
    generator = site.devices()["generator"]
    registry = er.async_get(hass)
    position = registry.async_get(POSITION)
    assert position is not None
    assert position.device_id == generator.id
    assert position.config_subentry_id == site.subentry_id(GENERATOR)
    registry.async_update_entity(POSITION, name="Changeover")
    assert site.state(POSITION) == "mains"
    assert site.state(ON_BACKUP) == "off"

    await site.add(ATS)
    switch = site.devices()["transfer_switch"]
    assert switch.config_subentry_id == site.subentry_id(ATS)
    assert (switch.manufacturer, switch.model) == ("Socomec", "ATyS")
    moved = registry.async_get(POSITION)
    assert moved is not None
    assert (moved.id, moved.name) == (position.id, "Changeover")
    assert moved.device_id == switch.id
    assert site.state(POSITION) == "mains"
    assert site.state(ON_BACKUP) == "off"
    # The generator's own device stayed with the generator.
    assert site.devices()["generator"].id == generator.id

    await site.remove(ATS)
    assert "transfer_switch" not in site.devices()
    back = registry.async_get(POSITION)
    assert back is not None
    assert (back.id, back.name) == (position.id, "Changeover")
    assert back.device_id == generator.id
    assert back.config_subentry_id == site.subentry_id(GENERATOR)
    assert site.state(POSITION) == "mains"
    assert site.state(ON_BACKUP) == "off"


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


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
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


def _registry_of_minor_version_2(
    hass: HomeAssistant, entry: MockConfigEntry
) -> tuple[dr.DeviceEntry, er.RegistryEntry]:
    """The switch's device under the site, as minor version 2 left it."""
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    old = devices.async_get_or_create(
        config_entry_id=ENTRY_ID,
        identifiers={(DOMAIN, f"{ENTRY_ID}_transfer_switch")},
    )
    position = entities.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{ENTRY_ID}_transfer_position",
        config_entry=entry,
        device_id=old.id,
        suggested_object_id="transfer_switch_position",
    )
    entities.async_update_entity(position.entity_id, name="Changeover")
    hass.config_entries.async_update_entry(entry, minor_version=2)
    return old, position


async def test_switch_device_from_before_moves_to_its_subentry(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """A registry from before: the switch's device under the site.

    Setup moves it to the switch's subentry explicitly, entities first, so
    nothing is reported, the device keeps its id and the entity what the
    user set.
    """
    entry = site_entry(sim, devices=(GENERATOR, ATS))
    entry.add_to_hass(hass)
    old, position = _registry_of_minor_version_2(hass, entry)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    site = Site(hass, sim, entry)
    site.check()
    assert entry.minor_version == 3
    switch = site.devices()["transfer_switch"]
    assert switch.id == old.id
    assert switch.config_subentry_id == site.subentry_id(ATS)
    moved = er.async_get(hass).async_get(POSITION)
    assert moved is not None
    assert (moved.id, moved.name) == (position.id, "Changeover")
    assert moved.config_subentry_id == site.subentry_id(ATS)
    assert site.state(POSITION) == "mains"


async def test_switch_device_from_before_without_a_switch(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """Before, the controller's switch had a device under the site; now none.

    Its entities move to the generator's device, keeping their ids and names,
    and the emptied device goes.
    """
    entry = site_entry(sim, devices=(GENERATOR,))
    entry.add_to_hass(hass)
    old, position = _registry_of_minor_version_2(hass, entry)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    site = Site(hass, sim, entry)
    site.check()
    assert dr.async_get(hass).async_get(old.id) is None
    moved = er.async_get(hass).async_get(POSITION)
    assert moved is not None
    assert (moved.id, moved.name) == (position.id, "Changeover")
    assert moved.device_id == site.devices()["generator"].id
    assert moved.config_subentry_id == site.subentry_id(GENERATOR)
    assert site.state(POSITION) == "mains"
