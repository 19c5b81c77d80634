"""The integration in a real `hass` of each supported Home Assistant release.

Our unit tests run on the release pytest-homeassistant-custom-component pins;
users upgrade every month. This starts a real Home Assistant of the tested
release and of the newest one (scripts/setup builds both venvs), copies the
integration in, adds the site and its three devices through the flow APIs as
the demo does, and follows a storm on the simulator. Slow: run by
scripts/test like every other test; `-m "not slow"` leaves it out.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
import re
import shutil
import socket
from typing import Any

import aiohttp
import pytest

from custom_components.sot_point import PLATFORMS
from demo.ha import (
    REPO,
    DemoUser,
    HomeAssistantApi,
    home_assistant_python,
    start_home_assistant,
    supported_versions,
    wait_for_onboarding,
    write_config,
)
from demo.processes import Children, wait_for_port
from demo.region import set_up_mqtt, set_up_region, start_broker, turn_on_uplink
from demo.setup_site import set_up_automations, set_up_site
from simulator import SimulatedSite

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled")]

SITE_STATUS = "sensor.sot_punkt_kall_site_status"
MAINS = "binary_sensor.mains_available"
SWITCH_POSITION = "sensor.transfer_switch_position"
MODE = "select.generator_mode"
# The site, and what its three devices show as: generator (the controller),
# warm room (the I/O module), transfer switch, mains and fuel tank.
DEVICES = {"site", "generator", "warm_room", "transfer_switch", "mains", "tank"}
# Every entity the demo's site (controller, I/O module with its three inputs,
# separate transfer switch) has in the entity registry, disabled ones included:
# 81, and a state, a note and opening hours for each of the seven services
# its board offers.
ENTITIES = 81 + 7 * 3
BLUEPRINTS = {
    "sot_point/reservkraft_vid_stromavbrott.yaml",
    "sot_point/varmestuga.yaml",
    "sot_point/larm_och_eskalering.yaml",
    "sot_point/provkorning.yaml",
}
# The demo site as a region in the same Home Assistant sees it (sot/23/2321/kall).
REGION_STATUS = "sensor.sot_23_2321_kall_status"
REGION_ONLINE = "binary_sensor.sot_23_2321_kall_online"
REGION_ENTITIES = 6
# What Home Assistant logs for every custom integration; the one line about
# us that is allowed.
NOT_TESTED = "We found a custom integration sot_point which has not been tested"
# A log record's first line; 2026.11 added the UTC offset to the time.
RECORD_START = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+(?:[+-]\d\d:\d\d)? (\w+) "
)
# Simulated seconds per real second once the site is set up.
STORM_SPEED = 5.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class StateLog:
    """Every state each entity took, in order, from HA's state_changed events."""

    seen: dict[str, list[str]] = field(default_factory=dict)

    def add(self, entity_id: str, state: str) -> None:
        """Keep `state` unless it repeats the last one."""
        states = self.seen.setdefault(entity_id, [])
        if not states or states[-1] != state:
            states.append(state)

    def last(self, entity_id: str) -> str | None:
        """The entity's current state, as far as the events told."""
        states = self.seen.get(entity_id)
        return states[-1] if states else None

    async def wait_for(self, entity_id: str, state: str, seconds: float) -> None:
        """Wait until `entity_id` is in `state`, or fail with what it went through."""
        deadline = asyncio.get_running_loop().time() + seconds
        while self.last(entity_id) != state:
            if asyncio.get_running_loop().time() > deadline:
                pytest.fail(
                    f"{entity_id} never became {state}: {self.seen.get(entity_id)}"
                )
            await asyncio.sleep(0.2)


@asynccontextmanager
async def _followed(api: HomeAssistantApi) -> AsyncIterator[StateLog]:
    """A StateLog fed by a websocket subscription to state changes."""
    log = StateLog()
    for state in await api.get("/api/states"):
        log.add(state["entity_id"], state["state"])
    async with api.session.ws_connect(api.base + "/api/websocket") as ws:
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": api.token})
        await ws.receive_json()
        await ws.send_json(
            {"id": 1, "type": "subscribe_events", "event_type": "state_changed"}
        )

        async def listen() -> None:
            async for message in ws:
                event = message.json().get("event")
                if event and event["data"]["new_state"]:
                    new = event["data"]["new_state"]
                    log.add(new["entity_id"], new["state"])

        listener = asyncio.create_task(listen())
        try:
            yield log
        finally:
            listener.cancel()


