"""The config flow that creates a site."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import CONF_SITE_NAME, DOMAIN


async def test_user_flow_creates_site(hass: HomeAssistant) -> None:
    """A technician names the site and gets one config entry for it."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SITE_NAME: "  SOT-punkt Kall "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "SOT-punkt Kall"
    assert result["data"] == {CONF_SITE_NAME: "SOT-punkt Kall"}
    assert result["result"].unique_id == "sot-punkt kall"


async def test_blank_name_is_refused_then_recovers(hass: HomeAssistant) -> None:
    """A blank name shows an error and the same flow still finishes."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SITE_NAME: "   "}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_SITE_NAME: "name_required"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SITE_NAME: "SOT-punkt Hede"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_site_twice_is_aborted(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """The same site name cannot be added twice, whatever its case."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SITE_NAME: "sot-punkt KALL"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
