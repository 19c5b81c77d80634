"""A county's view in a real Home Assistant: broker, MQTT, region, regional page.

Used by `scripts/demo --region N` and `scripts/bench --only region`. Every
step is what a technician does in the UI, through the same APIs: Home
Assistant's MQTT integration set up by its config flow against Debian's
Mosquitto, a SOT Point entry set up as a region, the info-point add-on in
region mode; and simulated sites publishing (simulator/region_publishers.py).
"""

from __future__ import annotations

import json
from pathlib import Path
import shutil
import subprocess
import sys
from typing import Any, Final

from .ha import REPO, HomeAssistantApi, prefilled
from .processes import Children, wait_for_port

FLOW: Final = "/api/config/config_entries/flow"
MOSQUITTO: Final = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
COUNTY: Final = "23"
REGION_NAME: Final = "Länsstyrelsen Jämtland"
APP_DIR: Final = REPO / "addon" / "sot_point_infopoint" / "app"


def start_broker(children: Children, directory: Path, port: int) -> None:
    """Mosquitto on loopback, anonymous (a demo; docs/mqtt.md has the ACL)."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous true\n"
        "max_queued_messages 100000\n"
        # Retained status of a thousand sites, about 1 kB each.
        "message_size_limit 262144\n"
    )
    children.start("mosquitto", [MOSQUITTO, "-c", str(config)])


async def set_up_mqtt(api: HomeAssistantApi, port: int) -> str:
    """Home Assistant's MQTT integration, through its config flow."""
    result: dict[str, Any] = await api.post(FLOW, {"handler": "mqtt"})
    if result.get("type") == "menu":
        path = f"{FLOW}/{result['flow_id']}"
        result = await api.post(path, {"next_step_id": "broker"})
    path = f"{FLOW}/{result['flow_id']}"
    values = prefilled(result) | {"broker": "127.0.0.1", "port": port}
    # Plain MQTT on loopback: no certificates.
    values["other_settings"] = values.get("other_settings", {}) | {
        "set_ca_cert": "off",
        "set_client_cert": False,
    }
    result = await api.post(path, values)
    if result.get("type") != "create_entry":
        msg = f"MQTT setup ended as {result.get('type')}: {result}"
        raise RuntimeError(msg)
    return str(result["result"]["entry_id"])


async def set_up_region(api: HomeAssistantApi, name: str = REGION_NAME) -> str:
    """A SOT Point entry set up as the county's region."""
    result = await api.flow(
        FLOW,
        {"handler": "sot_point"},
        [{"next_step_id": "region"}, {"name": name, "county": COUNTY}],
    )
    return str(result["result"]["entry_id"])


def start_publishers(
    children: Children, port: int, sites: int, *, skip: int = 0, speed: float = 20
) -> subprocess.Popen[bytes]:
    """`sites` simulated points publishing to the broker on `port`."""
    return children.start(
        "publishers",
        [
            sys.executable,
            "-m",
            "simulator.region_publishers",
            "--port",
            str(port),
            "--sites",
            str(sites),
            "--skip",
            str(skip),
            "--speed",
            str(speed),
        ],
    )


async def start_region_page(
    children: Children,
    *,
    ha_url: str,
    token: str,
    region_entry_id: str,
    state_dir: Path,
    port: int,
    ingress_port: int,
) -> subprocess.Popen[bytes]:
    """The info-point add-on in region mode: the regional overview page."""
    options = state_dir / "regionpage-options.json"
    options.write_text(
        json.dumps(
            {"mode": "region", "region_entry_id": region_entry_id, "language": "sv"}
        )
    )
    page = children.start(
        "regionpage",
        [
            sys.executable,
            "-m",
            "sot_infopoint",
            "--ha-url",
            ha_url,
            "--options",
            str(options),
            "--data-dir",
            str(state_dir / "regionpage"),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--ingress-port",
            str(ingress_port),
            "--ingress-peer",
            "127.0.0.1",
        ],
        env={"HA_TOKEN": token, "PYTHONPATH": str(APP_DIR)},
    )
    await wait_for_port(port, 60, page)
    return page


async def turn_on_uplink(api: HomeAssistantApi, entry_id: str) -> None:
    """The demo site reports to the county, as its options form allows."""
    await api.flow(
        "/api/config/config_entries/options/flow",
        {"handler": entry_id},
        [
            {
                "uplink": {
                    "enabled": True,
                    "county": COUNTY,
                    "municipality": "2321",
                    "site_id": "kall",
                    "heartbeat_min": 1,
                }
            }
        ],
    )
