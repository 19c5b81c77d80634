"""A real Home Assistant for the demo: configured, onboarded and set up by its API.

Everything a technician would click is done here through the same REST and
websocket APIs the UI uses: onboarding, the config flow for the site and one
subentry flow per device, automations from the blueprints, a dashboard.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass
import json
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
from typing import Any

import aiohttp
from homeassistant import const as ha_const

from .processes import Children, DemoError, wait_for_port

REPO = Path(__file__).resolve().parent.parent
NEWEST_REQUIREMENTS = REPO / "requirements_newest_ha.txt"
# The release this venv holds: the one the tests run on.
TESTED_VERSION = ha_const.__version__
CLIENT_ID = "http://127.0.0.1/"
ONLINE_DOMAINS = frozenset(
    {"met", "radio_browser", "google_translate", "shopping_list"}
)
# Built-in integrations that need the internet and come back at every start
# when removed (2026.11's marketplace): turned off instead.
RECREATED_ONLINE_DOMAINS = frozenset({"marketplace"})

# Home Assistant 2026.10 takes the HTTP settings from YAML once, on the first
# start, as a trial it reverts (with a restart) unless confirmed within five
# minutes; `confirm_http_config` confirms it and takes the section out again.
HTTP_SECTION = """\
http:
  server_host: 127.0.0.1
  server_port: {port}
"""
CONFIGURATION = """\
homeassistant:
  name: SOT-punkt Demo
  time_zone: Europe/Stockholm
  country: SE
  language: sv
  currency: SEK
  unit_system: metric
  latitude: 63.36
  longitude: 13.12
frontend:
config:
history:
logbook:
person:
input_boolean:
notify:
persistent_notification:
automation: !include automations.yaml
script:
logger:
  default: warning
  logs:
    custom_components.sot_point: info
