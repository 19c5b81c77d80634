"""A Modbus I/O module added by a technician for what the controller lacks.

Typically a Waveshare-style RS485 module or a small PLC with: a 4-20 mA input
from the diesel tank's level transmitter, a room-temperature input (an
XY-MD02-style sensor gives °C x 10 in input register 1), and a relay that
switches the warm room's heater. Every address is configurable because these
modules differ; the defaults match the common ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import math

from ..registers import Block, RegisterSpec

FUNCTION_COILS = 1
FUNCTION_HOLDING = 3
FUNCTION_INPUT = 4

# NAMUR NE 43 for 4-20 mA: 3.8-20.5 mA is a measurement (with saturation at the
# edges), at or below 3.6 mA or at or above 21 mA the loop reports a fault.
NAMUR_FAULT_LOW_MA = 3.6
NAMUR_FAULT_HIGH_MA = 21.0
NAMUR_VALID_LOW_MA = 3.8
NAMUR_VALID_HIGH_MA = 20.5


class TankShape(StrEnum):
    """How height in the tank turns into volume."""

    VERTICAL = "vertical"
    HORIZONTAL_CYLINDER = "horizontal_cylinder"


class RelayKind(StrEnum):
    """How the heater relay is addressed."""

    COIL = "coil"
    HOLDING_REGISTER = "holding_register"


class LoopFault(StrEnum):
    """Why a 4-20 mA reading is not a level."""

    WIRE_BREAK = "wire_break"  # below 3.6 mA: open loop or dead transmitter
    SHORT_CIRCUIT = "short_circuit"  # above 21 mA
    UNDER_RANGE = "under_range"
    OVER_RANGE = "over_range"


@dataclass(frozen=True, slots=True)
class IoModuleConfig:
    """Addresses and scaling of one I/O module.

    `level_raw_per_ma` converts the input register to mA (1000 when the module
    reports µA, 100 for mA x 100). The transmitter measures 0 at 4 mA and
    `sensor_span_m` at 20 mA; the tank is `tank_height_m` high and holds
    `tank_capacity_l` when full.
    """

    level_address: int | None = 0
    level_raw_per_ma: float = 1000.0
    sensor_span_m: float = 1.0
    tank_height_m: float = 1.0
    tank_capacity_l: float = 1000.0
    tank_shape: TankShape = TankShape.VERTICAL
    temperature_address: int | None = 1
    temperature_scale: float = 0.1
    relay_kind: RelayKind | None = RelayKind.COIL
    relay_address: int = 0

    def level_spec(self) -> RegisterSpec | None:
        """The tank-level input register, raw."""
        if self.level_address is None:
            return None
        return RegisterSpec("tank_level_raw", self.level_address, sentinels=False)

    def temperature_spec(self) -> RegisterSpec | None:
        """The room-temperature input register, signed."""
        if self.temperature_address is None:
            return None
        return RegisterSpec(
            "room_temperature",
            self.temperature_address,
            signed=True,
            scale=self.temperature_scale,
            unit="°C",
            sentinels=False,
        )

    def input_block(self) -> Block | None:
        """One FC04 read for level and temperature when they are close together.

        Two inputs more than 16 registers apart are not worth one read: the
        caller then reads them one by one.
        """
        specs = [s for s in (self.level_spec(), self.temperature_spec()) if s]
        if not specs:
            return None
        start = min(s.address for s in specs)
        end = max(s.end for s in specs)
        if end - start > 16:
            return None
        return Block("inputs", start, end - start, FUNCTION_INPUT)

    def relay_block(self) -> Block | None:
        """The heater relay read, as coil or holding register."""
        if self.relay_kind is None:
            return None
        function = (
            FUNCTION_COILS if self.relay_kind is RelayKind.COIL else FUNCTION_HOLDING
        )
        return Block("relay", self.relay_address, 1, function)


def loop_fault(current_ma: float) -> LoopFault | None:
    """Classify a loop current by NAMUR NE 43; None when it is a measurement."""
    if current_ma <= NAMUR_FAULT_LOW_MA:
        return LoopFault.WIRE_BREAK
    if current_ma >= NAMUR_FAULT_HIGH_MA:
        return LoopFault.SHORT_CIRCUIT
    if current_ma < NAMUR_VALID_LOW_MA:
        return LoopFault.UNDER_RANGE
    if current_ma > NAMUR_VALID_HIGH_MA:
        return LoopFault.OVER_RANGE
    return None


def fill_fraction(current_ma: float, config: IoModuleConfig) -> float:
    """Fraction of the tank's volume (0-1) for a valid loop current."""
    height = (current_ma - 4.0) / 16.0 * config.sensor_span_m
    ratio = min(1.0, max(0.0, height / config.tank_height_m))
    if config.tank_shape is TankShape.HORIZONTAL_CYLINDER:
        return _horizontal_cylinder_fraction(ratio)
    return ratio


def _horizontal_cylinder_fraction(height_ratio: float) -> float:
    """Volume fraction of a lying cylinder filled to `height_ratio` of its diameter.

    Engineering assumption (no vendor source): circular-segment area over the
    circle's area, V(h) = L[R² acos((R-h)/R) - (R-h)√(2Rh-h²)].
    """
    radius = 0.5
    h = height_ratio
    segment = radius**2 * math.acos((radius - h) / radius) - (radius - h) * math.sqrt(
        max(0.0, 2 * radius * h - h * h)
    )
    return segment / (math.pi * radius**2)


def litres(current_ma: float, config: IoModuleConfig) -> float:
    """Litres in the tank for a valid loop current."""
    return round(fill_fraction(current_ma, config) * config.tank_capacity_l, 1)


def current_for_fraction(fraction: float, config: IoModuleConfig) -> float:
    """The loop current a transmitter gives at a volume fraction (for the simulator).

    Inverts `fill_fraction` by bisection so the simulator and the client agree
    for every tank shape.
    """
    low, high = 4.0, 4.0 + 16.0 * config.tank_height_m / config.sensor_span_m
    for _ in range(40):
        middle = (low + high) / 2
        if fill_fraction(middle, config) < fraction:
            low = middle
        else:
            high = middle
    return min(20.0, (low + high) / 2)
