"""What a probe found, in words a technician reads: names, units, conditions.

`lines` gives one (key, label, text) per value, in the order read: "Control
mode: Auto", "Engine: Stopped", "Battery: 13.2 V", the control functions by
name, each active alarm with its condition, a sentinel in words ("transducer
fault"), the transfer switch's and the I/O module's codes by name.

`plain` gives the same as JSON-ready data. A coded value carries its code,
its `name` (a stable, language-free identifier: the enum's name, the state
Home Assistant's sensor takes) and its `text` in the chosen language; a
measurement carries its unit. `changes` compares two reads, for `--watch`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from .probe_words import (
    ATS,
    FLAGS,
    FUNCTIONS,
    LABELS,
    LOOP_FAULTS,
    PHRASES,
    UNAVAILABLE,
    Lang,
    alarm_name,
    condition_name,
    state_name,
    word,
)
from .profiles import ats, dse_gencomm as dse, generic_io as io
from .registers import RegisterSpec
from .state import AlarmCondition, ControlMode, EngineState, StatusFlag

# The I/O module as the probe reads it: the common module's addresses and
# scaling (µA in input register 0, °C x 10 in input register 1).
IO_MODULE: Final = io.IoModuleConfig()
_SPECS: Final[Mapping[str, RegisterSpec]] = {
    spec.key: spec
    for spec in (
        *dse.ALL_VALUE_SPECS,
        *dse.IDENTITY_SPECS,
        *ats.STATUS_SPECS,
        *(s for s in (IO_MODULE.temperature_spec(),) if s is not None),
    )
}
# Seconds on the wire, read better as hours or as a date.
_HOURS: Final = frozenset({"run_time", "time_to_maintenance"})
_DATES: Final = frozenset({"controller_clock", "maintenance_due_at"})
_ENUMS: Final[Mapping[str, type[ControlMode] | type[EngineState]]] = {
    "control_mode": ControlMode,
    "engine_state": EngineState,
}
_SOURCES: Final = {
    ats.SOURCE_BELOW_THRESHOLD: "below_threshold",
    ats.SOURCE_PRESENT: "present",
    ats.SOURCE_AVAILABLE: "available",
}
# The transfer switch's codes by name; the words are probe_words.ATS.
_ATS_CODES: Final[Mapping[str, Mapping[int, str]]] = {
    "network": {ats.NETWORK_127_230: "127_230", ats.NETWORK_230_400: "230_400"},
    "mode": {
        ats.MODE_MANUAL: "manual",
        ats.MODE_AUTO: "auto",
        ats.MODE_REMOTE: "remote",
        ats.MODE_INHIBIT: "inhibit",
    },
    "position": {code: position.value for code, position in ats.POSITIONS.items()},
    "source1_state": _SOURCES,
    "source2_state": _SOURCES,
}
# Manufacturer codes at GenComm register 768: (name, said the same in both).
_MANUFACTURERS: Final = {dse.MANUFACTURER_DSE: ("dse", "Deep Sea Electronics")}
_CODED: Final = frozenset({*_ENUMS, *_ATS_CODES, "manufacturer_code"})
type Line = tuple[str, str, str]


def lines(values: Mapping[str, Any], lang: Lang) -> list[Line]:
    """(key, label, value in words) for every value read."""
    return [
        (key, word(LABELS, key, lang), _text(key, value, lang))
        for key, value in values.items()
    ]


def plain(values: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    """The values as JSON: codes with name and text, measurements with unit."""
    return {key: _plain(key, value, lang) for key, value in values.items()}


def changes(
    shown: Mapping[str, Any],
    now: Mapping[str, Any],
    lang: Lang,
    *,
    every: bool = False,
) -> list[tuple[str, str, str, str]]:
    """(key, label, old text, new text) for each value that moved.

    `shown` holds the values as last shown. A measurement moves when it leaves
    its noise band around that value (`every`: when its text changes), so
    the mains' ±1 V flicker stays quiet while a slow drift still shows once
    it adds up. The controller's clock runs and is no change.
    """
    moved = []
    for key, value in now.items():
        if key in _RUNNING or key not in shown:
            continue
        old = _text(key, shown[key], lang)
        new = _text(key, value, lang)
        if old != new and (every or _beyond_noise(key, shown[key], value)):
            moved.append((key, word(LABELS, key, lang), old, new))
    return moved


def _beyond_noise(key: str, old: Any, new: Any) -> bool:
    numbers = (int, float)
    if isinstance(old, bool) or not (
        isinstance(old, numbers) and isinstance(new, numbers)
    ):
        return True
    spec = _SPECS.get(key)
    band = _NOISE.get(key, _NOISE.get(spec.unit or "", 0) if spec else 0)
    return abs(new - old) >= band


# What a reading may wander between two reads without anything happening:
# a little over the simulator's and a real controller's flicker, by unit,
# with the DC voltages, which move less, apart.
_NOISE: Final[Mapping[str, float]] = {
    "V": 2.0,
    "A": 0.5,
    "W": 200,
    "Hz": 0.2,
    "°C": 1,
    "kPa": 10,
    "rpm": 20,
    "%": 1,
    "kWh": 1,
    "battery_voltage": 0.2,
    "charge_alternator_voltage": 0.2,
    "time_to_maintenance": 3600,
    "tank_level_raw": 100,  # µA: 0.1 mA of a 16 mA span
}
_RUNNING: Final = frozenset({"controller_clock"})


def say(key: str, lang: Lang, **values: Any) -> str:
    """A phrase of the probe's own, filled in."""
    return word(PHRASES, key, lang).format(**values)


