"""Site actions: start, stop, mode, transfer, alarms, test runs, fuel, journal.

Registered once in `async_setup`; each call names its site by config entry and
goes through `SiteControl`, which checks the interlocks, journals the result
and raises a translated error the person understands.

A person's call is first checked against Home Assistant's permissions
(`runtime.async_site_for_call`): every action but `export_journal` needs the
right to control the site's entities, `export_journal` the right to read
them. Calls without a user (automations, scripts they run) pass as before.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, cast

from homeassistant.auth.permissions.const import POLICY_READ
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType
import probatio as vol

from .const import DOMAIN
from .control import SiteControl
from .export import export_records
from .hardware.commands import MODE_COMMANDS, TRANSFER_COMMANDS, Command
from .runtime import async_site_for_call
from .sms_answers import on_call_people, sms_service

ATTR_MODE = "mode"
ATTR_TO = "to"
ATTR_DURATION = "duration"
ATTR_WITH_LOAD = "with_load"
ATTR_LITRES = "litres"
ATTR_TANK_LITRES = "tank_litres"
ATTR_ALARM = "alarm"
ATTR_BY = "by"
ATTR_START = "start"
ATTR_END = "end"
ATTR_KIND = "kind"
ATTR_PEOPLE = "people"
ATTR_MINUTES = "minutes"
ATTR_LANGUAGE = "language"
ATTR_QUESTION = "question"


SITE_SCHEMA = vol.Schema({vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string})
MODE_SCHEMA = SITE_SCHEMA.extend({vol.Required(ATTR_MODE): vol.In(list(MODE_COMMANDS))})
TRANSFER_SCHEMA = SITE_SCHEMA.extend(
    {vol.Required(ATTR_TO): vol.In(list(TRANSFER_COMMANDS))}
)
TEST_RUN_SCHEMA = SITE_SCHEMA.extend(
    {
        vol.Optional(ATTR_DURATION, default=30): vol.All(
            vol.Coerce(float), vol.Range(min=5, max=240)
        ),
        vol.Optional(ATTR_WITH_LOAD, default=True): cv.boolean,
    }
)

DELIVERY_SCHEMA = SITE_SCHEMA.extend(
    {
        vol.Required(ATTR_LITRES): vol.All(
            vol.Coerce(float), vol.Range(min=1, max=100000)
        ),
        vol.Optional(ATTR_TANK_LITRES): vol.All(
            vol.Coerce(float), vol.Range(min=0, max=100000)
        ),
    }
)

ACKNOWLEDGE_SCHEMA = SITE_SCHEMA.extend(
    {vol.Optional(ATTR_ALARM): cv.string, vol.Optional(ATTR_BY): cv.string}
)
ASK_SCHEMA = SITE_SCHEMA.extend(
    {
        vol.Required(ATTR_KIND): vol.In(["start", "acknowledge"]),
        vol.Required(ATTR_PEOPLE): [
            vol.Schema(
                {vol.Optional("name"): cv.string, vol.Required("number"): cv.string},
                extra=vol.ALLOW_EXTRA,
            )
        ],
        vol.Optional(ATTR_MINUTES, default=10): vol.All(
            vol.Coerce(float), vol.Range(min=1, max=24 * 60)
        ),
        vol.Optional(ATTR_LANGUAGE, default="sv"): vol.In(["sv", "en"]),
        vol.Optional(ATTR_QUESTION): cv.string,
    }
)
CLOSE_SCHEMA = SITE_SCHEMA.extend({vol.Required(ATTR_QUESTION): cv.string})
EXPORT_SCHEMA = SITE_SCHEMA.extend(
    {vol.Optional(ATTR_START): cv.datetime, vol.Optional(ATTR_END): cv.datetime}
)


async def async_site_control(hass: HomeAssistant, call: ServiceCall) -> SiteControl:
    """The control of the site a call names, if the caller may control it.

    Translated errors if there is no such site; Unauthorized, journaled, if
    the person calling may not control it.
    """
    return (await async_site_for_call(hass, call)).runtime_data.control


def _command(
    hass: HomeAssistant, pick: Callable[[ServiceCall], Command]
) -> Callable[[ServiceCall], Coroutine[Any, Any, None]]:
    async def handle(call: ServiceCall) -> None:
        control = await async_site_control(hass, call)
        await control.async_command(pick(call), call.context)

    return handle


def _fixed(command: Command) -> Callable[[ServiceCall], Command]:
    return lambda _call: command


async def _start_test_run(hass: HomeAssistant, call: ServiceCall) -> None:
    control = await async_site_control(hass, call)
    await control.async_start_test_run(
        call.data[ATTR_DURATION], call.data[ATTR_WITH_LOAD], call.context
    )


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the site actions."""
    commands: dict[str, tuple[Callable[[ServiceCall], Command], vol.Schema]] = {
        "start_generator": (_fixed(Command.START), SITE_SCHEMA),
        "stop_generator": (_fixed(Command.STOP), SITE_SCHEMA),
        "reset_alarms": (_fixed(Command.RESET_ALARMS), SITE_SCHEMA),
        "set_controller_mode": (
            lambda call: MODE_COMMANDS[call.data[ATTR_MODE]],
            MODE_SCHEMA,
        ),
        "transfer_load": (
            lambda call: TRANSFER_COMMANDS[call.data[ATTR_TO]],
            TRANSFER_SCHEMA,
        ),
    }
    for name, (pick, schema) in commands.items():
        hass.services.async_register(DOMAIN, name, _command(hass, pick), schema=schema)

    async def start_test_run(call: ServiceCall) -> None:
        await _start_test_run(hass, call)

    hass.services.async_register(
        DOMAIN, "start_test_run", start_test_run, schema=TEST_RUN_SCHEMA
    )

    async def record_fuel_delivery(call: ServiceCall) -> None:
        control = await async_site_control(hass, call)
        await control.async_record_fuel_delivery(
            call.data[ATTR_LITRES], call.data.get(ATTR_TANK_LITRES), call.context
        )

    hass.services.async_register(
        DOMAIN, "record_fuel_delivery", record_fuel_delivery, schema=DELIVERY_SCHEMA
    )

    async def acknowledge_alarm(call: ServiceCall) -> ServiceResponse:
        control = await async_site_control(hass, call)
        acknowledged = control.acknowledge_alarms(
            call.data.get(ATTR_ALARM), call.data.get(ATTR_BY), call.context
        )
        return {"acknowledged": list(acknowledged)}

    hass.services.async_register(
        DOMAIN,
        "acknowledge_alarm",
        acknowledge_alarm,
        schema=ACKNOWLEDGE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )

    _register_sms_actions(hass)

    async def export_journal(call: ServiceCall) -> ServiceResponse:
        entry = await async_site_for_call(hass, call, POLICY_READ)
        start, end = call.data.get(ATTR_START), call.data.get(ATTR_END)
        records = export_records(
            entry.runtime_data.journal,
            dt_util.as_utc(start) if start else None,
            dt_util.as_utc(end) if end else None,
        )
        return {"site": entry.title, "records": cast(list[JsonValueType], records)}

    hass.services.async_register(
        DOMAIN,
        "export_journal",
        export_journal,
        schema=EXPORT_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )


