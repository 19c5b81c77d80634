"""Värmestuga: the heater relay at the simulator follows the room and the generator."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
import re
from typing import Any

from freezegun.api import TickingDateTimeFactory
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers.event import (
    EventStateChangedData,
    async_track_state_change_event,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import (
    CONF_MINIMUM_AUTONOMY,
    CONF_TANK_CAPACITY,
    CONF_TANK_USABLE,
)
from demo.setup_site import MINIMUM_AUTONOMY_H
from simulator.server import SimulatedSite
from tests.conftest import load_site, site_entry

from ..conftest import state_of
from .conftest import (
    AUTONOMY,
    BACKUP,
    HEATER,
    LOAD,
    ROOM,
    STATUS,
    Note,
    Person,
    Sidebar,
    later,
    refresh,
    use_blueprint,
    wait_for,
)

BLUEPRINT = "varmestuga.yaml"
OPEN = "input_boolean.warm_room_open"


def _inputs(phones: list[Person], **changes: Any) -> dict[str, Any]:
    return {
        "heater_entity": HEATER,
        "temperature_entity": ROOM,
        "backup_entity": BACKUP,
        "load_entity": LOAD,
        "autonomy_entity": AUTONOMY,
        "open_entity": OPEN,
        "setpoint": 18,
        "hysteresis": 1,
        "frost_temperature": 5,
        "people": [person.device_id for person in phones[:1]],
        "min_on_minutes": 0,
        "min_off_minutes": 0,
        **changes,
    }


async def _open(hass: HomeAssistant, is_open: bool) -> None:
    await hass.services.async_call(
        "input_boolean",
        "turn_on" if is_open else "turn_off",
        {"entity_id": OPEN},
        blocking=True,
    )


async def _room(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry, celsius: float
) -> None:
    sim.site.set_room_temperature(celsius)
    await refresh(hass, site)
    assert float(state_of(hass, ROOM)) == celsius


def _relay(sim: SimulatedSite) -> bool:
    """The heater relay at the simulator's I/O module, on or off."""
    return sim.site.heater_relay


async def _heater_becomes(sim: SimulatedSite, on: bool) -> None:
    await wait_for(lambda: _relay(sim) is on)


async def _outage_on_backup(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """Mains fails; the controller in Auto puts the load on the generator."""
    sim.site.lose_mains()
    await refresh(hass, site)
    sim.advance(sim.site.config.timings.time_to_load() + 5)
    await refresh(hass, site)
    assert state_of(hass, STATUS) == "backup_power"


async def test_hysteresis_while_open_and_frost_protection_when_closed(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
) -> None:
    """Open: on below 18 °C, off at 19 °C, as it was in between. Closed: 5 °C."""
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"warm_room_open": {}}}
    )
    await _open(hass, True)
    await use_blueprint(hass, BLUEPRINT, _inputs(phones))

    await _room(hass, sim, site, 16.0)
    await _heater_becomes(sim, True)
    await _room(hass, sim, site, 18.5)  # inside the band: stays on
    assert _relay(sim) is True
    await _room(hass, sim, site, 19.0)
    await _heater_becomes(sim, False)
    await _room(hass, sim, site, 18.2)  # inside the band: stays off
    assert _relay(sim) is False
    await _room(hass, sim, site, 17.9)
    await _heater_becomes(sim, True)

    await _open(hass, False)  # closed: only frost protection, 5 °C
    await _heater_becomes(sim, False)
    await _room(hass, sim, site, 6.0)
    assert _relay(sim) is False
    await _room(hass, sim, site, 4.5)
    await _heater_becomes(sim, True)
    await _room(hass, sim, site, 6.0)
    await _heater_becomes(sim, False)
    assert phones[0].calls == []  # nothing was shed, nobody bothered


