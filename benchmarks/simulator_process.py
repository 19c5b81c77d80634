"""Run `python -m simulator` as a separate process for a benchmark."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import socket
import subprocess
import sys
import time


def free_port() -> int:
    """A TCP port on loopback nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_simulator(scenario: str = "normal", speed: float = 0.0) -> Iterator[int]:
    """Start the simulator, wait until it listens, stop it afterwards."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [
            sys.executable,
            "-m",
            "simulator",
            "--scenario",
            scenario,
            "--speed",
            str(speed),
            "--port",
            str(port),
            "--status-interval",
            "0",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            msg = f"simulator exited with {process.returncode}"
            raise RuntimeError(msg)
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    msg = "simulator did not start listening within 30 s"
    raise RuntimeError(msg)
