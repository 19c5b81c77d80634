"""The info page under load: size, requests per second, latency, memory.

The add-on's app runs as its own process pinned to one core (taskset), the
way it would share a small machine with Home Assistant, serving the last
state it has on disk (a site on backup power with notices, the whole service
board and official items; no Home Assistant is needed to serve, which is the
point). wrk, pinned to another core, keeps
200 connections busy for 10 s asking for `/` as a phone does (gzip, Swedish).
The app's peak resident memory is read from /proc afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
import gzip
import json
import os
from pathlib import Path
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any, Final
import urllib.request

from .simulator_process import free_port

REPO: Final = Path(__file__).resolve().parent.parent
APP_DIR: Final = REPO / "addon" / "sot_point_infopoint" / "app"
CONNECTIONS: Final = 200
DURATION_S: Final = 10
TARGET_RPS: Final = 2000
TARGET_P99_MS: Final = 50.0
TARGET_RSS_MB: Final = 60.0
GZIP_BUDGET: Final = 15 * 1024
HEADERS: Final = {"Accept-Encoding": "gzip", "Accept-Language": "sv-SE,sv;q=0.9"}


# Every service of the board, each with a note and opening hours: the
# largest board a site can show.
SERVICES: Final = (
    ("store", "closed", "Öppnar kl 08, kontant och kort"),
    ("fuel", "open", "Diesel och bensin, kort"),
    ("cash_withdrawal", "limited", "Max 2 000 kr per person"),
    ("parcels", "open", "Hämta med legitimation"),
    ("pharmacy_pickup", "limited", "Endast förbeställt"),
    ("warm_room", "open", "I skolans matsal"),
    ("drinking_water", "open", "Ta med egen dunk"),
    ("phone_charging", "open", "I värmestugan"),
    ("toilets", "open", "I värmestugan"),
    ("shower", "closed", "Öppnar när vattnet är tillbaka"),
    ("wifi", "open", "Nätet SOT-punkt Kall"),
)


def _services(now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "key": key,
            "state": state,
            "note": note,
            "hours": "08-20",
            "source": "manual",
            "since": (now - timedelta(hours=1)).isoformat(),
            "updated": (now - timedelta(hours=1)).isoformat(),
        }
        for key, state, note in SERVICES
    ]


def _official(now: datetime) -> dict[str, Any]:
    """Three items from the authorities, fetched a while ago."""
    items = [
        {
            "id": f"urn:bench:{n}",
            "source": source,
            "headline": headline,
            "summary": "Stormen har orsakat elavbrott i länet. Räkna med att "
            "strömmen kan vara borta i flera dygn. Följ informationen här.",
            "published": (now - timedelta(hours=n + 1)).isoformat(),
            "updated": (now - timedelta(hours=n)).isoformat(),
            "expires": (now + timedelta(hours=12)).isoformat(),
            "link": "https://www.krisinformation.se/nyheter/2026/december/x",
        }
        for n, (source, headline) in enumerate(
            (
                ("vma", "Viktigt meddelande till allmänheten i Åre kommun"),
                ("krisinformation", "Elavbrott i västra Jämtland efter stormen"),
                ("krisinformation", "Halka på vägarna i hela länet"),
            )
        )
    ]
    return {
        "area": {"county": "23", "municipality": "2321", "location": None},
        "fetched_at": (now - timedelta(minutes=40)).isoformat(),
        "failed_at": (now - timedelta(minutes=10)).isoformat(),
        "items": items,
    }


def _status() -> dict[str, Any]:
    """On backup power for 2.5 hours, with notices, board and official items.

    Three notices, the whole service board and three official items fetched
    before the internet went: the largest page a site serves.
    """
    now = datetime.now(UTC)
    notices = [
        {
            "id": f"01BENCH{n}",
            "text_sv": text,
            "text_en": None,
            "importance": importance,
            "published": (now - timedelta(minutes=10 * n)).isoformat(),
            "expires": None,
        }
        for n, (text, importance) in enumerate(
            (
                ("Värmestugan i skolan är öppen dygnet runt.", "urgent"),
                ("Butiken har öppet 10-18. Diesel mot kontant betalning.", "important"),
                ("Nästa information klockan 18 på den här sidan.", "info"),
            )
        )
    ]
    return {
        "schema": 2,
        "site": "SOT-punkt Kall",
        "updated": now.isoformat(),
        "reachable": True,
        "mode": "backup_power",
        "mains_available": False,
        "outage_started": (now - timedelta(hours=2, minutes=30)).isoformat(),
        "generator_running": True,
        "on_backup_power": True,
        "fuel": {"litres": 612.0, "autonomy_h": 61.0},
        "warm_room": {"temperature_c": 19.5, "heater_on": True},
        "notices": notices,
        "services": _services(now),
        "local_radio": "P4 Jämtland 100,8 MHz",
        "official": _official(now),
    }


def _prepare(data_dir: Path) -> Path:
    state = {"version": 1, "status": _status(), "received": None, "events": []}
    (data_dir / "state.json").write_text(json.dumps(state))
    options = data_dir / "options.json"
    options.write_text(json.dumps({"show_fuel_autonomy": True}))
    return options


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers=HEADERS)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        body: bytes = response.read()
        return body


def _wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            msg = f"the app exited with {process.returncode}"
            raise RuntimeError(msg)
        try:
            _get(url + "/healthz")
        except OSError:
            time.sleep(0.1)
        else:
            return
    msg = "the app did not answer within 30 s"
    raise RuntimeError(msg)


@contextmanager
def running_app(port: int, core: int) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m sot_infopoint` on `core`, serving a saved state."""
    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory)
        options = _prepare(data)
        env = os.environ | {"PYTHONPATH": str(APP_DIR), "HA_TOKEN": "bench"}
        command = [
            "taskset",
            "-c",
            str(core),
            sys.executable,
            "-m",
            "sot_infopoint",
            # Nothing listens here: the app serves its saved state and keeps
            # retrying in the background, as while Home Assistant is down.
            "--ha-url",
            f"http://127.0.0.1:{free_port()}",
            "--data-dir",
            str(data),
            "--options",
            str(options),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--ingress-port",
            "0",
        ]
        process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            command, env=env, stdout=subprocess.DEVNULL
        )
        try:
            _wait_until_serving(f"http://127.0.0.1:{port}", process)
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else float("nan")


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _latency_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return float(number) * scale


