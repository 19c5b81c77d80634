"""Time from mains loss at the simulator to `mains available = off` in HA.

Runs the bench-marked test on Home Assistant's own test harness (a real HA
instance, the simulator at real speed) and passes on the lines it prints:
the median detection time with a transfer switch, with the controller only
(its mains block read in the fast cycle, every second), and the same with
DSE's 0.1 s request gap; for the controller-only sites, the controller's
requests per poll and per second.
"""

from __future__ import annotations

from pathlib import Path

from .bench_test import run_bench_test


def run(_polls: int, _out: Path) -> list[str]:
    """Run the detection-latency test and return its figures."""
    lines = run_bench_test(
        "tests/bench/test_detection_latency.py", "mains loss", "detection"
    )
    # pytest -q prints a test's dot on the line its output starts on.
    return [line.lstrip(".") for line in lines]
