"""The service board's entities and its action, `sot_point.set_services`.

On the site's device each offered service has a select (its state as the
page shows it; choosing one sets it, also to what it was, which confirms it)
and two text entities (its note and its opening hours). The action sets
several services at once, each checked before any is set, with the same
permission as the site's other actions. The board itself is
service_board.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.components.text import (
    TextEntity,
    TextEntityDescription,
    TextMode,
)
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
import probatio as vol

from .const import DOMAIN
from .entity import SiteDevice, SotPointDescription, SotPointEntity
from .rules.services_board import (
    MAX_HOURS_LENGTH,
    MAX_NOTE_LENGTH,
    SERVICES,
    ServiceState,
    Shown,
)
from .rules.site import SiteState
from .runtime import SotPointConfigEntry, async_site_for_call, site_of
from .service_board import (
    ATTR_HOURS,
    ATTR_NOTE,
    ATTR_SERVICE,
    ATTR_SERVICES,
    ATTR_STATE,
    Change,
    ServiceBoard,
    site_now,
)

# --- Entities ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ServiceSelectDescription(SelectEntityDescription, SotPointDescription):
    """A service's state."""

    service: str


@dataclass(frozen=True, kw_only=True)
class ServiceTextDescription(TextEntityDescription, SotPointDescription):
    """A service's note or opening hours."""

    service: str
    part: str


def _select(key: str) -> ServiceSelectDescription:
    return ServiceSelectDescription(
        key=f"service_{key}",
        translation_key=f"service_{key}",
        device=SiteDevice.SITE,
        options=[state.value for state in ServiceState],
        service=key,
    )


def _text(key: str, part: str, limit: int) -> ServiceTextDescription:
    return ServiceTextDescription(
        key=f"service_{key}_{part}",
        translation_key=f"service_{key}_{part}",
        device=SiteDevice.SITE,
        native_max=limit,
        mode=TextMode.TEXT,
        service=key,
        part=part,
    )


SELECTS: Final = {key: _select(key) for key in SERVICES}
TEXTS: Final = {
    key: (
        _text(key, ATTR_NOTE, MAX_NOTE_LENGTH),
        _text(key, ATTR_HOURS, MAX_HOURS_LENGTH),
    )
    for key in SERVICES
}


def _add_offered(
    entry: SotPointConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entities: Sequence[SotPointEntity],
    not_offered: Sequence[str],
    domain: str,
) -> None:
    """Add the offered services' entities; take those of the others away."""
    registry = er.async_get(entry.runtime_data.coordinator.hass)
    for key in not_offered:
        entity_id = registry.async_get_entity_id(
            domain, DOMAIN, f"{entry.entry_id}_{key}"
        )
        if entity_id is not None:
            registry.async_remove(entity_id)
    async_add_entities(entities)


