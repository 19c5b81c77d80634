"""Sensors of a SOT point: generator, mains, transfer switch, tank, warm room, site."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    REVOLUTIONS_PER_MINUTE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfPressure,
    UnitOfTemperature,
    UnitOfTime,
    UnitOfVolume,
    UnitOfVolumeFlowRate,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .const import SUBENTRY_GENERATOR, SUBENTRY_IO_MODULE
from .entity import IoInput, SiteDevice, SotPointDescription, SotPointEntity
from .entity_setup import add_entities_by_source, add_entities_once_reported
from .hardware.state import ControlMode, EngineState, GeneratorState, TransferPosition
from .region.entities import async_setup_region_sensors
from .rules.records import parse_time
from .rules.region import is_region
from .rules.site import SiteMode, SiteState
from .rules.words import word
from .runtime import SotPointConfigEntry, site_of

PARALLEL_UPDATES = 0

type SensorValue = StateType | datetime


@dataclass(frozen=True, kw_only=True)
class SotPointSensorDescription(SensorEntityDescription, SotPointDescription):
    """A sensor read from the site's state."""

    value_fn: Callable[[SiteState], SensorValue]
    # None: exists whenever its device is configured. Otherwise the value is
    # one only some controllers measure: the entity is added once the
    # controller first reports it (see add_entities_once_reported).
    reported_fn: Callable[[SiteState], bool] | None = None


@dataclass(frozen=True, kw_only=True)
class OutageSensorDescription(SotPointSensorDescription):
    """A figure of the outage going on or, when none is, of the last one.

    `value_fn` reads the outage going on from the site's state; `ended_fn`
    reads the last ended outage's journal record, so the figure is still
    there after a restart. Unknown only while the journal holds no outage.
    """

    ended_fn: Callable[[Mapping[str, Any]], SensorValue]


def _generator(key: str) -> Callable[[SiteState], float | None]:
    """Read one measured number of the generator controller."""
    return lambda state: state.generator.number(key) if state.generator else None


def _total_power(state: SiteState) -> float | None:
    generator = state.generator
    if generator is None:
        return None
    total = generator.number("generator_total_power")
    if total is not None:
        return total
    return generator.phase_sum("generator_power_l")


def _run_hours(state: SiteState) -> float | None:
    seconds = _generator("run_time")(state)
    return None if seconds is None else round(seconds / 3600, 2)


def _engine_state(generator: GeneratorState | None) -> str | None:
    return word(generator.engine) if generator else None


def _phase_sensors(
    prefix: str, kind: str, device: SiteDevice
) -> tuple[SotPointSensorDescription, ...]:
    """Voltage or current of L1-L3 for the generator or the mains."""
    current = kind == "current"
    return tuple(
        SotPointSensorDescription(
            key=f"{prefix}_{kind}_l{n}",
            translation_key=f"{prefix}_{kind}_phase",
            translation_placeholders={"phase": f"L{n}"},
            device=device,
            source=SUBENTRY_GENERATOR,
            device_class=SensorDeviceClass.CURRENT
            if current
            else SensorDeviceClass.VOLTAGE,
            native_unit_of_measurement=(
                UnitOfElectricCurrent.AMPERE
                if current
                else UnitOfElectricPotential.VOLT
            ),
            state_class=SensorStateClass.MEASUREMENT,
            suggested_display_precision=1 if current else 0,
            value_fn=_generator(f"{prefix}_{kind}_l{n}" + ("" if current else "_n")),
        )
        for n in (1, 2, 3)
    )


