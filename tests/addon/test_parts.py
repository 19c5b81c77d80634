"""The app's parts on their own: settings, state file, history, back-off, CLI."""

# ruff: noqa: RUF001 - the page uses the Swedish dash

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
import os
from pathlib import Path
import random
import signal
import socket
import sys
from typing import Any

import aiohttp
import pytest

from sot_infopoint.app import Infopoint
from sot_infopoint.client import BACKOFF_MAX_S, backoff_delay
from sot_infopoint.history import MAX_EVENTS, Event, EventKind, merged, new_events
from sot_infopoint.settings import (
    SUPERVISOR_WS_URL,
    Options,
    load_options,
    options_from,
    settings_from_args,
    websocket_url,
)
from sot_infopoint.status import parse_status
from sot_infopoint.store import Saved, StateFile

from .conftest import NOW, Clock, Start, save_state, settings_for, status_object

APP_DIR = Path(__file__).resolve().parents[2] / "addon" / "sot_point_infopoint" / "app"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_options_from_the_supervisor(tmp_path: Path) -> None:
    """options.json as the Supervisor writes it; unticked offers drop out."""
    raw = {
        "offers": {"store": True, "fuel_pump": False, "warm_room": True},
        "show_fuel_autonomy": True,
        "wifi_name": "  SOT-Kall ",
        "public_url": "",
        "language": "en",
        "unknown": 1,
    }
    path = tmp_path / "options.json"
    path.write_text(json.dumps(raw))
    options = load_options(path)
    assert options.offers == (
        "store",
        "warm_room",
        "phone_charging",
        "information_point",
    )
    assert options.show_fuel_autonomy is True
    assert options.wifi_name == "SOT-Kall"
    assert options.public_url is None
    assert options.language == "en"
    assert load_options(tmp_path / "missing.json") == Options()
    assert options_from({"language": "de"}).language == "sv"
    path.write_text("[1, 2]")
    with pytest.raises(TypeError):
        load_options(path)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://127.0.0.1:8123", "ws://127.0.0.1:8123/api/websocket"),
        ("https://ha.example:8443/", "wss://ha.example:8443/api/websocket"),
        ("ws://10.0.0.2:8123/api/websocket", "ws://10.0.0.2:8123/api/websocket"),
    ],
)
def test_websocket_url(given: str, expected: str) -> None:
    """HA's base URL becomes its websocket address."""
    assert websocket_url(given) == expected


def test_websocket_url_refuses_other_schemes() -> None:
    """Only http(s) and ws(s)."""
    with pytest.raises(ValueError, match="not an http"):
        websocket_url("ftp://x")


def test_settings_as_an_add_on_and_standalone(tmp_path: Path) -> None:
    """The Supervisor's token and proxy by default; flags and HA_TOKEN standalone."""
    addon = settings_from_args(
        ["--data-dir", str(tmp_path)], {"SUPERVISOR_TOKEN": "abc"}
    )
    assert addon.ws_url == SUPERVISOR_WS_URL
    assert addon.token == "abc"
    assert addon.ingress_port == 8099
    standalone = settings_from_args(
        [
            "--ha-url",
            "http://127.0.0.1:8123",
            "--data-dir",
            str(tmp_path),
            "--ingress-port",
            "0",
            "--entry-id",
            "01ABC",
        ],
        {"HA_TOKEN": "long-lived"},
    )
    assert standalone.ws_url == "ws://127.0.0.1:8123/api/websocket"
    assert standalone.token == "long-lived"
    assert standalone.ingress_port is None
    assert standalone.options.site_entry_id == "01ABC"
    with pytest.raises(SystemExit, match="no token"):
        settings_from_args(["--data-dir", str(tmp_path)], {})


def test_state_file_round_trip_and_atomic_replace(tmp_path: Path) -> None:
    """What is saved comes back; no temporary file is left behind."""
    file = StateFile(tmp_path / "data")
    event = Event(EventKind.OUTAGE_STARTED, NOW, NOW)
    file.save(Saved(status_object(), NOW, [event]))
    file.save(Saved(status_object(mode="normal"), NOW, [event]))
    loaded = file.load()
    assert loaded.status is not None
    assert loaded.status["mode"] == "normal"
    assert loaded.received == NOW
    assert loaded.events == [event]
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["state.json"]
    (tmp_path / "data" / "state.json").write_text('{"version": 99}')
    assert file.load() == Saved()
    assert StateFile(tmp_path / "nowhere").load() == Saved()


def _status(**changes: Any) -> Any:
    return parse_status(status_object(**changes))


