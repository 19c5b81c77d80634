"""SOT Point: keeps a rural service point running and informed through a power cut."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

PLATFORMS: list[Platform] = []


@dataclass(kw_only=True)
class SotPointData:
    """What a loaded site keeps while it runs."""

    site_name: str


type SotPointConfigEntry = ConfigEntry[SotPointData]


async def async_setup_entry(hass: HomeAssistant, entry: SotPointConfigEntry) -> bool:
    """Set up a SOT point site from a config entry."""
    entry.runtime_data = SotPointData(site_name=entry.title)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SotPointConfigEntry) -> bool:
    """Unload a SOT point site."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
