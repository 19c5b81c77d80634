"""The transfer-switch status map and the Modbus exceptions people are shown."""

from __future__ import annotations

import pytest

from custom_components.sot_point.hardware.errors import (
    ExceptionCode,
    ModbusExceptionError,
)
from custom_components.sot_point.hardware.profiles import ats
from custom_components.sot_point.hardware.state import TransferPosition


def test_ats_identification_is_soco_in_ascii() -> None:
    # "S" 0x53, "O" 0x4F, "C" 0x43: two characters per register, first high.
    assert ats.ident_words() == [0x534F, 0x434F]


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (0, TransferPosition.UNKNOWN),
        (1, TransferPosition.OFF),
        (2, TransferPosition.MAINS),
        (3, TransferPosition.GENERATOR),
        (9, TransferPosition.UNKNOWN),
    ],
)
def test_ats_position(position: int, expected: TransferPosition) -> None:
    values = {
        "network": 2,
        "mode": 0x10,
        "position": position,
        "source1_state": 2,
        "source2_state": 2,
    }
    assert ats.transfer_state(values).position is expected


def test_ats_on_generator_during_a_power_cut() -> None:
    state = ats.transfer_state(
        {
            "network": 2,
            "mode": 0x10,
            "position": 3,
            "source1_state": 0,
            "source2_state": 2,
        }
    )
    assert state.position is TransferPosition.GENERATOR
    assert state.automatic is True
    assert state.mains_available is False
    assert state.generator_available is True


def test_ats_in_manual_is_not_automatic() -> None:
    state = ats.transfer_state(
        {
            "network": 2,
            "mode": 0x00,
            "position": 2,
            "source1_state": 2,
            "source2_state": 0,
        }
    )
    assert state.automatic is False


@pytest.mark.parametrize(
    ("code", "meaning", "text"),
    [
        (2, ExceptionCode.ILLEGAL_ADDRESS, "does not exist"),
        (7, ExceptionCode.ILLEGAL_VALUE_WRITTEN, "bad control key or complement"),
        (8, ExceptionCode.INAPPROPRIATE_CIRCUMSTANCES, "present circumstances"),
        (12, ExceptionCode.RESERVED_REGISTER, "reserved register"),
        (13, ExceptionCode.BLOCK_VIOLATION, "partial read"),
        (99, ExceptionCode.UNKNOWN, "unknown exception"),
    ],
)
def test_gencomm_exceptions_are_explained(
    code: int, meaning: ExceptionCode, text: str
) -> None:
    # GenComm extended exceptions (G129 p.11, 15-16): 7 wrong key, 8 refused.
    err = ModbusExceptionError(code, 16, 4104)
    assert err.meaning is meaning
    assert err.key == "modbus_exception"
    assert f"Modbus exception {code} for function 16 at 4104" in str(err)
    assert text in str(err)
