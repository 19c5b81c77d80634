"""The versioned status object: a site as the info page and any uplink see it.

One plain JSON object per site, built from the coordinator's `SiteState` and
the active notices; its shape is documented in docs/status.md and versioned by
`"schema"`. It holds nothing private: no names, no phone numbers, no user ids,
no addresses of devices. Timestamps are UTC ISO 8601, units SI (litres,
hours, degrees Celsius, percent).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .notice import Notice
from .records import plain
from .site import STATUS_SCHEMA_VERSION, FuelState, SiteState

# What the websocket subscription compares to decide whether anything changed;
# the cycle time alone is not news.
VOLATILE_KEYS = frozenset({"updated"})


def build_status(
    site_name: str,
    state: SiteState | None,
    notices: Sequence[Notice],
    *,
    reachable: bool,
    last_outage: Mapping[str, Any] | None = None,
    services: Sequence[Mapping[str, Any]] = (),
    local_radio: str | None = None,
    official: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The status object of one site.

    `reachable` is whether the last poll reached any device; when it did not,
    the figures are those of the last poll that did, and `updated` says when.
    `last_outage` is the data of the journal's last ended `outage` record:
    its figures are copied as the journal has them, never worked out again,
    so the page says what the logbook and the notifications say.
    `services` is the service board (rules/services_board.py, `Shown.as_dict`)
    and `local_radio` the local P4 station, both from the site's options.
    `official` is what the authorities say (rules/official_info.py), None
    when the site has no county and municipality set.
    """
    status: dict[str, Any] = {
        "schema": STATUS_SCHEMA_VERSION,
        "site": site_name,
        "updated": _iso(state.updated) if state else None,
        "reachable": reachable and state is not None,
        "mode": state.mode.value if state else None,
        "mains_available": state.mains_available if state else None,
        "outage_started": _iso(state.outage_started) if state else None,
        "generator_running": state.generator_running if state else None,
        "on_backup_power": state.on_backup_power if state else None,
        "fuel": _fuel(state.fuel if state else None),
        "warm_room": _warm_room(state),
        "last_outage": _last_outage(last_outage),
        "notices": [notice.as_dict() for notice in notices],
        "services": [dict(service) for service in services],
        "local_radio": local_radio,
        "official": dict(official) if official is not None else None,
    }
    return status


def stable_part(status: dict[str, Any]) -> dict[str, Any]:
    """The status without the keys that change on every poll."""
    return {k: v for k, v in status.items() if k not in VOLATILE_KEYS}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _fuel(fuel: FuelState | None) -> dict[str, Any]:
    if fuel is None:
        fuel = FuelState()
    return {
        "litres": fuel.litres,
        "usable_litres": fuel.usable_litres,
        "level_percent": fuel.level_percent,
        "autonomy_h": fuel.autonomy_h,
        "autonomy_mean_load_h": fuel.autonomy_mean_load_h,
        "source": fuel.source,
    }


def _last_outage(data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return {key: plain(data.get(key)) for key in _LAST_OUTAGE_KEYS}


_LAST_OUTAGE_KEYS = (
    "started",
    "ended",
    "duration_s",
    "backup_power_s",
    "fuel_used_l",
)


def _warm_room(state: SiteState | None) -> dict[str, Any]:
    io = state.io if state else None
    return {
        "temperature_c": io.room_temperature if io else None,
        "heater_on": io.heater_on if io else None,
    }
