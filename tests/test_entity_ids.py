"""Entity ids are the English ones in every language; the names stay translated.

The dashboard and blueprints we ship, and the documentation, name entities by
the ids an English installation gets. Our users run Home Assistant in Swedish.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.entity import SotPointEntity
from simulator.server import SimulatedSite

from .conftest import site_entry

REPO = Path(__file__).parents[1]
SWEDISH = json.loads(
    (REPO / "custom_components/sot_point/translations/sv.json").read_text()
)
MAINS = "binary_sensor.mains_available"
ENTITY_ID = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")


def _with_entry_id(entry: MockConfigEntry, entry_id: str) -> MockConfigEntry:
    return MockConfigEntry(
        domain=entry.domain,
        entry_id=entry_id,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        options=dict(entry.options),
        subentries_data=[
            {
                "data": s.data,
                "subentry_id": s.subentry_id,
                "subentry_type": s.subentry_type,
                "title": s.title,
                "unique_id": s.unique_id,
            }
            for s in entry.subentries.values()
        ],
    )


async def _set_up(
    hass: HomeAssistant, entry: MockConfigEntry, language: str
) -> dict[str, str]:
    """Set `entry` up in `language`; its entity ids by what each entity shows."""
    hass.config.language = language
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    return {
        e.unique_id.removeprefix(f"{entry.entry_id}_"): e.entity_id
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
    }


def _friendly_name(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return str(state.attributes["friendly_name"])


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_swedish_installation_gets_the_english_ids(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """Every id is what Home Assistant itself makes in English; names are Swedish."""
    # The reference: an English installation without our suggestion, that
    # is the ids Home Assistant makes from the English names.
    english_entry = _with_entry_id(site_entry(sim), "01SITEKALLENGLISH000000000")
    with patch.object(
        SotPointEntity,
        "async_prepare_to_add_to_hass",
        Entity.async_prepare_to_add_to_hass,
    ):
        english = await _set_up(hass, english_entry, "en")
    assert _friendly_name(hass, MAINS) == "Mains Available"
    assert await hass.config_entries.async_remove(english_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(MAINS) is None

    swedish = await _set_up(hass, site_entry(sim), "sv")

    # Renamed since their ids were published (dashboards and automations
    # name them): the ids stay those of the old English names.
    english |= {
        "outage_started": "sensor.sot_punkt_kall_outage_started",
        "outage_duration": "sensor.sot_punkt_kall_outage_duration",
        "heater": "binary_sensor.warm_room_heater",
    }
    assert swedish == english
    # Phase sensors and alarms (placeholders, disabled by default) included.
    assert len(swedish) > 60
    assert swedish["generator_voltage_l1"] == "sensor.generator_voltage_l1"
    mains = SWEDISH["device"]["mains"]["name"]
    available = SWEDISH["entity"]["binary_sensor"]["mains_available"]["name"]
    assert _friendly_name(hass, MAINS) == f"{mains} {available}"
    assert _friendly_name(hass, "sensor.sot_punkt_kall_site_status") == (
        "SOT-punkt Kall " + SWEDISH["entity"]["sensor"]["site_mode"]["name"]
    )


async def test_an_id_the_user_chose_is_kept(
    hass: HomeAssistant, sim: SimulatedSite, entity_registry: er.EntityRegistry
) -> None:
    """An entity the user renamed keeps its id and name across a reload."""
    entry = site_entry(sim)
    await _set_up(hass, entry, "sv")
    entity_registry.async_update_entity(
        MAINS, new_entity_id="binary_sensor.elnatet", name="Elnätet"
    )

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    renamed = entity_registry.async_get("binary_sensor.elnatet")
    assert renamed is not None
    assert renamed.unique_id == f"{entry.entry_id}_mains_available"
    assert renamed.name == "Elnätet"
    assert hass.states.get("binary_sensor.elnatet") is not None
    assert entity_registry.async_get(MAINS) is None
    assert hass.states.get(MAINS) is None


def _dashboard_entity_ids(node: Any, key: str | None = None) -> set[str]:
    """The `entity:` values and list entries of the dashboard that are entity ids."""
    if isinstance(node, dict):
        return set().union(
            *(_dashboard_entity_ids(value, name) for name, value in node.items())
        )
    if isinstance(node, list):
        return set().union(*(_dashboard_entity_ids(item, "") for item in node))
    if isinstance(node, str) and key in ("entity", "") and ENTITY_ID.match(node):
        return {node}
    return set()


async def test_the_shipped_dashboard_finds_its_entities(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """Every entity the dashboard shows exists in a Swedish "SOT-punkt Kall"."""
    dashboard = load_yaml_dict(str(REPO / "dashboards" / "sot_point.yaml"))
    wanted = _dashboard_entity_ids(dashboard)
    assert MAINS in wanted
    assert "switch.warm_room_heater" in wanted

    await _set_up(hass, site_entry(sim), "sv")

    missing = sorted(e for e in wanted if hass.states.get(e) is None)
    assert missing == []
