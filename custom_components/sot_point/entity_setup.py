"""Adding entities to Home Assistant, and keeping the registries in step with the site.

A device of the site belongs to one place for its whole life: the generator to
its controller's config subentry, the warm room to its I/O module's, a separate
transfer switch to its own, and the site, the mains and the tank to the site
itself. The last are fed by whichever device measures them, and a site can
change which one does, so they cannot belong to any one device's subentry
without moving when it comes or goes; Home Assistant refuses such moves.

Entities may move where devices may not: the switch's position sits on the
generator's device while the controller tells it, and on the switch's own
device once a separate switch is added (see entity.placed_on). Its unique id
and entity id stay the same; removing the switch's subentry takes the entity
out of the registry with the switch's device, and the reload brings it back on
the generator's, with what the user set on it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.entity_platform import (
    AddConfigEntryEntitiesCallback,
    async_get_current_platform,
)

from .const import (
    DOMAIN,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
    SUBENTRY_TRANSFER_SWITCH,
)
from .coordinator import DeviceHandle, SotPointCoordinator
from .entity import (
    IoInput,
    SiteDevice,
    SotPointDescription,
    SotPointEntity,
    placed_on,
)
from .hardware.profiles.generic_io import IoModuleConfig
from .rules.site import SiteState
from .settings import io_config_from


def handle_for(
    coordinator: SotPointCoordinator, description: SotPointDescription
) -> DeviceHandle | None:
    """The device that feeds an entity; a separate switch wins over the controller."""
    if description.device is SiteDevice.TRANSFER_SWITCH:
        return coordinator.handle_of(SUBENTRY_TRANSFER_SWITCH) or coordinator.handle_of(
            SUBENTRY_GENERATOR
        )
    if description.source is None:
        return None
    return coordinator.handle_of(description.source)


# The devices that stand for one piece of hardware belong to its subentry;
# every other device is the site's own (no subentry), whoever feeds it, so it
# stays in place when a device is added to or removed from the site.
_DEVICE_SUBENTRY = {
    SiteDevice.GENERATOR: SUBENTRY_GENERATOR,
    SiteDevice.WARM_ROOM: SUBENTRY_IO_MODULE,
    SiteDevice.TRANSFER_SWITCH: SUBENTRY_TRANSFER_SWITCH,
}
# The mains and the load's side are watched by the controller or by a
# separate transfer switch; with neither, nothing tells them.
_WATCHED_BY = (SUBENTRY_GENERATOR, SUBENTRY_TRANSFER_SWITCH)

_IO_INPUT_CONFIGURED: dict[IoInput, Callable[[IoModuleConfig], bool]] = {
    IoInput.LEVEL: lambda config: config.level_address is not None,
    IoInput.TEMPERATURE: lambda config: config.temperature_address is not None,
    IoInput.RELAY: lambda config: config.relay_kind is not None,
}


def _subentry_of(entry: ConfigEntry, device: SiteDevice) -> str | None:
    """The subentry a device belongs to (None: the site's own)."""
    kind = _DEVICE_SUBENTRY.get(device)
    return next(
        (s.subentry_id for s in entry.subentries.values() if s.subentry_type == kind),
        None,
    )


def configured(
    coordinator: SotPointCoordinator, description: SotPointDescription
) -> bool:
    """Whether the site's configuration has something that feeds this entity.

    Decided from the subentries alone, never from a poll: an input that is
    configured but does not answer shows as unavailable instead of vanishing,
    and one the technician left empty gets no entity at all.
    """
    if description.source is None:
        if description.device in (SiteDevice.MAINS, SiteDevice.TRANSFER_SWITCH):
            return any(coordinator.handle_of(kind) for kind in _WATCHED_BY)
        return True
    handle = coordinator.handle_of(description.source)
    if handle is None:
        return False
    if description.io_input is None:
        return True
    config = io_config_from(handle.subentry.data, coordinator.config_entry.options)
    return _IO_INPUT_CONFIGURED[description.io_input](config)


type EntityClass[D] = Callable[
    [SotPointCoordinator, D, DeviceHandle | None], SotPointEntity
]


def add_entities_by_source[D: SotPointDescription](
    coordinator: SotPointCoordinator,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: Sequence[D],
    entity_class: EntityClass[D],
) -> None:
    """Create the entities the site's configuration feeds.

    Every entity goes under the same subentry as its device, and exists from
    setup whether or not its device answers yet: unavailable until it does.
    An entity the configuration no longer feeds (its device removed, its
    input left empty) is taken out of the entity registry rather than left
    there as "no longer provided".
    """
    groups: dict[str | None, list[Any]] = {}
    gone: list[str] = []
    for description in descriptions:
        if not configured(coordinator, description):
            gone.append(description.key)
            continue
        handle = handle_for(coordinator, description)
        subentry_id = _subentry_of(
            coordinator.config_entry, placed_on(description.device, handle)
        )
        groups.setdefault(subentry_id, []).append(
            entity_class(coordinator, description, handle)
        )
    if gone:
        _remove_entities(coordinator, gone)
    for subentry_id, entities in groups.items():
        async_add_entities(entities, config_subentry_id=subentry_id)


def add_entities_once_reported[D: SotPointDescription](
    coordinator: SotPointCoordinator,
    async_add_entities: AddConfigEntryEntitiesCallback,
    reported: Callable[[SiteState], Sequence[D]],
    entity_class: EntityClass[D],
) -> None:
    """Add entities for what a device turns out to implement, as it tells.

    Which named alarms a controller implements, or whether it measures a
    fuel level, is known only from its answers; a controller silent at
    setup (the HA box up before the gateway) tells later. `reported` names
    the descriptions a state shows; each is added the first time it does,
    without a reload, and kept from then on.
    """
    known: set[str] = set()

    @callback
    def add_new() -> None:
        new = [d for d in reported(coordinator.data) if d.key not in known]
        if not new:
            return
        known.update(d.key for d in new)
        add_entities_by_source(coordinator, async_add_entities, new, entity_class)

    add_new()
    coordinator.config_entry.async_on_unload(coordinator.async_add_listener(add_new))


def _remove_entities(coordinator: SotPointCoordinator, keys: list[str]) -> None:
    registry = er.async_get(coordinator.hass)
    domain = async_get_current_platform().domain
    entry_id = coordinator.config_entry.entry_id
    for key in keys:
        entity_id = registry.async_get_entity_id(domain, DOMAIN, f"{entry_id}_{key}")
        if entity_id is not None:
            registry.async_remove(entity_id)


_DEVICE_NAMES = frozenset(device.value for device in SiteDevice)


def _site_devices(
    hass: HomeAssistant, entry: ConfigEntry
) -> list[tuple[SiteDevice | None, dr.DeviceEntry]]:
    """The site's devices with what each stands for (None: the site itself)."""
    found: list[tuple[SiteDevice | None, dr.DeviceEntry]] = []
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        for domain, identifier in device.identifiers:
            if domain != DOMAIN:
                continue
            if identifier == entry.entry_id:
                found.append((None, device))
                continue
            name = identifier.removeprefix(f"{entry.entry_id}_")
            if name in _DEVICE_NAMES:
                found.append((SiteDevice(name), device))
    return found


@callback
def async_place_devices(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Move devices registered in the wrong place to where they belong.

    Minor version 2 kept the transfer switch's device under the site; it
    belongs to a separate switch's subentry now. (Without a separate switch
    its entities move to the generator's device as they are added, and setup
    removes the emptied device.) The move is explicit (Home Assistant warns
    about, and will refuse, a device that silently changes subentry as its
    entities are added), and the device's entities go first, so that moving
    it does not take them out of the registry. Run once, by the entry's
    migration to minor version 3.
    """
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    for device_kind, device in _site_devices(hass, entry):
        owner = None if device_kind is None else _subentry_of(entry, device_kind)
        if device_kind in _DEVICE_SUBENTRY and owner is None:
            # Its hardware was removed, and Home Assistant removes it; or a
            # switch the controller tells, whose entities setup moves to the
            # generator's device before removing the emptied device.
            continue
        if device.config_subentry_id == owner:
            continue
        for entity in er.async_entries_for_device(
            entities, device.id, include_disabled_entities=True
        ):
            if entity.config_entry_id == entry.entry_id:
                entities.async_update_entity(entity.entity_id, config_subentry_id=owner)
        devices.async_update_device(device.id, new_config_subentry_id=owner)


@callback
def async_remove_unused_devices(
    hass: HomeAssistant, coordinator: SotPointCoordinator
) -> None:
    """Remove the site's devices that no entity shows any more.

    A transfer switch taken off a site without a controller leaves the switch
    and the mains with nothing to show; an I/O module without a thermometer or
    heater relay leaves the warm room empty. Called once every platform has
    added its entities.
    """
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    for device_kind, device in _site_devices(hass, coordinator.config_entry):
        if device_kind is None:
            continue  # the site itself, parent of all the others
        if not er.async_entries_for_device(
            entities, device.id, include_disabled_entities=True
        ):
            devices.async_remove_device(device.id)
