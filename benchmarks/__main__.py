"""scripts/bench: print the project's measured figures, one per line."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import detection, journal, page, poll

BENCHES = {
    "poll": poll.run,
    "detection": detection.run,
    "page": page.run,
    "journal": journal.run,
}


def main() -> None:
    """Run the chosen benchmarks and print their lines."""
    parser = argparse.ArgumentParser(prog="scripts/bench")
    parser.add_argument("--only", choices=sorted(BENCHES), action="append")
    parser.add_argument("--polls", type=int, default=300, help="polls to time")
    parser.add_argument("--out", type=Path, default=Path("build/bench"))
    args = parser.parse_args()
    for name in args.only or sorted(BENCHES):
        print(f"## {name}")
        for line in BENCHES[name](args.polls, args.out):
            print(line)


main()
