"""Reservkraft vid strömavbrott: a power cut, the controller in Auto or run by hand."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import re
from typing import Any

from freezegun.api import TickingDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    ControlKey,
    control_words,
)
from custom_components.sot_point.hardware.state import ControlMode
from simulator.faults import FaultKind
from simulator.server import SimulatedSite

from ..conftest import fast_control as control, running, state_of
from .conftest import (
    AUTONOMY,
    BACKUP,
    ENGINE,
    LOCK,
    MAINS,
    MODE,
    STATUS,
    Note,
    Person,
    Sidebar,
    dse_writes,
    has_run,
    later,
    notifications,
    refresh,
    settle,
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


async def test_outage_in_auto_tells_people_and_sends_no_command(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
) -> None:
    """Controller in Auto: everyone hears of the cut, then of backup power.

    The blueprint itself never writes to the controller.
    """
    anna, bertil, cecilia = on_call
    await use_blueprint(hass, BLUEPRINT, _inputs(site, on_call))

    sim.site.lose_mains()
    await refresh(hass, site)
    assert state_of(hass, STATUS) == "starting"
    await wait_for(lambda: len(bertil.calls) == 1)
    for person in (anna, bertil):
        assert len(person.messages) == 1
        assert "startar reservkraften själv" in person.messages[0]
        assert person.actions() == []
    assert cecilia.calls == []  # not on this automation's list

    sim.advance(sim.site.config.timings.time_to_load() + 5)
    await refresh(hass, site)
    assert state_of(hass, STATUS) == "backup_power"
    await wait_for(lambda: "Reservkraften går" in bertil.messages[-1])
    assert "Reservkraften går" in anna.messages[-1]
    assert dse_writes(sim) == []


async def test_outage_first_seen_at_boot_is_asked_like_a_new_one(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
) -> None:
    """Home Assistant comes back on generator power before the gateway does.

    The grid went while it was down; the site sets up with nothing
    answering, and once the gateway answers the outage is announced, and a
    site run by hand is asked, as for any new outage.
    """
    anna, _bertil, _ = on_call
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    await use_blueprint(hass, BLUEPRINT, _inputs(site, on_call))
    assert await hass.config_entries.async_unload(site.entry_id)
    sim.site.lose_mains()
    sim.faults.enable(rate=1.0, kinds={FaultKind.DISCONNECT: 1.0})
    assert await hass.config_entries.async_setup(site.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, STATUS) == "unavailable"
    await settle()
    assert anna.calls == []

    sim.faults.disable()
    await refresh(hass, site)
    assert state_of(hass, STATUS) == "outage_no_backup"
    await wait_for(lambda: len(anna.actions()) == 2)
    start, not_now = anna.actions()
    assert start.startswith("START_")
    assert not_now.startswith("NOT_NOW_")
    outage = site.runtime_data.journal.open_outage
    assert outage is not None
    assert outage.data["start_uncertain"] is True


async def test_outage_in_manual_start_answered(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
) -> None:
    """Run by hand: Anna is asked, presses Start; the set starts and takes the load."""
    anna, bertil, _ = on_call
    control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    await use_blueprint(hass, BLUEPRINT, _inputs(site, on_call))

    sim.site.lose_mains()
    await refresh(hass, site)
    assert state_of(hass, STATUS) == "outage_no_backup"
    await wait_for(lambda: len(anna.actions()) == 2)
    start, not_now = anna.actions()
    assert start.startswith("START_")
    assert not_now.startswith("NOT_NOW_")
    assert bertil.calls == []  # one person at a time

    async with running(sim):
        anna.press(hass, start)
        await until(hass, site, lambda: state_of(hass, STATUS) == "backup_power")
        await wait_for(lambda: "Reservkraften går" in bertil.messages[-1])
    writes = dse_writes(sim)
    assert writes[0] == control_words(ControlKey.START_ENGINE)
    assert writes[-1] == control_words(ControlKey.TRANSFER_TO_GENERATOR)
    assert "Reservkraften går" in anna.messages[-1]
    assert "Reservkraften går" in bertil.messages[-1]


async def test_no_answer_goes_to_the_next_then_a_persistent_notification(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Anna does not answer: Bertil is asked; nobody answers: Home Assistant says so."""
    anna, bertil, _ = on_call
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    await use_blueprint(hass, BLUEPRINT, _inputs(site, on_call))

    sim.site.lose_mains()
    await refresh(hass, site)
    await wait_for(lambda: len(anna.actions()) == 2)
    assert bertil.calls == []

    await later(hass, clock, timedelta(minutes=5, seconds=1))
    await wait_for(lambda: len(bertil.actions()) == 2)
    assert bertil.actions() == anna.actions()

    await later(hass, clock, timedelta(minutes=5, seconds=1))
    await wait_for(lambda: bool(notifications(hass)))
    notes = notifications(hass)
    assert f"sot_point_outage_{site.entry_id}" in notes
    assert "ingen på jourlistan svarade" in str(notes)
    assert dse_writes(sim) == []


