"""A whole SOT point in software, speaking real Modbus TCP.

The model (`Site`) is plain Python advanced in simulated time; `SimulatedSite`
serves it through pymodbus with the register maps of the integration's own
hardware profiles, so client and simulator share one map. Typical test use::

    async with SimulatedSite.serve(scenario="storm", speed=0) as sim:
        sim.advance(120)              # two simulated minutes, deterministic
        ... read 127.0.0.1:sim.port, unit 10 (DSE), 1 (I/O), 2 (ATS) ...
        sim.faults.enable(rate=0.05)  # drops, exceptions, disconnects, ...
        assert sim.writes == []       # nothing was written

`python -m simulator --help` (or scripts/sim) runs it from the command line.
"""

from __future__ import annotations

from .config import (
    AmfTimings,
    EngineConfig,
    LoadConfig,
    RoomConfig,
    SiteConfig,
    UnitIds,
)
from .controller import AmfController, KeyResult, Phase
from .devices import AtsDevice, DseDevice, IoDevice, ModbusError, ServedRange
from .faults import CorruptStyle, FaultInjector, FaultKind
from .scenario import Scenario, list_scenarios, load_scenario, parse_duration
from .server import PortInUseError, SimulatedSite, WriteRecord
from .site import ACTIONS, Event, Site

__all__ = [
    "ACTIONS",
    "AmfController",
    "AmfTimings",
    "AtsDevice",
    "CorruptStyle",
    "DseDevice",
    "EngineConfig",
    "Event",
    "FaultInjector",
    "FaultKind",
    "IoDevice",
    "KeyResult",
    "LoadConfig",
    "ModbusError",
    "Phase",
    "PortInUseError",
    "RoomConfig",
    "Scenario",
    "ServedRange",
    "SimulatedSite",
    "Site",
    "SiteConfig",
    "UnitIds",
    "WriteRecord",
    "list_scenarios",
    "load_scenario",
    "parse_duration",
]
