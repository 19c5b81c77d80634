"""The config flows: the site, its options, and its devices as subentries.

Device flows run against the real simulator on loopback: every read a flow
makes goes through pymodbus to a simulated DSE controller (unit 10), I/O module
(unit 1) and transfer switch (unit 2) behind one gateway port.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
import json
from pathlib import Path
import re
import socket
from typing import Any, cast

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
    ConfigFlowResult,
    ConfigSubentryData,
    SubentryFlowContext,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.helpers import config_validation as cv
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point import device_check
from custom_components.sot_point.config_flow import async_subentry_title
from custom_components.sot_point.const import (
    CONF_BAUDRATE,
    CONF_CONNECTION_TYPE,
    CONF_GENERATOR_RATED_KW,
    CONF_HOST,
    CONF_INSTRUMENT_INTERVAL,
    CONF_LEVEL_ADDRESS,
    CONF_MAINS_FREQUENCY_MAX,
    CONF_MAINS_FREQUENCY_MIN,
    CONF_MAINS_VOLTAGE_MAX,
    CONF_MAINS_VOLTAGE_MIN,
    CONF_MODEL,
    CONF_OUTAGE_DELAY,
    CONF_PARITY,
    CONF_PORT,
    CONF_RELAY_KIND,
    CONF_REQUEST_GAP,
    CONF_SERIAL,
    CONF_SERIAL_PORT,
    CONF_SITE_NAME,
    CONF_STOPBITS,
    CONF_TANK_CAPACITY,
    CONF_TANK_USABLE,
    CONF_TEMPERATURE_ADDRESS,
    CONF_UNIT_ID,
    CONNECTION_RTU,
    CONNECTION_TCP,
    DEFAULT_DSE_REQUEST_GAP,
    DEFAULT_OPTIONS,
    DOMAIN,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
    SUBENTRY_TRANSFER_SWITCH,
)
from custom_components.sot_point.hardware.client import TcpEndpoint
from simulator.config import SiteConfig, UnitIds
from simulator.faults import FaultKind
from simulator.server import SimulatedSite

SERIAL = "1730001"  # the simulator's DSE7320 MKII
MODEL = "DSE7320 MKII"
LOOPBACK = "127.0.0.1"
COMPONENT = Path(__file__).parent.parent / "custom_components" / DOMAIN
TEXTS = {
    "en": json.loads((COMPONENT / "strings.json").read_text(encoding="utf-8")),
    "sv": json.loads((COMPONENT / "translations" / "sv.json").read_text("utf-8")),
}
PLACEHOLDER = re.compile(r"\{(\w+)\}")

IO_INPUTS: dict[str, Any] = {
    "level_address": 0,
    "level_raw_per_ma": 1000.0,
    "sensor_span_m": 1.0,
    "tank_height_m": 1.0,
    "tank_shape": "vertical",
    "temperature_address": 1,
    "relay_kind": "coil",
    "relay_address": 0,
}


# --- Fixtures and helpers ----------------------------------------------------


@pytest.fixture(autouse=True)
def fast_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short waits: a missing device must not cost a second per test."""
    monkeypatch.setattr(device_check, "FLOW_TIMEOUT", 0.3)
    monkeypatch.setattr(device_check, "FLOW_RETRIES", 0)
    monkeypatch.setattr(device_check, "SEARCH_TIMEOUT", 0.2)


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[SimulatedSite]:
    """A site at rest on the grid, its time standing still."""
    async with SimulatedSite.serve(scenario="normal", speed=0) as site:
        yield site


@pytest.fixture
def closed_port(socket_enabled: None) -> int:
    """A loopback port nothing listens on."""
    return free_port()


def free_port() -> int:
    """A loopback port nothing listens on (needs sockets enabled)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def site(hass: HomeAssistant, mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """The site the devices are added to (not loaded)."""
    mock_config_entry.add_to_hass(hass)
    return mock_config_entry


def tcp(port: int, unit: int) -> dict[str, Any]:
    """The TCP form's input."""
    return {CONF_HOST: LOOPBACK, CONF_PORT: port, CONF_UNIT_ID: unit}


def stored_tcp(port: int, unit: int) -> dict[str, Any]:
    """Subentry data for a device on the network."""
    return {CONF_CONNECTION_TYPE: CONNECTION_TCP, **tcp(port, unit)}


def form_fields(result: FlowResult[Any, Any]) -> list[dict[str, Any]]:
    """The form's fields as the frontend receives them."""
    fields = probatio.to_field_list(
        result["data_schema"], custom_serializer=cv.custom_serializer
    )
    return [cast(dict[str, Any], field) for field in fields]


def suggested(result: FlowResult[Any, Any]) -> dict[str, Any]:
    """What the form shows in each field."""
    return {
        field["name"]: field["description"]["suggested_value"]
        for field in form_fields(result)
        if "suggested_value" in field.get("description", {})
    }


def placeholders(result: FlowResult[Any, Any]) -> dict[str, str]:
    """The description placeholders, never None."""
    return dict(result.get("description_placeholders") or {})


def assert_translated(result: FlowResult[Any, Any], path: tuple[str, ...]) -> None:
    """Every text the result needs exists in English and Swedish.

    And every placeholder those texts use is given, so no "{unit_id}" is ever
    shown to a person.
    """
    given = set(result.get("description_placeholders") or {})
    for texts in TEXTS.values():
        node: dict[str, Any] = texts
        for key in path:
            node = node[key]
        used: list[str] = []
        if result["type"] in (FlowResultType.FORM, FlowResultType.MENU):
            step = node["step"][result["step_id"]]
            used += [step.get("title", ""), step.get("description", "")]
            for option in cast(list[str], result.get("menu_options") or []):
                assert option in step["menu_options"]
            for error in (result.get("errors") or {}).values():
                used.append(node["error"][error])
        if result["type"] is FlowResultType.ABORT:
            if result["reason"] == "reconfigure_successful":
                continue  # Home Assistant's own text
            used.append(node["abort"][result["reason"]])
        for text in used:
            assert set(PLACEHOLDER.findall(text)) <= given, text


