"""Binary sensors of a SOT point: running, mains, alarms, outage, heater relay."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SUBENTRY_GENERATOR, SUBENTRY_IO_MODULE
from .entity import IoInput, SiteDevice, SotPointDescription, SotPointEntity
from .entity_setup import add_entities_by_source, add_entities_once_reported
from .hardware.state import AlarmCondition
from .region.entities import async_setup_region_binary_sensors
from .rules.region import is_region
from .rules.site import SiteState
from .rules.words import word
from .runtime import SotPointConfigEntry, SotPointData

PARALLEL_UPDATES = 0

# Alarms that matter to the association whatever the site; the rest of the
# controller's named alarms are created disabled, for the technician.
PROMINENT_ALARMS = frozenset(
    {
        "emergency_stop",
        "low_oil_pressure",
        "high_coolant_temperature",
        "fail_to_start",
        "fail_to_stop",
        "low_fuel_level",
        "battery_low_voltage",
        "charge_alternator_failure",
        "generator_high_current",
        "over_speed",
    }
)


@dataclass(frozen=True, kw_only=True)
class SotPointBinarySensorDescription(
    BinarySensorEntityDescription, SotPointDescription
):
    """A binary sensor read from the site's state."""

    value_fn: Callable[[SiteState], bool | None]


@dataclass(frozen=True, kw_only=True)
class SotPointWatchDescription(SotPointBinarySensorDescription):
    """A binary sensor of what the site's watches conclude over time.

    Readiness and rolling outages are not in one SiteState: the watches
    (site_readiness.py, site_watch.py) keep them in the site's runtime data,
    updated before the entities see each state.
    """

    value_fn: Callable[[SiteState], bool | None] = lambda _state: None
    watch_fn: Callable[[SotPointData], bool | None]
    watch_attributes_fn: Callable[[SotPointData], Mapping[str, Any]]


def _readiness_attributes(site: SotPointData) -> Mapping[str, Any]:
    readiness = site.readiness.current
    return {"causes": [cause.value for cause in readiness.causes], **readiness.details}


def _rolling_attributes(site: SotPointData) -> Mapping[str, Any]:
    return {} if site.rolling is None else site.rolling.as_data()


WATCH_SENSORS: tuple[SotPointWatchDescription, ...] = (
    # On when nothing is known to stop the set starting on the next outage;
    # the causes say what to look at (and each has its repair issue).
    SotPointWatchDescription(
        key="ready_to_start",
        translation_key="ready_to_start",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        watch_fn=lambda site: site.readiness.current.ready,
        watch_attributes_fn=_readiness_attributes,
    ),
    SotPointWatchDescription(
        key="rolling_outages",
        translation_key="rolling_outages",
        device=SiteDevice.SITE,
        watch_fn=lambda site: None if site.rolling is None else site.rolling.active,
        watch_attributes_fn=_rolling_attributes,
    ),
)


def _alarm_active(state: SiteState) -> bool | None:
    generator = state.generator
    if generator is None or generator.alarms is None:
        return None
    return bool(generator.active_alarms) or generator.has_stopping_alarm


def _alarm_attributes(state: SiteState) -> Mapping[str, Any]:
    generator = state.generator
    if generator is None:
        return {}
    return {"alarms": {a.key: word(a.condition) for a in generator.active_alarms}}


# The states' words are the entities' own (strings.json, entity.binary_sensor.
# <key>.state): in Swedish "Elnät Ström: Borta / Finns", not a device class's
# "Av / På" or "Problem / OK".
BINARY_SENSORS: tuple[SotPointBinarySensorDescription, ...] = (
    # For automations: the engine state sensor beside it says the same, and more.
    SotPointBinarySensorDescription(
        key="running",
        translation_key="running",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        entity_registry_visible_default=False,
        device_class=BinarySensorDeviceClass.RUNNING,
        value_fn=lambda s: s.generator_running,
    ),
    SotPointBinarySensorDescription(
        key="alarm_active",
        translation_key="alarm_active",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        device_class=BinarySensorDeviceClass.PROBLEM,
        value_fn=_alarm_active,
        attributes_fn=_alarm_attributes,
    ),
    SotPointBinarySensorDescription(
        key="mains_available",
        translation_key="mains_available",
        device=SiteDevice.MAINS,
        device_class=BinarySensorDeviceClass.POWER,
        value_fn=lambda s: s.mains_available,
    ),
    SotPointBinarySensorDescription(
        key="on_generator",
        translation_key="on_generator",
        device=SiteDevice.TRANSFER_SWITCH,
        value_fn=lambda s: s.on_backup_power,
    ),
    SotPointBinarySensorDescription(
        key="outage",
        translation_key="outage",
        device=SiteDevice.SITE,
        device_class=BinarySensorDeviceClass.PROBLEM,
        value_fn=lambda s: s.outage_in_progress,
    ),
    # The relay's state, which the heater switch shows too: created disabled,
    # so the logbook does not tell each switching twice.
    SotPointBinarySensorDescription(
        key="heater",
        translation_key="heater",
        id_name="Heater",
        device=SiteDevice.WARM_ROOM,
        source=SUBENTRY_IO_MODULE,
        io_input=IoInput.RELAY,
        entity_registry_enabled_default=False,
        value_fn=lambda s: s.io.heater_on if s.io else None,
    ),
    SotPointBinarySensorDescription(
        key="tank_sensor_fault",
        translation_key="tank_sensor_fault",
        device=SiteDevice.TANK,
        source=SUBENTRY_IO_MODULE,
        io_input=IoInput.LEVEL,
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda s: s.fuel.sensor_fault is not None if s.io else None,
        attributes_fn=lambda s: {"fault": s.fuel.sensor_fault},
    ),
)


