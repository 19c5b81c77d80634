"""The wire budget's arithmetic against sums done by hand, and its frames.

`scripts/bench --only poll` prints how long a full poll keeps an RS-485 line
busy; these check its sums (bytes x 11 / baud, 3.5-character silences,
turnaround, gap) with numbers worked out here, and that the frames it sums
are the poll's real ones.
"""

from __future__ import annotations

import pytest

from benchmarks import wire
from benchmarks.poll import captured_full_poll, exchanges
from custom_components.sot_point.hardware.families import ControllerFamily
from simulator.serial_link import End, Frame


def test_an_fc03_read_is_8_bytes_out_and_5_plus_2_per_register_back() -> None:
    assert wire.fc03(1) == wire.Exchange(8, 7)
    assert wire.fc03(66) == wire.Exchange(8, 137)


def test_one_page_4_read_at_19200_by_hand() -> None:
    """145 bytes x 11 bits / 19200 = 83.07 ms; two silences of 2.005 ms."""
    result = wire.budget([wire.fc03(66)], 19200, turnaround=0.05, gap=0.1)
    assert result.bytes_out + result.bytes_back == 145
    assert result.on_wire == pytest.approx(0.0830729, abs=1e-6)
    assert result.silences == pytest.approx(2 * 0.0020052, abs=1e-6)
    assert result.total == pytest.approx(0.0830729 + 0.0040104 + 0.15, abs=1e-6)


def test_halving_the_baud_rate_doubles_the_wire_time_only() -> None:
    fast = wire.budget([wire.fc03(21)], 19200)
    slow = wire.budget([wire.fc03(21)], 9600)
    assert slow.on_wire == pytest.approx(2 * fast.on_wire)
    assert slow.turnaround == fast.turnaround == 0.05
    assert slow.gaps == fast.gaps == 0.1


def test_the_silence_never_drops_below_1_75_ms() -> None:
    """At 115200 3.5 characters are 0.33 ms; the spec fixes 1.75 ms."""
    assert wire.silence_seconds(115200) == pytest.approx(0.00175)
    assert wire.silence_seconds(9600) == pytest.approx(3.5 * 11 / 9600)


def test_the_readme_full_poll_is_150_ms_on_the_wire_and_0_75_s() -> None:
    """Status 3, engine 1, page 4 66, alarms 21 registers, at 19200."""
    poll = [wire.fc03(n) for n in (3, 1, 66, 21)]
    result = wire.budget(poll, 19200)
    assert (result.bytes_out, result.bytes_back) == (32, 202)
    assert 1000 * (result.on_wire + result.silences) == pytest.approx(150.1, abs=0.1)
    assert result.total == pytest.approx(0.75, abs=0.001)


def test_genmons_stored_map_is_49_reads_over_the_issues_pages() -> None:
    pages = {address >> 8 for address, _ in wire.GENMON_DSE_MAP}
    assert pages == {0, 1, 3, 4, 5, 6, 7, 8, 153, 154}
    sizes = [registers for _, registers in wire.GENMON_DSE_MAP]
    assert (len(sizes), sizes.count(1), sizes.count(2)) == (49, 20, 29)
    assert len(wire.genmon_issue_exchanges(2)) == 58


def test_frames_pair_into_exchanges_as_they_crossed() -> None:
    """A request without an answer (a timeout) is no exchange."""
    frames = [
        Frame(End.CLIENT, bytes(8)),
        Frame(End.CONTROLLER, bytes(11)),
        Frame(End.CLIENT, bytes(8)),
        Frame(End.CLIENT, bytes(8)),
        Frame(End.CONTROLLER, bytes(7)),
    ]
    assert exchanges(frames) == [wire.Exchange(8, 11), wire.Exchange(8, 7)]


async def test_the_dse_full_poll_off_the_line_is_the_readme_table() -> None:
    """Captured over RTU: status, engine state, page 4, alarm page."""
    captured = await captured_full_poll(ControllerFamily.DSE)
    assert captured == [wire.fc03(n) for n in (3, 1, 66, 21)]
