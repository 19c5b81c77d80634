"""The journal's exports: the yearly CSV report over HTTP, and the record dump.

The figures are checked against a power cut of known length driven through the
simulator, with Home Assistant's clock moved in step and the site in Sweden.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import csv
from datetime import datetime, timedelta
from http import HTTPStatus
import json
from typing import Any

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    CLIENT_ID,
    MockConfigEntry,
    MockUser,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sot_point.export import export_records
from custom_components.sot_point.hardware.profiles.dse_gencomm import ControlKey
from custom_components.sot_point.hardware.state import AlarmCondition, ControlMode
from custom_components.sot_point.journal import RecordKind
from simulator.server import SimulatedSite

from .conftest import site_entry
from .test_journal import ENTRY_ID, T0, journal_of, refresh, set_up, step

pytestmark = pytest.mark.freeze_time(T0, tick=True)
URL = f"/api/sot_point/{ENTRY_ID}/journal.csv"
DAY = "start=2026-02-10&end=2026-02-10"
# The power cut of the report: on backup power after 30 s, the grid back two
# hours later, the load on the mains again 33 s after that.
TO_BACKUP = 30
ON_BACKUP = 7230
TO_MAINS = 33


@pytest.fixture
async def loaded(
    hass: HomeAssistant, sim: SimulatedSite, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The site in Sweden, loaded at T0 (09:00 in Stockholm)."""
    await hass.config.async_set_time_zone("Europe/Stockholm")
    entry = site_entry(sim)
    entry.add_to_hass(hass)
    await set_up(hass, entry)
    return entry


async def client_for(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, user: MockUser
) -> TestClient[Any, Any]:
    """A client with a token issued now (the test's own expires as time jumps)."""
    refresh_token = await hass.auth.async_create_refresh_token(user, CLIENT_ID)
    return await hass_client(hass.auth.async_create_access_token(refresh_token))


type Report = Callable[..., Awaitable[list[list[str]]]]


@pytest.fixture
def report(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
) -> Report:
    """Fetch the site's CSV report now, as a logged-in person."""

    async def fetch_now(query: str = DAY) -> list[list[str]]:
        return await fetch(await client_for(hass, hass_client, hass_admin_user), query)

    return fetch_now


async def fetch(client: TestClient[Any, Any], query: str = DAY) -> list[list[str]]:
    """The CSV as Excel would split it."""
    response = await client.get(f"{URL}?{query}" if query else URL)
    assert response.status == HTTPStatus.OK, await response.text()
    assert response.content_type == "text/csv"
    assert response.charset == "utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = await response.read()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    text = body.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(text.splitlines(), delimiter=";"))


def section(rows: list[list[str]], title: str) -> list[list[str]]:
    """The rows under a section title, up to the next empty row."""
    start = rows.index([title]) if [title] in rows else None
    if start is None:
        start = next(n for n, row in enumerate(rows) if row and row[0] == title)
    found = []
    for row in rows[start + 1 :]:
        if not row:
            break
        found.append(row)
    return found


def summary(rows: list[list[str]]) -> dict[str, str]:
    """The summary section as label -> value."""
    return dict(section(rows, "Sammanställning"))


def events(rows: list[list[str]]) -> list[dict[str, str]]:
    """The record rows, each as column -> cell."""
    table = section(rows, "Händelser")
    header, *body = table
    return [dict(zip(header, row, strict=True)) for row in body]


def local(moment: datetime) -> str:
    """A time as the CSV shows it."""
    return dt_util.as_local(moment).strftime("%Y-%m-%d %H:%M")


