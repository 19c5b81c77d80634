"""Fixtures for the hardware-layer tests.

The hardware package never imports Home Assistant, so these tests do not start
one: the suite-wide autouse fixture that enables custom integrations (and with
it a `hass` instance per test) is replaced here by one that does nothing.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No Home Assistant instance for plain codec, profile and interlock tests."""
