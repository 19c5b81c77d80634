"""SOT Point: keeps a rural service point running and informed through a power cut."""

from __future__ import annotations

from typing import cast

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .entity_setup import async_place_devices, async_remove_unused_devices
from .export import async_register_export_view
from .notices import async_setup_notice_services
from .region.hub import RegionConfigEntry
from .region.report_view import async_register_region_report_view
from .region.setup import async_setup_region, async_unload_region
from .repairs import SiteRepairs, async_remove_issues
from .rules.region import is_region
from .runtime import SotPointConfigEntry, async_build_site
from .service_board_entities import async_setup_service_board_services
from .services import async_setup_services
from .site_readiness import SiteReadiness
from .site_watch import SiteWatch
from .websocket import async_setup_websocket

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.TEXT,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the site services once, whatever sites there are."""
    async_setup_services(hass)
    async_setup_notice_services(hass)
    async_setup_service_board_services(hass)
    async_setup_websocket(hass)
    async_register_export_view(hass)
    async_register_region_report_view(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SotPointConfigEntry) -> bool:
    """Set up a SOT point site and its devices, or a region (region/setup.py)."""
    if is_region(entry.data):
        return await async_setup_region(hass, cast(RegionConfigEntry, entry))
    entry.runtime_data = await async_build_site(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_remove_unused_devices(hass, coordinator)
    SiteRepairs(hass, entry).async_start()
    SiteWatch(hass, entry).async_start()
    await SiteReadiness(hass, entry).async_start()
    # Adding, changing or removing a device (a subentry) or the site's
    # options rebuilds the site with the new set of devices.
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Bring a site stored by an earlier version of SOT Point up to date."""
    if entry.version > 1:
        return False  # stored by a newer SOT Point: refuse rather than guess
    if entry.minor_version < 3:
        # Devices stay in one subentry (or none) for life; see entity_setup.py.
        # 2 put the transfer switch's device under the site, 3 under the
        # switch's own subentry, so each subentry shows the device it added.
        async_place_devices(hass, entry)
        hass.config_entries.async_update_entry(entry, minor_version=3)
    return True


async def _async_reload(hass: HomeAssistant, entry: SotPointConfigEntry) -> None:
    await hass.config_entries.async_reload(entry.entry_id)


async def async_remove_entry(hass: HomeAssistant, entry: SotPointConfigEntry) -> None:
    """Forget a removed site's repair issues; nothing else refers to them."""
    async_remove_issues(hass, entry)


async def async_unload_entry(hass: HomeAssistant, entry: SotPointConfigEntry) -> bool:
    """Unload a SOT point site and close its connections, or a region."""
    if is_region(entry.data):
        return await async_unload_region(hass, cast(RegionConfigEntry, entry))
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        site = entry.runtime_data
        site.control.shutdown()
        site.notices.async_shutdown()
        await site.coordinator.async_shutdown()
        await site.fuel.async_save()
        await site.journal.async_flush()
    return unloaded
