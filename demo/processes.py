"""Child processes of the demo: started in their own groups, all stopped at the end."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
import os
from pathlib import Path
import signal
import socket
import subprocess
import time


class DemoError(Exception):
    """Something the person running the demo must be told, in one line."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing listens on `port` now."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def check_ports(ports: dict[str, int]) -> None:
    """Refuse to start when a port the demo needs is taken, naming it."""
    for name, port in ports.items():
        if not port_is_free(port):
            msg = (
                f"port {port} ({name}) is in use; stop what uses it or pick "
                f"another with --{name}-port"
            )
            raise DemoError(msg)


async def wait_for_port(
    port: int, seconds: float, process: subprocess.Popen[bytes]
) -> None:
    """Wait until something listens on `port`, or fail if the process died.

    Asynchronous so that Ctrl-C during a slow first start is acted on at once.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            name = " ".join(str(a) for a in process.args[1:3])  # type: ignore[index]
            msg = f"{name} exited with {process.returncode} (see .demo/*.log)"
            raise DemoError(msg)
        if not port_is_free(port):
            return
        await asyncio.sleep(0.2)
    msg = f"nothing listened on port {port} within {seconds:.0f} s"
    raise DemoError(msg)


@dataclass
class Child:
    """One program the demo runs, and how to start it again."""

    name: str
    args: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    # Exit codes that mean "start me again": Home Assistant's restart.
    restart_codes: frozenset[int] = frozenset()


@dataclass
class Children:
    """The processes the demo started; `stop_all` ends every one of them."""

    log_dir: Path
    children: list[Child] = field(default_factory=list)

    def start(
        self,
        name: str,
        args: list[str],
        env: dict[str, str] | None = None,
        restart_codes: frozenset[int] = frozenset(),
    ) -> subprocess.Popen[bytes]:
        """Start `args` in a new process group, its output in `<name>.log`."""
        child = Child(name, args, env or {}, self._spawn(name, args, env or {}, "wb"))
        child.restart_codes = restart_codes
        self.children.append(child)
        return child.process

    def _spawn(
        self, name: str, args: list[str], env: dict[str, str], mode: str
    ) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open(mode)
        return subprocess.Popen(  # noqa: S603 - our own programs
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **env},
        )

    def check(self) -> list[str]:
        """Start again what asked for it; what else has stopped, as messages.

        Home Assistant exits with its restart code when someone presses
        Restart in its UI; on a real box the Supervisor or the service
        manager starts it again, so the demo does the same.
        """
        stopped = []
        for child in self.children:
            code = child.process.poll()
            if code is None:
                continue
            if code in child.restart_codes:
                child.process = self._spawn(child.name, child.args, child.env, "ab")
                print(f"{child.name} restarted itself; started again", flush=True)
                continue
            stopped.append(
                f"{child.name} stopped with exit code {code} "
                f"(see {self.log_dir / child.name}.log)"
            )
        return stopped

    def stop_all(self, grace: float = 20.0) -> None:
        """SIGTERM every group, wait, then SIGKILL what is left."""
        running = [child.process for child in reversed(self.children)]
        for process in running:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=5)
        self.children.clear()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