def _log_records(text: str) -> list[tuple[str, str]]:
    """HA's log as (level, whole record), a traceback kept with its line."""
    records: list[tuple[str, str]] = []
    for line in text.splitlines():
        if match := RECORD_START.match(line):
            records.append((match[1], line))
        elif records:
            level, body = records[-1]
            records[-1] = (level, f"{body}\n{line}")
    return records


def _complaints_about_us(text: str) -> list[str]:
    """ERROR and WARNING records that mention sot_point, bar 'not tested'."""
    return [
        body
        for level, body in _log_records(text)
        if level in {"WARNING", "ERROR", "CRITICAL"}
        and "sot_point" in body
        and NOT_TESTED not in body
    ]


def test_log_reading_finds_a_traceback_about_us() -> None:
    """The log check would see a platform failing, as it did on 2026.11.0."""
    text = (
        "2026-11-05 10:00:00.001 WARNING (SyncWorker_0) [homeassistant.loader] "
        f"{NOT_TESTED} by Home Assistant.\n"
        "2026-11-05 10:00:01.002+00:00 ERROR (MainThread) "
        "[homeassistant.components.sensor] Error while setting up a platform\n"
        "Traceback (most recent call last):\n"
        '  File ".../custom_components/sot_point/entity.py", line 79\n'
        "2026-11-05 10:00:02.003 INFO (MainThread) [custom_components.sot_point] "
        "sot_point ready\n"
    )
    (complaint,) = _complaints_about_us(text)
    assert "sot_point/entity.py" in complaint


async def _registry(api: HomeAssistantApi, entry_id: str) -> tuple[list[Any], ...]:
    devices, entities = await api.websocket(
        [
            {"type": "config/device_registry/list"},
            {"type": "config/entity_registry/list"},
        ]
    )
    ours = [d for d in devices if entry_id in d["config_entries"]]
    return ours, [e for e in entities if e["config_entry_id"] == entry_id]


async def _set_mode(api: HomeAssistantApi, entry_id: str, mode: str) -> None:
    await api.post(
        "/api/services/sot_point/set_controller_mode",
        {"config_entry_id": entry_id, "mode": mode},
    )


async def _check_release(version: str, tmp_path: Path) -> tuple[str, list[str]]:
    """Everything a user upgrading would look at; HA's log and what was seen."""
    port = _free_port()
    config_dir = tmp_path / "config"
    children = Children(tmp_path)
    async with SimulatedSite.serve(
        host="127.0.0.1", port=0, scenario="normal", speed=1
    ) as sim:
        try:
            # A copy, as a user installs it (the demo links to the clone).
            write_config(config_dir, port)
            link = config_dir / "custom_components" / "sot_point"
            link.unlink()
            shutil.copytree(REPO / "custom_components" / "sot_point", link)
            hass = start_home_assistant(
                children, config_dir, home_assistant_python(version)
            )
            await wait_for_onboarding(hass, port)
            async with aiohttp.ClientSession() as session:
                api = HomeAssistantApi(session, f"http://127.0.0.1:{port}")
                await api.onboard(DemoUser())
                await api.confirm_http_config(config_dir)
                (config,) = await api.websocket([{"type": "get_config"}])
                assert config["version"] == version
                entry_id = await set_up_site(api, sim.port)
                await set_up_automations(api, entry_id)
                await api.remove_online_integrations()
                async with _followed(api) as states:
                    seen = await _check_site(api, entry_id, states, sim)
                    seen += await _check_region(api, entry_id, states, children)
        finally:
            children.stop_all()
    return (config_dir / "home-assistant.log").read_text(), [
        f"Home Assistant {version}: site loaded",
        *seen,
    ]