async def test_minimum_on_time_holds_the_relay(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Warm again after a minute: the heater stays on until its 10 minutes are up."""
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"warm_room_open": {}}}
    )
    await _open(hass, True)
    await use_blueprint(hass, BLUEPRINT, _inputs(phones, min_on_minutes=10))

    await _room(hass, sim, site, 16.0)
    await _heater_becomes(sim, True)
    await later(hass, clock, timedelta(minutes=1))
    await _room(hass, sim, site, 20.0)
    assert _relay(sim) is True
    await later(hass, clock, timedelta(minutes=5))
    assert _relay(sim) is True
    await later(hass, clock, timedelta(minutes=5))
    await _heater_becomes(sim, False)


async def test_load_shedding_on_generator_load(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """On backup power the store's load grows: the heater is shed, Anna is told why.

    When the store's load is back to normal the heater fits again (its own
    40 % counted); after the minimum off time the heat comes back.
    """
    anna = phones[0]
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"warm_room_open": {}}}
    )
    await use_blueprint(
        hass,
        BLUEPRINT,
        # The room is closed: it is heated because the store is on backup power.
        _inputs(
            phones,
            load_limit=70,
            heater_share=40,  # 9 kW of the simulated 24 kW set
            autonomy_limit=10,
            min_off_minutes=5,
        ),
    )
    sim.site.set_room_temperature(15.0)
    await _outage_on_backup(hass, sim, site)
    await _heater_becomes(sim, True)
    sim.advance(2)
    await refresh(hass, site)
    assert 40 < float(state_of(hass, LOAD)) < 70  # store and heater: fine
    assert _relay(sim) is True

    normal = sim.site.config.load
    _store_load(sim, (5000.0, 5000.0, 5000.0))  # freezers and pumps all at once
    sim.advance(2)
    await refresh(hass, site)
    await _heater_becomes(sim, False)
    await wait_for(lambda: len(anna.messages) == 1)
    shed = re.search(
        r"reservkraftverkets last är (\d+) % \(gräns 70 %\)", anna.messages[0]
    )
    assert shed is not None, anna.messages[0]
    assert int(shed.group(1)) > 70

    sim.advance(2)  # without the heater, 15 kW: 62 %, too much to add 40 %
    await refresh(hass, site)
    await later(hass, clock, timedelta(minutes=6))
    assert _relay(sim) is False
    assert len(anna.messages) == 1

    sim.site.config = replace(sim.site.config, load=normal)
    sim.advance(2)
    await refresh(hass, site)
    await wait_for(lambda: len(anna.messages) == 2)
    assert "Last och bränsle räcker igen" in anna.messages[1]
    await later(hass, clock, timedelta(minutes=1))
    await _heater_becomes(sim, True)


def _store_load(sim: SimulatedSite, watts: tuple[float, float, float]) -> None:
    load = replace(sim.site.config.load, store_w=watts, compressor_w=0.0)
    sim.site.config = replace(sim.site.config, load=load)


async def test_load_shedding_on_fuel_autonomy(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """The tank runs low: the heater is shed; a delivery fills it, the heat returns."""
    anna = phones[0]
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"warm_room_open": {}}}
    )
    await use_blueprint(
        hass, BLUEPRINT, _inputs(phones, autonomy_limit=24, heater_share=0)
    )
    sim.site.set_room_temperature(15.0)
    await _outage_on_backup(hass, sim, site)
    await _heater_becomes(sim, True)

    sim.site.set_tank_litres(40)
    sim.advance(2)
    await refresh(hass, site)
    assert float(state_of(hass, AUTONOMY)) < 24
    await _heater_becomes(sim, False)
    await wait_for(lambda: len(anna.messages) == 1)
    assert "bränslet räcker bara" in anna.messages[0]

    sim.site.refill()
    sim.advance(2)
    await refresh(hass, site)
    await wait_for(lambda: len(anna.messages) == 2)
    assert "får slå på igen" in anna.messages[1]
    await later(hass, clock, timedelta(minutes=1))
    await _heater_becomes(sim, True)


async def test_no_phones_load_shedding_shown_in_home_assistant(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    sidebar: Sidebar,
    clock: TickingDateTimeFactory,
) -> None:
    """Nobody on the list: the shedding and its end show in Home Assistant.

    One notification, the second message in place of the first.
    """
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"warm_room_open": {}}}
    )
    await use_blueprint(
        hass,
        BLUEPRINT,
        {
            **_inputs([], autonomy_limit=24, heater_share=0),
            "notify_in_ha": True,
        },
    )
    sim.site.set_room_temperature(15.0)
    await _outage_on_backup(hass, sim, site)
    await _heater_becomes(sim, True)

    sim.site.set_tank_litres(40)
    sim.advance(2)
    await refresh(hass, site)
    await _heater_becomes(sim, False)
    shedding, note = await sidebar.saying("Värmen i värmestugan är avstängd")
    assert shedding == "sot_point_warm_room_shedding"
    assert note.title == "Värmestugan"
    assert "bränslet räcker bara" in note.message

    sim.site.refill()
    sim.advance(2)
    await refresh(hass, site)
    await sidebar.saying("Last och bränsle räcker igen")
    assert list(await sidebar.notes()) == [shedding]
    await later(hass, clock, timedelta(minutes=1))
    await _heater_becomes(sim, True)


async def test_phone_and_home_assistant_both_told_of_shedding(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    sidebar: Sidebar,
) -> None:
    """Anna's phone and Home Assistant get the same message; hers keeps its tag."""
    anna = phones[0]
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"warm_room_open": {}}}
    )
    await use_blueprint(
        hass,
        BLUEPRINT,
        _inputs(phones, autonomy_limit=24, heater_share=0, notify_in_ha=True),
    )
    sim.site.set_room_temperature(15.0)
    await _outage_on_backup(hass, sim, site)
    await _heater_becomes(sim, True)

    sim.site.set_tank_litres(40)
    sim.advance(2)
    await refresh(hass, site)
    await wait_for(lambda: len(anna.messages) == 1)
    _, note = await sidebar.saying("bränslet räcker bara")
    assert note == Note(anna.calls[0].data["title"], anna.messages[0])
    assert anna.calls[0].data["data"] == {"tag": "sot_point_warm_room_shedding"}