# Words that belong to one kind of link: an error on the network form must not
# send the technician to the serial adapter, nor one on the serial form to the
# host or the network.
SERIAL_WORDS = ("serial", "adapter", "rs485", "baud", "seriell", "usb")
NETWORK_WORDS = ("host", "network", "gateway", "värd", "nätverk", "ip-adress")
FORM_WORDS = {
    "tcp": SERIAL_WORDS,
    "search_tcp": SERIAL_WORDS,
    "rtu": NETWORK_WORDS,
    "search_rtu": NETWORK_WORDS,
}


def assert_error_fits_form(result: FlowResult[Any, Any], kind: str) -> None:
    """An error shown on a link form speaks of that form's kind of link."""
    wrong = FORM_WORDS.get(str(result.get("step_id")), ())
    for error in (result.get("errors") or {}).values():
        for language, texts in TEXTS.items():
            text = texts["config_subentries"][kind]["error"][error].lower()
            assert not [w for w in wrong if w in text], (language, error, text)


class SubFlow:
    """Drives one subentry flow and checks every answer's texts and form."""

    def __init__(self, hass: HomeAssistant, entry: MockConfigEntry, kind: str) -> None:
        """A flow adding (or reconfiguring) a device of `kind` in `entry`."""
        self.hass = hass
        self.entry = entry
        self.kind = kind
        self.result: SubentryFlowResult

    async def start(self, subentry_id: str | None = None) -> SubentryFlowResult:
        """Begin: add a device, or reconfigure `subentry_id`."""
        context: SubentryFlowContext = {"source": SOURCE_USER}
        if subentry_id is not None:
            context = {"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id}
        result = await self.hass.config_entries.subentries.async_init(
            (self.entry.entry_id, self.kind), context=context
        )
        return self._checked(result)

    async def send(self, user_input: dict[str, Any]) -> SubentryFlowResult:
        """Submit the current form."""
        result = await self.hass.config_entries.subentries.async_configure(
            self.result["flow_id"], user_input
        )
        return self._checked(result)

    async def choose(self, option: str) -> SubentryFlowResult:
        """Pick a menu option."""
        return await self.send({"next_step_id": option})

    def _checked(self, result: SubentryFlowResult) -> SubentryFlowResult:
        assert_translated(result, ("config_subentries", self.kind))
        assert_error_fits_form(result, self.kind)
        if result["type"] is FlowResultType.FORM and result["data_schema"]:
            suggested(result)  # the frontend must be able to draw it
        self.result = result
        return result


def errors(result: FlowResult[Any, Any]) -> dict[str, str]:
    """The form's errors, never None."""
    return dict(result.get("errors") or {})


def subentry(
    kind: str, data: dict[str, Any], title: str, unique_id: str
) -> ConfigSubentryData:
    """A device subentry as the flows store it."""
    return ConfigSubentryData(
        data=data, subentry_type=kind, title=title, unique_id=unique_id
    )


def site_with(
    hass: HomeAssistant, *devices: ConfigSubentryData, name: str = "SOT-punkt Kall"
) -> MockConfigEntry:
    """A site entry with `devices`, added to hass."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=name,
        unique_id=name.casefold(),
        data={CONF_SITE_NAME: name},
        subentries_data=list(devices),
    )
    entry.add_to_hass(hass)
    return entry


def only_subentry(entry: MockConfigEntry, kind: str) -> Any:
    """The single subentry of `kind` in `entry`."""
    (found,) = (s for s in entry.subentries.values() if s.subentry_type == kind)
    return found


# --- The site ------------------------------------------------------------------


async def start_site_flow(hass: HomeAssistant) -> ConfigFlowResult:
    """A new entry's flow, past its menu: the site's name form."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "site"}
    )


async def test_user_flow_creates_site(hass: HomeAssistant) -> None:
    """A technician names the site and gets one config entry for it."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["site", "region"]
    assert_translated(result, ("config",))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "site"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "site"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SITE_NAME: "  SOT-punkt Kall "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "SOT-punkt Kall"
    assert result["data"] == {CONF_SITE_NAME: "SOT-punkt Kall"}
    assert result["result"].unique_id == "sot-punkt kall"


async def test_blank_name_is_refused_then_recovers(hass: HomeAssistant) -> None:
    """A blank name shows an error and the same flow still finishes."""
    result = await start_site_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SITE_NAME: "   "}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_SITE_NAME: "name_required"}
    assert_translated(result, ("config",))

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SITE_NAME: "SOT-punkt Hede"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_site_twice_is_aborted(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """The same site name cannot be added twice, whatever its case."""
    mock_config_entry.add_to_hass(hass)
    result = await start_site_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SITE_NAME: "sot-punkt KALL"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_rename_site_refuses_blank_and_taken_names(hass: HomeAssistant) -> None:
    """Renaming keeps the entry; a blank or another site's name is refused."""
    entry = site_with(hass)
    site_with(hass, name="SOT-punkt Hede")
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert suggested(result) == {CONF_SITE_NAME: "SOT-punkt Kall"}
    assert_translated(result, ("config",))

    for name, error in (("  ", "name_required"), ("sot-punkt hede", "name_taken")):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_SITE_NAME: name}
        )
        assert errors(result) == {CONF_SITE_NAME: error}
        assert suggested(result) == {CONF_SITE_NAME: name}
        assert_translated(result, ("config",))

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SITE_NAME: " SOT-punkt Kallbygden "}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.title == "SOT-punkt Kallbygden"
    assert entry.unique_id == "sot-punkt kallbygden"
    assert entry.data == {CONF_SITE_NAME: "SOT-punkt Kallbygden"}


# --- Options -------------------------------------------------------------------


