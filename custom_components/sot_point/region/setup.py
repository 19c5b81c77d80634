"""Setting a region up and down: the hub, its stores, entities and repair."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntry

from ..const import DOMAIN
from ..rules.region import SiteView, region_settings, split_key
from .hub import RegionConfigEntry, RegionHub, async_wait_for_mqtt
from .repairs import async_follow_silent_sites
from .store import EventStore, SiteStore

REGION_PLATFORMS: Final = [Platform.BINARY_SENSOR, Platform.SENSOR]
EVENT_REGION_EVENT: Final = f"{DOMAIN}_region_event"


async def async_setup_region(hass: HomeAssistant, entry: RegionConfigEntry) -> bool:
    """Set up a region: restore its sites, add their entities, subscribe."""
    await async_wait_for_mqtt(hass)
    events = EventStore(hass, entry.entry_id)
    await events.async_load()
    settings = region_settings(entry.data, entry.options)
    hub = RegionHub(hass, entry, settings, events)
    sites = SiteStore(hass, entry.entry_id, hub.views.values)
    hub.restore(await sites.async_load())
    # A site whose device exists but whose store was lost keeps its device.
    hub.restore(_views_of_devices(hass, entry))
    entry.runtime_data = hub
    entry.async_on_unload(hub.async_add_change_listener(sites.changed))
    entry.async_on_unload(hub.async_add_event_observer(_keep_event(hass, entry)))
    entry.async_on_unload(async_follow_silent_sites(hass, entry))
    await hass.config_entries.async_forward_entry_setups(entry, REGION_PLATFORMS)

    async def save() -> None:
        await sites.async_save()
        await events.async_save()

    @callback
    def flush(_event: Event) -> None:
        sites.flush()
        events.flush()

    # Unload callbacks run last first: unsubscribed, then saved.
    entry.async_on_unload(save)
    entry.async_on_unload(hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, flush))
    entry.async_on_unload(hub.async_stop)
    await hub.async_start()
    # Options changed (municipalities, limits): set the region up again.
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    return True


async def async_unload_region(hass: HomeAssistant, entry: RegionConfigEntry) -> bool:
    """Unload a region's entities; the unload callbacks let go of the rest."""
    return await hass.config_entries.async_unload_platforms(entry, REGION_PLATFORMS)


async def _async_reload(hass: HomeAssistant, entry: RegionConfigEntry) -> None:
    await hass.config_entries.async_reload(entry.entry_id)


def _keep_event(
    hass: HomeAssistant, entry: RegionConfigEntry
) -> Callable[[str, dict[str, Any]], None]:
    """Keep each event once by id, and say so on the bus once."""
    hub = entry.runtime_data

    @callback
    def keep(key: str, event: dict[str, Any]) -> None:
        if hub.events.add(event):
            hass.bus.async_fire(
                EVENT_REGION_EVENT, {"entry_id": entry.entry_id, "key": key, **event}
            )

    return keep


def _views_of_devices(hass: HomeAssistant, entry: RegionConfigEntry) -> list[SiteView]:
    """The sites of the region that have a device, by the device registry."""
    views: list[SiteView] = []
    prefix = f"{entry.entry_id}:"
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id):
        for domain, identifier in device.identifiers:
            if domain != DOMAIN or not identifier.startswith(prefix):
                continue
            try:
                municipality, site_id = split_key(identifier.removeprefix(prefix))
            except ValueError:
                continue
            views.append(
                SiteView(municipality, site_id, known_name=_device_name(device))
            )
    return views


def _device_name(device: DeviceEntry) -> str | None:
    return device.name
