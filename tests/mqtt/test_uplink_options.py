"""The uplink's section of the site's options: what it asks, refuses and stores."""

from __future__ import annotations

from typing import Any

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import CONF_SITE_NAME, DEFAULT_OPTIONS, DOMAIN
from custom_components.sot_point.rules.uplink import (
    CONF_COUNTY,
    CONF_ENABLED,
    CONF_HEARTBEAT,
    CONF_MUNICIPALITY,
    CONF_SITE_ID,
    CONF_UPLINK,
)

from ..test_config_flow import assert_translated, errors, form_fields
from .conftest import uplink_options

ON = uplink_options()[CONF_UPLINK]


def site(
    hass: HomeAssistant, name: str = "SOT-punkt Kall", **options: Any
) -> MockConfigEntry:
    """A site entry, added but not set up."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=name,
        unique_id=name.casefold(),
        data={CONF_SITE_NAME: name},
        options=options,
    )
    entry.add_to_hass(hass)
    return entry


def with_mqtt(hass: HomeAssistant) -> None:
    """Home Assistant's MQTT integration configured (not connected: not needed)."""
    MockConfigEntry(domain=mqtt.DOMAIN, data={"broker": "127.0.0.1"}).add_to_hass(hass)


def uplink_suggested(result: FlowResult[Any, Any]) -> dict[str, Any]:
    """What the uplink section's fields show."""
    (section,) = [f for f in form_fields(result) if f["name"] == CONF_UPLINK]
    return {
        field["name"]: field["description"]["suggested_value"]
        for field in section["schema"]
        if "suggested_value" in field.get("description", {})
    }


async def submit(
    hass: HomeAssistant, entry: MockConfigEntry, uplink: dict[str, Any]
) -> FlowResult[Any, Any]:
    """Open the site's options and save them with `uplink` as its section."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {**DEFAULT_OPTIONS, CONF_UPLINK: uplink}
    )


async def test_uplink_is_stored_as_entered(hass: HomeAssistant) -> None:
    """On, with MQTT set up: stored trimmed, the heartbeat whole minutes."""
    with_mqtt(hass)
    entry = site(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    # A new site's section offers an id made from its name.
    assert uplink_suggested(result) == {CONF_SITE_ID: "kall"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            **DEFAULT_OPTIONS,
            CONF_UPLINK: ON | {CONF_SITE_ID: " Kall", CONF_HEARTBEAT: 10.0},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {**DEFAULT_OPTIONS, CONF_UPLINK: ON | {CONF_HEARTBEAT: 10}}

    # Shown again as stored.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert uplink_suggested(result) == ON | {CONF_HEARTBEAT: 10}


async def test_uplink_left_off_stores_nothing(hass: HomeAssistant) -> None:
    """An untouched section leaves the options as they were, MQTT or not."""
    entry = site(hass)
    result = await submit(hass, entry, {CONF_ENABLED: False, CONF_HEARTBEAT: 5})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == DEFAULT_OPTIONS


async def test_uplink_on_without_mqtt_is_refused_until_turned_off(
    hass: HomeAssistant,
) -> None:
    """No MQTT integration: say to set it up first; off again, the form saves."""
    entry = site(hass)
    result = await submit(hass, entry, ON)
    assert result["type"] is FlowResultType.FORM
    assert errors(result) == {"base": "uplink_needs_mqtt"}
    assert_translated(result, ("options",))
    assert entry.options == {}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**DEFAULT_OPTIONS, CONF_UPLINK: ON | {CONF_ENABLED: False}}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # Off, but what was filled in is kept for when it is turned on.
    assert entry.options[CONF_UPLINK] == ON | {CONF_ENABLED: False}


@pytest.mark.parametrize(
    ("change", "error", "at_fault"),
    [
        ({CONF_COUNTY: None}, "uplink_bad_county", ""),
        ({CONF_MUNICIPALITY: "2221"}, "uplink_bad_municipality", "2221"),
        ({CONF_SITE_ID: "kall/#"}, "uplink_bad_site_id", "kall/#"),
    ],
)
async def test_wrong_codes_are_named_then_fixed(
    hass: HomeAssistant, change: dict[str, Any], error: str, at_fault: str
) -> None:
    """Each wrong value is refused with what was entered; corrected, it saves."""
    with_mqtt(hass)
    entry = site(hass)
    result = await submit(
        hass, entry, {k: v for k, v in (ON | change).items() if v is not None}
    )
    assert result["type"] is FlowResultType.FORM
    assert errors(result) == {"base": error}
    assert result["description_placeholders"] == {"at_fault": at_fault}
    assert_translated(result, ("options",))

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**DEFAULT_OPTIONS, CONF_UPLINK: ON}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_UPLINK] == ON


async def test_two_sites_cannot_share_topics(hass: HomeAssistant) -> None:
    """A second site of the same Home Assistant needs its own site id."""
    with_mqtt(hass)
    site(hass, "SOT-punkt Kall", **uplink_options())
    other = site(hass, "SOT-punkt Hallen")
    result = await submit(hass, other, ON)
    assert errors(result) == {"base": "uplink_site_taken"}
    assert result["description_placeholders"] == {"at_fault": "sot/23/2321/kall"}
    assert_translated(result, ("options",))

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {**DEFAULT_OPTIONS, CONF_UPLINK: ON | {CONF_SITE_ID: "hallen"}},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_an_on_call_error_comes_first(hass: HomeAssistant) -> None:
    """One message at a time: the on-call list's, then the uplink's."""
    entry = site(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            **DEFAULT_OPTIONS,
            "on_call": {"people": [{"name": "", "number": "070-123 45 67"}]},
            CONF_UPLINK: ON,
        },
    )
    assert errors(result) == {"base": "on_call_name_required"}
