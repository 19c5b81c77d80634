"""Journal exports: records for the export action, and the yearly CSV report.

The CSV is what the association sends the municipality for its follow-up
("uppföljning och rapportering"): a summary of the period, then one row per
journal record. It is written for Excel as set up in Sweden: Swedish headers,
`;` between fields, decimal commas, a UTF-8 byte order mark, and times in
Home Assistant's time zone. docs/events.md gives the columns in English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
import csv
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from http import HTTPStatus
import io
from typing import Any, Final

from aiohttp import web
from homeassistant.auth.models import User
from homeassistant.auth.permissions.const import CAT_ENTITIES, POLICY_READ
from homeassistant.components.http.const import KEY_HASS_USER
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import Unauthorized
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .journal import Journal, JournalRecord, RecordKind
from .rules.csv_format import (
    BOM,
    DELIMITER,
    LINE_END,
    cell_text as _text,
    decimal as _decimal,
)
from .rules.region import is_region
from .runtime import SotPointConfigEntry, user_may
from .texts import Texts, async_load_texts

CSV_URL: Final = "/api/sot_point/{entry_id}/journal.csv"
CSV_LANGUAGE: Final = "sv"
_SECONDS_PER_HOUR: Final = 3600.0

COLUMNS: Final = (
    "Typ",
    "Början",
    "Slut",
    "Varaktighet (h)",
    "Tid till reservkraft (min)",
    "På reservkraft (h)",
    "Bränsle (liter)",
    "Energi (kWh)",
    "Resultat",
    "Beskrivning",
    "Vem",
)
KIND_NAMES: Final = {
    RecordKind.OUTAGE: "Strömavbrott",
    RecordKind.START_ATTEMPT: "Startförsök",
    RecordKind.START_FAILURE: "Startfel",
    RecordKind.TEST_RUN: "Provkörning",
    RecordKind.ALARM: "Larm",
    RecordKind.COMMAND: "Kommando",
    RecordKind.FUEL_DELIVERY: "Bränsleleverans",
    RecordKind.MAINTENANCE: "Underhåll",
    RecordKind.NOTICE: "Meddelande",
    RecordKind.ANSWER: "Svar",
    RecordKind.FUEL_LOSS: "Bränsleförlust",
}
RESULTS: Final = {
    RecordKind.START_ATTEMPT: {
        "running": "gick igång",
        "failed": "misslyckades",
        "abandoned": "avbrutet",
    },
    RecordKind.START_FAILURE: {
        "fail_to_start": "startade inte",
        "no_backup": "ingen reservkraft",
    },
    RecordKind.TEST_RUN: {"ok": "godkänd", "failed": "underkänd"},
    RecordKind.COMMAND: {
        "done": "utfört",
        "refused": "nekat",
        "not_followed": "ej utfört",
        "unverified": "ej bekräftat",
        "failed": "misslyckades",
    },
}
FUEL_LOSS_KINDS: Final = {
    "leak": "läcka eller stöld",
    "unexplained": "oförklarat fall (glapp i mätningarna)",
}
NOTICE_ACTIONS: Final = {"published": "publicerat", "cleared": "borttaget"}
ONGOING: Final = "pågår"
FUEL_SOURCES: Final = {
    "tank_level": "enligt tanknivån",
    "consumption": "beräknat från förbrukningen",
}


def export_records(
    journal: Journal, start: datetime | None = None, end: datetime | None = None
) -> list[dict[str, Any]]:
    """Records with `start` <= at < `end` as plain values, oldest first."""
    return [record.as_dict() for record in journal.records(start, end)]


# -- the summary ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """The period in figures, as the municipality asks for them."""

    outages: int
    outage_hours: float
    backup_hours: float
    fuel_used_l: float
    energy_kwh: float
    start_attempts: int
    start_failures: int
    test_runs: int
    test_runs_ok: int
    test_runs_failed: int
    alarms: int
    stopping_alarms: int
    fuel_deliveries: int
    fuel_delivered_l: float
    commands_refused: int

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) for the CSV's summary section."""
        return [
            ("Strömavbrott (antal)", str(self.outages)),
            ("Strömavbrott (timmar)", _decimal(self.outage_hours, 2)),
            ("Timmar på reservkraft", _decimal(self.backup_hours, 2)),
            ("Bränsle förbrukat under avbrott (liter)", _decimal(self.fuel_used_l)),
            ("Energi från reservkraftverket (kWh)", _decimal(self.energy_kwh)),
            ("Startförsök (antal)", str(self.start_attempts)),
            ("Misslyckade starter (antal)", str(self.start_failures)),
            ("Provkörningar (antal)", str(self.test_runs)),
            ("Provkörningar godkända (antal)", str(self.test_runs_ok)),
            ("Provkörningar underkända (antal)", str(self.test_runs_failed)),
            ("Larm (antal)", str(self.alarms)),
            ("Larm som stoppar reservkraftverket (antal)", str(self.stopping_alarms)),
            ("Bränsleleveranser (antal)", str(self.fuel_deliveries)),
            ("Levererat bränsle (liter)", _decimal(self.fuel_delivered_l)),
            ("Nekade kommandon (antal)", str(self.commands_refused)),
        ]