def _register_sms_actions(hass: HomeAssistant) -> None:
    """The on-call list and questions by SMS, for the blueprints.

    All three need the right to control the site: the list holds phone
    numbers, and a question's code starts the generator.
    """

    async def on_call(call: ServiceCall) -> ServiceResponse:
        entry = await async_site_for_call(hass, call)
        return {
            "people": cast(list[JsonValueType], on_call_people(entry.options)),
            "sms_service": sms_service(entry.options),
        }

    async def ask_by_sms(call: ServiceCall) -> ServiceResponse:
        entry = await async_site_for_call(hass, call)
        question = await entry.runtime_data.answers.async_ask(
            call.data[ATTR_KIND],
            call.data[ATTR_PEOPLE],
            call.data[ATTR_MINUTES],
            call.data[ATTR_LANGUAGE],
            call.data.get(ATTR_QUESTION),
        )
        return {"question": question.id, "code": question.code}

    async def close_question(call: ServiceCall) -> None:
        entry = await async_site_for_call(hass, call)
        await entry.runtime_data.answers.async_close(call.data[ATTR_QUESTION])

    hass.services.async_register(
        DOMAIN,
        "on_call",
        on_call,
        schema=SITE_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        "ask_by_sms",
        ask_by_sms,
        schema=ASK_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN, "close_question", close_question, schema=CLOSE_SCHEMA
    )


__all__ = ["async_setup_services", "async_site_control"]
