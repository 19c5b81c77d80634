"""The journal's size after ten simulated years of a busy site.

Runs the bench-marked test on Home Assistant's own test harness (the real
Journal, its pruning and its store) and passes on the line it prints.
"""

from __future__ import annotations

from pathlib import Path

from .bench_test import run_bench_test


def run(_polls: int, _out: Path) -> list[str]:
    """Run the retention test and return its figure."""
    return run_bench_test(
        "tests/bench/test_journal_retention.py", "busy years", "journal"
    )