def summarize(records: Sequence[JournalRecord], now: datetime) -> Summary:
    """Add up a period's records; an outage still going on counts until `now`."""
    by_kind: dict[RecordKind, list[Mapping[str, Any]]] = {k: [] for k in RecordKind}
    for record in records:
        by_kind[record.kind].append(record.data)
    outages = [r for r in records if r.kind is RecordKind.OUTAGE]
    tests = by_kind[RecordKind.TEST_RUN]
    alarms = by_kind[RecordKind.ALARM]
    deliveries = by_kind[RecordKind.FUEL_DELIVERY]
    return Summary(
        outages=len(outages),
        outage_hours=sum(_outage_seconds(r, now) for r in outages) / 3600,
        backup_hours=_total(by_kind[RecordKind.OUTAGE], "backup_power_s") / 3600,
        fuel_used_l=_total(by_kind[RecordKind.OUTAGE], "fuel_used_l"),
        energy_kwh=_total(by_kind[RecordKind.OUTAGE], "energy_kwh"),
        start_attempts=len(by_kind[RecordKind.START_ATTEMPT]),
        start_failures=len(by_kind[RecordKind.START_FAILURE]),
        test_runs=len(tests),
        test_runs_ok=sum(1 for t in tests if t.get("result") == "ok"),
        test_runs_failed=sum(1 for t in tests if t.get("result") == "failed"),
        alarms=len(alarms),
        stopping_alarms=sum(1 for a in alarms if a.get("stops_engine")),
        fuel_deliveries=len(deliveries),
        fuel_delivered_l=_total(deliveries, "litres"),
        commands_refused=sum(
            1 for c in by_kind[RecordKind.COMMAND] if c.get("result") == "refused"
        ),
    )


def _outage_seconds(record: JournalRecord, now: datetime) -> float:
    duration = _float(record.data.get("duration_s"))
    if duration is not None:
        return duration
    return max((now - record.at).total_seconds(), 0.0)


def _total(items: Iterable[Mapping[str, Any]], key: str) -> float:
    return sum(_float(item.get(key)) or 0.0 for item in items)


# -- the CSV ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the CSV shows besides the records themselves."""

    site: str
    first: date
    last: date
    created: datetime
    texts: Texts
    users: Mapping[str, str]


