"""What the device checks try and how they name failures, without a network."""

from __future__ import annotations

from custom_components.sot_point.const import (
    CONF_BAUDRATE,
    CONF_CONNECTION_TYPE,
    CONF_SERIAL_PORT,
    CONF_UNIT_ID,
    CONNECTION_RTU,
    SEARCH_BAUDRATES,
    SEARCH_UNIT_IDS,
)
from custom_components.sot_point.device_check import error_key, search_candidates
from custom_components.sot_point.hardware.client import SerialEndpoint, TcpEndpoint
from custom_components.sot_point.hardware.errors import DeviceTimeoutError


def test_serial_search_tries_every_speed_and_unit_id() -> None:
    """On a serial port each usual speed is tried with each usual unit id."""
    link = {CONF_CONNECTION_TYPE: CONNECTION_RTU, CONF_SERIAL_PORT: "/dev/ttyUSB0"}
    tried = [
        (data[CONF_BAUDRATE], data[CONF_UNIT_ID])
        for data in search_candidates(link, SEARCH_UNIT_IDS, SEARCH_BAUDRATES)
    ]
    assert tried == [(19200, 10), (19200, 1), (115200, 10), (115200, 1)]


def test_silence_is_named_by_link() -> None:
    """Silence on a serial bus is a timeout; behind a TCP link, no device."""
    silence = DeviceTimeoutError("no answer")
    assert error_key(silence, SerialEndpoint("/dev/ttyUSB0")) == "timeout"
    assert error_key(silence, TcpEndpoint("127.0.0.1")) == "no_device"
