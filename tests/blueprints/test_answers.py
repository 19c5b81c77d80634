"""Reservkraft vid strömavbrott: whose answers count, and when they still apply.

Each question carries a nonce of its own in its answer buttons; only the
users of the phones asked can answer it; a Start is looked at again when it
comes; and a question a restart took away is asked again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import TickingDateTimeFactory
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_capture_events,
)

from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    ControlKey,
    control_words,
)
from custom_components.sot_point.hardware.state import AlarmCondition, ControlMode
from simulator.server import SimulatedSite

from ..conftest import fast_control as control, running, state_of
from . import test_larm as larm
from .conftest import (
    BACKUP,
    LOCK,
    MAINS,
    MODE,
    STATUS,
    Person,
    Sidebar,
    dse_writes,
    later,
    notifications,
    press,
    refresh,
    restart,
    settle,
    until,
    use_blueprint,
    wait_for,
)
from .test_reservkraft import BLUEPRINT, _inputs

AUTOMATION = "automation.reservkraft_vid_stromavbrott"


def _nonce(action: str) -> str:
    """What follows the answer's name in an action id."""
    for prefix in ("START_", "NOT_NOW_", "GO_", "TO_MAINS_"):
        if action.startswith(prefix):
            return action.removeprefix(prefix)
    raise AssertionError(action)


def _ignored_note(site: MockConfigEntry) -> str:
    return f"sot_point_outage_{site.entry_id}_ignored"


async def _asked_to_start(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry, first: Person
) -> tuple[str, str]:
    """A power cut on a site run by hand: the first on the list is asked.

    Returns the two buttons of the question, Start and Not now.
    """
    asked_before = len(first.calls)
    sim.site.lose_mains()
    await refresh(hass, site)
    assert state_of(hass, STATUS) == "outage_no_backup"
    await wait_for(lambda: len(first.calls) > asked_before and first.actions() != [])
    start, not_now = first.actions()
    return start, not_now


async def _run_by_hand(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    inputs: dict[str, Any],
) -> None:
    """The controller in Manual, and the automation made with `inputs`."""
    control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    assert state_of(hass, MODE) == "manual"
    await use_blueprint(hass, BLUEPRINT, inputs)


async def _starts_and_takes_the_load(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    person: Person,
    start: str,
) -> None:
    """`person` presses Start: the set starts and the store has power."""
    async with running(sim):
        person.press(hass, start)
        await until(hass, site, lambda: state_of(hass, STATUS) == "backup_power")
        await wait_for(lambda: "Reservkraften går" in person.messages[-1])
    writes = dse_writes(sim)
    assert writes[0] == control_words(ControlKey.START_ENGINE)
    assert writes[-1] == control_words(ControlKey.TRANSFER_TO_GENERATOR)


async def test_each_question_has_its_own_nonce_not_the_runs_context(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
) -> None:
    """Two power cuts, two questions: nothing a user can see gives the buttons away.

    Every user sees the automation's state changes, and with them the
    context of its run; the action ids hold no trace of it. The two buttons
    of one question share a nonce, the next question has another.
    """
    anna = on_call[0]
    seen = async_capture_events(hass, "state_changed")
    await _run_by_hand(hass, sim, site, _inputs(site, on_call))

    first = await _asked_to_start(hass, sim, site, anna)
    first_context = anna.calls[-1].context.id
    sim.site.restore_mains()
    await until(hass, site, lambda: "Avbrottet är över" in anna.messages[-1])
    second = await _asked_to_start(hass, sim, site, anna)
    second_context = anna.calls[-1].context.id
    assert second_context != first_context

    # What every user can read: the automation's state changes, each with
    # the context of the run that made it.
    contexts = {
        event.context.id for event in seen if event.data["entity_id"] == AUTOMATION
    }
    assert {first_context, second_context} <= contexts
    for start, not_now in (first, second):
        assert start.startswith("START_")
        assert not_now.startswith("NOT_NOW_")
        assert _nonce(start) == _nonce(not_now)
        assert len(_nonce(start)) >= 16
        for context in contexts:
            assert context not in start
            assert context not in not_now
    assert _nonce(first[0]) != _nonce(second[0])


