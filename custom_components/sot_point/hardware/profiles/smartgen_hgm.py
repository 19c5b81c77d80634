"""SmartGen HGM6100N-class AMF controllers (HGM6110N/HGM6120N, HGM6100NC).

Addresses are 0-based wire addresses. Sources (docs/controllers.md has the
list) and confidence marks as in shared/domain/dse-gencomm.md:

- SG6N: SmartGen "HGM6100NC Communication Protocol" (en), as transcribed
  table by table in a public firmware repository's "Power Eye Modbus Register
  Reference" (sections "Function 0x03 Register Map", "Function 0x01 Coil
  Status Map", "Function 0x05 Remote Coils"). The PDF itself was not found in
  a public copy.
- GM4: genmon `data/controller/SmartGen_HGM4000.json` (HGM40x0N, the same
  SmartGen protocol layout): holding registers, coils, "buttons" (FC05),
  "engine_state".

C = both agree, S = one source. What neither gives is left out and named at
the end of this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..registers import Block, RegisterSpec, Unavailable, Value, block_for
from ..state import Alarm, AlarmCondition, ControlMode, EngineState, StatusFlag

MANUFACTURER = "SmartGen"
MODEL = "HGM6100N series"

# The sensor words' own "no value" codes (GM4 "disable_obj"/"filter_obj":
# 32767 when the controller has no reading, 32766 an open-circuit sender;
# S). SmartGen uses no other GenComm-style sentinel.
SENTINEL_WORDS: dict[int, Unavailable] = {
    0x7FFF: Unavailable.NOT_AVAILABLE,
    0x7FFE: Unavailable.TRANSDUCER_FAULT,
}
_WORD_OF = {reason: word for word, reason in SENTINEL_WORDS.items()}

_HZ = (0.0, 70.0)
_V = (0.0, 1000.0)
_A = (0.0, 6553.5)

# FC03, 0x0000-0x001D: measurements (SG6N "Function 0x03", GM4; C).
MEASUREMENT_SPECS = (
    RegisterSpec("mains_voltage_l1_n", 0x0000, unit="V", sentinels=False, valid=_V),
    RegisterSpec("mains_voltage_l2_n", 0x0001, unit="V", sentinels=False, valid=_V),
    RegisterSpec("mains_voltage_l3_n", 0x0002, unit="V", sentinels=False, valid=_V),
    RegisterSpec(
        "mains_frequency", 0x0006, scale=0.1, unit="Hz", sentinels=False, valid=_HZ
    ),
    RegisterSpec("generator_voltage_l1_n", 0x0007, unit="V", sentinels=False, valid=_V),
    RegisterSpec("generator_voltage_l2_n", 0x0008, unit="V", sentinels=False, valid=_V),
    RegisterSpec("generator_voltage_l3_n", 0x0009, unit="V", sentinels=False, valid=_V),
    RegisterSpec(
        "generator_voltage_l1_l2", 0x000A, unit="V", sentinels=False, valid=_V
    ),
    RegisterSpec(
        "generator_voltage_l2_l3", 0x000B, unit="V", sentinels=False, valid=_V
    ),
    RegisterSpec(
        "generator_voltage_l3_l1", 0x000C, unit="V", sentinels=False, valid=_V
    ),
    RegisterSpec(
        "generator_frequency", 0x000D, scale=0.1, unit="Hz", sentinels=False, valid=_HZ
    ),
    RegisterSpec(
        "generator_current_l1", 0x000E, scale=0.1, unit="A", sentinels=False, valid=_A
    ),
    RegisterSpec(
        "generator_current_l2", 0x000F, scale=0.1, unit="A", sentinels=False, valid=_A
    ),
    RegisterSpec(
        "generator_current_l3", 0x0010, scale=0.1, unit="A", sentinels=False, valid=_A
    ),
    # Engine temperature, 1 °C (C). Signed: GM4's "no value" 0x7FFF is the
    # top of a signed word (S for the sign).
    RegisterSpec(
        "coolant_temperature",
        0x0011,
        signed=True,
        unit="°C",
        sentinels=False,
        valid=(-50, 200),
    ),
    RegisterSpec("oil_pressure", 0x0013, unit="kPa", sentinels=False, valid=(0, 2000)),
    RegisterSpec("fuel_level", 0x0015, unit="%", sentinels=False, valid=(0, 100)),
    RegisterSpec("engine_speed", 0x0017, unit="rpm", sentinels=False, valid=(0, 6000)),
    RegisterSpec(
        "battery_voltage", 0x0018, scale=0.1, unit="V", sentinels=False, valid=(0, 40)
    ),
    # "Charger D+ voltage" (SG6N), "D+ Voltage" (GM4): the charge alternator.
    RegisterSpec(
        "charge_alternator_voltage",
        0x0019,
        scale=0.1,
        unit="V",
        sentinels=False,
        valid=(0, 40),
    ),
    # Total active power, 0.1 kW (C), shown in W like GenComm's 1536. Read
    # signed (reverse power); no HGM6100N-class set reaches 3276.7 kW.
    RegisterSpec(
        "generator_total_power",
        0x001A,
        signed=True,
        scale=100.0,
        unit="W",
        sentinels=False,
    ),
)
# The sender words whose 0x7FFF/0x7FFE mean "no reading" (GM4 applies the
# filter to these only).
SENSOR_KEYS = frozenset({"coolant_temperature", "oil_pressure", "fuel_level"})

# FC03, 0x0022-0x0032: status and totals (SG6N, GM4; C unless marked).
GENERATOR_STATUS_ADDRESS = 0x0022
STATUS_SPECS = (
    RegisterSpec("generator_status", GENERATOR_STATUS_ADDRESS, sentinels=False),
)
TOTAL_SPECS = (
    # Hours (high word first, SG6N "combine with 002BH"; S), minutes, seconds.
    RegisterSpec("run_hours", 0x002A, words=2, sentinels=False),
    RegisterSpec("run_minutes", 0x002C, sentinels=False, valid=(0, 59)),
    RegisterSpec("run_seconds", 0x002D, sentinels=False, valid=(0, 59)),
    RegisterSpec("number_of_starts", 0x002E, words=2, sentinels=False),
    RegisterSpec("energy_positive", 0x0030, words=2, unit="kWh", sentinels=False),
    RegisterSpec("software_version", 0x0032, sentinels=False),
)

MEASUREMENT_BLOCK = block_for("measurements", MEASUREMENT_SPECS)
STATUS_BLOCK = block_for("status", (*STATUS_SPECS, *TOTAL_SPECS))
SOFTWARE_BLOCK = block_for("software", TOTAL_SPECS[-1:])

# FC01 coils (SG6N "Function 0x01", GM4 "coil_registers"; C).
FUNCTION_COILS = 1
COIL_COMMON_ALARM = 0x0000
COIL_COMMON_WARNING = 0x0001
COIL_COMMON_SHUTDOWN = 0x0002
COIL_MAINS_ON_LOAD = 0x0006
COIL_GENERATOR_ON_LOAD = 0x0007
# Modes, one coil each: test, auto, manual, stop.
MODE_COILS: dict[int, ControlMode] = {
    # SmartGen's "test" runs the set to take the load (GM4 "Test"; S for
    # the load): judged as Test on load, the stricter of GenComm's two.
    0x0028: ControlMode.TEST_ON_LOAD,
    0x0029: ControlMode.AUTO,
    0x002A: ControlMode.MANUAL,
    0x002B: ControlMode.STOP,
}
COIL_BLOCK = Block("coils", 0x0000, 0x002C, FUNCTION_COILS)

_SD = AlarmCondition.SHUTDOWN
_WRN = AlarmCondition.WARNING
# Alarm coils by the names GenComm's named-alarm page uses, so the same
# entities and texts serve both (SG6N and GM4 agree on each; C).
ALARM_COILS: dict[int, tuple[str, AlarmCondition]] = {
    0x0008: ("emergency_stop", _SD),
    0x0009: ("over_speed", _SD),
    0x000A: ("under_speed", _SD),
    0x000C: ("generator_over_frequency", _SD),
    0x000D: ("generator_under_frequency", _SD),
    0x000E: ("generator_high_voltage", _SD),
    0x000F: ("generator_low_voltage", _SD),
    0x0010: ("generator_high_current", _SD),
    0x0011: ("fail_to_start", _SD),
    0x0012: ("high_coolant_temperature", _SD),
    0x0013: ("low_oil_pressure", _SD),
    0x0018: ("high_coolant_temperature", _WRN),
    0x0019: ("low_oil_pressure", _WRN),
    0x001A: ("generator_high_current", _WRN),
    0x001B: ("fail_to_stop", _WRN),
    0x001C: ("low_fuel_level", _WRN),
    0x001D: ("charge_alternator_failure", _WRN),
    0x001E: ("battery_low_voltage", _WRN),
    0x001F: ("battery_high_voltage", _WRN),
}
ALARM_NAMES: tuple[str, ...] = tuple(dict.fromkeys(n for n, _ in ALARM_COILS.values()))

# Generator status at 0x0022 (GM4 "engine_state"; S: SG6N lists the
# register as "enum" without its table). Mapped onto GenComm's states.
GENERATOR_STATUS: dict[int, EngineState] = {
    0: EngineState.STOPPED,  # standby
    1: EngineState.PRE_START,  # preheat
    2: EngineState.PRE_START,  # fuel output on
    3: EngineState.PRE_START,  # cranking
    4: EngineState.PRE_START,  # crank rest
    5: EngineState.WARMING_UP,  # safety-on delay
    6: EngineState.WARMING_UP,  # start idle
    7: EngineState.WARMING_UP,  # high-speed warm-up
    8: EngineState.RUNNING,  # waiting to take the load
    9: EngineState.RUNNING,  # normal running
    10: EngineState.COOLING_DOWN,  # high-speed cooling
    11: EngineState.COOLING_DOWN,  # stop idle
    12: EngineState.POST_RUN,  # energise to stop
    13: EngineState.POST_RUN,  # wait for stop
    14: EngineState.POST_RUN,  # stop failure (the fail-to-stop alarm says so)
}

# FC05 remote coils, written ON (0xFF00): SG6N "Function 0x05", GM4
# "buttons" (C). Nothing else is documented for the HGM6100N: no select
# Stop, no breaker or transfer, no alarm reset or mute.
FUNCTION_WRITE_COIL = 5
REMOTE_START = 0x0000
REMOTE_STOP = 0x0001
REMOTE_TEST_MODE = 0x0002
REMOTE_AUTO_MODE = 0x0003
REMOTE_MANUAL_MODE = 0x0004
REMOTE_COILS = frozenset(
    {REMOTE_START, REMOTE_STOP, REMOTE_TEST_MODE, REMOTE_AUTO_MODE, REMOTE_MANUAL_MODE}
)
MODE_OF_REMOTE: dict[int, ControlMode] = {
    REMOTE_TEST_MODE: ControlMode.TEST_ON_LOAD,
    REMOTE_AUTO_MODE: ControlMode.AUTO,
    REMOTE_MANUAL_MODE: ControlMode.MANUAL,
}

# Left out, no source found: the HGM6100N's model and serial registers (GM4's
# 0x0047 "Controller Model" is the HGM40x0's and SG6N's map ends at 0x0032),
# per-phase power and load % (GM4 0x0034-0x0037 only), oil temperature, the
# mains-state (0x0028) and ATS-state (0x0026) tables, the controller clock.


def decode(block: Block, words: Sequence[int]) -> dict[str, Value]:
    """Decode the specs inside `block`, with SmartGen's own sensor codes."""
    values: dict[str, Value] = {}
    for spec in (*MEASUREMENT_SPECS, *STATUS_SPECS, *TOTAL_SPECS):
        if not block.covers(spec):
            continue
        offset = spec.address - block.address
        raw = 0
        for word in words[offset : offset + spec.words]:
            raw = (raw << 16) | (word & 0xFFFF)
        if spec.key in SENSOR_KEYS and raw in SENTINEL_WORDS:
            values[spec.key] = SENTINEL_WORDS[raw]
        else:
            values[spec.key] = spec.raw_to_value(raw)
    return values


