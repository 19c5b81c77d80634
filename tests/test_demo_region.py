"""scripts/demo --region N end to end: the county's page lists the demo site and N more.

Slow (a real Home Assistant, Mosquitto, the simulator, the publishers and two
pages): run by scripts/test like test_demo.py, marked so it can be left out.
"""

from __future__ import annotations

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

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled")]

REPO = Path(__file__).resolve().parent.parent
SITES = 3
PATIENCE_S = 300


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def ports() -> dict[str, int]:
    """Free ports for everything the demo serves, the region's too."""
    names = ("ha", "sim", "page", "ingress", "mqtt", "region-page")
    return {name: _free_port() for name in names}


@pytest.fixture
def demo(tmp_path: Path, ports: dict[str, int]) -> Iterator[subprocess.Popen[str]]:
    """scripts/demo --region 3, stopped with Ctrl-C."""
    # The region's add-on ingress port is the site's minus one.
    while _in_use(ports["ingress"] - 1):
        ports["ingress"] = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "demo",
            "--region",
            str(SITES),
            "--state-dir",
            str(tmp_path),
            *(f"--{name}-port={port}" for name, port in ports.items()),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    yield process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _read_block(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        if line.strip().startswith("Region "):
            return "".join(lines)
    pytest.fail("demo ended before printing its URLs:\n" + "".join(lines))


def _region(page: str) -> dict[str, Any]:
    with urllib.request.urlopen(page + "/status.json", timeout=5) as response:
        region: dict[str, Any] = json.loads(response.read())
    return region


def _wait_for_sites(page: str, count: int) -> dict[str, Any]:
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        try:
            region = _region(page)
        except OSError:
            region = {}
        if len(region.get("sites", [])) >= count:
            return region
        time.sleep(1)
    pytest.fail(f"the regional page never listed {count} sites")


def test_the_regional_page_shows_the_demo_site_and_the_simulated_ones(
    demo: subprocess.Popen[str], ports: dict[str, int], tmp_path: Path
) -> None:
    """Kall, through its real uplink, and three publishers, on one page."""
    block = _read_block(demo)
    page = f"http://127.0.0.1:{ports['region-page']}"
    assert f"{page}/" in block
    assert f"mqtt://127.0.0.1:{ports['mqtt']}" in block

    region = _wait_for_sites(page, SITES + 1)
    assert region["region"] == "Länsstyrelsen Jämtland"
    keys = {site["key"] for site in region["sites"]}
    # The demo site is Kall; the simulated ones start after it.
    assert keys == {
        "2321/kall",
        "2303/borgvattnet",
        "2361/lillhardal",
        "2313/valsjobyn",
    }
    with urllib.request.urlopen(page + "/", timeout=5) as response:
        html = response.read().decode()
    assert "SOT-punkt Kall" in html
    assert "SOT-punkt Borgvattnet" in html

    os.killpg(demo.pid, signal.SIGINT)
    assert demo.wait(timeout=60) == 0
    for pattern in (str(tmp_path), f"region_publishers --port {ports['mqtt']}"):
        leftovers = subprocess.run(
            ["pgrep", "-f", pattern], capture_output=True, text=True, check=False
        )
        assert leftovers.stdout == ""
    for port in ports.values():
        assert not _in_use(port)
