"""scripts/soak: pull Home Assistant's plug again and again during a storm.

Runs the demo's parts (a real `hass`, the simulator and the info page) on the
`storm` scenario at speed, SIGKILLs Home Assistant at `--kills` moments and
starts it again on the same config folder, and after each start checks what
issue 16 asks for, one line per figure:

- Home Assistant starts without a corrupt-store repair (its own
  `storage_corruption` or the integration's `journal_set_aside`);
- every journal record on disk at the kill is still in the journal;
- one outage record per simulated outage, starting no later than the true
  start (the simulator runs in this process, so its cut is known to the
  millisecond; a start seen while watching may trail it by one poll);
- the maintenance lock and a test run's end are as they were;
- the fuel figure moves with the tank, within one poll's consumption;
- the info page is on backup power again within 60 s of Home Assistant's start.

The first kill pulls the plug at the moment the grid fails, as at a real SOT
point where the HA box loses its power with the grid, and HA boots into the
outage; then kills during the outage, about half of them the instant the
journal's file is written; one while the grid comes back, HA staying dead
until it has; and one right after HA has seen the outage end.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import random
import signal
import statistics
import subprocess
import sys
import time
from typing import Any

import aiohttp

from simulator.scenario import load_scenario
from simulator.server import SimulatedSite

from .__main__ import OFFERS
from .ha import REPO, DemoUser, HomeAssistantApi, wait_for_onboarding, write_config
from .processes import Children, DemoError, check_ports, wait_for_port
from .setup_site import set_up_site

STATE_DIR = REPO / ".soak"
SCENARIO = "storm"
PAGE_DEADLINE_S = 60.0
# The integration polls the mains every second (const.STATUS_INTERVAL_S) and
# the instruments, the fuel level among them, every 5 s by default.
STATUS_POLL_S = 1.0
INSTRUMENT_POLL_S = 5.0
# The simulated day tank: 200 L, its level read in whole percent (2 L).
TANK_STEP_L = 2.0
FULL_LOAD_LPH = 7.0
CORRUPT_ISSUES = ("storage_corruption", "journal_set_aside")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/soak",
        description="SIGKILL Home Assistant during a simulated storm; lose nothing.",
    )
    parser.add_argument("--kills", type=int, default=20, help="kills (20)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument(
        "--cycle",
        type=float,
        default=40.0,
        help="expected real seconds per kill during the outage, to pick the "
        "simulator's speed before one is measured (40)",
    )
    parser.add_argument("--ha-port", type=int, default=8124)
    parser.add_argument("--sim-port", type=int, default=5021)
    parser.add_argument("--page-port", type=int, default=8081)
    parser.add_argument("--ingress-port", type=int, default=8100)
    parser.add_argument(
        "--state-dir", type=Path, default=STATE_DIR, help="config and logs (.soak)"
    )
    return parser


@dataclass
class Truth:
    """What the simulator did, in wall-clock time."""

    cuts: list[datetime] = field(default_factory=list)
    restores: list[datetime] = field(default_factory=list)


async def _watch_mains(sim: SimulatedSite, truth: Truth) -> None:
    """Note when the simulated grid fails and returns (to within 20 ms, early)."""
    was_ok = sim.site.inputs().mains_ok
    checked = datetime.now(UTC)
    while True:
        await asyncio.sleep(0.02)
        ok = sim.site.inputs().mains_ok
        if ok != was_ok:
            # It changed after the previous look: that look is the bound the
            # records are checked against (the strict side).
            (truth.restores if ok else truth.cuts).append(checked)
            was_ok = ok
        checked = datetime.now(UTC)


def _on_generator(sim: SimulatedSite) -> bool:
    return bool(sim.site.controller.on_load)


@dataclass
class Tally:
    """The figures of the verdict line, and whether any check failed."""

    kills: int = 0
    lost: int = 0
    duplicates: int = 0
    corrupt: int = 0
    failures: int = 0
    at_writes: int = 0
    to_backup: list[float] = field(default_factory=list)

    def check(self, ok: bool, line: str) -> None:
        """Print one figure's line; count it if it failed."""
        print(f"  {'ok  ' if ok else 'FAIL'} {line}", flush=True)
        if not ok:
            self.failures += 1


