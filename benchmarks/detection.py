"""Time from mains loss at the simulator to `mains available = off` in HA.

Runs the bench-marked test on Home Assistant's own test harness (a real HA
instance, the simulator at real speed) and passes on the line it prints.
"""

from __future__ import annotations

from pathlib import Path

from .bench_test import run_bench_test


def run(_polls: int, _out: Path) -> list[str]:
    """Run the detection-latency test and return its figure."""
    return run_bench_test(
        "tests/bench/test_detection_latency.py", "mains loss", "detection"
    )
