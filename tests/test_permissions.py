"""Who may run the site's actions and read its journal, in Home Assistant's terms.

Against the real test instance and the simulator: a person's call needs a user
whose groups let them control the site's control entities (read its entities,
for the journal); a call without a user, as an automation makes, passes.
Every refusal is checked at the simulator too: nothing may have been written.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.auth.models import Group
from homeassistant.auth.permissions.const import CAT_ENTITIES, POLICY_CONTROL
from homeassistant.auth.permissions.types import PolicyType
from homeassistant.core import Context, Event, HomeAssistant
from homeassistant.exceptions import Unauthorized
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    CLIENT_ID,
    MockConfigEntry,
    MockUser,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.sot_point.const import DOMAIN, EVENT_COMMAND_REFUSED
from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    ControlKey,
    control_words,
)
from custom_components.sot_point.hardware.state import ControlMode
from custom_components.sot_point.journal import JournalRecord, RecordKind
from custom_components.sot_point.runtime import CONTROL_PLATFORMS
from custom_components.sot_point.texts import Texts, async_load_texts
from simulator.server import SimulatedSite, writes_to

from .conftest import fast_control, refresh, running
from .test_control import HEATER

CSV = "/api/sot_point/{entry_id}/journal.csv"


# -- helpers ----------------------------------------------------------------------


def _control_entities(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """The site's buttons, select and switches, from the entity registry."""
    return [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if entity.domain in CONTROL_PLATFORMS
    ]


def _user_in_group(hass: HomeAssistant, name: str, policy: PolicyType) -> MockUser:
    """A non-admin user in one group with `policy`."""
    group = Group(name=name, policy=policy)
    return MockUser(name=name, groups=[group]).add_to_hass(hass)


@pytest.fixture
def operator(hass: HomeAssistant, site: MockConfigEntry) -> MockUser:
    """Not an admin; the group may read everything and control the site's controls."""
    controls = _control_entities(hass, site)
    assert len(controls) >= 5  # start, stop, reset, mode, maintenance lock, ...
    return _user_in_group(
        hass,
        "Föreningen",
        {
            CAT_ENTITIES: {
                "all": {"read": True},
                "entity_ids": dict.fromkeys(controls, True),
            }
        },
    )


@pytest.fixture
def outsider(hass: HomeAssistant) -> MockUser:
    """Not an admin; the group may use the lights and nothing of the site."""
    return _user_in_group(hass, "Grannar", {CAT_ENTITIES: {"domains": {"light": True}}})


def _dse_writes(sim: SimulatedSite) -> list[list[int]]:
    return [w.values for w in writes_to(sim.writes, sim.site.config.units.dse)]


async def _call(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    service: str,
    user: MockUser | None,
    **data: Any,
) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        service,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        context=Context(user_id=user.id if user else None),
        return_response=service in {"export_journal", "publish_notice"},
    )


def _commands(entry: MockConfigEntry) -> list[JournalRecord]:
    records: list[JournalRecord] = entry.runtime_data.journal.records(
        kinds={RecordKind.COMMAND}
    )
    return records


async def _client(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, user: MockUser
) -> TestClient[Any, Any]:
    refresh_token = await hass.auth.async_create_refresh_token(user, CLIENT_ID)
    return await hass_client(hass.auth.async_create_access_token(refresh_token))


# -- controlling the site --------------------------------------------------------


async def test_read_only_user_cannot_start_the_generator(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    hass_read_only_user: MockUser,
) -> None:
    """Refused with Unauthorized, nothing written, the refusal journaled."""
    fast_control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    refused: list[Event] = []
    hass.bus.async_listen(EVENT_COMMAND_REFUSED, refused.append)

    async with running(sim):
        with pytest.raises(Unauthorized) as caught:
            await _call(hass, site, "start_generator", hass_read_only_user)
    await hass.async_block_till_done()

    assert _dse_writes(sim) == []
    assert caught.value.user_id == hass_read_only_user.id
    assert caught.value.permission == POLICY_CONTROL
    assert caught.value.config_entry_id == site.entry_id
    assert caught.value.translation_key == "refused_unauthorized"
    # Home Assistant drops a message's final full stop.
    assert str(caught.value) == (
        "Refused: this Home Assistant user does not have permission for that at "
        "this site. Ask an administrator"
    )
    (record,) = _commands(site)
    assert record.data == {
        "command": "start_generator",
        "result": "refused",
        "reason": "unauthorized",
        "user_id": hass_read_only_user.id,
    }
    (event,) = refused
    assert event.context.user_id == hass_read_only_user.id
    assert event.data["reason"] == "unauthorized"


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("stop_generator", {}),
        ("reset_alarms", {}),
        ("set_controller_mode", {"mode": "auto"}),
        ("transfer_load", {"to": "generator"}),
        ("start_test_run", {"duration": 5}),
        ("record_fuel_delivery", {"litres": 100}),
        ("acknowledge_alarm", {}),
        ("publish_notice", {"text_sv": "Butiken är öppen"}),
        ("clear_notice", {}),
    ],
)
async def test_read_only_user_can_run_no_action(  # noqa: PLR0917
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    hass_read_only_user: MockUser,
    service: str,
    data: dict[str, Any],
) -> None:
    """Every action that changes something refuses a read-only user the same way."""
    fast_control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    with pytest.raises(Unauthorized):
        await _call(hass, site, service, hass_read_only_user, **data)
    assert _dse_writes(sim) == []
    assert site.runtime_data.notices.active() == []
    assert not site.runtime_data.journal.records(
        kinds={RecordKind.FUEL_DELIVERY, RecordKind.NOTICE}
    )
    (record,) = _commands(site)
    assert record.data["command"] == service
    assert record.data["reason"] == "unauthorized"


