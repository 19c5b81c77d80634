"""Selects: the controller's mode (Stop, Auto, Manual, Test on load).

And each offered service's state, whose entities are
service_board_entities.py's.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SUBENTRY_GENERATOR
from .entity import SiteDevice, SotPointDescription, SotPointEntity
from .entity_setup import add_entities_by_source
from .hardware.commands import MODE_COMMANDS
from .rules.site import SiteState
from .rules.words import word
from .runtime import SotPointConfigEntry, site_of
from .service_board_entities import async_add_service_selects

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SotPointSelectDescription(SelectEntityDescription, SotPointDescription):
    """The mode select."""


MODE_SELECT = SotPointSelectDescription(
    key="controller_mode",
    translation_key="controller_mode",
    device=SiteDevice.GENERATOR,
    source=SUBENTRY_GENERATOR,
    options=list(MODE_COMMANDS),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SotPointConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the mode select when the site has a generator; the services' states."""
    add_entities_by_source(
        entry.runtime_data.coordinator,
        async_add_entities,
        [MODE_SELECT],
        SotPointModeSelect,
    )
    async_add_service_selects(entry, async_add_entities)


class SotPointModeSelect(SotPointEntity, SelectEntity):
    """Shows the controller's mode and changes it through the interlocks."""

    entity_description: SotPointSelectDescription

    def _value(self, state: SiteState) -> str | None:
        name = word(state.generator.mode) if state.generator else None
        # Modes set on the panel that we do not offer (Auto with manual
        # restore, Off...) show as unknown rather than as a wrong choice.
        return name if name is not None and name in MODE_COMMANDS else None

    @property
    def available(self) -> bool:
        """Available whenever the controller answers, whatever its mode."""
        state = self.coordinator.data
        return (
            self.coordinator.last_update_success
            and self._source_id not in state.failed
            and state.generator is not None
            and state.generator.mode is not None
        )

    @property
    def current_option(self) -> str | None:
        """The controller's mode now."""
        return self._value(self.coordinator.data)

    async def async_select_option(self, option: str) -> None:
        """Ask the controller to change mode."""
        control = site_of(self.coordinator).control
        await control.async_command(MODE_COMMANDS[option], self._context)