def test_history_tells_an_outage_from_its_statuses() -> None:
    """Started, backup power, ended: each once, whatever repeats."""
    started = NOW - timedelta(hours=1)
    normal = _status(mode="normal", outage_started=None)
    starting = _status(mode="starting", outage_started=started.isoformat())
    backup = _status(mode="backup_power", outage_started=started.isoformat())
    later = NOW + timedelta(hours=2)
    over = _status(mode="returning", outage_started=None, updated=later.isoformat())
    history: list[Event] = []
    for before, after in (
        (normal, starting),
        (starting, backup),
        (backup, backup),
        (backup, over),
    ):
        history = merged(history, new_events(before, after))
    assert [e.kind for e in history] == [
        EventKind.OUTAGE_STARTED,
        EventKind.BACKUP_POWER,
        EventKind.OUTAGE_ENDED,
    ]
    assert history[0].at == started
    assert history[-1].at == later
    # The first status after a restart in the middle of an outage.
    assert [e.kind for e in new_events(None, backup)] == [
        EventKind.OUTAGE_STARTED,
        EventKind.BACKUP_POWER,
    ]
    no_backup = _status(mode="outage_no_backup", outage_started=started.isoformat())
    assert [e.kind for e in new_events(starting, no_backup)] == [EventKind.NO_BACKUP]
    assert new_events(None, _status(updated=None)) == []


def test_history_keeps_the_newest() -> None:
    """At most MAX_EVENTS, the oldest dropped."""
    events = [
        Event(
            EventKind.OUTAGE_STARTED, NOW + timedelta(hours=n), NOW + timedelta(hours=n)
        )
        for n in range(MAX_EVENTS + 5)
    ]
    kept = merged([], events)
    assert len(kept) == MAX_EVENTS
    assert kept[-1] == events[-1]


def test_backoff_doubles_to_a_minute_with_jitter() -> None:
    """1, 2, 4 … 60 s, each within ±20 %."""
    rng = random.Random(1)
    delays = [backoff_delay(n, rng) for n in range(10)]
    for n, delay in enumerate(delays):
        base = min(BACKOFF_MAX_S, 2.0**n)
        assert 0.8 * base <= delay <= min(BACKOFF_MAX_S, 1.2 * base)
    assert backoff_delay(1000) <= BACKOFF_MAX_S


async def test_events_reach_the_feed_and_survive_a_restart(
    start_app: Start, tmp_path: Path
) -> None:
    """A status that starts an outage gives a feed entry, kept on disk."""
    directory = tmp_path / "events"
    clock = Clock()
    running = await start_app(
        status_object(mode="normal", outage_started=None),
        data_dir=directory,
        clock=clock,
    )
    running.app.on_status(status_object())
    _, feed, _ = await running.get("/feed.atom")
    assert "<title>Strömavbrott</title>" in feed
    assert "<title>Reservkraft i drift</title>" in feed
    await running.app.stop()
    again = Infopoint(settings_for(directory), clock)
    again.restore()
    assert [e.kind for e in again.events] == [
        EventKind.OUTAGE_STARTED,
        EventKind.BACKUP_POWER,
    ]


async def test_small_changes_wait_for_the_minute(
    start_app: Start, tmp_path: Path
) -> None:
    """Fuel creeping down is written within a minute, a new mode at once."""
    directory = tmp_path / "writes"
    running = await start_app(status_object(), data_dir=directory)
    state = directory / "state.json"
    before = state.read_text()
    running.app.on_status(status_object(fuel={"litres": 600.0, "autonomy_h": 60.0}))
    assert state.read_text() == before
    running.app.tick()
    assert json.loads(state.read_text())["status"]["fuel"]["litres"] == 600.0
    running.app.on_status(status_object(mode="outage_no_backup"))
    assert json.loads(state.read_text())["status"]["mode"] == "outage_no_backup"


async def test_bad_status_is_ignored(start_app: Start) -> None:
    """A status of an unknown schema leaves the page as it was."""
    running = await start_app(status_object())
    running.app.on_status({"schema": 3, "site": "?"})
    _, page, _ = await running.get("/")
    assert "reservkraft i drift" in page


async def test_kiosk_ignores_the_browsers_language(start_app: Start) -> None:
    """A store's screen shows the site's language unless told otherwise."""
    running = await start_app(status_object())
    _, kiosk, _ = await running.get("/kiosk", headers={"Accept-Language": "en-US"})
    assert '<html lang="sv">' in kiosk
    _, english, _ = await running.get("/kiosk?lang=en")
    assert '<html lang="en">' in english


async def test_runs_standalone_and_stops_on_sigterm(
    socket_enabled: None, tmp_path: Path
) -> None:
    """`python -m sot_infopoint` serves its saved state; SIGTERM ends it cleanly."""
    save_state(tmp_path, status_object())
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sot_infopoint",
        "--ha-url",
        f"http://127.0.0.1:{_free_port()}",  # nobody there: HA is down
        "--data-dir",
        str(tmp_path),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--ingress-port",
        "0",
        env=os.environ | {"HA_TOKEN": "standalone", "PYTHONPATH": str(APP_DIR)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with aiohttp.ClientSession() as session:
            page = ""
            for _ in range(200):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/") as response:
                        page = await response.text()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
        assert "Strömavbrott – reservkraft i drift" in page
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, output.decode()
    assert b"public server on port" in output
    assert b"standalone" not in output  # the token is never logged
