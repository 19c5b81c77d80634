"""Turn stored config data into hardware objects, for setup and for the flows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from .const import (
    CONF_BATTERY_FALL,
    CONF_BATTERY_MIN,
    CONF_BAUDRATE,
    CONF_CONNECTION_TYPE,
    CONF_COOLANT_HOLD,
    CONF_COOLANT_MIN,
    CONF_FUEL_LOSS_FACTOR,
    CONF_FUEL_LOSS_HOLD,
    CONF_FUEL_LOSS_NOISE,
    CONF_GENERATOR_RATED_KW,
    CONF_HOST,
    CONF_INSTRUMENT_INTERVAL,
    CONF_LEVEL_ADDRESS,
    CONF_LEVEL_RAW_PER_MA,
    CONF_MAINS_FREQUENCY_MAX,
    CONF_MAINS_FREQUENCY_MIN,
    CONF_MAINS_VOLTAGE_MAX,
    CONF_MAINS_VOLTAGE_MIN,
    CONF_MINIMUM_AUTONOMY,
    CONF_OUTAGE_DELAY,
    CONF_PARITY,
    CONF_PORT,
    CONF_RELAY_ADDRESS,
    CONF_RELAY_KIND,
    CONF_REQUEST_GAP,
    CONF_ROLLING_COUNT,
    CONF_ROLLING_WINDOW,
    CONF_RUNAWAY_AFTER,
    CONF_SENSOR_SPAN_M,
    CONF_SERIAL_PORT,
    CONF_STOPBITS,
    CONF_TANK_CAPACITY,
    CONF_TANK_HEIGHT_M,
    CONF_TANK_SHAPE,
    CONF_TANK_USABLE,
    CONF_TEMPERATURE_ADDRESS,
    CONF_TOTALS_INTERVAL,
    CONNECTION_TCP,
    DEFAULT_BAUDRATE,
    DEFAULT_OPTIONS,
    DEFAULT_TCP_PORT,
    RELAY_NONE,
)
from .hardware.client import ConnectionSettings, Endpoint, SerialEndpoint, TcpEndpoint
from .hardware.devices import PollIntervals
from .hardware.profiles.generic_io import IoModuleConfig, RelayKind, TankShape
from .hardware.state import BandLimits
from .rules.fuel_loss import FuelLossSettings
from .rules.readiness import ReadinessSettings
from .rules.rolling import RollingSettings
from .rules.site import SiteSettings


def endpoint_from(data: Mapping[str, Any]) -> Endpoint:
    """The endpoint a device subentry points at."""
    if data.get(CONF_CONNECTION_TYPE, CONNECTION_TCP) == CONNECTION_TCP:
        return TcpEndpoint(
            str(data[CONF_HOST]), int(data.get(CONF_PORT, DEFAULT_TCP_PORT))
        )
    return SerialEndpoint(
        str(data[CONF_SERIAL_PORT]),
        int(data.get(CONF_BAUDRATE, DEFAULT_BAUDRATE)),
        str(data.get(CONF_PARITY, "N")),
        int(data.get(CONF_STOPBITS, 1)),
    )


def connection_settings_from(data: Mapping[str, Any]) -> ConnectionSettings:
    """Timeouts and pacing for a device's connection."""
    return ConnectionSettings(request_gap=float(data.get(CONF_REQUEST_GAP, 0.0)))


def _optional_int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def io_config_from(
    data: Mapping[str, Any], options: Mapping[str, Any]
) -> IoModuleConfig:
    """The I/O module's addresses and scaling; the tank size comes from the site."""
    relay = data.get(CONF_RELAY_KIND, RelayKind.COIL.value)
    return IoModuleConfig(
        level_address=_optional_int(data.get(CONF_LEVEL_ADDRESS, 0)),
        level_raw_per_ma=float(data.get(CONF_LEVEL_RAW_PER_MA, 1000.0)),
        sensor_span_m=float(data.get(CONF_SENSOR_SPAN_M, 1.0)),
        tank_height_m=float(data.get(CONF_TANK_HEIGHT_M, 1.0)),
        tank_capacity_l=float(option(options, CONF_TANK_CAPACITY)),
        tank_shape=TankShape(data.get(CONF_TANK_SHAPE, TankShape.VERTICAL.value)),
        temperature_address=_optional_int(data.get(CONF_TEMPERATURE_ADDRESS, 1)),
        relay_kind=None if relay == RELAY_NONE else RelayKind(relay),
        relay_address=int(data.get(CONF_RELAY_ADDRESS, 0)),
    )


def option(options: Mapping[str, Any], key: str) -> float:
    """A numeric option, or its default."""
    return float(options.get(key, DEFAULT_OPTIONS[key]))


def site_settings_from(options: Mapping[str, Any]) -> SiteSettings:
    """Site-wide settings from the entry's options."""
    return SiteSettings(
        mains_limits=BandLimits(
            option(options, CONF_MAINS_VOLTAGE_MIN),
            option(options, CONF_MAINS_VOLTAGE_MAX),
            option(options, CONF_MAINS_FREQUENCY_MIN),
            option(options, CONF_MAINS_FREQUENCY_MAX),
        ),
        outage_confirm_delay=timedelta(seconds=option(options, CONF_OUTAGE_DELAY)),
        tank_capacity_l=option(options, CONF_TANK_CAPACITY),
        tank_usable_l=option(options, CONF_TANK_USABLE),
        minimum_autonomy_h=option(options, CONF_MINIMUM_AUTONOMY),
        generator_rated_kw=option(options, CONF_GENERATOR_RATED_KW),
    )


def poll_intervals_from(options: Mapping[str, Any]) -> PollIntervals:
    """How often the slower read groups are refreshed."""
    return PollIntervals(
        instruments=option(options, CONF_INSTRUMENT_INTERVAL),
        totals=option(options, CONF_TOTALS_INTERVAL),
    )


def fuel_loss_settings_from(options: Mapping[str, Any]) -> FuelLossSettings:
    """The fuel loss watch's noise, hold time and factor; the set's full load."""
    return FuelLossSettings(
        noise_l=option(options, CONF_FUEL_LOSS_NOISE),
        hold=timedelta(minutes=option(options, CONF_FUEL_LOSS_HOLD)),
        running_factor=option(options, CONF_FUEL_LOSS_FACTOR),
        full_load_lph=site_settings_from(options).fuel_curve.full_load_lph,
    )


def runaway_limit_from(options: Mapping[str, Any]) -> timedelta:
    """How long a set may run with the mains good before it is a runaway run."""
    return timedelta(minutes=option(options, CONF_RUNAWAY_AFTER))


def readiness_settings_from(options: Mapping[str, Any]) -> ReadinessSettings:
    """The limits of cold readiness: coolant, its hold time, the battery's."""
    return ReadinessSettings(
        coolant_min_c=option(options, CONF_COOLANT_MIN),
        coolant_hold=timedelta(minutes=option(options, CONF_COOLANT_HOLD)),
        battery_min_v=option(options, CONF_BATTERY_MIN),
        battery_fall_v_per_week=option(options, CONF_BATTERY_FALL),
    )


def rolling_settings_from(options: Mapping[str, Any]) -> RollingSettings:
    """How many outages within how many hours count as rolling."""
    return RollingSettings(
        count=int(option(options, CONF_ROLLING_COUNT)),
        window=timedelta(hours=option(options, CONF_ROLLING_WINDOW)),
    )
