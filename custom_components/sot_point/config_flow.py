"""Config flows for SOT Point.

One config entry per site: its name, and site-wide settings as options. Each
device of the site is a config subentry: the generator's DSE controller, the
I/O module (tank level, warm room), and a separate transfer switch where the
controller does not drive the contactors. Every device is read before it is
added or changed, so a subentry never points at nothing.

The same integration can be set up as a region instead (the first step is a
menu): one entry per county, its name and county as data, what it follows
as options (rules/region.py, region/). A region has no devices to add.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Final, override

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    SerialPortSelector,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.translation import async_get_translations
import probatio as vol

from .const import (
    BAUDRATES,
    CONF_AUTO_REMINDER,
    CONF_BATTERY_FALL,
    CONF_BATTERY_MIN,
    CONF_BAUDRATE,
    CONF_CONNECTION_TYPE,
    CONF_CONTROLLER_FAMILY,
    CONF_COOLANT_HOLD,
    CONF_COOLANT_MIN,
    CONF_FUEL_LOSS_FACTOR,
    CONF_FUEL_LOSS_HOLD,
    CONF_FUEL_LOSS_NOISE,
    CONF_GENERATOR_RATED_KW,
    CONF_HOST,
    CONF_INSTRUMENT_INTERVAL,
    CONF_LEVEL_ADDRESS,
    CONF_LEVEL_RAW_PER_MA,
    CONF_MAINS_FREQUENCY_MAX,
    CONF_MAINS_FREQUENCY_MIN,
    CONF_MAINS_VOLTAGE_MAX,
    CONF_MAINS_VOLTAGE_MIN,
    CONF_MINIMUM_AUTONOMY,
    CONF_MODEL,
    CONF_OUTAGE_DELAY,
    CONF_OUTSIDE_TEMPERATURE,
    CONF_PARITY,
    CONF_PORT,
    CONF_RELAY_ADDRESS,
    CONF_RELAY_KIND,
    CONF_REQUEST_GAP,
    CONF_ROLLING_COUNT,
    CONF_ROLLING_WINDOW,
    CONF_RUNAWAY_AFTER,
    CONF_SENSOR_SPAN_M,
    CONF_SERIAL,
    CONF_SERIAL_PORT,
    CONF_SITE_NAME,
    CONF_STOPBITS,
    CONF_TANK_CAPACITY,
    CONF_TANK_HEIGHT_M,
    CONF_TANK_SHAPE,
    CONF_TANK_USABLE,
    CONF_TEMPERATURE_ADDRESS,
    CONF_TOTALS_INTERVAL,
    CONF_UNIT_ID,
    CONNECTION_RTU,
    CONNECTION_TCP,
    DEFAULT_ATS_UNIT_ID,
    DEFAULT_BAUDRATE,
    DEFAULT_DSE_REQUEST_GAP,
    DEFAULT_GENERATOR_UNIT_ID,
    DEFAULT_IO_UNIT_ID,
    DEFAULT_OPTIONS,
    DEFAULT_TCP_PORT,
    DOMAIN,
    OPTION_RANGES,
    PARITIES,
    RELAY_NONE,
    SEARCH_BAUDRATES,
    SEARCH_UNIT_IDS,
    STOPBITS,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
    SUBENTRY_TRANSFER_SWITCH,
    UNIT_ID_RANGE,
)
from .device_check import (
    LINK_ERRORS,
    DeviceCheckError,
    GeneratorFound,
    check_transfer_switch,
    generator_check,
    io_check,
    probe_settings,
    run_check,
    search_candidates,
    search_generator,
)
from .entity import MAKES
from .hardware.client import TcpEndpoint
from .hardware.families import COMMANDABLE, ControllerFamily, family_of
from .hardware.profiles.generic_io import RelayKind, TankShape
from .hardware.state import IoState, TransferState
from .region.hub import RegionConfigEntry, device_identifier
from .rules.official_info import CONF_OFFICIAL_BASE_URL
from .rules.region import (
    CONF_KIND,
    CONF_LOW_AUTONOMY,
    CONF_MUNICIPALITIES,
    CONF_REGION_COUNTY,
    CONF_REGION_NAME,
    CONF_SILENT_AFTER,
    DEFAULT_LOW_AUTONOMY_H,
    DEFAULT_REGION_OPTIONS,
    DEFAULT_SILENT_AFTER,
    KIND_REGION,
    LOW_AUTONOMY_RANGE,
    SILENT_AFTER_RANGE,
    is_region,
    region_options_error,
)
from .rules.services_board import (
    CONF_SERVICE_BOARD,
    board_as_stored,
    board_section,
)
from .rules.uplink import (
    CONF_COUNTY,
    CONF_ENABLED,
    CONF_HEARTBEAT,
    CONF_MUNICIPALITY,
    CONF_SITE_ID,
    CONF_UPLINK,
    COUNTIES,
    DEFAULT_HEARTBEAT_MIN,
    HEARTBEAT_RANGE,
    UplinkSettings,
    suggested_site_id,
    uplink_as_stored,
    uplink_errors,
    uplink_section,
    uplink_settings,
)
from .service_board import SERVICE_BOARD_SCHEMA, board_form_errors
from .settings import endpoint_from, io_config_from
from .sms_answers import (
    CONF_ON_CALL,
    ON_CALL_SCHEMA,
    on_call_as_stored,
    on_call_form_errors,
)

SITE_SCHEMA = vol.Schema({vol.Required(CONF_SITE_NAME): TextSelector()})

ERROR_NAME_REQUIRED = "name_required"
ERROR_NAME_TAKEN = "name_taken"
ERROR_HOST_REQUIRED = "host_required"
ERROR_SERIAL_PORT_NOT_FOUND = "serial_port_not_found"
ERROR_NOTHING_CONFIGURED = "nothing_configured"
ABORT_ALREADY_CONFIGURED = "already_configured"
ABORT_DIFFERENT_DEVICE = "different_device"

STEP_TCP = CONNECTION_TCP
STEP_RTU = CONNECTION_RTU
STEP_SEARCH_TCP = f"search_{CONNECTION_TCP}"
STEP_SEARCH_RTU = f"search_{CONNECTION_RTU}"
STEP_INPUTS = "inputs"
STEP_CONFIRM = "confirm"
STEP_RECONFIGURE = "reconfigure"
STEP_SITE = "site"
STEP_REGION = "region"
STEP_RECONFIGURE_REGION = "reconfigure_region"
ERROR_REGION_NAME_REQUIRED = "region_name_required"
ERROR_REGION_NEEDS_MQTT = "region_needs_mqtt"
ABORT_REGION_ALREADY_CONFIGURED = "region_already_configured"
# A region's options form: sites to forget (not kept in the options).
CONF_FORGET_SITES = "forget_sites"

REGISTER_RANGE = (0, 65535)
# The translation category and the language behind every other.
_TITLE_CATEGORY = "common"
_FALLBACK_LANGUAGE = "en"
# What the confirm step shows for a value the device did not give.
NOT_READ = "—"


# --- Selectors -------------------------------------------------------------


def _whole_number(low: int, high: int) -> vol.All[Any]:
    return vol.All(
        NumberSelector(
            NumberSelectorConfig(min=low, max=high, step=1, mode=NumberSelectorMode.BOX)
        ),
        vol.Coerce(int),
    )


def _measure(low: float, high: float, step: float, unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=low,
            max=high,
            step=step,
            unit_of_measurement=unit,
            mode=NumberSelectorMode.BOX,
        )
    )


def _choice(
    options: Iterable[str], translation_key: str | None = None
) -> SelectSelector:
    config = SelectSelectorConfig(
        options=list(options), mode=SelectSelectorMode.DROPDOWN
    )
    if translation_key is not None:
        config["translation_key"] = translation_key
    return SelectSelector(config)


def _numeric_choice(options: Iterable[int]) -> vol.All[Any]:
    # A select offers strings; the stored setting is a number.
    return vol.All(_choice(str(option) for option in options), vol.Coerce(int))


def _port_schema() -> dict[vol.Marker, Any]:
    return {
        vol.Required(CONF_HOST): TextSelector(),
        vol.Required(CONF_PORT, default=DEFAULT_TCP_PORT): _whole_number(1, 65535),
    }


def _framing_schema() -> dict[vol.Marker, Any]:
    return {
        vol.Required(CONF_PARITY, default=PARITIES[0]): _choice(PARITIES, "parity"),
        vol.Required(CONF_STOPBITS, default=str(STOPBITS[0])): _numeric_choice(
            STOPBITS
        ),
    }


def _unit_schema(default_unit: int) -> dict[vol.Marker, Any]:
    return {
        vol.Required(CONF_UNIT_ID, default=default_unit): _whole_number(*UNIT_ID_RANGE),
    }


def tcp_schema(default_unit: int) -> vol.Schema:
    """Host, port and unit id of a device on the network."""
    return vol.Schema({**_port_schema(), **_unit_schema(default_unit)})


def rtu_schema(default_unit: int) -> vol.Schema:
    """Serial port, framing and unit id of a device on an RS485 bus."""
    return vol.Schema(
        {
            vol.Required(CONF_SERIAL_PORT): SerialPortSelector(),
            vol.Required(CONF_BAUDRATE, default=str(DEFAULT_BAUDRATE)): (
                _numeric_choice(BAUDRATES)
            ),
            **_framing_schema(),
            **_unit_schema(default_unit),
        }
    )


def _with_family(schema: vol.Schema) -> vol.Schema:
    """`schema` with the generator controller's family, DSE by default."""
    family = vol.Required(CONF_CONTROLLER_FAMILY, default=ControllerFamily.DSE.value)
    return schema.extend(
        {family: _choice((f.value for f in ControllerFamily), "controller_family")}
    )


