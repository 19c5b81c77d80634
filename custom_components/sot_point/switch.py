"""Switches: the warm room's heater relay and the site's maintenance lock.

The lock's switch only shows and sets `SiteControl.maintenance`, which is
stored the moment it changes (safety_store.py). It restores nothing itself:
Home Assistant saves restore state only every 15 minutes and not at all for
a disabled entity, too late and too seldom for a lock that refuses starts.
A lock kept by the switch before the store existed is taken over once, when
the store is first created.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SUBENTRY_IO_MODULE
from .control import SiteControl
from .entity import IoInput, SiteDevice, SotPointDescription, SotPointEntity
from .entity_setup import add_entities_by_source
from .rules.site import SiteState
from .runtime import SotPointConfigEntry, site_of
from .safety_store import MAINTENANCE_LOCK_KEY

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
    key=MAINTENANCE_LOCK_KEY,
    translation_key=MAINTENANCE_LOCK_KEY,
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
        coordinator, async_add_entities, [MAINTENANCE], SotPointSwitch
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
