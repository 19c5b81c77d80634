"""Text entities: each offered service's note and opening hours.

The entities are service_board_entities.py's.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .runtime import SotPointConfigEntry
from .service_board_entities import async_add_service_texts

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SotPointConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a note and opening hours per service the site offers."""
    async_add_service_texts(entry, async_add_entities)
