"""Larm och eskalering: one person after another until someone acknowledges."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from freezegun.api import TickingDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.sot_point.hardware.state import AlarmCondition
from custom_components.sot_point.journal import JournalRecord, RecordKind
from simulator.server import SimulatedSite

from ..conftest import fast_control as control, running
from .conftest import (
    AUTONOMY,
    Note,
    Person,
    Sidebar,
    later,
    notifications,
    press,
    refresh,
    settle,
    use_blueprint,
    wait_for,
)

BLUEPRINT = "larm_och_eskalering.yaml"


def _inputs(
    site: MockConfigEntry, phones: list[Person], **changes: Any
) -> dict[str, Any]:
    return {
        "site": site.entry_id,
        "autonomy_entity": AUTONOMY,
        "people": [person.device_id for person in phones],
        "ack_minutes": 10,
        "quiet_enabled": False,
        **changes,
    }


def _reached(phones: list[Person], count: int) -> bool:
    """The first `count` people have the message, the others not yet."""
    return [len(p.calls) for p in phones] == [1] * count + [0] * (len(phones) - count)


def _alarm_records(site: MockConfigEntry, key: str) -> list[JournalRecord]:
    records: list[JournalRecord] = site.runtime_data.journal.records(
        kinds={RecordKind.ALARM}
    )
    return [record for record in records if record.data.get("alarm") == key]


async def _raise(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    key: str,
    condition: AlarmCondition,
) -> None:
    sim.site.inject_alarm(key, condition)
    sim.advance(1)
    await refresh(hass, site)
    assert _alarm_records(site, key), f"the journal did not see {key}"


async def test_unacknowledged_goes_to_the_next_and_the_journal_records_who(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Anna does not acknowledge in 10 minutes; Bertil gets it and does.

    The journal names Bertil; Anna's and Bertil's messages now say who took
    it; Cecilia, never reached, is not bothered.
    """
    anna, bertil, cecilia = phones
    await use_blueprint(hass, BLUEPRINT, _inputs(site, phones))

    await _raise(hass, sim, site, "low_oil_pressure", AlarmCondition.WARNING)
    await wait_for(lambda: len(anna.calls) == 1)
    assert "Low oil pressure" in anna.messages[0]
    assert "(varning)" in anna.messages[0]
    (ack,) = anna.actions()
    assert ack.startswith("ACK_")
    assert bertil.calls == []

    await later(hass, clock, timedelta(minutes=10, seconds=1))
    await wait_for(lambda: len(bertil.calls) == 1)
    assert bertil.actions() == [ack]
    assert cecilia.calls == []

    press(hass, ack)
    await wait_for(lambda: "Kvitterat av Bertil" in bertil.messages[-1])
    assert "Kvitterat av Bertil" in anna.messages[-1]
    (record,) = _alarm_records(site, "low_oil_pressure")
    assert record.data["acknowledged_by_name"] == "Bertil"
    assert record.data["acknowledged"] is not None

    await later(hass, clock, timedelta(minutes=30))
    assert cecilia.calls == []


async def test_acknowledged_by_the_person_whose_phone_answered(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    hass_admin_user: MockUser,
) -> None:
    """The journal names the person behind the phone's user, not just the phone."""
    anna = phones[0]
    assert await async_setup_component(
        hass,
        "person",
        {
            "person": [
                {"id": "anna", "name": "Anna Lindqvist", "user_id": hass_admin_user.id}
            ]
        },
    )
    await use_blueprint(hass, BLUEPRINT, _inputs(site, phones))

    await _raise(hass, sim, site, "emergency_stop", AlarmCondition.SHUTDOWN)
    await wait_for(lambda: len(anna.calls) == 1)
    assert "Motorn kan inte gå" in anna.messages[0]
    press(hass, anna.actions()[0], user_id=hass_admin_user.id)
    await wait_for(lambda: "Kvitterat av Anna Lindqvist" in anna.messages[-1])
    (record,) = _alarm_records(site, "emergency_stop")
    assert record.data["acknowledged_by_name"] == "Anna Lindqvist"