"""


def newest_version() -> str:
    """The newest Home Assistant release we check, as pinned on purpose."""
    found = re.search(
        r"^homeassistant==(\S+)", NEWEST_REQUIREMENTS.read_text(), re.MULTILINE
    )
    if found is None:
        msg = f"{NEWEST_REQUIREMENTS.name} pins no homeassistant release"
        raise DemoError(msg)
    return found[1]


def supported_versions() -> tuple[str, ...]:
    """The releases scripts/setup installs: the tested one and the newest."""
    return tuple(dict.fromkeys((TESTED_VERSION, newest_version())))


def home_assistant_python(version: str) -> str:
    """The Python whose venv holds Home Assistant `version`.

    The tested release is this venv's own; scripts/setup puts the newest one
    in a second venv and scripts/run names its Python in SOT_NEWEST_HA_PYTHON.
    """
    if version == TESTED_VERSION:
        return sys.executable
    newest = os.environ.get("SOT_NEWEST_HA_PYTHON", "")
    if version == newest_version() and Path(newest).is_file():
        return newest
    if version == newest_version():
        msg = f"Home Assistant {version} is not installed: run scripts/setup"
    else:
        msg = (
            f"Home Assistant {version} is not one scripts/setup installs "
            f"(choose {' or '.join(supported_versions())})"
        )
    raise DemoError(msg)


def start_home_assistant(
    children: Children, config_dir: Path, python: str
) -> subprocess.Popen[bytes]:
    """`hass -c config_dir` with `python`, started again when it restarts itself."""
    return children.start(
        "homeassistant",
        [python, "-m", "homeassistant", "-c", str(config_dir)],
        restart_codes=frozenset({ha_const.RESTART_EXIT_CODE}),
        # Anything HA still installs at its first start comes from PyPI
        # through uv, which must trust the system's certificates.
        env={
            "UV_NATIVE_TLS": "1",
            "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt",
        },
    )


async def wait_for_onboarding(
    hass: subprocess.Popen[bytes], port: int, seconds: float = 600
) -> None:
    """Wait until a fresh Home Assistant offers its onboarding."""
    await wait_for_port(port, seconds, hass)
    deadline = asyncio.get_running_loop().time() + seconds
    async with aiohttp.ClientSession() as session:
        while asyncio.get_running_loop().time() < deadline:
            with suppress(aiohttp.ClientError):
                url = f"http://127.0.0.1:{port}/api/onboarding"
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(1)
    msg = f"Home Assistant did not offer onboarding within {seconds:.0f} s"
    raise DemoError(msg)


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
    (config_dir / "configuration.yaml").write_text(
        HTTP_SECTION.format(port=port) + CONFIGURATION
    )
    (config_dir / "automations.yaml").write_text("[]\n")
    (config_dir / "custom_components" / "sot_point").symlink_to(
        REPO / "custom_components" / "sot_point"
    )
    blueprints = REPO / "blueprints" / "automation" / "sot_point"
    if blueprints.is_dir():
        target = config_dir / "blueprints" / "automation" / "sot_point"
        shutil.copytree(blueprints, target)


def prefilled(form: dict[str, Any]) -> dict[str, Any]:
    """The values a form shows before anyone types: suggested, else default."""
    values: dict[str, Any] = {}
    for field in form.get("data_schema") or []:
        if field.get("type") == "expandable":  # a section: its own fields
            values[field["name"]] = prefilled({"data_schema": field.get("schema")})
            continue
        suggested = (field.get("description") or {}).get("suggested_value")
        if suggested is not None:
            values[field["name"]] = suggested
        elif "default" in field:
            values[field["name"]] = field["default"]
    return values


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

    async def login(self, user: DemoUser) -> dict[str, Any]:
        """Log in as `user` through the login form's flow; keep and return the tokens.

        The tokens are what the frontend keeps in the browser (`hassTokens`),
        so a screenshot can open the dashboard already logged in.
        """
        flow = await self.post(
            "/auth/login_flow",
            {
                "client_id": CLIENT_ID,
                "handler": ["homeassistant", None],
                "redirect_uri": CLIENT_ID,
            },
        )
        done = await self.post(
            f"/auth/login_flow/{flow['flow_id']}",
            {
                "client_id": CLIENT_ID,
                "username": user.username,
                "password": user.password,
            },
        )
        async with self.session.post(
            self.base + "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": done["result"],
                "client_id": CLIENT_ID,
            },
        ) as response:
            tokens: dict[str, Any] = await response.json()
        self.token = str(tokens["access_token"])
        return tokens

    async def confirm_http_config(self, config_dir: Path) -> None:
        """Confirm the HTTP settings taken from YAML, as the UI asks the owner to.

        Unconfirmed, Home Assistant would fall back to its defaults (port
        8123 on every interface) and restart five minutes after its first
        start. Once confirmed they live in Home Assistant's storage, so the
        YAML section goes, and with it the repair that asks for that.
        """
        (http,) = await self.websocket([{"type": "http/config"}])
        if http.get("pending") and http.get("active_config_type") == "pending":
            await self.websocket([{"type": "http/config/promote"}])
        configuration = config_dir / "configuration.yaml"
        text = configuration.read_text()
        if text.startswith("http:"):
            configuration.write_text(text[text.index("homeassistant:") :])
        (issues,) = await self.websocket([{"type": "repairs/list_issues"}])
        for issue in issues["issues"]:
            if (issue["domain"], issue["issue_id"]) == ("http", "deprecated_yaml"):
                await self.websocket(
                    [
                        {
                            "type": "repairs/ignore_issue",
                            "domain": "http",
                            "issue_id": "deprecated_yaml",
                            "ignore": True,
                        }
                    ]
                )

    async def remove_online_integrations(self, seconds: float = 30) -> None:
        """Drop what onboarding adds that needs the internet (weather, radio...).

        A SOT point has no internet in a storm; these would only fill the log.
        Onboarding adds them in the background (and one may fail to load at
        all), so this removes them as they appear until two looks a second
        apart find neither an entry nor a flow of theirs, or `seconds` pass.
        """
        quiet = 0
        deadline = asyncio.get_running_loop().time() + seconds
        while quiet < 2 and asyncio.get_running_loop().time() < deadline:
            entries = await self.get("/api/config/config_entries/entry")
            (flows,) = await self.websocket([{"type": "config_entries/flow/progress"}])
            online = [e for e in entries if e["domain"] in ONLINE_DOMAINS]
            busy = [f for f in flows if f["handler"] in ONLINE_DOMAINS]
            for entry in online:
                async with self.session.delete(
                    f"{self.base}/api/config/config_entries/entry/{entry['entry_id']}",
                    headers=self._headers(),
                ):
                    pass
            for entry in entries:
                if entry["domain"] in RECREATED_ONLINE_DOMAINS and not entry.get(
                    "disabled_by"
                ):
                    await self.websocket(
                        [
                            {
                                "type": "config_entries/disable",
                                "entry_id": entry["entry_id"],
                                "disabled_by": "user",
                            }
                        ]
                    )
            quiet = 0 if online or busy else quiet + 1
            await asyncio.sleep(1)

    async def get(self, path: str) -> Any:
        """GET JSON; a non-2xx answer is an error."""
        async with self.session.get(self.base + path, headers=self._headers()) as reply:
            text = await reply.text()
            if reply.status >= 300:
                msg = f"GET {path}: {reply.status} {text[:300]}"
                raise RuntimeError(msg)
            return json.loads(text)

    async def flow(
        self, start_path: str, start: dict[str, Any], steps: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Run a config (or subentry) flow through its steps, like the UI does.

        As in the UI, a form's fields start out with what the form suggests
        (or its defaults) and each step's values are typed over them.
        """
        result: dict[str, Any] = await self.post(start_path, start)
        for step in steps:
            if result.get("type") in ("create_entry", "abort"):
                break
            if result.get("errors"):
                msg = f"flow {result.get('step_id')}: {result['errors']}"
                raise RuntimeError(msg)
            values = {**prefilled(result), **step}
            result = await self.post(f"{start_path}/{result['flow_id']}", values)
        if result.get("type") != "create_entry":
            msg = f"flow ended as {result.get('type')}: {result}"
            raise RuntimeError(msg)
        return result

    async def device_id_of(self, entity_id: str) -> str:
        """The id of the device `entity_id` belongs to, from the entity registry."""
        (entry,) = await self.websocket(
            [{"type": "config/entity_registry/get", "entity_id": entity_id}]
        )
        return str(entry["device_id"])

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
