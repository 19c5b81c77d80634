"""How many requests, and how long, a full poll of a DSE controller takes.

The simulator runs in its own process (as a gateway would be another box), the
client here polls it over loopback, and the figures are medians and 95th
percentiles, never single timings. Beside them: how many requests Home
Assistant's core `modbus` integration would make to read the same values,
counted from a generated YAML sensor list with one sensor per value (core
modbus reads each sensor with its own request every scan interval).

Then the RS-485 wire budget (benchmarks/wire.py): one full poll is made over
Modbus RTU on the simulator's pty line, in this process, and its frames are
taken off the line byte for byte; the same sums are made for genmon's DSE
request pattern. Last, the full poll's request count for every controller
family `hardware.families.ControllerFamily` lists, each served by the
simulator as `simulator.families.use_family` makes it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import itertools
from pathlib import Path
import statistics
import time

from custom_components.sot_point.hardware.client import (
    ConnectionSettings,
    ModbusConnection,
    SerialEndpoint,
    TcpEndpoint,
)
from custom_components.sot_point.hardware.devices import DseController, PollIntervals
from custom_components.sot_point.hardware.errors import HardwareError
from custom_components.sot_point.hardware.families import (
    ControllerFamily,
    make_controller,
)
from custom_components.sot_point.hardware.profiles import dse_gencomm as dse
from custom_components.sot_point.hardware.registers import RegisterSpec
from simulator.families import use_family
from simulator.scenario import load_scenario
from simulator.serial_link import End, Frame, Framing, serve_rtu
from simulator.server import SimulatedSite

from . import wire
from .simulator_process import running_simulator

# Page 4 and the alarm page on every poll, the totals only at the first: the
# full poll as the coordinator makes it at the instrument interval.
FULL_POLL = PollIntervals(instruments=0.0, totals=1e9)
WIRE_BAUD_RATES = (9600, 19200)


@dataclass(frozen=True, slots=True)
class PollFigures:
    """What one benchmark run measured."""

    requests_per_full_poll: int
    median_ms: float
    p95_ms: float
    polls: int


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(port: int, polls: int, gap: float) -> PollFigures:
    """Poll the simulator `polls` times with every group due each time."""
    connection = ModbusConnection(
        TcpEndpoint("127.0.0.1", port), ConnectionSettings(request_gap=gap)
    )
    # Instruments and alarms due on every poll, totals never after the first:
    # the full poll as the coordinator makes it at the slower rate.
    controller = DseController(connection, 10, FULL_POLL)
    await controller.connect()
    await controller.poll()
    requests: list[int] = []
    times: list[float] = []
    for _ in range(polls):
        before = connection.stats.requests
        start = time.perf_counter()
        await controller.poll()
        times.append((time.perf_counter() - start) * 1000)
        requests.append(connection.stats.requests - before)
    await connection.close()
    return PollFigures(
        max(requests), statistics.median(times), _percentile(times, 0.95), polls
    )


def _data_type(spec: RegisterSpec) -> str:
    bits = 16 * spec.words
    return f"{'int' if spec.signed else 'uint'}{bits}"


def core_modbus_yaml() -> tuple[str, int]:
    """HA core modbus sensors for the values of one full poll, and their count.

    One sensor per value of the status, engine and page-4 blocks; the alarm
    page as one sensor per register, since core modbus cannot split 4-bit
    codes (template sensors would have to). Each sensor is one request.
    """
    specs = [*dse.STATUS_SPECS, *dse.ENGINE_SPECS, *dse.INSTRUMENT_SPECS]
    alarm = dse.alarm_block(32841)
    lines = [
        "modbus:",
        "  - name: sot_gateway",
        "    type: tcp",
        "    host: 127.0.0.1",
        "    port: 5020",
        "    sensors:",
    ]
    for spec in specs:
        lines += [
            f"      - name: {spec.key}",
            "        slave: 10",
            f"        address: {spec.address}",
            "        input_type: holding",
            f"        data_type: {_data_type(spec)}",
            f"        scale: {spec.scale}",
            "        scan_interval: 5",
        ]
    for offset in range(alarm.count):
        lines += [
            f"      - name: alarm_register_{offset}",
            "        slave: 10",
            f"        address: {alarm.address + offset}",
            "        input_type: holding",
            "        data_type: uint16",
            "        scan_interval: 5",
        ]
    return "\n".join(lines) + "\n", len(specs) + alarm.count


def run(polls: int, out: Path) -> list[str]:
    """Run the poll benchmark and return its report lines."""
    yaml_text, core_requests = core_modbus_yaml()
    out.mkdir(parents=True, exist_ok=True)
    (out / "core_modbus_equivalent.yaml").write_text(yaml_text)
    with running_simulator() as port:
        bare = asyncio.run(measure(port, polls, gap=0.0))
        paced = asyncio.run(measure(port, max(20, polls // 10), gap=0.1))
    return [
        *wire_lines(),
        f"requests per full poll: {bare.requests_per_full_poll}",
        f"full poll over loopback, no gap: median {bare.median_ms:.1f} ms, "
        f"p95 {bare.p95_ms:.1f} ms ({bare.polls} polls)",
        f"full poll with the 0.1 s DSE gap: median {paced.median_ms:.1f} ms, "
        f"p95 {paced.p95_ms:.1f} ms ({paced.polls} polls)",
        f"HA core modbus, one sensor per value: {core_requests} requests "
        f"per full poll ({out / 'core_modbus_equivalent.yaml'})",
        f"ratio core modbus / SOT Point: "
        f"{core_requests / bare.requests_per_full_poll:.1f}x",
    ]


def exchanges(frames: list[Frame]) -> list[wire.Exchange]:
    """Requests paired with their answers, as they crossed the line."""
    pairs: list[wire.Exchange] = []
    for request, answer in itertools.pairwise(frames):
        if request.sender is End.CLIENT and answer.sender is End.CONTROLLER:
            pairs.append(wire.Exchange(len(request.data), len(answer.data)))
    return pairs


async def captured_full_poll(family: ControllerFamily) -> list[wire.Exchange]:
    """The frames of one full poll of `family`'s controller over RTU."""
    scenario = load_scenario("normal")
    sim = SimulatedSite(scenario.build(None, 0), scenario=scenario, speed=0)
    use_family(sim, family)
    framing = Framing(19200)
    async with serve_rtu(sim, framing) as line:
        connection = ModbusConnection(SerialEndpoint(line.device, framing.baudrate))
        controller = make_controller(
            family, connection, sim.site.config.units.dse, FULL_POLL
        )
        try:
            await controller.poll()  # identity, and the totals once
            line.recording = True
            await controller.poll()
        finally:
            await connection.close()
    return exchanges(line.frames)


