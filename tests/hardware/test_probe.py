"""The commissioning probe (scripts/probe) against the simulator, in process.

`main()` runs its own event loop with asyncio.run, so the simulator runs in a
thread with a loop of its own; the probe then talks to it over loopback like
it would to a gateway on site.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import json
import threading
from typing import Any

import pytest

from custom_components.sot_point.hardware.probe import main
from custom_components.sot_point.hardware.profiles import ats, dse_gencomm
from custom_components.sot_point.hardware.state import AlarmCondition, TransferPosition
from simulator.faults import FaultKind
from simulator.server import SimulatedSite

pytestmark = pytest.mark.usefixtures("socket_enabled")

# No pause between requests and a short timeout: a silent unit fails fast.
FAST = ["--gap", "0", "--timeout", "0.5"]


@pytest.fixture
def sim() -> Iterator[SimulatedSite]:
    """A site at rest on mains, served from a thread with its own event loop."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    served: list[SimulatedSite] = []
    errors: list[BaseException] = []
    stop = asyncio.Event()

    async def serve() -> None:
        async with SimulatedSite.serve(scenario="normal", speed=0) as site:
            served.append(site)
            ready.set()
            await stop.wait()

    def run() -> None:
        try:
            loop.run_until_complete(serve())
        except BaseException as err:  # reported to the test below
            errors.append(err)
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="simulator", daemon=True)
    thread.start()
    assert ready.wait(10), "simulator did not start"
    assert not errors, errors
    try:
        yield served[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        assert not thread.is_alive()


def _probe(
    capsys: pytest.CaptureFixture[str], sim: SimulatedSite, *args: str
) -> tuple[int, str, str]:
    code = main(["--host", "127.0.0.1", "--port", str(sim.port), *FAST, *args])
    out, err = capsys.readouterr()
    return code, out, err


def _json(out: str) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(out)
    return report


def test_generator_text_report(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """The controller reads as a 7320 MKII in Auto; every block answers."""
    code, out, err = _probe(capsys, sim)
    assert code == 0, err
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"dse_gencomm at 127.0.0.1:{sim.port}, unit 10"
    values = dict(line.split(maxsplit=1) for line in lines[1:] if line[:2] == "  ")
    assert values["model"] == "DSE7320 MKII"
    assert values["serial_number"] == str(sim.site.config.serial_number)
    assert values["control_mode"] == "1"  # Auto
    assert values["engine_state"] == "0"  # stopped
    answered = next(line for line in lines if line.startswith("answered: "))
    for block in ("identity", "status", "engine", "instruments", "alarms", "power"):
        assert f"{block}@" in answered, block
    assert "no answer" not in out


def test_generator_json_report_lists_raised_alarms(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json is one document with values, answered and failed blocks."""
    sim.site.inject_alarm("low_oil_pressure", AlarmCondition.SHUTDOWN)
    code, out, _ = _probe(capsys, sim, "--json")
    assert code == 0
    report = _json(out)
    assert report["profile"] == "dse_gencomm"
    assert report["unit"] == 10
    assert report["failed"] == {}
    values = report["values"]
    assert values["model"] == "DSE7320 MKII"
    assert values["manufacturer_code"] == dse_gencomm.MANUFACTURER_DSE
    assert int(dse_gencomm.ControlKey.START_ENGINE) in values["supported_functions"]
    assert values["alarms"] == {"low_oil_pressure": "shutdown"}
    assert 225 <= values["mains_voltage_l1_n"] <= 235
    assert len(report["answered"]) == 8


def test_a_block_that_fails_is_named_and_the_rest_still_shown(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """The alarm page refused: reported as no answer, exit 0 for what answered."""
    sim.faults.addresses = frozenset({dse_gencomm.NAMED_ALARM_PAGE})
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
    code, out, _ = _probe(capsys, sim)
    assert code == 0
    failed = [line for line in out.splitlines() if line.startswith("no answer: ")]
    assert len(failed) == 1
    assert failed[0].startswith(f"no answer: alarms@{dse_gencomm.NAMED_ALARM_PAGE}x")
    assert "busy" in failed[0].lower()
    assert "  model" in out


def test_controller_without_the_functions_map(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """Older units refuse page 16: said so, and the values are read all the same."""
    sim.faults.addresses = frozenset({dse_gencomm.SUPPORTED_FUNCTIONS_ADDRESS})
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
    code, out, _ = _probe(capsys, sim, "--json")
    assert code == 0
    report = _json(out)
    assert list(report["failed"]) == [
        f"supported_functions@{dse_gencomm.SUPPORTED_FUNCTIONS_ADDRESS}x8"
    ]
    assert "supported_functions" not in report["values"]
    assert report["values"]["model"] == "DSE7320 MKII"
    assert report["values"]["control_mode"] == 1


def test_io_module_profile(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """The I/O module at unit 1: raw tank loop, room temperature and the relay."""
    sim.site.set_heater(True)
    sim.site.set_room_temperature(18.5)
    code, out, _ = _probe(
        capsys, sim, "--profile", "generic_io", "--unit", "1", "--json"
    )
    assert code == 0
    report = _json(out)
    assert [a.split("@")[0] for a in report["answered"]] == ["inputs", "relay"]
    values = report["values"]
    assert values["relay"] is True
    assert values["room_temperature"] == pytest.approx(18.5)
    assert 4000 < values["tank_level_raw"] <= 20000  # µA of a 4-20 mA loop


def test_ats_profile(sim: SimulatedSite, capsys: pytest.CaptureFixture[str]) -> None:
    """The transfer switch at unit 2: in Auto, load on the mains, mains healthy."""
    code, out, _ = _probe(capsys, sim, "--profile", "ats", "--unit", "2", "--json")
    assert code == 0
    report = _json(out)
    assert report["profile"] == "ats"
    assert [a.split("@")[0] for a in report["answered"]] == ["ats_status"]
    values = report["values"]
    assert ats.POSITIONS[values["position"]] is TransferPosition.MAINS
    assert values["mode"] == ats.MODE_AUTO
    assert values["source1_state"] == ats.SOURCE_AVAILABLE
    assert values["source2_state"] == ats.SOURCE_BELOW_THRESHOLD


def test_closed_port_exits_1_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing listens: exit 1 and one line on stderr saying so."""
    code = main(["--host", "127.0.0.1", "--port", "1", *FAST])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith("error: 127.0.0.1:1 unit 10 does not answer: ")
    assert "answered: none" in out


def test_unit_that_is_not_there_exits_1(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """The gateway answers for unit 99 that nothing on its bus is."""
    code, _, err = _probe(capsys, sim, "--unit", "99")
    assert code == 1
    assert err.startswith(f"error: 127.0.0.1:{sim.port} unit 99 does not answer: ")
    assert "gateway" in err
    assert err.count("\n") == 1


def test_silent_io_module_stops_after_the_first_request(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """A module that never answers is asked once, not once per block."""
    sim.faults.units = frozenset({1})
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
    code, out, err = _probe(capsys, sim, "--profile", "generic_io", "--unit", "1")
    assert code == 1
    assert out.count("no answer: ") == 1
    assert sim.faults.counts[FaultKind.EXCEPTION] == 1
    assert "unit 1 does not answer" in err


def test_missing_serial_port_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """RTU on a port that does not exist: exit 1, the port named."""
    code = main(["--serial", "/dev/sot-point-no-such-port", "--json", *FAST])
    out, err = capsys.readouterr()
    assert code == 1
    assert _json(out)["answered"] == []
    assert err.startswith("error: /dev/sot-point-no-such-port 19200 8N1 unit 10 ")
