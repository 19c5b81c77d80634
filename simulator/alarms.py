"""The controller's alarm slots: one 4-bit condition per named alarm.

Shutdowns and electrical trips latch until a reset finds their cause gone;
warnings follow their cause (assumption: DSE lets each alarm be configured
latched or not, and unlatched warnings are the common default).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from custom_components.sot_point.hardware.profiles import dse_gencomm
from custom_components.sot_point.hardware.registers import encode_nibbles
from custom_components.sot_point.hardware.state import AlarmCondition, StatusFlag

_LATCHING = frozenset(
    {
        AlarmCondition.SHUTDOWN,
        AlarmCondition.ELECTRICAL_TRIP,
        AlarmCondition.CONTROLLED_SHUTDOWN,
    }
)
_IMMEDIATE = frozenset({AlarmCondition.SHUTDOWN, AlarmCondition.CONTROLLED_SHUTDOWN})
_FLAG_FOR: dict[AlarmCondition, StatusFlag] = {
    AlarmCondition.WARNING: StatusFlag.WARNING,
    AlarmCondition.SHUTDOWN: StatusFlag.SHUTDOWN,
    AlarmCondition.ELECTRICAL_TRIP: StatusFlag.ELECTRICAL_TRIP,
    AlarmCondition.CONTROLLED_SHUTDOWN: StatusFlag.CONTROLLED_SHUTDOWN,
}


@dataclass(slots=True)
class AlarmTable:
    """Alarm slots of one controller, in the order its alarm page lists them."""

    model_code: int
    # Slot names in page order, from the shared profile.
    names: tuple[str, ...] = field(init=False)
    codes: dict[str, AlarmCondition] = field(init=False)

    def __post_init__(self) -> None:
        """Start with every slot inactive."""
        self.names = dse_gencomm.alarm_names(self.model_code)
        self.codes = dict.fromkeys(self.names, AlarmCondition.NOT_ACTIVE)

    def condition(self, name: str) -> AlarmCondition:
        """The slot's condition now."""
        return self.codes[self._known(name)]

    def is_active(self, name: str) -> bool:
        """Whether the slot holds a raised alarm."""
        return self.condition(name).active

    def raise_alarm(self, name: str, condition: AlarmCondition) -> None:
        """Raise (or escalate) an alarm; a latched shutdown is never downgraded."""
        current = self.codes[self._known(name)]
        if current in _LATCHING and condition not in _LATCHING:
            return
        self.codes[name] = condition

    def follow_warning(self, name: str, present: bool) -> None:
        """Raise or clear an unlatched warning as its cause comes and goes."""
        current = self.condition(name)
        if current in _LATCHING:
            return
        self.codes[name] = (
            AlarmCondition.WARNING if present else AlarmCondition.NOT_ACTIVE
        )

    def reset(self, cause_present: Callable[[str], bool]) -> None:
        """Clear every raised alarm whose cause has gone."""
        for name, code in self.codes.items():
            if code.active and not cause_present(name):
                self.codes[name] = AlarmCondition.NOT_ACTIVE

    @property
    def stopping(self) -> bool:
        """A shutdown-class alarm is raised: the set must not run or start."""
        return any(code.stops_engine for code in self.codes.values())

    @property
    def immediate_stop(self) -> bool:
        """A shutdown that stops the engine at once, without cooling down.

        An electrical trip only opens the generator breaker; the set then cools
        down before it stops.
        """
        return any(code in _IMMEDIATE for code in self.codes.values())

    def status_flags(self) -> StatusFlag:
        """Register 774's alarm bits, consistent with the slots."""
        flags = StatusFlag(0)
        for code in self.codes.values():
            flags |= _FLAG_FOR.get(code, StatusFlag(0))
        return flags

    def page_words(self) -> list[int]:
        """The alarm page: the slot count, then the packed 4-bit codes."""
        codes = [int(self.codes[name]) for name in self.names]
        return [len(codes), *encode_nibbles(codes)]

    def active_names(self) -> list[str]:
        """Names of the raised alarms, for status lines."""
        return [name for name, code in self.codes.items() if code.active]

    def _known(self, name: str) -> str:
        if name not in self.codes:
            msg = f"no alarm slot {name!r} on model {self.model_code}"
            raise KeyError(msg)
        return name