def wire_lines() -> list[str]:
    """The wire budget of a full poll, genmon's pattern, and each family's count."""
    ours = asyncio.run(captured_full_poll(ControllerFamily.DSE))
    genmon_map = wire.genmon_map_exchanges()
    lines = [
        "RS-485 wire budget of one full poll (frames taken off the RTU line; "
        f"turnaround {1000 * wire.DSE_TURNAROUND_S:.0f} ms assumed, DSE publishes "
        f"none; gap {wire.DSE_REQUEST_GAP_S:g} s, DSE's, before every request):",
    ]
    for baud in WIRE_BAUD_RATES:
        mine = wire.budget(ours, baud)
        theirs = wire.budget(genmon_map, baud)
        low = wire.budget(wire.genmon_issue_exchanges(1), baud)
        high = wire.budget(wire.genmon_issue_exchanges(2), baud)
        lines += [
            wire.describe("  SOT Point, DSE", mine, baud),
            wire.describe("  genmon's stored DSE map (49 reads)", theirs, baud),
            f"  genmon's 58 reads of 1-2 registers (the issue's pattern) at "
            f"{baud} 8N1: {low.total:.2f}-{high.total:.2f} s",
            f"  ratio genmon/SOT Point at {baud}: {theirs.total / mine.total:.1f}x "
            f"(stored map), {low.total / mine.total:.1f}-"
            f"{high.total / mine.total:.1f}x (58 reads); bytes on the wire "
            f"{theirs.on_wire / mine.on_wire:.1f}x (stored map)",
        ]
    lines.append("full-poll requests per controller family (over RTU):")
    for family in ControllerFamily:
        try:
            count = f"{len(asyncio.run(captured_full_poll(family)))}"
        except HardwareError as err:
            count = f"not measured ({err})"
        lines.append(f"  {family.value}: {count}")
    return lines