def _wrk(url: str, core: int, seconds: int) -> tuple[float, float, str]:
    """Requests per second and p99 latency (ms) from one wrk run."""
    command = ["taskset", "-c", str(core), "wrk", "-t1", f"-c{CONNECTIONS}"]
    command += [f"-d{seconds}s", "--latency"]
    for name, value in HEADERS.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [*command, url], capture_output=True, text=True, check=True
    )
    rps = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    p99 = re.search(r"^\s+99%\s+(\S+)", result.stdout, re.MULTILINE)
    if rps is None or p99 is None:
        msg = f"unexpected wrk output:\n{result.stdout}"
        raise RuntimeError(msg)
    return float(rps.group(1)), _latency_ms(p99.group(1)), result.stdout


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def run(_polls: int, out: Path) -> list[str]:
    """Run the page benchmark and return its report lines."""
    missing = [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]
    if missing:
        return [
            f"page benchmark needs {', '.join(missing)} (scripts/setup installs wrk)"
        ]
    cores = sorted(os.sched_getaffinity(0))
    app_core, wrk_core = cores[0], cores[-1]
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with running_app(port, app_core) as process:
        body = _get(url)
        page = gzip.decompress(body)
        _wrk(url, wrk_core, 2)  # warm up
        cpu_before = _cpu_seconds(process.pid)
        rps, p99, report = _wrk(url, wrk_core, DURATION_S)
        cpu = _cpu_seconds(process.pid) - cpu_before
        rss = _peak_rss_mb(process.pid)
        load = os.getloadavg()[0]
    out.mkdir(parents=True, exist_ok=True)
    (out / "page_wrk.txt").write_text(report)
    shared = " (app and wrk share the only core)" if app_core == wrk_core else ""
    return [
        f"gzip size of /: {len(body)} bytes ({len(page)} bytes uncompressed), "
        f"budget {GZIP_BUDGET}: {_verdict(len(body) <= GZIP_BUDGET)}",
        f"requests/s with {CONNECTIONS} clients for {DURATION_S} s, app on core "
        f"{app_core}, wrk on core {wrk_core}{shared}: {rps:.0f} "
        f"(target >= {TARGET_RPS}: {_verdict(rps >= TARGET_RPS)})",
        f"p99 latency: {p99:.1f} ms (target < {TARGET_P99_MS:.0f} ms: "
        f"{_verdict(p99 < TARGET_P99_MS)})",
        f"app CPU per request: {1e6 * cpu / max(1.0, rps * DURATION_S):.0f} µs "
        f"({cpu:.1f} s of CPU in {DURATION_S} s; load average {load:.1f} on "
        f"{os.cpu_count()} cores, other programs included)",
        f"peak RSS of the app: {rss:.1f} MB (target < {TARGET_RSS_MB:.0f} MB: "
        f"{_verdict(rss < TARGET_RSS_MB)})",
        f"wrk's full report: {out / 'page_wrk.txt'}",
    ]