SEARCH_TCP_SCHEMA = vol.Schema(_port_schema())
SEARCH_RTU_SCHEMA = vol.Schema(
    {vol.Required(CONF_SERIAL_PORT): SerialPortSelector(), **_framing_schema()}
)

IO_SCHEMA = vol.Schema(
    {
        # Optional without a default: clearing the field means "no such input".
        vol.Optional(CONF_LEVEL_ADDRESS): _whole_number(*REGISTER_RANGE),
        vol.Required(CONF_LEVEL_RAW_PER_MA, default=1000.0): _measure(
            0.001, 100000.0, 0.001, "/mA"
        ),
        vol.Required(CONF_SENSOR_SPAN_M, default=1.0): _measure(0.1, 20.0, 0.01, "m"),
        vol.Required(CONF_TANK_HEIGHT_M, default=1.0): _measure(0.1, 20.0, 0.01, "m"),
        vol.Required(CONF_TANK_SHAPE, default=TankShape.VERTICAL.value): _choice(
            (shape.value for shape in TankShape), "tank_shape"
        ),
        vol.Optional(CONF_TEMPERATURE_ADDRESS): _whole_number(*REGISTER_RANGE),
        vol.Required(CONF_RELAY_KIND, default=RelayKind.COIL.value): _choice(
            [*(kind.value for kind in RelayKind), RELAY_NONE], "relay_kind"
        ),
        vol.Required(CONF_RELAY_ADDRESS, default=0): _whole_number(*REGISTER_RANGE),
    }
)
IO_DEFAULTS: dict[str, Any] = {
    CONF_LEVEL_ADDRESS: 0,
    CONF_LEVEL_RAW_PER_MA: 1000.0,
    CONF_SENSOR_SPAN_M: 1.0,
    CONF_TANK_HEIGHT_M: 1.0,
    CONF_TANK_SHAPE: TankShape.VERTICAL.value,
    CONF_TEMPERATURE_ADDRESS: 1,
    CONF_RELAY_KIND: RelayKind.COIL.value,
    CONF_RELAY_ADDRESS: 0,
}

