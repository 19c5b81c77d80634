"""The add-on reads the values the integration writes, and docs/status.md names them.

The add-on is installed apart from the integration and cannot import it, so it
declares the status object's enums again. A value added on one side only would
make the add-on refuse every status object carrying it. Order does not matter:
the add-on only compares members, never sorts or indexes them.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
import re

import pytest

from custom_components.sot_point.rules.notice import Importance
from custom_components.sot_point.rules.services_board import (
    SERVICES,
    ServiceState,
    Source,
)
from custom_components.sot_point.rules.site import SiteMode
from sot_infopoint import status as addon

STATUS_DOC = Path(__file__).resolve().parents[2] / "docs" / "status.md"


def _values(enum: type[StrEnum]) -> set[str]:
    return {member.value for member in enum}


def _documented(key: str) -> set[str]:
    """The backquoted values in the description of `key` in the fields table."""
    rows = [
        line
        for line in STATUS_DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"| `{key}` |")
    ]
    assert len(rows) == 1, f"docs/status.md has no single row for {key}"
    description = rows[0].split("|")[3]
    return set(re.findall(r"`([^`]+)`", description))


def test_modes_match() -> None:
    """The add-on knows every mode the integration puts in the status object."""
    assert _values(addon.Mode) == _values(SiteMode)


def test_importances_match() -> None:
    """The add-on knows every importance a notice can have."""
    assert _values(addon.Importance) == _values(Importance)


def test_the_service_board_matches() -> None:
    """The add-on knows every service, state and source of the board, in order."""
    assert addon.BOARD_SERVICES == SERVICES
    assert _values(addon.ServiceState) == _values(ServiceState)
    assert _values(addon.Source) == _values(Source)
    assert _documented("services") == set(SERVICES)
    # Each source is explained with the action or state it names.
    assert _values(Source) <= _documented("services[].source")


@pytest.mark.parametrize(
    ("key", "enum"),
    [
        ("mode", SiteMode),
        ("notices[].importance", Importance),
        ("services[].state", ServiceState),
    ],
)
def test_values_are_documented(key: str, enum: type[StrEnum]) -> None:
    """docs/status.md lists exactly the values the integration writes."""
    assert _documented(key) == _values(enum)
