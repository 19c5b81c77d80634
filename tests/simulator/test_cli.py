"""`python -m simulator` as a separate process, read by Debian's mbpoll.

mbpoll is an independent Modbus client (libmodbus), so these tests check the
simulator against something that shares no code with it. scripts/setup
installs mbpoll into the Debian root; elsewhere the tests skip without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
import re
import shutil
import socket
import subprocess
import sys

import pytest

REPO = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+)")
MBPOLL = shutil.which("mbpoll")
needs_mbpoll = pytest.mark.skipif(
    MBPOLL is None,
    reason="mbpoll is not on PATH (scripts/setup installs it into the Debian "
    "root; on a host: apt-get install mbpoll)",
)


def simulator_command(*args: str) -> list[str]:
    """The simulator as a module of this interpreter."""
    return [sys.executable, "-m", "simulator", *args]


@contextmanager
def running_simulator(*args: str) -> Iterator[int]:
    """Start `python -m simulator` on a free port; yield the port it prints."""
    process = subprocess.Popen(
        simulator_command("--port", "0", "--status-interval", "0", *args),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = None
        for line in process.stdout:
            if match := LISTENING.search(line):
                port = int(match.group(1))
                break
        assert port is not None, "the simulator never said where it listens"
        yield port
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def run_mbpoll(port: int, options: str) -> subprocess.CompletedProcess[str]:
    """Poll unit 10 once with mbpoll; `options` as on its command line."""
    assert MBPOLL is not None
    common = f"-m tcp -p {port} -a 10 -t 4 -1 {options} 127.0.0.1"
    return subprocess.run(
        [MBPOLL, *common.split()],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


def mbpoll(port: int, options: str) -> list[int]:
    """The values mbpoll prints for a successful read."""
    result = run_mbpoll(port, f"-q {options}")
    assert result.returncode == 0, result.stdout + result.stderr
    # Lines look like "[1024]: \t350" (with "(-1)" after values above 32767).
    return [int(v) for v in re.findall(r"^\[\d+\]:\s+(\d+)", result.stdout, re.M)]


@needs_mbpoll
@pytest.mark.timeout(60)
def test_mbpoll_reads_pages_3_and_4() -> None:
    with running_simulator("--speed", "0") as port:
        # 1-based reference numbers by default: 1025 is wire address 1024.
        page4 = mbpoll(port, "-r 1025 -c 8")
        # -0: 0-based, the GenComm address itself.
        page3 = mbpoll(port, "-0 -r 768 -c 7")
    assert page3 == [1, 32841, 26, 26065, 1, 0xFFFF, 0]
    oil, coolant, oil_t, fuel, charge, battery, speed, frequency = page4
    assert (oil, speed, frequency, charge) == (0, 0, 0, 0)  # at rest
    assert coolant == oil_t == 40  # on the block heater
    assert fuel == 90  # the normal scenario's tank
    assert battery == 136  # 13.6 V on the mains charger


@needs_mbpoll
@pytest.mark.timeout(60)
def test_mbpoll_sees_an_illegal_address() -> None:
    with running_simulator("--speed", "0") as port:
        result = run_mbpoll(port, "-0 -r 775")
    assert result.returncode != 0
    assert "Illegal data address" in result.stdout + result.stderr


@pytest.mark.timeout(60)
def test_busy_port_is_one_line_and_exit_2(socket_enabled: None) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            simulator_command("--port", str(port)),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"127.0.0.1:{port}" in lines[0]
    assert "in use" in lines[0]


@pytest.mark.timeout(60)
def test_list_and_bad_scenario() -> None:
    listed = subprocess.run(
        simulator_command("--list"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    names = {line.split()[0] for line in listed.stdout.splitlines()}
    assert {"normal", "storm", "fuel_runs_low", "fail_to_start"} <= names
    bad = subprocess.run(
        simulator_command("--scenario", "meteor"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert bad.returncode == 2
    assert "no scenario 'meteor'" in bad.stderr


@pytest.mark.timeout(60)
def test_status_lines_while_running() -> None:
    args = ["--port", "0", "--scenario", "storm", "--speed", "600"]
    args += ["--status-interval", "0.2"]
    process = subprocess.Popen(
        simulator_command(*args),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if sum(line.startswith("[") for line in lines) >= 3:
                break
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
    text = "".join(lines)
    assert "unit 10: DSE" in text
    assert "FC03 1024-1089" in text
    assert "unit 1: I/O module" in text
    assert "unit 2: ATS" in text
    status = [line for line in lines if line.startswith("[")]
    assert "mains=" in status[-1]
    assert "tank=" in status[-1]
    assert "room=" in status[-1]
