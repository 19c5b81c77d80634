# ruff: noqa: RUF001 - opening hours are written with the Swedish dash
"""What a technician does in the UI, done through the same APIs for the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.util.yaml import parse_yaml

from .ha import REPO, HomeAssistantApi

SITE_NAME = "SOT-punkt Kall"
WARM_ROOM_OPEN = "Värmestugan öppen"  # input_boolean.varmestugan_oppen
FLOW = "/api/config/config_entries/flow"
SUBENTRY_FLOW = "/api/config/config_entries/subentries/flow"
OPTIONS_FLOW = "/api/config/config_entries/options/flow"
DASHBOARD = REPO / "dashboards" / "sot_point.yaml"
# The hours of running the association wants in the day tank. One figure: the
# site's option, the Värmestuga blueprint's shedding limit and the alarm
# blueprint's low-fuel limit are all this (blueprint_inputs.yaml says
# MINIMUM_AUTONOMY_H). The day tank is topped up from the store's own diesel
# tank, so 12 h is short for the fuel but long for a warm room: with the
# heater on, a 200 L tank four-fifths full lasts about 24 h, and the room
# stays warm through the storm; a quarter tank (the `fuel_runs_low`
# scenario) lasts about 5 h, and the heater is shed.
MINIMUM_AUTONOMY_H = 12
# The service board (options, Service board): what Kall offers, its pump on
# the generator's circuit, and the local P4 station for the printed notice
# (P4 Jämtland's frequency from Teracom's Tåsjö mast; a site enters its own).
SERVICE_BOARD = {
    "offered": [
        "store",
        "fuel",
        "cash_withdrawal",
        "warm_room",
        "drinking_water",
        "phone_charging",
        "toilets",
    ],
    "pump_on_generator": True,
    "stale_hours": 12,
    "local_radio": "P4 Jämtland 100,8 MHz",
}
# What each automation is called in Home Assistant: what it does, in words.
AUTOMATION_NAMES = {
    "sot_point/reservkraft_vid_stromavbrott.yaml": "Reservkraft vid strömavbrott",
    "sot_point/varmestuga.yaml": "Värmestuga",
    "sot_point/larm_och_eskalering.yaml": "Larm och eskalering",
    "sot_point/provkorning.yaml": "Provkörning",
}


# Where Kall is, by SCB's codes (Jämtlands län, Åre kommun): the official
# information is fetched for them, and the region demo reports under them.
COUNTY = "23"
MUNICIPALITY = "2321"


def official_options(official_url: str) -> dict[str, Any]:
    """The options that have official information fetched from `official_url`.

    The county and municipality are the uplink's codes, with the uplink off.
    """
    return {
        "uplink": {
            "enabled": False,
            "county": COUNTY,
            "municipality": MUNICIPALITY,
            "site_id": "kall",
        },
        "official": {"official_base_url": official_url},
    }


async def set_up_site(
    api: HomeAssistantApi, sim_port: int, official_url: str | None = None
) -> str:
    """Add the site, then its generator, I/O module and transfer switch.

    With `official_url` (a stand-in for Krisinformation's API; the demo has
    no internet) the site fetches official information from there.
    """
    result = await api.flow(
        FLOW,
        {"handler": "sot_point"},
        [{"next_step_id": "site"}, {"site_name": SITE_NAME}],
    )
    entry_id = str(result["result"]["entry_id"])
    # The simulated site's day tank holds 200 L, 180 L of it above the pickup.
    await api.flow(
        OPTIONS_FLOW,
        {"handler": entry_id},
        [
            {
                "tank_capacity_l": 200,
                "tank_usable_l": 180,
                "minimum_autonomy_h": MINIMUM_AUTONOMY_H,
                "service_board": SERVICE_BOARD,
            }
            | (official_options(official_url) if official_url else {})
        ],
    )
    link = {"host": "127.0.0.1", "port": sim_port}
    devices: list[tuple[str, int, list[dict[str, Any]]]] = [
        ("generator", 10, []),
        ("io_module", 1, [{}]),
        ("transfer_switch", 2, []),
    ]
    for kind, unit, extra_steps in devices:
        await api.flow(
            SUBENTRY_FLOW,
            {"handler": [entry_id, kind]},
            [{"next_step_id": "tcp"}, link | {"unit_id": unit}, *extra_steps, {}],
        )
    # Each device added reloads the site; added one right after the other, a
    # reload can start before the last device is stored. One more reload,
    # as a technician would press after adding devices in a hurry.
    await api.post(f"/api/config/config_entries/entry/{entry_id}/reload", {})
    return entry_id


async def close_store_for_the_night(api: HomeAssistantApi, entry_id: str) -> None:
    """The association's evening: the store closes, the rest is said as it is.

    Through `sot_point.set_services`, as a script on a dashboard button would.
    The warm room is left to its heater and the fuel to the pump's power.
    """
    await api.post(
        "/api/services/sot_point/set_services",
        {
            "config_entry_id": entry_id,
            "services": [
                {
                    "service": "store",
                    "state": "closed",
                    "note": "Öppnar kl 08",
                    "hours": "08–20",
                },
                {"service": "fuel", "state": "open", "hours": "Dygnet runt"},
                {
                    "service": "cash_withdrawal",
                    "state": "limited",
                    "note": "Max 2 000 kr",
                },
                {"service": "phone_charging", "state": "open", "note": "I värmestugan"},
                {"service": "drinking_water", "state": "open", "note": "Ta med dunk"},
                {"service": "toilets", "state": "open"},
            ],
        },
    )


async def set_up_automations(api: HomeAssistantApi, entry_id: str) -> None:
    """One automation per shipped blueprint, with the demo's inputs."""
    await _set_up_warm_room_switch(api)
    for number, (path, inputs) in enumerate(_blueprint_inputs(entry_id).items()):
        await api.post(
            f"/api/config/automation/config/sot_point_demo_{number}",
            {
                "alias": AUTOMATION_NAMES.get(path, Path(path).stem),
                "use_blueprint": {"path": path, "input": inputs},
            },
        )


