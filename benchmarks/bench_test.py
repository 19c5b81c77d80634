"""Run a bench-marked test of tests/bench/ and pass on the lines it prints.

Some figures are measured on Home Assistant's own test harness (a real HA
instance, the simulator, the real journal); this runs such a test the way
scripts/bench runs everything, and keeps the lines that carry the figure.
"""

from __future__ import annotations

import subprocess
import sys


def run_bench_test(test: str, marker: str, name: str) -> list[str]:
    """Run `test`; its output lines containing `marker`, or why there are none."""
    result = subprocess.run(  # noqa: S603 - our own test file, this Python
        [
            sys.executable,
            "-m",
            "pytest",
            test,
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
    lines = [line for line in result.stdout.splitlines() if marker in line]
    if result.returncode != 0 or not lines:
        return [f"{name} benchmark failed:\n{result.stdout[-3000:]}"]
    return lines
