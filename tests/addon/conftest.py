# ruff: noqa: RUF001 - the page uses the Swedish dash
"""Fixtures for the info-point add-on: status objects, a running app, a clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import socket
from typing import Any

import aiohttp
from homeassistant.auth.models import TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from simulator.server import SimulatedSite
from sot_infopoint.app import Infopoint
from sot_infopoint.region_app import infopoint_for
from sot_infopoint.settings import Options, Settings

from ..conftest import site_entry

NOW = datetime(2026, 11, 24, 13, 32, 5, tzinfo=UTC)  # 14:32 in Stockholm
TOKEN = "secret-token-never-shown-0123456789"


@dataclass
class Clock:
    """A clock the tests move by hand."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        """The time now."""
        return self.now

    def advance(self, span: timedelta) -> None:
        """Move on."""
        self.now += span


def notice(
    ident: str,
    text_sv: str,
    *,
    minutes_ago: float = 5,
    importance: str = "info",
    text_en: str | None = None,
    expires_in: float | None = None,
) -> dict[str, Any]:
    """A notice as the status object carries it."""
    return {
        "id": ident,
        "text_sv": text_sv,
        "text_en": text_en,
        "importance": importance,
        "published": (NOW - timedelta(minutes=minutes_ago)).isoformat(),
        "expires": None
        if expires_in is None
        else (NOW + timedelta(minutes=expires_in)).isoformat(),
    }


def status_object(**changes: Any) -> dict[str, Any]:
    """A schema 1 status: a site on backup power for 2 h 27 min."""
    base: dict[str, Any] = {
        "schema": 1,
        "site": "SOT-punkt Kall",
        "updated": NOW.isoformat(),
        "reachable": True,
        "mode": "backup_power",
        "mains_available": False,
        "outage_started": (NOW - timedelta(hours=2, minutes=27)).isoformat(),
        "generator_running": True,
        "on_backup_power": True,
        "fuel": {
            "litres": 612.4,
            "usable_litres": 512.4,
            "level_percent": 61.2,
            "autonomy_h": 61.3,
            "autonomy_mean_load_h": 58.9,
            "source": "level_sensor",
        },
        "warm_room": {"temperature_c": 19.5, "heater_on": True},
        "notices": [
            notice(
                "01B",
                "Värmestugan i skolan är öppen dygnet runt.",
                importance="urgent",
                text_en="The warm room in the school is open day and night.",
            ),
            notice(
                "01A",
                "Butiken har öppet 10–16.",
                minutes_ago=30,
                importance="important",
            ),
        ],
    }
    return base | changes


def save_state(data_dir: Path, status: dict[str, Any] | None) -> None:
    """Write a state file as the app leaves it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "state.json").write_text(
        json.dumps(
            {"version": 1, "status": status, "received": NOW.isoformat(), "events": []}
        )
    )


@dataclass
class Running:
    """A started app and how to reach it."""

    app: Infopoint
    clock: Callable[[], datetime]
    session: aiohttp.ClientSession
    started: list[Infopoint] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The public page's base URL."""
        return f"http://127.0.0.1:{self.app.ports['public']}"

    @property
    def ingress_url(self) -> str:
        """The admin view's base URL."""
        return f"http://127.0.0.1:{self.app.ports['ingress']}"

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str, Any]:
        """GET a path: status, text and headers."""
        async with self.session.get(self.url + path, **kwargs) as response:
            return response.status, await response.text(), response.headers


type Start = Callable[..., Awaitable[Running]]


def settings_for(
    data_dir: Path,
    *,
    options: Options | None = None,
    ws_url: str = "ws://127.0.0.1:9/api/websocket",
    ingress_peer: str = "172.30.32.2",
) -> Settings:
    """Settings for a test app on loopback with free ports."""
    return Settings(
        ws_url=ws_url,
        token=TOKEN,
        data_dir=data_dir,
        options=options or Options(),
        bind="127.0.0.1",
        port=0,
        ingress_port=0,
        ingress_peer=ingress_peer,
    )


