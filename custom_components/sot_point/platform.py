"""Adding entities to Home Assistant, grouped by the subentry that feeds them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SUBENTRY_GENERATOR, SUBENTRY_TRANSFER_SWITCH
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


def add_entities_by_source[D: SotPointDescription](
    coordinator: SotPointCoordinator,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: Sequence[D],
    entity_class: Callable[
        [SotPointCoordinator, D, DeviceHandle | None], SotPointEntity
    ],
) -> None:
    """Create entities and register each under its device's config subentry.

    Registering under the subentry means removing a device from the site also
    removes the entities it fed.
    """
    groups: dict[str | None, list[Any]] = {}
    for description in descriptions:
        handle = handle_for(coordinator, description)
        subentry_id = handle.subentry.subentry_id if handle else None
        groups.setdefault(subentry_id, []).append(
            entity_class(coordinator, description, handle)
        )
    for subentry_id, entities in groups.items():
        async_add_entities(entities, config_subentry_id=subentry_id)
