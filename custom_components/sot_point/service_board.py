"""The service board in Home Assistant: the association's settings, kept.

What the association sets (a state, a note and opening hours per offered
service) is kept in Home Assistant's storage per site
(`.storage/sot_point.<entry_id>.services`, written atomically the moment it
changes, as the notice board is), so it survives a restart. What the page
shows comes from rules/services_board.py: the site's readings decide where
they can (the warm room's heater, the pump's power) and an old state falls
back to unknown.

A change is passed on at once to the entities, the info page's subscription
and the uplink, through the coordinator's listeners (runtime.py wires it).
The entities and the `set_services` action are in service_board_entities.py;
the options form's section is here, for the config flow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
import probatio as vol

from .const import DOMAIN
from .coordinator import SotPointCoordinator
from .rules.services_board import (
    CONF_LOCAL_RADIO,
    CONF_OFFERED,
    CONF_PUMP_ON_GENERATOR,
    CONF_STALE_HOURS,
    DEFAULT_STALE_HOURS,
    MAX_RADIO_LENGTH,
    SERVICES,
    STALE_HOURS_RANGE,
    BoardSettings,
    Manual,
    ServiceState,
    Shown,
    board_settings,
    carry_since,
    shown,
)
from .rules.site import SiteState

SERVICE_STORE_VERSION: Final = 1
ATTR_SERVICES: Final = "services"
ATTR_SERVICE: Final = "service"
ATTR_STATE: Final = "state"
ATTR_NOTE: Final = "note"
ATTR_HOURS: Final = "hours"

type BoardListener = Callable[[], None]


@dataclass(frozen=True, slots=True)
class Change:
    """What one call sets for one service; None leaves a part as it was.

    An empty note or hours clears it.
    """

    state: ServiceState | None = None
    note: str | None = None
    hours: str | None = None


class ServiceBoard:
    """The association's settings of one site's services, stored, with listeners."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        options: Mapping[str, Any],
    ) -> None:
        """Prepare an empty board; `async_load` reads what was kept."""
        self.settings: BoardSettings = board_settings(options)
        self._store: Store[dict[str, Any]] = Store(
            hass,
            SERVICE_STORE_VERSION,
            f"{DOMAIN}.{entry_id}.services",
            atomic_writes=True,
        )
        self._manual: dict[str, Manual] = {}
        self._shown: dict[str, Shown] = {}
        self._listeners: list[BoardListener] = []

    async def async_load(self) -> None:
        """Read the stored settings (those of services no longer offered too)."""
        stored = await self._store.async_load() or {}
        services = stored.get("services") or {}
        self._manual = {
            key: Manual.from_dict(value)
            for key, value in services.items()
            if key in SERVICES
        }

    @property
    def offered(self) -> tuple[str, ...]:
        """The services the site offers, in the page's order."""
        return self.settings.offered

    def manual(self, key: str) -> Manual:
        """What the association set for a service (nothing yet: unknown)."""
        return self._manual.get(key, Manual())

    def shown(self, site: SiteState | None, now: datetime | None = None) -> list[Shown]:
        """Every offered service as the page shows it now."""
        return [self.shown_one(key, site, now) for key in self.offered]

    def shown_one(
        self, key: str, site: SiteState | None, now: datetime | None = None
    ) -> Shown:
        """One service as the page shows it now, with since when."""
        moment = now or dt_util.utcnow()
        current = shown(key, self.manual(key), site, self.settings, moment)
        current = carry_since(self._shown.get(key), current, moment)
        self._shown[key] = current
        return current

    @callback
    def async_add_listener(self, listener: BoardListener) -> CALLBACK_TYPE:
        """Call `listener` whenever the association changes something."""
        self._listeners.append(listener)

        @callback
        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    async def async_set(self, changes: Mapping[str, Change]) -> None:
        """Set what `changes` give, all at once, keep it and tell the listeners."""
        now = dt_util.utcnow()
        for key, change in changes.items():
            self._manual[key] = self.manual(key).updated(
                now,
                state=change.state,
                note=change.note or None,
                hours=change.hours or None,
                clear_note=change.note == "",
                clear_hours=change.hours == "",
            )
        await self._store.async_save(
            {"services": {key: m.as_dict() for key, m in self._manual.items()}}
        )
        for listener in list(self._listeners):
            listener()


def site_now(coordinator: SotPointCoordinator) -> SiteState | None:
    """The site's state, or None when the last poll reached nothing."""
    return coordinator.data if coordinator.last_update_success else None


# --- The site's options ------------------------------------------------------

SERVICE_BOARD_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(CONF_OFFERED, default=list): SelectSelector(
            SelectSelectorConfig(
                options=list(SERVICES),
                multiple=True,
                translation_key="offered_service",
                mode=SelectSelectorMode.LIST,
            )
        ),
        vol.Required(CONF_PUMP_ON_GENERATOR, default=False): BooleanSelector(),
        vol.Required(CONF_STALE_HOURS, default=DEFAULT_STALE_HOURS): NumberSelector(
            NumberSelectorConfig(
                min=STALE_HOURS_RANGE[0],
                max=STALE_HOURS_RANGE[1],
                step=1,
                unit_of_measurement="h",
                mode=NumberSelectorMode.BOX,
            )
        ),
        vol.Optional(CONF_LOCAL_RADIO): TextSelector(),
    }
)


def board_form_errors(values: Mapping[str, Any]) -> dict[str, str]:
    """Errors of the options form's service board section."""
    radio = str(values.get(CONF_LOCAL_RADIO) or "").strip()
    if len(radio) > MAX_RADIO_LENGTH:
        return {"base": "local_radio_too_long"}
    return {}