async def test_maintenance_lock_nothing_asked_nothing_written(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
) -> None:
    """Lock on, run by hand: people are told the lock is on; no question, no command."""
    anna, bertil, _ = on_call
    sim.site.set_mode(ControlMode.MANUAL)
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": LOCK}, blocking=True
    )
    await refresh(hass, site)
    await use_blueprint(hass, BLUEPRINT, _inputs(site, on_call))

    sim.site.lose_mains()
    await refresh(hass, site)
    await wait_for(lambda: len(bertil.calls) == 1)
    for person in (anna, bertil):
        assert "Underhållslåset är på" in person.messages[0]
        assert person.actions() == []
    assert dse_writes(sim) == []


async def test_auto_fails_to_start_someone_goes(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Auto, but no backup power after 3 minutes: who goes? Anna does; all hear it."""
    anna, bertil, _ = on_call
    sim.site.fail_next_cranks(3)
    await use_blueprint(hass, BLUEPRINT, _inputs(site, on_call))

    sim.site.lose_mains()
    await refresh(hass, site)
    await wait_for(lambda: len(anna.calls) == 1)
    await later(hass, clock, timedelta(minutes=3, seconds=1))
    await wait_for(lambda: len(anna.actions()) == 2)
    assert "Kan du åka till butiken?" in anna.messages[-1]
    going, _ = anna.actions()
    assert going.startswith("GO_")

    anna.press(hass, going)
    await wait_for(lambda: "Anna åker till butiken" in bertil.messages[-1])
    assert dse_writes(sim) == []


async def test_manual_site_asks_before_moving_the_load_back(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Mains back, site run by hand: asked first; load to mains, cool-down, stop.

    Once the load is on the mains the outage is over, and everyone hears how
    long it lasted.
    """
    anna, bertil, _ = on_call
    control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    await use_blueprint(hass, BLUEPRINT, _inputs(site, on_call))
    sim.site.lose_mains()
    await refresh(hass, site)
    start, _ = anna.actions()
    async with running(sim):
        anna.press(hass, start)
        await until(hass, site, lambda: state_of(hass, STATUS) == "backup_power")
        await wait_for(lambda: "Reservkraften går" in anna.messages[-1])

        sim.site.set_tank_litres(sim.site.tank.litres - 2.5)  # what it burnt
        sim.site.restore_mains()
        await refresh(hass, site)
        assert state_of(hass, MAINS) == "on"
        assert state_of(hass, BACKUP) == "on"  # nothing moves by itself
        await later(hass, clock, timedelta(minutes=2, seconds=1))
        await wait_for(lambda: anna.actions()[0].startswith("TO_MAINS_"))
        to_mains, _ = anna.actions()
        assert "Flytta lasten tillbaka till nätet?" in anna.messages[-1]
        assert sim.site.controller.on_load

        anna.press(hass, to_mains)
        await until(hass, site, lambda: state_of(hass, BACKUP) == "off")
        await wait_for(lambda: "Lasten ligger på nätet igen" in bertil.messages[-1])
        assert dse_writes(sim)[-1] == control_words(ControlKey.TRANSFER_TO_MAINS)
        assert state_of(hass, ENGINE) == "running"  # cooling down off load

        await later(hass, clock, timedelta(minutes=5, seconds=1))
        await wait_for(
            lambda: dse_writes(sim)[-1] == control_words(ControlKey.SELECT_STOP)
        )
        await until(hass, site, lambda: "Avbrottet är över" in anna.messages[-1])
    # The fuel used as a Swedish reader writes it: a decimal comma, a unit.
    assert re.search(r"Reservkraften använde \d+,\d L diesel\.$", anna.messages[-1])


def _alone(site: MockConfigEntry, notify_in_ha: bool) -> dict[str, Any]:
    """A site with nobody's phone on the list."""
    return {**_inputs(site, []), "notify_in_ha": notify_in_ha}


async def test_no_phones_the_outage_is_shown_in_home_assistant(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    sidebar: Sidebar,
) -> None:
    """No phone, shown in Home Assistant, Auto: the power cut, then backup power.

    One notification for the outage, replaced as it goes on, like the message
    on a phone.
    """
    await use_blueprint(hass, BLUEPRINT, _alone(site, notify_in_ha=True))

    sim.site.lose_mains()
    await refresh(hass, site)
    outage, note = await sidebar.saying("startar reservkraften själv")
    assert outage == f"sot_point_outage_{site.entry_id}"
    assert note == Note(
        "Strömavbrott \N{EN DASH} SOT-punkt Kall",
        "Nätet är borta. Styrenheten står i Auto och startar reservkraften själv.",
    )

    sim.advance(sim.site.config.timings.time_to_load() + 5)
    await refresh(hass, site)
    assert state_of(hass, STATUS) == "backup_power"
    await sidebar.saying("Reservkraften går och butiken har ström.")
    assert list(await sidebar.notes()) == [outage]
    assert dse_writes(sim) == []


async def test_no_phones_not_shown_in_home_assistant_nothing_is_created(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    sidebar: Sidebar,
) -> None:
    """No phone and not shown in Home Assistant: a cut the set handles says nothing."""
    await use_blueprint(hass, BLUEPRINT, _alone(site, notify_in_ha=False))

    sim.site.lose_mains()
    await refresh(hass, site)
    sim.advance(sim.site.config.timings.time_to_load() + 5)
    await refresh(hass, site)
    assert state_of(hass, STATUS) == "backup_power"
    await wait_for(lambda: has_run(hass, BLUEPRINT))
    await settle()
    assert await sidebar.notes() == {}


@pytest.mark.parametrize("notify_in_ha", [False, True])
async def test_no_phones_run_by_hand_says_at_once_there_is_nobody_to_ask(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    sidebar: Sidebar,
    notify_in_ha: bool,
) -> None:
    """Run by hand with nobody to ask: Home Assistant says so at once.

    Nobody is waited for, no question is shown that nobody can answer, and
    nothing is started.
    """
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    await use_blueprint(hass, BLUEPRINT, _alone(site, notify_in_ha))

    sim.site.lose_mains()
    await refresh(hass, site)
    outage, note = await sidebar.saying("ingen telefon på jourlistan")
    assert outage == f"sot_point_outage_{site.entry_id}"
    assert note.title == "SOT-punkt Kall: ingen att fråga"
    assert '"Starta reservkraft?"' in note.message
    assert "reservkraften är inte startad" in note.message
    assert list(await sidebar.notes()) == [outage]
    assert dse_writes(sim) == []


async def test_no_phones_in_english(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    sidebar: Sidebar,
) -> None:
    """The language input holds for what Home Assistant shows, too."""
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    await use_blueprint(
        hass, BLUEPRINT, {**_alone(site, notify_in_ha=True), "language": "en"}
    )

    sim.site.lose_mains()
    await refresh(hass, site)
    _, note = await sidebar.saying("There is no phone on the on-call list")
    assert note.title == "SOT-punkt Kall: nobody to ask"
    assert "buttons and actions in Home Assistant" in note.message


async def test_phones_and_home_assistant_both_told(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
    sidebar: Sidebar,
) -> None:
    """Phones and Home Assistant get the same title and message.

    The phones' payload is as without Home Assistant: the run's tag, no more.
    """
    anna, bertil, _ = on_call
    await use_blueprint(
        hass, BLUEPRINT, {**_inputs(site, on_call), "notify_in_ha": True}
    )

    sim.site.lose_mains()
    await refresh(hass, site)
    await wait_for(lambda: len(bertil.calls) == 1)
    _, note = await sidebar.saying("startar reservkraften själv")
    for person in (anna, bertil):
        (call,) = person.calls
        assert note == Note(call.data["title"], call.data["message"])
        assert set(call.data["data"]) == {"tag"}
        assert call.data["data"]["tag"].startswith("sot_point_")


async def test_question_shown_in_home_assistant_answered_on_the_phone(
    hass: HomeAssistant,
    *,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
    sidebar: Sidebar,
    clock: TickingDateTimeFactory,
) -> None:
    """Run by hand: Home Assistant shows what is asked, of whom, and the outcome.

    The answer buttons are on the phones only; Bertil presses Start.
    """
    anna, bertil, _ = on_call
    control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    await use_blueprint(
        hass, BLUEPRINT, {**_inputs(site, on_call), "notify_in_ha": True}
    )

    sim.site.lose_mains()
    await refresh(hass, site)
    await wait_for(lambda: len(anna.actions()) == 2)
    outage, note = await sidebar.saying("Frågan har skickats till Anna.")
    assert (
        note.title
        == anna.calls[0].data["title"]
        == "Starta reservkraft? \N{EN DASH} SOT-punkt Kall"
    )
    assert note.message.startswith(anna.messages[0])
    assert "Svara i telefonen" in note.message

    await later(hass, clock, timedelta(minutes=5, seconds=1))
    await wait_for(lambda: len(bertil.actions()) == 2)
    await sidebar.saying("Frågan har skickats till Bertil.")

    start, _ = bertil.actions()
    async with running(sim):
        bertil.press(hass, start)
        await until(hass, site, lambda: state_of(hass, STATUS) == "backup_power")
        await wait_for(lambda: "Reservkraften går" in bertil.messages[-1])
    notes = await sidebar.notes()
    assert list(notes) == [outage]
    assert notes[outage] == Note(
        bertil.calls[-1].data["title"], bertil.calls[-1].data["message"]
    )
    assert "(startad av Bertil)" in notes[outage].message


async def test_question_leaves_home_assistant_when_it_settles_itself(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
    sidebar: Sidebar,
) -> None:
    """Mains returns before anyone answers: no open question stays behind.

    Home Assistant then shows that the outage is over, as the phones do.
    """
    anna, _, _ = on_call
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    await use_blueprint(
        hass, BLUEPRINT, {**_inputs(site, on_call), "notify_in_ha": True}
    )

    sim.site.lose_mains()
    await refresh(hass, site)
    await wait_for(lambda: len(anna.actions()) == 2)
    await sidebar.saying("Frågan har skickats till Anna.")

    sim.site.restore_mains()
    await until(hass, site, lambda: "Avbrottet är över" in anna.messages[-1])
    outage, note = await sidebar.saying("Avbrottet är över")
    assert note == Note(anna.calls[-1].data["title"], anna.messages[-1])
    assert list(await sidebar.notes()) == [outage]
    assert dse_writes(sim) == []


async def test_question_leaves_home_assistant_when_started_at_the_panel(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
    sidebar: Sidebar,
) -> None:
    """Someone at the site starts backup power by hand: the question is withdrawn.

    Nobody else is asked, and Home Assistant no longer shows it.
    """
    anna, bertil, _ = on_call
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    await use_blueprint(
        hass, BLUEPRINT, {**_inputs(site, on_call), "notify_in_ha": True}
    )

    sim.site.lose_mains()
    await refresh(hass, site)
    await wait_for(lambda: len(anna.actions()) == 2)
    await sidebar.saying("Frågan har skickats till Anna.")

    async with running(sim):
        sim.site.press_key(ControlKey.START_ENGINE)
        await until(hass, site, lambda: state_of(hass, ENGINE) == "running")
        # The transfer is taken once the set is in band: press until it is.
        async with asyncio.timeout(10):
            while state_of(hass, STATUS) != "backup_power":
                sim.site.press_key(ControlKey.TRANSFER_TO_GENERATOR)
                await refresh(hass, site)
    assert await sidebar.wait_for(lambda notes: notes == {}) == {}
    assert bertil.calls == []


ROLLING = "binary_sensor.sot_punkt_kall_rolling_outages"


def _hold_inputs(
    site: MockConfigEntry, phones: list[Person], minimum_h: float
) -> dict[str, Any]:
    return _inputs(site, phones) | {
        "rolling_entity": ROLLING,
        "autonomy_entity": AUTONOMY,
        "hold_minutes": 20,
        "hold_min_autonomy": minimum_h,
    }


async def _two_short_outages(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """Two turns of the grid going and coming, each journaled as an outage."""
    for _ in range(2):
        sim.site.lose_mains()
        await refresh(hass, site)
        sim.site.restore_mains()
        await refresh(hass, site)


async def _third_outage_on_backup(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry, anna: Person
) -> None:
    """The third turn on a site run by hand: started, load on the generator."""
    sim.site.lose_mains()
    await refresh(hass, site)
    assert state_of(hass, ROLLING) == "on"
    start, _ = anna.actions()
    anna.press(hass, start)
    await until(hass, site, lambda: state_of(hass, STATUS) == "backup_power")


async def test_rolling_outages_hold_the_load_on_backup_power_then_return_it(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Three outages within six hours, run by hand, hold 20 min.

    The people on call hear that outages roll; at the third return the load
    stays on the generator for the hold (no question, no write), then the
    question to move it back comes and the load goes back to the mains.
    """
    anna, bertil, _ = on_call
    control(site)
    await _two_short_outages(hass, sim, site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    await use_blueprint(hass, BLUEPRINT, _hold_inputs(site, on_call, 12))
    async with running(sim):
        await _third_outage_on_backup(hass, sim, site, anna)
        await wait_for(
            lambda: any("Avbrotten är rullande: 3" in m for m in bertil.messages)
        )
        writes = len(dse_writes(sim))
        sim.site.restore_mains()
        await refresh(hass, site)
        await later(hass, clock, timedelta(minutes=2, seconds=1))
        await wait_for(
            lambda: "Lasten ligger kvar på reservkraften till" in anna.messages[-1]
        )
        # Ten minutes into the hold: still on the generator, nobody asked.
        await later(hass, clock, timedelta(minutes=10))
        await refresh(hass, site)
        assert state_of(hass, BACKUP) == "on"
        assert not anna.actions()[0].startswith("TO_MAINS_")
        assert len(dse_writes(sim)) == writes
        # The hold over: asked, and the load goes back to the mains.
        await later(hass, clock, timedelta(minutes=10, seconds=1))
        await wait_for(lambda: anna.actions()[0].startswith("TO_MAINS_"))
        to_mains, _ = anna.actions()
        anna.press(hass, to_mains)
        await until(hass, site, lambda: state_of(hass, BACKUP) == "off")
    assert dse_writes(sim)[-1] == control_words(ControlKey.TRANSFER_TO_MAINS)


async def test_rolling_outages_never_hold_with_too_little_fuel(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """The fuel lasts less than the minimum: told so, and asked at once."""
    anna, _, _ = on_call
    control(site)
    await _two_short_outages(hass, sim, site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    # More hours than any tank holds: the hold is never allowed.
    await use_blueprint(hass, BLUEPRINT, _hold_inputs(site, on_call, 168))
    async with running(sim):
        await _third_outage_on_backup(hass, sim, site, anna)
        sim.site.restore_mains()
        await refresh(hass, site)
        await later(hass, clock, timedelta(minutes=2, seconds=1))
        await wait_for(lambda: anna.actions()[0].startswith("TO_MAINS_"))
        assert any("bränslet räcker inte" in message for message in anna.messages)
