"""What a loaded site keeps while it runs, and the one place that builds it.

The modules a site is built from (coordinator, journal, control, notice
board, fuel memory) never import this one; the platforms, actions and views
that use a loaded site do. So no module imports itself round a loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers.service import async_get_config_entry
from homeassistant.helpers.translation import async_get_translations

from .const import DOMAIN
from .control import SiteControl
from .coordinator import SotPointCoordinator
from .fuel_memory import FuelMemory
from .hardware.client import ConnectionPool
from .journal import Journal
from .notice_board import NoticeBoard


@dataclass(kw_only=True)
class SotPointData:
    """A loaded site: its poller, journal, commands, notices and fuel memory."""

    coordinator: SotPointCoordinator
    control: SiteControl
    journal: Journal
    notices: NoticeBoard
    fuel: FuelMemory
    # The integration's English device and entity names, by translation key,
    # for the entity ids (see SotPointEntity.async_prepare_to_add_to_hass).
    english_names: Mapping[str, str]
    pool: ConnectionPool = field(default_factory=ConnectionPool)


type SotPointConfigEntry = ConfigEntry[SotPointData]


def site_of_call(hass: HomeAssistant, call: ServiceCall) -> SotPointConfigEntry:
    """The loaded site an action names; a translated error if there is none."""
    entry: SotPointConfigEntry = async_get_config_entry(
        hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID]
    )
    return entry


def site_of(coordinator: SotPointCoordinator) -> SotPointData:
    """The loaded site a coordinator polls for."""
    # The coordinator is typed with a plain entry, as it is built before the
    # site's runtime data exists; by the time anyone asks, it does.
    return cast(SotPointConfigEntry, coordinator.config_entry).runtime_data


async def async_build_site(hass: HomeAssistant, entry: ConfigEntry) -> SotPointData:
    """Build a site's parts, wire the observers, and poll it once.

    Raises ConfigEntryNotReady, having closed what it opened, when no device
    of the site answers; Home Assistant then tries again later.
    """
    pool = ConnectionPool()
    coordinator = SotPointCoordinator(hass, entry, pool)
    journal = Journal(hass, entry)
    await journal.async_load()
    fuel = FuelMemory(hass, entry.entry_id, coordinator.tracker)
    await fuel.async_load()
    if (outage := journal.open_outage) is not None:
        # An outage that was going on when HA stopped still started then.
        coordinator.resume_outage(outage.at)
    entry.async_on_unload(coordinator.async_add_observer(journal.observe))
    entry.async_on_unload(coordinator.async_add_observer(fuel.observe))
    try:
        await coordinator.async_config_entry_first_refresh()
    except ConfigEntryNotReady:
        # Setup is retried later; close what the first try opened.
        await coordinator.async_shutdown()
        raise
    notices = NoticeBoard(hass, entry.entry_id)
    await notices.async_load()
    english_names: dict[str, str] = {}
    for category in ("device", "entity"):
        english_names |= await async_get_translations(hass, "en", category, {DOMAIN})
    return SotPointData(
        coordinator=coordinator,
        control=SiteControl(hass, coordinator, journal, fuel),
        journal=journal,
        notices=notices,
        fuel=fuel,
        english_names=english_names,
        pool=pool,
    )