async def test_a_user_whose_group_may_control_the_site_starts_it(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    operator: MockUser,
) -> None:
    """Not an admin, but allowed to control the site's controls: it starts."""
    assert not operator.is_admin
    fast_control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    async with running(sim):
        await _call(hass, site, "start_generator", operator)
    assert _dse_writes(sim) == [control_words(ControlKey.START_ENGINE)]
    (record,) = _commands(site)
    assert record.data["result"] == "done"
    assert record.data["user_id"] == operator.id
    response = await _call(hass, site, "publish_notice", operator, text_sv="Öppet")
    assert response["notice_id"]


async def test_control_of_only_the_heater_is_not_enough(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
) -> None:
    """A group that may switch the warm room's heater cannot start the generator."""
    fast_control(site)
    warm_room = _user_in_group(
        hass,
        "Värmestugan",
        {CAT_ENTITIES: {"all": {"read": True}, "entity_ids": {HEATER: True}}},
    )
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    with pytest.raises(Unauthorized):
        await _call(hass, site, "start_generator", warm_room)
    assert _dse_writes(sim) == []


async def test_admin_starts_the_generator(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    hass_admin_user: MockUser,
) -> None:
    """An administrator may do everything."""
    fast_control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    async with running(sim):
        await _call(hass, site, "start_generator", hass_admin_user)
    assert _dse_writes(sim) == [control_words(ControlKey.START_ENGINE)]


async def test_a_call_without_a_user_passes(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
) -> None:
    """An automation's call has no user: it runs as before."""
    fast_control(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, site)
    async with running(sim):
        await _call(hass, site, "start_generator", None)
    assert _dse_writes(sim) == [control_words(ControlKey.START_ENGINE)]
    (record,) = _commands(site)
    assert record.data["result"] == "done"
    assert record.data["user_id"] is None


async def test_a_site_without_control_entities_needs_an_admin(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_admin_user: MockUser,
) -> None:
    """No buttons, select or switches to judge by: only administrators may."""
    registry = er.async_get(hass)
    for entity_id in _control_entities(hass, init_integration):
        registry.async_remove(entity_id)
    everything = _user_in_group(hass, "Alla", {CAT_ENTITIES: True})
    with pytest.raises(Unauthorized):
        await _call(hass, init_integration, "publish_notice", everything, text_sv="Hej")
    await _call(
        hass, init_integration, "publish_notice", hass_admin_user, text_sv="Hej"
    )
    assert len(init_integration.runtime_data.notices.active()) == 1


async def test_the_refusal_reads_well_in_the_logbook_and_the_ui(
    hass: HomeAssistant,
    site: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    """The frontend gets the translation; the journal's texts name the action."""
    client = await hass_ws_client(hass, hass_read_only_access_token)
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": "start_generator",
            "service_data": {"config_entry_id": site.entry_id},
        }
    )
    answer = await client.receive_json()
    assert not answer["success"]
    assert answer["error"]["translation_domain"] == DOMAIN
    assert answer["error"]["translation_key"] == "refused_unauthorized"

    await async_load_texts(hass, "sv")
    swedish = Texts(hass, "sv")
    assert swedish.command("start_generator") == "starta reservkraftverket"
    assert swedish.refusal("unauthorized", "").startswith(
        "Nekad: den här användaren i Home Assistant har inte behörighet"
    )


# -- reading the journal --------------------------------------------------------


async def test_read_only_user_may_export_the_journal(
    hass: HomeAssistant, site: MockConfigEntry, hass_read_only_user: MockUser
) -> None:
    """Reading is what a read-only user may do."""
    response = await _call(hass, site, "export_journal", hass_read_only_user)
    assert response["site"] == "SOT-punkt Kall"


async def test_user_who_may_read_nothing_of_the_site_cannot_export(
    hass: HomeAssistant, site: MockConfigEntry, outsider: MockUser
) -> None:
    """No read permission on any of the site's entities: refused, and journaled."""
    with pytest.raises(Unauthorized):
        await _call(hass, site, "export_journal", outsider)
    (record,) = _commands(site)
    assert record.data["command"] == "export_journal"
    assert record.data["reason"] == "unauthorized"
    assert record.data["user_id"] == outsider.id


async def test_csv_report_for_read_only_users_but_not_outsiders(  # noqa: PLR0917
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    site: MockConfigEntry,
    hass_read_only_user: MockUser,
    outsider: MockUser,
    hass_admin_user: MockUser,
) -> None:
    """The CSV view: read-only and admin users get it, an outsider gets 401."""
    url = CSV.format(entry_id=site.entry_id)
    for user in (hass_read_only_user, hass_admin_user):
        response = await (await _client(hass, hass_client, user)).get(url)
        assert response.status == HTTPStatus.OK, await response.text()
        assert response.content_type == "text/csv"
    response = await (await _client(hass, hass_client, outsider)).get(url)
    assert response.status == HTTPStatus.UNAUTHORIZED
