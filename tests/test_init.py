"""Setting up and unloading a site."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A site loads, keeps its runtime data, and unloads cleanly."""
    entry = init_integration
    assert entry.state is ConfigEntryState.LOADED
    site = hass.states.get("sensor.sot_punkt_kall_site_status")
    assert site is not None
    # A site with no devices yet knows nothing: it must not claim "normal".
    assert site.state == "fault"

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    unloaded = hass.config_entries.async_get_entry(entry.entry_id)
    assert unloaded is not None
    assert unloaded.state is ConfigEntryState.NOT_LOADED
