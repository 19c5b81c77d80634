"""The logbook shows the journal's events as sentences, in the site's language.

The logbook here is Home Assistant's own, on a real recorder: events are
written to the database and read back through the logbook's REST API, as the
Activity panel does.
"""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.core import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    CLIENT_ID,
    MockConfigEntry,
    MockUser,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sot_point.const import DOMAIN, JOURNAL_EVENTS
from custom_components.sot_point.hardware.profiles.dse_gencomm import ControlKey
from custom_components.sot_point.hardware.state import AlarmCondition, ControlMode
from custom_components.sot_point.journal import RecordKind
from simulator.server import SimulatedSite

from .conftest import site_entry
from .test_journal import (
    SITE,
    T0,
    journal_of,
    outage_on_backup,
    refresh,
    set_up,
    step,
    time_to_mains,
)

pytestmark = pytest.mark.freeze_time(T0, tick=True)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder first: it must be set up before Home Assistant starts."""


@pytest.fixture
def clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Home Assistant's clock, started at T0."""
    return freezer


async def _logbook(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, user: MockUser
) -> list[dict[str, Any]]:
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    # The test's own token was issued at T0 and has expired by now.
    refresh_token = await hass.auth.async_create_refresh_token(user, CLIENT_ID)
    token = hass.auth.async_create_access_token(refresh_token)
    client = await hass_client(token)
    since = (T0 - timedelta(hours=1)).isoformat()
    response = await client.get(f"/api/logbook/{since}")
    assert response.status == HTTPStatus.OK
    entries: list[dict[str, Any]] = await response.json()
    return [e for e in entries if e.get("domain") == DOMAIN]


async def _logbook_site(
    hass: HomeAssistant, sim: SimulatedSite, language: str
) -> MockConfigEntry:
    hass.config.language = language
    # The logbook's frontend panel is not installed in tests; the logbook
    # itself (recorder, describe callbacks, REST API) is the real one.
    hass.config.components.add("frontend")
    assert await async_setup_component(hass, "logbook", {})
    entry = site_entry(sim)
    entry.add_to_hass(hass)
    await set_up(hass, entry)
    return entry


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "sv",
            [
                "strömavbrott började",
                "larm: Låg bränslenivå (Varning)",
                "starta reservkraftverket: Nekad: servicelåset är på. "
                "Slå av det när arbetet på reservkraftverket är klart.",
                "bränsleleverans på 512,5 l registrerad",
                "strömavbrottet från 00:00 slutade efter 2 h 2 min; 2 h 1 min på "
                "reservkraft, 517,7 l diesel förbrukad",
            ],
        ),
        (
            "en",
            [
                "power cut began",
                "alarm: Low fuel level (Warning)",
                "start the generator: Refused: the maintenance lock is on. "
                "Turn it off when the work on the generator is done.",
                "fuel delivery of 512.5 L recorded",
                "power cut from 00:00 ended after 2 h 2 min; 2 h 1 min on backup "
                "power, 517.7 L of diesel used",
            ],
        ),
    ],
)
async def test_logbook_tells_the_story_in_the_site_language(  # noqa: PLR0917
    hass: HomeAssistant,
    hass_admin_user: MockUser,
    hass_client: ClientSessionGenerator,
    sim: SimulatedSite,
    clock: FrozenDateTimeFactory,
    language: str,
    expected: list[str],
) -> None:
    """A power cut with an alarm, a refused start and a delivery, as logged."""
    entry = await _logbook_site(hass, sim, language)
    journal = journal_of(entry)
    await outage_on_backup(hass, sim, entry, clock)
    sim.site.inject_alarm("low_fuel_level", AlarmCondition.WARNING)
    await refresh(hass, entry)
    journal.add(
        RecordKind.COMMAND,
        {"command": "start", "result": "refused", "reason": "maintenance_lock"},
    )
    journal.add(RecordKind.FUEL_DELIVERY, {"litres": 512.5})
    # Half a minute from every rounding edge: the clock ticks in real time
    # too, so 7230 s on backup power (120.5 min) came out as 2 h 0 min once.
    step(sim, clock, 7260)
    sim.site.restore_mains()
    await refresh(hass, entry)
    step(sim, clock, time_to_mains(sim))
    await refresh(hass, entry)

    entries = await _logbook(hass, hass_client, hass_admin_user)
    assert [e["message"] for e in entries] == expected
    assert {e["name"] for e in entries} == {SITE}
    # Each entry has an icon of its own, not the empty square of no icon.
    assert [e.get("icon") for e in entries] == [
        "mdi:transmission-tower-off",
        "mdi:alarm-light",
        "mdi:cancel",
        "mdi:gas-station",
        "mdi:transmission-tower",
    ]


