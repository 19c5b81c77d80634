"""The region object (schema 1) of `sot_point/subscribe_region`, read into typed values.

The integration's region entry sends it: the region's name and county, when
it was built, and one row per site, worst rank first (docs/mqtt.md and the
integration's rules/region.py). The add-on is installed apart from the
integration and cannot import it, so the ranks are declared again here
(tests/addon/test_region_parity.py keeps both sides equal).

As with a site's status, anything malformed is refused as a whole with
`RegionError` and the page keeps the last good object. A coordinate out of
range is not a reason to refuse a site: the site is then shown without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from .status import StatusError, _bool, _list, _number, _object, _time

SCHEMA: Final = 1


class RegionError(ValueError):
    """The region object is not one this app can read."""


class Rank(StrEnum):
    """How a site is doing, worst first (the integration's order)."""

    NO_DATA = "no_data"
    OUTAGE_NO_BACKUP = "outage_no_backup"
    START_FAILED = "start_failed"
    LOW_AUTONOMY = "low_autonomy"
    BACKUP_POWER = "backup_power"
    NORMAL = "normal"


RANKS: Final[tuple[Rank, ...]] = tuple(Rank)


@dataclass(frozen=True, slots=True)
class Location:
    """Where a site is (WGS 84 degrees)."""

    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class RegionSite:
    """One row of the region: a site and what it last said."""

    key: str
    municipality: str
    site_id: str
    name: str
    rank: Rank
    online: bool
    last_heard: datetime | None
    status_sent: datetime | None
    mode: str | None
    on_backup_power: bool | None
    generator_running: bool | None
    outage_started: datetime | None
    autonomy_h: float | None
    warm_room_c: float | None
    location: Location | None
    notices: int


@dataclass(frozen=True, slots=True)
class Region:
    """One region object: every site of the region, worst first."""

    name: str
    county: str
    updated: datetime
    sites: tuple[RegionSite, ...]

    def counts(self) -> dict[Rank, int]:
        """How many sites have each rank (every rank, zero included)."""
        counts = dict.fromkeys(RANKS, 0)
        for site in self.sites:
            counts[site.rank] += 1
        return counts


def parse_region(raw: object) -> Region:
    """Read a region object; RegionError when it is not schema 1 or malformed.

    Any JSON value may come in; nothing but RegionError leaves this function.
    The sites keep the order they came in (the integration's: worst first).
    """
    if not isinstance(raw, Mapping):
        msg = f"a region object must be an object, not {type(raw).__name__}"
        raise RegionError(msg)
    if raw.get("schema") != SCHEMA:
        msg = f"region schema {raw.get('schema')!r}, this app reads {SCHEMA}"
        raise RegionError(msg)
    try:
        return _parse(raw)
    except (KeyError, TypeError, ValueError, OverflowError, StatusError) as err:
        msg = f"malformed region object: {err!r}"
        raise RegionError(msg) from err


def _parse(raw: Mapping[str, Any]) -> Region:
    updated = _time(raw["updated"])
    if updated is None:
        msg = "a region object without `updated`"
        raise ValueError(msg)
    return Region(
        name=_text(raw["region"]),
        county=_text(raw.get("county") or ""),
        updated=updated,
        sites=tuple(_site(item) for item in _list(raw.get("sites"), "sites")),
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        msg = f"a string, not {type(value).__name__}"
        raise TypeError(msg)
    return value


def _site(value: Any) -> RegionSite:
    row = _object(value, "a site")
    key = _text(row["key"])
    municipality, _, site_id = key.partition("/")
    mode = row.get("mode")
    notices = row.get("notices")
    return RegionSite(
        key=key,
        municipality=_text(row.get("municipality") or municipality),
        site_id=_text(row.get("site_id") or site_id),
        name=_text(row.get("name") or site_id or key),
        rank=Rank(row["rank"]),
        online=bool(row.get("online")),
        last_heard=_time(row.get("last_heard")),
        status_sent=_time(row.get("status_sent")),
        mode=mode if isinstance(mode, str) else None,
        on_backup_power=_bool(row.get("on_backup_power")),
        generator_running=_bool(row.get("generator_running")),
        outage_started=_time(row.get("outage_started")),
        autonomy_h=_number(row.get("autonomy_h")),
        warm_room_c=_number(row.get("warm_room_c")),
        location=_location(row.get("latitude"), row.get("longitude")),
        notices=notices if isinstance(notices, int) and notices > 0 else 0,
    )


def _location(latitude: Any, longitude: Any) -> Location | None:
    """A site's place, or None when it gave none or one that is no place."""
    try:
        lat, lon = _number(latitude), _number(longitude)
    except TypeError, ValueError:
        return None
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    return Location(lat, lon)