# The options form's section for official information (stored flat).
OFFICIAL_SECTION: Final = "official"
# Options: (key, unit, step) in the order the form shows them.
_OPTION_FIELDS: tuple[tuple[str, str, float], ...] = (
    (CONF_MAINS_VOLTAGE_MIN, "V", 0.5),
    (CONF_MAINS_VOLTAGE_MAX, "V", 0.5),
    (CONF_MAINS_FREQUENCY_MIN, "Hz", 0.1),
    (CONF_MAINS_FREQUENCY_MAX, "Hz", 0.1),
    (CONF_OUTAGE_DELAY, "s", 1),
    (CONF_TANK_CAPACITY, "L", 1),
    (CONF_TANK_USABLE, "L", 1),
    (CONF_MINIMUM_AUTONOMY, "h", 1),
    (CONF_GENERATOR_RATED_KW, "kW", 0.5),
    (CONF_INSTRUMENT_INTERVAL, "s", 1),
    (CONF_TOTALS_INTERVAL, "s", 1),
    (CONF_AUTO_REMINDER, "h", 1),
    (CONF_FUEL_LOSS_NOISE, "L", 1),
    (CONF_FUEL_LOSS_HOLD, "min", 1),
    (CONF_FUEL_LOSS_FACTOR, "×", 0.1),  # noqa: RUF001 - a factor, "times"
    (CONF_RUNAWAY_AFTER, "min", 1),
    (CONF_COOLANT_MIN, "°C", 1),
    (CONF_COOLANT_HOLD, "min", 1),
    (CONF_BATTERY_MIN, "V", 0.1),
    (CONF_BATTERY_FALL, "V", 0.05),
    (CONF_ROLLING_COUNT, "", 1),
    (CONF_ROLLING_WINDOW, "h", 1),
)


def _county_selector() -> SelectSelector:
    """SCB's counties, by code and name."""
    return SelectSelector(
        SelectSelectorConfig(
            options=[
                SelectOptionDict(value=code, label=f"{code} {name}")
                for code, name in COUNTIES.items()
            ],
            mode=SelectSelectorMode.DROPDOWN,
        )
    )


# The county uplink over Home Assistant's MQTT integration (docs/mqtt.md).
UPLINK_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_ENABLED, default=False): BooleanSelector(),
        vol.Optional(CONF_COUNTY): _county_selector(),
        vol.Optional(CONF_MUNICIPALITY): TextSelector(),
        vol.Optional(CONF_SITE_ID): TextSelector(),
        vol.Required(CONF_HEARTBEAT, default=DEFAULT_HEARTBEAT_MIN): vol.All(
            _measure(*HEARTBEAT_RANGE, 1, "min"), vol.Coerce(int)
        ),
    }
)
OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Required(key): _measure(*OPTION_RANGES[key], step, unit)
        for key, unit, step in _OPTION_FIELDS
    }
).extend(
    {
        # Optional without a default: clearing it means "none named".
        vol.Optional(CONF_OUTSIDE_TEMPERATURE): EntitySelector(
            EntitySelectorConfig(domain="sensor", device_class="temperature")
        ),
        vol.Required(CONF_ON_CALL, default=dict): section(
            ON_CALL_SCHEMA, {"collapsed": True}
        ),
        vol.Required(CONF_UPLINK, default=dict): section(
            UPLINK_SCHEMA, {"collapsed": True}
        ),
        vol.Required(CONF_SERVICE_BOARD, default=dict): section(
            SERVICE_BOARD_SCHEMA, {"collapsed": True}
        ),
        # Where official information is fetched: empty is Krisinformation
        # itself; a county's mirror, or the demo's stand-in, otherwise.
        vol.Required(OFFICIAL_SECTION, default=dict): section(
            vol.Schema(
                {
                    vol.Optional(CONF_OFFICIAL_BASE_URL): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.URL)
                    )
                }
            ),
            {"collapsed": True},
        ),
    }
)
# A region: the county board's view of every site of a county (region/).
REGION_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_REGION_NAME): TextSelector(),
        vol.Required(CONF_REGION_COUNTY): _county_selector(),
    }
)
REGION_NAME_SCHEMA = vol.Schema({vol.Required(CONF_REGION_NAME): TextSelector()})