async def test_options_show_defaults_and_save(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """A new site's form holds the defaults; saving stores every value."""
    result = await hass.config_entries.options.async_init(site.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert suggested(result) == DEFAULT_OPTIONS
    assert_translated(result, ("options",))

    values = {**DEFAULT_OPTIONS, CONF_TANK_CAPACITY: 2000.0, CONF_TANK_USABLE: 2000.0}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], values
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert site.options == values


async def test_options_form_shows_current_settings(hass: HomeAssistant) -> None:
    """A saved option, and one no form knows about, both survive the form."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_SITE_NAME: "SOT-punkt Kall"},
        options={CONF_GENERATOR_RATED_KW: 45.0, "kept": 1},
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert suggested(result)[CONF_GENERATOR_RATED_KW] == 45.0
    assert suggested(result)[CONF_INSTRUMENT_INTERVAL] == 5.0

    values = {**DEFAULT_OPTIONS, CONF_GENERATOR_RATED_KW: 45.0}
    await hass.config_entries.options.async_configure(result["flow_id"], values)
    assert entry.options == {**values, "kept": 1}


async def test_official_source_is_kept_refused_or_emptied(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """A mirror's address is stored flat, a bad one refused with the user's
    values kept, and an emptied field goes back to Krisinformation itself."""
    result = await hass.config_entries.options.async_init(site.entry_id)
    assert_translated(result, ("options",))
    bad = {**DEFAULT_OPTIONS, "official": {"official_base_url": "api.example/v3"}}
    result = await hass.config_entries.options.async_configure(result["flow_id"], bad)
    assert errors(result) == {"official_base_url": "official_bad_url"}
    mirror = {**bad, "official": {"official_base_url": "http://lan.example/v3"}}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], mirror
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert site.options["official_base_url"] == "http://lan.example/v3"
    assert "official" not in site.options
    result = await hass.config_entries.options.async_init(site.entry_id)
    (section,) = [f for f in form_fields(result) if f["name"] == "official"]
    (url,) = section["schema"]
    assert url["description"]["suggested_value"] == "http://lan.example/v3"
    await hass.config_entries.options.async_configure(
        result["flow_id"], dict(DEFAULT_OPTIONS)
    )
    assert "official_base_url" not in site.options


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            {CONF_MAINS_VOLTAGE_MIN: 253.0, CONF_MAINS_VOLTAGE_MAX: 253.0},
            {CONF_MAINS_VOLTAGE_MAX: "voltage_range"},
        ),
        (
            {CONF_MAINS_FREQUENCY_MIN: 52.0, CONF_MAINS_FREQUENCY_MAX: 47.0},
            {CONF_MAINS_FREQUENCY_MAX: "frequency_range"},
        ),
        (
            {CONF_TANK_CAPACITY: 500.0, CONF_TANK_USABLE: 501.0},
            {CONF_TANK_USABLE: "usable_above_capacity"},
        ),
        (
            {
                CONF_MAINS_VOLTAGE_MIN: 260.0,
                CONF_MAINS_FREQUENCY_MAX: 45.0,
                CONF_TANK_USABLE: 1500.0,
            },
            {
                CONF_MAINS_VOLTAGE_MAX: "voltage_range",
                CONF_MAINS_FREQUENCY_MAX: "frequency_range",
                CONF_TANK_USABLE: "usable_above_capacity",
            },
        ),
    ],
    ids=["voltage", "frequency", "usable", "all_three"],
)
async def test_options_refused_keep_input_then_recover(
    hass: HomeAssistant,
    site: MockConfigEntry,
    change: dict[str, float],
    error: dict[str, str],
) -> None:
    """A refused form comes back with the user's own values, then saves."""
    result = await hass.config_entries.options.async_init(site.entry_id)
    refused = {**DEFAULT_OPTIONS, CONF_OUTAGE_DELAY: 12.0, **change}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], refused
    )
    assert result["type"] is FlowResultType.FORM
    assert errors(result) == error
    assert suggested(result) == refused
    assert_translated(result, ("options",))
    assert site.options == {}

    fixed = {**refused, **{key: DEFAULT_OPTIONS[key] for key in change}}
    result = await hass.config_entries.options.async_configure(result["flow_id"], fixed)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert site.options == fixed


# --- Generator -----------------------------------------------------------------


async def test_generator_over_tcp_is_read_then_added(
    hass: HomeAssistant, site: MockConfigEntry, sim: SimulatedSite
) -> None:
    """The controller is read, shown, and added with what it said it is."""
    flow = SubFlow(hass, site, SUBENTRY_GENERATOR)
    result = await flow.start()
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["tcp", "rtu", "search_tcp", "search_rtu"]

    result = await flow.choose("tcp")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "tcp"
    result = await flow.send(tcp(sim.port, 10))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    assert placeholders(result) == {
        "address": f"{LOOPBACK}:{sim.port}",
        "unit_id": "10",
        "model": MODEL,
        "serial": SERIAL,
        "mode": "auto",
        "control": "✓",
    }
    assert not site.subentries

    result = await flow.send({})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Generator {MODEL} · serial number {SERIAL}"
    assert result["unique_id"] == SERIAL
    added = only_subentry(site, SUBENTRY_GENERATOR)
    assert dict(added.data) == {
        **stored_tcp(sim.port, 10),
        "controller_family": "dse",
        CONF_REQUEST_GAP: DEFAULT_DSE_REQUEST_GAP,
        CONF_MODEL: MODEL,
        CONF_SERIAL: SERIAL,
    }
    assert added.unique_id == SERIAL


type FormInput = Callable[[int], dict[str, Any]]


@pytest.mark.parametrize(
    ("refused", "error"),
    [
        (lambda _sim: tcp(free_port(), 10), "cannot_connect"),
        (lambda sim: tcp(sim, 99), "no_device"),
        (lambda sim: tcp(sim, 1), "not_dse"),
        (lambda sim: tcp(sim, 2), "not_dse"),
        (lambda sim: {**tcp(sim, 10), CONF_HOST: "  "}, "host_required"),
    ],
    ids=["unreachable", "wrong_unit", "io_module", "transfer_switch", "blank_host"],
)
async def test_generator_refused_then_recovers(
    hass: HomeAssistant,
    site: MockConfigEntry,
    sim: SimulatedSite,
    refused: FormInput,
    error: str,
) -> None:
    """Each refusal names the problem, keeps the input, and the flow goes on."""
    flow = SubFlow(hass, site, SUBENTRY_GENERATOR)
    await flow.start()
    await flow.choose("tcp")
    given = refused(sim.port)
    result = await flow.send(given)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "tcp"
    assert errors(result) == {"base": error}
    assert placeholders(result)["unit_id"] == str(given[CONF_UNIT_ID])
    assert suggested(result) == {
        **given,
        CONF_HOST: given[CONF_HOST].strip(),
        "controller_family": "dse",
    }

    result = await flow.send(tcp(sim.port, 10))
    assert result["step_id"] == "confirm"
    result = await flow.send({})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_silent_unit_is_no_device(
    hass: HomeAssistant, site: MockConfigEntry, socket_enabled: None
) -> None:
    """A gateway that stays silent for a unit id: the unit id is named."""
    async with SimulatedSite.serve(speed=0, unknown_unit="silent") as sim:
        flow = SubFlow(hass, site, SUBENTRY_GENERATOR)
        await flow.start()
        await flow.choose("tcp")
        result = await flow.send(tcp(sim.port, 99))
        assert errors(result) == {"base": "no_device"}

        result = await flow.send(tcp(sim.port, 10))
        assert result["step_id"] == "confirm"