def _text(key: str, value: Any, lang: Lang) -> str:
    if isinstance(value, str) and value in UNAVAILABLE:
        return word(UNAVAILABLE, value, lang)
    if key in _CODED:
        return _coded_text(key, value, lang)
    special = _SPECIAL.get(key)
    if special is not None:
        return special(value, lang)
    if isinstance(value, bool):
        return say("on" if value else "off", lang)
    return _measure(key, value, lang)


def _coded_text(key: str, code: Any, lang: Lang) -> str:
    name = _code_name(key, code)
    if key == "manufacturer_code":
        if name is None:
            return str(code)
        return say("named_code", lang, name=_code_text(key, name, lang), code=code)
    if name is None:
        return say("unknown_code", lang, code=code)
    return _code_text(key, name, lang)


def _code_name(key: str, code: Any) -> str | None:
    """A coded value's stable name; None for a code the map does not know."""
    if key in _ENUMS:
        try:
            return _ENUMS[key](int(code)).name.lower()
        except ValueError:
            return None
    if key in _ATS_CODES:
        return _ATS_CODES[key].get(int(code))
    if key == "manufacturer_code" and code in _MANUFACTURERS:
        return _MANUFACTURERS[code][0]
    return None


def _code_text(key: str, name: str, lang: Lang) -> str:
    """A coded value's name in words: the integration's own where it has one."""
    if key in _ENUMS:
        return state_name(lang, key, name)
    if key == "position" and name != "unknown":
        return state_name(lang, "transfer_position", name)
    if key == "manufacturer_code":
        return next(text for code, text in _MANUFACTURERS.values() if code == name)
    return word(ATS, name, lang)


def _function(code: int, lang: Lang) -> str:
    try:
        name = dse.ControlKey(code).name.lower()
    except ValueError:
        return say("unknown_code", lang, code=code)
    return word(FUNCTIONS, name, lang)


def _alarms(alarms: Mapping[str, str], lang: Lang) -> str:
    if not alarms:
        return say("no_alarms", lang)
    return "; ".join(
        f"{_alarm(name, lang)}: {condition_name(lang, condition)}"
        for name, condition in alarms.items()
    )


def _alarm(alarm: str, lang: Lang) -> str:
    """An alarm's name; a generator's "Low voltage" says it is the generator's.

    The binary sensors sit on the generator's device, so their names leave
    the generator out; on one list beside the mains' alarms it must be said.
    """
    name = alarm_name(lang, alarm)
    if alarm.startswith("generator_") and "generator" not in name.lower():
        return say("generator_alarm", lang, name=name)
    return name


def _flag_names(flags: int) -> list[str]:
    return [flag.name.lower() for flag in StatusFlag if flag.name and flags & flag]


def _flags_text(flags: int, lang: Lang) -> str:
    names = [word(FLAGS, name, lang) for name in _flag_names(flags)]
    return ", ".join(names) or say("none", lang)