GENERATOR_SENSORS: tuple[SotPointSensorDescription, ...] = (
    # What the controller reports, including the modes set on its panel that
    # the mode select does not offer; hidden, as the select shows the mode.
    SotPointSensorDescription(
        key="control_mode",
        translation_key="control_mode",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        entity_registry_visible_default=False,
        device_class=SensorDeviceClass.ENUM,
        options=[word(m) for m in ControlMode],
        value_fn=lambda s: word(s.generator.mode) if s.generator else None,
    ),
    SotPointSensorDescription(
        key="engine_state",
        translation_key="engine_state",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        device_class=SensorDeviceClass.ENUM,
        options=[word(e) for e in EngineState],
        value_fn=lambda s: _engine_state(s.generator),
    ),
    *_phase_sensors("generator", "voltage", SiteDevice.GENERATOR),
    *_phase_sensors("generator", "current", SiteDevice.GENERATOR),
    SotPointSensorDescription(
        key="generator_frequency",
        translation_key="generator_frequency",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        device_class=SensorDeviceClass.FREQUENCY,
        native_unit_of_measurement=UnitOfFrequency.HERTZ,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_generator("generator_frequency"),
    ),
    SotPointSensorDescription(
        key="generator_power",
        translation_key="generator_power",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_unit_of_measurement=UnitOfPower.KILO_WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_total_power,
    ),
    SotPointSensorDescription(
        key="load_percent",
        translation_key="load_percent",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_generator("load_percent"),
    ),
    SotPointSensorDescription(
        key="oil_pressure",
        translation_key="oil_pressure",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        device_class=SensorDeviceClass.PRESSURE,
        native_unit_of_measurement=UnitOfPressure.KPA,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_generator("oil_pressure"),
    ),
    SotPointSensorDescription(
        key="coolant_temperature",
        translation_key="coolant_temperature",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_generator("coolant_temperature"),
    ),
    SotPointSensorDescription(
        key="battery_voltage",
        translation_key="battery_voltage",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        device_class=SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=1,
        value_fn=_generator("battery_voltage"),
    ),
    SotPointSensorDescription(
        key="charge_alternator_voltage",
        translation_key="charge_alternator_voltage",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        device_class=SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        suggested_display_precision=1,
        value_fn=_generator("charge_alternator_voltage"),
    ),
    SotPointSensorDescription(
        key="engine_speed",
        translation_key="engine_speed",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        native_unit_of_measurement=REVOLUTIONS_PER_MINUTE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=0,
        value_fn=_generator("engine_speed"),
    ),
    SotPointSensorDescription(
        key="run_hours",
        translation_key="run_hours",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.HOURS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=1,
        value_fn=_run_hours,
    ),
    SotPointSensorDescription(
        key="number_of_starts",
        translation_key="number_of_starts",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_generator("number_of_starts"),
    ),
    SotPointSensorDescription(
        key="energy",
        translation_key="energy",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=1,
        value_fn=_generator("energy_positive"),
    ),
    SotPointSensorDescription(
        key="controller_fuel_level",
        translation_key="controller_fuel_level",
        device=SiteDevice.GENERATOR,
        source=SUBENTRY_GENERATOR,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_generator("fuel_level"),
        reported_fn=lambda s: _generator("fuel_level")(s) is not None,
    ),
)

MAINS_SENSORS: tuple[SotPointSensorDescription, ...] = (
    *_phase_sensors("mains", "voltage", SiteDevice.MAINS),
    SotPointSensorDescription(
        key="mains_frequency",
        translation_key="mains_frequency",
        device=SiteDevice.MAINS,
        source=SUBENTRY_GENERATOR,
        device_class=SensorDeviceClass.FREQUENCY,
        native_unit_of_measurement=UnitOfFrequency.HERTZ,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_generator("mains_frequency"),
    ),
)


def _fuel_basis(state: SiteState) -> Mapping[str, Any]:
    """Where the litres come from: the level sensor, the controller or an estimate."""
    fuel = state.fuel
    basis: dict[str, Any] = {"source": fuel.source}
    if fuel.estimate is not None:
        basis["estimate"] = fuel.estimate.as_dict()
    return basis


def _position(state: SiteState) -> str | None:
    if state.transfer is None or state.transfer.position is TransferPosition.UNKNOWN:
        return None
    return state.transfer.position.value


TRANSFER_SENSORS: tuple[SotPointSensorDescription, ...] = (
    SotPointSensorDescription(
        key="transfer_position",
        translation_key="transfer_position",
        device=SiteDevice.TRANSFER_SWITCH,
        device_class=SensorDeviceClass.ENUM,
        options=[
            p.value for p in TransferPosition if p is not TransferPosition.UNKNOWN
        ],
        value_fn=_position,
    ),
)

