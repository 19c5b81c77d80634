"""An outage and an alarm by SMS: the blueprints, the site and a real modem path.

Home Assistant's own `sms` integration sends and receives through gammu and
the emulated modem (tests/sms/conftest.py); the blueprints are the shipped
ones, loaded as the UI loads them (tests/blueprints/conftest.py); the site
drives the simulator. The people here have only a mobile number, on the
site's on-call list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    ControlKey,
    control_words,
)
from custom_components.sot_point.hardware.state import AlarmCondition, ControlMode
from custom_components.sot_point.journal import JournalRecord, RecordKind
from custom_components.sot_point.rules.sms import fits_one_sms
from simulator.gsm_modem import GsmModem, SentSms
from simulator.server import SimulatedSite

from ..blueprints.conftest import (  # noqa: F401 (fixtures)
    AUTONOMY,
    BACKUP,
    ENGINE,
    LOCK,
    MAINS,
    MODE,
    STATUS,
    blueprint_hass,
    clock,
    dse_writes,
    later,
    refresh,
    until,
    use_blueprint,
    wait_for,
)
from ..blueprints.test_reservkraft import _inputs as reservkraft_inputs
from ..conftest import fast_control, load_site, running, site_entry, state_of

ANNA = "+46701234567"
BERTIL = "+46709876543"
STRANGER = "+46731112222"
ON_CALL = {
    "on_call": {
        "people": [
            {"name": "Anna", "number": ANNA, "phone": ""},
            {"name": "Bertil", "number": BERTIL, "phone": ""},
        ],
        "sms_service": "notify.sms",
    }
}
TRANSCRIPT = Path(__file__).parents[2] / "build" / "sms_transcript.txt"


@dataclass
class Transcript:
    """Every SMS both ways, with its time and length, as the README shows it."""

    modem: GsmModem
    received: list[tuple[datetime, str, str]] = field(default_factory=list)

    def deliver(self, number: str, text: str) -> None:
        """`number` texts the site."""
        self.received.append((dt_util.now(), number, text))
        self.modem.deliver(number, text)

    def lines(self, names: dict[str, str]) -> list[str]:
        """Oldest first: time, direction, whom, length, text."""
        rows = [
            (dt_util.as_local(s.at), "→", s.number, s.text) for s in self.modem.sent
        ]
        rows += [(at, "←", number, text) for at, number, text in self.received]
        return [
            f"{at:%H:%M:%S} {arrow} {names.get(number, number)} "
            f"({len(text)} chars): {text}"
            for at, arrow, number, text in sorted(rows, key=lambda row: row[0])
        ]


def _to(modem: GsmModem, number: str) -> list[SentSms]:
    return [sms for sms in modem.sent if sms.number == number]


async def _sent_to(
    modem: GsmModem, number: str, words: str, seconds: float = 30
) -> SentSms:
    """Wait for an SMS to `number` that says `words`; every SMS is one segment."""
    await wait_for(
        lambda: any(words in sms.text for sms in _to(modem, number)), seconds
    )
    sms = next(sms for sms in reversed(_to(modem, number)) if words in sms.text)
    assert sms.segments == 1, sms
    assert not sms.unicode, sms
    assert fits_one_sms(sms.text), sms.text
    return sms


def _answers(site: MockConfigEntry) -> list[dict[str, Any]]:
    records: list[JournalRecord] = site.runtime_data.journal.records(
        kinds={RecordKind.ANSWER}
    )
    return [dict(record.data) for record in records]


async def _answered(
    site: MockConfigEntry, check: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    await wait_for(lambda: check(_answers(site)), seconds=30)
    return _answers(site)


def _reservkraft(site: MockConfigEntry) -> dict[str, Any]:
    """The Reservkraft blueprint's test inputs, with no phones of its own."""
    return reservkraft_inputs(site, [])


@pytest.fixture
async def sms_site(
    blueprint_hass: HomeAssistant,  # noqa: F811
    sim: SimulatedSite,
    sms_ready: Any,
) -> MockConfigEntry:
    """The site, with Anna and Bertil on call by SMS only, run by hand."""
    # A Swedish Home Assistant: STATUS is answered in its language.
    await blueprint_hass.config.async_update(
        time_zone="Europe/Stockholm", language="sv"
    )
    site = await load_site(blueprint_hass, site_entry(sim, options=ON_CALL))
    fast_control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(blueprint_hass, site)
    return site


async def _outage_asked(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry, modem: GsmModem
) -> str:
    """The grid goes; Anna is asked by SMS; her one-time code."""
    await use_blueprint(hass, "reservkraft_vid_stromavbrott.yaml", _reservkraft(site))
    sim.site.lose_mains()
    await refresh(hass, site)
    assert state_of(hass, STATUS) == "outage_no_backup"
    question = await _sent_to(modem, ANNA, "Svara START")
    assert question.text.startswith("SOT-punkt Kall: strömavbrott ")
    assert "reservkraften startar inte av sig själv" in question.text
    assert _to(modem, BERTIL) == []  # one person at a time
    return question.text.split("START ")[1].split()[0]


