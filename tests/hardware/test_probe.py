"""The commissioning probe (scripts/probe) against the simulator, in process.

`main()` runs its own event loop with asyncio.run, so the simulator runs in a
thread with a loop of its own; the probe then talks to it over loopback like
it would to a gateway on site.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
import json
import re
import threading
from typing import Any

import pytest

from custom_components.sot_point.hardware import probe_words
from custom_components.sot_point.hardware.probe import main
from custom_components.sot_point.hardware.probe_text import changes
from custom_components.sot_point.hardware.profiles import (
    ats,
    dse_gencomm,
    generic_io,
)
from custom_components.sot_point.hardware.registers import Unavailable
from custom_components.sot_point.hardware.state import (
    AlarmCondition,
    ControlMode,
    EngineState,
    StatusFlag,
)
from simulator import devices as sim_devices
from simulator.families import use_family
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
    assert values["Manufacturer"] == "Deep Sea Electronics (1)"
    assert values["Model"] == "DSE7320 MKII"
    assert values["Serial number"] == str(sim.site.config.serial_number)
    assert values["Control mode"] == "Auto"
    assert values["Engine"] == "Stopped"
    assert values["Status flags"] == "none (0x0000)"
    assert re.fullmatch(r"1[23]\.\d V", values["Battery"])
    assert re.fullmatch(r"2[23]\d\.\d V", values["Mains L1-N"])
    assert values["Mains frequency"] == "50.0 Hz"
    assert values["Generator L1-N"] == "0.0 V"
    assert re.fullmatch(r"\d+ %", values["Fuel level"])
    assert re.fullmatch(r"-?\d+ °C", values["Coolant temperature"])
    assert values["Oil pressure"] == "0 kPa"
    assert re.fullmatch(r"\d+\.\d h", values["Run time"])
    # The functions by name, never their codes.
    functions = values["Control functions"].split(", ")
    assert "start engine" in functions
    assert "transfer to mains" in functions
    assert not any(f.isdigit() for f in functions)
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
    assert values["Statusflaggor"] == "avstängning (0x2000)"
    assert "starta motorn" in values["Styrfunktioner"]
    assert values["Nätets frekvens"] == "50,0 Hz"


def test_alarms_with_their_condition_in_both_languages(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every raised alarm named with its condition; a generator's says so."""
    sim.site.inject_alarm("generator_low_voltage", AlarmCondition.WARNING)
    sim.site.inject_alarm("emergency_stop", AlarmCondition.SHUTDOWN)
    _, out, _ = _probe(capsys, sim, "--lang", "en")
    values = _shown(out)
    assert values["Alarms"] == (
        "Emergency stop: Shutdown; Low voltage (generator): Warning"
    )
    assert values["Status flags"] == "warning, shutdown (0x2800)"
    _, out, _ = _probe(capsys, sim, "--lang", "sv")
    assert _shown(out)["Larm"] == (
        "Nödstopp: Avstängning; Låg spänning (generator): Varning"
    )


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
        "unit": "%",
        "unavailable": "not_available",
        "text": "inte tillgängligt",
    }


