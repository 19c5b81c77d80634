"""The journal's size after ten simulated years of a busy site.

Runs the bench-marked test on Home Assistant's own test harness (the real
Journal, its pruning and its store) and passes on the line it prints.
"""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys


def run(_polls: int, _out: Path) -> list[str]:
    """Run the retention test and return its figure."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/bench/test_journal_retention.py",
            "-m",
            "bench",
            "-s",
            "-q",
            "--no-cov",
            "-p",
            "no:cacheprovider",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if "busy years" in line]
    if result.returncode != 0 or not lines:
        return [f"journal benchmark failed:\n{result.stdout[-3000:]}"]
    return lines
