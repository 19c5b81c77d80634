"""Adding entities to Home Assistant, grouped by the subentry that feeds them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SUBENTRY_GENERATOR, SUBENTRY_IO_MODULE, SUBENTRY_TRANSFER_SWITCH
from .coordinator import DeviceHandle, SotPointCoordinator
from .entity import SiteDevice, SotPointDescription, SotPointEntity


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


# Which subentry a device of the site belongs to: the hardware it stands for.
# Mains, tank and the site itself are the site's own, fed by whichever device
# measures them, so they stay when one device is removed.
_DEVICE_SUBENTRY = {
    SiteDevice.GENERATOR: SUBENTRY_GENERATOR,
    SiteDevice.TRANSFER_SWITCH: SUBENTRY_TRANSFER_SWITCH,
    SiteDevice.WARM_ROOM: SUBENTRY_IO_MODULE,
}


def _subentry_of(coordinator: SotPointCoordinator, device: SiteDevice) -> str | None:
    kind = _DEVICE_SUBENTRY.get(device)
    handle = coordinator.handle_of(kind) if kind else None
    return handle.subentry.subentry_id if handle else None


def add_entities_by_source[D: SotPointDescription](
    coordinator: SotPointCoordinator,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: Sequence[D],
    entity_class: Callable[
        [SotPointCoordinator, D, DeviceHandle | None], SotPointEntity
    ],
) -> None:
    """Create entities and register each under its device's config subentry.

    Every entity of one device goes under the same subentry (a device lives
    in one place); removing a device from the site removes its entities.
    """
    groups: dict[str | None, list[Any]] = {}
    for description in descriptions:
        handle = handle_for(coordinator, description)
        subentry_id = _subentry_of(coordinator, description.device)
        groups.setdefault(subentry_id, []).append(
            entity_class(coordinator, description, handle)
        )
    for subentry_id, entities in groups.items():
        async_add_entities(entities, config_subentry_id=subentry_id)
