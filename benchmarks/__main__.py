"""scripts/bench: print the project's measured figures, one per line."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from pathlib import Path

from demo.ha import TESTED_VERSION, home_assistant_python, supported_versions

from . import detection, journal, page, poll, region

BENCHES: dict[str, Callable[[int, Path], Iterable[str]]] = {
    "poll": poll.run,
    "detection": detection.run,
    "page": page.run,
    "journal": journal.run,
    # Set in main(): it takes its own arguments.
    "region": lambda _polls, out: region.run(out),
}


def main() -> None:
    """Run the chosen benchmarks and print their lines."""
    parser = argparse.ArgumentParser(prog="scripts/bench")
    parser.add_argument("--only", choices=sorted(BENCHES), action="append")
    parser.add_argument("--polls", type=int, default=300, help="polls to time")
    parser.add_argument("--out", type=Path, default=Path("build/bench"))
    parser.add_argument(
        "--sites", type=int, default=1000, help="region: simulated sites (1000)"
    )
    parser.add_argument(
        "--duration",
        "--seconds",
        dest="seconds",
        type=float,
        default=120.0,
        help="region: the measuring window in seconds (120)",
    )
    parser.add_argument(
        "--ha-version",
        default=TESTED_VERSION,
        choices=supported_versions(),
        help=f"region: the Home Assistant release to run ({TESTED_VERSION})",
    )
    args = parser.parse_args()
    BENCHES["region"] = lambda _polls, out: region.run(
        out, args.sites, args.seconds, python=home_assistant_python(args.ha_version)
    )
    for name in args.only or sorted(BENCHES):
        print(f"## {name}")
        for line in BENCHES[name](args.polls, args.out):
            print(line)


main()