@pytest.mark.parametrize("scenario", ["fuel_runs_low"])
async def test_fuel_runs_low_sheds_the_heater_at_the_sites_minimum(
    hass: HomeAssistant,
    sim: SimulatedSite,
    phones: list[Person],
) -> None:
    """The demo's site and inputs on a quarter tank: the warm room is shed.

    The same site and limit keep the heater on through the demo's storm
    (tests/test_demo.py); here a long outage finds 28 usable litres, about
    five hours with the heater on, under the site's 12 h minimum.
    """
    anna = phones[0]
    site = await load_site(
        hass,
        site_entry(
            sim,
            options={
                CONF_TANK_CAPACITY: 200,
                CONF_TANK_USABLE: 180,
                CONF_MINIMUM_AUTONOMY: MINIMUM_AUTONOMY_H,
            },
        ),
    )
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"warm_room_open": {}}}
    )
    await use_blueprint(
        hass,
        BLUEPRINT,
        # As demo/blueprint_inputs.yaml: room closed, heat on backup power.
        {
            **_inputs(phones, autonomy_limit=MINIMUM_AUTONOMY_H),
            "heat_on_backup": True,
        },
    )
    assert _relay(sim) is True  # the scenario starts with the heater on
    # The site's autonomy sensor, each figure with the heater relay as it was.
    shown: list[tuple[float, bool]] = []

    def _note(event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        if state is not None and state.state not in ("unknown", "unavailable"):
            shown.append((float(state.state), _relay(sim)))

    async_track_state_change_event(hass, AUTONOMY, _note)
    shown.append((float(state_of(hass, AUTONOMY)), _relay(sim)))

    sim.advance(30 + sim.site.config.timings.time_to_load() + 5)
    await refresh(hass, site)
    assert state_of(hass, STATUS) == "backup_power"
    await _heater_becomes(sim, False)
    await wait_for(lambda: len(anna.messages) == 1)
    # The message quotes the figure the sensor showed with the heater on.
    hours = round([figure for figure, heater_on in shown if heater_on][-1])
    assert hours < MINIMUM_AUTONOMY_H
    assert anna.messages[0] == (
        f"Värmen i värmestugan är avstängd: bränslet räcker bara {hours} h "
        f"(gräns {MINIMUM_AUTONOMY_H} h)."
    )
