"""Scenarios: a site's starting state and a timeline of events, as TOML data.

A scenario file looks like this::

    name = "storm"
    description = "..."
    [initial]
    mode = "auto"            # stop, auto, manual, test_on_load, test_off_load, ...
    tank_litres = 180        # or tank_percent
    outdoor_temperature = -18
    room_temperature = 17
    heater_on = true
    [[events]]
    at = "30s"               # seconds, or "6h", "1h30m", "6h 30s"
    action = "mains_lost"    # any name in simulator.site.ACTIONS
    [[events]]
    at = 0
    action = "failed_cranks"
    count = 1                # the action's parameters sit beside it

Files live in simulator/scenarios/; `load_scenario` takes a name from there or
a path to any file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
import re
import tomllib
from typing import cast

from custom_components.sot_point.hardware.state import ControlMode

from .config import SiteConfig
from .site import Event, Param, Site, check_action

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0}
_INITIAL_KEYS = frozenset(
    {
        "mode",
        "tank_litres",
        "tank_percent",
        "outdoor_temperature",
        "room_temperature",
        "heater_on",
        "mains",
    }
)


class ScenarioError(ValueError):
    """A scenario file that cannot be used as it is."""


@dataclass(frozen=True, slots=True)
class Initial:
    """The site's state at t = 0."""

    mode: ControlMode = ControlMode.AUTO
    tank_litres: float | None = None
    tank_percent: float | None = None
    outdoor_temperature: float = -5.0
    room_temperature: float = 18.0
    heater_on: bool = False
    mains: bool = True


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named starting state and timeline."""

    name: str
    description: str = ""
    initial: Initial = field(default_factory=Initial)
    events: tuple[Event, ...] = ()

    def build(self, config: SiteConfig | None = None, seed: int = 0) -> Site:
        """A fresh site in this scenario's initial state, timeline scheduled."""
        site = Site(config, seed=seed)
        self.apply_initial(site)
        for event in self.events:
            site.schedule(event)
        return site

    def apply_initial(self, site: Site) -> None:
        """Put `site` into the initial state."""
        initial = self.initial
        site.set_outdoor_temperature(initial.outdoor_temperature)
        site.set_room_temperature(initial.room_temperature)
        if initial.tank_litres is not None:
            site.set_tank_litres(initial.tank_litres)
        elif initial.tank_percent is not None:
            site.set_tank_litres(site.tank.capacity_l * initial.tank_percent / 100)
        if not initial.mains:
            site.lose_mains()
        site.set_heater(initial.heater_on)
        site.set_mode(initial.mode)


def parse_duration(value: float | str) -> float:
    """Seconds from a number or a text like "6h", "1h30m", "6h 30s", "90"."""
    if isinstance(value, int | float):
        return float(value)
    text = value.strip().lower()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or _DURATION_PART.sub("", text).strip():
        msg = f"not a duration: {value!r} (use seconds, or e.g. '6h', '1h30m')"
        raise ScenarioError(msg)
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped in simulator/scenarios/."""
    folder = _folder()
    return sorted(
        Path(entry.name).stem
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name, or a scenario file by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        return parse_scenario(tomllib.loads(path.read_text("utf-8")), path.stem)
    name = str(name_or_path)
    resource = _folder() / f"{name}.toml"
    if not resource.is_file():
        known = ", ".join(list_scenarios())
        msg = f"no scenario {name!r} (known: {known})"
        raise ScenarioError(msg)
    return parse_scenario(tomllib.loads(resource.read_text("utf-8")), name)


def _folder() -> resources.abc.Traversable:
    return resources.files("simulator") / "scenarios"


def parse_scenario(data: Mapping[str, object], default_name: str) -> Scenario:
    """Build a Scenario from parsed TOML, checking every event's action."""
    initial = _parse_initial(_table(data.get("initial", {}), "initial"))
    raw_events = data.get("events", [])
    if not isinstance(raw_events, list):
        msg = "events must be an array of tables ([[events]])"
        raise ScenarioError(msg)
    events = tuple(
        sorted(
            (_parse_event(_table(e, "event")) for e in raw_events),
            key=lambda e: e.at,
        )
    )
    return Scenario(
        name=str(data.get("name", default_name)),
        description=str(data.get("description", "")),
        initial=initial,
        events=events,
    )


def _table(value: object, what: str) -> dict[str, object]:
    if not isinstance(value, dict):
        msg = f"{what} must be a table"
        raise ScenarioError(msg)
    return cast(dict[str, object], value)


def _parse_initial(table: dict[str, object]) -> Initial:
    unknown = set(table) - _INITIAL_KEYS
    if unknown:
        msg = f"unknown initial keys: {sorted(unknown)}"
        raise ScenarioError(msg)
    mode = str(table.get("mode", "auto")).upper()
    if mode not in ControlMode.__members__:
        msg = f"unknown mode {mode.lower()!r}"
        raise ScenarioError(msg)
    return Initial(
        mode=ControlMode[mode],
        tank_litres=_optional_float(table.get("tank_litres")),
        tank_percent=_optional_float(table.get("tank_percent")),
        outdoor_temperature=_float(table.get("outdoor_temperature", -5.0)),
        room_temperature=_float(table.get("room_temperature", 18.0)),
        heater_on=bool(table.get("heater_on", False)),
        mains=bool(table.get("mains", True)),
    )


def _parse_event(table: dict[str, object]) -> Event:
    table = dict(table)
    if "at" not in table or "action" not in table:
        msg = f"an event needs 'at' and 'action': {table}"
        raise ScenarioError(msg)
    at = table.pop("at")
    if not isinstance(at, int | float | str):
        msg = f"bad event time {at!r}"
        raise ScenarioError(msg)
    action = str(table.pop("action"))
    params = cast(dict[str, Param], table)
    try:
        check_action(action, params)
    except ValueError as err:
        raise ScenarioError(str(err)) from err
    return Event(parse_duration(at), action, params)


def _float(value: object) -> float:
    if not isinstance(value, int | float):
        msg = f"expected a number, got {value!r}"
        raise ScenarioError(msg)
    return float(value)


def _optional_float(value: object) -> float | None:
    return None if value is None else _float(value)
