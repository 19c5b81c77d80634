"""Test before configure: read a device once and tell what it is.

The config flows use these to refuse settings that reach nothing, or reach
something other than the device the user is adding, before any subentry
exists. Failures come back as a `DeviceCheckError` carrying the flow's error key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

from homeassistant.config_entries import ConfigEntry, ConfigEntryState

from .const import (
    CONF_BAUDRATE,
    CONF_CONNECTION_TYPE,
    CONF_UNIT_ID,
    CONNECTION_TCP,
    FLOW_RETRIES,
    FLOW_TIMEOUT,
    LOGGER,
    SEARCH_TIMEOUT,
)
from .hardware.client import (
    ConnectionPool,
    ConnectionSettings,
    Endpoint,
    ModbusConnection,
    TcpEndpoint,
)
from .hardware.devices import IoModule, TransferSwitch
from .hardware.errors import (
    CorruptResponseError,
    DeviceTimeoutError,
    DeviceUnreachableError,
    ExceptionCode,
    HardwareError,
    ModbusExceptionError,
    NotDseControllerError,
    WrongDeviceError,
)
from .hardware.families import (
    ControllerFamily,
    WrongFamilyError,
    identify,
    make_controller,
)
from .hardware.profiles.generic_io import IoModuleConfig
from .hardware.state import ControlMode, DeviceIdentity, IoState, TransferState
from .runtime import SotPointConfigEntry
from .settings import endpoint_from

# Error keys of the config flows (strings.json), by what went wrong. What is
# wrong with the way to a device has a key per kind of link, so the network
# form speaks of the host and port and the serial form of the adapter, the
# wiring and the baud rate.
ERROR_CANNOT_CONNECT = "cannot_connect"  # network: no connection to host:port
ERROR_NO_DEVICE = "no_device"  # network: connected, nothing at the unit id
ERROR_NOTHING_FOUND = "nothing_found"  # network: the search found nothing
ERROR_SERIAL_PORT_UNUSABLE = "serial_port_unusable"  # serial: port won't open
ERROR_TIMEOUT = "timeout"  # serial: port open, nothing at the unit id
ERROR_SERIAL_NOTHING_FOUND = "serial_nothing_found"  # serial: search found nothing
ERROR_NOT_DSE = "not_dse"
ERROR_NOT_TRANSFER_SWITCH = "not_transfer_switch"
ERROR_ILLEGAL_ADDRESS = "illegal_address"
ERROR_ILLEGAL_FUNCTION = "illegal_function"
ERROR_DEVICE_ERROR = "device_error"

# Errors about the way to the device rather than the device's own settings.
# A refused function most often means another kind of device at that unit id.
LINK_ERRORS = frozenset(
    {
        ERROR_CANNOT_CONNECT,
        ERROR_NO_DEVICE,
        ERROR_NOTHING_FOUND,
        ERROR_SERIAL_PORT_UNUSABLE,
        ERROR_TIMEOUT,
        ERROR_SERIAL_NOTHING_FOUND,
        ERROR_ILLEGAL_FUNCTION,
    }
)

_EXCEPTION_KEYS: dict[ExceptionCode, str] = {
    ExceptionCode.ILLEGAL_ADDRESS: ERROR_ILLEGAL_ADDRESS,
    ExceptionCode.ILLEGAL_FUNCTION: ERROR_ILLEGAL_FUNCTION,
}
# A gateway answering 10 or 11 is up; nothing answers behind it at that id.
_NOTHING_BEHIND = frozenset(
    {ExceptionCode.GATEWAY_PATH_UNAVAILABLE, ExceptionCode.GATEWAY_NO_RESPONSE}
)
_ERROR_KEYS: dict[type[HardwareError], str] = {
    NotDseControllerError: ERROR_NOT_DSE,
    WrongDeviceError: ERROR_NOT_TRANSFER_SWITCH,
    CorruptResponseError: ERROR_DEVICE_ERROR,
}
# An identification register that does not exist means another kind of device
# answered at this unit id, not that the user typed a wrong address.
_NOT_THIS_KIND = frozenset(
    {ExceptionCode.ILLEGAL_ADDRESS, ExceptionCode.ILLEGAL_FUNCTION}
)


class DeviceCheckError(Exception):
    """The device could not be read, or is not what was expected."""

    def __init__(self, key: str) -> None:
        """Carry the flow error key `key`."""
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class GeneratorFound:
    """A controller that answered, and the mode it is in now."""

    identity: DeviceIdentity
    mode: ControlMode | None
    family: ControllerFamily = ControllerFamily.DSE


def error_key(err: HardwareError, endpoint: Endpoint) -> str:
    """The flow error key for a hardware error met at `endpoint`."""
    network = isinstance(endpoint, TcpEndpoint)
    if isinstance(err, ModbusExceptionError) and err.meaning not in _NOTHING_BEHIND:
        return _EXCEPTION_KEYS.get(err.meaning, ERROR_DEVICE_ERROR)
    if isinstance(err, (DeviceTimeoutError, ModbusExceptionError)):
        # A timeout is only raised once the connection is made: over TCP the
        # gateway or device is there and nothing answers at this unit id.
        return ERROR_NO_DEVICE if network else ERROR_TIMEOUT
    if isinstance(err, DeviceUnreachableError):
        return ERROR_CANNOT_CONNECT if network else ERROR_SERIAL_PORT_UNUSABLE
    if isinstance(err, WrongFamilyError):
        # "not_dse", "not_comap", "not_smartgen": the family the user chose.
        return f"not_{err.family.value}"
    return _ERROR_KEYS.get(type(err), ERROR_DEVICE_ERROR)


def probe_settings(request_gap: float) -> ConnectionSettings:
    """Short, once-retried reads: a person is waiting on the form."""
    return ConnectionSettings(
        timeout=FLOW_TIMEOUT, retries=FLOW_RETRIES, request_gap=request_gap
    )


def search_settings(request_gap: float) -> ConnectionSettings:
    """Shorter still and never retried: most of the guesses are wrong."""
    return ConnectionSettings(
        timeout=SEARCH_TIMEOUT, retries=0, request_gap=request_gap
    )


def _running_pool(entry: ConfigEntry) -> ConnectionPool | None:
    if entry.state is not ConfigEntryState.LOADED:
        return None
    return cast(SotPointConfigEntry, entry).runtime_data.pool


@asynccontextmanager
async def temporary_connection(
    entry: ConfigEntry, endpoint: Endpoint, settings: ConnectionSettings
) -> AsyncIterator[ModbusConnection]:
    """A connection for one check, closed afterwards.

    While the site runs, its own connection to the endpoint is borrowed: a
    second client on the same RS485 port would fight the site's polling for
    the bus (pymodbus even opens serial ports exclusively), and gateways serve
    one request at a time best.
    """
    pool = _running_pool(entry)
    if pool is not None:
        connection = pool.acquire(endpoint, settings)
        try:
            yield connection
        finally:
            await pool.release(endpoint)
        return
    connection = ModbusConnection(endpoint, settings)
    try:
        yield connection
    finally:
        await connection.close()


async def run_check[T](
    entry: ConfigEntry,
    data: Mapping[str, Any],
    settings: ConnectionSettings,
    check: Callable[[ModbusConnection, int], Awaitable[T]],
) -> T:
    """Run `check` against the device `data` points at."""
    endpoint = endpoint_from(data)
    try:
        async with temporary_connection(entry, endpoint, settings) as connection:
            return await check(connection, int(data[CONF_UNIT_ID]))
    except HardwareError as err:
        LOGGER.debug("Checking %s unit %s: %s", endpoint, data[CONF_UNIT_ID], err)
        raise DeviceCheckError(error_key(err, endpoint)) from err


async def check_generator(
    connection: ModbusConnection,
    unit: int,
    family: ControllerFamily = ControllerFamily.DSE,
) -> GeneratorFound:
    """Read a controller of `family`: its identity and one status poll.

    Another kind of device there raises WrongFamilyError (the flow says the
    device is not a controller of the chosen family).
    """
    controller = make_controller(family, connection, unit)
    identity = await identify(controller)
    state = await controller.poll()
    return GeneratorFound(identity, state.mode, family)


def generator_check(
    family: ControllerFamily,
) -> Callable[[ModbusConnection, int], Awaitable[GeneratorFound]]:
    """A check that reads a controller of `family` once."""

    async def check(connection: ModbusConnection, unit: int) -> GeneratorFound:
        return await check_generator(connection, unit, family)

    return check


async def _search_unit(connection: ModbusConnection, unit: int) -> GeneratorFound:
    """Try each family's identity at `unit`; the first that reads as one wins.

    Nothing answering at all (a timeout) ends the tries at this unit: the
    other families would not be heard either.
    """
    *others, last = ControllerFamily
    for family in others:
        try:
            return await check_generator(connection, unit, family)
        except (WrongFamilyError, ModbusExceptionError) as err:
            LOGGER.debug("Search at unit %s: not %s (%s)", unit, family, err)
    return await check_generator(connection, unit, last)


def io_check(
    config: IoModuleConfig,
) -> Callable[[ModbusConnection, int], Awaitable[IoState]]:
    """A check that polls an I/O module with `config` once."""

    async def check(connection: ModbusConnection, unit: int) -> IoState:
        return await IoModule(connection, config, unit).poll()

    return check


async def check_transfer_switch(
    connection: ModbusConnection, unit: int
) -> TransferState:
    """Check the ATS identification, then read its status once."""
    switch = TransferSwitch(connection, unit)
    try:
        await switch.identify()
    except ModbusExceptionError as err:
        if err.meaning not in _NOT_THIS_KIND:
            raise
        raise WrongDeviceError(str(err)) from err
    return await switch.poll()


async def search_generator(
    entry: ConfigEntry,
    candidates: Iterable[dict[str, Any]],
    request_gap: float,
) -> tuple[dict[str, Any], GeneratorFound]:
    """The first candidate (settings with a unit id) where a DSE answers.

    Candidates sharing an endpoint share one connection. A link that cannot be
    opened at all ends the search: the other guesses would not reach it either.
    """
    settings = search_settings(request_gap)
    network = True
    for endpoint, group in _by_endpoint(candidates):
        network = isinstance(endpoint, TcpEndpoint)
        async with temporary_connection(entry, endpoint, settings) as connection:
            for data in group:
                unit = int(data[CONF_UNIT_ID])
                try:
                    return data, await _search_unit(connection, unit)
                except DeviceUnreachableError as err:
                    LOGGER.debug("Search at %s: %s", endpoint, err)
                    raise DeviceCheckError(error_key(err, endpoint)) from err
                except HardwareError as err:
                    LOGGER.debug("Search at %s unit %s: %s", endpoint, unit, err)
    raise DeviceCheckError(
        ERROR_NOTHING_FOUND if network else ERROR_SERIAL_NOTHING_FOUND
    )


def _by_endpoint(
    candidates: Iterable[dict[str, Any]],
) -> list[tuple[Endpoint, list[dict[str, Any]]]]:
    groups: dict[Endpoint, list[dict[str, Any]]] = {}
    for data in candidates:
        groups.setdefault(endpoint_from(data), []).append(data)
    return list(groups.items())


def search_candidates(
    link: Mapping[str, Any], unit_ids: Iterable[int], baudrates: Iterable[int]
) -> list[dict[str, Any]]:
    """Every unit id at every baud rate (a TCP link ignores the baud rate)."""
    units = list(unit_ids)
    if link[CONF_CONNECTION_TYPE] == CONNECTION_TCP:
        return [{**link, CONF_UNIT_ID: unit} for unit in units]
    return [
        {**link, CONF_BAUDRATE: baud, CONF_UNIT_ID: unit}
        for baud in baudrates
        for unit in units
    ]
