"""The commissioning probe (scripts/probe) against the simulator, in process.

`main()` runs its own event loop with asyncio.run, so the simulator runs in a
thread with a loop of its own; the probe then talks to it over loopback like
it would to a gateway on site.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
import json
import re
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
FAST = ["--gap", "0", "--timeout", "0.5", "--lang", "en"]


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


def _shown(out: str) -> dict[str, str]:
    """The report's `  Label:  value` lines, label -> value."""
    pairs = (
        line.strip().split(":", 1) for line in out.splitlines() if line[:2] == "  "
    )
    return {label: value.strip() for label, value in pairs}


def test_generator_text_report(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """Names and units, as a technician reads them: a 7320 MKII in Auto."""
    code, out, err = _probe(capsys, sim, "--lang", "en")
    assert code == 0, err
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"dse_gencomm at 127.0.0.1:{sim.port}, unit 10"
    values = _shown(out)
    assert values["Model"] == "DSE7320 MKII"
    assert values["Serial number"] == str(sim.site.config.serial_number)
    assert values["Control mode"] == "Auto"
    assert values["Engine"] == "Stopped"
    assert re.fullmatch(r"1[23]\.\d V", values["Battery"])
    assert re.fullmatch(r"2[23]\d\.\d V", values["Mains L1-N"])
    assert "start engine" in values["Control functions"]
    assert "transfer to mains" in values["Control functions"]
    assert values["Alarms"] == "no active alarms"
    answered = next(line for line in lines if line.startswith("Answered: "))
    for block in ("identity", "status", "engine", "instruments", "alarms", "power"):
        assert f"{block}@" in answered, block
    assert "No answer" not in out


def test_swedish_words_and_decimal_commas(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """--lang sv: the integration's own Swedish names, decimal commas."""
    sim.site.inject_alarm("low_oil_pressure", AlarmCondition.SHUTDOWN)
    code, out, _ = _probe(capsys, sim, "--lang", "sv")
    assert code == 0
    values = _shown(out)
    assert out.splitlines()[0] == f"dse_gencomm på 127.0.0.1:{sim.port}, enhet 10"
    assert values["Styrläge"] == "Auto"
    assert values["Motor"] == "Stoppad"
    assert re.fullmatch(r"1[23],\d V", values["Batteri"])
    assert values["Larm"] == "Lågt oljetryck: Avstängning"
    assert "starta motorn" in values["Styrfunktioner"]


def test_the_locale_chooses_the_language(
    sim: SimulatedSite,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without --lang, a Swedish locale gets Swedish."""
    where = ["--host", "127.0.0.1", "--port", str(sim.port), "--gap", "0"]
    monkeypatch.setenv("LC_ALL", "sv_SE.UTF-8")
    main(where)
    assert "Styrläge:" in capsys.readouterr().out
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    main(where)
    assert "Control mode:" in capsys.readouterr().out


def test_a_value_the_controller_does_not_have_is_said_in_words(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """GenComm's "not available" sentinel: words, not 65535."""
    sim.site.config = replace(
        sim.site.config, controller_fuel_sensor=False, controller_clock=False
    )
    code, out, _ = _probe(capsys, sim, "--lang", "en")
    assert code == 0
    values = _shown(out)
    assert values["Fuel level"] == "not available"
    assert values["Maintenance due"] == "not available"
    code, out, _ = _probe(capsys, sim, "--json", "--lang", "sv")
    fuel = _json(out)["values"]["fuel_level"]
    assert fuel == {
        "value": None,
        "unavailable": "not_available",
        "name": "inte tillgängligt",
    }


def test_watch_shows_what_changed(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """--watch: someone pulls the mains breaker between two reads."""
    pull = threading.Timer(1.5, sim.site.lose_mains)
    pull.start()
    try:
        code, out, _ = _probe(
            capsys, sim, "--lang", "en", "--watch", "0.5", "--count", "8"
        )
    finally:
        pull.cancel()
    assert code == 0
    first, _, rest = out.partition("Answered: ")
    assert re.search(r"Mains L1-N: +2[23]\d\.\d V", first)
    changed = [line for line in rest.splitlines()[1:] if line]
    assert any(re.search(r"Mains L1-N: 2[23]\d\.\d V → 0\.0 V$", c) for c in changed)
    for line in changed:
        assert re.fullmatch(r"\d\d:\d\d:\d\d  .+: .* → .*", line), line


def test_generator_json_report_lists_raised_alarms(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json: enums with code and name, values with units, alarms named."""
    sim.site.inject_alarm("low_oil_pressure", AlarmCondition.SHUTDOWN)
    code, out, _ = _probe(capsys, sim, "--json", "--lang", "en")
    assert code == 0
    report = _json(out)
    assert report["profile"] == "dse_gencomm"
    assert report["unit"] == 10
    assert report["failed"] == {}
    values = report["values"]
    assert values["model"] == "DSE7320 MKII"
    assert values["manufacturer_code"] == dse_gencomm.MANUFACTURER_DSE
    assert values["control_mode"] == {"code": 1, "name": "Auto"}
    assert values["engine_state"] == {"code": 0, "name": "Stopped"}
    start = int(dse_gencomm.ControlKey.START_ENGINE)
    assert {"code": start, "name": "start engine"} in values["supported_functions"]
    assert values["alarms"] == [
        {
            "alarm": "low_oil_pressure",
            "name": "Low oil pressure",
            "condition": "shutdown",
            "condition_name": "Shutdown",
        }
    ]
    assert values["mains_voltage_l1_n"]["unit"] == "V"
    assert 225 <= values["mains_voltage_l1_n"]["value"] <= 235
    assert len(report["answered"]) == 8


def test_a_block_that_fails_is_named_and_the_rest_still_shown(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """The alarm page refused: reported as no answer, exit 0 for what answered."""
    sim.faults.addresses = frozenset({dse_gencomm.NAMED_ALARM_PAGE})
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
    code, out, _ = _probe(capsys, sim)
    assert code == 0
    failed = [line for line in out.splitlines() if line.startswith("No answer: ")]
    assert len(failed) == 1
    assert failed[0].startswith(f"No answer: alarms@{dse_gencomm.NAMED_ALARM_PAGE}x")
    assert "busy" in failed[0].lower()
    assert "  Model:" in out


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
    assert report["values"]["control_mode"]["code"] == 1


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
    assert "Answered: none" in out


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
    assert out.count("No answer: ") == 1
    assert sim.faults.counts[FaultKind.EXCEPTION] == 1
    assert "unit 1 does not answer" in err


def test_missing_serial_port_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """RTU on a port that does not exist: exit 1, the port named."""
    code = main(["--serial", "/dev/sot-point-no-such-port", "--json", *FAST])
    out, err = capsys.readouterr()
    assert code == 1
    assert _json(out)["answered"] == []
    assert err.startswith("error: /dev/sot-point-no-such-port 19200 8N1 unit 10 ")
