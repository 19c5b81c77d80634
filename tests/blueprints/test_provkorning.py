"""Provkörning: the monthly test run on its day, its report, and its failures."""

from __future__ import annotations

from datetime import timedelta
import re
from typing import Any

from freezegun.api import TickingDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    ControlKey,
    control_words,
)
from custom_components.sot_point.journal import JournalRecord, RecordKind
from simulator.server import SimulatedSite

from ..conftest import fast_control as control, running, state_of
from .conftest import (
    AUTONOMY,
    ENGINE,
    FUEL,
    LOCK,
    MAINS,
    STATUS,
    Note,
    Person,
    Sidebar,
    dse_writes,
    has_run,
    later,
    refresh,
    settle,
    until,
    use_blueprint,
    use_blueprints,
    wait_for,
)

BLUEPRINT = "provkorning.yaml"


def _unanswered_commands(site: MockConfigEntry) -> list[str]:
    """Commands refused because the controller could not be read first."""
    records: list[JournalRecord] = site.runtime_data.journal.records(
        kinds={RecordKind.COMMAND}
    )
    return [
        str(record.data["command"])
        for record in records
        if record.data.get("result") == "refused"
        and record.data.get("reason") == "no_fresh_reading"
    ]


def _inputs(
    site: MockConfigEntry, phones: list[Person], **changes: Any
) -> dict[str, Any]:
    # The clock starts on Wednesday 9 December 2026 at 12:00: the second
    # Wednesday of the month.
    return {
        "site": site.entry_id,
        "mains_entity": MAINS,
        "status_entity": STATUS,
        "maintenance_entity": LOCK,
        "fuel_entity": FUEL,
        "weekday": "wed",
        "week": "2",
        "time": "12:05:00",
        "duration": 10,
        "with_load": False,
        "people": [person.device_id for person in phones[:1]],
        **changes,
    }