@pytest.mark.parametrize(
    ("code", "error"),
    [(4, "device_error"), (6, "device_error"), (10, "no_device"), (11, "no_device")],
)
async def test_modbus_exceptions_then_recovery(
    hass: HomeAssistant,
    site: MockConfigEntry,
    sim: SimulatedSite,
    code: int,
    error: str,
) -> None:
    """Device failure and busy are errors; gateway 10/11 mean no device there."""
    sim.faults.exception_code = code
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
    flow = SubFlow(hass, site, SUBENTRY_GENERATOR)
    await flow.start()
    await flow.choose("tcp")
    result = await flow.send(tcp(sim.port, 10))
    assert errors(result) == {"base": error}

    sim.faults.disable()
    result = await flow.send(tcp(sim.port, 10))
    assert result["step_id"] == "confirm"


async def test_corrupt_answer_is_device_error(
    hass: HomeAssistant, site: MockConfigEntry, sim: SimulatedSite
) -> None:
    """An answer of the wrong length is refused, not decoded."""
    sim.faults.enable(rate=1.0, kinds={FaultKind.CORRUPT: 1.0})
    flow = SubFlow(hass, site, SUBENTRY_GENERATOR)
    await flow.start()
    await flow.choose("tcp")
    result = await flow.send(tcp(sim.port, 10))
    # Random words where the identity should be: not a DSE, or not sense.
    assert errors(result)["base"] in {"not_dse", "device_error"}

    sim.faults.disable()
    result = await flow.send(tcp(sim.port, 10))
    assert result["step_id"] == "confirm"


async def test_search_finds_controller_at_first_unit(
    hass: HomeAssistant, site: MockConfigEntry, sim: SimulatedSite
) -> None:
    """Searching a gateway finds the controller at unit 10."""
    flow = SubFlow(hass, site, SUBENTRY_GENERATOR)
    await flow.start()
    result = await flow.choose("search_tcp")
    assert result["step_id"] == "search_tcp"
    result = await flow.send({CONF_HOST: LOOPBACK, CONF_PORT: sim.port})
    assert result["step_id"] == "confirm"
    assert placeholders(result)["unit_id"] == "10"

    result = await flow.send({})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_UNIT_ID] == 10
    assert result["data"][CONF_SERIAL] == SERIAL


async def test_search_tries_the_next_unit_id(
    hass: HomeAssistant, site: MockConfigEntry, socket_enabled: None
) -> None:
    """A controller set to unit 1 is found after unit 10 stays empty."""
    config = SiteConfig(units=UnitIds(dse=1, io=None, ats=None))
    async with SimulatedSite.serve(speed=0, config=config) as sim:
        flow = SubFlow(hass, site, SUBENTRY_GENERATOR)
        await flow.start()
        await flow.choose("search_tcp")
        result = await flow.send({CONF_HOST: LOOPBACK, CONF_PORT: sim.port})
        assert result["step_id"] == "confirm"

        result = await flow.send({})
        assert result["data"][CONF_UNIT_ID] == 1


async def test_search_nothing_found_then_found(
    hass: HomeAssistant, site: MockConfigEntry, sim: SimulatedSite
) -> None:
    """Nothing at any usual unit id is said so; a second search can succeed."""
    sim.faults.exception_code = 11
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
    flow = SubFlow(hass, site, SUBENTRY_GENERATOR)
    await flow.start()
    await flow.choose("search_tcp")
    given = {CONF_HOST: LOOPBACK, CONF_PORT: sim.port}
    result = await flow.send(given)
    assert result["step_id"] == "search_tcp"
    assert errors(result) == {"base": "nothing_found"}
    assert placeholders(result)["unit_ids"] == "10, 1"
    assert suggested(result) == given

    sim.faults.disable()
    result = await flow.send(given)
    assert result["step_id"] == "confirm"


async def test_search_unreachable_then_found(
    hass: HomeAssistant, site: MockConfigEntry, sim: SimulatedSite, closed_port: int
) -> None:
    """A host that refuses connections ends the search at once."""
    flow = SubFlow(hass, site, SUBENTRY_GENERATOR)
    await flow.start()
    await flow.choose("search_tcp")
    result = await flow.send({CONF_HOST: LOOPBACK, CONF_PORT: closed_port})
    assert errors(result) == {"base": "cannot_connect"}
    result = await flow.send({CONF_HOST: " ", CONF_PORT: sim.port})
    assert errors(result) == {"base": "host_required"}

    result = await flow.send({CONF_HOST: LOOPBACK, CONF_PORT: sim.port})
    assert result["step_id"] == "confirm"


