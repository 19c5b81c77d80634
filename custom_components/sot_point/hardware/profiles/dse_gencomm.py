"""Deep Sea Electronics controllers over GenComm (DSE 7xxx/8xxx MKII, 4xxx/55xx).

Addresses are 0-based wire addresses, register = page * 256 + offset. Sources and
confidence marks are in shared/domain/dse-gencomm.md; where a fact rests on one
source or an assumption the comment says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
import math

from ..registers import Block, RegisterSpec, block_for

MANUFACTURER_DSE = 1
GENCOMM_PAGE_SIZE = 256

# Model codes a controller reports at 769 (Victron's driver); MK I units report
# their plain number, which we show as it is.
MODEL_NAMES: dict[int, str] = {
    32807: "DSE4520 MKII",
    32832: "DSE8610 MKII",
    32833: "DSE8620 MKII",
    32834: "DSE8660 MKII",
    32840: "DSE7310 MKII",
    32841: "DSE7320 MKII",
    32845: "DSE7410 MKII",
    32846: "DSE7420 MKII",
    32858: "DSE6110 MKIII",
    32859: "DSE6120 MKIII",
}


def model_name(code: int) -> str:
    """A readable model name for a GenComm model code."""
    if code in MODEL_NAMES:
        return MODEL_NAMES[code]
    if code < 0x8000:
        return f"DSE{code}"
    return f"DSE model {code}"


def is_mk2(code: int) -> bool:
    """MKII and later units set the top bit and carry the named-alarm page 154."""
    return code >= 0x8000


# Page 3: identification and status.
IDENTITY_SPECS = (
    RegisterSpec("manufacturer_code", 768, sentinels=False),
    RegisterSpec("model_code", 769, sentinels=False),
    RegisterSpec("serial_number", 770, words=2, sentinels=False),
)
STATUS_SPECS = (
    RegisterSpec("control_mode", 772, valid=(0, 7)),
    RegisterSpec("status_flags", 774, sentinels=False),
)

# Page 4: basic instrumentation, read-only.
_V = 0.1
# Documented ranges (G129, Victron): outside them a word is not a measurement.
_DC = (0.0, 40.0)
_HZ = (0.0, 70.0)
_VLN = (0.0, 1800.0)
_VLL = (0.0, 3000.0)
_AMP = (0.0, 99999.9)
# Page 4 offsets 35-41: the controller's own mains sensing, the only mains
# measurement a site without a separate transfer switch has (1059 frequency,
# 1060-1065 L1-N..L3-N as 32-bit values; dse-gencomm.md section 3, C: the
# Arduino emulator's map, the 7310/7320 map page and genmon). They are
# also read on their own in the fast cycle, so the seven registers sit
# together with no reserved word and no half of a 32-bit value at either end.
# We read the measurements, not a "mains failed" flag: page 8's flag exists
# only on the old alarm system (MK I, 55x), the named-alarm page has no such
# slot in the registers the sources agree on, and with the voltages the site's
# own band decides, the same on the fast read as on the full page.
MAINS_SENSING_SPECS = (
    RegisterSpec("mains_frequency", 1059, scale=0.1, unit="Hz", valid=_HZ),
    RegisterSpec("mains_voltage_l1_n", 1060, words=2, scale=_V, unit="V", valid=_VLN),
    RegisterSpec("mains_voltage_l2_n", 1062, words=2, scale=_V, unit="V", valid=_VLN),
    RegisterSpec("mains_voltage_l3_n", 1064, words=2, scale=_V, unit="V", valid=_VLN),
)
MAINS_SENSING_KEYS = frozenset(spec.key for spec in MAINS_SENSING_SPECS)
INSTRUMENT_SPECS = (
    RegisterSpec("oil_pressure", 1024, unit="kPa", valid=(0, 10000)),
    RegisterSpec("coolant_temperature", 1025, signed=True, unit="°C", valid=(-50, 200)),
    RegisterSpec("oil_temperature", 1026, signed=True, unit="°C", valid=(-50, 200)),
    RegisterSpec("fuel_level", 1027, unit="%", valid=(0, 130)),
    RegisterSpec("charge_alternator_voltage", 1028, scale=_V, unit="V", valid=_DC),
    RegisterSpec("battery_voltage", 1029, scale=_V, unit="V", valid=_DC),
    RegisterSpec("engine_speed", 1030, unit="rpm", valid=(0, 6000)),
    RegisterSpec("generator_frequency", 1031, scale=0.1, unit="Hz", valid=_HZ),
    RegisterSpec(
        "generator_voltage_l1_n", 1032, words=2, scale=_V, unit="V", valid=_VLN
    ),
    RegisterSpec(
        "generator_voltage_l2_n", 1034, words=2, scale=_V, unit="V", valid=_VLN
    ),
    RegisterSpec(
        "generator_voltage_l3_n", 1036, words=2, scale=_V, unit="V", valid=_VLN
    ),
    RegisterSpec(
        "generator_voltage_l1_l2", 1038, words=2, scale=_V, unit="V", valid=_VLL
    ),
    RegisterSpec(
        "generator_voltage_l2_l3", 1040, words=2, scale=_V, unit="V", valid=_VLL
    ),
    RegisterSpec(
        "generator_voltage_l3_l1", 1042, words=2, scale=_V, unit="V", valid=_VLL
    ),
    RegisterSpec(
        "generator_current_l1", 1044, words=2, scale=0.1, unit="A", valid=_AMP
    ),
    RegisterSpec(
        "generator_current_l2", 1046, words=2, scale=0.1, unit="A", valid=_AMP
    ),
    RegisterSpec(
        "generator_current_l3", 1048, words=2, scale=0.1, unit="A", valid=_AMP
    ),
    RegisterSpec(
        "generator_earth_current", 1050, words=2, scale=0.1, unit="A", valid=_AMP
    ),
    RegisterSpec("generator_power_l1", 1052, words=2, signed=True, unit="W"),
    RegisterSpec("generator_power_l2", 1054, words=2, signed=True, unit="W"),
    RegisterSpec("generator_power_l3", 1056, words=2, signed=True, unit="W"),
    *MAINS_SENSING_SPECS,
    RegisterSpec("mains_current_l1", 1076, words=2, scale=0.1, unit="A", valid=_AMP),
    RegisterSpec("mains_current_l2", 1078, words=2, scale=0.1, unit="A", valid=_AMP),
    RegisterSpec("mains_current_l3", 1080, words=2, scale=0.1, unit="A", valid=_AMP),
    RegisterSpec("mains_power_l1", 1084, words=2, signed=True, unit="W"),
    RegisterSpec("mains_power_l2", 1086, words=2, signed=True, unit="W"),
    RegisterSpec("mains_power_l3", 1088, words=2, signed=True, unit="W"),
)

# Page 5 offset 128: engine operating state.
ENGINE_SPECS = (RegisterSpec("engine_state", 1408, valid=(0, 15)),)

# Pages 6 and 7: totals that change slowly.
POWER_SPECS = (
    RegisterSpec("generator_total_power", 1536, words=2, signed=True, unit="W"),
    RegisterSpec(
        "load_percent", 1558, signed=True, scale=0.1, unit="%", valid=(-200, 300)
    ),
)
# Page 7 opens with the controller's clock and its maintenance timer; reading
# them with the counters costs no extra request (the block grows 12 -> 18).
CLOCK_SPEC = RegisterSpec("controller_clock", 1792, words=2, unit="s")
COUNTER_SPECS = (
    CLOCK_SPEC,
    # Negative once the service is overdue (one source, G129).
    RegisterSpec("time_to_maintenance", 1794, words=2, signed=True, unit="s"),
    RegisterSpec("maintenance_due_at", 1796, words=2, unit="s"),
    RegisterSpec("run_time", 1798, words=2, unit="s"),
    RegisterSpec("energy_positive", 1800, words=2, scale=0.1, unit="kWh"),
    RegisterSpec("energy_negative", 1802, words=2, scale=0.1, unit="kWh"),
    RegisterSpec("number_of_starts", 1808, words=2),
)

# Page 16: the supported-functions map and the system control function.
SUPPORTED_FUNCTIONS_ADDRESS = 4096
SUPPORTED_FUNCTIONS_WORDS = 8
CONTROL_KEY_ADDRESS = 4104
CONTROL_KEY_BASE = 35700


class ControlKey(IntEnum):
    """GenComm system control functions (DSE 056-051); key = 35700 + code."""

    SELECT_STOP = 0
    SELECT_AUTO = 1
    SELECT_MANUAL = 2
    SELECT_TEST_ON_LOAD = 3
    SELECT_AUTO_MANUAL_RESTORE = 4
    START_ENGINE = 5
    MUTE_ALARM = 6
    RESET_ALARMS_BUTTON = 7
    TRANSFER_TO_GENERATOR = 8
    TRANSFER_TO_MAINS = 9
    RESET_MAINS_FAILURE = 10
    TELEMETRY_START = 32
    CANCEL_TELEMETRY_START = 33
    RESET_ALARM_CODES = 34
    CLEAR_TELEMETRY_ALARM_FLAG = 35


def control_words(key: ControlKey) -> list[int]:
    """The two words written in one FC16 request: the key and its complement."""
    value = CONTROL_KEY_BASE + int(key)
    return [value, 0xFFFF - value]


def key_from_words(words: Sequence[int]) -> ControlKey | None:
    """The key a write asked for, or None if the complement is wrong or unknown."""
    if len(words) != 2 or words[0] + words[1] != 0xFFFF:
        return None
    try:
        return ControlKey(words[0] - CONTROL_KEY_BASE)
    except ValueError:
        return None


def supported_functions(words: Sequence[int]) -> frozenset[int]:
    """Decode the 128-bit map: function n is bit 15 - n % 16 of word n // 16."""
    return frozenset(
        n for n in range(16 * len(words)) if words[n // 16] >> (15 - n % 16) & 1
    )


def supported_function_words(functions: frozenset[int] | set[int]) -> list[int]:
    """Encode a set of supported functions as the 8-word map."""
    words = [0] * SUPPORTED_FUNCTIONS_WORDS
    for n in functions:
        words[n // 16] |= 1 << (15 - n % 16)
    return words


# Page 154 named alarms, registers 1-8, agreed between a 73xx and an 8610 MKII
# source. Slot i sits in register 39425 + i // 4, first slot in bits 15-12.
NAMED_ALARMS: tuple[str, ...] = (
    "emergency_stop",
    "low_oil_pressure",
    "high_coolant_temperature",
    "low_coolant_temperature",
    "under_speed",
    "over_speed",
    "generator_under_frequency",
    "generator_over_frequency",
    "generator_low_voltage",
    "generator_high_voltage",
    "battery_low_voltage",
    "battery_high_voltage",
    "charge_alternator_failure",
    "fail_to_start",
    "fail_to_stop",
    "generator_fail_to_close",
    "mains_fail_to_close",
    "oil_pressure_sender_fault",
    "loss_of_magnetic_pickup",
    "magnetic_pickup_open_circuit",
    "generator_high_current",
    "calibration_lost",
    "low_fuel_level",
    "can_ecu_warning",
    "can_ecu_shutdown",
    "can_ecu_data_fail",
    "low_oil_level_switch",
    "high_temperature_switch",
    "low_fuel_level_switch",
    "expansion_unit_watchdog",
    "kw_overload",
    "negative_phase_sequence",
)
NAMED_ALARM_PAGE = 39424

# Page 8 (2048), the alarm list of MK I and 55xx units, in slot order.
LEGACY_ALARMS: tuple[str, ...] = (
    "emergency_stop",
    "low_oil_pressure",
    "high_coolant_temperature",
    "high_oil_temperature",
    "under_speed",
    "over_speed",
    "fail_to_start",
    "fail_to_come_to_rest",
    "loss_of_speed_sensing",
    "generator_low_voltage",
    "generator_high_voltage",
    "generator_low_frequency",
    "generator_high_frequency",
    "generator_high_current",
    "generator_earth_fault",
    "generator_reverse_power",
    "air_flap",
    "oil_pressure_sender_fault",
    "coolant_temperature_sender_fault",
    "oil_temperature_sender_fault",
    "fuel_level_sender_fault",
    "magnetic_pickup_fault",
    "loss_of_ac_speed_signal",
    "charge_alternator_failure",
    "battery_low_voltage",
    "battery_high_voltage",
    "low_fuel_level",
    "high_fuel_level",
    "generator_fail_to_close",
    "mains_fail_to_close",
    "generator_fail_to_open",
    "mains_fail_to_open",
    "mains_low_voltage",
    "mains_high_voltage",
    "bus_fail_to_close",
    "bus_fail_to_open",
    "mains_low_frequency",
    "mains_high_frequency",
    "mains_failed",
    "mains_phase_rotation",
    "generator_phase_rotation",
    "maintenance_due",
    "clock_not_set",
)
LEGACY_ALARM_PAGE = 2048


def alarm_slot_count(model_code: int) -> int:
    """How many page-154 alarm slots a family has (Victron's table).

    Reading past a family's last register risks an extended exception 12, so the
    block is sized per family; unknown MKII units get the smallest table.
    """
    family = model_name(model_code).removeprefix("DSE")[:2]
    if family.startswith("8"):
        return 39 * 4
    if family in {"72", "73", "74", "61"}:
        return 20 * 4
    return 11 * 4


def alarm_names(model_code: int) -> tuple[str, ...]:
    """Slot names for this unit: named where sources agree, numbered beyond."""
    if not is_mk2(model_code):
        return LEGACY_ALARMS
    count = alarm_slot_count(model_code)
    extra = tuple(f"alarm_{n + 1}" for n in range(len(NAMED_ALARMS), count))
    return NAMED_ALARMS + extra


def alarm_block(model_code: int) -> Block:
    """The alarm read: the slot-count register and the packed codes after it."""
    names = alarm_names(model_code)
    start = NAMED_ALARM_PAGE if is_mk2(model_code) else LEGACY_ALARM_PAGE
    return Block("alarms", start, 1 + math.ceil(len(names) / 4))


@dataclass(frozen=True, slots=True)
class ReadPlan:
    """Which blocks a poll reads, and how often.

    `mains` is read in the fast cycle only, when page 4 is not: page 4 holds
    the same registers, so it is never an extra request of a full poll.
    """

    status: tuple[Block, ...]
    instruments: tuple[Block, ...]
    totals: tuple[Block, ...]
    mains: tuple[Block, ...] = ()


IDENTITY_BLOCK = block_for("identity", IDENTITY_SPECS)
SUPPORTED_FUNCTIONS_BLOCK = Block(
    "supported_functions", SUPPORTED_FUNCTIONS_ADDRESS, SUPPORTED_FUNCTIONS_WORDS
)
STATUS_BLOCK = block_for("status", STATUS_SPECS)
ENGINE_BLOCK = block_for("engine", ENGINE_SPECS)
INSTRUMENT_BLOCK = block_for("instruments", INSTRUMENT_SPECS)
# 1059-1065: seven registers, 8 bytes out and 19 back on RTU.
MAINS_BLOCK = block_for("mains", MAINS_SENSING_SPECS)
POWER_BLOCK = block_for("power", POWER_SPECS)
COUNTER_BLOCK = block_for("counters", COUNTER_SPECS)
# Read alone after the clock is set, to check what the controller took.
CLOCK_BLOCK = block_for("clock", (CLOCK_SPEC,))

ALL_VALUE_SPECS = (
    *STATUS_SPECS,
    *INSTRUMENT_SPECS,
    *ENGINE_SPECS,
    *POWER_SPECS,
    *COUNTER_SPECS,
)


def read_plan(model_code: int) -> ReadPlan:
    """The blocks for one unit.

    A full poll is status + engine state (every second), page 4 and the alarm
    page (at the slower instrument rate): four requests. Pages 6 and 7 hold
    totals (load, clock, maintenance timer, run time, kWh, starts) that move
    slowly, so they have their own longer interval rather than adding two
    requests to every full poll.

    Between full polls the fast cycle reads status, engine state and the
    mains block: three requests a second. Without a transfer switch the
    controller's mains sensing is the site's only witness of a lost grid, and
    at the instrument interval alone Home Assistant saw it up to 6 s late; a
    7-register read each second brings that under 2 s. Status, engine state
    and the mains (772, 1408, 1059) lie on pages 3, 5 and 4: no read of at
    most 125 registers spans two of them, and GenComm does not promise to
    answer across the reserved registers between.
    """
    return ReadPlan(
        status=(STATUS_BLOCK, ENGINE_BLOCK),
        instruments=(INSTRUMENT_BLOCK, alarm_block(model_code)),
        totals=(POWER_BLOCK, COUNTER_BLOCK),
        mains=(MAINS_BLOCK,),
    )
