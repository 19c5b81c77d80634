"""Blueprints in a real Home Assistant test instance, driving the simulator.

The blueprint files are copied into the test instance's own config folder and
loaded by Home Assistant's blueprint machinery; automations are created from
them with `use_blueprint`, exactly as the UI does. The only stand-in is the
phones: each person's `notify.mobile_app_<name>` action is a recorded service
call (`async_mock_service`), because there are no phones here. What Home
Assistant itself shows (`notify_in_ha`, "nobody answered") is read back from
its real notifications over the websocket API, as the frontend reads them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
import shutil
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from freezegun import freeze_time
from freezegun.api import TickingDateTimeFactory
from homeassistant.auth.models import RefreshToken
from homeassistant.components import persistent_notification, person
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util, slugify
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from simulator.server import SimulatedSite, writes_to

BLUEPRINTS = Path(__file__).parents[2] / "blueprints" / "automation" / "sot_point"
BLUEPRINT_FILES = sorted(path.name for path in BLUEPRINTS.glob("*.yaml"))

# The site's entities, as a site named "SOT-punkt Kall" has them.
MAINS = "binary_sensor.mains_available"
STATUS = "sensor.sot_punkt_kall_site_status"
MODE = "select.generator_mode"
ENGINE = "sensor.generator_engine_state"
BACKUP = "binary_sensor.transfer_switch_on_backup_power"
LOCK = "switch.sot_punkt_kall_maintenance_lock"
HEATER = "switch.warm_room_heater"
ROOM = "sensor.warm_room_room_temperature"
LOAD = "sensor.generator_load"
AUTONOMY = "sensor.fuel_tank_autonomy_at_current_load"
FUEL = "sensor.fuel_tank_volume"


@dataclass
class Person:
    """Someone on the on-call list: a phone in the device registry.

    The phone's app registered it under the person's own user, as the
    Home Assistant app does: a mobile_app config entry of its own with that
    user in its data, and a device tracker on the phone's device.
    """

    name: str
    device_id: str
    calls: list[ServiceCall]
    user_id: str = ""
    tracker: str = ""

    def press(self, hass: HomeAssistant, action: str) -> None:
        """The person presses a button on their phone: the answer is their user's."""
        press(hass, action, user_id=self.user_id)

    @property
    def messages(self) -> list[str]:
        """Every message the phone received, oldest first.

        A message is one paragraph as a phone shows it: the YAML around the
        template must not leak line breaks or indentation into it.
        """
        for call in self.calls:
            _readable(str(call.data.get("title", "")))
        return [_readable(str(call.data.get("message", ""))) for call in self.calls]

    def actions(self) -> list[str]:
        """Action ids of the last actionable notification the phone received."""
        for call in reversed(self.calls):
            actions = call.data.get("data", {}).get("actions")
            if actions:
                return [str(action["action"]) for action in actions]
        return []


def notifications(hass: HomeAssistant) -> dict[str, Any]:
    """HA's persistent notifications by id, as the bell in the sidebar lists them.

    Read where both supported releases keep them: 2026.11 no longer exports
    the helper that returned them.
    """
    return dict(hass.data.get(persistent_notification.DOMAIN, {}))


def _readable(text: str) -> str:
    """One paragraph: no line breaks or indentation leaked from the YAML."""
    assert "\n" not in text, text
    assert "  " not in text, text
    assert text == text.strip(), text
    return text


@dataclass(frozen=True)
class Note:
    """One notification in Home Assistant's sidebar."""

    title: str
    message: str


@dataclass
class Sidebar:
    """Home Assistant's own notifications, as the sidebar's bell lists them.

    Read over the websocket API as the frontend does, one short connection
    per look: the test clock jumps minutes at a time, which a long-lived
    connection would not outlive (the server's heartbeat, the token's expiry).
    """

    hass: HomeAssistant
    http: TestClient[web.Request, web.Application]
    refresh_token: RefreshToken

    async def notes(self) -> dict[str, Note]:
        """Every notification now, by its id; each one a readable paragraph."""
        token = self.hass.auth.async_create_access_token(self.refresh_token)
        async with self.http.ws_connect("/api/websocket") as socket:
            assert (await socket.receive_json())["type"] == "auth_required"
            await socket.send_json({"type": "auth", "access_token": token})
            assert (await socket.receive_json())["type"] == "auth_ok"
            await socket.send_json({"id": 1, "type": "persistent_notification/get"})
            response = await socket.receive_json()
        assert response["success"], response
        return {
            str(item["notification_id"]): Note(
                _readable(str(item["title"] or "")), _readable(str(item["message"]))
            )
            for item in response["result"]
        }

    async def wait_for(
        self, check: Callable[[dict[str, Note]], bool], seconds: float = 5.0
    ) -> dict[str, Note]:
        """Wait until the notifications satisfy `check`, and return them."""
        for _ in range(int(seconds / 0.02)):
            notes = await self.notes()
            if check(notes):
                return notes
            await asyncio.sleep(0.02)
        raise AssertionError(f"still not so after {seconds} s: {await self.notes()}")

    async def saying(self, text: str, seconds: float = 5.0) -> tuple[str, Note]:
        """Wait for the one notification whose message contains `text`."""
        notes = await self.wait_for(
            lambda notes: any(text in note.message for note in notes.values()),
            seconds,
        )
        (found,) = [item for item in notes.items() if text in item[1].message]
        return found


