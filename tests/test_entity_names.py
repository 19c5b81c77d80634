"""What a person reads on a device's page: one name per entity, plain states.

Every entity of a site, those hidden or disabled by default included, is named
once per device in Swedish and in English; the binary sensors say their state
in words that fit ("Elnät Ström: Borta", not "Tillgängligt: Av"); and after a
power cut the site shows the last outage's start and length rather than
"unknown", also after a restart.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point import binary_sensor, button, select, sensor, switch
from custom_components.sot_point.const import (
    DOMAIN,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
)
from custom_components.sot_point.entity import SiteDevice, SotPointDescription
from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    LEGACY_ALARMS,
    NAMED_ALARMS,
)
from simulator.server import SimulatedSite

from .conftest import load_site, refresh, site_entry, state_of

T0 = datetime(2026, 2, 10, 8, 0, tzinfo=dt_util.UTC)
# Home Assistant's clock runs on between the jumps a test makes (see
# test_journal.py); figures are checked to within a few seconds.
pytestmark = pytest.mark.freeze_time(T0, tick=True)
SLACK_S = 5.0

MAINS = "binary_sensor.mains_available"
OUTAGE = "binary_sensor.sot_punkt_kall_outage_in_progress"
STARTED = "sensor.sot_punkt_kall_outage_started"
DURATION = "sensor.sot_punkt_kall_outage_duration"
SITE_STATUS = "sensor.sot_punkt_kall_site_status"


async def _names_by_device(
    hass: HomeAssistant, entry: MockConfigEntry, language: str
) -> dict[str, list[str]]:
    """Each device's name and its entities' names as Home Assistant shows them.

    An entity's name is its friendly name without the device's name; where
    its translation has no placeholder it must be that translation.
    """
    texts = await async_get_translations(hass, language, "entity", [DOMAIN])
    devices = dr.async_get(hass)
    names: dict[str, list[str]] = defaultdict(list)
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        device = devices.async_get(entity.device_id or "")
        assert device is not None, entity.entity_id
        device_name = str(device.name)
        state = hass.states.get(entity.entity_id)
        assert state is not None, entity.entity_id
        friendly = str(state.attributes["friendly_name"])
        # Every entity has a name of its own, not only its device's.
        assert friendly.startswith(f"{device_name} "), friendly
        name = friendly.removeprefix(f"{device_name} ")
        key = f"component.{DOMAIN}.entity.{entity.domain}.{entity.translation_key}"
        template = texts[f"{key}.name"]
        if "{" not in template:
            assert name == template, entity.entity_id
        names[device_name].append(name)
    return names


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    ("language", "devices", "expected"),
    [
        ("sv", (), {"Reservkraftverk", "Elnät", "Omkopplare", "Värmestuga"}),
        ("en", (), {"Generator", "Mains", "Transfer switch", "Warm room"}),
        # Without a separate transfer switch its position is the generator's.
        ("sv", (SUBENTRY_GENERATOR, SUBENTRY_IO_MODULE), {"Reservkraftverk"}),
        ("en", (SUBENTRY_GENERATOR, SUBENTRY_IO_MODULE), {"Generator"}),
    ],
)
async def test_no_name_repeats_on_a_device(
    hass: HomeAssistant,
    sim: SimulatedSite,
    language: str,
    devices: tuple[str, ...],
    expected: set[str],
) -> None:
    """No device shows two entities under one name, in Swedish or in English."""
    hass.config.language = language
    entry = await load_site(hass, site_entry(sim, devices=devices))
    # The named alarms come with the controller's alarm page.
    await refresh(hass, entry)

    names = await _names_by_device(hass, entry, language)

    assert expected <= set(names)
    assert sum(len(n) for n in names.values()) > 60  # alarms and phases too
    repeats = {
        device: sorted(name for name, n in Counter(own).items() if n > 1)
        for device, own in names.items()
    }
    assert {device: r for device, r in repeats.items() if r} == {}


def _every_description() -> list[tuple[str, SotPointDescription]]:
    """Every entity any site may have, by platform: all alarms of all models."""
    alarms = sorted({*NAMED_ALARMS, *LEGACY_ALARMS})
    return [
        *(
            ("sensor", d)
            for d in (
                *sensor.GENERATOR_SENSORS,
                *sensor.MAINS_SENSORS,
                *sensor.TRANSFER_SENSORS,
                *sensor.TANK_SENSORS,
                *sensor.WARM_ROOM_SENSORS,
                *sensor.SITE_SENSORS,
            )
        ),
        *(("binary_sensor", d) for d in binary_sensor.BINARY_SENSORS),
        *(
            ("binary_sensor", binary_sensor.alarm_description(key))
            for key in alarms
            if not key.startswith("alarm_")
        ),
        ("select", select.MODE_SELECT),
        ("switch", switch.HEATER),
        ("switch", switch.MAINTENANCE),
        *(("button", d) for d in button.BUTTONS),
    ]


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("separate_switch", [True, False])
async def test_no_name_repeats_with_any_controller(
    hass: HomeAssistant, language: str, separate_switch: bool
) -> None:
    """Alarms the simulator does not implement are named apart as well."""
    texts = await async_get_translations(hass, language, "entity", [DOMAIN])
    names: dict[SiteDevice, list[str]] = defaultdict(list)
    for platform, description in _every_description():
        key = f"component.{DOMAIN}.entity.{platform}.{description.translation_key}"
        placeholders = description.translation_placeholders or {}
        name = texts[f"{key}.name"].format(**placeholders)
        device = description.device
        if device is SiteDevice.TRANSFER_SWITCH and not separate_switch:
            device = SiteDevice.GENERATOR
        names[device].append(name.casefold())
    assert len(names[SiteDevice.GENERATOR]) > 80
    repeats = {
        device: sorted(name for name, n in Counter(own).items() if n > 1)
        for device, own in names.items()
    }
    assert {device: r for device, r in repeats.items() if r} == {}


async def _shown(hass: HomeAssistant, entity_id: str) -> str:
    """A binary sensor's state in the words of its own translation."""
    entity = er.async_get(hass).async_get(entity_id)
    assert entity is not None
    texts = await async_get_translations(hass, hass.config.language, "entity", [DOMAIN])
    state = state_of(hass, entity_id)
    key = f"component.{DOMAIN}.entity.{entity.domain}.{entity.translation_key}"
    return texts[f"{key}.state.{state}"]