async def _set_up_warm_room_switch(api: HomeAssistantApi) -> None:
    """The toggle helper the association flips when it opens the warm room.

    Created closed: in the demo the room is heated because the store is on
    backup power, not because someone opened it.
    """
    await api.websocket(
        [
            {
                "type": "input_boolean/create",
                "name": WARM_ROOM_OPEN,
                "icon": "mdi:home-thermometer",
            }
        ]
    )


def _blueprint_inputs(entry_id: str) -> dict[str, dict[str, Any]]:
    """Inputs for each blueprint that exists; notifications go to HA itself."""
    inputs_file = REPO / "demo" / "blueprint_inputs.yaml"
    if not inputs_file.exists():
        return {}
    text = (
        inputs_file.read_text()
        .replace("ENTRY_ID", entry_id)
        .replace("MINIMUM_AUTONOMY_H", str(MINIMUM_AUTONOMY_H))
    )
    loaded = parse_yaml(text) or {}
    if not isinstance(loaded, dict):
        msg = f"{inputs_file} must map blueprint paths to their inputs"
        raise TypeError(msg)
    folder = REPO / "blueprints" / "automation"
    return {path: value for path, value in loaded.items() if (folder / path).exists()}


async def set_up_dashboard(api: HomeAssistantApi) -> None:
    """The association's dashboard, from the file the README tells people to import."""
    config = parse_yaml(DASHBOARD.read_text())
    await api.websocket(
        [
            {
                "type": "lovelace/dashboards/create",
                "url_path": "sot-point",
                "title": "SOT-punkt",
                "icon": "mdi:home-lightning-bolt",
                "mode": "storage",
                "require_admin": False,
                "show_in_sidebar": True,
            },
            {"type": "lovelace/config/save", "url_path": "sot-point", "config": config},
        ]
    )
