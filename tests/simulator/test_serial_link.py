"""`scripts/sim --rtu`: the simulator on a serial line, read by Debian's mbpoll.

mbpoll (libmodbus) shares no code with pymodbus, so its RTU framing and CRC
checking meet the simulator's on the pty the command prints. A port set to
another baud rate than the line's gets nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import re
import subprocess

import pytest

from .test_cli import MBPOLL, REPO, needs_mbpoll, simulator_command

ARGUMENTS = ("--port", "0", "--status-interval", "0", "--speed", "0", "--rtu")
SERIAL_LINE = re.compile(r"Modbus RTU on a serial line at (\d+) 8N1: connect to (\S+)")


@contextmanager
def simulator_on_a_line(baud: int) -> Iterator[str]:
    """Start `python -m simulator --rtu`; yield the device path it prints."""
    process = subprocess.Popen(
        simulator_command(*ARGUMENTS, "--baud", str(baud)),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        device = None
        for line in process.stdout:
            if match := SERIAL_LINE.search(line):
                assert int(match.group(1)) == baud
                device = match.group(2)
                break
        assert device is not None, "the simulator never said where its line is"
        yield device
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def mbpoll_rtu(
    device: str, baud: int, options: str
) -> subprocess.CompletedProcess[str]:
    """Poll unit 10 once over RTU, 8N1, with mbpoll."""
    assert MBPOLL is not None
    common = f"-m rtu -b {baud} -d 8 -P none -s 1 -a 10 -t 4 -1 -q -o 1 {options}"
    return subprocess.run(
        [MBPOLL, *common.split(), device],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


@needs_mbpoll
@pytest.mark.timeout(60)
@pytest.mark.parametrize("baud", [9600, 19200])
def test_mbpoll_reads_the_identity_over_rtu(baud: int) -> None:
    """Manufacturer 1 (DSE), model 32841 (7320 MKII), the serial, Auto."""
    with simulator_on_a_line(baud) as device:
        result = mbpoll_rtu(device, baud, "-0 -r 768 -c 5")
    assert result.returncode == 0, result.stdout + result.stderr
    values = [int(v) for v in re.findall(r"^\[\d+\]:\s+(\d+)", result.stdout, re.M)]
    assert values == [1, 32841, 26, 26065, 1]


@needs_mbpoll
@pytest.mark.timeout(60)
def test_mbpoll_at_the_wrong_baud_rate_gets_no_answer() -> None:
    with simulator_on_a_line(9600) as device:
        result = mbpoll_rtu(device, 19200, "-0 -r 768 -c 5")
    assert result.returncode != 0
    assert not re.search(r"^\[768\]:", result.stdout, re.M)