def alarm_description(key: str) -> SotPointBinarySensorDescription:
    """A problem sensor for one of the controller's named alarms."""

    def condition(state: SiteState) -> AlarmCondition | None:
        generator = state.generator
        if generator is None or generator.alarms is None:
            return None
        return next((a.condition for a in generator.alarms if a.key == key), None)

    def active(state: SiteState) -> bool | None:
        found = condition(state)
        return None if found is None else found.active

    def attributes(state: SiteState) -> Mapping[str, Any]:
        found = condition(state)
        return {"condition": word(found)}

    return SotPointBinarySensorDescription(
        key=f"alarm_{key}",
        translation_key=f"alarm_{key}"
        if not key.startswith("alarm_")
        else "alarm_slot",
        translation_placeholders={"slot": key.removeprefix("alarm_")},
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=key in PROMINENT_ALARMS,
        value_fn=active,
        attributes_fn=attributes,
    )


def implemented_alarms(state: SiteState) -> list[str]:
    """Named alarms the controller actually implements (not 0 or 15)."""
    generator = state.generator
    if generator is None or generator.alarms is None:
        return []
    # Unnamed slots (the register map names the first 32 on MKII units) stay
    # in the "alarm active" sensor's attributes rather than becoming entities
    # nobody could put a name to.
    absent = (AlarmCondition.DISABLED, AlarmCondition.UNIMPLEMENTED)
    return [
        a.key
        for a in generator.alarms
        if a.condition not in absent and not a.key.startswith("alarm_")
    ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SotPointConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add binary sensors, and alarm sensors as the controller reveals them."""
    if is_region(entry.data):
        await async_setup_region_binary_sensors(hass, entry, async_add_entities)
        return
    coordinator = entry.runtime_data.coordinator
    add_entities_by_source(
        coordinator, async_add_entities, BINARY_SENSORS, SotPointBinarySensor
    )
    add_entities_by_source(
        coordinator, async_add_entities, WATCH_SENSORS, SotPointWatchSensor
    )
    if coordinator.handle_of(SUBENTRY_GENERATOR) is None:
        return
    # The alarm page is read at the slower rate and may be missing from the
    # first poll, or the controller silent at setup: alarm sensors are added
    # as the controller reveals which alarms it implements.
    add_entities_once_reported(
        coordinator,
        async_add_entities,
        lambda state: [alarm_description(key) for key in implemented_alarms(state)],
        SotPointBinarySensor,
    )


class SotPointBinarySensor(SotPointEntity, BinarySensorEntity):
    """A binary sensor of the site."""

    entity_description: SotPointBinarySensorDescription

    def _value(self, state: SiteState) -> bool | None:
        return self.entity_description.value_fn(state)

    @property
    def is_on(self) -> bool | None:
        """The value in this cycle's state."""
        return self._value(self.coordinator.data)


class SotPointWatchSensor(SotPointBinarySensor):
    """A binary sensor of what one of the site's watches concludes."""

    entity_description: SotPointWatchDescription

    def _site(self) -> SotPointData:
        entry: SotPointConfigEntry = self.coordinator.config_entry
        return entry.runtime_data

    def _value(self, state: SiteState) -> bool | None:
        return self.entity_description.watch_fn(self._site())

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The causes, or the outages counted, and the figures behind them."""
        return self.entity_description.watch_attributes_fn(self._site())