async def test_logbook_describes_every_journal_event(
    hass: HomeAssistant,
    hass_admin_user: MockUser,
    hass_client: ClientSessionGenerator,
    sim: SimulatedSite,
    clock: FrozenDateTimeFactory,
) -> None:
    """Test runs, failures, maintenance, notices and commands read as Swedish."""
    entry = await _logbook_site(hass, sim, "sv")
    journal = journal_of(entry)
    journal.add(RecordKind.MAINTENANCE, {"on": True})
    journal.add(RecordKind.MAINTENANCE, {"on": False})
    journal.add(
        RecordKind.NOTICE,
        {"message": "x", "text_sv": "Butiken öppen", "text_en": "Shop open"},
    )
    journal.add(
        RecordKind.NOTICE,
        {"action": "cleared", "text_sv": "Butiken öppen", "text_en": "Shop open"},
    )
    journal.add(RecordKind.COMMAND, {"command": "select_auto", "result": "done"})
    journal.add(RecordKind.COMMAND, {"command": "stop", "result": "not_followed"})
    journal.add(
        RecordKind.COMMAND,
        {"command": "heater_on", "result": "failed", "reason": "timeout"},
    )
    journal.add(RecordKind.COMMAND, {"command": "start", "result": "refused"})
    journal.add(RecordKind.START_FAILURE, {"reason": "no_backup"})
    journal.add(RecordKind.COMMAND, {"command": "open_door", "result": "done"})
    sim.site.set_mode(ControlMode.TEST_ON_LOAD)
    sim.site.press_key(ControlKey.START_ENGINE)
    for _ in range(6):
        step(sim, clock, 5)
        await refresh(hass, entry)
    sim.site.set_mode(ControlMode.AUTO)
    step(sim, clock, sim.site.config.timings.cooldown + 30)
    await refresh(hass, entry)
    journal.acknowledge_alarm("nothing")  # nothing to acknowledge: no entry

    entries = await _logbook(hass, hass_client, hass_admin_user)
    messages = [e["message"] for e in entries]
    assert messages[:10] == [
        "servicelåset slogs på",
        "servicelåset slogs av",
        "meddelande: Butiken öppen",
        "meddelandet borttaget: Butiken öppen",
        "kommando utfört: välj Auto",
        "stoppa reservkraftverket: styrenheten utförde det inte",
        "slå på värmaren: misslyckades (timeout)",
        "starta reservkraftverket: nekat",
        "strömavbrott utan reservkraft: reservkraftverket tar inte lasten",
        "kommando utfört: open_door",  # a command without a name of its own
    ]
    assert messages[10] == "provkörning startade"
    # Minutes, and the mean load with a decimal comma.
    assert re.fullmatch(
        r"provkörningen godkänd efter \d+ min, medellast \d+,\d kW", messages[11]
    )
    # Every kind of entry has an icon that says what happened.
    assert [e.get("icon") for e in entries[:12]] == [
        "mdi:lock",
        "mdi:lock-open-variant",
        "mdi:message-text-outline",
        "mdi:message-off-outline",
        "mdi:gesture-tap-button",
        "mdi:alert-circle-outline",
        "mdi:alert-circle-outline",
        "mdi:cancel",
        "mdi:engine-off",
        "mdi:gesture-tap-button",
        "mdi:test-tube",
        "mdi:clipboard-check-outline",
    ]


async def test_every_described_event_has_an_icon(
    hass: HomeAssistant,
    hass_admin_user: MockUser,
    hass_client: ClientSessionGenerator,
    sim: SimulatedSite,
) -> None:
    """No journal event shows in the logbook without an icon, new ones included."""
    await _logbook_site(hass, sim, "sv")
    for event_type in JOURNAL_EVENTS:
        hass.bus.async_fire(event_type, {"site": SITE})
    entries = await _logbook(hass, hass_client, hass_admin_user)
    assert len(entries) == len(JOURNAL_EVENTS)
    assert all(str(e.get("icon", "")).startswith("mdi:") for e in entries), entries


async def test_logbook_follows_a_change_of_language(
    hass: HomeAssistant,
    hass_admin_user: MockUser,
    hass_client: ClientSessionGenerator,
    sim: SimulatedSite,
) -> None:
    """The site's language is changed to Swedish: the logbook follows at once."""
    entry = await _logbook_site(hass, sim, "en")
    journal_of(entry).add(RecordKind.NOTICE, {"text_en": "Open", "text_sv": "Öppet"})
    await hass.config.async_update(language="sv")
    await hass.async_block_till_done()
    messages = [
        e["message"] for e in await _logbook(hass, hass_client, hass_admin_user)
    ]
    assert messages == ["meddelande: Öppet"]
