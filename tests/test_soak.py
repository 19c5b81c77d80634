"""scripts/soak, short: two pulled plugs during a storm at high speed lose nothing.

Slow (a real Home Assistant, the simulator and the info page, as in
tests/test_demo.py): it keeps the power-loss soak of issue 16 from rotting.
`scripts/soak` runs the full one (20 kills).
"""

from __future__ import annotations

import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled")]

REPO = Path(__file__).resolve().parent.parent
VERDICT = re.compile(
    r"^kills: (\d+), records lost: (\d+), duplicate outages: (\d+), "
    r"corrupt stores: (\d+), median time from HA start to page on backup "
    r"power: ([\d.]+) s$",
    re.MULTILINE,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_two_kills_lose_nothing(tmp_path: Path) -> None:
    """Kill HA as the grid fails and once more during the outage; count losses."""
    ports = {name: _free_port() for name in ("ha", "sim", "page", "ingress")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "demo.soak",
            "--kills",
            "2",
            "--seed",
            "0",
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
    try:
        output, _ = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            # Ctrl-C, so the soak stops Home Assistant and the page itself.
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    verdict = VERDICT.search(output)
    assert verdict is not None, output
    kills, lost, duplicates, corrupt, median = verdict.groups()
    assert (kills, lost, duplicates, corrupt) == ("2", "0", "0", "0"), output
    assert float(median) <= 60, output
    # Every other check too (an outage's start, the lock, the fuel figure).
    assert "FAIL" not in output, output
    assert process.returncode == 0, output
