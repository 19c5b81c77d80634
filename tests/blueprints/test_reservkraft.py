"""Reservkraft vid strömavbrott: a power cut, the controller in Auto or run by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import TickingDateTimeFactory
from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    ControlKey,
    control_words,
)
from custom_components.sot_point.hardware.state import ControlMode
from simulator.server import SimulatedSite

from .conftest import (
    BACKUP,
    ENGINE,
    LOCK,
    MAINS,
    MODE,
    STATUS,
    Person,
    control,
    dse_writes,
    later,
    press,
    refresh,
    running,
    state_of,
    until,
    use_blueprint,
    wait_for,
)

BLUEPRINT = "reservkraft_vid_stromavbrott.yaml"


def _inputs(site: MockConfigEntry, phones: list[Person]) -> dict[str, Any]:
    return {
        "site": site.entry_id,
        "mains_entity": MAINS,
        "status_entity": STATUS,
        "mode_entity": MODE,
        "engine_entity": ENGINE,
        "backup_entity": BACKUP,
        "maintenance_entity": LOCK,
        "people": [person.device_id for person in phones[:2]],
        "answer_minutes": 5,
        "start_minutes": 3,
    }


def _notifications(hass: HomeAssistant) -> dict[str, Any]:
    return dict(persistent_notification._async_get_or_create_notifications(hass))


async def test_outage_in_auto_tells_people_and_sends_no_command(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
) -> None:
    """Controller in Auto: everyone hears of the cut, then of backup power.

    The blueprint itself never writes to the controller.
    """
    anna, bertil, cecilia = phones
    await use_blueprint(hass, BLUEPRINT, _inputs(site, phones))

    sim.site.lose_mains()
    await refresh(hass, site)
    assert state_of(hass, STATUS) == "starting"
    for person in (anna, bertil):
        assert len(person.messages) == 1
        assert "startar reservkraften själv" in person.messages[0]
        assert person.actions() == []
    assert cecilia.calls == []  # not on this automation's list

    sim.advance(sim.site.config.timings.time_to_load() + 5)
    await refresh(hass, site)
    assert state_of(hass, STATUS) == "backup_power"
    for person in (anna, bertil):
        assert "Reservkraften går" in person.messages[-1]
    assert dse_writes(sim) == []


async def test_outage_in_manual_start_answered(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
) -> None:
    """Run by hand: Anna is asked, presses Start; the set starts and takes the load."""
    anna, bertil, _ = phones
    control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    await use_blueprint(hass, BLUEPRINT, _inputs(site, phones))

    sim.site.lose_mains()
    await refresh(hass, site)
    assert state_of(hass, STATUS) == "outage_no_backup"
    start, not_now = anna.actions()
    assert start.startswith("START_")
    assert not_now.startswith("NOT_NOW_")
    assert bertil.calls == []  # one person at a time

    async with running(sim):
        press(hass, start)
        await until(hass, site, lambda: state_of(hass, STATUS) == "backup_power")
        await wait_for(lambda: "Reservkraften går" in anna.messages[-1])
    writes = dse_writes(sim)
    assert writes[0] == control_words(ControlKey.START_ENGINE)
    assert writes[-1] == control_words(ControlKey.TRANSFER_TO_GENERATOR)
    assert "Reservkraften går" in anna.messages[-1]
    assert "Reservkraften går" in bertil.messages[-1]


async def test_no_answer_goes_to_the_next_then_a_persistent_notification(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Anna does not answer: Bertil is asked; nobody answers: Home Assistant says so."""
    anna, bertil, _ = phones
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    await use_blueprint(hass, BLUEPRINT, _inputs(site, phones))

    sim.site.lose_mains()
    await refresh(hass, site)
    assert len(anna.actions()) == 2
    assert bertil.calls == []

    await later(hass, clock, timedelta(minutes=5, seconds=1))
    assert len(bertil.actions()) == 2
    assert bertil.actions() == anna.actions()

    await later(hass, clock, timedelta(minutes=5, seconds=1))
    notes = _notifications(hass)
    assert f"sot_point_outage_{site.entry_id}" in notes
    assert "ingen på jourlistan svarade" in str(notes)
    assert dse_writes(sim) == []