async def test_runs_on_the_chosen_day_and_reports(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Second Wednesday, 12:05: the set runs 10 min off load; Anna gets a report."""
    anna = phones[0]
    control(site)
    assert dt_util.now().strftime("%a %d %H:%M") == "Wed 09 12:00"
    await use_blueprint(hass, BLUEPRINT, _inputs(site, phones))

    async with running(sim):
        await later(hass, clock, timedelta(minutes=5))
        await until(hass, site, lambda: state_of(hass, ENGINE) == "running")
        assert state_of(hass, STATUS) == "test_run"
        await wait_for(lambda: len(anna.calls) == 1)
        assert "Provkörningen startar nu: 10 min, utan last" in anna.messages[0]
        assert dse_writes(sim)[:2] == [
            control_words(ControlKey.SELECT_MANUAL),
            control_words(ControlKey.START_ENGINE),
        ]
        assert state_of(hass, MAINS) == "on"  # the store stays on the grid

        # The tank gauge shows what the run burnt.
        sim.site.set_tank_litres(sim.site.tank.litres - 2.5)
        # Ten minutes later the integration puts the controller back in Auto;
        # the set cools down and stops, and the journal closes the test run.
        await later(hass, clock, timedelta(minutes=10, seconds=1))
        await until(hass, site, lambda: len(anna.calls) == 2, seconds=20)
    assert dse_writes(sim)[-1] == control_words(ControlKey.SELECT_AUTO)
    report = anna.messages[1]
    assert anna.calls[1].data["title"].startswith("Provkörning godkänd")
    assert "Motorn gick utan larm" in report
    assert "utan last" in report
    assert " min" in report
    # Figures as a Swedish reader writes them: a decimal comma and a unit.
    assert re.search(r", medellast \d+(,\d)? kW, \d+,\d L diesel\.$", report), report
    assert not re.search(r"\d\.\d", report), report


async def test_not_on_another_week(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Set for the first Wednesday, the second one passes without a test run."""
    await use_blueprint(hass, BLUEPRINT, _inputs(site, phones, week="1"))
    await later(hass, clock, timedelta(minutes=6))
    assert phones[0].calls == []
    assert dse_writes(sim) == []


async def test_skipped_with_the_maintenance_lock_on(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Lock on: nothing is written to the controller, and Anna is told why."""
    anna = phones[0]
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": LOCK}, blocking=True
    )
    await use_blueprint(hass, BLUEPRINT, _inputs(site, phones))
    await later(hass, clock, timedelta(minutes=5))
    await wait_for(lambda: len(anna.calls) == 1)
    assert "hoppades över: underhållslåset är på" in anna.messages[0]
    assert dse_writes(sim) == []


async def test_skipped_during_an_outage(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """No mains: no test run."""
    anna = phones[0]
    sim.site.lose_mains()
    await refresh(hass, site)
    await use_blueprint(hass, BLUEPRINT, _inputs(site, phones))
    await later(hass, clock, timedelta(minutes=5))
    await wait_for(lambda: len(anna.calls) == 1)
    assert "hoppades över: nätet saknas" in anna.messages[0]


async def test_cannot_start_is_handed_to_the_escalation(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """The controller stops answering: Anna is told and the escalation takes over.

    "Larm och eskalering" picks up the hand-over event and asks its own list
    (here Bertil) to acknowledge.
    """
    anna, bertil, _ = phones
    control(site)
    handed_over = async_capture_events(hass, "sot_point_escalate")
    await use_blueprints(
        hass,
        {
            BLUEPRINT: _inputs(site, phones),
            "larm_och_eskalering.yaml": {
                "site": site.entry_id,
                "autonomy_entity": AUTONOMY,
                "people": [bertil.device_id],
                "quiet_enabled": False,
            },
        },
    )
    sim.faults.enable(rate=1.0, kinds={"drop": 1.0})  # type: ignore[dict-item]
    sim.faults.units = frozenset({sim.site.config.units.dse})

    await later(hass, clock, timedelta(minutes=5))
    await wait_for(lambda: len(anna.calls) == 1)  # "starts now"
    # The controller cannot be read, so nothing is sent; the journal says why.
    await wait_for(lambda: _unanswered_commands(site) == ["start_test_run"])
    await settle()
    await later(hass, clock, timedelta(minutes=2, seconds=1))
    await wait_for(lambda: len(anna.calls) == 2)
    assert "kunde inte startas" in anna.messages[1]
    await wait_for(lambda: len(handed_over) == 1)
    (event,) = handed_over
    assert event.data["entry_id"] == site.entry_id
    assert event.data["kind"] == "test_run_not_started"
    await wait_for(lambda: len(bertil.calls) == 1)
    assert "kunde inte startas" in bertil.messages[0]
    assert bertil.actions()[0].startswith("ACK_")
    # The controller answers again; nothing is left waiting for it.
    sim.faults.disable()
    await until(hass, site, lambda: state_of(hass, STATUS) == "normal")


async def test_failed_test_run_is_reported_and_escalated(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Every crank fails: Anna's report says so; the escalation asks Bertil.

    The failed run reaches "Larm och eskalering" through the journal, not
    through a second hand-over.
    """
    anna, bertil, _ = phones
    control(site)
    handed_over = async_capture_events(hass, "sot_point_escalate")
    await use_blueprints(
        hass,
        {
            BLUEPRINT: _inputs(site, phones),
            "larm_och_eskalering.yaml": {
                "site": site.entry_id,
                "autonomy_entity": AUTONOMY,
                "people": [bertil.device_id],
                "kinds": ["test_run_failed"],
                "quiet_enabled": False,
            },
        },
    )
    sim.site.fail_next_cranks(3)

    async with running(sim, speed=40):
        await later(hass, clock, timedelta(minutes=5))
        await until(hass, site, lambda: len(anna.calls) == 2, seconds=20)
    assert anna.calls[1].data["title"].startswith("Provkörning misslyckades")
    assert "Motorn nådde inte drift" in anna.messages[1]
    await wait_for(lambda: len(bertil.calls) == 1)
    assert bertil.calls[0].data["title"].startswith("Provkörning misslyckades")
    assert bertil.actions()[0].startswith("ACK_")
    assert handed_over == []


async def test_report_shown_in_home_assistant_as_on_the_phone(
    hass: HomeAssistant,
    *,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    sidebar: Sidebar,
    clock: TickingDateTimeFactory,
) -> None:
    """Shown in Home Assistant too: "starts now", then the report in its place."""
    anna = phones[0]
    control(site)
    await use_blueprint(hass, BLUEPRINT, _inputs(site, phones, notify_in_ha=True))

    async with running(sim):
        await later(hass, clock, timedelta(minutes=5))
        await until(hass, site, lambda: state_of(hass, ENGINE) == "running")
        await wait_for(lambda: len(anna.calls) == 1)
        test_run, note = await sidebar.saying("Provkörningen startar nu")
        assert test_run.startswith("sot_point_test_run_")
        assert note == Note(anna.calls[0].data["title"], anna.messages[0])

        await later(hass, clock, timedelta(minutes=10, seconds=1))
        await until(hass, site, lambda: len(anna.calls) == 2, seconds=20)
    _, note = await sidebar.saying("Motorn gick utan larm")
    assert note == Note(anna.calls[1].data["title"], anna.messages[1])
    assert note.title.startswith("Provkörning godkänd")
    assert list(await sidebar.notes()) == [test_run]
    assert set(anna.calls[1].data["data"]) == {"tag"}


async def test_no_phones_skipped_test_run_shown_in_home_assistant(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    sidebar: Sidebar,
    clock: TickingDateTimeFactory,
) -> None:
    """Nobody responsible has a phone: Home Assistant says why it was skipped."""
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": LOCK}, blocking=True
    )
    await use_blueprint(hass, BLUEPRINT, _inputs(site, [], notify_in_ha=True))
    await later(hass, clock, timedelta(minutes=5))
    _, note = await sidebar.saying("hoppades över: underhållslåset är på")
    assert note.title == "Provkörning \N{EN DASH} SOT-punkt Kall"
    assert dse_writes(sim) == []


async def test_no_phones_not_shown_in_home_assistant_says_nothing(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    sidebar: Sidebar,
    clock: TickingDateTimeFactory,
) -> None:
    """No phone, not shown in Home Assistant: skipped silently, as before."""
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": LOCK}, blocking=True
    )
    await use_blueprint(hass, BLUEPRINT, _inputs(site, []))
    await later(hass, clock, timedelta(minutes=5))
    await wait_for(lambda: has_run(hass, BLUEPRINT))
    await settle()
    assert await sidebar.notes() == {}
