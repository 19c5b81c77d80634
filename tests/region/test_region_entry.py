"""A region entry next to sites: setup without MQTT, renaming, what ignores it."""

from __future__ import annotations

import json
from pathlib import Path
import re

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.sot_point.const import DOMAIN
from custom_components.sot_point.region.repairs import ISSUE_SILENT_SITES

from ..test_config_flow import assert_translated
from .conftest import REGION_NAME, region_entry

TRANSLATIONS = Path(__file__).resolve().parents[2] / "custom_components" / "sot_point"
PLACEHOLDER = re.compile(r"{(\w+)}")


async def test_a_region_without_mqtt_waits_for_it(hass: HomeAssistant) -> None:
    """Without Home Assistant's MQTT integration a region retries its setup."""
    entry = region_entry()
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason == (
        "The region needs Home Assistant's MQTT integration, set up and enabled, "
        "to read the county's broker"
    )


async def test_a_region_is_renamed_and_has_no_devices_to_add(
    hass: HomeAssistant,
) -> None:
    """Reconfigure renames a region; it offers no device subentries."""
    entry = region_entry()
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_region"
    assert_translated(result, ("config",))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": " "}
    )
    assert result["errors"] == {"name": "region_name_required"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": "Krisledning Jämtland"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert entry.title == "Krisledning Jämtland"
    assert entry.data["name"] == "Krisledning Jämtland"
    assert entry.data["county"] == "23"
    assert entry.supported_subentry_types == {}


async def test_site_actions_and_subscriptions_ignore_a_region(
    hass: HomeAssistant, region: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """An action naming a region is refused; subscribe_site finds no site."""
    entry = region
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN,
            "start_generator",
            {"config_entry_id": entry.entry_id},
            blocking=True,
        )
    assert refused.value.translation_key == "region_not_a_site"
    assert str(refused.value).startswith(f"{REGION_NAME} is a region, not a site")
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "sot_point/subscribe_site"})
    answer = await client.receive_json()
    assert not answer["success"]
    assert answer["error"]["message"] == "0 SOT Point sites: name one with entry_id"
    await client.send_json_auto_id(
        {"type": "sot_point/subscribe_site", "entry_id": entry.entry_id}
    )
    answer = await client.receive_json()
    assert not answer["success"]


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_silent_sites_issue_is_translated(language: str) -> None:
    """The repair's texts use only the placeholders the region gives."""
    name = "strings.json" if language == "en" else f"translations/{language}.json"
    texts = json.loads((TRANSLATIONS / name).read_text())
    issue = texts["issues"][ISSUE_SILENT_SITES]
    for text in (issue["title"], issue["description"]):
        assert set(PLACEHOLDER.findall(text)) <= {"region", "count", "sites"}
