"""scripts/bench --only region, small: five sites, a short window, every figure there.

Not a measurement (`scripts/bench --only region` is, at 1,000 sites): this
runs the whole rig (Mosquitto, a real `hass` with MQTT and a region set up
through its API, the regional page, the publishers) and checks that each
line the bench prints carries a figure that makes sense. No timing is
asserted.
"""

from __future__ import annotations

import math
from pathlib import Path
import re

import pytest

from benchmarks import region

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled")]

SITES = 5


def _numbers(line: str, pattern: str) -> list[float]:
    found = re.search(pattern, line)
    assert found, f"{pattern!r} not in {line!r}"
    return [float(value) for value in found.groups()]


def _line(lines: list[str], start: str) -> str:
    (line,) = [line for line in lines if line.startswith(start)]
    return line


def test_the_region_bench_prints_every_figure(tmp_path: Path) -> None:
    """Messages, both latencies, CPU, memory and the time to offline."""
    lines = list(region.run(tmp_path, SITES, seconds=10, interval_s=2, keepalive_s=4))
    text = "\n".join(lines)
    assert "Home Assistant 20" in text, text

    (rate,) = _numbers(_line(lines, "messages:"), r"= ([\d.]+)/s handled")
    assert rate > 0, text
    for start in ("publish -> regional entity", "publish -> regional page"):
        p50, p99, count = _numbers(
            _line(lines, start), r"p50 ([\d.]+) s, p99 ([\d.]+) s.*n=(\d+)"
        )
        assert 0 <= p50 <= p99, text
        assert count > 0, text
    (cpu,) = _numbers(_line(lines, "region Home Assistant CPU"), r"([\d.]+) ms per")
    assert cpu > 0, text
    rss, peak = _numbers(
        _line(lines, "region Home Assistant memory"),
        r"(\d+) MB resident, peak (\d+) MB",
    )
    assert 50 < rss <= peak, text
    closed, dropped = _numbers(
        _line(lines, "connection closed"), r"median ([\d.]+) s over (\d+) sites"
    )
    assert dropped == region.DROPPED_SITES, text
    assert math.isfinite(closed), text
    silent, quiet = _numbers(
        _line(lines, "connection silent"), r"median ([\d.]+) s over (\d+) sites"
    )
    assert quiet == SITES - region.DROPPED_SITES, text
    assert math.isfinite(silent), text
