"""How values are written: named values as keys, figures for people to read."""

from __future__ import annotations

from enum import Enum
from typing import overload


@overload
def word(value: Enum) -> str: ...
@overload
def word(value: Enum | None) -> str | None: ...
def word(value: Enum | None) -> str | None:
    """ControlMode.AUTO -> "auto": an enum member as a state, record or key."""
    return None if value is None else value.name.lower()


def number(value: float, language: str, decimals: int = 1) -> str:
    """A figure as its reader writes it: 3.40 -> "3,4" in Swedish, "3.4" in English.

    At most `decimals` decimals and no needless zeros (12.0 -> "12"); the
    decimal mark is the language's, as Home Assistant's own pages show it.
    The blueprints' messages write their figures by the same rule in Jinja:
    `('%.1f' | format(x)).rstrip('0').rstrip('.') | replace('.', ',')`.
    """
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text.replace(".", ",") if language == "sv" else text


def quantity(value: float, unit: str, language: str, decimals: int = 1) -> str:
    """A figure with its unit, "0,2 L" for 0.25 litres in Swedish."""
    return f"{number(value, language, decimals)} {unit}"
