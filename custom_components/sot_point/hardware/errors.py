"""Typed errors of the hardware layer.

Each error carries a `key` that the integration maps to a translated message,
and an English `str()` for logs and the probe CLI.
"""

from __future__ import annotations

from enum import StrEnum


class HardwareError(Exception):
    """Base class: something went wrong talking to a device."""

    key = "hardware_error"


class DeviceUnreachableError(HardwareError):
    """No connection could be made (host down, port closed, serial port gone)."""

    key = "unreachable"


class DeviceTimeoutError(HardwareError):
    """The connection is up but the device did not answer in time."""

    key = "timeout"


class CorruptResponseError(HardwareError):
    """The device answered with something that cannot be right."""

    key = "corrupt_response"


class ExceptionCode(StrEnum):
    """Modbus exception codes, standard and GenComm extended, by meaning."""

    ILLEGAL_FUNCTION = "illegal_function"
    ILLEGAL_ADDRESS = "illegal_address"
    ILLEGAL_VALUE = "illegal_value"
    DEVICE_FAILURE = "device_failure"
    ACKNOWLEDGE = "acknowledge"
    BUSY = "busy"
    ILLEGAL_VALUE_WRITTEN = "illegal_value_written"
    INAPPROPRIATE_CIRCUMSTANCES = "inappropriate_circumstances"
    INSUFFICIENT_PRIVILEGE = "insufficient_privilege"
    GATEWAY_PATH_UNAVAILABLE = "gateway_path_unavailable"
    GATEWAY_NO_RESPONSE = "gateway_no_response"
    RESERVED_REGISTER = "reserved_register"
    BLOCK_VIOLATION = "block_violation"
    UNKNOWN = "unknown"


# Codes 1-6 and 10/11 are standard Modbus. 7, 8, 9, 12 and 13 are GenComm's
# extended codes (G129 p.11, 15-16); on other devices 7 and 8 are the rarely
# used "negative acknowledge" and "memory parity", which we report the same way.
_CODES: dict[int, tuple[ExceptionCode, str]] = {
    1: (ExceptionCode.ILLEGAL_FUNCTION, "the device does not support this function"),
    2: (ExceptionCode.ILLEGAL_ADDRESS, "the register address does not exist"),
    3: (ExceptionCode.ILLEGAL_VALUE, "the request carried an illegal value"),
    4: (ExceptionCode.DEVICE_FAILURE, "the device failed while answering"),
    5: (ExceptionCode.ACKNOWLEDGE, "the device accepted but has not finished"),
    6: (ExceptionCode.BUSY, "the device is busy"),
    7: (
        ExceptionCode.ILLEGAL_VALUE_WRITTEN,
        "illegal value written (bad control key or complement, or unsupported key)",
    ),
    8: (
        ExceptionCode.INAPPROPRIATE_CIRCUMSTANCES,
        "refused by the controller in the present circumstances",
    ),
    9: (ExceptionCode.INSUFFICIENT_PRIVILEGE, "insufficient privilege"),
    10: (ExceptionCode.GATEWAY_PATH_UNAVAILABLE, "gateway path unavailable or busy"),
    11: (
        ExceptionCode.GATEWAY_NO_RESPONSE,
        "no response from the device behind the gateway",
    ),
    12: (ExceptionCode.RESERVED_REGISTER, "read of a reserved register"),
    13: (ExceptionCode.BLOCK_VIOLATION, "partial read of a multi-register value"),
}


class ModbusExceptionError(HardwareError):
    """The device answered with a Modbus exception."""

    key = "modbus_exception"

    def __init__(self, code: int, function: int, address: int) -> None:
        """Describe exception `code` for a request at `address`."""
        self.code = code
        self.meaning, text = _CODES.get(
            code, (ExceptionCode.UNKNOWN, "unknown exception")
        )
        super().__init__(
            f"Modbus exception {code} for function {function} at {address}: {text}"
        )


class NotDseControllerError(HardwareError):
    """Something answered, but it is not a DSE GenComm controller."""

    key = "not_dse_controller"


class WrongDeviceError(HardwareError):
    """Something answered, but not what the profile expects."""

    key = "wrong_device"


class SerialMismatchError(WrongDeviceError):
    """A controller answers at the address, but not the one set up there.

    After a rewiring an address can end up on another controller; its values
    are not this generator's, whatever the entities are called.
    """

    def __init__(self, expected: str, found: str) -> None:
        """Say which serial number was expected and which answered."""
        super().__init__(f"serial {found}, expected {expected}")
        self.expected = expected
        self.found = found