@pytest.mark.parametrize(
    ("who", "named"),
    [
        ("cecilia", "från Cecilia,"),  # has a phone, not on this list
        ("bertil", "från Bertil,"),  # on the list, not asked yet
        ("admin", "från användaren "),  # no phone: developer tools, say
        ("nobody", "från någon utan användare,"),  # an event without a user
    ],
)
async def test_an_answer_from_someone_not_asked_is_ignored_and_noted(
    hass: HomeAssistant,
    *,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
    sidebar: Sidebar,
    hass_admin_user: MockUser,
    who: str,
    named: str,
) -> None:
    """Start, pressed by someone not asked: nothing starts, Home Assistant says so.

    Anna, who was asked, still has the question, and her Start works.
    """
    anna, bertil, cecilia = on_call
    await _run_by_hand(hass, sim, site, _inputs(site, on_call))
    start, _ = await _asked_to_start(hass, sim, site, anna)

    user_id = {
        "cecilia": cecilia.user_id,
        "bertil": bertil.user_id,
        "admin": hass_admin_user.id,
        "nobody": None,
    }[who]
    press(hass, start, user_id=user_id)
    note_id, note = await sidebar.saying("räknades inte")
    assert note_id == _ignored_note(site)
    assert note.title == "SOT-punkt Kall: svar ignorerat"
    assert named in note.message
    assert '"Starta reservkraft? \N{EN DASH} SOT-punkt Kall"' in note.message
    await settle()
    assert dse_writes(sim) == []
    assert len(anna.calls) == 1  # still the question, nothing more
    assert bertil.calls == []
    assert cecilia.calls == []

    await _starts_and_takes_the_load(hass, sim, site, anna, start)
    assert "(startad av Anna)" in anna.messages[-1]