async def test_same_controller_twice_is_refused(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """A controller already in any site cannot be added again."""
    site_with(
        hass,
        subentry(SUBENTRY_GENERATOR, stored_tcp(502, 10), "Hede", SERIAL),
        name="SOT-punkt Hede",
    )
    entry = site_with(hass)
    flow = SubFlow(hass, entry, SUBENTRY_GENERATOR)
    await flow.start()
    await flow.choose("tcp")
    result = await flow.send(tcp(sim.port, 10))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert not entry.subentries


# --- Serial (no serial hardware here) --------------------------------------------


async def test_rtu_form_missing_port_keeps_input(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """A serial port that does not exist is named, and the form keeps its values."""
    flow = SubFlow(hass, site, SUBENTRY_GENERATOR)
    await flow.start()
    result = await flow.choose("rtu")
    assert result["step_id"] == "rtu"
    defaults = {field["name"]: field.get("default") for field in form_fields(result)}
    assert defaults[CONF_BAUDRATE] == "19200"
    assert defaults[CONF_UNIT_ID] == 10

    given = {
        CONF_SERIAL_PORT: "/dev/ttyNONE",
        CONF_BAUDRATE: "9600",
        CONF_PARITY: "E",
        CONF_STOPBITS: "2",
        CONF_UNIT_ID: 3,
    }
    result = await flow.send(given)
    assert result["step_id"] == "rtu"
    assert errors(result) == {"base": "serial_port_not_found"}
    assert placeholders(result)["serial_port"] == "/dev/ttyNONE"
    assert suggested(result) == given | {"controller_family": "dse"}


async def test_rtu_search_missing_port(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """The serial search refuses a port that does not exist."""
    flow = SubFlow(hass, site, SUBENTRY_GENERATOR)
    await flow.start()
    result = await flow.choose("search_rtu")
    assert placeholders(result)["baudrates"] == "19200, 115200"
    result = await flow.send(
        {CONF_SERIAL_PORT: "/dev/ttyNONE", CONF_PARITY: "N", CONF_STOPBITS: "1"}
    )
    assert result["step_id"] == "search_rtu"
    assert errors(result) == {"base": "serial_port_not_found"}


async def test_rtu_silent_bus_is_timeout(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """A real serial port with nothing on it: a timeout, then nothing found.

    A pseudo-terminal stands in for an RS485 adapter whose bus is silent.
    pymodbus needs pyserial for RTU; the test is skipped without it.
    """
    pytest.importorskip("serial")
    import os  # noqa: PLC0415

    controller, device = os.openpty()
    try:
        port = os.ttyname(device)
        flow = SubFlow(hass, site, SUBENTRY_GENERATOR)
        await flow.start()
        await flow.choose("rtu")
        result = await flow.send(
            {
                CONF_SERIAL_PORT: port,
                CONF_BAUDRATE: "19200",
                CONF_PARITY: "N",
                CONF_STOPBITS: "1",
                CONF_UNIT_ID: 10,
            }
        )
        assert errors(result) == {"base": "timeout"}

        flow = SubFlow(hass, site, SUBENTRY_GENERATOR)
        await flow.start()
        await flow.choose("search_rtu")
        result = await flow.send(
            {CONF_SERIAL_PORT: port, CONF_PARITY: "N", CONF_STOPBITS: "1"}
        )
        assert errors(result) == {"base": "serial_nothing_found"}
    finally:
        os.close(controller)
        os.close(device)


# --- I/O module ----------------------------------------------------------------


async def test_io_module_is_read_then_added(
    hass: HomeAssistant, site: MockConfigEntry, sim: SimulatedSite
) -> None:
    """Link, then inputs; the module is read with them and shown."""
    flow = SubFlow(hass, site, SUBENTRY_IO_MODULE)
    result = await flow.start()
    assert result["menu_options"] == ["tcp", "rtu"]
    await flow.choose("tcp")
    result = await flow.send(tcp(sim.port, 1))
    assert result["step_id"] == "inputs"
    assert suggested(result) == IO_INPUTS

    result = await flow.send(IO_INPUTS)
    assert result["step_id"] == "confirm"
    shown = placeholders(result)
    # The simulated tank is 90 % full: 4 + 0.9 x 16 mA; 1 m tank of 1000 L.
    assert shown["level"] == "18.4 mA, 900 L"
    assert shown["temperature"] == "19 °C"
    assert shown["heater"] == "✗"

    result = await flow.send({})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"I/O module · {LOOPBACK}:{sim.port} unit 1"
    assert result["unique_id"] == f"{LOOPBACK}:{sim.port}-1"
    assert result["data"] == {**stored_tcp(sim.port, 1), **IO_INPUTS}


async def test_io_module_without_level_input(
    hass: HomeAssistant, site: MockConfigEntry, sim: SimulatedSite
) -> None:
    """A cleared address means no such input, and is stored as such."""
    flow = SubFlow(hass, site, SUBENTRY_IO_MODULE)
    await flow.start()
    await flow.choose("tcp")
    await flow.send(tcp(sim.port, 1))
    inputs = {k: v for k, v in IO_INPUTS.items() if k != CONF_LEVEL_ADDRESS}
    result = await flow.send(inputs)
    assert placeholders(result)["level"] == "—"

    result = await flow.send({})
    assert result["data"][CONF_LEVEL_ADDRESS] is None


async def test_io_module_loop_fault_is_shown(
    hass: HomeAssistant, site: MockConfigEntry, sim: SimulatedSite
) -> None:
    """A broken 4-20 mA loop is shown as such, not as an empty tank."""
    sim.site.tank_sensor_ma = 0.0
    flow = SubFlow(hass, site, SUBENTRY_IO_MODULE)
    await flow.start()
    await flow.choose("tcp")
    await flow.send(tcp(sim.port, 1))
    result = await flow.send(IO_INPUTS)
    assert placeholders(result)["level"] == "0 mA (wire break)"


async def test_io_wrong_address_then_recovery(
    hass: HomeAssistant, site: MockConfigEntry, sim: SimulatedSite
) -> None:
    """A register the module lacks is refused on the inputs form."""
    flow = SubFlow(hass, site, SUBENTRY_IO_MODULE)
    await flow.start()
    await flow.choose("tcp")
    await flow.send(tcp(sim.port, 1))
    refused = {**IO_INPUTS, CONF_LEVEL_ADDRESS: 500}
    result = await flow.send(refused)
    assert result["step_id"] == "inputs"
    assert errors(result) == {"base": "illegal_address"}
    assert suggested(result) == refused

    result = await flow.send(IO_INPUTS)
    assert result["step_id"] == "confirm"
    result = await flow.send({})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_io_nothing_to_read_then_recovery(
    hass: HomeAssistant, site: MockConfigEntry, sim: SimulatedSite
) -> None:
    """No input and no relay would read nothing: refused before any read."""
    flow = SubFlow(hass, site, SUBENTRY_IO_MODULE)
    await flow.start()
    await flow.choose("tcp")
    await flow.send(tcp(sim.port, 1))
    nothing = {
        k: v
        for k, v in IO_INPUTS.items()
        if k not in (CONF_LEVEL_ADDRESS, CONF_TEMPERATURE_ADDRESS)
    }
    result = await flow.send({**nothing, CONF_RELAY_KIND: "none"})
    assert errors(result) == {"base": "nothing_configured"}

    result = await flow.send(IO_INPUTS)
    assert result["step_id"] == "confirm"


@pytest.mark.parametrize(
    ("unit", "error"),
    [(99, "no_device"), (10, "illegal_function")],
    ids=["empty_unit", "controller"],
)
async def test_io_wrong_unit_goes_back_to_link_form(
    hass: HomeAssistant,
    site: MockConfigEntry,
    sim: SimulatedSite,
    unit: int,
    error: str,
) -> None:
    """A link problem found while reading inputs reopens the link form.

    The inputs given stay: after the link is fixed they are offered again.
    """
    flow = SubFlow(hass, site, SUBENTRY_IO_MODULE)
    await flow.start()
    await flow.choose("tcp")
    await flow.send(tcp(sim.port, unit))
    inputs = {**IO_INPUTS, "tank_height_m": 1.2}
    result = await flow.send(inputs)
    assert result["step_id"] == "tcp"
    assert errors(result) == {"base": error}
    assert suggested(result) == tcp(sim.port, unit)

    result = await flow.send(tcp(sim.port, 1))
    assert result["step_id"] == "inputs"
    assert suggested(result) == inputs
    result = await flow.send(inputs)
    assert result["step_id"] == "confirm"


async def test_io_unreachable_goes_back_to_link_form(
    hass: HomeAssistant, site: MockConfigEntry, sim: SimulatedSite, closed_port: int
) -> None:
    """A gateway that is not there is reported on the link form."""
    flow = SubFlow(hass, site, SUBENTRY_IO_MODULE)
    await flow.start()
    await flow.choose("tcp")
    await flow.send(tcp(closed_port, 1))
    result = await flow.send(IO_INPUTS)
    assert errors(result) == {"base": "cannot_connect"}

    await flow.send(tcp(sim.port, 1))
    result = await flow.send(IO_INPUTS)
    assert result["step_id"] == "confirm"


async def test_same_io_module_twice_is_refused(
    hass: HomeAssistant, site: MockConfigEntry, sim: SimulatedSite
) -> None:
    """The same address and unit id cannot be added twice."""
    flow = SubFlow(hass, site, SUBENTRY_IO_MODULE)
    await flow.start()
    await flow.choose("tcp")
    await flow.send({**tcp(sim.port, 1), CONF_HOST: "127.0.0.1 "})
    await flow.send(IO_INPUTS)
    await flow.send({})

    flow = SubFlow(hass, site, SUBENTRY_IO_MODULE)
    await flow.start()
    await flow.choose("tcp")
    await flow.send(tcp(sim.port, 1))
    result = await flow.send(IO_INPUTS)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# --- Transfer switch -------------------------------------------------------------


async def test_transfer_switch_is_read_then_added(
    hass: HomeAssistant, site: MockConfigEntry, sim: SimulatedSite
) -> None:
    """The ATS identifies itself and its status is shown."""
    flow = SubFlow(hass, site, SUBENTRY_TRANSFER_SWITCH)
    await flow.start()
    await flow.choose("tcp")
    result = await flow.send(tcp(sim.port, 2))
    assert result["step_id"] == "confirm"
    assert placeholders(result) == {
        "address": f"{LOOPBACK}:{sim.port}",
        "unit_id": "2",
        "position": "mains",
        "automatic": "✓",
        "mains": "✓",
        "generator": "✗",
    }

    result = await flow.send({})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Transfer switch ATyS · {LOOPBACK}:{sim.port} unit 2"
    assert result["unique_id"] == f"{LOOPBACK}:{sim.port}-2"
    assert result["data"] == stored_tcp(sim.port, 2)


@pytest.mark.parametrize("unit", [10, 1], ids=["controller", "io_module"])
async def test_transfer_switch_wrong_device_then_recovery(
    hass: HomeAssistant, site: MockConfigEntry, sim: SimulatedSite, unit: int
) -> None:
    """Another kind of device at the unit id is not taken for an ATS."""
    flow = SubFlow(hass, site, SUBENTRY_TRANSFER_SWITCH)
    await flow.start()
    await flow.choose("tcp")
    result = await flow.send(tcp(sim.port, unit))
    assert errors(result) == {"base": "not_transfer_switch"}

    result = await flow.send(tcp(sim.port, 2))
    assert result["step_id"] == "confirm"
    result = await flow.send({})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_transfer_switch_failing_status_read(
    hass: HomeAssistant, site: MockConfigEntry, sim: SimulatedSite
) -> None:
    """A busy answer to the identification is an error, not a wrong device."""
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
    flow = SubFlow(hass, site, SUBENTRY_TRANSFER_SWITCH)
    await flow.start()
    await flow.choose("tcp")
    result = await flow.send(tcp(sim.port, 2))
    assert errors(result) == {"base": "device_error"}


# --- Reconfigure ---------------------------------------------------------------


async def test_reconfigure_generator_keeps_subentry(
    hass: HomeAssistant, sim: SimulatedSite, closed_port: int
) -> None:
    """The controller moved: the same subentry points at its new address."""
    old = {
        **stored_tcp(closed_port, 10),
        CONF_REQUEST_GAP: DEFAULT_DSE_REQUEST_GAP,
        CONF_MODEL: MODEL,
        CONF_SERIAL: SERIAL,
    }
    entry = site_with(
        hass, subentry(SUBENTRY_GENERATOR, old, f"{MODEL} (serial {SERIAL})", SERIAL)
    )
    device = only_subentry(entry, SUBENTRY_GENERATOR)
    flow = SubFlow(hass, entry, SUBENTRY_GENERATOR)
    result = await flow.start(device.subentry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["tcp", "rtu"]
    result = await flow.choose("tcp")
    assert suggested(result) == tcp(closed_port, 10)

    result = await flow.send(tcp(closed_port, 10))
    assert errors(result) == {"base": "cannot_connect"}
    result = await flow.send(tcp(sim.port, 10))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"

    moved = only_subentry(entry, SUBENTRY_GENERATOR)
    assert moved.subentry_id == device.subentry_id
    assert dict(moved.data) == {
        **old,
        CONF_PORT: sim.port,
        "controller_family": "dse",
    }
    assert moved.unique_id == SERIAL


async def test_reconfigure_generator_refuses_another_controller(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """Another controller at the new address is not taken for this one."""
    old = {**stored_tcp(502, 10), CONF_MODEL: MODEL, CONF_SERIAL: "42"}
    entry = site_with(hass, subentry(SUBENTRY_GENERATOR, old, "Old", "42"))
    device = only_subentry(entry, SUBENTRY_GENERATOR)
    flow = SubFlow(hass, entry, SUBENTRY_GENERATOR)
    await flow.start(device.subentry_id)
    await flow.choose("tcp")
    result = await flow.send(tcp(sim.port, 10))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "different_device"
    assert placeholders(result) == {"expected": "42", "found": SERIAL}
    assert dict(only_subentry(entry, SUBENTRY_GENERATOR).data) == old


async def test_reconfigure_io_module_moves_title_and_inputs(
    hass: HomeAssistant, sim: SimulatedSite, closed_port: int
) -> None:
    """A title the flow made follows the module; stored inputs are offered."""
    old = {**stored_tcp(closed_port, 1), **IO_INPUTS, CONF_TEMPERATURE_ADDRESS: None}
    entry = site_with(
        hass,
        subentry(
            SUBENTRY_IO_MODULE,
            old,
            f"I/O module {LOOPBACK}:{closed_port} unit 1",
            f"{LOOPBACK}:{closed_port}-1",
        ),
    )
    device = only_subentry(entry, SUBENTRY_IO_MODULE)
    flow = SubFlow(hass, entry, SUBENTRY_IO_MODULE)
    await flow.start(device.subentry_id)
    await flow.choose("tcp")
    result = await flow.send(tcp(sim.port, 1))
    assert result["step_id"] == "inputs"
    shown = suggested(result)
    assert shown[CONF_LEVEL_ADDRESS] == 0
    assert shown.get(CONF_TEMPERATURE_ADDRESS) is None  # shown empty

    new_inputs = {**IO_INPUTS, "tank_shape": "horizontal_cylinder"}
    result = await flow.send(new_inputs)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    moved = only_subentry(entry, SUBENTRY_IO_MODULE)
    assert moved.subentry_id == device.subentry_id
    # Made by version 0.1, so the flow's: it becomes the new kind of title.
    assert moved.title == f"I/O module · {LOOPBACK}:{sim.port} unit 1"
    assert moved.unique_id == f"{LOOPBACK}:{sim.port}-1"
    assert dict(moved.data) == {**stored_tcp(sim.port, 1), **new_inputs}


async def test_reconfigure_keeps_a_chosen_title(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """A title someone chose is not replaced by the flow's."""
    entry = site_with(
        hass,
        subentry(
            SUBENTRY_TRANSFER_SWITCH,
            stored_tcp(502, 2),
            "ATS in the store",
            f"{LOOPBACK}:502-2",
        ),
    )
    device = only_subentry(entry, SUBENTRY_TRANSFER_SWITCH)
    flow = SubFlow(hass, entry, SUBENTRY_TRANSFER_SWITCH)
    await flow.start(device.subentry_id)
    await flow.choose("tcp")
    result = await flow.send(tcp(sim.port, 2))
    assert result["reason"] == "reconfigure_successful"
    moved = only_subentry(entry, SUBENTRY_TRANSFER_SWITCH)
    assert moved.title == "ATS in the store"
    assert moved.data[CONF_PORT] == sim.port


async def test_reconfigure_onto_another_device_is_refused(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """Moving a module onto the address of another configured one is refused."""
    taken = f"{LOOPBACK}:{sim.port}-1"
    entry = site_with(
        hass,
        subentry(
            SUBENTRY_IO_MODULE, {**stored_tcp(sim.port, 1), **IO_INPUTS}, "A", taken
        ),
        subentry(SUBENTRY_IO_MODULE, {**stored_tcp(502, 1), **IO_INPUTS}, "B", "b-1"),
    )
    second = next(s for s in entry.subentries.values() if s.title == "B")
    flow = SubFlow(hass, entry, SUBENTRY_IO_MODULE)
    await flow.start(second.subentry_id)
    await flow.choose("tcp")
    await flow.send(tcp(sim.port, 1))
    result = await flow.send(IO_INPUTS)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# --- A running site --------------------------------------------------------------


async def test_adding_to_running_site_borrows_its_connection(
    hass: HomeAssistant, sim: SimulatedSite
) -> None:
    """While the site polls, the flow reads over the site's own connection.

    On a serial bus a second client would fight the site for the port; here
    the I/O module's reads show up on the site's connection to the gateway.
    """
    generator = {
        **stored_tcp(sim.port, 10),
        CONF_REQUEST_GAP: DEFAULT_DSE_REQUEST_GAP,
        CONF_MODEL: MODEL,
        CONF_SERIAL: SERIAL,
    }
    entry = site_with(hass, subentry(SUBENTRY_GENERATOR, generator, "Gen", SERIAL))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    pool = entry.runtime_data.pool
    endpoint = TcpEndpoint(LOOPBACK, sim.port)
    connection = pool.acquire(endpoint)
    await pool.release(endpoint)

    flow = SubFlow(hass, entry, SUBENTRY_IO_MODULE)
    await flow.start()
    await flow.choose("tcp")
    await flow.send(tcp(sim.port, 1))
    result = await flow.send(IO_INPUTS)
    assert result["step_id"] == "confirm"
    assert connection.stats.by_function.get(4, 0) > 0  # FC04: the module's inputs
    assert connection.connected  # still the site's

    result = await flow.send({})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert len(entry.subentries) == 2
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


# --- What a person reads -------------------------------------------------------


# The link form each error key is shown on: "tcp" the network forms, "rtu" the
# serial ones, "any" either, "inputs" the I/O module's inputs form.
ERROR_FORMS = {
    "host_required": "tcp",
    "cannot_connect": "tcp",
    "no_device": "tcp",
    "nothing_found": "tcp",
    "serial_port_not_found": "rtu",
    "serial_port_unusable": "rtu",
    "timeout": "rtu",
    "serial_nothing_found": "rtu",
    "not_dse": "any",
    "not_comap": "any",
    "not_smartgen": "any",
    "not_transfer_switch": "any",
    "illegal_address": "any",
    "illegal_function": "any",
    "device_error": "any",
    "nothing_configured": "inputs",
}


def test_every_error_speaks_of_the_form_it_is_on() -> None:
    """The network form's errors name the host and port, the serial form's the adapter.

    Every error key of every device flow is placed on its form here, so a new
    key must say where it is shown before its text passes.
    """
    forbidden = {
        "tcp": SERIAL_WORDS,
        "rtu": NETWORK_WORDS,
        "any": SERIAL_WORDS + NETWORK_WORDS,
        "inputs": (),
    }
    for language, texts in TEXTS.items():
        for kind, section in texts["config_subentries"].items():
            for key, text in section["error"].items():
                wrong = [w for w in forbidden[ERROR_FORMS[key]] if w in text.lower()]
                assert not wrong, (language, kind, key, text)
    for texts in TEXTS.values():
        for kind in ("generator", "io_module", "transfer_switch"):
            shown = texts["config_subentries"][kind]["error"]
            assert "host" in PLACEHOLDER.findall(shown["cannot_connect"])
            assert "serial_port" in PLACEHOLDER.findall(shown["timeout"])


async def test_serial_port_that_will_not_open(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """A port that exists but is no serial port: the error names the adapter."""
    pytest.importorskip("serial")
    flow = SubFlow(hass, site, SUBENTRY_TRANSFER_SWITCH)
    await flow.start()
    await flow.choose("rtu")
    result = await flow.send(
        {
            CONF_SERIAL_PORT: "/dev/null",
            CONF_BAUDRATE: "19200",
            CONF_PARITY: "N",
            CONF_STOPBITS: "1",
            CONF_UNIT_ID: 2,
        }
    )
    assert result["step_id"] == "rtu"
    assert errors(result) == {"base": "serial_port_unusable"}
    assert placeholders(result)["serial_port"] == "/dev/null"


async def test_network_error_names_host_and_port(
    hass: HomeAssistant, site: MockConfigEntry, closed_port: int
) -> None:
    """Nothing listening: the network form says where it tried."""
    flow = SubFlow(hass, site, SUBENTRY_TRANSFER_SWITCH)
    await flow.start()
    await flow.choose("tcp")
    result = await flow.send(tcp(closed_port, 2))
    assert errors(result) == {"base": "cannot_connect"}
    shown = placeholders(result)
    assert (shown["host"], shown["port"]) == (LOOPBACK, str(closed_port))
    text = TEXTS["sv"]["config_subentries"]["transfer_switch"]["error"]
    assert (
        text["cannot_connect"]
        .format(**shown)
        .startswith(f"Det gick inte att ansluta till {LOOPBACK} port {closed_port}.")
    )


async def _add(
    hass: HomeAssistant, site: MockConfigEntry, kind: str, link: dict[str, Any]
) -> str:
    """Add a device through its flow; the title it got."""
    flow = SubFlow(hass, site, kind)
    await flow.start()
    await flow.choose("tcp")
    result = await flow.send(link)
    if kind == SUBENTRY_IO_MODULE:
        result = await flow.send(IO_INPUTS)
    result = await flow.send({})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    return str(result["title"])


@pytest.mark.parametrize(
    ("language", "titles"),
    [
        (
            "sv",
            (
                f"Reservkraft {MODEL} · serienummer {SERIAL}",
                "I/O-modul · {address} enhet 1",
                "Omkopplare ATyS · {address} enhet 2",
            ),
        ),
        (
            "en",
            (
                f"Generator {MODEL} · serial number {SERIAL}",
                "I/O module · {address} unit 1",
                "Transfer switch ATyS · {address} unit 2",
            ),
        ),
    ],
)
async def test_titles_in_home_assistants_language(
    hass: HomeAssistant,
    site: MockConfigEntry,
    sim: SimulatedSite,
    language: str,
    titles: tuple[str, str, str],
) -> None:
    """Each device is titled with what it is and where, in the language of the day."""
    hass.config.language = language
    address = f"{LOOPBACK}:{sim.port}"
    assert await _add(hass, site, SUBENTRY_GENERATOR, tcp(sim.port, 10)) == titles[0]
    assert await _add(hass, site, SUBENTRY_IO_MODULE, tcp(sim.port, 1)) == titles[
        1
    ].format(address=address)
    assert await _add(hass, site, SUBENTRY_TRANSFER_SWITCH, tcp(sim.port, 2)) == titles[
        2
    ].format(address=address)
    assert sorted(s.title for s in site.subentries.values()) == sorted(
        [titles[0], *(t.format(address=address) for t in titles[1:])]
    )


async def test_title_names_modbus_port_only_when_not_502(hass: HomeAssistant) -> None:
    """The usual port goes without saying; a serial device is named by its port."""
    hass.config.language = "sv"
    assert (
        await async_subentry_title(
            hass,
            SUBENTRY_TRANSFER_SWITCH,
            {**stored_tcp(502, 2), CONF_HOST: "192.168.1.50"},
        )
        == "Omkopplare ATyS · 192.168.1.50 enhet 2"
    )
    serial = {
        CONF_CONNECTION_TYPE: CONNECTION_RTU,
        CONF_SERIAL_PORT: "/dev/ttyUSB0",
        CONF_BAUDRATE: 19200,
        CONF_PARITY: "N",
        CONF_STOPBITS: 1,
        CONF_UNIT_ID: 1,
    }
    assert (
        await async_subentry_title(hass, SUBENTRY_IO_MODULE, serial, "en")
        == "I/O module · /dev/ttyUSB0 unit 1"
    )


def test_the_site_is_added_as_a_sot_point() -> None:
    """HA's button for a new entry says what it adds, not "Add hub"."""
    assert TEXTS["en"]["config"]["initiate_flow"]["user"] == "Add SOT point"
    assert TEXTS["sv"]["config"]["initiate_flow"]["user"] == "Lägg till SOT-punkt"