@pytest.fixture
async def start_app(socket_enabled: None, tmp_path: Path) -> AsyncIterator[Start]:
    """Start apps on loopback (not connected unless asked); stop them after."""
    apps: list[Infopoint] = []
    sessions: list[aiohttp.ClientSession] = []

    async def start(
        status: dict[str, Any] | None = None,
        *,
        options: Options | None = None,
        connect: bool = False,
        ws_url: str = "ws://127.0.0.1:9/api/websocket",
        ingress_peer: str = "172.30.32.2",
        data_dir: Path | None = None,
        clock: Callable[[], datetime] | None = None,
        token: str = TOKEN,
    ) -> Running:
        directory = data_dir or tmp_path / f"data{len(apps)}"
        if status is not None:
            save_state(directory, status)
        settings = replace(
            settings_for(
                directory, options=options, ws_url=ws_url, ingress_peer=ingress_peer
            ),
            token=token,
        )
        moment = clock or Clock()
        app = infopoint_for(settings, moment)
        await app.start(connect=connect)
        apps.append(app)
        session = aiohttp.ClientSession()
        sessions.append(session)
        return Running(app, moment, session)

    yield start
    for session in sessions:
        await session.close()
    for app in apps:
        await app.stop()


@dataclass
class OffsetClock:
    """The real time, moved on by hand (to age data while HA is away)."""

    offset: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        """The time now, plus the offset."""
        return datetime.now(UTC) + self.offset

    def advance(self, span: timedelta) -> None:
        """Move on."""
        self.offset += span


@dataclass
class HomeAssistantApi:
    """A real Home Assistant HTTP server of the test instance, on loopback."""

    hass: HomeAssistant
    port: int
    token: str

    @property
    def ws_url(self) -> str:
        """Its websocket API, as the app is told it standalone."""
        return f"ws://127.0.0.1:{self.port}/api/websocket"

    async def stop(self) -> None:
        """Home Assistant goes away, as it does when it restarts.

        The stop event is what makes HA close its websocket connections (and
        its HTTP server) at a restart; the instance itself stays up for the
        test to bring the API back.
        """
        self.hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
        await self.hass.async_block_till_done()
        await self.hass.http.stop()

    async def start(self) -> None:
        """Home Assistant is back on the same port."""
        await self.hass.http.async_bind()
        await self.hass.http.start()


@pytest.fixture(name="disable_http_server")
def real_http_server() -> None:
    """Let Home Assistant's HTTP server bind and serve (phacc patches it out).

    The add-on is a separate program that reaches Home Assistant over TCP, so
    these tests need the real server; `ha_api` sets it up on a free port
    before any integration could start it on 8123.
    """


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def ha_api(
    hass: HomeAssistant, socket_enabled: None, hass_read_only_user: MockUser
) -> AsyncIterator[HomeAssistantApi]:
    """HA's HTTP and websocket API on loopback, and a long-lived token.

    The token belongs to a read-only user: the info point only reads.
    """
    port = _free_port()
    assert await async_setup_component(
        hass, "http", {"http": {"server_host": "127.0.0.1", "server_port": port}}
    )
    assert await async_setup_component(hass, "websocket_api", {})
    await hass.http.start()
    refresh = await hass.auth.async_create_refresh_token(
        hass_read_only_user,
        client_name="SOT Point info point",
        token_type=TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN,
        access_token_expiration=timedelta(days=365),
    )
    api = HomeAssistantApi(hass, port, hass.auth.async_create_access_token(refresh))
    yield api
    await hass.http.stop()


@pytest.fixture
async def live_site(
    hass: HomeAssistant, ha_api: HomeAssistantApi, sim: SimulatedSite
) -> MockConfigEntry:
    """The simulated site loaded in the HA whose API `ha_api` serves."""
    entry = site_entry(sim)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def wait_for_text(
    running: Running, path: str, wanted: str, *, present: bool = True
) -> str:
    """Poll a page until `wanted` appears (or leaves); fail after 10 s."""
    body = ""
    async with asyncio.timeout(10):
        while True:
            _, body, _ = await running.get(path)
            if (wanted in body) is present:
                return body
            await asyncio.sleep(0.05)
