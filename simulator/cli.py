"""Command line: serve a simulated site and print its status every few seconds.

    python -m simulator --scenario storm --speed 60 --port 5020 --faults 0.05

Exit codes: 0 after Ctrl-C or SIGTERM, 2 for a busy port or bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
import logging
import signal
import sys

from custom_components.sot_point.hardware.state import TransferPosition

from .families import use_family
from .faults import FaultInjector
from .scenario import list_scenarios, load_scenario
from .serial_link import optional_rtu, rtu_banner
from .server import PortInUseError, SimulatedSite, describe
from .site import Site

DEFAULT_PORT = 5020
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The command's options."""
    parser = argparse.ArgumentParser(
        prog="simulator",
        description="Serve a simulated SOT point (DSE controller, I/O module, "
        "ATS) over Modbus TCP, one port with several unit ids like a gateway.",
    )
    parser.add_argument("--scenario", default="normal", help="name or .toml path")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second (0 freezes time)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="0 picks a free port"
    )
    parser.add_argument(
        "--faults",
        type=float,
        default=0.0,
        metavar="RATE",
        help="chance per request of a fault (drop, exception, disconnect, "
        "corrupt, slow), 0-1",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--status-interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="real seconds between status lines (0: none)",
    )
    parser.add_argument(
        "--unknown-unit",
        choices=("gateway", "silent"),
        default="gateway",
        help="answer unknown unit ids with exception 11, or not at all",
    )
    parser.add_argument(
        "--controller",
        choices=("dse", "comap", "smartgen"),
        default="dse",
        help="the controller family served at the controller's unit id",
    )
    parser.add_argument(
        "--rtu",
        action="store_true",
        help="also serve Modbus RTU on a serial line (a pty) and print its path",
    )
    parser.add_argument(
        "--baud",
        type=int,
        choices=(9600, 19200, 38400, 57600, 115200),
        default=19200,
        help="the serial line's baud rate, 8N1 (with --rtu)",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the scenarios and exit"
    )
    return parser


def format_clock(seconds: float) -> str:
    """Simulated time as H:MM:SS."""
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def mains_word(site: Site) -> str:
    """The grid in one word."""
    if site.inputs().mains_ok:
        return "ok"
    return "out-of-band" if site.mains.live else "lost"


def status_line(site: Site) -> str:
    """One line: time, mains, mode, engine, load, tank, room, alarms."""
    controller = site.controller
    position = controller.switch.position
    kw = site.electrical().total_w / 1000.0
    if position is TransferPosition.GENERATOR:
        percent = 100.0 * kw / site.config.engine.rated_kw
        load = f"generator {kw:.1f} kW ({percent:.0f} %)"
    else:
        load = f"{position.value} {kw:.1f} kW"
    alarms = ",".join(controller.alarms.active_names()) or "-"
    return (
        f"[{format_clock(site.now)}] mains={mains_word(site)} "
        f"mode={controller.mode.name} engine={controller.engine_state.name} "
        f"load={load} tank={site.tank.litres:.1f} L "
        f"room={site.room.temperature_c:.1f} °C alarms={alarms}"
    )


def print_scenarios() -> None:
    """Name and description of every shipped scenario."""
    for name in list_scenarios():
        print(f"{name:15} {load_scenario(name).description}")


def banner(sim: SimulatedSite, faults: float) -> list[str]:
    """What is served where."""
    scenario = sim.scenario
    title = f"scenario {scenario.name}: {scenario.description}" if scenario else ""
    return [
        f"SOT Point simulator, {title}",
        f"listening on {sim.host}:{sim.port} (Modbus TCP gateway), "
        f"speed {sim.speed:g}x, faults {faults:.1%}",
        *describe(sim.served()),
    ]


async def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    faults = FaultInjector(rate=args.faults, seed=args.seed)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with SimulatedSite.serve(
            args.host,
            args.port,
            args.scenario,
            args.speed,
            seed=args.seed,
            faults=faults,
            unknown_unit=args.unknown_unit,
        ) as sim:
            use_family(sim, args.controller)
            print("\n".join(banner(sim, args.faults)), flush=True)
            async with optional_rtu(sim, args.baud if args.rtu else None) as line:
                if line is not None:
                    print(rtu_banner(line), flush=True)
                await _report(sim, stop, args.status_interval)
    except PortInUseError as err:
        print(f"simulator: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    return 0


async def _report(sim: SimulatedSite, stop: asyncio.Event, interval: float) -> None:
    while not stop.is_set():
        if interval > 0:
            print(status_line(sim.site), flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval if interval > 0 else None)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `python -m simulator`."""
    args = build_parser().parse_args(argv)
    if args.list:
        print_scenarios()
        return 0
    try:
        load_scenario(args.scenario)
    except ValueError as err:
        print(f"simulator: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    if not 0.0 <= args.faults <= 1.0 or args.speed < 0:
        print("simulator: error: --faults must be 0-1, --speed >= 0", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    # pymodbus warns about a busy port itself; we say it once, in one line.
    logging.getLogger("pymodbus").setLevel(logging.ERROR)
    return asyncio.run(run(args))