async def test_an_ignored_answer_gives_no_more_time_and_the_asked_still_answer(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Anna's five minutes run on after Cecilia's answer; then Bertil is asked.

    Once asked, Bertil may answer, and so may Anna, asked before him.
    """
    anna, bertil, cecilia = on_call
    await _run_by_hand(hass, sim, site, _inputs(site, on_call))
    start, not_now = await _asked_to_start(hass, sim, site, anna)

    await later(hass, clock, timedelta(minutes=2))
    cecilia.press(hass, not_now)
    await wait_for(lambda: _ignored_note(site) in notifications(hass))
    assert "Cecilia" in str(notifications(hass)[_ignored_note(site)])
    await later(hass, clock, timedelta(minutes=3, seconds=1))
    await wait_for(lambda: len(bertil.actions()) == 2)
    assert bertil.actions() == [start, not_now]

    anna.press(hass, not_now)
    await wait_for(lambda: 'Anna svarade "Inte nu"' in bertil.messages[-1])
    assert 'Anna svarade "Inte nu"' in anna.messages[-1]
    assert dse_writes(sim) == []


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("lock", "underhållslåset är på nu"),
        ("auto", "styrenheten står i Auto nu och startar reservkraften själv"),
    ],
)
async def test_start_is_looked_at_again_when_it_comes(
    hass: HomeAssistant,
    *,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
    change: str,
    said: str,
) -> None:
    """The lock went on, or the controller to Auto, before Anna pressed Start.

    Nothing is sent; Anna, and everyone told with her, hears why.
    """
    anna, bertil, _ = on_call
    await _run_by_hand(hass, sim, site, _inputs(site, on_call))
    start, _ = await _asked_to_start(hass, sim, site, anna)

    if change == "lock":
        await hass.services.async_call(
            "switch", "turn_on", {"entity_id": LOCK}, blocking=True
        )
        await refresh(hass, site)
        assert state_of(hass, LOCK) == "on"
    else:
        sim.site.set_mode(ControlMode.AUTO)
        await refresh(hass, site)
        assert state_of(hass, MODE) == "auto"

    anna.press(hass, start)
    await wait_for(lambda: said in anna.messages[-1])
    assert anna.messages[-1].startswith('Anna svarade "Starta", men ')
    assert said in bertil.messages[-1]
    async with running(sim):
        await _a_few_polls(hass, site)
    assert dse_writes(sim) == []
    assert "startar reservkraften." not in " ".join(anna.messages)


async def _a_few_polls(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A few polls while simulated time runs: room for anything sent to act."""
    for _ in range(5):
        await refresh(hass, site)


async def test_a_restart_during_an_outage_asks_again(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
) -> None:
    """Home Assistant restarts while Anna's question waits: she is asked anew.

    The question before the restart has no one waiting for it any more; the
    new one has a nonce of its own, and its Start works.
    """
    anna, bertil, _ = on_call
    await _run_by_hand(hass, sim, site, _inputs(site, on_call))
    old_start, _ = await _asked_to_start(hass, sim, site, anna)

    await restart(hass)
    await wait_for(lambda: len(anna.calls) == 2)
    start, not_now = anna.actions()
    assert start.startswith("START_")
    assert _nonce(start) == _nonce(not_now) != _nonce(old_start)
    assert anna.messages[-1].startswith(
        "Home Assistant har startats om under strömavbrottet och frågar igen"
    )
    assert anna.calls[-1].data["title"].startswith("Starta reservkraft?")
    assert bertil.calls == []

    anna.press(hass, old_start)
    await settle()
    assert len(anna.calls) == 2
    assert dse_writes(sim) == []

    await _starts_and_takes_the_load(hass, sim, site, anna, start)


@pytest.mark.parametrize("situation", ["no_outage", "auto", "on_backup_power"])
async def test_a_restart_with_nothing_to_ask_asks_nothing(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
    situation: str,
) -> None:
    """No power cut, a controller in Auto, or on backup power: a restart is quiet."""
    anna, bertil, _ = on_call
    if situation == "auto":
        await use_blueprint(hass, BLUEPRINT, _inputs(site, on_call))
        sim.site.lose_mains()
        await refresh(hass, site)
        assert state_of(hass, STATUS) == "starting"
        await wait_for(lambda: len(bertil.calls) == 1)
    elif situation == "on_backup_power":
        await _run_by_hand(hass, sim, site, _inputs(site, on_call))
        start, _ = await _asked_to_start(hass, sim, site, anna)
        await _starts_and_takes_the_load(hass, sim, site, anna, start)
        await wait_for(lambda: "Reservkraften går" in bertil.messages[-1])
    else:
        await _run_by_hand(hass, sim, site, _inputs(site, on_call))
        assert state_of(hass, MAINS) == "on"
    told = [len(anna.calls), len(bertil.calls)]
    writes = dse_writes(sim)
    before = _last_triggered(hass)

    await restart(hass)
    await wait_for(lambda: _last_triggered(hass) != before)
    await settle()
    assert [len(anna.calls), len(bertil.calls)] == told
    assert dse_writes(sim) == ([] if situation != "on_backup_power" else writes)


def _last_triggered(hass: HomeAssistant) -> Any:
    state = hass.states.get(AUTOMATION)
    assert state is not None
    return state.attributes["last_triggered"]


async def test_a_restart_while_the_question_waits_does_not_ask_twice(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
) -> None:
    """Home Assistant says it has started while a run of the outage still asks.

    As when the integration announces a power cut during the start-up: the
    run that asks is enough. After Anna's "Not now" nobody is asked again.
    """
    anna, bertil, _ = on_call
    await _run_by_hand(hass, sim, site, _inputs(site, on_call))
    _, not_now = await _asked_to_start(hass, sim, site, anna)

    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await wait_for(lambda: _runs(hass) == 2)
    anna.press(hass, not_now)
    await wait_for(lambda: _runs(hass) == 0)
    await settle()
    assert len(anna.calls) == 2
    assert 'Anna svarade "Inte nu"' in anna.messages[-1]
    assert len(bertil.calls) == 1
    assert dse_writes(sim) == []


def _runs(hass: HomeAssistant) -> int:
    """The automation's runs going on or waiting their turn."""
    state = hass.states.get(AUTOMATION)
    assert state is not None
    current: int = state.attributes["current"]
    return current


async def test_in_english(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
    sidebar: Sidebar,
) -> None:
    """In English: an ignored answer's note, the question anew, a Start too late.

    The automation speaks the language chosen, in Home Assistant as on the
    phones.
    """
    anna, _, cecilia = on_call
    await _run_by_hand(hass, sim, site, {**_inputs(site, on_call), "language": "en"})
    start, _ = await _asked_to_start(hass, sim, site, anna)

    cecilia.press(hass, start)
    _, note = await sidebar.saying("did not count")
    assert note.title == "SOT-punkt Kall: answer ignored"
    assert note.message.startswith(
        'An answer ("Start") to "Start backup power? \N{EN DASH} SOT-punkt Kall" '
        "came from Cecilia, who was not asked, and did not count."
    )

    await restart(hass)
    await wait_for(lambda: len(anna.calls) == 2)
    assert anna.messages[-1].startswith(
        "Home Assistant has restarted during the power cut and asks again"
    )
    start, _ = anna.actions()

    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": LOCK}, blocking=True
    )
    anna.press(hass, start)
    await wait_for(lambda: "maintenance lock is on now" in anna.messages[-1])
    assert anna.messages[-1].startswith('Anna answered "Start", but ')
    assert anna.calls[-1].data["title"] == "Backup power \N{EN DASH} SOT-punkt Kall"
    assert dse_writes(sim) == []


