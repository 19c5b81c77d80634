"""How the controller's named values are written in states, records and keys."""

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