def journal_csv(records: Sequence[JournalRecord], report: Report) -> str:
    """The CSV report: heading, summary, then one row per record."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator=LINE_END)
    writer.writerow(["SOT-punkt", _text(report.site)])
    writer.writerow(["Period", report.first.isoformat(), report.last.isoformat()])
    writer.writerow(["Skapad", _local(report.created)])
    writer.writerow([])
    writer.writerow(["Sammanställning", "Värde"])
    writer.writerows(summarize(records, report.created).rows())
    writer.writerow([])
    writer.writerow(["Händelser"])
    writer.writerow(COLUMNS)
    writer.writerows(_row(record, report) for record in records)
    return out.getvalue()


def _row(record: JournalRecord, report: Report) -> list[str]:
    data = record.data
    cells = dict.fromkeys(COLUMNS, "")
    cells["Typ"] = KIND_NAMES[record.kind]
    cells["Början"] = _local(record.at)
    cells["Vem"] = _text(_who(data, report.users))
    _KIND_CELLS[record.kind](cells, data, report.texts)
    cells["Beskrivning"] = _text(cells["Beskrivning"])
    return list(cells.values())


def _outage_cells(cells: dict[str, str], data: Mapping[str, Any], _t: Texts) -> None:
    ended = data.get("ended")
    cells["Slut"] = _local_iso(ended)
    cells["Varaktighet (h)"] = _hours(data.get("duration_s"))
    cells["Tid till reservkraft (min)"] = _decimal(
        _div(data.get("time_to_backup_s"), 60), 1
    )
    cells["På reservkraft (h)"] = _hours(data.get("backup_power_s"))
    cells["Bränsle (liter)"] = _decimal(_float(data.get("fuel_used_l")))
    cells["Energi (kWh)"] = _decimal(_float(data.get("energy_kwh")))
    if ended is None:
        cells["Resultat"] = ONGOING
    elif data.get("end_uncertain"):
        cells["Resultat"] = "slutet ej observerat"
    else:
        cells["Resultat"] = "avslutat"
    cells["Beskrivning"] = FUEL_SOURCES.get(str(data.get("fuel_used_source")), "")


def _attempt_cells(cells: dict[str, str], data: Mapping[str, Any], _t: Texts) -> None:
    cells["Slut"] = _local_iso(data.get("ended"))
    cells["Resultat"] = _result(RecordKind.START_ATTEMPT, data.get("result"))
    notes = []
    if data.get("during_outage"):
        notes.append("under strömavbrott")
    if (seconds := _float(data.get("time_to_running_s"))) is not None:
        notes.append(f"i gång efter {_decimal(seconds, 0)} s")
    cells["Beskrivning"] = ", ".join(notes)


def _failure_cells(cells: dict[str, str], data: Mapping[str, Any], t: Texts) -> None:
    cells["Resultat"] = _result(RecordKind.START_FAILURE, data.get("reason"))
    cells["Beskrivning"] = ", ".join(t.alarm(str(a)) for a in data.get("alarms") or ())


def _test_cells(cells: dict[str, str], data: Mapping[str, Any], _t: Texts) -> None:
    cells["Slut"] = _local_iso(data.get("ended"))
    cells["Varaktighet (h)"] = _hours(data.get("duration_s"))
    cells["Resultat"] = _result(RecordKind.TEST_RUN, data.get("result"))
    load = "med last" if data.get("on_load") else "utan last"
    mean = _float(data.get("mean_load_kw"))
    if mean is not None:
        load += f", medellast {_decimal(mean, 1)} kW"
    cells["Beskrivning"] = load


def _alarm_cells(cells: dict[str, str], data: Mapping[str, Any], t: Texts) -> None:
    key = str(data.get("alarm"))
    cleared = data.get("cleared")
    cells["Slut"] = _local_iso(cleared)
    if cleared is not None:
        start = _parse(data.get("raised"))
        end = _parse(cleared)
        if start is not None and end is not None:
            cells["Varaktighet (h)"] = _hours((end - start).total_seconds())
    cells["Resultat"] = t.condition(key, str(data.get("condition")))
    cells["Beskrivning"] = t.alarm(key)


def _command_cells(cells: dict[str, str], data: Mapping[str, Any], t: Texts) -> None:
    cells["Resultat"] = _result(RecordKind.COMMAND, data.get("result"))
    text = t.command(str(data.get("command")))
    if reason := data.get("reason"):
        text += f" ({reason})"
    cells["Beskrivning"] = text


def _delivery_cells(cells: dict[str, str], data: Mapping[str, Any], _t: Texts) -> None:
    cells["Bränsle (liter)"] = _decimal(_float(data.get("litres")))


def _maintenance_cells(
    cells: dict[str, str], data: Mapping[str, Any], _t: Texts
) -> None:
    cells["Resultat"] = "servicelås på" if data.get("on") else "servicelås av"


def _notice_cells(cells: dict[str, str], data: Mapping[str, Any], _t: Texts) -> None:
    cells["Resultat"] = NOTICE_ACTIONS.get(str(data.get("action")), "")
    cells["Beskrivning"] = str(data.get("text_sv") or data.get("message") or "")


def _fuel_loss_cells(cells: dict[str, str], data: Mapping[str, Any], _t: Texts) -> None:
    cells["Slut"] = _local_iso(data.get("ended"))
    cells["Bränsle (liter)"] = _decimal(_float(data.get("litres")))
    cells["Resultat"] = FUEL_LOSS_KINDS.get(str(data.get("kind")), "")
    cells["Beskrivning"] = (
        "medan reservkraftverket gick" if data.get("running") else "vid stillastående"
    )


ANSWER_OUTCOMES: Final = {
    "accepted": "godtaget",
    "status": "läget skickat",
    "wrong_code": "fel kod",
    "expired": "för sent",
    "already_answered": "redan besvarad",
    "not_asked": "ingen fråga",
    "unknown_number": "okänt nummer",
    "not_understood": "okänt svar",
}
CHANNELS: Final = {"sms": "SMS", "app": "appen"}


def _answer_cells(cells: dict[str, str], data: Mapping[str, Any], _t: Texts) -> None:
    cells["Resultat"] = ANSWER_OUTCOMES.get(str(data.get("outcome")), "")
    said = str(data.get("said") or "").strip()
    channel = CHANNELS.get(str(data.get("channel")), str(data.get("channel")))
    cells["Beskrivning"] = f"{said} via {channel} från {data.get('number') or '?'}"


_KIND_CELLS: Final = {
    RecordKind.OUTAGE: _outage_cells,
    RecordKind.START_ATTEMPT: _attempt_cells,
    RecordKind.START_FAILURE: _failure_cells,
    RecordKind.TEST_RUN: _test_cells,
    RecordKind.ALARM: _alarm_cells,
    RecordKind.COMMAND: _command_cells,
    RecordKind.FUEL_DELIVERY: _delivery_cells,
    RecordKind.MAINTENANCE: _maintenance_cells,
    RecordKind.NOTICE: _notice_cells,
    RecordKind.ANSWER: _answer_cells,
    RecordKind.FUEL_LOSS: _fuel_loss_cells,
}


def _who(data: Mapping[str, Any], users: Mapping[str, str]) -> str:
    """Who did it (or acknowledged the alarm), by name where known."""
    for id_key, name_key in (
        ("user_id", "user_name"),
        ("acknowledged_by", "acknowledged_by_name"),
    ):
        if name := data.get(name_key):
            return str(name)
        if user_id := data.get(id_key):
            return users.get(str(user_id), str(user_id))
    return ""


def _result(kind: RecordKind, value: Any) -> str:
    if value is None:
        return ONGOING
    return RESULTS[kind].get(str(value), str(value))


def _float(value: Any) -> float | None:
    """A stored figure; None when unknown (JSON keeps numbers as numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _div(value: Any, by: float) -> float | None:
    number = _float(value)
    return None if number is None else number / by


def _hours(seconds: Any) -> str:
    return _decimal(_div(seconds, _SECONDS_PER_HOUR), 2)


def _parse(value: Any) -> datetime | None:
    return None if value is None else dt_util.parse_datetime(str(value))


def _local(moment: datetime) -> str:
    return dt_util.as_local(moment).strftime("%Y-%m-%d %H:%M")


def _local_iso(value: Any) -> str:
    moment = _parse(value)
    return "" if moment is None else _local(moment)


# -- the HTTP view ------------------------------------------------------------------


@callback
def async_register_export_view(hass: HomeAssistant) -> None:
    """Serve every site's CSV at CSV_URL (called once, from async_setup)."""
    hass.http.register_view(JournalCsvView())


class JournalCsvView(HomeAssistantView):
    """GET /api/sot_point/{entry_id}/journal.csv?start=YYYY-MM-DD&end=YYYY-MM-DD.

    For a logged-in user who may read the site's entities (`runtime.user_may`);
    anyone else is answered 401, as Home Assistant answers Unauthorized.
    """

    url = CSV_URL
    name = "api:sot_point:journal_csv"
    requires_auth = True

    async def get(self, request: web.Request, entry_id: str) -> web.Response:
        """The CSV for one site and period (default: this year so far)."""
        hass = request.app[KEY_HASS]
        texts = await _texts(hass)
        entry: SotPointConfigEntry | None = hass.config_entries.async_get_entry(
            entry_id
        )
        if (
            entry is None
            or entry.domain != DOMAIN
            or is_region(entry.data)
            or entry.state is not ConfigEntryState.LOADED
        ):
            message = texts.message("journal_export_unknown_site", site=entry_id)
            return self.json_message(message, HTTPStatus.NOT_FOUND)
        ensure_may_read(hass, entry, request[KEY_HASS_USER])
        try:
            first, last = period(request.query, dt_util.now().date())
        except ValueError as err:
            message = texts.message("journal_export_bad_period", error=str(err))
            return self.json_message(message, HTTPStatus.BAD_REQUEST)
        records = entry.runtime_data.journal.records(
            dt_util.start_of_local_day(first),
            dt_util.start_of_local_day(last + timedelta(days=1)),
        )
        report = Report(
            site=entry.title,
            first=first,
            last=last,
            created=dt_util.utcnow(),
            texts=Texts(hass, CSV_LANGUAGE),
            users=await _user_names(hass, records),
        )
        filename = f"{DOMAIN}-{first.isoformat()}-{last.isoformat()}.csv"
        return web.Response(
            body=journal_csv(records, report).encode("utf-8"),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


def ensure_may_read(hass: HomeAssistant, entry: ConfigEntry, user: User) -> None:
    """Refuse, as Home Assistant does, a user who may not read the entry's entities."""
    if not user_may(hass, entry, user, POLICY_READ):
        raise Unauthorized(
            user_id=user.id,
            config_entry_id=entry.entry_id,
            perm_category=CAT_ENTITIES,
            permission=POLICY_READ,
        )


def period(query: Mapping[str, str], today: date) -> tuple[date, date]:
    """The first and last day asked for; ValueError saying what is wrong."""
    first = _date(query, "start") or today.replace(month=1, day=1)
    last = _date(query, "end") or today
    if last < first:
        msg = f"end {last.isoformat()} is before start {first.isoformat()}"
        raise ValueError(msg)
    return first, last


def _date(query: Mapping[str, str], key: str) -> date | None:
    raw = query.get(key)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        msg = f"{key}={raw!r} is not a date like 2026-01-31"
        raise ValueError(msg) from None


async def _texts(hass: HomeAssistant) -> Texts:
    await async_load_texts(hass, CSV_LANGUAGE)
    return Texts(hass)


async def _user_names(
    hass: HomeAssistant, records: Iterable[JournalRecord]
) -> dict[str, str]:
    ids = {
        str(record.data[key])
        for record in records
        for key in ("user_id", "acknowledged_by")
        if record.data.get(key)
    }
    names: dict[str, str] = {}
    for user_id in ids:
        user = await hass.auth.async_get_user(user_id)
        if user is not None and user.name:
            names[user_id] = user.name
    return names
