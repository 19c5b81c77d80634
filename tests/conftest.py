"""Shared fixtures for the SOT Point tests."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

# Imported at collection time so this integration, not phacc's own
# testing_config, is what "custom_components.sot_point" resolves to.
from custom_components.sot_point.const import CONF_SITE_NAME, DOMAIN


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/sot_point in every test."""


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """A site config entry as the config flow would create it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="SOT-punkt Kall",
        unique_id="sot-punkt kall",
        data={CONF_SITE_NAME: "SOT-punkt Kall"},
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the site and hand back its entry."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry
