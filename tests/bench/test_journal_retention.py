"""The journal's size after ten simulated years of a busy site (scripts/bench).

Records go in through the real `Journal.add`, with its real pruning, and out
through its real store; the size is that of the stored file's JSON. A busy
site, per year: 40 outages (each with a start attempt, a failed start in one
of ten), 12 monthly test runs with their start attempts, 6 fuel deliveries,
20 maintenance lock changes, 30 notices, 3000 commands and refusals (an
automation refused in a loop included) and 1500 alarm records.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sot_point.journal import Journal, RecordKind
from custom_components.sot_point.journal.store import MAX_CAPPED_RECORDS

pytestmark = pytest.mark.bench

YEARS = 10
START = datetime(2027, 1, 1, tzinfo=UTC)
BUDGET_BYTES = 5 * 1024 * 1024


def _outage(at: datetime) -> dict[str, Any]:
    return {
        "started": at.isoformat(),
        "ended": (at + timedelta(hours=3)).isoformat(),
        "time_to_backup_s": 21.4,
        "backup_power_s": 10780.0,
        "fuel_start_l": 812.5,
        "fuel_estimated_l": 0.0,
        "fuel_delivered_l": 0.0,
        "unobserved_s": 0.0,
        "duration_s": 10800.0,
        "fuel_end_l": 776.1,
        "fuel_used_l": 36.4,
        "end_uncertain": False,
    }


def _year(year: int) -> list[tuple[datetime, RecordKind, dict[str, Any]]]:
    """One busy year's records, in time order."""
    base = START.replace(year=START.year + year)
    items: list[tuple[datetime, RecordKind, dict[str, Any]]] = []
    for n in range(40):
        at = base + timedelta(days=9 * n, hours=3)
        items.append((at, RecordKind.OUTAGE, _outage(at)))
        items.append(
            (
                at + timedelta(seconds=5),
                RecordKind.START_ATTEMPT,
                {
                    "during_outage": True,
                    "control_mode": "auto",
                    "site_mode": "starting",
                    "result": "running" if n % 10 else "failed",
                    "ended": (at + timedelta(seconds=21)).isoformat(),
                    "time_to_running_s": 16.2,
                },
            )
        )
        if n % 10 == 0:
            items.append((at, RecordKind.START_FAILURE, {"reason": "fail_to_start"}))
    for month in range(12):
        at = base + timedelta(days=30 * month + 2, hours=10)
        items.append(
            (
                at,
                RecordKind.TEST_RUN,
                {
                    "started": at.isoformat(),
                    "ended": (at + timedelta(minutes=30)).isoformat(),
                    "control_mode": "test_on_load",
                    "on_load_requested": True,
                    "duration_s": 1800.0,
                    "result": "passed",
                    "on_load": True,
                    "mean_load_kw": 6.4,
                    "max_load_kw": 9.8,
                    "interrupted_by_outage": False,
                },
            )
        )
    for n in range(6):
        at = base + timedelta(days=60 * n + 5)
        items.append(
            (
                at,
                RecordKind.FUEL_DELIVERY,
                {"litres": 400.0, "tank_litres": 950.0, "estimate_litres": 948.2},
            )
        )
    for n in range(20):
        items.append(
            (base + timedelta(days=18 * n), RecordKind.MAINTENANCE, {"on": n % 2 == 0})
        )
    for n in range(30):
        items.append(
            (
                base + timedelta(days=12 * n),
                RecordKind.NOTICE,
                {"action": "published", "text_sv": "Butiken har öppet 10-16." * 3},
            )
        )
    for n in range(3000):
        items.append(
            (
                base + timedelta(minutes=170 * n),
                RecordKind.COMMAND,
                {
                    "command": "start",
                    "result": "refused",
                    "reason": "maintenance_lock",
                    "detail": "",
                    "user_id": "3f1c0e5a9b7d4e2f8a6c1b0d9e8f7a6b",
                },
            )
        )
    for n in range(1500):
        at = base + timedelta(minutes=350 * n)
        items.append(
            (
                at,
                RecordKind.ALARM,
                {
                    "alarm": "low_fuel_level",
                    "condition": "warning",
                    "stops_engine": False,
                    "raised": at.isoformat(),
                    "cleared": (at + timedelta(minutes=3)).isoformat(),
                    "count": 4,
                    "acknowledged": None,
                    "acknowledged_by": None,
                    "acknowledged_by_name": None,
                },
            )
        )
    return sorted(items, key=lambda item: item[0])


async def test_ten_busy_years_fit_in_five_megabytes(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    hass_client: ClientSessionGenerator,
) -> None:
    """Size after ten years; every outage of the first year still in its CSV."""
    journal: Journal = init_integration.runtime_data.journal
    first_year_outages = 0
    for year in range(YEARS):
        for at, kind, data in _year(year):
            journal.add(kind, data, at=at)
            if year == 0 and kind is RecordKind.OUTAGE:
                first_year_outages += 1
    await journal.async_flush()
    stored = hass_storage[f"sot_point.{init_integration.entry_id}.journal"]
    size = len(json.dumps(stored, ensure_ascii=False).encode())
    records = journal.records()
    capped = sum(r.kind in {RecordKind.COMMAND, RecordKind.ALARM} for r in records)
    client = await hass_client()
    response = await client.get(
        f"/api/sot_point/{init_integration.entry_id}/journal.csv",
        params={"start": "2027-01-01", "end": "2027-12-31"},
    )
    csv = await response.text()
    counted = next(
        line.split(";")[1]
        for line in csv.splitlines()
        if line.startswith("Strömavbrott (antal)")
    )
    print(
        f"journal after {YEARS} busy years: {size / 1024 / 1024:.2f} MB, "
        f"{len(records)} records ({capped} commands and alarms, capped at "
        f"{MAX_CAPPED_RECORDS}); the first year's CSV: {counted} of "
        f"{first_year_outages} outages"
    )
    assert size < BUDGET_BYTES
    assert counted == str(first_year_outages)
