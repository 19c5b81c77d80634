"""Typed snapshots of what the hardware reported.

Each snapshot is immutable and built from one poll. A value a device did not
deliver in this poll is absent (or an `Unavailable` reason), never a stale
number carried over from an earlier read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag, StrEnum
from typing import Final

from .registers import Unavailable, Value


class ControlMode(IntEnum):
    """GenComm control mode, register 772."""

    STOP = 0
    AUTO = 1
    MANUAL = 2
    TEST_ON_LOAD = 3
    AUTO_MANUAL_RESTORE = 4
    USER_CONFIGURATION = 5
    TEST_OFF_LOAD = 6
    OFF = 7


class EngineState(IntEnum):
    """GenComm engine operating state, register 1408."""

    STOPPED = 0
    PRE_START = 1
    WARMING_UP = 2
    RUNNING = 3
    COOLING_DOWN = 4
    AT_REST = 5
    POST_RUN = 6
    NOT_AVAILABLE = 15


class StatusFlag(IntFlag):
    """Control-unit status flags, register 774 (bit 0 = least significant)."""

    CONTROLLED_SHUTDOWN = 1 << 7
    SATELLITE_TELEMETRY_ALARM = 1 << 9
    TELEMETRY_ALARM = 1 << 10
    WARNING = 1 << 11
    ELECTRICAL_TRIP = 1 << 12
    SHUTDOWN = 1 << 13
    CONTROL_UNIT_FAILURE = 1 << 14


class AlarmCondition(IntEnum):
    """A GenComm 4-bit alarm condition code."""

    DISABLED = 0
    NOT_ACTIVE = 1
    WARNING = 2
    SHUTDOWN = 3
    ELECTRICAL_TRIP = 4
    CONTROLLED_SHUTDOWN = 5
    INACTIVE_INDICATION = 8
    INACTIVE_INDICATION_DISPLAYED = 9
    ACTIVE_INDICATION = 10
    UNIMPLEMENTED = 15

    @property
    def active(self) -> bool:
        """Whether the alarm is raised."""
        return self in _ACTIVE

    @property
    def stops_engine(self) -> bool:
        """Whether this condition stops the set or forbids a start."""
        return self in _STOPPING

    @classmethod
    def from_code(cls, code: int) -> AlarmCondition:
        """Decode a nibble; reserved codes count as unimplemented."""
        try:
            return cls(code)
        except ValueError:
            return cls.UNIMPLEMENTED


_ACTIVE = frozenset(
    {
        AlarmCondition.WARNING,
        AlarmCondition.SHUTDOWN,
        AlarmCondition.ELECTRICAL_TRIP,
        AlarmCondition.CONTROLLED_SHUTDOWN,
        AlarmCondition.ACTIVE_INDICATION,
    }
)
_STOPPING = frozenset(
    {
        AlarmCondition.SHUTDOWN,
        AlarmCondition.ELECTRICAL_TRIP,
        AlarmCondition.CONTROLLED_SHUTDOWN,
    }
)


@dataclass(frozen=True, slots=True)
class Alarm:
    """One named alarm slot and its condition."""

    key: str
    condition: AlarmCondition


@dataclass(frozen=True, slots=True)
class BandLimits:
    """A voltage and frequency window, for mains or generator output."""

    voltage_min: float
    voltage_max: float
    frequency_min: float
    frequency_max: float

    def contains(self, voltages: list[Value], frequency: Value) -> bool:
        """Whether every phase voltage and the frequency are measured and in band."""
        if not isinstance(frequency, int | float) or not voltages:
            return False
        if not self.frequency_min <= frequency <= self.frequency_max:
            return False
        return all(
            isinstance(v, int | float) and self.voltage_min <= v <= self.voltage_max
            for v in voltages
        )


# EN 50160 +10/-15 % and 50 Hz +4/-6 % "always" limits; a site can narrow them.
DEFAULT_MAINS_LIMITS = BandLimits(195.5, 253.0, 47.0, 52.0)
# ISO 8528-5 G2 is tighter; these are the widest a generator may be while we
# still call it "in band" and allow a transfer.
DEFAULT_GENERATOR_LIMITS = BandLimits(207.0, 253.0, 48.0, 52.0)


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """What a device says it is, read once at connect."""

    manufacturer: str
    model: str
    serial: str
    model_code: int | None = None


# The engine states of a start under way or done.
STARTING_OR_RUNNING: Final = frozenset(
    {EngineState.PRE_START, EngineState.WARMING_UP, EngineState.RUNNING}
)


@dataclass(frozen=True, slots=True)
class GeneratorState:
    """One poll of a generator controller.

    `mode`, `engine` and `flags` are None when the status read failed; `values`
    holds only what was read in this poll (instrumentation keeps its last good
    read until its own interval comes round again, and is dropped on failure);
    `alarms` is None when the alarm page was not read successfully.
    """

    mode: ControlMode | None
    engine: EngineState | None
    flags: StatusFlag | None
    values: Mapping[str, Value] = field(default_factory=dict)
    alarms: tuple[Alarm, ...] | None = None
    supported_functions: frozenset[int] = frozenset()

    def number(self, key: str) -> float | None:
        """A measured number, or None when absent or not a measurement."""
        value = self.values.get(key)
        if value is None or isinstance(value, Unavailable):
            return None
        return value

    @property
    def active_alarms(self) -> tuple[Alarm, ...]:
        """The alarms that are raised now."""
        return tuple(a for a in self.alarms or () if a.condition.active)

    @property
    def stopping_alarms(self) -> tuple[Alarm, ...]:
        """Shutdown, electrical-trip and controlled-shutdown alarms raised now."""
        return tuple(a for a in self.alarms or () if a.condition.stops_engine)

    @property
    def has_stopping_alarm(self) -> bool:
        """A shutdown-class alarm by name, or by the status flags alone."""
        flagged = bool(
            self.flags
            and self.flags
            & (
                StatusFlag.SHUTDOWN
                | StatusFlag.ELECTRICAL_TRIP
                | StatusFlag.CONTROLLED_SHUTDOWN
            )
        )
        return flagged or bool(self.stopping_alarms)

    @property
    def engine_running(self) -> bool:
        """The engine runs (crank disconnected, up to speed)."""
        return self.engine is EngineState.RUNNING

    @property
    def starting_or_running(self) -> bool:
        """A start is under way or done: pre-start, warming up or running."""
        return self.engine in STARTING_OR_RUNNING

    @property
    def engine_on(self) -> bool:
        """The set is not at rest: starting, running or cooling down."""
        return self.engine in STARTING_OR_RUNNING or (
            self.engine is EngineState.COOLING_DOWN
        )

    def phase_sum(self, prefix: str) -> float | None:
        """L1 + L2 + L3 of `prefix` (e.g. "generator_power_l"), of those measured."""
        values = [self.number(f"{prefix}{n}") for n in (1, 2, 3)]
        measured = [v for v in values if v is not None]
        return sum(measured) if measured else None

    @property
    def generator_kw(self) -> float | None:
        """What the generator delivers now, in kW, from its per-phase power."""
        watts = self.phase_sum("generator_power_l")
        return None if watts is None else round(max(watts, 0.0) / 1000, 2)

    def generator_voltages(self) -> list[Value]:
        """Generator phase-to-neutral voltages that the controller reports."""
        return _phases(self.values, "generator_voltage_l")

    def mains_voltages(self) -> list[Value]:
        """Mains phase-to-neutral voltages that the controller reports."""
        return _phases(self.values, "mains_voltage_l")

    def running_in_band(self, limits: BandLimits) -> bool:
        """Running, with every phase and the frequency inside `limits`."""
        if not self.engine_running:
            return False
        return limits.contains(
            self.generator_voltages(), self.values.get("generator_frequency", 0)
        )

    def mains_available(self, limits: BandLimits) -> bool | None:
        """Mains in band; None when the controller did not report mains values."""
        voltages = self.mains_voltages()
        frequency = self.values.get("mains_frequency")
        if not voltages or frequency is None:
            return None
        measured = [v for v in voltages if not isinstance(v, Unavailable)]
        if not measured and isinstance(frequency, Unavailable):
            return None
        return limits.contains(voltages, frequency)


def _phases(values: Mapping[str, Value], prefix: str) -> list[Value]:
    """L1..L3 values present for `prefix`, dropping phases the unit lacks."""
    found = [values.get(f"{prefix}{n}_n") for n in (1, 2, 3)]
    return [v for v in found if v is not None and v is not Unavailable.NOT_AVAILABLE]


class TransferPosition(StrEnum):
    """Where the load is connected."""

    MAINS = "mains"
    GENERATOR = "generator"
    OFF = "off"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class TransferState:
    """A transfer switch: position, mode, and which sources are available."""

    position: TransferPosition
    automatic: bool | None
    mains_available: bool | None
    generator_available: bool | None

    @property
    def on_generator(self) -> bool:
        """The load is on the generator."""
        return self.position is TransferPosition.GENERATOR


@dataclass(frozen=True, slots=True)
class IoState:
    """A Modbus I/O module: tank level, room temperature, heater relay."""

    tank_current_ma: float | None = None
    tank_fault: str | None = None
    tank_fraction: float | None = None
    tank_litres: float | None = None
    room_temperature: float | None = None
    heater_on: bool | None = None
