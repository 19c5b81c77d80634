"""A real Home Assistant for the demo: configured, onboarded and set up by its API.

Everything a technician would click is done here through the same REST and
websocket APIs the UI uses: onboarding, the config flow for the site and one
subentry flow per device, automations from the blueprints, a dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from pathlib import Path
import shutil
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parent.parent
CLIENT_ID = "http://127.0.0.1/"
ONLINE_DOMAINS = frozenset(
    {"met", "radio_browser", "google_translate", "shopping_list"}
)

CONFIGURATION = """\
homeassistant:
  name: SOT-punkt Demo
  time_zone: Europe/Stockholm
  country: SE
  currency: SEK
  unit_system: metric
  latitude: 63.36
  longitude: 13.12
http:
  server_host: 127.0.0.1
  server_port: {port}
frontend:
config:
history:
logbook:
person:
automation: !include automations.yaml
script:
logger:
  default: warning
  logs:
    custom_components.sot_point: info
"""


@dataclass(frozen=True, slots=True)
class DemoUser:
    """The demo's login, printed for the person running it."""

    name: str = "Demo"
    username: str = "demo"
    password: str = "sotpunkt-demo"  # noqa: S105 - a local demo's printed login


def write_config(config_dir: Path, port: int) -> None:
    """A fresh config folder with the integration and the blueprints in it."""
    if config_dir.exists():
        shutil.rmtree(config_dir)
    (config_dir / "custom_components").mkdir(parents=True)
    (config_dir / "configuration.yaml").write_text(CONFIGURATION.format(port=port))
    (config_dir / "automations.yaml").write_text("[]\n")
    (config_dir / "custom_components" / "sot_point").symlink_to(
        REPO / "custom_components" / "sot_point"
    )
    blueprints = REPO / "blueprints" / "automation" / "sot_point"
    if blueprints.is_dir():
        target = config_dir / "blueprints" / "automation" / "sot_point"
        shutil.copytree(blueprints, target)


class HomeAssistantApi:
    """A small client for the APIs the demo needs."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        """Talk to Home Assistant at `base` (http://127.0.0.1:PORT)."""
        self.session = session
        self.base = base
        self.token = ""

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST JSON, return the JSON answer; a non-2xx answer is an error."""
        async with self.session.post(
            self.base + path, json=body, headers=self._headers()
        ) as response:
            text = await response.text()
            if response.status >= 300:
                msg = f"POST {path}: {response.status} {text[:300]}"
                raise RuntimeError(msg)
            return json.loads(text) if text else None

    async def onboard(self, user: DemoUser) -> None:
        """Create the demo user and finish onboarding, as the first screen does."""
        answer = await self.post(
            "/api/onboarding/users",
            {
                "client_id": CLIENT_ID,
                "name": user.name,
                "username": user.username,
                "password": user.password,
                "language": "sv",
            },
        )
        async with self.session.post(
            self.base + "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": answer["auth_code"],
                "client_id": CLIENT_ID,
            },
        ) as response:
            self.token = (await response.json())["access_token"]
        await self.post("/api/onboarding/core_config", {})
        await self.post("/api/onboarding/analytics", {})
        await self.post(
            "/api/onboarding/integration",
            {"client_id": CLIENT_ID, "redirect_uri": CLIENT_ID},
        )
        await self.remove_online_integrations()

    async def remove_online_integrations(self) -> None:
        """Drop what onboarding adds that needs the internet (weather, radio...).

        A SOT point has no internet in a storm; these would only fill the log.
        """
        async with self.session.get(
            self.base + "/api/config/config_entries/entry", headers=self._headers()
        ) as response:
            entries = await response.json()
        for entry in entries:
            if entry["domain"] in ONLINE_DOMAINS:
                async with self.session.delete(
                    f"{self.base}/api/config/config_entries/entry/{entry['entry_id']}",
                    headers=self._headers(),
                ):
                    pass

    async def flow(
        self, start_path: str, start: dict[str, Any], steps: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Run a config (or subentry) flow through its steps, like the UI does."""
        result: dict[str, Any] = await self.post(start_path, start)
        for step in steps:
            if result.get("type") in ("create_entry", "abort"):
                break
            if result.get("errors"):
                msg = f"flow {result.get('step_id')}: {result['errors']}"
                raise RuntimeError(msg)
            result = await self.post(f"{start_path}/{result['flow_id']}", step)
        if result.get("type") != "create_entry":
            msg = f"flow ended as {result.get('type')}: {result}"
            raise RuntimeError(msg)
        return result

    async def websocket(self, messages: list[dict[str, Any]]) -> list[Any]:
        """Send websocket commands in order; return each command's result."""
        results: list[Any] = []
        async with self.session.ws_connect(self.base + "/api/websocket") as ws:
            await ws.receive_json()
            await ws.send_json({"type": "auth", "access_token": self.token})
            auth = await ws.receive_json()
            if auth.get("type") != "auth_ok":
                msg = f"websocket auth failed: {auth}"
                raise RuntimeError(msg)
            for number, message in enumerate(messages, start=1):
                await ws.send_json({"id": number, **message})
                while True:
                    answer = await ws.receive_json()
                    if answer.get("id") == number and answer.get("type") == "result":
                        break
                if not answer.get("success"):
                    msg = f"{message['type']}: {answer.get('error')}"
                    raise RuntimeError(msg)
                results.append(answer.get("result"))
        return results