def encode(values: Mapping[str, Value]) -> dict[int, int]:
    """Registers (address -> word) carrying `values`, for a server."""
    registers: dict[int, int] = {}
    for spec in (*MEASUREMENT_SPECS, *STATUS_SPECS, *TOTAL_SPECS):
        if spec.key not in values:
            continue
        value = values[spec.key]
        if isinstance(value, Unavailable):
            words = [_WORD_OF.get(value, 0x7FFF)]
        else:
            words = spec.words_of(value)
        for offset, word in enumerate(words):
            registers[spec.address + offset] = word
    return registers


def run_time_seconds(values: Mapping[str, Value]) -> int | None:
    """The run-time counter as seconds, from hours, minutes and seconds."""
    parts = [values.get(k) for k in ("run_hours", "run_minutes", "run_seconds")]
    if not all(isinstance(p, int) for p in parts):
        return None
    hours, minutes, seconds = (int(p) for p in parts)  # type: ignore[arg-type]
    return hours * 3600 + minutes * 60 + seconds


def run_time_words(seconds: int) -> dict[str, Value]:
    """The three run-time registers for a counter in seconds."""
    return {
        "run_hours": seconds // 3600,
        "run_minutes": seconds % 3600 // 60,
        "run_seconds": seconds % 60,
    }