TANK_SENSORS: tuple[SotPointSensorDescription, ...] = (
    SotPointSensorDescription(
        key="fuel_level",
        translation_key="fuel_level",
        device=SiteDevice.TANK,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda s: s.fuel.level_percent,
    ),
    SotPointSensorDescription(
        key="fuel_volume",
        translation_key="fuel_volume",
        device=SiteDevice.TANK,
        device_class=SensorDeviceClass.VOLUME_STORAGE,
        native_unit_of_measurement=UnitOfVolume.LITERS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda s: s.fuel.litres,
        attributes_fn=_fuel_basis,
    ),
    SotPointSensorDescription(
        key="fuel_consumption",
        translation_key="fuel_consumption",
        device=SiteDevice.TANK,
        device_class=SensorDeviceClass.VOLUME_FLOW_RATE,
        native_unit_of_measurement=UnitOfVolumeFlowRate.LITERS_PER_HOUR,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda s: s.fuel.consumption_lph,
    ),
    SotPointSensorDescription(
        key="fuel_autonomy",
        translation_key="fuel_autonomy",
        device=SiteDevice.TANK,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.HOURS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda s: s.fuel.autonomy_h,
        attributes_fn=_fuel_basis,
    ),
    SotPointSensorDescription(
        key="fuel_autonomy_mean_load",
        translation_key="fuel_autonomy_mean_load",
        device=SiteDevice.TANK,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.HOURS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda s: s.fuel.autonomy_mean_load_h,
    ),
)

WARM_ROOM_SENSORS: tuple[SotPointSensorDescription, ...] = (
    SotPointSensorDescription(
        key="room_temperature",
        translation_key="room_temperature",
        device=SiteDevice.WARM_ROOM,
        source=SUBENTRY_IO_MODULE,
        io_input=IoInput.TEMPERATURE,
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda s: s.io.room_temperature if s.io else None,
    ),
)


def _ended_start(data: Mapping[str, Any]) -> datetime | None:
    try:
        return parse_time(data["started"])
    except KeyError, ValueError:
        return None


def _ended_minutes(data: Mapping[str, Any]) -> float | None:
    seconds = data.get("duration_s")
    if not isinstance(seconds, int | float):
        return None
    return round(seconds / 60, 1)


SITE_SENSORS: tuple[SotPointSensorDescription, ...] = (
    SotPointSensorDescription(
        key="site_mode",
        translation_key="site_mode",
        device=SiteDevice.SITE,
        device_class=SensorDeviceClass.ENUM,
        options=[m.value for m in SiteMode],
        value_fn=lambda s: s.mode.value,
    ),
    # The last outage, the one going on until it ends: its start and length.
    OutageSensorDescription(
        key="outage_started",
        translation_key="outage_started",
        id_name="Outage started",
        device=SiteDevice.SITE,
        device_class=SensorDeviceClass.TIMESTAMP,
        none_is_unknown=True,
        value_fn=lambda s: s.outage_started,
        ended_fn=_ended_start,
    ),
    OutageSensorDescription(
        key="outage_duration",
        translation_key="outage_duration",
        id_name="Outage duration",
        device=SiteDevice.SITE,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        none_is_unknown=True,
        value_fn=lambda s: (
            round(s.outage_duration.total_seconds() / 60, 1)
            if s.outage_duration is not None
            else None
        ),
        ended_fn=_ended_minutes,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SotPointConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors for the devices and inputs this site has."""
    if is_region(entry.data):
        await async_setup_region_sensors(hass, entry, async_add_entities)
        return
    coordinator = entry.runtime_data.coordinator
    descriptions = [
        *SITE_SENSORS,
        *GENERATOR_SENSORS,
        *MAINS_SENSORS,
        *TRANSFER_SENSORS,
        *WARM_ROOM_SENSORS,
        *TANK_SENSORS,
    ]
    add_entities_by_source(
        coordinator,
        async_add_entities,
        [d for d in descriptions if d.reported_fn is None],
        SotPointSensor,
    )
    optional = [d for d in descriptions if d.reported_fn is not None]
    add_entities_once_reported(
        coordinator,
        async_add_entities,
        lambda state: [d for d in optional if d.reported_fn and d.reported_fn(state)],
        SotPointSensor,
    )


class SotPointSensor(SotPointEntity, SensorEntity):
    """A sensor of the site."""

    entity_description: SotPointSensorDescription

    def _value(self, state: SiteState) -> SensorValue:
        description = self.entity_description
        if (
            isinstance(description, OutageSensorDescription)
            and not state.outage_in_progress
        ):
            # The journal closed the outage's record in this very cycle
            # (observers see a state before the entities do).
            record = site_of(self.coordinator).journal.last_ended_outage
            return None if record is None else description.ended_fn(record.data)
        return description.value_fn(state)

    @property
    def native_value(self) -> SensorValue:
        """The value in this cycle's state."""
        return self._value(self.coordinator.data)
