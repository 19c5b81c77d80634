"""What a probe found, in words a technician reads: names, units, conditions.

`lines` gives one (key, label, text) per value, in the order read: "Control
mode: Auto", "Engine: stopped", "Battery: 13.2 V", the control functions by
name, each active alarm with its condition, and a sentinel in words
("transducer fault"). `plain` gives the same as JSON-ready data, each enum
with its code and name, each measurement with its unit. `changes` compares
two reads, for `--watch`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from .probe_words import (
    FUNCTIONS,
    LABELS,
    PHRASES,
    UNAVAILABLE,
    Lang,
    alarm_name,
    condition_name,
    state_name,
    word,
)
from .profiles import ats, dse_gencomm as dse
from .registers import RegisterSpec
from .state import ControlMode, EngineState, StatusFlag

_SPECS: Final[Mapping[str, RegisterSpec]] = {
    spec.key: spec
    for spec in (*dse.ALL_VALUE_SPECS, *dse.IDENTITY_SPECS, *ats.STATUS_SPECS)
}
# Seconds on the wire, read better as hours or as a date.
_HOURS: Final = frozenset({"run_time", "time_to_maintenance"})
_DATES: Final = frozenset({"controller_clock", "maintenance_due_at"})
_ENUMS: Final[Mapping[str, type[ControlMode] | type[EngineState]]] = {
    "control_mode": ControlMode,
    "engine_state": EngineState,
}
type Line = tuple[str, str, str]


def lines(values: Mapping[str, Any], lang: Lang) -> list[Line]:
    """(key, label, value in words) for every value read."""
    return [
        (key, word(LABELS, key, lang), _text(key, value, lang))
        for key, value in values.items()
    ]


def plain(values: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    """The values as JSON: enums with code and name, measurements with unit."""
    return {key: _plain(key, value, lang) for key, value in values.items()}


def changes(
    before: Sequence[Line], after: Sequence[Line]
) -> list[tuple[str, str, str]]:
    """(label, old text, new text) for every value whose text changed."""
    old = {key: text for key, _label, text in before}
    return [
        (label, old.get(key, ""), text)
        for key, label, text in after
        if old.get(key) != text
    ]


def say(key: str, lang: Lang, **values: Any) -> str:
    """A phrase of the probe's own, filled in."""
    return word(PHRASES, key, lang).format(**values)


def _text(key: str, value: Any, lang: Lang) -> str:
    if isinstance(value, str) and value in UNAVAILABLE:
        return word(UNAVAILABLE, value, lang)
    if key in _ENUMS:
        return _enum_name(key, value, lang)
    special = _SPECIAL.get(key)
    if special is not None:
        return special(value, lang)
    if isinstance(value, bool):
        return say("on" if value else "off", lang)
    return _measure(key, value, lang)


def _enum_name(key: str, code: Any, lang: Lang) -> str:
    try:
        member = _ENUMS[key](int(code))
    except ValueError:
        return say("unknown_code", lang, code=code)
    return state_name(lang, key, member.name.lower())


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
        f"{alarm_name(lang, name)}: {condition_name(lang, condition)}"
        for name, condition in alarms.items()
    )


def _flags(flags: int) -> str:
    names = [flag.name.lower() for flag in StatusFlag if flag.name and flags & flag]
    return f"0x{flags:04x}" + (f" ({', '.join(names)})" if names else "")


def _measure(key: str, value: Any, lang: Lang) -> str:
    if not isinstance(value, int | float):
        return str(value)
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
    "status_flags": lambda flags, _lang: _flags(int(flags)),
}


def _number(value: float, lang: Lang) -> str:
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    return text.replace(".", ",") if lang == "sv" else text


def _plain(key: str, value: Any, lang: Lang) -> Any:
    if isinstance(value, str) and value in UNAVAILABLE:
        return {
            "value": None,
            "unavailable": value,
            "name": word(UNAVAILABLE, value, lang),
        }
    if key in _ENUMS:
        return {"code": value, "name": _enum_name(key, value, lang)}
    if key == "supported_functions":
        return [{"code": code, "name": _function(code, lang)} for code in value]
    if key == "alarms":
        return [
            {
                "alarm": name,
                "name": alarm_name(lang, name),
                "condition": condition,
                "condition_name": condition_name(lang, condition),
            }
            for name, condition in value.items()
        ]
    spec = _SPECS.get(key)
    if spec is not None and spec.unit and isinstance(value, int | float):
        return {"value": value, "unit": spec.unit}
    return value