def mode_of(coils: Sequence[int]) -> ControlMode | None:
    """The mode whose coil alone is set; None when none or several are."""
    modes = [mode for coil, mode in MODE_COILS.items() if coils[coil]]
    return modes[0] if len(modes) == 1 else None


def engine_of(status: Value) -> EngineState | None:
    """GenComm's engine state for a generator-status code; None if unknown."""
    return GENERATOR_STATUS.get(status) if isinstance(status, int) else None


def flags_of(coils: Sequence[int]) -> StatusFlag:
    """The common warning and shutdown coils as GenComm's status flags."""
    flags = StatusFlag(0)
    if coils[COIL_COMMON_WARNING]:
        flags |= StatusFlag.WARNING
    if coils[COIL_COMMON_SHUTDOWN]:
        flags |= StatusFlag.SHUTDOWN
    return flags


def alarms_of(coils: Sequence[int]) -> tuple[Alarm, ...]:
    """Each named alarm once: shutdown over warning over not active."""
    worst: dict[str, AlarmCondition] = dict.fromkeys(
        ALARM_NAMES, AlarmCondition.NOT_ACTIVE
    )
    for coil, (name, condition) in ALARM_COILS.items():
        if coils[coil] and _rank(condition) > _rank(worst[name]):
            worst[name] = condition
    return tuple(Alarm(name, condition) for name, condition in worst.items())


def _rank(condition: AlarmCondition) -> int:
    return {AlarmCondition.SHUTDOWN: 2, AlarmCondition.WARNING: 1}.get(condition, 0)


def coils_for(
    mode: ControlMode | None, alarms: Mapping[int, bool], **status: bool
) -> list[int]:
    """The coil image a controller in `mode` with `alarms` shows (simulator)."""
    coils = [0] * COIL_BLOCK.count
    for coil, coil_mode in MODE_COILS.items():
        coils[coil] = int(coil_mode is mode)
    for coil, on in alarms.items():
        coils[coil] = int(on)
    warning = any(on and ALARM_COILS[c][1] is _WRN for c, on in alarms.items())
    shutdown = any(on and ALARM_COILS[c][1] is _SD for c, on in alarms.items())
    coils[COIL_COMMON_WARNING] = int(warning)
    coils[COIL_COMMON_SHUTDOWN] = int(shutdown)
    coils[COIL_COMMON_ALARM] = int(warning or shutdown)
    coils[COIL_MAINS_ON_LOAD] = int(status.get("mains_on_load", False))
    coils[COIL_GENERATOR_ON_LOAD] = int(status.get("generator_on_load", False))
    return coils