async def test_nobody_acknowledges_a_persistent_notification(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Everybody has it after 20 minutes; after 30 Home Assistant itself says so."""
    anna, bertil, cecilia = phones
    await use_blueprint(hass, BLUEPRINT, _inputs(site, phones))

    await _raise(hass, sim, site, "low_oil_pressure", AlarmCondition.SHUTDOWN)
    for reached in (1, 2, 3):
        await wait_for(partial(_reached, phones, reached))
        await later(hass, clock, timedelta(minutes=10, seconds=1))
    await wait_for(lambda: bool(notifications(hass)))
    (note,) = notifications(hass).values()
    assert "Ingen på jourlistan har kvitterat" in note["message"]
    assert "Low oil pressure" in note["message"]
    assert [len(p.calls) for p in (anna, bertil, cecilia)] == [1, 1, 1]
    (record,) = _alarm_records(site, "low_oil_pressure")
    assert record.data["acknowledged"] is None


async def test_alarm_reset_at_the_site_stops_the_escalation(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Someone resets the alarm before anyone acknowledges: nobody else is called."""
    anna, bertil, _ = phones
    control(site)
    await use_blueprint(hass, BLUEPRINT, _inputs(site, phones))

    await _raise(hass, sim, site, "low_oil_pressure", AlarmCondition.WARNING)
    await wait_for(lambda: len(anna.calls) == 1)
    sim.site.release_alarm("low_oil_pressure")
    async with running(sim):
        await hass.services.async_call(
            "sot_point",
            "reset_alarms",
            {"config_entry_id": site.entry_id},
            blocking=True,
        )
    await refresh(hass, site)
    await wait_for(lambda: "Larmet har upphört" in anna.messages[-1])
    await later(hass, clock, timedelta(minutes=11))
    assert bertil.calls == []


async def test_quiet_hours_hold_back_only_what_is_not_urgent(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """At noon, quiet 11-13: a warning waits until 13:00, a shutdown does not wait."""
    anna = phones[0]
    await use_blueprint(
        hass,
        BLUEPRINT,
        _inputs(
            site,
            phones,
            quiet_enabled=True,
            quiet_start="11:00:00",
            quiet_end="13:00:00",
        ),
    )

    await _raise(hass, sim, site, "low_oil_pressure", AlarmCondition.WARNING)
    await settle()
    assert anna.calls == []

    await _raise(hass, sim, site, "emergency_stop", AlarmCondition.SHUTDOWN)
    await wait_for(lambda: len(anna.calls) == 1)
    assert "Emergency stop" in anna.messages[0]
    push = anna.calls[0].data["data"]
    assert push["push"] == {"interruption-level": "time-sensitive"}

    await later(hass, clock, timedelta(minutes=61))
    await wait_for(lambda: any("Low oil pressure" in m for m in anna.messages))


async def test_no_phones_the_alarm_is_shown_in_home_assistant_at_once(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    sidebar: Sidebar,
) -> None:
    """Nobody to reach: Home Assistant shows the alarm at once, not after 10 min."""
    await use_blueprint(hass, BLUEPRINT, _inputs(site, [], notify_in_ha=True))

    await _raise(hass, sim, site, "low_oil_pressure", AlarmCondition.SHUTDOWN)
    alarm, note = await sidebar.saying("Low oil pressure")
    assert alarm.startswith("sot_point_alarm_")
    assert note.title == "Larm \N{EN DASH} SOT-punkt Kall"
    assert "Low oil pressure (avstängning). Motorn kan inte gå." in note.message
    assert note.message.endswith("Det finns ingen telefon på jourlistan.")
    assert list(await sidebar.notes()) == [alarm]


async def test_phones_and_home_assistant_who_has_it_and_who_took_it(
    hass: HomeAssistant,
    *,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    sidebar: Sidebar,
    clock: TickingDateTimeFactory,
) -> None:
    """Home Assistant shows the alarm, who has it so far, then who acknowledged.

    Acknowledging stays on the phones, whose messages are as without Home
    Assistant.
    """
    anna, bertil, cecilia = phones
    await use_blueprint(hass, BLUEPRINT, _inputs(site, phones, notify_in_ha=True))

    await _raise(hass, sim, site, "low_oil_pressure", AlarmCondition.WARNING)
    await wait_for(lambda: len(anna.calls) == 1)
    alarm, note = await sidebar.saying("Skickat till Anna; kvittera i telefonen.")
    assert note.title == anna.calls[0].data["title"]
    assert note.message.startswith(anna.messages[0])
    (ack,) = anna.actions()

    await later(hass, clock, timedelta(minutes=10, seconds=1))
    await wait_for(lambda: len(bertil.calls) == 1)
    await sidebar.saying("Skickat till Anna, Bertil; kvittera i telefonen.")
    assert bertil.actions() == [ack]

    press(hass, ack)
    await wait_for(lambda: "Kvitterat av Bertil" in bertil.messages[-1])
    _, note = await sidebar.saying("Kvitterat av Bertil.")
    assert note == Note(bertil.calls[-1].data["title"], bertil.messages[-1])
    assert list(await sidebar.notes()) == [alarm]
    assert cecilia.calls == []


async def test_no_phones_not_shown_in_home_assistant_only_the_escalation(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    sidebar: Sidebar,
) -> None:
    """Not shown in Home Assistant and nobody to reach: the existing last resort."""
    await use_blueprint(hass, BLUEPRINT, _inputs(site, []))

    await _raise(hass, sim, site, "emergency_stop", AlarmCondition.SHUTDOWN)
    _, note = await sidebar.saying("Emergency stop")
    assert note.message.endswith("Det finns ingen telefon på jourlistan.")
    assert len(await sidebar.notes()) == 1


async def test_fuel_loss_is_urgent_and_a_runaway_run_waits_for_quiet_hours(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
) -> None:
    """Quiet 11-13 at noon: fuel gone is sent at once, a set running on waits."""
    anna = phones[0]
    await use_blueprint(
        hass,
        BLUEPRINT,
        _inputs(
            site,
            phones,
            quiet_enabled=True,
            quiet_start="11:00:00",
            quiet_end="13:00:00",
        ),
    )
    hass.bus.async_fire(
        "sot_point_runaway_run",
        {"entry_id": site.entry_id, "reason": "mains_back", "minutes": 31},
    )
    await settle()
    assert anna.calls == []

    # As the site's watch records a loss: the journal fires the event.
    site.runtime_data.journal.add(
        RecordKind.FUEL_LOSS, {"kind": "leak", "litres": 60.0, "running": False}
    )
    await wait_for(lambda: len(anna.calls) == 1)
    assert "60 l diesel har försvunnit utöver förbrukningen" in anna.messages[0]
    push = anna.calls[0].data["data"]
    assert push["push"] == {"interruption-level": "time-sensitive"}

    await later(hass, clock, timedelta(minutes=61))
    await wait_for(
        lambda: any("går fast nätet är tillbaka" in m for m in anna.messages)
    )
