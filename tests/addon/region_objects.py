"""Region objects as `sot_point/subscribe_region` sends them, built by hand.

Seven SOT points of Jämtland, one of each rank and a second normal one
without coordinates (its name full of characters HTML must escape), in the
integration's order: worst rank first, then by name.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .conftest import NOW

RANK_ORDER = (
    "no_data",
    "outage_no_backup",
    "start_failed",
    "low_autonomy",
    "backup_power",
    "normal",
)
ODD_NAME = 'Bräcke <b>&amp; "skola"</b>'


def ago(minutes: float) -> str:
    """A moment `minutes` before NOW, as the object writes it."""
    return (NOW - timedelta(minutes=minutes)).isoformat()


def site_row(
    key: str,
    name: str,
    rank: str,
    *,
    heard_min: float | None = 0.5,
    place: tuple[float, float] | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """One site's row; `heard_min` minutes since the region heard it."""
    municipality, _, site_id = key.partition("/")
    on_backup = rank in {"backup_power", "low_autonomy"}
    row: dict[str, Any] = {
        "key": key,
        "municipality": municipality,
        "site_id": site_id,
        "name": name,
        "rank": rank,
        "online": rank != "no_data",
        "last_heard": None if heard_min is None else ago(heard_min),
        "status_sent": None if heard_min is None else ago(heard_min),
        "mode": {"no_data": None, "start_failed": "fault"}.get(
            rank, "backup_power" if on_backup else rank
        ),
        "mains_available": rank == "normal",
        "on_backup_power": on_backup,
        "generator_running": on_backup,
        "outage_started": None if rank in {"normal", "no_data"} else ago(147),
        "autonomy_h": 61.3 if on_backup else None,
        "warm_room_c": 19.5,
        "latitude": place[0] if place else None,
        "longitude": place[1] if place else None,
        "notices": 0,
    }
    return row | changes


def jamtland_sites() -> list[dict[str, Any]]:
    """Seven sites, worst first."""
    return [
        site_row(
            "2313/valsjobyn",
            "SOT-punkt Valsjöbyn",
            "no_data",
            heard_min=42,
            place=(64.07, 14.13),
            warm_room_c=None,
        ),
        site_row(
            "2313/rotviken",
            "SOT-punkt Rötviken",
            "outage_no_backup",
            place=(64.1, 14.5),
        ),
        site_row(
            "2361/lillhardal",
            "SOT-punkt Lillhärdal",
            "start_failed",
            place=(61.85, 14.08),
        ),
        site_row(
            "2321/hallen",
            "SOT-punkt Hallen",
            "low_autonomy",
            place=(63.18, 14.08),
            autonomy_h=7.5,
        ),
        site_row(
            "2321/kall",
            "SOT-punkt Kall",
            "backup_power",
            heard_min=2,
            place=(63.47, 13.25),
        ),
        site_row(
            "2303/borgvattnet",
            "SOT-punkt Borgvattnet",
            "normal",
            place=(63.43, 15.83),
        ),
        site_row("2305/bracke", ODD_NAME, "normal", heard_min=None, warm_room_c=None),
    ]


def region_object(
    sites: list[Any] | None = None,
    *,
    updated_min: float = 0.1,
    **changes: Any,
) -> dict[str, Any]:
    """The region object of county 23, built `updated_min` minutes before NOW."""
    rows = jamtland_sites() if sites is None else sites
    counts = dict.fromkeys(RANK_ORDER, 0)
    for row in rows:
        if isinstance(row, dict) and row.get("rank") in counts:
            counts[row["rank"]] += 1
    base = {
        "schema": 1,
        "region": "Länsstyrelsen Jämtland",
        "county": "23",
        "updated": ago(updated_min),
        "counts": counts,
        "sites": rows,
    }
    return base | changes


# Villages of Jämtland with roughly their places, for a county's worth of sites.
VILLAGES = (
    ("2321", "Kall", 63.47, 13.25),
    ("2303", "Borgvattnet", 63.43, 15.83),
    ("2361", "Lillhärdal", 61.85, 14.08),
    ("2313", "Valsjöbyn", 64.07, 14.13),
    ("2313", "Rötviken", 64.1, 14.5),
    ("2321", "Hallen", 63.18, 14.08),
    ("2380", "Östersund", 63.18, 14.64),
    ("2309", "Föllinge", 63.67, 14.61),
    ("2313", "Gäddede", 64.5, 14.15),
    ("2361", "Funäsdalen", 62.54, 12.55),
    ("2326", "Myrviken", 62.99, 14.35),
    ("2305", "Bräcke", 62.75, 15.42),
    ("2303", "Hammarstrand", 63.11, 16.35),
    ("2321", "Järpen", 63.35, 13.47),
    ("2309", "Krokom", 63.33, 14.45),
    ("2361", "Sveg", 62.03, 14.36),
    ("2326", "Svenstavik", 62.77, 14.43),
    ("2313", "Hammerdal", 63.59, 15.35),
    ("2305", "Kälarne", 62.98, 16.08),
    ("2321", "Storlien", 63.32, 12.10),
)


def county_sites(count: int = 20) -> list[dict[str, Any]]:
    """`count` sites (up to 20) of every rank, worst first, two without a place."""
    ranks: tuple[str, ...] = ("no_data",) * 2 + ("outage_no_backup",)
    ranks += ("start_failed",) * 2 + ("low_autonomy",) * 2 + ("backup_power",) * 4
    rows = []
    for index, (municipality, village, latitude, longitude) in enumerate(
        VILLAGES[:count]
    ):
        rank = ranks[index] if index < len(ranks) else "normal"
        place = None if index in {4, 15} else (latitude, longitude)
        site_id = f"s{index:02d}"
        rows.append(
            site_row(
                f"{municipality}/{site_id}",
                f"SOT-punkt {village}",
                rank,
                heard_min=45 if rank == "no_data" else 0.5 + index % 4,
                place=place,
                autonomy_h=8.5 if rank == "low_autonomy" else 40.0 + index,
            )
        )
    return rows