async def test_to_mains_after_the_lock_went_on_moves_nothing(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Mains back, Anna asked to move the load; the lock goes on before she answers.

    Her "To mains" moves nothing: the load stays on the generator, and she
    hears why.
    """
    anna, _, _ = on_call
    await _run_by_hand(hass, sim, site, _inputs(site, on_call))
    start, _ = await _asked_to_start(hass, sim, site, anna)
    await _starts_and_takes_the_load(hass, sim, site, anna, start)
    async with running(sim):
        sim.site.restore_mains()
        await refresh(hass, site)
        await later(hass, clock, timedelta(minutes=2, seconds=1))
        await wait_for(lambda: anna.actions()[0].startswith("TO_MAINS_"))
        to_mains, _ = anna.actions()
        writes = dse_writes(sim)

        await hass.services.async_call(
            "switch", "turn_on", {"entity_id": LOCK}, blocking=True
        )
        anna.press(hass, to_mains)
        await wait_for(lambda: "underhållslåset är på nu" in anna.messages[-1])
        assert anna.messages[-1].startswith('Anna svarade "Till nätet", men ')
        assert anna.calls[-1].data["title"].startswith("Nätet är tillbaka")
        await _a_few_polls(hass, site)
    assert dse_writes(sim) == writes
    assert state_of(hass, BACKUP) == "on"


async def test_an_alarms_acknowledge_button_has_a_nonce_too(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    on_call: list[Person],
) -> None:
    """Larm och eskalering asks the same way: its button is not the run's context.

    Two alarms, two runs: each button has a nonce of its own, which still
    acknowledges.
    """
    anna = on_call[0]
    await use_blueprint(hass, larm.BLUEPRINT, larm._inputs(site, on_call))

    acks = []
    for key in ("low_oil_pressure", "high_coolant_temperature"):
        await larm._raise(hass, sim, site, key, AlarmCondition.WARNING)
        await wait_for(
            lambda: len(anna.actions()) == 1 and anna.actions()[0] not in acks
        )
        (ack,) = anna.actions()
        assert ack.startswith("ACK_")
        assert anna.calls[-1].context.id not in ack
        acks.append(ack)
        anna.press(hass, ack)
        await wait_for(lambda: "Kvitterat av Anna" in anna.messages[-1])
    assert _nonce_of_ack(acks[0]) != _nonce_of_ack(acks[1])


def _nonce_of_ack(action: str) -> str:
    assert len(action) >= len("ACK_") + 16, action
    return action.removeprefix("ACK_")
