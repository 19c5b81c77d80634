"""A site's safety state, on disk the moment it changes.

Two things must outlive a crash, a reload and a disabled entity: the
maintenance lock (it refuses starts while someone has their hands in the
set) and the end of a test run (without it a restart leaves the controller
in Test or Manual for good). `SiteControl` owns both; this module only keeps
them, in Home Assistant's storage under "sot_point.<entry id>.safety",
written at once and atomically (a temporary file renamed over the old one),
never with a delay as the fuel estimate is.

Stored data, version 1:

    {"maintenance": true, "test_run_end": "2026-05-01T10:30:00+00:00"}

`test_run_end` (UTC, ISO 8601) is null when no test run is going on or
waiting to be ended.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from homeassistant.const import STATE_ON, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, restore_state
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .rules.records import parse_time

SAFETY_STORE_VERSION: Final = 1
# The maintenance lock switch's description key; with the entry id, its
# unique id (see SotPointEntity), by which its restore state is found.
MAINTENANCE_LOCK_KEY: Final = "maintenance_lock"


def safety_store_key(entry_id: str) -> str:
    """The storage key of one site's safety state."""
    return f"{DOMAIN}.{entry_id}.safety"


@dataclass(frozen=True, slots=True)
class SafetyState:
    """The maintenance lock and the end of the test run going on, if any."""

    maintenance: bool = False
    test_run_end: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """As stored."""
        end = self.test_run_end
        return {
            "maintenance": self.maintenance,
            "test_run_end": end.isoformat() if end is not None else None,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SafetyState:
        """Back from `as_dict`."""
        end: datetime | None = None
        if (stored_end := raw.get("test_run_end")) is not None:
            try:
                end = parse_time(stored_end)
            except ValueError:
                # A run whose end cannot be read is ended now, not never.
                LOGGER.warning("Unreadable test run end %r: ending it now", stored_end)
                end = dt_util.utcnow()
        return cls(maintenance=raw.get("maintenance") is True, test_run_end=end)


class SafetyStore:
    """Keeps one site's SafetyState in Home Assistant's storage."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the store of the site `entry_id`; `async_load` reads it."""
        self._hass = hass
        self._entry_id = entry_id
        self._store: Store[dict[str, Any]] = Store(
            hass,
            SAFETY_STORE_VERSION,
            safety_store_key(entry_id),
            atomic_writes=True,
        )
        self.loaded = SafetyState()

    async def async_load(self) -> SafetyState:
        """Read the stored state (also kept as `loaded`)."""
        stored = await self._store.async_load()
        if stored is not None:
            self.loaded = SafetyState.from_dict(stored)
            return self.loaded
        # Never stored: the first start since this store came. The lock was
        # kept by its switch's restore state until then, so a lock that was
        # on before the update is taken from there, once; from now on the
        # store is the only place, and the switch restores nothing.
        self.loaded = SafetyState(maintenance=self._lock_from_restore_state())
        if self.loaded.maintenance:
            LOGGER.info("Maintenance lock taken over from its switch: on")
        await self.async_save(self.loaded)
        return self.loaded

    async def async_save(self, state: SafetyState) -> None:
        """Write `state` now."""
        await self._store.async_save(state.as_dict())

    def _lock_from_restore_state(self) -> bool:
        entity_id = er.async_get(self._hass).async_get_entity_id(
            Platform.SWITCH, DOMAIN, f"{self._entry_id}_{MAINTENANCE_LOCK_KEY}"
        )
        if entity_id is None:
            return False
        stored = restore_state.async_get(self._hass).last_states.get(entity_id)
        return stored is not None and stored.state.state == STATE_ON