def test_a_faulty_sender_is_said_in_words(
    sim: SimulatedSite,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An open oil sender and a coolant reading over range: words, not numbers.

    The simulator has no switch for a broken sender, so its engine values are
    wrapped: the controller then serves GenComm's sentinels over the wire.
    """
    engine_values = sim_devices._engine_values

    def broken(site: Any) -> dict[str, Any]:
        return {
            **engine_values(site),
            "oil_pressure": Unavailable.TRANSDUCER_FAULT,
            "coolant_temperature": Unavailable.OVER_RANGE,
        }

    monkeypatch.setattr(sim_devices, "_engine_values", broken)
    _, out, _ = _probe(capsys, sim, "--lang", "en")
    values = _shown(out)
    assert values["Oil pressure"] == "transducer fault"
    assert values["Coolant temperature"] == "over range"
    assert "65532" not in out
    _, out, _ = _probe(capsys, sim, "--lang", "sv")
    values = _shown(out)
    assert values["Oljetryck"] == "givarfel"
    assert values["Kylvätsketemperatur"] == "över mätområdet"
    _, out, _ = _probe(capsys, sim, "--json")
    assert _json(out)["values"]["oil_pressure"] == {
        "value": None,
        "unit": "kPa",
        "unavailable": "transducer_fault",
        "text": "transducer fault",
    }


def _after(seconds: float, *actions: Callable[[], object]) -> threading.Timer:
    """Do `actions` in `seconds`, while the probe watches from this thread."""

    def run() -> None:
        for action in actions:
            action()

    timer = threading.Timer(seconds, run)
    timer.start()
    return timer


def test_watch_shows_what_changed(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """--watch: someone pulls the mains breaker between two reads."""
    pull = _after(1.2, sim.site.lose_mains)
    try:
        code, out, _ = _probe(
            capsys, sim, "--lang", "en", "--watch", "0.5", "--count", "6"
        )
    finally:
        pull.cancel()
    assert code == 0
    first, _, rest = out.partition("Answered: ")
    assert re.search(r"Mains L1-N: +2[23]\d\.\d V", first)
    watched = [line for line in rest.splitlines()[1:] if line]
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d  Reading every 0.5 s, showing what changes; "
        r"Ctrl-C stops",
        watched[0],
    )
    changed = watched[1:]
    # Only what changed, each once: the mains' voltages, frequency and load.
    labels = [line.split("  ", 1)[1].split(":", 1)[0] for line in changed]
    assert len(labels) == len(set(labels)), changed
    assert all(label.startswith("Mains ") for label in labels), changed
    assert any(re.search(r"Mains L1-N: 2[23]\d\.\d V → 0\.0 V$", c) for c in changed)
    assert any(c.endswith("Mains frequency: 50.0 Hz → 0.0 Hz") for c in changed)
    for line in changed:
        assert re.fullmatch(r"\d\d:\d\d:\d\d  .+: .* → .*", line), line
    assert "Control mode" not in rest


def test_watch_in_swedish_says_a_block_lost_and_back_once(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """A block that stops answering is said once, its values kept, then its return."""
    sim.faults.addresses = frozenset({dse_gencomm.NAMED_ALARM_PAGE})
    timers = [
        _after(
            1.0, lambda: sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
        ),
        _after(2.6, sim.faults.disable),
    ]
    try:
        code, out, _ = _probe(
            capsys, sim, "--lang", "sv", "--watch", "0.4", "--count", "10"
        )
    finally:
        for timer in timers:
            timer.cancel()
    assert code == 0
    watched = out.partition("Svarade: ")[2].splitlines()[1:]
    assert "Läser om var 0,4 s och visar vad som ändras; Ctrl-C avslutar" in watched[0]
    events = [line.split("  ", 1)[1] for line in watched[1:]]
    alarms = f"alarms@{dse_gencomm.NAMED_ALARM_PAGE}x"
    assert len(events) == 2, events
    assert events[0].startswith(f"Inget svar: {alarms}")
    assert events[1].startswith(f"Svarar igen: {alarms}")
    # The alarms were kept, not shown as turning to nothing.
    assert "Larm" not in out.partition("Svarade: ")[2]


def test_watch_json_is_one_line_per_read_that_changed(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json --watch: the first read, then each change, one JSON line each."""
    stop = _after(1.2, lambda: sim.site.set_mode(ControlMode.STOP))
    try:
        code, out, _ = _probe(capsys, sim, "--json", "--watch", "0.5", "--count", "6")
    finally:
        stop.cancel()
    assert code == 0
    documents = [json.loads(line) for line in out.splitlines()]
    assert documents[0]["values"]["control_mode"]["name"] == "auto"
    assert len(documents) == 2, documents
    change = documents[1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", change["time"])
    assert change["changed"]["control_mode"] == {
        "old": {"code": 1, "name": "auto", "text": "Auto"},
        "new": {"code": 0, "name": "stop", "text": "Stop"},
    }
    assert change["no_answer"] == {}
    assert change["answers_again"] == []


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
    assert values["manufacturer_code"] == {
        "code": dse_gencomm.MANUFACTURER_DSE,
        "name": "dse",
        "text": "Deep Sea Electronics",
    }
    assert values["control_mode"] == {"code": 1, "name": "auto", "text": "Auto"}
    assert values["engine_state"] == {"code": 0, "name": "stopped", "text": "Stopped"}
    start = int(dse_gencomm.ControlKey.START_ENGINE)
    assert {
        "code": start,
        "name": "start_engine",
        "text": "start engine",
    } in values["supported_functions"]
    assert values["alarms"] == [
        {
            "name": "low_oil_pressure",
            "text": "Low oil pressure",
            "condition": {"code": 3, "name": "shutdown", "text": "Shutdown"},
        }
    ]
    assert values["status_flags"] == {
        "code": int(StatusFlag.SHUTDOWN),
        "names": ["shutdown"],
        "text": "shutdown",
    }
    assert values["mains_voltage_l1_n"]["unit"] == "V"
    assert 225 <= values["mains_voltage_l1_n"]["value"] <= 235
    assert values["battery_voltage"]["unit"] == "V"
    assert values["mains_frequency"] == {"value": 50.0, "unit": "Hz"}
    assert values["run_time"]["unit"] == "s"
    assert len(report["answered"]) == 8


def test_json_names_do_not_depend_on_the_language(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """`name` is for machines and stays the same; `text` follows --lang."""
    _, out, _ = _probe(capsys, sim, "--json", "--lang", "sv")
    values = _json(out)["values"]
    assert values["control_mode"] == {"code": 1, "name": "auto", "text": "Auto"}
    assert values["engine_state"] == {"code": 0, "name": "stopped", "text": "Stoppad"}


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
    assert values["room_temperature"] == {"value": 18.5, "unit": "°C"}
    loop = values["tank_level_raw"]
    assert 4000 < loop["value"] <= 20000  # µA of a 4-20 mA loop
    assert loop["milliamps"] == pytest.approx(loop["value"] / 1000)
    assert loop["loop_fault"] is None
    _, out, _ = _probe(capsys, sim, "--profile", "generic_io", "--unit", "1")
    shown = _shown(out)
    assert shown["Room temperature"] == "18.5 °C"
    assert shown["Heater relay"] == "on"
    assert re.fullmatch(r"\d+ \(\d+\.\d\d mA\)", shown["Tank level loop"])


def test_io_module_with_a_broken_tank_loop(
    sim: SimulatedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken wire to the tank transmitter: said in words, with its current."""
    sim.site.set_tank_sensor_fault(2.0)
    where = ["--profile", "generic_io", "--unit", "1"]
    _, out, _ = _probe(capsys, sim, *where, "--lang", "sv")
    assert _shown(out)["Tanknivå, slinga"] == "2000 (2,00 mA: kabelbrott)"
    _, out, _ = _probe(capsys, sim, *where, "--json")
    assert _json(out)["values"]["tank_level_raw"]["loop_fault"] == {
        "name": "wire_break",
        "text": "wire break",
    }


def test_ats_profile(sim: SimulatedSite, capsys: pytest.CaptureFixture[str]) -> None:
    """The transfer switch at unit 2: in Auto, load on the mains, mains healthy."""
    code, out, _ = _probe(capsys, sim, "--profile", "ats", "--unit", "2", "--json")
    assert code == 0
    report = _json(out)
    assert report["profile"] == "ats"
    assert [a.split("@")[0] for a in report["answered"]] == ["ats_status"]
    values = report["values"]
    assert values["position"] == {"code": 2, "name": "mains", "text": "Mains"}
    assert values["mode"] == {"code": ats.MODE_AUTO, "name": "auto", "text": "Auto"}
    assert values["network"]["text"] == "230/400 V"
    assert values["source1_state"] == {
        "code": ats.SOURCE_AVAILABLE,
        "name": "available",
        "text": "available",
    }
    assert values["source2_state"]["name"] == "below_threshold"
    _, out, _ = _probe(capsys, sim, "--profile", "ats", "--unit", "2", "--lang", "sv")
    shown = _shown(out)
    assert shown["Lasten matas från"] == "Elnät"
    assert shown["Omkopplarens läge"] == "Auto"
    assert shown["Källa 1 (elnät)"] == "tillgänglig"
    assert shown["Källa 2 (reservkraft)"] == "under tröskeln"


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


def test_every_value_read_has_a_label_in_both_languages() -> None:
    """No value shows up under its raw key, in either language."""
    io = generic_io.IoModuleConfig()
    keys = {
        spec.key
        for spec in (
            *dse_gencomm.ALL_VALUE_SPECS,
            *dse_gencomm.IDENTITY_SPECS,
            *ats.STATUS_SPECS,
            io.level_spec(),
            io.temperature_spec(),
        )
        if spec is not None
    }
    # The probe turns the model code into a model name and adds these.
    keys = keys - {"model_code"} | {"model", "supported_functions", "alarms", "relay"}
    assert sorted(keys - probe_words.LABELS.keys()) == []


def test_every_code_has_words() -> None:
    """Each enum the probe names has words in both languages, none made up."""
    assert set(probe_words.UNAVAILABLE) == {u.value for u in Unavailable}
    assert set(probe_words.FUNCTIONS) == {
        k.name.lower() for k in dse_gencomm.ControlKey
    }
    assert set(probe_words.FLAGS) == {f.name.lower() for f in StatusFlag if f.name}
    assert set(probe_words.LOOP_FAULTS) == {f.value for f in generic_io.LoopFault}
    for lang in probe_words.LANGS:
        for mode in ControlMode:
            name = mode.name.lower()
            assert probe_words.state_name(lang, "control_mode", name) != name.replace(
                "_", " "
            ), (lang, mode)
        for state in EngineState:
            name = state.name.lower()
            assert probe_words.state_name(lang, "engine_state", name) != name.replace(
                "_", " "
            ), (lang, state)
        for alarm in {*dse_gencomm.NAMED_ALARMS, *dse_gencomm.LEGACY_ALARMS}:
            assert probe_words.alarm_name(lang, alarm) != alarm.replace("_", " ")
        for condition in AlarmCondition:
            name = condition.name.lower()
            assert probe_words.condition_name(lang, name) != name.replace("_", " ")


def test_watch_ignores_flicker_but_not_drift() -> None:
    """A change counts from the value last shown, beyond the reading's flicker."""
    shown = {
        "mains_voltage_l1_n": 230.1,
        "battery_voltage": 13.6,
        "controller_clock": 1_800_000_000,
        "engine_state": 0,
    }
    flicker = shown | {"mains_voltage_l1_n": 229.2, "controller_clock": 1_800_000_060}
    assert changes(shown, flicker, "en") == []
    # Drifting 0.9 V a read: quiet against the last read, shown once it adds up.
    assert changes(shown, shown | {"mains_voltage_l1_n": 232.2}, "en") == [
        ("mains_voltage_l1_n", "Mains L1-N", "230.1 V", "232.2 V")
    ]
    moved = changes(
        shown,
        shown | {"battery_voltage": 13.3, "engine_state": 1},
        "sv",
    )
    assert moved == [
        ("battery_voltage", "Batteri", "13,6 V", "13,3 V"),
        ("engine_state", "Motor", "Stoppad", "Förstart"),
    ]
    assert changes(shown, flicker, "en", every=True) == [
        ("mains_voltage_l1_n", "Mains L1-N", "230.1 V", "229.2 V")
    ]
    gone = shown | {"mains_voltage_l1_n": Unavailable.NOT_AVAILABLE}
    assert changes(shown, gone, "en")[0][2:] == ("230.1 V", "not available")


def test_a_smartgen_controller_is_probed_in_words(
    capsys: pytest.CaptureFixture[str], sim: SimulatedSite
) -> None:
    """--profile smartgen reads it as the integration does: mode and engine named."""
    use_family(sim, "smartgen")
    unit = str(sim.site.config.units.dse)
    code, out, _ = _probe(capsys, sim, "--unit", unit, "--profile", "smartgen")
    assert code == 0
    shown = _shown(out)
    assert shown["Control mode"] == "Auto"
    assert shown["Engine"] == "Stopped"
    assert "HGM6" in out
    code, out, _ = _probe(
        capsys, sim, "--unit", unit, "--profile", "smartgen", "--json"
    )
    values = _json(out)["values"]
    assert values["control_mode"] == {"code": 1, "name": "auto", "text": "Auto"}
    assert values["engine_state"]["name"] == "stopped"


def test_a_comap_controller_is_probed_and_a_wrong_family_is_named(
    capsys: pytest.CaptureFixture[str], sim: SimulatedSite
) -> None:
    use_family(sim, "comap")
    unit = str(sim.site.config.units.dse)
    code, out, _ = _probe(capsys, sim, "--unit", unit, "--profile", "comap", "--json")
    assert code == 0
    report = _json(out)
    assert "battery_voltage" in report["values"]
    assert "control_mode" not in report["values"]  # ComAp gives no fixed register
    # The DSE profile at a ComAp: it says what it found, and fails.
    code, out, err = _probe(capsys, sim, "--unit", unit, "--profile", "smartgen")
    assert code != 0
    assert "smartgen" in (out + err)