async def test_outage_answered_start_by_sms_starts_the_set(
    hass: HomeAssistant,
    sim: SimulatedSite,
    sms_site: MockConfigEntry,
    modem: GsmModem,
) -> None:
    """Anna has only a number: START with the code starts the set and takes the load.

    The whole exchange is written to build/sms_transcript.txt for the README.
    """
    transcript = Transcript(modem)
    code = await _outage_asked(hass, sim, sms_site, modem)
    assert len(code) == 4

    async with running(sim):
        transcript.deliver(ANNA, f"START {code}")
        await until(
            hass, sms_site, lambda: state_of(hass, STATUS) == "backup_power", 60
        )
        await _sent_to(modem, ANNA, "startad av Anna")
    writes = dse_writes(sim)
    assert writes[0] == control_words(ControlKey.START_ENGINE)
    assert writes[-1] == control_words(ControlKey.TRANSFER_TO_GENERATOR)
    await _sent_to(modem, BERTIL, "startad av Anna")
    (answer,) = _answers(sms_site)
    assert answer["channel"] == "sms"
    assert answer["user_name"] == "Anna"
    assert answer["outcome"] == "accepted"
    assert answer["number"] == "…4567"

    transcript.deliver(BERTIL, "STATUS")
    status = await _sent_to(modem, BERTIL, "reservkraft ger ström")
    assert status.text.startswith("SOT-punkt Kall: strömavbrott. ")
    assert "bränsle " in status.text
    assert "gamla." in status.text
    lines = transcript.lines({ANNA: "Anna", BERTIL: "Bertil"})
    TRANSCRIPT.parent.mkdir(exist_ok=True)
    TRANSCRIPT.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def test_wrong_code_and_wrong_number_are_ignored_and_journaled(
    hass: HomeAssistant,
    sim: SimulatedSite,
    sms_site: MockConfigEntry,
    modem: GsmModem,
) -> None:
    """Nothing reaches the controller; Anna is told why, the stranger nothing."""
    code = await _outage_asked(hass, sim, sms_site, modem)
    wrong = f"{(int(code) + 1) % 10000:04d}"
    modem.deliver(ANNA, f"START {wrong}")
    modem.deliver(STRANGER, f"START {code}")
    answers = await _answered(sms_site, lambda found: len(found) == 2)
    assert {a["outcome"] for a in answers} == {"wrong_code", "unknown_number"}
    refusal = await _sent_to(modem, ANNA, "Fel kod")
    assert refusal.text.startswith("SOT-punkt Kall: ")
    assert _to(modem, STRANGER) == []
    assert dse_writes(sim) == []
    assert state_of(hass, STATUS) == "outage_no_backup"

    # The right code still counts afterwards: the wrong one spent nothing.
    async with running(sim):
        modem.deliver(ANNA, f"START {code}")
        await until(
            hass, sms_site, lambda: state_of(hass, STATUS) == "backup_power", 60
        )
    # Twice is once: a second START is told it was already answered.
    modem.deliver(ANNA, f"START {code}")
    await _sent_to(modem, ANNA, "redan besvarad av Anna")


async def test_start_refused_by_the_maintenance_lock_is_answered_by_sms(
    hass: HomeAssistant,
    sim: SimulatedSite,
    sms_site: MockConfigEntry,
    modem: GsmModem,
) -> None:
    """The lock goes on while the question waits: START is answered with why."""
    code = await _outage_asked(hass, sim, sms_site, modem)
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": LOCK}, blocking=True
    )
    modem.deliver(ANNA, f"START {code}")
    refusal = await _sent_to(modem, ANNA, "servicelåset är på")
    assert "Anna svarade ja" in refusal.text
    await _sent_to(modem, BERTIL, "servicelåset är på")
    assert dse_writes(sim) == []


async def test_alarm_escalated_to_the_second_person_acknowledged_by_sms(
    hass: HomeAssistant,
    sim: SimulatedSite,
    sms_site: MockConfigEntry,
    modem: GsmModem,
) -> None:
    """Anna does not answer within the minute; Bertil gets it and sends KVITT.

    The minute passes in real time: jumping the clock would also time out
    the SMS integration's own modem reads, which python-gammu then answers
    into cancelled futures (an error in the log, and a failed test).

    The journal names Bertil, and both hear who took it.
    """
    await use_blueprint(
        hass,
        "larm_och_eskalering.yaml",
        {
            "site": sms_site.entry_id,
            "autonomy_entity": AUTONOMY,
            "people": [],
            "ack_minutes": 1,
            "quiet_enabled": False,
        },
    )
    sim.site.inject_alarm("low_oil_pressure", AlarmCondition.SHUTDOWN)
    sim.advance(1)
    await refresh(hass, sms_site)
    first = await _sent_to(modem, ANNA, "Svara KVITT")
    assert "Larm: Reservkraftverk Lågt oljetryck" in first.text
    assert _to(modem, BERTIL) == []
    second = await _sent_to(modem, BERTIL, "Svara KVITT", seconds=90)
    code = second.text.rsplit("KVITT ", 1)[1].rstrip(".")
    modem.deliver(BERTIL, f"kvitt {code}")
    await _sent_to(modem, ANNA, "Kvitterat av Bertil")
    await _sent_to(modem, BERTIL, "Kvitterat av Bertil")
    alarms: list[JournalRecord] = sms_site.runtime_data.journal.records(
        kinds={RecordKind.ALARM}
    )
    assert [a.data["acknowledged_by_name"] for a in alarms] == ["Bertil"]
    (answer,) = _answers(sms_site)
    assert (answer["user_name"], answer["said"]) == ("Bertil", "acknowledge")