async def test_mains_and_outage_read_in_plain_words(
    hass: HomeAssistant, sim: SimulatedSite, freezer: FrozenDateTimeFactory
) -> None:
    """Swedish: "Ström: Finns / Borta", "Strömavbrott: Inget pågår / Pågår"."""
    hass.config.language = "sv"
    entry = await load_site(hass, site_entry(sim))
    assert await _shown(hass, MAINS) == "Finns"
    assert await _shown(hass, OUTAGE) == "Inget pågår"
    assert await _shown(hass, "binary_sensor.transfer_switch_on_backup_power") == (
        "Nej"
    )

    sim.site.lose_mains()
    await refresh(hass, entry)
    assert await _shown(hass, MAINS) == "Borta"
    assert await _shown(hass, OUTAGE) == "Pågår"


def _step(sim: SimulatedSite, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Move the simulated site and Home Assistant's clock on together."""
    sim.advance(seconds)
    freezer.tick(timedelta(seconds=seconds))


def _moment(hass: HomeAssistant, entity_id: str) -> datetime:
    moment = dt_util.parse_datetime(state_of(hass, entity_id))
    assert moment is not None, entity_id
    return moment


async def test_last_outage_shows_after_it_ended_and_after_a_restart(
    hass: HomeAssistant, sim: SimulatedSite, freezer: FrozenDateTimeFactory
) -> None:
    """An outage's start and length stay on the site's page once it is over."""
    entry = await load_site(hass, site_entry(sim))
    # No outage yet: the site says so; the journal has no last one to show.
    assert state_of(hass, OUTAGE) == "off"
    assert state_of(hass, STARTED) == STATE_UNKNOWN

    sim.site.lose_mains()
    await refresh(hass, entry)
    began = dt_util.utcnow()
    assert state_of(hass, OUTAGE) == "on"
    assert abs((_moment(hass, STARTED) - began).total_seconds()) < SLACK_S
    _step(sim, freezer, 600)
    await refresh(hass, entry)
    assert float(state_of(hass, DURATION)) == pytest.approx(10, abs=0.2)

    sim.site.restore_mains()
    timings = sim.site.config.timings
    _step(sim, freezer, timings.mains_return_delay + timings.transfer_time + 2)
    await refresh(hass, entry)
    ended = dt_util.utcnow()

    assert state_of(hass, OUTAGE) == "off"
    assert state_of(hass, SITE_STATUS) in ("normal", "returning")
    lasted = float(state_of(hass, DURATION))
    assert lasted == pytest.approx(
        (ended - began).total_seconds() / 60, abs=SLACK_S / 60
    )
    assert lasted > 10
    assert abs((_moment(hass, STARTED) - began).total_seconds()) < SLACK_S
    # Later on, it is still the same outage, not one growing on.
    _step(sim, freezer, 3600)
    await refresh(hass, entry)
    assert float(state_of(hass, DURATION)) == lasted

    # Read back from the journal after a restart.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    for entity_id in (STARTED, DURATION, OUTAGE):
        assert state_of(hass, entity_id) not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
    assert float(state_of(hass, DURATION)) == lasted
    assert abs((_moment(hass, STARTED) - began).total_seconds()) < SLACK_S
    assert state_of(hass, OUTAGE) == "off"
