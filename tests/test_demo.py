"""scripts/demo end to end: a storm at the simulated site, seen on the info page.

Slow (it starts a real Home Assistant, the simulator and the info page): run
by scripts/test like every other test, marked so it can be left out with
`-m "not slow"` while working on something else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from typing import Any
import urllib.request

import aiohttp
from pymodbus.client import AsyncModbusTcpClient
import pytest

from demo.ha import DemoUser, HomeAssistantApi
from demo.setup_site import AUTOMATION_NAMES

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled")]

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


def _wait(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():  # type: ignore[operator]
                return
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def ports() -> dict[str, int]:
    """Free ports for everything the demo serves."""
    names = ("ha", "sim", "page", "ingress", "official")
    return {name: _free_port() for name in names}


@pytest.fixture
def demo(tmp_path: Path, ports: dict[str, int]) -> Iterator[subprocess.Popen[str]]:
    """scripts/demo's program at eight times real speed, stopped with Ctrl-C."""
    args = [
        sys.executable,
        "-m",
        "demo",
        "--speed",
        "8",
        "--state-dir",
        str(tmp_path),
        *(f"--{name}-port={port}" for name, port in ports.items()),
    ]
    process = subprocess.Popen(
        args,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    yield process
    if process.poll() is None:
        # A test that failed half-way: Ctrl-C, so the demo stops Home
        # Assistant, the simulator and the page (each in its own session,
        # out of reach of a signal to this group); SIGKILL only as a last resort.
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _read_block(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        if "status.json" in line:
            return "".join(lines)
    pytest.fail("demo ended before printing its URLs:\n" + "".join(lines))


async def _home_assistant_view(port: int) -> tuple[list[dict[str, Any]], int]:
    """What the demo user sees in HA: its notifications, and how many actions.

    The frontend lists every action before it shows anything, so an action
    list that fails to load (as when a default integration cannot import)
    leaves the UI on its loading screen.
    """
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, f"http://127.0.0.1:{port}")
        await api.login(DemoUser())
        notifications, services = await api.websocket(
            [{"type": "persistent_notification/get"}, {"type": "get_services"}]
        )
    return notifications, len(services)


def _mode(page: str) -> object:
    return json.loads(_get(page + "/status.json"))["mode"]


async def _automation_names(port: int) -> set[str]:
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, f"http://127.0.0.1:{port}")
        await api.login(DemoUser())
        (states,) = await api.websocket([{"type": "get_states"}])
    return {
        str(state["attributes"].get("friendly_name"))
        for state in states
        if str(state["entity_id"]).startswith("automation.")
    }


# The simulator's I/O module (unit 1) switches the heater with coil 0.
_IO_UNIT = 1
_HEATER_COIL = 0


def _heater_relay(sim_port: int) -> bool:
    """The heater relay at the simulator, read over Modbus as a technician would."""

    async def read() -> bool:
        client = AsyncModbusTcpClient("127.0.0.1", port=sim_port, timeout=3)
        await client.connect()
        try:
            reply = await client.read_coils(_HEATER_COIL, count=1, device_id=_IO_UNIT)
            return bool(reply.bits[0])
        finally:
            client.close()

    return asyncio.run(read())


def _warm_through_the_outage(page: str, sim_port: int, seconds: float) -> list[bool]:
    """The heater relay, once a second while on backup power, until the grid is back."""
    relay: list[bool] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            mode = _mode(page)
        except OSError:
            mode = None
        if mode == "normal":
            return relay
        if mode == "backup_power":
            relay.append(_heater_relay(sim_port))
        time.sleep(1)
    pytest.fail("timed out waiting for the grid to return")


def test_storm_on_the_page_and_ctrl_c_leaves_nothing(
    demo: subprocess.Popen[str], ports: dict[str, int], tmp_path: Path
) -> None:
    """The page shows backup power during the outage and normal after it."""
    block = _read_block(demo)
    page = f"http://127.0.0.1:{ports['page']}"
    assert page in block
    assert "password" in block

    second = subprocess.run(
        [sys.executable, "-m", "demo", "--state-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert second.returncode == 1
    assert "already running" in second.stderr

    _wait(lambda: _mode(page) == "backup_power", 300, "backup power")
    # The warm room is the mission: on backup power with fuel for about a
    # day, the heater stays on (the relay at the I/O module, not HA's idea).
    relay = [_heater_relay(ports["sim"])]
    assert "reservkraft i drift" in _get(page + "/")
    # The association closed the store for the night (demo/setup_site.py);
    # the warm room follows its heater.
    assert "Öppnar kl 08" in _get(page + "/")
    # Official information from the stand-in for Krisinformation, with its source.
    _wait(
        lambda: "Elavbrott i västra Jämtland efter stormen" in _get(page + "/"),
        60,
        "the official item on the page",
    )
    assert "Följer värmen och temperaturen i rummet." in _get(page + "/")
    # The blueprints' automations, with no phone in the demo, tell the
    # association in Home Assistant itself.
    # The automation may write its message a moment after the page changes:
    # wait for it as a person would (under load it came after, once).
    _wait(
        lambda: any(
            # By a busy machine's look the grid may be back already.
            str(n["title"]).startswith(
                ("Strömavbrott", "Reservkraft", "Strömmen är tillbaka")
            )
            for n in asyncio.run(_home_assistant_view(ports["ha"]))[0]
        ),
        60,
        "the outage's notification in Home Assistant",
    )
    assert asyncio.run(_home_assistant_view(ports["ha"]))[1] > 20
    relay += _warm_through_the_outage(page, ports["sim"], 300)
    assert all(relay), f"the heater went off during the outage: {relay}"
    notifications = asyncio.run(_home_assistant_view(ports["ha"]))[0]
    assert not [n for n in notifications if n["title"] == "Värmestugan"]
    # The automations are named for what they do, not after their files.
    assert set(AUTOMATION_NAMES.values()) <= asyncio.run(_automation_names(ports["ha"]))

    os.killpg(demo.pid, signal.SIGINT)
    assert demo.wait(timeout=60) == 0
    leftovers = subprocess.run(
        ["pgrep", "-f", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert leftovers.stdout == ""
    for port in ports.values():
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
