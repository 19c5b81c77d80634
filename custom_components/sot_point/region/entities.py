"""A region's entities: six per site, on one device per site.

The site's rank (the regional page's worst-first order), on backup power,
fuel autonomy, warm room temperature, last heard and online. They read the
hub's view of the site (rules/region.py) whenever the site changes, and when
the clock makes it silent. A silent site shows only when it was last heard
and that it is offline; a site that said `offline` shows "no data" as its
status and nothing of its figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import UnitOfTemperature, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util, slugify

from ..rules.region import RANKS, RegionSettings, SiteView
from .hub import RegionConfigEntry, RegionHub, device_identifier

type Shown = Callable[[SiteView, datetime, RegionSettings], bool]


def _live(view: SiteView, now: datetime, settings: RegionSettings) -> bool:
    """Heard lately and not offline: the site's figures are current."""
    return view.online(now, settings)


def _not_silent(view: SiteView, now: datetime, settings: RegionSettings) -> bool:
    return not view.silent(now, settings)


def _always(_view: SiteView, _now: datetime, _settings: RegionSettings) -> bool:
    return True


@dataclass(frozen=True, kw_only=True)
class RegionDescription(EntityDescription):
    """What a region entity shows of a site, and when it has anything to show."""

    shown_fn: Shown = _live
    # None means unknown rather than unavailable (never heard).
    none_is_unknown: bool = False


@dataclass(frozen=True, kw_only=True)
class RegionSensorDescription(SensorEntityDescription, RegionDescription):
    """A sensor of a site, read from the region's view of it."""

    value_fn: Callable[[SiteView, datetime, RegionSettings], StateType | datetime]


@dataclass(frozen=True, kw_only=True)
class RegionBinarySensorDescription(BinarySensorEntityDescription, RegionDescription):
    """A binary sensor of a site, read from the region's view of it."""

    value_fn: Callable[[SiteView, datetime, RegionSettings], bool | None]


SENSORS: tuple[RegionSensorDescription, ...] = (
    RegionSensorDescription(
        key="status",
        translation_key="region_status",
        device_class=SensorDeviceClass.ENUM,
        options=[rank.value for rank in RANKS],
        shown_fn=_not_silent,
        value_fn=lambda view, now, settings: view.rank(now, settings).value,
    ),
    RegionSensorDescription(
        key="fuel_autonomy",
        translation_key="region_fuel_autonomy",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.HOURS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda view, _now, _settings: view.autonomy_h,
    ),
    RegionSensorDescription(
        key="warm_room_temperature",
        translation_key="region_warm_room_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda view, _now, _settings: view.warm_room_c,
    ),
    RegionSensorDescription(
        key="last_heard",
        translation_key="region_last_heard",
        device_class=SensorDeviceClass.TIMESTAMP,
        shown_fn=_always,
        none_is_unknown=True,
        value_fn=lambda view, _now, _settings: view.last_heard,
    ),
)

BINARY_SENSORS: tuple[RegionBinarySensorDescription, ...] = (
    RegionBinarySensorDescription(
        key="on_backup_power",
        translation_key="region_on_backup_power",
        device_class=BinarySensorDeviceClass.POWER,
        value_fn=lambda view, _now, _settings: view.on_backup_power,
    ),
    RegionBinarySensorDescription(
        key="online",
        translation_key="region_online",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        shown_fn=_always,
        value_fn=lambda view, now, settings: view.online(now, settings),
    ),
)


class RegionEntity(Entity):
    """One value of one site of a region."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: RegionSensorDescription | RegionBinarySensorDescription

    def __init__(
        self,
        hub: RegionHub,
        key: str,
        description: RegionSensorDescription | RegionBinarySensorDescription,
        platform_domain: str,
    ) -> None:
        """Place the entity on its site's device."""
        self.hub = hub
        self._key = key
        self.entity_description = description
        entry_id = hub.entry.entry_id
        view = hub.views[key]
        self._attr_unique_id = f"{entry_id}:{key}:{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={device_identifier(entry_id, key)},
            name=view.name,
            serial_number=f"sot/{hub.settings.county}/{key}",
        )
        # The same id in every language, from the site's topic:
        # sensor.sot_23_2321_kall_status.
        place = f"sot {hub.settings.county} {view.municipality} {view.site_id}"
        self.entity_id = f"{platform_domain}.{slugify(f'{place} {description.key}')}"

    async def async_added_to_hass(self) -> None:
        """Follow the site."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.hub.async_add_site_listener(self._key, self.async_write_ha_state)
        )

    def _value(self) -> StateType | datetime | bool:
        view = self.hub.views.get(self._key)
        if view is None:
            return None
        return self.entity_description.value_fn(
            view, dt_util.utcnow(), self.hub.settings
        )

    @property
    def available(self) -> bool:
        """Whether the site's last words say anything about this value now."""
        view = self.hub.views.get(self._key)
        if view is None:
            return False
        description = self.entity_description
        if not description.shown_fn(view, dt_util.utcnow(), self.hub.settings):
            return False
        return description.none_is_unknown or self._value() is not None


class RegionSensor(RegionEntity, SensorEntity):
    """A sensor of a site of the region."""

    entity_description: RegionSensorDescription

    @property
    def native_value(self) -> StateType | datetime:
        """The value as of the site's last words."""
        value = self._value()
        return None if isinstance(value, bool) else value


class RegionBinarySensor(RegionEntity, BinarySensorEntity):
    """A binary sensor of a site of the region."""

    entity_description: RegionBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """The value as of the site's last words."""
        value = self._value()
        return value if isinstance(value, bool) else None


def _async_add_per_site(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
    make: Callable[[RegionHub, str], Iterable[RegionEntity]],
) -> None:
    """Add a platform's entities for every known site, and for each new one.

    Called by sensor.py and binary_sensor.py for a region entry (typed there
    as a site's); `make` gives one site's entities of the platform.
    """
    region = cast(RegionConfigEntry, entry)
    hub = region.runtime_data

    def add(keys: Sequence[str]) -> None:
        async_add_entities(entity for key in keys for entity in make(hub, key))

    add(list(hub.views))

    @callback
    def new_site(key: str) -> None:
        add([key])

    region.async_on_unload(
        async_dispatcher_connect(hass, hub.new_site_signal, new_site)
    )


async def async_setup_region_sensors(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The region's sensors: status, fuel autonomy, warm room, last heard."""
    _async_add_per_site(
        hass,
        entry,
        async_add_entities,
        lambda hub, key: (RegionSensor(hub, key, d, "sensor") for d in SENSORS),
    )


async def async_setup_region_binary_sensors(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The region's binary sensors: on backup power, online."""
    _async_add_per_site(
        hass,
        entry,
        async_add_entities,
        lambda hub, key: (
            RegionBinarySensor(hub, key, d, "binary_sensor") for d in BINARY_SENSORS
        ),
    )