async def power_cut(
    hass: HomeAssistant,
    sim: SimulatedSite,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The report's power cut, from T0."""
    sim.site.lose_mains()
    await refresh(hass, entry)
    step(sim, freezer, TO_BACKUP)
    await refresh(hass, entry)
    step(sim, freezer, ON_BACKUP)
    sim.site.restore_mains()
    await refresh(hass, entry)
    step(sim, freezer, TO_MAINS)
    await refresh(hass, entry)
    assert journal_of(entry).open_outage is None


async def test_report_of_a_known_power_cut(
    hass: HomeAssistant,
    report: Report,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Two hours on backup power, as the municipality reads it."""
    tank_before = sim.site.tank.litres
    await power_cut(hass, sim, loaded, freezer)
    burnt = tank_before - sim.site.tank.litres

    rows = await report()
    assert rows[0] == ["SOT-punkt", "SOT-punkt Kall"]
    assert rows[1] == ["Period", "2026-02-10", "2026-02-10"]
    assert rows[2][0] == "Skapad"
    figures = summary(rows)
    duration = TO_BACKUP + ON_BACKUP + TO_MAINS  # 7293 s
    assert figures["Strömavbrott (antal)"] == "1"
    assert figures["Strömavbrott (timmar)"] == "2,03"  # 7293 / 3600
    assert figures["Timmar på reservkraft"] == "2,01"  # 7230 / 3600
    fuel = float(figures["Bränsle förbrukat under avbrott (liter)"].replace(",", "."))
    assert fuel == pytest.approx(burnt, abs=1.0)
    assert figures["Startförsök (antal)"] == "1"
    assert figures["Misslyckade starter (antal)"] == "0"
    assert figures["Provkörningar (antal)"] == "0"
    assert figures["Larm (antal)"] == "0"

    outage = next(e for e in events(rows) if e["Typ"] == "Strömavbrott")
    assert outage["Början"] == "2026-02-10 09:00"  # CET
    assert outage["Slut"] == local(T0 + timedelta(seconds=duration))
    assert outage["Slut"] == "2026-02-10 11:01"
    assert outage["Varaktighet (h)"] == "2,03"
    assert outage["Tid till reservkraft (min)"] == "0,5"
    assert outage["På reservkraft (h)"] == "2,01"
    assert outage["Resultat"] == "avslutat"
    assert outage["Beskrivning"] == "enligt tanknivån"
    assert float(outage["Energi (kWh)"].replace(",", ".")) > 1
    attempt = next(e for e in events(rows) if e["Typ"] == "Startförsök")
    assert attempt["Resultat"] == "gick igång"
    assert attempt["Beskrivning"].startswith("under strömavbrott, i gång efter ")


async def test_report_rows_for_a_test_run_and_an_alarm(
    hass: HomeAssistant,
    report: Report,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A passed test run, and an alarm with who acknowledged it, in Swedish."""
    anna = await hass.auth.async_create_user("Anna Svensson")
    sim.site.set_mode(ControlMode.TEST_ON_LOAD)
    sim.site.press_key(ControlKey.START_ENGINE)
    for _ in range(6):
        step(sim, freezer, 5)
        await refresh(hass, loaded)
    sim.site.inject_alarm("low_fuel_level", AlarmCondition.WARNING)
    await refresh(hass, loaded)
    journal_of(loaded).acknowledge_alarm(
        "low_fuel_level", context=Context(user_id=anna.id)
    )
    sim.site.set_mode(ControlMode.AUTO)
    step(sim, freezer, 600)
    await refresh(hass, loaded)
    sim.site.release_alarm("low_fuel_level")
    sim.site.press_key(ControlKey.RESET_ALARMS_BUTTON)
    step(sim, freezer, 1200)
    await refresh(hass, loaded)

    rows = await report()
    by_type = {e["Typ"]: e for e in events(rows)}
    test_run = by_type["Provkörning"]
    assert test_run["Resultat"] == "godkänd"
    assert test_run["Beskrivning"].startswith("med last, medellast ")
    assert test_run["Slut"] != ""
    alarm = by_type["Larm"]
    assert alarm["Beskrivning"] == "Låg bränslenivå"
    assert alarm["Resultat"] == "Varning"
    assert alarm["Vem"] == "Anna Svensson"
    assert alarm["Varaktighet (h)"] == "0,50"  # raised to cleared: 30 minutes
    figures = summary(rows)
    assert figures["Provkörningar godkända (antal)"] == "1"
    assert figures["Provkörningar underkända (antal)"] == "0"
    assert figures["Larm (antal)"] == "1"
    assert figures["Larm som stoppar reservkraftverket (antal)"] == "0"


async def test_report_rows_for_what_people_did(
    hass: HomeAssistant, report: Report, loaded: MockConfigEntry
) -> None:
    """Deliveries, the lock, commands and notices, with the people's names."""
    anna = await hass.auth.async_create_user("Anna Svensson")
    journal = journal_of(loaded)
    journal.add(
        RecordKind.FUEL_DELIVERY, {"litres": 512.5}, context=Context(user_id=anna.id)
    )
    journal.add(  # a power cut seen to begin, but not to end
        RecordKind.OUTAGE,
        {"ended": "2026-02-10T12:00:00+00:00", "end_uncertain": True},
        at=T0 + timedelta(hours=2),
    )
    journal.add(RecordKind.MAINTENANCE, {"on": True, "user_name": "Bertil"})
    journal.add(
        RecordKind.COMMAND,
        {"command": "start", "result": "refused", "reason": "maintenance_lock"},
        context=Context(user_id="someone-since-removed"),
    )
    journal.add(
        RecordKind.NOTICE,
        {"action": "published", "text_sv": '=HYPERLINK("x")', "message": "x"},
    )
    journal.add(RecordKind.START_FAILURE, {"reason": "no_backup", "alarms": []})

    rows = await report()
    by_type = {e["Typ"]: e for e in events(rows)}
    outage = by_type["Strömavbrott"]
    assert outage["Resultat"] == "slutet ej observerat"
    assert outage["Slut"] == "2026-02-10 13:00"
    assert by_type["Bränsleleverans"]["Bränsle (liter)"] == "512,5"
    assert by_type["Bränsleleverans"]["Vem"] == "Anna Svensson"
    assert by_type["Underhåll"]["Resultat"] == "servicelås på"
    assert by_type["Underhåll"]["Vem"] == "Bertil"
    command = by_type["Kommando"]
    assert command["Resultat"] == "nekat"
    assert command["Beskrivning"] == "starta reservkraftverket (maintenance_lock)"
    assert command["Vem"] == "someone-since-removed"
    notice = by_type["Meddelande"]
    assert notice["Resultat"] == "publicerat"
    assert notice["Beskrivning"] == '\'=HYPERLINK("x")'  # text, not a formula
    assert by_type["Startfel"]["Resultat"] == "ingen reservkraft"
    figures = summary(rows)
    assert figures["Bränsleleveranser (antal)"] == "1"
    assert figures["Levererat bränsle (liter)"] == "512,5"
    assert figures["Nekade kommandon (antal)"] == "1"
    assert figures["Misslyckade starter (antal)"] == "1"


async def test_report_period_is_local_days(
    report: Report, loaded: MockConfigEntry
) -> None:
    """Days are Swedish days: 23:30 UTC on the 10th is already the 11th."""
    journal = journal_of(loaded)
    times = {
        "before": datetime(2026, 2, 9, 22, 59, tzinfo=dt_util.UTC),  # 9th 23:59
        "first": datetime(2026, 2, 9, 23, 0, tzinfo=dt_util.UTC),  # 10th 00:00
        "last": datetime(2026, 2, 10, 22, 59, tzinfo=dt_util.UTC),  # 10th 23:59
        "after": datetime(2026, 2, 10, 23, 30, tzinfo=dt_util.UTC),  # 11th 00:30
    }
    for name, at in times.items():
        journal.add(RecordKind.NOTICE, {"message": name}, at=at)
    notices = [e for e in events(await report()) if e["Typ"] == "Meddelande"]
    assert [e["Beskrivning"] for e in notices] == ["first", "last"]
    assert [e["Början"] for e in notices] == ["2026-02-10 00:00", "2026-02-10 23:59"]

    # Without a period: this year so far.
    rows = await report("")
    assert rows[1] == ["Period", "2026-01-01", "2026-02-10"]


async def test_report_in_progress_outage(
    hass: HomeAssistant,
    report: Report,
    sim: SimulatedSite,
    loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An outage still going on counts until now and says so."""
    sim.site.lose_mains()
    await refresh(hass, loaded)
    step(sim, freezer, TO_BACKUP)
    await refresh(hass, loaded)
    step(sim, freezer, 3600)
    await refresh(hass, loaded)
    rows = await report()
    outage = next(e for e in events(rows) if e["Typ"] == "Strömavbrott")
    assert outage["Resultat"] == "pågår"
    assert outage["Slut"] == ""
    assert outage["På reservkraft (h)"] == "1,00"
    assert summary(rows)["Strömavbrott (timmar)"] == "1,01"  # 3630 s so far


@pytest.mark.parametrize(
    ("query", "language", "message"),
    [
        (
            "start=2026-13-01",
            "en",
            "Bad period: start='2026-13-01' is not a date like 2026-01-31. "
            "Use start=YYYY-MM-DD and end=YYYY-MM-DD.",
        ),
        (
            "start=2026-02-10&end=2026-01-01",
            "sv",
            "Felaktig period: end 2026-01-01 is before start 2026-02-10. "
            "Ange start=ÅÅÅÅ-MM-DD och end=ÅÅÅÅ-MM-DD.",
        ),
    ],
)
async def test_bad_period_is_refused(  # noqa: PLR0917
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded: MockConfigEntry,
    query: str,
    language: str,
    message: str,
) -> None:
    """A mistyped date gets a 400 that says what to type."""
    hass.config.language = language
    client = await hass_client()
    response = await client.get(f"{URL}?{query}")
    assert response.status == HTTPStatus.BAD_REQUEST
    assert (await response.json())["message"] == message


async def test_unknown_or_unloaded_site_is_not_found(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, loaded: MockConfigEntry
) -> None:
    """Another id, or a site that is not loaded: 404."""
    client = await hass_client()
    response = await client.get("/api/sot_point/nope/journal.csv")
    assert response.status == HTTPStatus.NOT_FOUND
    assert (await response.json())["message"] == (
        "No loaded SOT point site with id nope."
    )
    assert await hass.config_entries.async_unload(loaded.entry_id)
    response = await client.get(URL)
    assert response.status == HTTPStatus.NOT_FOUND


async def test_report_needs_a_login(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    loaded: MockConfigEntry,
) -> None:
    """The journal names people: no report without logging in."""
    client = await hass_client_no_auth()
    response = await client.get(URL)
    assert response.status == HTTPStatus.UNAUTHORIZED


async def test_export_records_for_the_export_action(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    """Plain, JSON-ready records of a period, oldest first."""
    journal = journal_of(loaded)
    journal.add(RecordKind.NOTICE, {"message": "b"}, at=T0 + timedelta(hours=2))
    journal.add(RecordKind.NOTICE, {"message": "a"}, at=T0 + timedelta(hours=1))
    journal.add(RecordKind.NOTICE, {"message": "c"}, at=T0 + timedelta(hours=3))
    exported: list[dict[str, Any]] = export_records(
        journal, T0 + timedelta(hours=1), T0 + timedelta(hours=3)
    )
    assert [r["data"]["message"] for r in exported] == ["a", "b"]
    assert exported[0]["kind"] == "notice"
    assert exported[0]["at"] == (T0 + timedelta(hours=1)).isoformat()
    assert json.loads(json.dumps(exported)) == exported
    assert len(export_records(journal)) == 3
