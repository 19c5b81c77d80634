"""Base entity and device layout shared by every platform.

A site shows up as a handful of devices: the site itself, the generator, the
mains, the transfer switch, the fuel tank and the warm room. The generator, the
warm room and a separate transfer switch stand for the controller, the I/O
module and the switch of their config subentries; the site, the mains and the
tank are what people think about, fed by whichever device measures them, and
belong to the site itself (see entity_setup.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import slugify

from .const import (
    CONF_CONTROLLER_FAMILY,
    DOMAIN,
    SUBENTRY_GENERATOR,
    SUBENTRY_TRANSFER_SWITCH,
)
from .coordinator import DeviceHandle, SotPointCoordinator, site_device_info
from .hardware.families import MANUFACTURERS, family_of
from .rules.site import SiteState
from .runtime import site_of


class SiteDevice(StrEnum):
    """The devices a site shows."""

    SITE = "site"
    GENERATOR = "generator"
    MAINS = "mains"
    TRANSFER_SWITCH = "transfer_switch"
    TANK = "tank"
    WARM_ROOM = "warm_room"


class IoInput(StrEnum):
    """An input of the I/O module, which a technician may leave unconfigured."""

    LEVEL = "level"
    TEMPERATURE = "temperature"
    RELAY = "relay"


@dataclass(frozen=True, kw_only=True)
class SotPointDescription(EntityDescription):
    """What every SOT Point entity description adds.

    `device` places the entity; `source` names the subentry type whose device
    must be answering for the value to be current (None: derived for the site).
    `io_input` names the I/O module's input the value comes from: without that
    input configured the entity does not exist.
    `attributes_fn` gives state attributes where there are details to show.
    A value that is None shows as unavailable unless `none_is_unknown`, for
    values where None has a meaning, such as "no outage going on".
    """

    device: SiteDevice
    source: str | None = None
    io_input: IoInput | None = None
    none_is_unknown: bool = False
    attributes_fn: Callable[[SiteState], Mapping[str, Any]] | None = None
    # The English name the entity id was first made from, for an entity
    # renamed since: dashboards and automations name it by that id.
    id_name: str | None = None


def placed_on(device: SiteDevice, handle: DeviceHandle | None) -> SiteDevice:
    """The device an entity of `device`, fed by `handle`, is shown on.

    Without a separate transfer switch the switch's position comes from the
    generator's controller, and sits on the generator's device, in the
    controller's subentry: the controller drives the contactors and reads
    their auxiliary contacts, so the switch is part of the generator set's
    control panel, and a technician finds the position with the controller
    that reports it and acts on it (the transfer commands go to the
    controller). On the site's own device it would belong to no subentry,
    which is what made the switch look as if it was never added; and it
    rightly goes with the controller when the controller is removed, since
    then nothing tells it. A separate switch has a device of its own.
    """
    if device is SiteDevice.TRANSFER_SWITCH and (
        handle is None or handle.kind == SUBENTRY_GENERATOR
    ):
        return SiteDevice.GENERATOR
    return device


def device_info(
    coordinator: SotPointCoordinator, device: SiteDevice, handle: DeviceHandle | None
) -> DeviceInfo:
    """Device registry details for the device an entity of `device` is shown on.

    Built whole in one call: Home Assistant 2026.10 has DeviceInfo as a
    TypedDict and 2026.11 as a dataclass with only part of a dict's methods
    (no `|`), and both take the same keyword arguments.
    """
    entry = coordinator.config_entry
    device = placed_on(device, handle)
    if device is SiteDevice.SITE:
        return site_device_info(entry.entry_id, entry.title)
    identifiers = {(DOMAIN, f"{entry.entry_id}_{device.value}")}
    own = handle if handle is not None and handle.kind == device.value else None
    if own is None:
        return DeviceInfo(
            identifiers=identifiers,
            translation_key=device.value,
            via_device_id=coordinator.site_device_id,
        )
    data = own.subentry.data
    manufacturer, model = MAKES.get(own.kind, (None, None))
    if own.kind == SUBENTRY_GENERATOR:
        manufacturer = MANUFACTURERS[family_of(data.get(CONF_CONTROLLER_FAMILY))]
    return DeviceInfo(
        identifiers=identifiers,
        translation_key=device.value,
        via_device_id=coordinator.site_device_id,
        manufacturer=manufacturer,
        model=model or data.get("model"),
        serial_number=data.get("serial"),
    )


# Make, and model where the device does not report one, by subentry type.
# The controller's and the I/O module's models come from the subentry.
MAKES: dict[str, tuple[str | None, str | None]] = {
    SUBENTRY_GENERATOR: ("Deep Sea Electronics", None),
    SUBENTRY_TRANSFER_SWITCH: ("Socomec", "ATyS"),
}


class SotPointEntity(CoordinatorEntity[SotPointCoordinator]):
    """An entity that reads one value of the site's state."""

    _attr_has_entity_name = True
    entity_description: SotPointDescription

    def __init__(
        self,
        coordinator: SotPointCoordinator,
        description: SotPointDescription,
        handle: DeviceHandle | None,
    ) -> None:
        """Place the entity on its device and remember which device feeds it."""
        super().__init__(coordinator)
        self.entity_description = description
        self._source_id = handle.subentry.subentry_id if handle else None
        self._attr_unique_id = f"{coordinator.config_entry.entry_id}_{description.key}"
        self._attr_device_info = device_info(coordinator, description.device, handle)

    async def async_prepare_to_add_to_hass(self) -> None:
        """Suggest the entity id an English installation gets, in any language.

        Home Assistant makes a new entity's id from its device's and its own
        name in the system language: a Swedish installation would get
        binary_sensor.nat_tillgangligt. The dashboard and blueprints we ship,
        and our documentation, name binary_sensor.mains_available, so the id
        is made from the English names whatever the language; the names shown
        stay translated. Home Assistant keeps an id already in the entity
        registry, so neither a user's rename nor an existing id changes.
        """
        await super().async_prepare_to_add_to_hass()
        entry = self.coordinator.config_entry
        english = site_of(self.coordinator).english_names
        device = self.entity_description.device
        device_name = entry.title
        if device is not SiteDevice.SITE:
            # Read from the description, not back from the device info:
            # HA 2026.11 made that a dataclass, and its dict-style access is
            # a compatibility layer due to go.
            device_name = english.get(
                f"component.{DOMAIN}.device.{device.value}.name", device.value
            )
        domain = self.platform.domain
        name = self.entity_description.id_name or english.get(
            f"component.{DOMAIN}.entity.{domain}.{self.translation_key}.name"
        )
        if name is not None:
            name = name.format(**self.translation_placeholders)
        # Without a name of its own the entity is named after its device.
        object_id = " ".join(part for part in (device_name, name) if part)
        self.entity_id = f"{domain}.{slugify(object_id)}"

    @property
    def available(self) -> bool:
        """Unavailable when the feeding device is silent or the value is unknown."""
        if not super().available or self._source_id in self.coordinator.data.failed:
            return False
        if self.entity_description.none_is_unknown:
            return True
        return self._value(self.coordinator.data) is not None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Details such as which alarms are raised or what a fuel figure rests on."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.coordinator.data)

    def _value(self, state: SiteState) -> Any:
        """The entity's value in `state`; platforms override."""
        raise NotImplementedError
