"""Switches: the warm room's heater relay and the site's maintenance lock."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import STATE_ON, EntityCategory
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .const import SUBENTRY_IO_MODULE
from .control import SiteControl
from .entity import IoInput, SiteDevice, SotPointDescription, SotPointEntity
from .entity_setup import add_entities_by_source
from .rules.site import SiteState
from .runtime import SotPointConfigEntry, site_of

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SotPointSwitchDescription(SwitchEntityDescription, SotPointDescription):
    """A switch whose state comes from the site and whose action from control."""

    value_fn: Callable[[SiteState, SiteControl], bool | None]
    set_fn: Callable[[SiteControl, bool, Context | None], Coroutine[Any, Any, None]]


HEATER = SotPointSwitchDescription(
    key="heater_relay",
    translation_key="heater_relay",
    device=SiteDevice.WARM_ROOM,
    source=SUBENTRY_IO_MODULE,
    io_input=IoInput.RELAY,
    value_fn=lambda state, _control: state.io.heater_on if state.io else None,
    set_fn=lambda control, on, context: control.async_set_heater(on, context),
)
MAINTENANCE = SotPointSwitchDescription(
    key="maintenance_lock",
    translation_key="maintenance_lock",
    device=SiteDevice.SITE,
    entity_category=EntityCategory.CONFIG,
    none_is_unknown=True,
    value_fn=lambda _state, control: control.maintenance,
    set_fn=lambda control, on, context: control.async_set_maintenance(on, context),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SotPointConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the maintenance lock, and the heater when an I/O module has a relay."""
    coordinator = entry.runtime_data.coordinator
    add_entities_by_source(
        coordinator, async_add_entities, [MAINTENANCE], SotPointMaintenanceSwitch
    )
    add_entities_by_source(coordinator, async_add_entities, [HEATER], SotPointSwitch)


class SotPointSwitch(SotPointEntity, SwitchEntity):
    """A switch of the site."""

    entity_description: SotPointSwitchDescription

    @property
    def _control(self) -> SiteControl:
        return site_of(self.coordinator).control

    def _value(self, state: SiteState) -> bool | None:
        return self.entity_description.value_fn(state, self._control)

    @property
    def is_on(self) -> bool | None:
        """On or off as the device (or the site) reports it now."""
        return self._value(self.coordinator.data)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch on."""
        await self.entity_description.set_fn(self._control, True, self._context)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch off."""
        await self.entity_description.set_fn(self._control, False, self._context)


class SotPointMaintenanceSwitch(SotPointSwitch, RestoreEntity):
    """The maintenance lock, kept across restarts.

    A restart is no reason to let a start through while someone has their
    hands in the generator.
    """

    async def async_added_to_hass(self) -> None:
        """Take the lock back as it was before Home Assistant stopped."""
        await super().async_added_to_hass()
        last = await self.async_get_last_state()
        if last is not None and last.state == STATE_ON:
            self._control.maintenance = True
