"""Probe a device once and print what it says: for commissioning a site.

    scripts/probe --host 192.168.1.50 --unit 10
    scripts/probe --serial /dev/ttyUSB0 --baud 19200 --unit 10 --json
    scripts/probe --host 192.168.1.50 --watch 2 --lang sv

Reads every block the profile knows and prints it in words (probe_text.py,
the words in probe_words.py): names, units, alarms with their condition,
sentinels said plainly; which blocks answered; and exits non-zero with a
one-line reason when the device is silent. `--json` gives the same as data,
each code with its name. `--watch N` reads again every N seconds and prints
only what changed, with the time, for commissioning while someone pulls the
mains breaker; with `--json` each read that changed anything is one line.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
import json
import logging
import sys
import time
from typing import Any

from .client import (
    ConnectionSettings,
    Endpoint,
    ModbusConnection,
    SerialEndpoint,
    TcpEndpoint,
)
from .devices import PollIntervals
from .errors import HardwareError
from .families import ControllerFamily, identify, make_controller
from .probe_text import changes, lines, plain, say
from .probe_words import LANGS, Lang, default_lang
from .profiles import ats, dse_gencomm as dse, generic_io as io
from .registers import Block, RegisterSpec, Unavailable, decode_block

# The other generator families are read the way the integration reads them
# (hardware/families.py): their documents give no DSE-style page map, and
# the same reader's GeneratorState is what the technician must see.
FAMILIES: dict[str, ControllerFamily] = {
    "comap": ControllerFamily.COMAP,
    "smartgen": ControllerFamily.SMARTGEN,
}
PROFILES = ("dse_gencomm", "generic_io", "ats", *FAMILIES)


@dataclass
class ProbeReport:
    """What a probe found: values, and the fate of each block."""

    profile: str
    endpoint: str
    unit: int
    values: dict[str, Any] = field(default_factory=dict)
    answered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def as_dict(self, lang: Lang = "en") -> dict[str, Any]:
        """The report as JSON-ready data: enums with code and name, units."""
        return {
            "profile": self.profile,
            "endpoint": self.endpoint,
            "unit": self.unit,
            "values": plain(self.values, lang),
            "answered": self.answered,
            "failed": self.failed,
        }


def _blocks(
    profile: str, model_code: int
) -> list[tuple[Block, Sequence[RegisterSpec]]]:
    specs: Sequence[RegisterSpec]
    if profile == "dse_gencomm":
        plan = dse.read_plan(model_code)
        specs = dse.ALL_VALUE_SPECS
        return [(b, specs) for b in (*plan.status, *plan.instruments, *plan.totals)]
    if profile == "ats":
        return [(ats.STATUS_BLOCK, ats.STATUS_SPECS)]
    config = io.IoModuleConfig()
    specs = [s for s in (config.level_spec(), config.temperature_spec()) if s]
    blocks = [config.input_block(), config.relay_block()]
    return [(b, specs) for b in blocks if b is not None]


def _shown(value: Any) -> Any:
    return value.value if isinstance(value, Unavailable) else value


async def _read(
    connection: ModbusConnection, report: ProbeReport, block: Block
) -> list[int] | None:
    try:
        words = await connection.read(report.unit, block)
    except HardwareError as err:
        report.failed[f"{block.name}@{block.address}x{block.count}"] = str(err)
        return None
    report.answered.append(f"{block.name}@{block.address}x{block.count}")
    return words


async def probe(
    endpoint: Endpoint, unit: int, profile: str, settings: ConnectionSettings
) -> ProbeReport:
    """Read everything the profile knows from one device, once."""
    connection = ModbusConnection(endpoint, settings)
    report = ProbeReport(profile, str(endpoint), unit)
    model_code = 0
    try:
        if profile in FAMILIES:
            await _probe_family(connection, report, FAMILIES[profile])
            return report
        if profile == "dse_gencomm":
            model_code = await _identify(connection, report)
            if not report.answered:
                return report
        for block, specs in _blocks(profile, model_code):
            words = await _read(connection, report, block)
            if words is None:
                if not report.answered:
                    # Silent from the first request: more would only time out.
                    return report
                continue
            if block.name == "alarms":
                report.values["alarms"] = _alarms(model_code, words)
            elif block.name == "relay":
                report.values["relay"] = bool(words[0])
            else:
                decoded = decode_block(specs, block, words)
                report.values |= {k: _shown(v) for k, v in decoded.items()}
    finally:
        await connection.close()
    return report


async def _probe_family(
    connection: ModbusConnection, report: ProbeReport, family: ControllerFamily
) -> None:
    """Identify and poll a ComAp or SmartGen controller once, every group due."""
    controller = make_controller(
        family, connection, report.unit, PollIntervals(instruments=0.0, totals=0.0)
    )
    try:
        identity = await identify(controller)
        report.answered.append("identity")
        state = await controller.poll()
    except HardwareError as err:
        report.failed["identity" if not report.answered else "status"] = str(err)
        return
    report.answered.append("status")
    values: dict[str, Any] = {"model": identity.model}
    if identity.serial:
        values["serial_number"] = identity.serial
    if state.mode is not None:
        values["control_mode"] = int(state.mode)
    if state.engine is not None:
        values["engine_state"] = int(state.engine)
    values |= {key: _shown(value) for key, value in state.values.items()}
    if state.alarms is not None:
        values["alarms"] = {
            alarm.key: alarm.condition.name.lower()
            for alarm in state.alarms
            if alarm.condition.active
        }
    report.values |= values


async def _identify(connection: ModbusConnection, report: ProbeReport) -> int:
    words = await _read(connection, report, dse.IDENTITY_BLOCK)
    if words is None:
        return 0
    ident = decode_block(dse.IDENTITY_SPECS, dse.IDENTITY_BLOCK, words)
    model_code = int(ident["model_code"])
    report.values |= {
        "manufacturer_code": ident["manufacturer_code"],
        "model": dse.model_name(model_code),
        "serial_number": ident["serial_number"],
    }
    functions = await _read(connection, report, dse.SUPPORTED_FUNCTIONS_BLOCK)
    if functions is not None:
        report.values["supported_functions"] = sorted(
            dse.supported_functions(functions)
        )
    return model_code


def _alarms(model_code: int, words: list[int]) -> dict[str, str]:
    from .registers import decode_nibbles  # noqa: PLC0415
    from .state import AlarmCondition  # noqa: PLC0415

    names = dse.alarm_names(model_code)
    codes = decode_nibbles(words[1:], min(words[0], len(names)))
    return {
        name: AlarmCondition.from_code(code).name.lower()
        for name, code in zip(names, codes, strict=False)
        if AlarmCondition.from_code(code).active
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/probe",
        description=(
            "Read a Modbus device and show what it says, in words or as JSON."
        ),
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--host", help="Modbus TCP host or gateway")
    where.add_argument("--serial", help="serial port for Modbus RTU, e.g. /dev/ttyUSB0")
    parser.add_argument("--port", type=int, default=502, help="TCP port (502)")
    parser.add_argument("--baud", type=int, default=19200, help="RTU baud rate (19200)")
    parser.add_argument("--parity", choices="NEO", default="N", help="RTU parity (N)")
    parser.add_argument("--stopbits", type=int, choices=(1, 2), default=1)
    parser.add_argument(
        "--unit", type=int, default=10, help="unit id (10, DSE default)"
    )
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default="dse_gencomm",
        help=(
            "dse_gencomm: the generator controller (default); ats: the transfer "
            "switch; generic_io: the I/O module, read at the common module's "
            "addresses (tank loop in µA at input 0, °C x 10 at input 1, relay "
            "coil 0); comap: a ComAp InteliLite (read-only); smartgen: a "
            "SmartGen HGM6100N-class controller"
        ),
    )
    parser.add_argument(
        "--timeout", type=float, default=1.0, help="seconds per request"
    )
    parser.add_argument(
        "--gap", type=float, default=0.1, help="seconds between requests"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON: each code with its name, each measurement with its unit",
    )
    parser.add_argument(
        "--lang", choices=LANGS, default=None, help="sv or en (default: the locale)"
    )
    parser.add_argument(
        "--watch",
        type=float,
        metavar="N",
        help="read again every N seconds and show what changed (Ctrl-C stops)",
    )
    parser.add_argument(
        "--every-change",
        action="store_true",
        help="with --watch: show every change, also a reading's flicker",
    )
    # For tests: stop watching after this many reads.
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    return parser


def _print_text(report: ProbeReport, lang: Lang) -> None:
    print(
        say(
            "at",
            lang,
            profile=report.profile,
            endpoint=report.endpoint,
            unit=report.unit,
        )
    )
    shown = lines(report.values, lang)
    width = max((len(label) for _key, label, _text in shown), default=0)
    for _key, label, text in shown:
        print(f"  {label + ':':<{width + 1}}  {text}")
    answered = ", ".join(report.answered) or say("none", lang)
    print(f"{say('answered', lang)}: {answered}")
    for block, reason in report.failed.items():
        print(f"{say('no_answer', lang)}: {block}: {reason}", flush=True)


def _watch(
    args: argparse.Namespace,
    endpoint: Endpoint,
    settings: ConnectionSettings,
    lang: Lang,
    first: ProbeReport,
) -> None:
    """Read again every `args.watch` seconds; print what changed, until Ctrl-C.

    A block that does not answer keeps its last values, so a lost answer is
    said once ("No answer: ...") and never as every value turning to nothing;
    "Answers again" says when it is back. A measurement shows when it moves
    beyond its noise band (probe_text.changes), unless `--every-change`.
    """
    if not args.json:
        seconds = f"{args.watch:g}".replace(".", "," if lang == "sv" else ".")
        print(f"{_clock()}  {say('watching', lang, seconds=seconds)}", flush=True)
    # Values as last shown: a change is measured from there, so a slow drift
    # shows once it adds up while the flicker of each read stays quiet.
    shown, failed = dict(first.values), dict(first.failed)
    reads = 1
    while not args.count or reads < args.count:
        time.sleep(args.watch)
        report = asyncio.run(probe(endpoint, args.unit, args.profile, settings))
        moved = changes(shown, report.values, lang, every=args.every_change)
        step = _Step(
            before=dict(shown),
            changed=moved,
            now={key: report.values[key] for key, *_ in moved},
            lost={b: r for b, r in report.failed.items() if b not in failed},
            back=[b for b in failed if b not in report.failed],
        )
        if step.changed or step.lost or step.back:
            (_print_step_json if args.json else _print_step_text)(step, lang)
        # New values (a block answering for the first time) join as they are.
        shown |= step.now | {k: v for k, v in report.values.items() if k not in shown}
        failed = dict(report.failed)
        reads += 1


@dataclass(frozen=True, slots=True)
class _Step:
    """What one read of `--watch` found against what was shown before."""

    before: dict[str, Any]
    now: dict[str, Any]  # the values that moved
    changed: list[tuple[str, str, str, str]]
    lost: dict[str, str]
    back: list[str]


def _print_step_text(step: _Step, lang: Lang) -> None:
    stamp = _clock()
    for _key, label, old, new in step.changed:
        print(f"{stamp}  {label}: {old} → {new}")
    for block, reason in step.lost.items():
        print(f"{stamp}  {say('no_answer', lang)}: {block}: {reason}")
    for block in step.back:
        print(f"{stamp}  {say('answers_again', lang)}: {block}")
    sys.stdout.flush()


def _print_step_json(step: _Step, lang: Lang) -> None:
    old, new = plain(step.before, lang), plain(step.now, lang)
    event = {
        "time": datetime.now().astimezone().isoformat(timespec="seconds"),
        "changed": {
            key: {"old": old[key], "new": new[key]} for key, *_ in step.changed
        },
        "no_answer": step.lost,
        "answers_again": step.back,
    }
    print(json.dumps(event, ensure_ascii=False), flush=True)


def _clock() -> str:
    return datetime.now().strftime("%H:%M:%S")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the probe; 0 when the device answered, 1 when it did not."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.watch is not None and args.watch <= 0:
        parser.error("--watch needs a number of seconds above 0")
    # pymodbus logs each failed connect; the report below says it once.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    endpoint: Endpoint = (
        TcpEndpoint(args.host, args.port)
        if args.host
        else SerialEndpoint(args.serial, args.baud, args.parity, args.stopbits)
    )
    settings = ConnectionSettings(timeout=args.timeout, retries=1, request_gap=args.gap)
    lang: Lang = args.lang or default_lang()
    report = asyncio.run(probe(endpoint, args.unit, args.profile, settings))
    if args.json:
        # Watching, each read is one line of JSON, the first one too.
        indent = None if args.watch else 2
        print(json.dumps(report.as_dict(lang), indent=indent, ensure_ascii=False))
    else:
        _print_text(report, lang)
    if args.watch and report.answered:
        with contextlib.suppress(KeyboardInterrupt):
            _watch(args, endpoint, settings, lang, report)
    if not report.answered:
        reason = next(iter(report.failed.values()), "no answer")
        print(
            f"error: {endpoint} unit {args.unit} does not answer: {reason}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