class Soak:
    """One soak run: its processes, the site and the checks."""

    def __init__(self, args: argparse.Namespace, sim: SimulatedSite) -> None:
        """Prepare; nothing runs until `run`."""
        self.args = args
        self.sim = sim
        self.rng = random.Random(args.seed)  # noqa: S311 - not for secrets
        self.state_dir = Path(args.state_dir)
        self.config_dir = self.state_dir / "config"
        self.children = Children(self.state_dir)
        self.truth = Truth()
        self.tally = Tally()
        self.hass: subprocess.Popen[bytes] | None = None
        self.hass_started = 0.0
        self.entry_id = ""
        self.base = f"http://127.0.0.1:{args.ha_port}"
        self.page = f"http://127.0.0.1:{args.page_port}/status.json"
        self.api: HomeAssistantApi | None = None
        restored = next(
            e.at for e in load_scenario(SCENARIO).events if e.action == "mains_restored"
        )
        self.restore_at: float = restored
        self.cut_at: float = next(
            e.at for e in load_scenario(SCENARIO).events if e.action == "mains_lost"
        )
        self.cycles: list[float] = []

    # -- files ------------------------------------------------------------------

    def _store(self, what: str) -> Path:
        return self.config_dir / ".storage" / f"sot_point.{self.entry_id}.{what}"

    def _read(self, what: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._store(what).read_text())
        except FileNotFoundError:
            return None
        return data.get("data") if isinstance(data, dict) else None

    def _mtime(self) -> float:
        with suppress(FileNotFoundError):
            return self._store("journal").stat().st_mtime
        return 0.0

    # -- Home Assistant ---------------------------------------------------------

    def _start_hass(self) -> None:
        log = (self.state_dir / "homeassistant.log").open("ab")
        self.hass_started = time.time()
        self.hass = subprocess.Popen(  # noqa: S603 - our own program
            [sys.executable, "-m", "homeassistant", "-c", str(self.config_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={
                **os.environ,
                "UV_NATIVE_TLS": "1",
                "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt",
            },
        )

    def _kill_hass(self) -> None:
        assert self.hass is not None
        with suppress(ProcessLookupError):
            os.killpg(self.hass.pid, signal.SIGKILL)
        self.hass.wait()

    async def _page(self, session: aiohttp.ClientSession) -> dict[str, Any] | None:
        with suppress(aiohttp.ClientError, TimeoutError, ValueError):
            async with session.get(
                self.page, timeout=aiohttp.ClientTimeout(total=2)
            ) as reply:
                if reply.status == 200:
                    data: dict[str, Any] = await reply.json()
                    return data
        return None

    async def _page_current(
        self, session: aiohttp.ClientSession, seconds: float
    ) -> tuple[float | None, dict[str, Any] | None]:
        """Seconds from HA's start until the page shows a state read since then.

        Current means read after HA's start and showing the load where the
        simulator has it (on backup power during the outage).
        """
        started = datetime.fromtimestamp(self.hass_started, UTC)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            page = await self._page(session)
            updated = page.get("updated") if page else None
            if (
                page
                and updated
                and page.get("reachable")
                and datetime.fromisoformat(updated) >= started
                and page.get("on_backup_power") == _on_generator(self.sim)
                and (page.get("fuel") or {}).get("litres") is not None
            ):
                return time.time() - self.hass_started, page
            await asyncio.sleep(0.2)
        return None, await self._page(session)

    async def _ws(self, message: dict[str, Any]) -> Any:
        assert self.api is not None
        (result,) = await self.api.websocket([message])
        return result

    # -- setup ----------------------------------------------------------------------

    async def set_up(self, session: aiohttp.ClientSession) -> None:
        """A fresh HA with the site, and the info page; the simulator frozen."""
        write_config(self.config_dir, self.args.ha_port)
        self._start_hass()
        assert self.hass is not None
        await wait_for_onboarding(self.hass, self.args.ha_port)
        api = self.api = HomeAssistantApi(session, self.base)
        await api.onboard(DemoUser())
        await api.confirm_http_config(self.config_dir)
        self.entry_id = await set_up_site(api, self.args.sim_port)
        await api.remove_online_integrations()
        api.token = str(
            await self._ws(
                {
                    "type": "auth/long_lived_access_token",
                    "client_name": "SOT soak",
                    "lifespan": 30,
                }
            )
        )
        options = self.state_dir / "infopage-options.json"
        options.write_text(
            json.dumps(
                {
                    "site_entry_id": self.entry_id,
                    "offers": dict.fromkeys(OFFERS, True),
                    "show_fuel_autonomy": True,
                    "wifi_name": "SOT-punkt Kall",
                    "public_url": f"http://127.0.0.1:{self.args.page_port}/",
                    "language": "sv",
                }
            )
        )
        page = self.children.start(
            "infopage",
            [
                sys.executable,
                "-m",
                "sot_infopoint",
                "--ha-url",
                self.base,
                "--options",
                str(options),
                "--data-dir",
                str(self.state_dir / "infopage"),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.args.page_port),
                "--ingress-port",
                str(self.args.ingress_port),
                "--ingress-peer",
                "127.0.0.1",
            ],
            env={
                "HA_TOKEN": api.token,
                "PYTHONPATH": str(REPO / "addon" / "sot_point_infopoint" / "app"),
            },
        )
        await wait_for_port(self.args.page_port, 60, page)
        took, _ = await self._page_current(session, 120)
        if took is None:
            msg = "the info page never showed the site"
            raise DemoError(msg)
        # Home Assistant writes its registries and the token a few seconds
        # after a change; a pulled plug before that is not this soak's subject.
        await asyncio.sleep(12)

    # -- the soak ---------------------------------------------------------------

    def _plan(self) -> list[str]:
        kills = self.args.kills
        middle = [
            "write" if self.rng.random() < 0.5 else "random"
            for _ in range(max(0, kills - 3))
        ]
        if kills < 3:
            return ["cut", "restore"][:kills]
        return ["cut", *middle, "restore", "after"]

    def _outage_speed(self, remaining_kills: int) -> float:
        cycle = statistics.mean(self.cycles) if self.cycles else self.args.cycle
        left = max(0.0, self.restore_at - self.sim.site.now)
        return min(2000.0, max(1.0, left / (max(1, remaining_kills) * cycle)))

    async def run(self, session: aiohttp.ClientSession) -> None:
        """Every kill and restart, and the checks after each."""
        plan = self._plan()
        in_outage = plan.count("write") + plan.count("random")
        print(
            f"soak: {len(plan)} kills, seed {self.args.seed}, scenario {SCENARIO}; "
            f"logs in {self.state_dir}",
            flush=True,
        )
        self.sim.speed = 1.0
        for number, kind in enumerate(plan, start=1):
            killed_at = time.monotonic()
            how = await self._kill(kind)
            in_outage -= kind in ("write", "random")
            before = self._disk_before()
            page_before = await self._page(session)
            tank_before = self.sim.site.tank.litres
            print(
                f"kill {number}/{len(plan)} at {_clock(self.sim.site.now)} simulated "
                f"({'mains lost' if self._mains_lost() else 'mains good'}, "
                f"{'on generator' if _on_generator(self.sim) else 'on mains'}), {how}",
                flush=True,
            )
            await self._dead(kind, in_outage)
            self._start_hass()
            await self._check(session, before, page_before, tank_before)
            if kind in ("write", "random"):
                self.cycles.append(time.monotonic() - killed_at)

    def _mains_lost(self) -> bool:
        return bool(self.truth.cuts) and not self._restored()

    def _restored(self) -> bool:
        return len(self.truth.restores) >= len(self.truth.cuts)

    async def _kill(self, kind: str) -> str:
        if kind == "cut":
            offset = self.rng.uniform(-0.5, 1.5)
            await _until(lambda: self.sim.site.now >= self.cut_at + offset, 0.01)
            self._kill_hass()
            return f"the plug pulled {offset:+.1f} s from the grid's failure"
        if kind == "restore":
            # An outage whose record never reached the disk and that ends
            # while HA is dead is gone: the journal's documented loss window
            # (10 s). This kill comes once the record is on disk.
            await _until(self._outage_on_disk, 0.1, 60)
            await asyncio.sleep(self.rng.uniform(1, 8))
            self._kill_hass()
            return "HA stays dead until the grid is back"
        if kind in ("write", "after"):
            seen = self._mtime()
            await _until(lambda: self._mtime() != seen, 0.005, 40)
            self._kill_hass()
            if self._mtime() != seen:
                self.tally.at_writes += 1
                late = (time.time() - self._mtime()) * 1000
                return f"{late:.0f} ms after the journal's file was written"
            return "no journal write within 40 s: at that moment"
        await asyncio.sleep(self.rng.uniform(1, 12))
        self._kill_hass()
        return "at a random moment"

    async def _dead(self, kind: str, in_outage: int) -> None:
        """While HA is dead: the grid does what the plan wants, the set runs on."""
        if kind == "cut":
            await _until(lambda: bool(self.truth.cuts), 0.05)
            self.sim.speed = self._outage_speed(in_outage)
            await asyncio.sleep(self.rng.uniform(3, 10))
        elif kind == "restore":
            self.sim.speed = max(1.0, (self.restore_at - self.sim.site.now) / 3)
            await _until(self._restored, 0.05)
            self.sim.speed = 60.0
            await asyncio.sleep(self.rng.uniform(0, 5))
        elif kind in ("write", "random"):
            self.sim.speed = self._outage_speed(in_outage)
            await asyncio.sleep(self.rng.uniform(0, 3))

    def _disk_before(self) -> dict[str, Any]:
        journal = self._read("journal") or {}
        return {
            "records": {r["id"] for r in journal.get("records", [])},
            "safety": self._read("safety"),
        }

    async def _check(
        self,
        session: aiohttp.ClientSession,
        before: dict[str, Any],
        page_before: dict[str, Any] | None,
        tank_before: float,
    ) -> None:
        tally = self.tally
        tally.kills += 1
        backup = _on_generator(self.sim)
        took, page = await self._page_current(session, PAGE_DEADLINE_S)
        if took is None:
            took, page = await self._page_current(session, 120)
            tally.check(False, f"page: not current within {PAGE_DEADLINE_S:.0f} s")
            if took is None:
                raise DemoError("the info page did not come back; see the logs")
        else:
            where = "on backup power" if backup else "on the mains"
            tally.check(True, f"page: {where} {took:.1f} s after HA's start")
            if backup:
                tally.to_backup.append(took)
        assert page is not None
        if self._mains_lost():
            # The outage is recorded once HA has confirmed it (the site's
            # confirm delay after its first reading without mains).
            await self._outage_on_page(session, 30)
        await self._check_repairs()
        records = await self._records()
        self._check_records(before["records"], records)
        self._check_outages(records)
        safety = self._read("safety")
        tally.check(
            safety == before["safety"],
            f"safety: {_safety(safety)}, "
            + (
                "as before" if safety == before["safety"] else _safety(before["safety"])
            ),
        )
        self._check_fuel(page_before, tank_before, page)

    async def _outage_on_page(
        self, session: aiohttp.ClientSession, seconds: float
    ) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            page = await self._page(session)
            if page and page.get("outage_started") is not None:
                return
            await asyncio.sleep(0.2)

    def _outage_on_disk(self) -> bool:
        journal = self._read("journal") or {}
        return any(r.get("kind") == "outage" for r in journal.get("records", []))

    async def _check_repairs(self) -> None:
        issues = (await self._ws({"type": "repairs/list_issues"}))["issues"]
        corrupt = [
            f"{i['domain']}.{i['issue_id']}"
            for i in issues
            if str(i["issue_id"]).startswith(CORRUPT_ISSUES)
        ]
        aside = sorted(p.name for p in (self.config_dir / ".storage").glob("*corrupt*"))
        if corrupt or aside:
            self.tally.corrupt += 1
        self.tally.check(
            not corrupt and not aside,
            "stores: "
            + (
                ", ".join(corrupt + aside)
                if corrupt or aside
                else "no corrupt-store repair"
            ),
        )

    async def _records(self) -> list[dict[str, Any]]:
        assert self.api is not None
        answer = await self.api.post(
            "/api/services/sot_point/export_journal?return_response",
            {"config_entry_id": self.entry_id},
        )
        records: list[dict[str, Any]] = answer["service_response"]["records"]
        return records

    def _check_records(self, before: set[str], records: list[dict[str, Any]]) -> None:
        now = {r["id"] for r in records}
        missing = before - now
        self.tally.lost += len(missing)
        self.tally.check(
            not missing,
            f"journal: {len(before)} records on disk at the kill, "
            f"{len(before) - len(missing)} of them there after the restart "
            f"({len(now)} in all)",
        )

    def _check_outages(self, records: list[dict[str, Any]]) -> None:
        outages = sorted(
            (r for r in records if r["kind"] == "outage"), key=lambda r: r["at"]
        )
        cuts = self.truth.cuts
        extra = max(0, len(outages) - len(cuts))
        self.tally.duplicates += extra
        parts = [f"{len(outages)} records for {len(cuts)} simulated outages"]
        ok = len(outages) == len(cuts)
        for record, cut in zip(outages, cuts, strict=False):
            data = record["data"]
            start = datetime.fromisoformat(data["started"])
            lead = (cut - start).total_seconds()
            uncertain = bool(data.get("start_uncertain"))
            # Seen while watching, the start is the poll that saw it: up to a
            # poll (and its read) after the cut. First seen at a start, the
            # last moment the mains was seen good: never after the cut.
            allowed = 0.0 if uncertain else 2 * STATUS_POLL_S
            ok = ok and -lead <= allowed
            parts.append(
                f"start {abs(lead):.1f} s {'before' if lead >= 0 else 'after'} "
                f"the true one ({'start_uncertain' if uncertain else 'watched'}, "
                f"{'ended' if data.get('ended') else 'going on'})"
            )
        self.tally.check(ok, "outages: " + "; ".join(parts))

    def _check_fuel(
        self,
        page_before: dict[str, Any] | None,
        tank_before: float,
        page: dict[str, Any],
    ) -> None:
        litres_before = ((page_before or {}).get("fuel") or {}).get("litres")
        litres = page["fuel"]["litres"]
        burnt = tank_before - self.sim.site.tank.litres
        if litres_before is None:
            self.tally.check(True, f"fuel: {litres:.1f} L (none shown before)")
            return
        jump = (litres_before - litres) - burnt
        one_poll = FULL_LOAD_LPH * INSTRUMENT_POLL_S * self.sim.speed / 3600
        allowed = one_poll + TANK_STEP_L
        self.tally.check(
            abs(jump) <= allowed,
            f"fuel: {litres_before:.1f} L before the kill, {litres:.1f} L after; "
            f"the tank burnt {burnt:.1f} L meanwhile; jump {abs(jump):.1f} L "
            f"(allowed {allowed:.1f} L: one poll's {one_poll:.1f} L "
            f"and the sensor's {TANK_STEP_L:.0f} L step)",
        )

    def stop(self) -> None:
        """Stop HA (SIGTERM, it saves) and the info page."""
        if self.hass is not None and self.hass.poll() is None:
            os.killpg(self.hass.pid, signal.SIGTERM)
            try:
                self.hass.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._kill_hass()
        self.children.stop_all()


async def _until(
    condition: Callable[[], bool], step: float, seconds: float | None = None
) -> bool:
    """Wait until `condition()` holds (True) or `seconds` pass (False)."""
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        if condition():
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False
        await asyncio.sleep(step)


def _safety(stored: dict[str, Any] | None) -> str:
    if stored is None:
        return "none stored"
    lock = "lock on" if stored.get("maintenance") else "lock off"
    end = stored.get("test_run_end")
    return f"{lock}, test run end {end}" if end else f"{lock}, no test run end"


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def verdict(tally: Tally) -> str:
    """The final line, in the form issue 16 gives."""
    median = statistics.median(tally.to_backup) if tally.to_backup else float("nan")
    return (
        f"kills: {tally.kills}, records lost: {tally.lost}, duplicate outages: "
        f"{tally.duplicates}, corrupt stores: {tally.corrupt}, median time from HA "
        f"start to page on backup power: {median:.1f} s"
    )


async def _main(args: argparse.Namespace) -> int:
    async with SimulatedSite.serve(
        "127.0.0.1", args.sim_port, SCENARIO, speed=0.0, seed=args.seed
    ) as sim:
        soak = Soak(args, sim)
        watcher = asyncio.create_task(_watch_mains(sim, soak.truth))
        try:
            async with aiohttp.ClientSession() as session:
                await soak.set_up(session)
                await soak.run(session)
        finally:
            watcher.cancel()
            soak.stop()
    tally = soak.tally
    print(
        f"kills aimed at a journal write: {tally.at_writes}; failed checks: "
        f"{tally.failures}"
    )
    print(verdict(tally), flush=True)
    return 1 if tally.failures else 0


def main() -> int:
    """Run the soak; 0 when every check passed."""
    args = _parser().parse_args()
    if args.kills < 1:
        print("error: --kills must be at least 1", file=sys.stderr)
        return 2
    try:
        check_ports(
            {
                "ha": args.ha_port,
                "sim": args.sim_port,
                "page": args.page_port,
                "ingress": args.ingress_port,
            }
        )
        args.state_dir.mkdir(parents=True, exist_ok=True)
        return asyncio.run(_main(args))
    except DemoError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    # SIGTERM as Ctrl-C: the soak stops Home Assistant and the page it started.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(main())
