"""Constants for the SOT Point integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "sot_point"
LOGGER: Final = logging.getLogger(__package__)

# Config entry data: the site.
CONF_SITE_NAME: Final = "site_name"

# Config subentry types: the devices of a site.
SUBENTRY_GENERATOR: Final = "generator"
SUBENTRY_IO_MODULE: Final = "io_module"
SUBENTRY_TRANSFER_SWITCH: Final = "transfer_switch"

# Subentry data: how to reach a device.
CONF_CONNECTION_TYPE: Final = "connection_type"
CONNECTION_TCP: Final = "tcp"
CONNECTION_RTU: Final = "rtu"
CONF_HOST: Final = "host"
CONF_PORT: Final = "port"
CONF_SERIAL_PORT: Final = "serial_port"
CONF_BAUDRATE: Final = "baudrate"
CONF_PARITY: Final = "parity"
CONF_STOPBITS: Final = "stopbits"
CONF_UNIT_ID: Final = "unit_id"
CONF_REQUEST_GAP: Final = "request_gap"

DEFAULT_TCP_PORT: Final = 502
DEFAULT_BAUDRATE: Final = 19200
BAUDRATES: Final = (9600, 19200, 38400, 57600, 115200)
SEARCH_UNIT_IDS: Final = (10, 1)
SEARCH_BAUDRATES: Final = (19200, 115200)
DEFAULT_GENERATOR_UNIT_ID: Final = 10
DEFAULT_IO_UNIT_ID: Final = 1
DEFAULT_ATS_UNIT_ID: Final = 2
# DSE controllers need a pause between requests or they may stop answering.
DEFAULT_DSE_REQUEST_GAP: Final = 0.1

# Subentry data: what was found when the device was tested.
CONF_MODEL: Final = "model"
CONF_SERIAL: Final = "serial"
# The generator controller's family (hardware/families.py); absent = "dse".
CONF_CONTROLLER_FAMILY: Final = "controller_family"

# Subentry data: the I/O module's inputs and relay.
CONF_LEVEL_ADDRESS: Final = "level_address"
CONF_LEVEL_RAW_PER_MA: Final = "level_raw_per_ma"
CONF_SENSOR_SPAN_M: Final = "sensor_span_m"
CONF_TANK_HEIGHT_M: Final = "tank_height_m"
CONF_TANK_SHAPE: Final = "tank_shape"
CONF_TEMPERATURE_ADDRESS: Final = "temperature_address"
CONF_RELAY_KIND: Final = "relay_kind"
CONF_RELAY_ADDRESS: Final = "relay_address"
RELAY_NONE: Final = "none"

# Config entry options: site-wide settings.
CONF_MAINS_VOLTAGE_MIN: Final = "mains_voltage_min"
CONF_MAINS_VOLTAGE_MAX: Final = "mains_voltage_max"
CONF_MAINS_FREQUENCY_MIN: Final = "mains_frequency_min"
CONF_MAINS_FREQUENCY_MAX: Final = "mains_frequency_max"
CONF_TANK_CAPACITY: Final = "tank_capacity_l"
CONF_TANK_USABLE: Final = "tank_usable_l"
CONF_MINIMUM_AUTONOMY: Final = "minimum_autonomy_h"
CONF_OUTAGE_DELAY: Final = "outage_confirm_delay_s"
CONF_GENERATOR_RATED_KW: Final = "generator_rated_kw"
CONF_INSTRUMENT_INTERVAL: Final = "instrument_interval_s"
CONF_TOTALS_INTERVAL: Final = "totals_interval_s"
# Hours out of Auto before a repair issue reminds that the site will not start.
CONF_AUTO_REMINDER: Final = "auto_reminder_h"
# Fuel loss (rules/fuel_loss.py): the level sensor's noise, how long a fall
# must hold, and how much faster than the consumption curve a running set may
# empty the tank before it counts.
CONF_FUEL_LOSS_NOISE: Final = "fuel_loss_noise_l"
CONF_FUEL_LOSS_HOLD: Final = "fuel_loss_hold_min"
CONF_FUEL_LOSS_FACTOR: Final = "fuel_loss_factor"
# Minutes a set may run with the mains good before it is a runaway run.
CONF_RUNAWAY_AFTER: Final = "runaway_after_min"
# Cold readiness (rules/readiness.py): the coolant the block heater must hold
# and for how long it may be colder; the starter battery's limit at rest and
# how far it may fall in a week, both per 12 V; an optional outdoor or room
# temperature below freezing for the block heater to matter.
CONF_COOLANT_MIN: Final = "coolant_min_c"
CONF_COOLANT_HOLD: Final = "coolant_hold_min"
CONF_BATTERY_MIN: Final = "battery_min_v"
CONF_BATTERY_FALL: Final = "battery_fall_v"
CONF_OUTSIDE_TEMPERATURE: Final = "outside_temperature_entity"
# Rolling outages (rules/rolling.py): this many outages within this many hours.
CONF_ROLLING_COUNT: Final = "rolling_outage_count"
CONF_ROLLING_WINDOW: Final = "rolling_outage_window_h"

DEFAULT_OPTIONS: Final[dict[str, float]] = {
    CONF_MAINS_VOLTAGE_MIN: 195.5,
    CONF_MAINS_VOLTAGE_MAX: 253.0,
    CONF_MAINS_FREQUENCY_MIN: 47.0,
    CONF_MAINS_FREQUENCY_MAX: 52.0,
    CONF_TANK_CAPACITY: 1000.0,
    CONF_TANK_USABLE: 900.0,
    CONF_MINIMUM_AUTONOMY: 72.0,
    CONF_OUTAGE_DELAY: 5.0,
    CONF_GENERATOR_RATED_KW: 30.0,
    CONF_INSTRUMENT_INTERVAL: 5.0,
    CONF_TOTALS_INTERVAL: 60.0,
    CONF_AUTO_REMINDER: 12.0,
    CONF_FUEL_LOSS_NOISE: 20.0,
    CONF_FUEL_LOSS_HOLD: 10.0,
    CONF_FUEL_LOSS_FACTOR: 2.0,
    CONF_RUNAWAY_AFTER: 30.0,
    # No DSE guidance on a block heater's setting was found; 20 °C is well
    # below what a working heater holds (35-45 °C) and above a cold start.
    CONF_COOLANT_MIN: 20.0,
    CONF_COOLANT_HOLD: 30.0,
    # A lead-acid battery at rest below 12.2 V is about half charged.
    CONF_BATTERY_MIN: 12.2,
    CONF_BATTERY_FALL: 0.3,
    CONF_ROLLING_COUNT: 3.0,
    CONF_ROLLING_WINDOW: 6.0,
}
# Safe bounds for the poll intervals: faster loads an RS485 bus at 19200 baud
# beyond what a DSE controller answers reliably; slower hides an outage.
INSTRUMENT_INTERVAL_RANGE: Final = (2.0, 60.0)
TOTALS_INTERVAL_RANGE: Final = (30.0, 3600.0)
STATUS_INTERVAL_S: Final = 1.0

# Bounds the options form accepts: wide enough for any Nordic site, narrow
# enough that a typo (2300 V, 5 Hz) is refused rather than stored.
OPTION_RANGES: Final[dict[str, tuple[float, float]]] = {
    CONF_MAINS_VOLTAGE_MIN: (100.0, 300.0),
    CONF_MAINS_VOLTAGE_MAX: (100.0, 300.0),
    CONF_MAINS_FREQUENCY_MIN: (40.0, 70.0),
    CONF_MAINS_FREQUENCY_MAX: (40.0, 70.0),
    CONF_TANK_CAPACITY: (10.0, 100000.0),
    CONF_TANK_USABLE: (0.0, 100000.0),
    CONF_MINIMUM_AUTONOMY: (1.0, 720.0),
    CONF_OUTAGE_DELAY: (0.0, 600.0),
    CONF_GENERATOR_RATED_KW: (1.0, 5000.0),
    CONF_INSTRUMENT_INTERVAL: INSTRUMENT_INTERVAL_RANGE,
    CONF_TOTALS_INTERVAL: TOTALS_INTERVAL_RANGE,
    # Long enough for a day's service job, at most a week.
    CONF_AUTO_REMINDER: (1.0, 168.0),
    CONF_FUEL_LOSS_NOISE: (1.0, 10000.0),
    # Long enough to outlast sloshing after a delivery, at most a day.
    CONF_FUEL_LOSS_HOLD: (1.0, 1440.0),
    CONF_FUEL_LOSS_FACTOR: (1.0, 10.0),
    # A mains return delay plus a cool-down fit in 5 minutes; at most a day.
    CONF_RUNAWAY_AFTER: (5.0, 1440.0),
    CONF_COOLANT_MIN: (-20.0, 60.0),
    CONF_COOLANT_HOLD: (5.0, 1440.0),
    CONF_BATTERY_MIN: (10.0, 13.5),
    CONF_BATTERY_FALL: (0.05, 3.0),
    CONF_ROLLING_COUNT: (2.0, 20.0),
    CONF_ROLLING_WINDOW: (1.0, 72.0),
}

# Serial framing the device forms offer.
PARITIES: Final = ("N", "E", "O")
STOPBITS: Final = (1, 2)
# Modbus unit ids: 0 is broadcast, 248-255 are reserved.
UNIT_ID_RANGE: Final = (1, 247)

# Test-before-configure: how long the flows wait for a device. A person is
# watching the form, so a missing device must be reported within seconds.
FLOW_TIMEOUT: Final = 1.0
FLOW_RETRIES: Final = 1
# The search tries several unit ids and baud rates, each without a retry.
SEARCH_TIMEOUT: Final = 0.5

# Bus events fired by the site journal; payloads are documented in docs/events.md.
EVENT_OUTAGE_STARTED: Final = "sot_point_outage_started"
EVENT_OUTAGE_ENDED: Final = "sot_point_outage_ended"
EVENT_ALARM: Final = "sot_point_alarm"
EVENT_COMMAND: Final = "sot_point_command"
EVENT_COMMAND_REFUSED: Final = "sot_point_command_refused"
EVENT_START_FAILED: Final = "sot_point_start_failed"
EVENT_TEST_RUN_STARTED: Final = "sot_point_test_run_started"
EVENT_TEST_RUN_ENDED: Final = "sot_point_test_run_ended"
EVENT_FUEL_DELIVERY: Final = "sot_point_fuel_delivery"
EVENT_MAINTENANCE: Final = "sot_point_maintenance"
EVENT_NOTICE: Final = "sot_point_notice"
EVENT_FUEL_LOSS: Final = "sot_point_fuel_loss"
# Fired by the site's watch (not a journal record): a set that runs on.
EVENT_RUNAWAY_RUN: Final = "sot_point_runaway_run"
# Fired by the site's watch when outages start rolling (and when they stop).
EVENT_ROLLING_OUTAGES: Final = "sot_point_rolling_outages"
JOURNAL_EVENTS: Final = (
    EVENT_OUTAGE_STARTED,
    EVENT_OUTAGE_ENDED,
    EVENT_ALARM,
    EVENT_COMMAND,
    EVENT_COMMAND_REFUSED,
    EVENT_START_FAILED,
    EVENT_TEST_RUN_STARTED,
    EVENT_TEST_RUN_ENDED,
    EVENT_FUEL_DELIVERY,
    EVENT_MAINTENANCE,
    EVENT_NOTICE,
    EVENT_FUEL_LOSS,
)