async def _check_site(
    api: HomeAssistantApi, entry_id: str, states: StateLog, sim: SimulatedSite
) -> list[str]:
    await states.wait_for(SITE_STATUS, "normal", 60)
    entries = await api.get("/api/config/config_entries/entry")
    assert [e["state"] for e in entries if e["entry_id"] == entry_id] == ["loaded"]
    devices, entities = await _registry(api, entry_id)
    kinds = {
        ident.removeprefix(entry_id).lstrip("_") or "site"
        for d in devices
        for domain, ident in d["identifiers"]
        if domain == "sot_point"
    }
    assert kinds == DEVICES
    assert len(entities) == ENTITIES
    assert {e["entity_id"].split(".")[0] for e in entities} == set(PLATFORMS)

    # One action, through to the controller and back on the select.
    await _set_mode(api, entry_id, "manual")
    await states.wait_for(MODE, "manual", 30)
    await _set_mode(api, entry_id, "auto")
    await states.wait_for(MODE, "auto", 30)

    # The storm: the grid fails, the set takes the load, the grid returns.
    sim.speed = STORM_SPEED
    sim.site.lose_mains()
    await states.wait_for(SITE_STATUS, "backup_power", 120)
    assert states.last(MAINS) == "off"
    assert states.last(SWITCH_POSITION) == "generator"
    sim.site.restore_mains()
    await states.wait_for(SITE_STATUS, "normal", 120)
    await states.wait_for(SWITCH_POSITION, "mains", 30)
    assert states.last(MAINS) == "on"
    assert "unavailable" not in states.seen[SITE_STATUS]

    automations = [e for e in states.seen if e.startswith("automation.")]
    assert len(automations) == len(BLUEPRINTS)
    assert all(states.last(a) == "on" for a in automations), states.seen
    (blueprints,) = await api.websocket(
        [{"type": "blueprint/list", "domain": "automation"}]
    )
    assert set(blueprints) >= BLUEPRINTS
    assert all("error" not in blueprints[path] for path in BLUEPRINTS), blueprints
    platforms = sorted({e["entity_id"].split(".")[0] for e in entities})
    return [
        f"platforms: {', '.join(platforms)}",
        f"devices: {len(devices)} ({', '.join(sorted(kinds))})",
        f"entities: {len(entities)}",
        "set_controller_mode: " + " -> ".join(states.seen[MODE]),
        "site status: " + " -> ".join(states.seen[SITE_STATUS]),
        "mains available: " + " -> ".join(states.seen[MAINS]),
        "transfer switch: " + " -> ".join(states.seen[SWITCH_POSITION]),
        f"blueprints: {len(BLUEPRINTS)} loaded, {len(automations)} automations on",
    ]


async def _check_region(
    api: HomeAssistantApi, site_id: str, states: StateLog, children: Children
) -> list[str]:
    """The site's uplink through a real Mosquitto to a region in the same HA."""
    port = _free_port()
    start_broker(children, children.log_dir / "mosquitto", port)
    await wait_for_port(port, 30, children.children[-1].process)
    await set_up_mqtt(api, port)
    await turn_on_uplink(api, site_id)
    region_id = await set_up_region(api)
    await states.wait_for(REGION_ONLINE, "on", 60)
    await states.wait_for(REGION_STATUS, "normal", 60)
    devices, entities = await _registry(api, region_id)
    assert len(devices) == 1
    assert len(entities) == REGION_ENTITIES
    return [
        f"region: {len(devices)} site heard over MQTT, {len(entities)} entities, "
        "status " + " -> ".join(states.seen[REGION_STATUS]),
    ]


@pytest.mark.parametrize("version", supported_versions())
def test_site_follows_a_storm_on_each_release(version: str, tmp_path: Path) -> None:
    """Every platform, device and entity, the storm, an action and the blueprints."""
    log, seen = asyncio.run(_check_release(version, tmp_path))
    assert _complaints_about_us(log) == []
    # The log was read as records: the one warning about us that is allowed.
    records = _log_records(log)
    assert any(level == "WARNING" and NOT_TESTED in body for level, body in records)
    # What was checked, for `pytest -rP` (and the release notes).
    print("\n".join([*seen, f"log: {len(records)} records, none about sot_point"]))