def _loop(raw: int, lang: Lang) -> str:
    """The tank transmitter's raw reading, its loop current, a fault in words."""
    milliamps = raw / IO_MODULE.level_raw_per_ma
    shown = _number(round(milliamps, 2), lang, places=2)
    fault = io.loop_fault(milliamps)
    if fault is None:
        return say("loop", lang, raw=raw, milliamps=shown)
    fault_text = word(LOOP_FAULTS, fault.value, lang)
    return say("loop_fault", lang, raw=raw, milliamps=shown, fault=fault_text)


def _measure(key: str, value: Any, lang: Lang) -> str:
    if not isinstance(value, int | float):
        return str(value)
    if key == "time_to_maintenance" and value < 0:
        return say("overdue", lang, value=_number(-value / 3600, lang))
    if key in _HOURS:
        return say("hours", lang, value=_number(value / 3600, lang))
    if key in _DATES:
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M UTC")
    spec = _SPECS.get(key)
    unit = f" {spec.unit}" if spec is not None and spec.unit else ""
    return f"{_number(value, lang)}{unit}"


_SPECIAL: Final[Mapping[str, Callable[[Any, Lang], str]]] = {
    "supported_functions": lambda codes, lang: (
        ", ".join(_function(code, lang) for code in codes) or say("none", lang)
    ),
    "alarms": _alarms,
    "status_flags": lambda flags, lang: (
        f"{_flags_text(int(flags), lang)} (0x{int(flags):04x})"
    ),
    "tank_level_raw": lambda raw, lang: _loop(int(raw), lang),
}


def _number(value: float, lang: Lang, places: int = 1) -> str:
    text = f"{value:.{places}f}" if isinstance(value, float) else str(value)
    return text.replace(".", ",") if lang == "sv" else text


def _plain(key: str, value: Any, lang: Lang) -> Any:
    spec = _SPECS.get(key)
    unit = {"unit": spec.unit} if spec is not None and spec.unit else {}
    if isinstance(value, str) and value in UNAVAILABLE:
        text = word(UNAVAILABLE, value, lang)
        return {"value": None, **unit, "unavailable": value, "text": text}
    if key in _CODED:
        name = _code_name(key, value)
        # The manufacturer's name alone here, without the code beside it.
        text = (
            _coded_text(key, value, lang)
            if name is None
            else _code_text(key, name, lang)
        )
        return {"code": value, "name": name, "text": text}
    special = _PLAIN.get(key)
    if special is not None:
        return special(value, lang)
    if unit and isinstance(value, int | float):
        return {"value": value, **unit}
    return value


def _plain_function(code: int, lang: Lang) -> dict[str, Any]:
    try:
        name: str | None = dse.ControlKey(code).name.lower()
    except ValueError:
        name = None
    return {"code": code, "name": name, "text": _function(code, lang)}


def _plain_alarm(alarm: str, condition: str, lang: Lang) -> dict[str, Any]:
    return {
        "name": alarm,
        "text": _alarm(alarm, lang),
        "condition": {
            "code": int(AlarmCondition[condition.upper()]),
            "name": condition,
            "text": condition_name(lang, condition),
        },
    }


def _plain_flags(flags: int, lang: Lang) -> dict[str, Any]:
    return {
        "code": flags,
        "names": _flag_names(flags),
        "text": _flags_text(flags, lang),
    }


def _plain_loop(raw: int, lang: Lang) -> dict[str, Any]:
    milliamps = round(raw / IO_MODULE.level_raw_per_ma, 3)
    fault = io.loop_fault(milliamps)
    return {
        "value": raw,
        "milliamps": milliamps,
        "loop_fault": None
        if fault is None
        else {"name": fault.value, "text": word(LOOP_FAULTS, fault.value, lang)},
    }


_PLAIN: Final[Mapping[str, Callable[[Any, Lang], Any]]] = {
    "supported_functions": lambda codes, lang: [
        _plain_function(code, lang) for code in codes
    ],
    "alarms": lambda alarms, lang: [
        _plain_alarm(alarm, condition, lang) for alarm, condition in alarms.items()
    ],
    "status_flags": lambda flags, lang: _plain_flags(int(flags), lang),
    "tank_level_raw": lambda raw, lang: _plain_loop(int(raw), lang),
}