@pytest.fixture
async def sidebar(
    blueprint_hass: HomeAssistant,
    aiohttp_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
    socket_enabled: None,
) -> Sidebar:
    """Home Assistant's notifications, as a logged-in administrator sees them."""
    hass = blueprint_hass
    assert await async_setup_component(hass, "websocket_api", {})
    refresh_token = await hass.auth.async_create_refresh_token(
        hass_admin_user, "https://example.com/app"
    )
    return Sidebar(hass, await aiohttp_client(hass.http.app), refresh_token)


def _copy_blueprints(target: Path) -> None:
    target.mkdir(parents=True)
    for name in BLUEPRINT_FILES:
        shutil.copy(BLUEPRINTS / name, target / name)


@pytest.fixture
async def blueprint_hass(
    hass: HomeAssistant, tmp_path: Path
) -> AsyncIterator[HomeAssistant]:
    """The test instance with its own config folder and the blueprints in it."""
    hass.config.config_dir = str(tmp_path)
    target = Path(hass.config.path("blueprints/automation/sot_point"))
    await hass.async_add_executor_job(_copy_blueprints, target)
    # Both are always loaded in Home Assistant (`notify` as a base platform);
    # `notify.persistent_notification` is how a blueprint shows a message in
    # Home Assistant itself.
    assert await async_setup_component(hass, "persistent_notification", {})
    assert await async_setup_component(hass, "notify", {})
    yield hass
    # Before Home Assistant stops: a time-pattern trigger's next tick must
    # not outlive the test.
    await _stop_automations(hass)


async def _stop_automations(hass: HomeAssistant) -> None:
    if hass.services.has_service("automation", "turn_off"):
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": "all"}, blocking=True
        )


@pytest.fixture
def phones(blueprint_hass: HomeAssistant) -> list[Person]:
    """Anna, Bertil and Cecilia, on call in that order, each with a phone.

    Each phone is registered as the app registers it: under its owner's
    user (a mobile_app config entry of its own, `user_id` in its data), with
    a device tracker on the phone's device. Whether that user's person has
    the tracker is the `on_call` fixture's business.
    """
    hass = blueprint_hass
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    people = []
    for name in ("Anna", "Bertil", "Cecilia"):
        user = MockUser(name=name).add_to_hass(hass)
        phone_id = f"{name.lower()}-phone"
        entry = MockConfigEntry(
            domain="mobile_app",
            title=name,
            unique_id=f"io.robbie.HomeAssistant-{phone_id}",
            data={
                "app_id": "io.robbie.HomeAssistant",
                "device_id": phone_id,
                "device_name": name,
                "manufacturer": "Apple",
                "model": "iPhone",
                "os_name": "iOS",
                "supports_encryption": False,
                "user_id": user.id,
                "webhook_id": f"{phone_id}-webhook",
            },
        )
        entry.add_to_hass(hass)
        device = devices.async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={("mobile_app", phone_id)},
            manufacturer="Apple",
            model="iPhone",
            name=name,
        )
        tracker = entities.async_get_or_create(
            "device_tracker",
            "mobile_app",
            phone_id,
            config_entry=entry,
            device_id=device.id,
            object_id_base=name,
        )
        calls = async_mock_service(hass, "notify", f"mobile_app_{slugify(name)}")
        people.append(Person(name, device.id, calls, user.id, tracker.entity_id))
    return people


@pytest.fixture
async def on_call(blueprint_hass: HomeAssistant, phones: list[Person]) -> list[Person]:
    """The phones, each on its owner's person, as registering the app leaves it.

    A person per user (as adding a user in Home Assistant makes one), and the
    phone's device tracker added to that person, as the mobile_app config
    flow does with `person.async_add_user_device_tracker`.
    """
    hass = blueprint_hass
    assert await async_setup_component(hass, "person", {})
    for someone in phones:
        await person.async_create_person(hass, someone.name, user_id=someone.user_id)
        await person.async_add_user_device_tracker(
            hass, someone.user_id, someone.tracker
        )
    await settle()
    for someone in phones:
        state = hass.states.get(f"person.{slugify(someone.name)}")
        assert state is not None, someone.name
        assert state.attributes["user_id"] == someone.user_id
        assert state.attributes["device_trackers"] == [someone.tracker]
    return phones


