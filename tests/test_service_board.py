# ruff: noqa: RUF001 - opening hours are written with the Swedish dash
"""The service board in Home Assistant against the simulator.

The association sets a service through its select, its text entities or
`sot_point.set_services`; the status object (what the info page, SMS STATUS
and the uplink read) carries it at once; it survives a restart. The warm
room follows the heater, fuel the pump's power, and an old state falls back
to unknown.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import entity_registry as er
import probatio as vol
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.sot_point.const import DOMAIN
from custom_components.sot_point.hardware.state import ControlMode
from custom_components.sot_point.rules.services_board import (
    CONF_LOCAL_RADIO,
    CONF_OFFERED,
    CONF_PUMP_ON_GENERATOR,
    CONF_SERVICE_BOARD,
    CONF_STALE_HOURS,
)
from simulator.server import SimulatedSite

from .conftest import load_site, refresh, site_entry, state_of

STORE = "select.sot_punkt_kall_store"
FUEL = "select.sot_punkt_kall_fuel"
WARM_ROOM = "select.sot_punkt_kall_warm_room"
STORE_NOTE = "text.sot_punkt_kall_store_note"
STORE_HOURS = "text.sot_punkt_kall_store_opening_hours"
RADIO = "P4 Jämtland 93,8 MHz"


def _board(**changes: Any) -> dict[str, Any]:
    return {
        CONF_SERVICE_BOARD: {
            CONF_OFFERED: ["store", "fuel", "warm_room"],
            CONF_PUMP_ON_GENERATOR: False,
            CONF_STALE_HOURS: 12.0,
            CONF_LOCAL_RADIO: RADIO,
        }
        | changes
    }


async def _load(hass: HomeAssistant, sim: SimulatedSite, **changes: Any) -> Any:
    return await load_site(hass, site_entry(sim, options=_board(**changes)))


def _status_services(entry: MockConfigEntry) -> dict[str, dict[str, Any]]:
    status = entry.runtime_data.status()
    return {service["key"]: service for service in status["services"]}


async def _select(hass: HomeAssistant, entity_id: str, option: str) -> None:
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: entity_id, "option": option},
        blocking=True,
    )


async def _set_text(hass: HomeAssistant, entity_id: str, value: str) -> None:
    await hass.services.async_call(
        "text", "set_value", {ATTR_ENTITY_ID: entity_id, "value": value}, blocking=True
    )


async def _set_services(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    services: list[dict[str, Any]],
    context: Context | None = None,
) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "set_services",
        {"config_entry_id": entry.entry_id, "services": services},
        blocking=True,
        return_response=True,
        context=context,
    )
    assert response is not None
    return dict(response)


async def test_only_offered_services_get_entities_on_the_sites_device(
    hass: HomeAssistant, sim: SimulatedSite, entity_registry: er.EntityRegistry
) -> None:
    """A select and two texts per offered service; none for the others."""
    entry = await _load(hass, sim)
    ours = {
        e.entity_id
        for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if e.domain in ("select", "text")
    }
    assert {STORE, FUEL, WARM_ROOM, STORE_NOTE, STORE_HOURS} <= ours
    assert "select.sot_punkt_kall_shower" not in ours
    store = entity_registry.async_get(STORE)
    assert store is not None
    site_device = entity_registry.async_get(
        "binary_sensor.sot_punkt_kall_outage_in_progress"
    )
    assert site_device is not None
    assert store.device_id == site_device.device_id
    # Never set: the page cannot say either.
    assert state_of(hass, STORE) == "unknown"
    assert _status_services(entry)["store"]["state"] == "unknown"
    assert entry.runtime_data.status()["local_radio"] == RADIO


async def test_the_select_and_texts_set_the_board_which_survives_a_restart(
    hass: HomeAssistant, sim: SimulatedSite, hass_storage: dict[str, Any]
) -> None:
    """The store closed for the night, with a note and its hours, kept on disk."""
    entry = await _load(hass, sim)
    await _select(hass, STORE, "closed")
    await _set_text(hass, STORE_NOTE, "  Öppnar kl 08 ")
    await _set_text(hass, STORE_HOURS, "08–20")
    assert state_of(hass, STORE) == "closed"
    state = hass.states.get(STORE)
    assert state is not None
    assert state.attributes["source"] == "manual"
    assert state_of(hass, STORE_NOTE) == "Öppnar kl 08"
    store = _status_services(entry)["store"]
    assert (store["state"], store["note"], store["hours"], store["source"]) == (
        "closed",
        "Öppnar kl 08",
        "08–20",
        "manual",
    )
    await hass.async_block_till_done()
    kept = hass_storage[f"{DOMAIN}.{entry.entry_id}.services"]["data"]["services"]
    assert kept["store"]["state"] == "closed"
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, STORE) == "closed"
    assert state_of(hass, STORE_HOURS) == "08–20"
    await _set_text(hass, STORE_NOTE, "")
    assert _status_services(entry)["store"]["note"] is None


async def test_set_services_sets_several_at_once(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """One call, three services; the board comes back in the response."""
    entry = await _load(hass, sim)
    response = await _set_services(
        hass,
        entry,
        [
            {"service": "store", "state": "limited", "note": "Endast kontant"},
            {"service": "fuel", "state": "open", "hours": "07–22"},
            {"service": "warm_room", "state": "open"},
        ],
    )
    shown = {s["key"]: s for s in response["services"]}
    assert shown["store"]["note"] == "Endast kontant"
    assert state_of(hass, STORE) == "limited"
    assert state_of(hass, FUEL) == "open"
    assert _status_services(entry)["fuel"]["hours"] == "07–22"


@pytest.mark.parametrize(
    ("services", "key"),
    [
        ([{"service": "shower", "state": "open"}], "service_not_offered"),
        ([{"service": "store"}], "service_nothing_to_set"),
        ([{"service": "store", "note": "x" * 41}], "service_note_too_long"),
        ([{"service": "store", "hours": "x" * 61}], "service_hours_too_long"),
        (
            [{"service": "store", "state": "open"}, {"service": "store", "note": "a"}],
            "service_given_twice",
        ),
    ],
)
async def test_refusals_are_translated_and_change_nothing(
    hass: HomeAssistant,
    sim: SimulatedSite,
    services: list[dict[str, Any]],
    key: str,
) -> None:
    """A bad call is refused whole, in words, before anything is set."""
    entry = await _load(hass, sim)
    with pytest.raises(ServiceValidationError) as err:
        await _set_services(
            hass, entry, [{"service": "fuel", "state": "open"}, *services]
        )
    assert err.value.translation_key == key
    assert str(err.value)  # the translation exists and fills in
    assert state_of(hass, FUEL) == "unknown"


async def test_unknown_services_and_states_are_refused_by_the_schema(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """Neither a sauna nor a state of "maybe" reaches the board."""
    entry = await _load(hass, sim)
    for services in (
        [{"service": "sauna", "state": "open"}],
        [{"service": "store", "state": "maybe"}],
        [],
    ):
        with pytest.raises(vol.Invalid):
            await _set_services(hass, entry, services)


async def test_a_read_only_user_cannot_set_services(
    hass: HomeAssistant, sim: SimulatedSite, hass_read_only_user: MockUser
) -> None:
    """The same permission as every other action on the site."""
    entry = await _load(hass, sim)
    with pytest.raises(Unauthorized):
        await _set_services(
            hass,
            entry,
            [{"service": "store", "state": "open"}],
            Context(user_id=hass_read_only_user.id),
        )
    assert state_of(hass, STORE) == "unknown"


async def test_the_warm_room_follows_the_heater(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """Heater on and warm: open; cooled down: limited; heater off: closed."""
    entry = await _load(hass, sim)
    sim.site.set_heater(True)
    sim.site.set_room_temperature(20.5)
    await refresh(hass, entry)
    assert state_of(hass, WARM_ROOM) == "open"
    state = hass.states.get(WARM_ROOM)
    assert state is not None
    assert state.attributes["source"] == "heater"
    assert _status_services(entry)["warm_room"]["source"] == "heater"
    sim.site.set_room_temperature(11.0)
    await refresh(hass, entry)
    assert state_of(hass, WARM_ROOM) == "limited"
    sim.site.set_heater(False)
    await refresh(hass, entry)
    assert state_of(hass, WARM_ROOM) == "closed"
    # The association's "open" does not warm a room with its heater off.
    await _select(hass, WARM_ROOM, "open")
    assert state_of(hass, WARM_ROOM) == "closed"


async def test_fuel_follows_the_pumps_power(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """Open by hand; closed by the power cut; open again when the mains is back."""
    entry = await _load(hass, sim, **{CONF_PUMP_ON_GENERATOR: True})
    await _set_services(hass, entry, [{"service": "fuel", "state": "open"}])
    # Run by hand: nobody starts the set, the pump's circuit is dead.
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, entry)
    sim.site.lose_mains()
    sim.advance(10)
    await refresh(hass, entry)
    await refresh(hass, entry)
    assert state_of(hass, "sensor.sot_punkt_kall_site_status") == "outage_no_backup"
    assert state_of(hass, FUEL) == "closed"
    fuel = _status_services(entry)["fuel"]
    assert (fuel["state"], fuel["source"]) == ("closed", "pump_power")
    sim.site.restore_mains()
    sim.advance(10)
    await refresh(hass, entry)
    await refresh(hass, entry)
    assert state_of(hass, FUEL) == "open"
    assert _status_services(entry)["fuel"]["source"] == "manual"


# Home Assistant's clock runs on between the jumps (see test_entity_names.py).
@pytest.mark.freeze_time("2026-11-24 12:00:00+00:00", tick=True)
async def test_a_stale_state_falls_back_to_unknown(
    hass: HomeAssistant, sim: SimulatedSite, freezer: FrozenDateTimeFactory
) -> None:
    """Open 13 hours ago with 12 allowed: unknown until someone confirms it."""
    entry = await _load(hass, sim)
    await _set_services(
        hass, entry, [{"service": "store", "state": "open", "note": "Välkommen"}]
    )
    freezer.tick(timedelta(hours=11))
    await refresh(hass, entry)
    assert state_of(hass, STORE) == "open"
    freezer.tick(timedelta(hours=2))
    await refresh(hass, entry)
    assert state_of(hass, STORE) == "unknown"
    store = _status_services(entry)["store"]
    assert (store["state"], store["source"], store["note"]) == (
        "unknown",
        "stale",
        None,
    )
    # Choosing "open" again confirms it.
    await _select(hass, STORE, "open")
    assert state_of(hass, STORE) == "open"


async def test_a_service_no_longer_offered_leaves_the_registry(
    hass: HomeAssistant, sim: SimulatedSite, entity_registry: er.EntityRegistry
) -> None:
    """Taken off the options: its select and texts go, the others stay."""
    entry = await _load(hass, sim)
    assert entity_registry.async_get_entity_id(
        "select", DOMAIN, f"{entry.entry_id}_service_fuel"
    )
    hass.config_entries.async_update_entry(
        entry, options=entry.options | _board(**{CONF_OFFERED: ["store"]})
    )
    await hass.async_block_till_done()
    for domain, key in (
        ("select", "service_fuel"),
        ("text", "service_fuel_note"),
        ("text", "service_warm_room_hours"),
    ):
        unique_id = f"{entry.entry_id}_{key}"
        assert entity_registry.async_get_entity_id(domain, DOMAIN, unique_id) is None
    assert state_of(hass, STORE) == "unknown"
    assert list(_status_services(entry)) == ["store"]