def async_add_service_selects(
    entry: SotPointConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """A state select per offered service, on the site's device."""
    coordinator = entry.runtime_data.coordinator
    offered = entry.runtime_data.services.offered
    _add_offered(
        entry,
        async_add_entities,
        [ServiceStateSelect(coordinator, SELECTS[key], None) for key in offered],
        [SELECTS[key].key for key in SERVICES if key not in offered],
        "select",
    )


def async_add_service_texts(
    entry: SotPointConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """A note and opening hours per offered service, on the site's device."""
    coordinator = entry.runtime_data.coordinator
    offered = entry.runtime_data.services.offered
    _add_offered(
        entry,
        async_add_entities,
        [
            ServiceText(coordinator, description, None)
            for key in offered
            for description in TEXTS[key]
        ],
        [d.key for key in SERVICES if key not in offered for d in TEXTS[key]],
        "text",
    )


class _ServiceEntity(SotPointEntity):
    """A service's entity: there whether or not the site's devices answer.

    What the association set holds without them; the readings only decide
    where they are there (rules/services_board.py).
    """

    @property
    def _board(self) -> ServiceBoard:
        return site_of(self.coordinator).services

    @property
    def available(self) -> bool:
        """Always: the board is the association's, not a device's."""
        return True


class ServiceStateSelect(_ServiceEntity, SelectEntity):
    """A service's state as the page shows it; choosing one sets it."""

    entity_description: ServiceSelectDescription

    def _now(self) -> Shown:
        key = self.entity_description.service
        return self._board.shown_one(key, site_now(self.coordinator))

    def _value(self, state: SiteState) -> str:
        return self._now().state.value

    @property
    def current_option(self) -> str:
        """The state the page shows."""
        return self._now().state.value

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Who decided the state, since when, and when it was last set."""
        now = self._now()
        manual = self._board.manual(self.entity_description.service)
        return {
            "source": now.source.value,
            "set_state": manual.state.value,
            "since": now.since.isoformat() if now.since else None,
            "updated": now.updated.isoformat() if now.updated else None,
        }

    async def async_select_option(self, option: str) -> None:
        """Set the service's state (also to what it was: a confirmation)."""
        change = Change(state=ServiceState(option))
        await self._board.async_set({self.entity_description.service: change})


class ServiceText(_ServiceEntity, TextEntity):
    """A service's note or opening hours, as the association wrote it."""

    entity_description: ServiceTextDescription

    def _value(self, state: SiteState) -> str:
        manual = self._board.manual(self.entity_description.service)
        value = (
            manual.note if self.entity_description.part == ATTR_NOTE else manual.hours
        )
        return value or ""

    @property
    def native_value(self) -> str:
        """The text as set; empty when there is none."""
        return self._value(self.coordinator.data)

    async def async_set_value(self, value: str) -> None:
        """Set the text; an empty one clears it."""
        text = value.strip()
        part = self.entity_description.part
        change = Change(note=text) if part == ATTR_NOTE else Change(hours=text)
        await self._board.async_set({self.entity_description.service: change})


# --- The action --------------------------------------------------------------

_ITEM = vol.Schema(
    {
        vol.Required(ATTR_SERVICE): vol.In(SERVICES),
        vol.Optional(ATTR_STATE): vol.In([state.value for state in ServiceState]),
        vol.Optional(ATTR_NOTE): vol.Any(None, cv.string),
        vol.Optional(ATTR_HOURS): vol.Any(None, cv.string),
    }
)
SET_SERVICES_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_SERVICES): vol.All(
            cv.ensure_list, [_ITEM], vol.Length(min=1)
        ),
    }
)


def _refused(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def _text_of(item: Mapping[str, Any], name: str, limit: int) -> str | None:
    """A note's or hours' text; "" clears; too long is refused."""
    if name not in item:
        return None
    text = str(item[name] or "").strip()
    if len(text) > limit:
        raise _refused(
            f"service_{name}_too_long",
            service=item[ATTR_SERVICE],
            limit=str(limit),
        )
    return text


def changes_from(
    items: Sequence[Mapping[str, Any]], board: ServiceBoard, site: str
) -> dict[str, Change]:
    """The action's items as changes, all checked before any is made."""
    changes: dict[str, Change] = {}
    for item in items:
        key = item[ATTR_SERVICE]
        if key not in board.offered:
            raise _refused("service_not_offered", service=key, site=site)
        if key in changes:
            raise _refused("service_given_twice", service=key)
        if not {ATTR_STATE, ATTR_NOTE, ATTR_HOURS} & item.keys():
            raise _refused("service_nothing_to_set", service=key)
        state = item.get(ATTR_STATE)
        changes[key] = Change(
            state=ServiceState(state) if state is not None else None,
            note=_text_of(item, ATTR_NOTE, MAX_NOTE_LENGTH),
            hours=_text_of(item, ATTR_HOURS, MAX_HOURS_LENGTH),
        )
    return changes


async def _async_set_services(
    hass: HomeAssistant, call: ServiceCall
) -> ServiceResponse:
    entry = await async_site_for_call(hass, call)
    board = entry.runtime_data.services
    changes = changes_from(call.data[ATTR_SERVICES], board, entry.title)
    await board.async_set(changes)
    site = site_now(entry.runtime_data.coordinator)
    return {ATTR_SERVICES: [service.as_dict() for service in board.shown(site)]}


@callback
def async_setup_service_board_services(hass: HomeAssistant) -> None:
    """Register `set_services`."""

    async def set_services(call: ServiceCall) -> ServiceResponse:
        return await _async_set_services(hass, call)

    hass.services.async_register(
        DOMAIN,
        "set_services",
        set_services,
        schema=SET_SERVICES_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