async def use_blueprint(
    hass: HomeAssistant, file_name: str, inputs: dict[str, Any]
) -> None:
    """Create one automation from a blueprint, as the UI does."""
    await use_blueprints(hass, {file_name: inputs})


async def use_blueprints(
    hass: HomeAssistant, blueprints: dict[str, dict[str, Any]]
) -> None:
    """Create one automation per blueprint, `automation.<file name>`, and check it."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": Path(file_name).stem,
                    "alias": Path(file_name).stem,
                    "use_blueprint": {
                        "path": f"sot_point/{file_name}",
                        "input": inputs,
                    },
                }
                for file_name, inputs in blueprints.items()
            ]
        },
    )
    await settle()
    for file_name in blueprints:
        state = hass.states.get(f"automation.{Path(file_name).stem}")
        assert state is not None, f"no automation from {file_name}"
        assert state.state == "on", f"{file_name}: {state.attributes}"


def has_run(hass: HomeAssistant, file_name: str) -> bool:
    """The automation from this blueprint has been triggered at least once."""
    state = hass.states.get(f"automation.{Path(file_name).stem}")
    return state is not None and state.attributes.get("last_triggered") is not None


async def settle() -> None:
    """Let Home Assistant act on what just happened.

    Not `async_block_till_done`: that waits for every automation run, and a
    run waiting for someone to answer a notification is exactly what these
    tests look at.
    """
    for _ in range(10):
        await asyncio.sleep(0.01)


async def refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Read the simulator now and let Home Assistant react to it."""
    await entry.runtime_data.coordinator.async_refresh()
    await settle()


async def wait_for(check: Callable[[], bool], seconds: float = 30.0) -> None:
    """Wait until `check` holds (automation runs go on meanwhile).

    Generous: on a shared 2-core machine under load an automation's steps
    can take seconds; only something that never happens reaches the end.
    """
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"still not so after {seconds} s")


@pytest.fixture
async def clock(
    blueprint_hass: HomeAssistant,
) -> AsyncIterator[TickingDateTimeFactory]:
    """A clock that runs, from Wednesday 9 December 2026, 12:00, and can jump.

    It keeps ticking (unlike `freezer`), because commands to the simulator are
    verified with real sleeps; `later` jumps it forward. Leaving it turns time
    back to today, so everything that waits on a timer (automations, the
    site's polls and their timeouts) is stopped first.
    """
    hass = blueprint_hass
    start = datetime(2026, 12, 9, 12, 0, tzinfo=dt_util.get_default_time_zone())
    with freeze_time(start, tick=True) as factory:
        assert isinstance(factory, TickingDateTimeFactory)
        yield factory
        await _stop_automations(hass)
        for entry in hass.config_entries.async_entries("sot_point"):
            await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


async def later(
    hass: HomeAssistant, clock: TickingDateTimeFactory, delta: timedelta
) -> None:
    """Move Home Assistant's clock on: delays and wait timeouts run out."""
    clock.tick(delta)
    async_fire_time_changed(hass, dt_util.utcnow())
    await settle()


async def until(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    check: Callable[[], bool],
    seconds: float = 10.0,
) -> None:
    """Refresh the site until `check` holds (while simulated time runs)."""
    async with asyncio.timeout(seconds):
        while not check():
            await refresh(hass, entry)


def dse_writes(sim: SimulatedSite) -> list[list[int]]:
    """Every control word written to the generator controller."""
    return [w.values for w in writes_to(sim.writes, sim.site.config.units.dse)]


def press(hass: HomeAssistant, action: str, user_id: str | None = None) -> None:
    """A person presses a button in an actionable notification."""
    hass.bus.async_fire(
        "mobile_app_notification_action",
        {"action": action},
        context=Context(user_id=user_id),
    )


async def restart(hass: HomeAssistant) -> None:
    """Home Assistant restarts: every automation run is gone, then it has started.

    Turning the automations off ends their runs as stopping Home Assistant
    does; turned on again they arm their triggers, and Home Assistant says it
    has started (what a `homeassistant` start trigger listens for). The site
    itself goes on: its integration keeps its state across a restart.
    """
    await _stop_automations(hass)
    await hass.services.async_call(
        "automation", "turn_on", {"entity_id": "all"}, blocking=True
    )
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await settle()
