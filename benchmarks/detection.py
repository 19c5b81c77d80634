"""Time from mains loss at the simulator to `mains available = off` in HA.

Runs the bench-marked test on Home Assistant's own test harness (a real HA
instance, the simulator at real speed) and passes on the line it prints.
"""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys


def run(_polls: int, _out: Path) -> list[str]:
    """Run the detection-latency test and return its figure."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/bench/test_detection_latency.py",
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
    lines = [line for line in result.stdout.splitlines() if "mains loss" in line]
    if result.returncode != 0 or not lines:
        return [f"detection benchmark failed:\n{result.stdout[-3000:]}"]
    return lines
