"""Probe a device once and print what it says: for commissioning a site.

    scripts/probe --host 192.168.1.50 --unit 10
    scripts/probe --serial /dev/ttyUSB0 --baud 19200 --unit 10 --json

Reads every block the profile knows, prints the decoded values and which blocks
answered, and exits non-zero with a one-line reason when the device is silent.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
import json
import logging
import sys
from typing import Any

from .client import (
    ConnectionSettings,
    Endpoint,
    ModbusConnection,
    SerialEndpoint,
    TcpEndpoint,
)
from .errors import HardwareError
from .profiles import ats, dse_gencomm as dse, generic_io as io
from .registers import Block, RegisterSpec, Unavailable, decode_block

PROFILES = ("dse_gencomm", "generic_io", "ats")


@dataclass
class ProbeReport:
    """What a probe found: values, and the fate of each block."""

    profile: str
    endpoint: str
    unit: int
    values: dict[str, Any] = field(default_factory=dict)
    answered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return {
            "profile": self.profile,
            "endpoint": self.endpoint,
            "unit": self.unit,
            "values": self.values,
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
        description="Read a Modbus device once and show what it says.",
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
    parser.add_argument("--profile", choices=PROFILES, default="dse_gencomm")
    parser.add_argument(
        "--timeout", type=float, default=1.0, help="seconds per request"
    )
    parser.add_argument(
        "--gap", type=float, default=0.1, help="seconds between requests"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _print_text(report: ProbeReport) -> None:
    print(f"{report.profile} at {report.endpoint}, unit {report.unit}")
    width = max((len(k) for k in report.values), default=0)
    for key, value in report.values.items():
        print(f"  {key:<{width}}  {value}")
    print(f"answered: {', '.join(report.answered) or 'none'}")
    for block, reason in report.failed.items():
        print(f"no answer: {block}: {reason}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the probe; 0 when the device answered, 1 when it did not."""
    args = _parser().parse_args(argv)
    # pymodbus logs each failed connect; the report below says it once.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    endpoint: Endpoint = (
        TcpEndpoint(args.host, args.port)
        if args.host
        else SerialEndpoint(args.serial, args.baud, args.parity, args.stopbits)
    )
    settings = ConnectionSettings(timeout=args.timeout, retries=1, request_gap=args.gap)
    report = asyncio.run(probe(endpoint, args.unit, args.profile, settings))
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        _print_text(report)
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
