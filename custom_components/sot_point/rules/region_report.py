"""The region's follow-up report: per site, what the period's events say.

The county board follows up and reports on its SOT points. The region keeps
every event the sites sent over MQTT (docs/mqtt.md), each once by its id;
this module counts them for a period `[start, end)`:

- **outages**: outages that *began* in the period (an `outage_ended` and its
  `outage_started` share a record id and are one outage). One still open
  (only its start received) is counted, and counted again in `open_outages`;
  its hours are not known yet and are not guessed.
- **hours on backup power**: the sum of the ended outages' `backup_power_s`;
  **longest outage**: the largest `duration_s` of them.
- **start failures**: `start_failed` events of the period.
- **test runs**: `test_run_ended` events of the period, whatever their
  result (a run that failed was still done; `failed_test_runs` counts those);
  **months without a test run**: calendar months (in the period's time
  zone, that of `start`) that lie in the period, wholly or in part, with no
  test run of the site.
- **fuel delivered**: the sum of `fuel_delivery` litres.

An event's time is its `at` (for an outage's end: when the outage began, so
both halves fall in the same period). Events that are not dicts of the
documented shape are skipped; nothing here raises on bad input. The CSV is
written as the site's report is (rules/csv_format.py). No Home Assistant
here: region/report_view.py serves it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any, Final

from .csv_format import cell_text, csv_text, decimal

_SECONDS_PER_HOUR: Final = 3600.0

COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "sv": (
        "Kommun",
        "Plats",
        "Platsens id",
        "Avbrott",
        "varav pågående",
        "Timmar på reservkraft",
        "Längsta avbrott (h)",
        "Startfel",
        "Provkörningar",
        "varav underkända",
        "Månader utan provkörning",
        "Levererad diesel (liter)",
    ),
    "en": (
        "Municipality",
        "Site",
        "Site id",
        "Outages",
        "of which ongoing",
        "Hours on backup power",
        "Longest outage (h)",
        "Start failures",
        "Test runs",
        "of which failed",
        "Months without a test run",
        "Fuel delivered (litres)",
    ),
}


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One site's figures for the period."""

    key: str
    name: str
    municipality: str
    site_id: str
    outages: int = 0
    open_outages: int = 0
    backup_power_h: float = 0.0
    longest_outage_h: float = 0.0
    start_failures: int = 0
    test_runs: int = 0
    failed_test_runs: int = 0
    months_without_test_run: int = 0
    fuel_delivered_l: float = 0.0

    def cells(self) -> list[str]:
        """The row as the CSV has it."""
        return [
            self.municipality,
            cell_text(self.name),
            self.site_id,
            str(self.outages),
            str(self.open_outages),
            decimal(self.backup_power_h, 2),
            decimal(self.longest_outage_h, 2),
            str(self.start_failures),
            str(self.test_runs),
            str(self.failed_test_runs),
            str(self.months_without_test_run),
            decimal(self.fuel_delivered_l),
        ]


@dataclass(frozen=True, slots=True)
class _Event:
    id: str
    record_id: str
    kind: str
    at: datetime
    key: str
    site: str
    data: Mapping[str, Any]


@dataclass(slots=True)
class _Tally:
    """What one site's events of the period add up to."""

    outages: dict[str, float | None] = field(default_factory=dict)
    backup_s: float = 0.0
    start_failures: int = 0
    test_runs: int = 0
    failed_test_runs: int = 0
    test_months: set[tuple[int, int]] = field(default_factory=set)
    fuel_l: float = 0.0


def report_rows(
    events: Iterable[Mapping[str, Any]],
    sites: Mapping[str, str],
    start: datetime,
    end: datetime,
) -> list[ReportRow]:
    """One row per site known or heard of, by municipality and name."""
    zone = start.tzinfo
    tallies: dict[str, _Tally] = {}
    names: dict[str, str] = dict(sites)
    for event in _unique(events):
        names.setdefault(event.key, event.site or event.key)
        if start <= event.at < end:
            _count(tallies.setdefault(event.key, _Tally()), event, zone)
    months = _months(start, end, zone)
    rows = [
        _row(key, name, tallies.get(key, _Tally()), months)
        for key, name in names.items()
    ]
    return sorted(rows, key=lambda row: (row.municipality, row.name.casefold()))


def report_csv(rows: Sequence[ReportRow], lang: str = "sv") -> str:
    """The report as CSV: a header row, then one row per site."""
    columns = COLUMNS.get(lang, COLUMNS["sv"])
    return csv_text([list(columns), *(row.cells() for row in rows)])


def _unique(events: Iterable[Mapping[str, Any]]) -> Iterable[_Event]:
    seen: set[str] = set()
    for raw in events:
        event = _parse(raw)
        if event is not None and event.id not in seen:
            seen.add(event.id)
            yield event


def _parse(raw: Any) -> _Event | None:
    if not isinstance(raw, Mapping):
        return None
    texts = [raw.get(name) for name in ("id", "kind", "municipality", "site_id")]
    data = raw.get("data", {})
    at = _time(raw.get("at"))
    if not all(isinstance(text, str) and text for text in texts) or at is None:
        return None
    if not isinstance(data, Mapping):
        return None
    event_id, kind, municipality, site_id = (str(text) for text in texts)
    site = raw.get("site")
    return _Event(
        id=event_id,
        record_id=str(raw.get("record_id") or event_id),
        kind=kind,
        at=at,
        key=f"{municipality}/{site_id}",
        site=site if isinstance(site, str) else "",
        data=data,
    )


def _count(tally: _Tally, event: _Event, zone: tzinfo | None) -> None:
    data = event.data
    if event.kind == "outage_started":
        tally.outages.setdefault(event.record_id, None)
    elif event.kind == "outage_ended":
        tally.outages[event.record_id] = _number(data.get("duration_s")) or 0.0
        tally.backup_s += _number(data.get("backup_power_s")) or 0.0
    elif event.kind == "start_failed":
        tally.start_failures += 1
    elif event.kind == "test_run_ended":
        tally.test_runs += 1
        tally.failed_test_runs += data.get("result") == "failed"
        local = event.at.astimezone(zone)
        tally.test_months.add((local.year, local.month))
    elif event.kind == "fuel_delivery":
        tally.fuel_l += _number(data.get("litres")) or 0.0


def _row(
    key: str, name: str, tally: _Tally, months: Sequence[tuple[int, int]]
) -> ReportRow:
    municipality, _, site_id = key.partition("/")
    durations = [seconds for seconds in tally.outages.values() if seconds is not None]
    row = ReportRow(key=key, name=name, municipality=municipality, site_id=site_id)
    return replace(
        row,
        outages=len(tally.outages),
        open_outages=len(tally.outages) - len(durations),
        backup_power_h=tally.backup_s / _SECONDS_PER_HOUR,
        longest_outage_h=max(durations, default=0.0) / _SECONDS_PER_HOUR,
        start_failures=tally.start_failures,
        test_runs=tally.test_runs,
        failed_test_runs=tally.failed_test_runs,
        months_without_test_run=sum(month not in tally.test_months for month in months),
        fuel_delivered_l=tally.fuel_l,
    )


def _months(
    start: datetime, end: datetime, zone: tzinfo | None
) -> list[tuple[int, int]]:
    """The calendar months that lie in [start, end), wholly or in part."""
    if end <= start:
        return []
    first = start.astimezone(zone)
    last = (end - timedelta(microseconds=1)).astimezone(zone)
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
