"""The region's follow-up report against figures worked out by hand."""

from __future__ import annotations

import csv
from datetime import datetime
import io
from typing import Any
from zoneinfo import ZoneInfo

from custom_components.sot_point.rules.region_report import (
    ReportRow,
    report_csv,
    report_rows,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# The first quarter of 2026 in Sweden: 2025-12-31 23:00 to 2026-03-31 22:00 UTC.
START = datetime(2026, 1, 1, tzinfo=STOCKHOLM)
END = datetime(2026, 4, 1, tzinfo=STOCKHOLM)
SITES = {
    "2321/kall": "SOT-punkt Kall",
    "2303/borgvattnet": "SOT-punkt Borgvattnet",
    "2361/lillhardal": "SOT-punkt Lillhärdal",
}


def event(key: str, kind: str, at: str, record: str, **data: Any) -> dict[str, Any]:
    """An event message as a site's uplink sends it (docs/mqtt.md)."""
    municipality, _, site_id = key.partition("/")
    return {
        "schema": 1,
        "id": f"{record}:{kind}",
        "record_id": record,
        "kind": kind,
        "at": at,
        "county": "23",
        "municipality": municipality,
        "site_id": site_id,
        "site": SITES.get(key, "SOT-punkt Valsjöbyn"),
        "data": data,
    }


KALL = "2321/kall"
BORG = "2303/borgvattnet"
VALSJO = "2313/valsjobyn"
EVENTS = [
    # Kall, outage A: 2 h, 1 h 55 min of it on backup power. Its end came twice.
    event(KALL, "outage_started", "2026-01-10T03:00:00+00:00", "A"),
    event(
        KALL,
        "outage_ended",
        "2026-01-10T03:00:00+00:00",
        "A",
        duration_s=7200,
        backup_power_s=6900,
    ),
    event(
        KALL,
        "outage_ended",
        "2026-01-10T03:00:00+00:00",
        "A",
        duration_s=7200,
        backup_power_s=6900,
    ),
    # Kall, outage B: 5 h, 4 h 55 min on backup power, after a failed start.
    event(KALL, "outage_started", "2026-02-20T10:00:00+00:00", "B"),
    event(KALL, "start_failed", "2026-02-20T10:01:00+00:00", "B1", reason="x"),
    event(
        KALL,
        "outage_ended",
        "2026-02-20T10:00:00+00:00",
        "B",
        duration_s=18000,
        backup_power_s=17700,
    ),
    # 23:30 UTC on 31 January is 00:30 on 1 February in Sweden: February's run.
    event(KALL, "test_run_ended", "2026-01-31T23:30:00+00:00", "T1", result="ok"),
    event(KALL, "fuel_delivery", "2026-02-21T08:00:00+00:00", "F1", litres=500.5),
    # Outage C began at 23:30 on 31 March in Sweden, still open at the end.
    event(KALL, "outage_started", "2026-03-31T21:30:00+00:00", "C"),
    # 23:59 on New Year's Eve in Sweden: before the period.
    event(KALL, "fuel_delivery", "2025-12-31T22:59:00+00:00", "F0", litres=900),
    # 00:00 on 1 April in Sweden: after it.
    event(KALL, "outage_started", "2026-03-31T22:00:00+00:00", "D"),
    # Borgvattnet: a run in January, a failed one in March, a delivery.
    event(BORG, "test_run_ended", "2026-01-15T10:00:00+00:00", "T2", result="ok"),
    event(BORG, "test_run_ended", "2026-03-05T10:00:00+00:00", "T3", result="failed"),
    event(BORG, "fuel_delivery", "2026-03-01T10:00:00+00:00", "F2", litres=1000),
    # Valsjöbyn, not on the region's list yet, failed to start once.
    event(VALSJO, "start_failed", "2026-03-10T04:00:00+00:00", "V1", reason="x"),
    # Not events: skipped, never raised on.
    {"id": "junk", "kind": "start_failed", "at": "2026-02-01T00:00:00+00:00"},
    event(BORG, "start_failed", "yesterday", "J1"),
    event(BORG, "start_failed", "2026-02-01T00:00:00", "J2"),
    "not even a dict",
]


def test_each_sites_figures_are_the_hand_counted_ones() -> None:
    """Outages by the start, hours from the ends, months in Swedish time."""
    rows = report_rows(EVENTS, SITES, START, END)  # type: ignore[arg-type]
    assert rows == [
        ReportRow(
            key=BORG,
            name="SOT-punkt Borgvattnet",
            municipality="2303",
            site_id="borgvattnet",
            test_runs=2,
            failed_test_runs=1,
            months_without_test_run=1,  # February
            fuel_delivered_l=1000.0,
        ),
        ReportRow(
            key=VALSJO,
            name="SOT-punkt Valsjöbyn",
            municipality="2313",
            site_id="valsjobyn",
            start_failures=1,
            months_without_test_run=3,
        ),
        ReportRow(
            key=KALL,
            name="SOT-punkt Kall",
            municipality="2321",
            site_id="kall",
            outages=3,  # A, B, and C still open; D began after the period
            open_outages=1,
            backup_power_h=(6900 + 17700) / 3600,  # 6.83 h
            longest_outage_h=5.0,
            start_failures=1,
            test_runs=1,
            months_without_test_run=2,  # January and March
            fuel_delivered_l=500.5,  # not New Year's Eve's 900
        ),
        ReportRow(
            key="2361/lillhardal",
            name="SOT-punkt Lillhärdal",
            municipality="2361",
            site_id="lillhardal",
            months_without_test_run=3,
        ),
    ]


def test_the_csv_is_written_for_swedish_excel() -> None:
    """BOM, `;`, decimal commas, CRLF, Swedish headers; English on request."""
    rows = report_rows(EVENTS, SITES, START, END)  # type: ignore[arg-type]
    text = report_csv(rows, "sv")
    assert text.startswith("\ufeffKommun;Plats;")
    assert "\r\n" in text
    table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert table[0][3:6] == ["Avbrott", "varav pågående", "Timmar på reservkraft"]
    kall = table[3]
    assert kall == [
        "2321",
        "SOT-punkt Kall",
        "kall",
        "3",
        "1",
        "6,83",
        "5,00",
        "1",
        "1",
        "0",
        "2",
        "500,5",
    ]
    assert table[1][-1] == "1000,0"
    assert len(table) == 5
    english = report_csv(rows, "en")
    assert english.startswith("\ufeffMunicipality;Site;")


def test_a_name_from_the_wire_stays_text_in_a_spreadsheet() -> None:
    """A site's name is what it sent: a formula is not run."""
    rows = report_rows([], {"2321/kall": "=HYPERLINK(1)"}, START, END)
    table = list(csv.reader(io.StringIO(report_csv(rows)), delimiter=";"))
    assert table[1][1] == "'=HYPERLINK(1)"


def test_a_period_of_nothing_counts_no_months() -> None:
    """An empty or backward period has no months and no outages."""
    rows = report_rows(EVENTS, SITES, END, START)  # type: ignore[arg-type]
    assert all(row.months_without_test_run == 0 for row in rows)
    assert all(row.outages == 0 for row in rows)
