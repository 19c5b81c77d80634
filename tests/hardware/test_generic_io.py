"""The I/O module profile: 4-20 mA tank level, room temperature, heater relay."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.sot_point.hardware.profiles.generic_io import (
    FUNCTION_COILS,
    FUNCTION_HOLDING,
    FUNCTION_INPUT,
    IoModuleConfig,
    LoopFault,
    RelayKind,
    TankShape,
    current_for_fraction,
    fill_fraction,
    litres,
    loop_fault,
)
from custom_components.sot_point.hardware.registers import decode_block

VERTICAL = IoModuleConfig(tank_capacity_l=1000.0)
HORIZONTAL = IoModuleConfig(
    tank_capacity_l=1000.0, tank_shape=TankShape.HORIZONTAL_CYLINDER
)

# Lying cylinder, R = 0.5 (diameter 1), filled to h = 0.25 (a quarter):
#   (R - h) / R = 0.5, acos(0.5) = pi/3
#   segment = R² * pi/3 - (R - h) * sqrt(2Rh - h²)
#           = 0.25 * pi/3 - 0.25 * sqrt(0.25 - 0.0625)
#           = pi/12 - 0.25 * sqrt(3)/4 = pi/12 - sqrt(3)/16
#   fraction = segment / (pi R²) = (pi/12 - sqrt(3)/16) / (pi/4)
#            = 1/3 - sqrt(3)/(4 pi) = 0.33333333 - 0.13783222 = 0.19550111
QUARTER_HEIGHT_FRACTION = 0.19550111


@pytest.mark.parametrize(
    ("current_ma", "fault"),
    [
        (0.0, LoopFault.WIRE_BREAK),
        (3.5, LoopFault.WIRE_BREAK),
        (3.6, LoopFault.WIRE_BREAK),
        (3.7, LoopFault.UNDER_RANGE),
        (3.8, None),
        (4.0, None),
        (12.0, None),
        (20.0, None),
        (20.5, None),
        (20.7, LoopFault.OVER_RANGE),
        (21.0, LoopFault.SHORT_CIRCUIT),
        (22.5, LoopFault.SHORT_CIRCUIT),
    ],
)
def test_namur_ne43_classification(current_ma: float, fault: LoopFault | None) -> None:
    assert loop_fault(current_ma) == fault


@pytest.mark.parametrize(
    ("raw_microamps", "fault"),
    [(3600, LoopFault.WIRE_BREAK), (3700, LoopFault.UNDER_RANGE), (12000, None)],
)
def test_namur_limits_hold_for_currents_read_in_microamps(
    raw_microamps: int, fault: LoopFault | None
) -> None:
    assert loop_fault(raw_microamps / VERTICAL.level_raw_per_ma) == fault


@pytest.mark.parametrize(
    ("current_ma", "expected_litres"),
    [
        (4.0, 0.0),
        (8.0, 250.0),
        (12.0, 500.0),
        (20.0, 1000.0),
        (3.8, 0.0),  # saturated low: never negative litres
        (20.5, 1000.0),  # saturated high: never more than the tank holds
    ],
)
def test_vertical_tank_litres(current_ma: float, expected_litres: float) -> None:
    assert litres(current_ma, VERTICAL) == expected_litres


def test_sensor_span_longer_than_the_tank() -> None:
    # 2 m transmitter in a 1.5 m tank: 12 mA = 1.0 m = 2/3 of 1000 L.
    config = IoModuleConfig(sensor_span_m=2.0, tank_height_m=1.5)
    assert litres(12.0, config) == 666.7
    # 18 mA would be 1.75 m, above the tank top: shown as full, not 1166.7 L.
    assert litres(18.0, config) == 1000.0


def test_horizontal_cylinder_half_height_is_exactly_half_the_volume() -> None:
    assert fill_fraction(12.0, HORIZONTAL) == 0.5
    assert litres(12.0, HORIZONTAL) == 500.0


def test_horizontal_cylinder_quarter_height() -> None:
    # 8 mA = 4/16 of the span = a quarter of the diameter.
    assert fill_fraction(8.0, HORIZONTAL) == pytest.approx(
        QUARTER_HEIGHT_FRACTION, abs=1e-8
    )
    assert litres(8.0, HORIZONTAL) == 195.5
    # By symmetry three quarters of the height holds 1 - 0.1955 of the volume.
    assert litres(16.0, HORIZONTAL) == 804.5


def test_horizontal_cylinder_empty_and_full() -> None:
    assert fill_fraction(4.0, HORIZONTAL) == 0.0
    assert fill_fraction(20.0, HORIZONTAL) == pytest.approx(1.0, abs=1e-12)


def test_current_for_fraction_hand_values() -> None:
    assert current_for_fraction(0.5, VERTICAL) == pytest.approx(12.0, abs=1e-6)
    assert current_for_fraction(0.5, HORIZONTAL) == pytest.approx(12.0, abs=1e-6)
    assert current_for_fraction(QUARTER_HEIGHT_FRACTION, HORIZONTAL) == (
        pytest.approx(8.0, abs=1e-5)
    )
    assert current_for_fraction(0.0, VERTICAL) == pytest.approx(4.0, abs=1e-6)
    assert current_for_fraction(1.0, VERTICAL) == pytest.approx(20.0, abs=1e-6)


@given(
    fraction=st.floats(0.0, 1.0),
    shape=st.sampled_from(list(TankShape)),
    tank_height=st.floats(0.3, 3.0),
    extra_span=st.floats(0.0, 2.0),
)
def test_current_for_fraction_inverts_fill_fraction(
    fraction: float, shape: TankShape, tank_height: float, extra_span: float
) -> None:
    # The transmitter must reach the top of the tank for every fill to be seen.
    config = IoModuleConfig(
        tank_shape=shape,
        tank_height_m=tank_height,
        sensor_span_m=tank_height + extra_span,
    )
    current = current_for_fraction(fraction, config)
    assert 4.0 <= current <= 20.0
    assert loop_fault(current) is None
    assert fill_fraction(current, config) == pytest.approx(fraction, abs=1e-9)


@given(st.floats(3.8, 20.5), st.sampled_from(list(TankShape)))
def test_fill_fraction_stays_between_empty_and_full(
    current_ma: float, shape: TankShape
) -> None:
    config = IoModuleConfig(tank_shape=shape, tank_capacity_l=1000.0)
    assert 0.0 <= fill_fraction(current_ma, config) <= 1.0
    assert 0.0 <= litres(current_ma, config) <= 1000.0


@given(st.floats(4.0, 19.9), st.floats(0.01, 0.1), st.sampled_from(list(TankShape)))
def test_more_current_never_shows_less_fuel(
    current_ma: float, step: float, shape: TankShape
) -> None:
    config = IoModuleConfig(tank_shape=shape)
    assert fill_fraction(current_ma + step, config) >= fill_fraction(current_ma, config)


def test_level_and_temperature_are_one_input_read() -> None:
    config = IoModuleConfig()
    block = config.input_block()
    assert block is not None
    assert (block.address, block.count, block.function) == (0, 2, FUNCTION_INPUT)
    specs = [s for s in (config.level_spec(), config.temperature_spec()) if s]
    # 12000 µA, and an XY-MD02-style 23.0 °C as 230 tenths.
    assert decode_block(specs, block, [12000, 0x00E6]) == {
        "tank_level_raw": 12000,
        "room_temperature": 23.0,
    }
    # -10.0 °C in an unheated room is 0xFF9C (-100 tenths).
    assert decode_block(specs, block, [12000, 0xFF9C])["room_temperature"] == -10.0


def test_inputs_far_apart_are_not_read_in_one_request() -> None:
    assert IoModuleConfig(level_address=0, temperature_address=100).input_block() is (
        None
    )
    assert IoModuleConfig(
        level_address=None, temperature_address=None
    ).input_block() is (None)


def test_relay_read_follows_how_it_is_wired() -> None:
    coil = IoModuleConfig(relay_kind=RelayKind.COIL, relay_address=3).relay_block()
    holding = IoModuleConfig(
        relay_kind=RelayKind.HOLDING_REGISTER, relay_address=3
    ).relay_block()
    assert coil is not None
    assert holding is not None
    assert (coil.address, coil.count, coil.function) == (3, 1, FUNCTION_COILS)
    assert (holding.address, holding.function) == (3, FUNCTION_HOLDING)
    assert IoModuleConfig(relay_kind=None).relay_block() is None