def region_options_schema(heard: Iterable[str], sites: Mapping[str, str]) -> vol.Schema:
    """A region's options; the municipalities and sites heard so far are offered.

    `sites` (key -> name) can be forgotten: a site taken away (its retained
    messages cleared on the broker) need not stay silent forever.
    """
    forget: dict[vol.Marker, Any] = {}
    if sites:
        forget[vol.Optional(CONF_FORGET_SITES, default=list)] = SelectSelector(
            SelectSelectorConfig(
                options=[
                    SelectOptionDict(value=key, label=f"{name} ({key})")
                    for key, name in sorted(sites.items(), key=lambda i: i[1])
                ],
                multiple=True,
                mode=SelectSelectorMode.DROPDOWN,
            )
        )
    return vol.Schema(
        {
            vol.Optional(CONF_MUNICIPALITIES, default=list): SelectSelector(
                SelectSelectorConfig(
                    options=sorted(set(heard)),
                    multiple=True,
                    custom_value=True,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            vol.Required(
                CONF_LOW_AUTONOMY, default=DEFAULT_LOW_AUTONOMY_H
            ): _whole_number(*LOW_AUTONOMY_RANGE),
            vol.Required(
                CONF_SILENT_AFTER, default=DEFAULT_SILENT_AFTER
            ): _whole_number(*SILENT_AFTER_RANGE),
            **forget,
        }
    )


# (lower, upper, error): the lower bound must stay below the upper one.
_OPTION_PAIRS: tuple[tuple[str, str, str], ...] = (
    (CONF_MAINS_VOLTAGE_MIN, CONF_MAINS_VOLTAGE_MAX, "voltage_range"),
    (CONF_MAINS_FREQUENCY_MIN, CONF_MAINS_FREQUENCY_MAX, "frequency_range"),
)


# --- Helpers ---------------------------------------------------------------


def _options_errors(values: Mapping[str, Any]) -> dict[str, str]:
    errors = {
        high: key for low, high, key in _OPTION_PAIRS if values[low] >= values[high]
    }
    if values[CONF_TANK_USABLE] > values[CONF_TANK_CAPACITY]:
        errors[CONF_TANK_USABLE] = "usable_above_capacity"
    return errors


def _official_section(options: Mapping[str, Any]) -> dict[str, Any]:
    url = options.get(CONF_OFFICIAL_BASE_URL)
    return {CONF_OFFICIAL_BASE_URL: url} if url else {}


def _official_url_errors(values: Mapping[str, Any]) -> dict[str, str]:
    url = str(values.get(CONF_OFFICIAL_BASE_URL) or "")
    if url and not url.startswith(("http://", "https://")):
        return {CONF_OFFICIAL_BASE_URL: "official_bad_url"}
    return {}


def _uplink_form_errors(
    hass: HomeAssistant, entry: ConfigEntry, values: Mapping[str, Any]
) -> tuple[dict[str, str], str]:
    """Errors of the uplink section as entered, and the value at fault.

    Besides the codes and the id: an uplink needs Home Assistant's MQTT
    integration to go through, and two sites of this Home Assistant cannot
    share topics.
    """
    error, at_fault = uplink_errors(values)
    if error is not None:
        return {"base": error}, at_fault
    settings = uplink_settings({CONF_UPLINK: uplink_as_stored(values)})
    if settings is None:
        return {}, ""
    if not _has_mqtt(hass):
        return {"base": "uplink_needs_mqtt"}, ""
    if any(
        _same_topics(settings, other.options)
        for other in _site_entries(hass)
        if other.entry_id != entry.entry_id
    ):
        return {"base": "uplink_site_taken"}, settings.base
    return {}, ""


def _same_topics(settings: UplinkSettings, options: Mapping[str, Any]) -> bool:
    other = uplink_settings(options)
    return other is not None and other.base == settings.base


def _link_data(kind: str, user_input: Mapping[str, Any]) -> dict[str, Any]:
    """How to reach a device, as stored: the form's values and their kind."""
    data: dict[str, Any] = {CONF_CONNECTION_TYPE: kind, **user_input}
    if kind == CONNECTION_TCP:
        # Devices share one connection per endpoint, so spelling matters.
        data[CONF_HOST] = str(data[CONF_HOST]).strip().lower()
    else:
        data[CONF_SERIAL_PORT] = str(data[CONF_SERIAL_PORT]).strip()
    return data


def _form_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Stored values shaped for a form, whose selects hold strings."""
    values = dict(data)
    for key in (CONF_BAUDRATE, CONF_STOPBITS):
        if key in values:
            values[key] = str(values[key])
    return values


def _port_exists(port: str) -> bool:
    # pyserial also takes URLs (socket://, rfc2217://) that are no file.
    return "://" in port or Path(port).exists()


def _address(data: Mapping[str, Any]) -> str:
    """Where a device is: host:port, or the serial port whatever its speed."""
    endpoint = endpoint_from(data)
    return str(endpoint) if isinstance(endpoint, TcpEndpoint) else endpoint.port


def _place(data: Mapping[str, Any]) -> str:
    """Where a device is, as a title says it: the port only when not Modbus's own."""
    endpoint = endpoint_from(data)
    if isinstance(endpoint, TcpEndpoint) and endpoint.port == DEFAULT_TCP_PORT:
        return endpoint.host
    return _address(data)


async def async_subentry_title(
    hass: HomeAssistant,
    subentry_type: str,
    data: Mapping[str, Any],
    language: str | None = None,
) -> str:
    """A device's subentry title: what it is and where, in Home Assistant's language.

    For example "Omkopplare ATyS · 192.168.1.50 enhet 2". The title is made
    once, when the device is added, in the language Home Assistant has then.
    """
    placeholders = {
        "model": str(
            data.get(CONF_MODEL) or MAKES.get(subentry_type, (None, None))[1] or ""
        ),
        "serial": str(data.get(CONF_SERIAL, "")),
        "address": _place(data),
        "unit_id": str(data.get(CONF_UNIT_ID, "")),
    }
    key = f"component.{DOMAIN}.{_TITLE_CATEGORY}.{subentry_type}_title"
    for lang in (language or hass.config.language, _FALLBACK_LANGUAGE):
        texts = await async_get_translations(hass, lang, _TITLE_CATEGORY, [DOMAIN])
        if template := texts.get(key):
            return template.format(**placeholders)
    return f"{subentry_type} {placeholders['address']}"


def _title_by_version_0_1(subentry_type: str, data: Mapping[str, Any]) -> str:
    """The English title version 0.1 gave a device, to know it was not a person's."""
    unit = data.get(CONF_UNIT_ID)
    if subentry_type == SUBENTRY_GENERATOR:
        return f"{data.get(CONF_MODEL)} (serial {data.get(CONF_SERIAL)})"
    if subentry_type == SUBENTRY_IO_MODULE:
        return f"I/O module {_address(data)} unit {unit}"
    return f"Transfer switch {_address(data)} unit {unit}"


def _unique_id_taken(hass: HomeAssistant, unique_id: str, exclude: str | None) -> bool:
    """Whether any site already has a device with this unique id."""
    return any(
        subentry.unique_id == unique_id and subentry.subentry_id != exclude
        for entry in _site_entries(hass)
        for subentry in entry.subentries.values()
    )


def _site_entries(hass: HomeAssistant) -> list[ConfigEntry]:
    """The integration's sites, not its regions."""
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if not is_region(entry.data)
    ]


def _words(value: str) -> str:
    return value.replace("_", " ").lower()


def _reading(value: float | None, unit: str) -> str:
    return NOT_READ if value is None else f"{value:g} {unit}"


def _flag(value: bool | None) -> str:
    # Symbols read the same in every language the form is shown in.
    return NOT_READ if value is None else ("✓" if value else "✗")


def _reads_anything(inputs: Mapping[str, Any]) -> bool:
    """Whether an I/O module set up like this would read anything at all."""
    return (
        inputs[CONF_LEVEL_ADDRESS] is not None
        or inputs[CONF_TEMPERATURE_ADDRESS] is not None
        or inputs[CONF_RELAY_KIND] != RELAY_NONE
    )


# --- The site ----------------------------------------------------------------


class SotPointConfigFlow(ConfigFlow, domain=DOMAIN):
    """Create a site; its devices are added to it afterwards as subentries."""

    VERSION = 1
    # 2, 3: devices in their lifelong subentries (see async_migrate_entry).
    MINOR_VERSION = 3

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A site (a SOT point) or a region (every site of a county)."""
        return self.async_show_menu(
            step_id="user", menu_options=[STEP_SITE, STEP_REGION]
        )

    async def async_step_site(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the site's name."""
        errors: dict[str, str] = {}
        if user_input is not None:
            name = str(user_input[CONF_SITE_NAME]).strip()
            if not name:
                errors[CONF_SITE_NAME] = ERROR_NAME_REQUIRED
            else:
                await self.async_set_unique_id(name.casefold())
                self._abort_if_unique_id_configured()
                return self.async_create_entry(title=name, data={CONF_SITE_NAME: name})
        return self.async_show_form(
            step_id=STEP_SITE,
            data_schema=self.add_suggested_values_to_schema(SITE_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_region(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A region: its name and county; it reads the sites over MQTT."""
        errors: dict[str, str] = {}
        if user_input is not None:
            name = str(user_input[CONF_REGION_NAME]).strip()
            county = str(user_input[CONF_REGION_COUNTY])
            if not name:
                errors[CONF_REGION_NAME] = ERROR_REGION_NAME_REQUIRED
            elif county not in COUNTIES:
                errors[CONF_REGION_COUNTY] = "region_bad_county"
            elif not _has_mqtt(self.hass):
                errors["base"] = ERROR_REGION_NEEDS_MQTT
            else:
                await self.async_set_unique_id(f"region-{county}")
                self._abort_if_unique_id_configured(
                    error=ABORT_REGION_ALREADY_CONFIGURED,
                    description_placeholders={"county": COUNTIES[county]},
                )
                return self.async_create_entry(
                    title=name,
                    data={
                        CONF_KIND: KIND_REGION,
                        CONF_REGION_NAME: name,
                        CONF_REGION_COUNTY: county,
                    },
                    options=dict(DEFAULT_REGION_OPTIONS),
                )
        return self.async_show_form(
            step_id=STEP_REGION,
            data_schema=self.add_suggested_values_to_schema(REGION_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Rename the site; its devices and settings stay as they are."""
        entry = self._get_reconfigure_entry()
        if is_region(entry.data):
            return await self.async_step_reconfigure_region(user_input)
        errors: dict[str, str] = {}
        if user_input is not None:
            name = str(user_input[CONF_SITE_NAME]).strip()
            if error := self._name_error(name, entry):
                errors[CONF_SITE_NAME] = error
            else:
                return self.async_update_and_abort(
                    entry,
                    title=name,
                    unique_id=name.casefold(),
                    data_updates={CONF_SITE_NAME: name},
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                SITE_SCHEMA, user_input or {CONF_SITE_NAME: entry.title}
            ),
            errors=errors,
        )

    async def async_step_reconfigure_region(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Rename a region; its county stays (a new county is a new region)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            name = str(user_input[CONF_REGION_NAME]).strip()
            if name:
                return self.async_update_and_abort(
                    entry, title=name, data_updates={CONF_REGION_NAME: name}
                )
            errors[CONF_REGION_NAME] = ERROR_REGION_NAME_REQUIRED
        return self.async_show_form(
            step_id=STEP_RECONFIGURE_REGION,
            data_schema=self.add_suggested_values_to_schema(
                REGION_NAME_SCHEMA, user_input or {CONF_REGION_NAME: entry.title}
            ),
            errors=errors,
        )

    def _name_error(self, name: str, entry: ConfigEntry) -> str | None:
        if not name:
            return ERROR_NAME_REQUIRED
        taken = any(
            other.unique_id == name.casefold() and other.entry_id != entry.entry_id
            for other in self._async_current_entries(include_ignore=False)
        )
        return ERROR_NAME_TAKEN if taken else None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Site-wide settings, or what a region follows."""
        if is_region(config_entry.data):
            return RegionOptionsFlow()
        return SotPointOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """The devices a site can have; a region has none."""
        if is_region(config_entry.data):
            return {}
        return {
            SUBENTRY_GENERATOR: GeneratorSubentryFlow,
            SUBENTRY_IO_MODULE: IoModuleSubentryFlow,
            SUBENTRY_TRANSFER_SWITCH: TransferSwitchSubentryFlow,
        }


class SotPointOptionsFlow(OptionsFlow):
    """Mains limits, tank, autonomy, outage delay, generator size, poll rates.

    A plain options flow: the entry's update listener reloads the site.
    """

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One form; a refused form comes back with the user's values in it."""
        errors: dict[str, str] = {}
        at_fault = ""
        if user_input is not None:
            on_call = user_input.get(CONF_ON_CALL) or {}
            uplink = user_input.get(CONF_UPLINK) or {}
            errors, at_fault = on_call_form_errors(on_call)
            if not errors:
                errors, at_fault = _uplink_form_errors(
                    self.hass, self.config_entry, uplink
                )
            errors |= _options_errors(user_input)
            board = user_input.get(CONF_SERVICE_BOARD) or {}
            errors |= board_form_errors(board)
            official = user_input.get(OFFICIAL_SECTION) or {}
            errors |= _official_url_errors(official)
            if not errors:
                data = {**self.config_entry.options, **user_input}
                if CONF_OUTSIDE_TEMPERATURE not in user_input:
                    data.pop(CONF_OUTSIDE_TEMPERATURE, None)
                data.pop(OFFICIAL_SECTION, None)
                data.pop(CONF_OFFICIAL_BASE_URL, None)
                if url := official.get(CONF_OFFICIAL_BASE_URL):
                    data[CONF_OFFICIAL_BASE_URL] = url
                # An on-call list nobody filled in is not stored at all,
                # nor an uplink that is off with nothing filled in.
                data.pop(CONF_ON_CALL, None)
                if stored := on_call_as_stored(on_call):
                    data[CONF_ON_CALL] = stored
                data.pop(CONF_UPLINK, None)
                if stored := uplink_as_stored(uplink):
                    data[CONF_UPLINK] = stored
                # Nor a service board with nothing offered or set.
                data.pop(CONF_SERVICE_BOARD, None)
                if stored := board_as_stored(board):
                    data[CONF_SERVICE_BOARD] = stored
                return self.async_create_entry(data=data)
        values = user_input or {
            **DEFAULT_OPTIONS,
            **self.config_entry.options,
            CONF_UPLINK: uplink_section(self.config_entry.options)
            or {CONF_SITE_ID: suggested_site_id(self.config_entry.title)},
            CONF_SERVICE_BOARD: board_section(self.config_entry.options),
            OFFICIAL_SECTION: _official_section(self.config_entry.options),
        }
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(OPTIONS_SCHEMA, values),
            errors=errors,
            description_placeholders={"at_fault": at_fault},
        )


class RegionOptionsFlow(OptionsFlow):
    """What a region follows: its municipalities, and when it worries.

    A plain options flow: the region's update listener sets it up again.
    """

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The region's form (its own step: a site's options are `init`)."""
        return await self.async_step_region(user_input)

    async def async_step_region(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One form; a refused form comes back with the user's values in it."""
        entry = self.config_entry
        county = str(entry.data[CONF_REGION_COUNTY])
        errors: dict[str, str] = {}
        at_fault = ""
        if user_input is not None:
            error, at_fault = region_options_error(user_input, county)
            if error is None:
                _forget_sites(self.hass, entry, user_input.get(CONF_FORGET_SITES))
                codes = user_input.get(CONF_MUNICIPALITIES) or []
                return self.async_create_entry(
                    data={
                        CONF_MUNICIPALITIES: sorted({str(c).strip() for c in codes}),
                        CONF_LOW_AUTONOMY: user_input[CONF_LOW_AUTONOMY],
                        CONF_SILENT_AFTER: user_input[CONF_SILENT_AFTER],
                    }
                )
            errors["base"] = error
        sites = _sites_heard(entry)
        heard = {str(code) for code in entry.options.get(CONF_MUNICIPALITIES) or []} | {
            key.partition("/")[0] for key in sites
        }
        return self.async_show_form(
            step_id=STEP_REGION,
            data_schema=self.add_suggested_values_to_schema(
                region_options_schema(heard, sites),
                user_input or {**DEFAULT_REGION_OPTIONS, **entry.options},
            ),
            errors=errors,
            description_placeholders={
                "at_fault": at_fault,
                "county": f"{county} {COUNTIES.get(county, '')}".strip(),
            },
        )


def _sites_heard(entry: ConfigEntry) -> dict[str, str]:
    """The sites a loaded region knows: key -> name."""
    if entry.state is not ConfigEntryState.LOADED:
        return {}
    region: RegionConfigEntry = entry
    return region.runtime_data.site_names()


def _forget_sites(
    hass: HomeAssistant, entry: ConfigEntry, keys: Iterable[str] | None
) -> None:
    """Delete the devices of sites taken away; the region forgets them."""
    if not keys or entry.state is not ConfigEntryState.LOADED:
        return
    region: RegionConfigEntry = entry
    devices = dr.async_get(hass)
    for key in keys:
        identifier = device_identifier(entry.entry_id, key)
        device = devices.async_get_device_by_identifier(identifier, entry.entry_id)
        if device is not None:
            devices.async_remove_device(device.id)
        region.runtime_data.forget(key)


def _has_mqtt(hass: HomeAssistant) -> bool:
    """Whether Home Assistant's MQTT integration is set up (and not disabled)."""
    return hass.config_entries.async_has_entries(
        "mqtt", include_disabled=False, include_ignore=False
    )


# --- Devices -----------------------------------------------------------------


class _DeviceFlow(ConfigSubentryFlow, ABC):
    """Steps every device shares: how it is reached, confirm, reconfigure.

    A subclass reads the device in `_async_probe` and describes the result in
    `_data`, `_unique_id` and `_found_placeholders`.
    """

    subentry_type: ClassVar[str]
    default_unit: ClassVar[int]
    request_gap: ClassVar[float] = 0.0
    menu: ClassVar[Sequence[str]] = (STEP_TCP, STEP_RTU)

    def __init__(self) -> None:
        """Start with nothing known about the device."""
        super().__init__()
        self._link: dict[str, Any] = {}

    @property
    def _reconfiguring(self) -> bool:
        return self.source == SOURCE_RECONFIGURE

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask how the device is reached."""
        return self.async_show_menu(step_id="user", menu_options=list(self.menu))

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change how the device is reached; it keeps its entities."""
        self._link = dict(self._get_reconfigure_subentry().data)
        return self.async_show_menu(
            step_id=STEP_RECONFIGURE, menu_options=[STEP_TCP, STEP_RTU]
        )

    async def async_step_tcp(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Modbus TCP: a gateway or a device on the network."""
        return await self._async_step_link(CONNECTION_TCP, user_input)

    async def async_step_rtu(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Modbus RTU on a serial port."""
        return await self._async_step_link(CONNECTION_RTU, user_input)

    async def _async_step_link(
        self, kind: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        if user_input is None:
            return self._link_form(kind)
        self._link = _link_data(kind, user_input)
        if error := await self._link_error(self._link):
            return self._link_form(kind, error)
        return await self._async_link_given()

    async def _link_error(self, link: Mapping[str, Any]) -> str | None:
        """What is wrong with the link before any device is asked."""
        if link[CONF_CONNECTION_TYPE] == CONNECTION_TCP:
            return None if link[CONF_HOST] else ERROR_HOST_REQUIRED
        port = str(link[CONF_SERIAL_PORT])
        exists = await self.hass.async_add_executor_job(_port_exists, port)
        return None if exists else ERROR_SERIAL_PORT_NOT_FOUND

    def _link_form(self, kind: str, error: str | None = None) -> SubentryFlowResult:
        schema = tcp_schema if kind == CONNECTION_TCP else rtu_schema
        return self._form(kind, schema(self.default_unit), error)

    def _form(
        self, step_id: str, schema: vol.Schema, error: str | None = None
    ) -> SubentryFlowResult:
        """A link form filled with what the user gave, or what is stored."""
        kind = step_id.removeprefix("search_")
        same_kind = self._link.get(CONF_CONNECTION_TYPE) == kind
        values = _form_values(self._link) if same_kind else {}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, values),
            errors={"base": error} if error else {},
            description_placeholders=self._link_placeholders(),
        )

    def _link_placeholders(self) -> dict[str, str]:
        return {
            "unit_id": str(self._link.get(CONF_UNIT_ID, self.default_unit)),
            "host": str(self._link.get(CONF_HOST, "")),
            "port": str(self._link.get(CONF_PORT, DEFAULT_TCP_PORT)),
            "serial_port": str(self._link.get(CONF_SERIAL_PORT, "")),
            "unit_ids": ", ".join(str(unit) for unit in SEARCH_UNIT_IDS),
            "baudrates": ", ".join(str(baud) for baud in SEARCH_BAUDRATES),
        }

    async def _async_link_given(self) -> SubentryFlowResult:
        """Read the device the link points at; back to the form if that fails."""
        try:
            await self._async_probe()
        except DeviceCheckError as err:
            return self._link_form(self._link[CONF_CONNECTION_TYPE], err.key)
        return await self._async_found()

    @abstractmethod
    async def _async_probe(self) -> None:
        """Read the device and keep what it said; raise DeviceCheckError if not."""

    async def _async_found(self) -> SubentryFlowResult:
        """The device answered: refuse a duplicate, then confirm or update."""
        unique_id = self._unique_id()
        exclude = (
            self._get_reconfigure_subentry().subentry_id
            if self._reconfiguring
            else None
        )
        if _unique_id_taken(self.hass, unique_id, exclude):
            return self.async_abort(reason=ABORT_ALREADY_CONFIGURED)
        if self._reconfiguring:
            return await self._async_update_subentry(unique_id)
        return await self.async_step_confirm()

    async def _async_update_subentry(self, unique_id: str) -> SubentryFlowResult:
        entry = self._get_entry()
        subentry = self._get_reconfigure_subentry()
        data = self._data()
        # A title the flow made follows the device; one a person chose stays.
        made = {
            await async_subentry_title(self.hass, self.subentry_type, subentry.data),
            await async_subentry_title(
                self.hass, self.subentry_type, subentry.data, _FALLBACK_LANGUAGE
            ),
            _title_by_version_0_1(self.subentry_type, subentry.data),
        }
        title = subentry.title
        if title in made:
            title = await async_subentry_title(self.hass, self.subentry_type, data)
        return self.async_update_and_abort(
            entry, subentry, unique_id=unique_id, title=title, data=data
        )

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Show what answered; add it when the user agrees."""
        if user_input is not None:
            data = self._data()
            title = await async_subentry_title(self.hass, self.subentry_type, data)
            return self.async_create_entry(
                title=title, data=data, unique_id=self._unique_id()
            )
        return self.async_show_form(
            step_id=STEP_CONFIRM,
            description_placeholders={
                "address": str(endpoint_from(self._link)),
                "unit_id": str(self._link[CONF_UNIT_ID]),
                **self._found_placeholders(),
            },
        )

    def _data(self) -> dict[str, Any]:
        return dict(self._link)

    def _unique_id(self) -> str:
        return f"{_address(self._link)}-{self._link[CONF_UNIT_ID]}"

    @abstractmethod
    def _found_placeholders(self) -> dict[str, str]:
        """What the confirm step shows about the device that answered."""


class GeneratorSubentryFlow(_DeviceFlow):
    """A generator's DSE controller over GenComm; it can also be searched for."""

    subentry_type = SUBENTRY_GENERATOR
    default_unit = DEFAULT_GENERATOR_UNIT_ID
    request_gap = DEFAULT_DSE_REQUEST_GAP
    menu = (STEP_TCP, STEP_RTU, STEP_SEARCH_TCP, STEP_SEARCH_RTU)

    _found: GeneratorFound

    async def async_step_search_tcp(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Find the controller behind a gateway by trying the usual unit ids."""
        return await self._async_step_search(
            CONNECTION_TCP, SEARCH_TCP_SCHEMA, user_input
        )

    async def async_step_search_rtu(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Find the controller on a serial port: usual speeds and unit ids."""
        return await self._async_step_search(
            CONNECTION_RTU, SEARCH_RTU_SCHEMA, user_input
        )

    async def _async_step_search(
        self, kind: str, schema: vol.Schema, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        step_id = f"search_{kind}"
        if user_input is None:
            return self._form(step_id, schema)
        self._link = _link_data(kind, user_input)
        if error := await self._link_error(self._link):
            return self._form(step_id, schema, error)
        candidates = search_candidates(self._link, SEARCH_UNIT_IDS, SEARCH_BAUDRATES)
        try:
            self._link, self._found = await search_generator(
                self._get_entry(), candidates, self.request_gap
            )
        except DeviceCheckError as err:
            return self._form(step_id, schema, err.key)
        return await self._async_found()

    @override
    def _link_form(self, kind: str, error: str | None = None) -> SubentryFlowResult:
        # The family is asked with the link: test-before-configure reads
        # that family's identity and refuses any other kind of controller.
        schema = tcp_schema if kind == CONNECTION_TCP else rtu_schema
        return self._form(kind, _with_family(schema(self.default_unit)), error)

    @override
    async def _async_probe(self) -> None:
        family = family_of(self._link.get(CONF_CONTROLLER_FAMILY))
        self._found = await run_check(
            self._get_entry(),
            self._link,
            probe_settings(self.request_gap),
            generator_check(family),
        )

    @override
    async def _async_found(self) -> SubentryFlowResult:
        if self._reconfiguring:
            expected = self._get_reconfigure_subentry().data.get(CONF_SERIAL)
            if self._found.identity.serial != expected:
                return self.async_abort(
                    reason=ABORT_DIFFERENT_DEVICE,
                    description_placeholders={
                        "expected": str(expected),
                        "found": self._found.identity.serial,
                    },
                )
        return await super()._async_found()

    @override
    def _data(self) -> dict[str, Any]:
        return {
            **self._link,
            CONF_REQUEST_GAP: self.request_gap,
            CONF_MODEL: self._found.identity.model,
            CONF_SERIAL: self._found.identity.serial,
            CONF_CONTROLLER_FAMILY: self._found.family.value,
        }

    @override
    def _unique_id(self) -> str:
        # The controller, not where it is wired, is the device. A family
        # with no documented serial register is known by where it answers.
        serial = self._found.identity.serial
        if serial:
            return serial
        family = self._found.family.value
        return f"{family}@{_address(self._link)}#{self._link[CONF_UNIT_ID]}"

    @override
    def _found_placeholders(self) -> dict[str, str]:
        mode = self._found.mode
        return {
            "model": self._found.identity.model,
            "serial": self._found.identity.serial or NOT_READ,
            "mode": NOT_READ if mode is None else _words(mode.name),
            # Read-only families are said so before they are added.
            "control": "✓" if self._found.family in COMMANDABLE else "✗",
        }


class IoModuleSubentryFlow(_DeviceFlow):
    """The I/O module: tank level input, room temperature input, heater relay."""

    subentry_type = SUBENTRY_IO_MODULE
    default_unit = DEFAULT_IO_UNIT_ID

    def __init__(self) -> None:
        """Start with no inputs chosen."""
        super().__init__()
        self._inputs: dict[str, Any] | None = None
        self._state = IoState()

    @override
    async def _async_link_given(self) -> SubentryFlowResult:
        # The module can only be read once its addresses are known.
        return await self.async_step_inputs()

    async def async_step_inputs(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The module's addresses and the tank's level sensor, then a test read."""
        if user_input is None:
            return self._inputs_form()
        self._inputs = {
            CONF_LEVEL_ADDRESS: None,
            CONF_TEMPERATURE_ADDRESS: None,
            **user_input,
        }
        if not _reads_anything(self._inputs):
            return self._inputs_form(ERROR_NOTHING_CONFIGURED)
        try:
            await self._async_probe()
        except DeviceCheckError as err:
            if err.key in LINK_ERRORS:
                return self._link_form(self._link[CONF_CONNECTION_TYPE], err.key)
            return self._inputs_form(err.key)
        return await self._async_found()

    def _inputs_form(self, error: str | None = None) -> SubentryFlowResult:
        if self._inputs is not None:
            values = self._inputs
        elif self._reconfiguring:
            values = dict(self._get_reconfigure_subentry().data)
        else:
            values = IO_DEFAULTS
        return self.async_show_form(
            step_id=STEP_INPUTS,
            data_schema=self.add_suggested_values_to_schema(IO_SCHEMA, values),
            errors={"base": error} if error else {},
            description_placeholders=self._link_placeholders(),
        )

    @override
    async def _async_probe(self) -> None:
        config = io_config_from(self._inputs or {}, self._get_entry().options)
        self._state = await run_check(
            self._get_entry(),
            self._link,
            probe_settings(self.request_gap),
            io_check(config),
        )

    @override
    def _data(self) -> dict[str, Any]:
        return {**self._link, **(self._inputs or {})}

    @override
    def _found_placeholders(self) -> dict[str, str]:
        state = self._state
        level = _reading(state.tank_current_ma, "mA")
        if state.tank_fault:
            level = f"{level} ({_words(state.tank_fault)})"
        elif state.tank_litres is not None:
            level = f"{level}, {state.tank_litres:.0f} L"
        return {
            "level": level,
            "temperature": _reading(state.room_temperature, "°C"),
            "heater": _flag(state.heater_on),
        }


class TransferSwitchSubentryFlow(_DeviceFlow):
    """A separate automatic transfer switch (Socomec ATyS-style map)."""

    subentry_type = SUBENTRY_TRANSFER_SWITCH
    default_unit = DEFAULT_ATS_UNIT_ID

    _state: TransferState

    @override
    async def _async_probe(self) -> None:
        self._state = await run_check(
            self._get_entry(),
            self._link,
            probe_settings(self.request_gap),
            check_transfer_switch,
        )

    @override
    def _found_placeholders(self) -> dict[str, str]:
        state = self._state
        return {
            "position": _words(state.position.value),
            "automatic": _flag(state.automatic),
            "mains": _flag(state.mains_available),
            "generator": _flag(state.generator_available),
        }
