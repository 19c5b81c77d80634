"""Control of a site from Home Assistant: every command goes through here.

Services, buttons, the mode select and the switches all call `SiteControl`, so
the interlocks, the journal entry and the translated error are the same
whoever presses the button. The hardware layer decides what is safe; this
module says so to the person in their language and writes it down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .const import DOMAIN, SUBENTRY_GENERATOR, SUBENTRY_IO_MODULE
from .coordinator import SotPointCoordinator
from .fuel_memory import FuelMemory
from .hardware.commands import (
    Command,
    CommandNotFollowedError,
    CommandRefusedError,
    CommandRunner,
    Interlocks,
    RefusalReason,
    check,
)
from .hardware.devices import DseController, IoModule
from .hardware.errors import HardwareError, ModbusExceptionError
from .hardware.state import ControlMode, GeneratorState
from .journal import Journal, RecordKind
from .texts import Texts, async_load_texts

VERIFY_TIMEOUT_S = 20.0
VERIFY_INTERVAL_S = 0.5


@dataclass
class SiteControl:
    """Commands for one site, checked, sent, verified and journaled."""

    hass: HomeAssistant
    coordinator: SotPointCoordinator
    journal: Journal
    fuel: FuelMemory
    maintenance: bool = False
    verify_timeout: float = VERIFY_TIMEOUT_S
    verify_interval: float = VERIFY_INTERVAL_S
    _runner: CommandRunner | None = None
    _test_run_end: CALLBACK_TYPE | None = None

    async def async_command(self, command: Command, context: Context | None) -> None:
        """Carry out one command or raise a translated error saying why not."""
        controller, state = self._generator()
        runner = self._runner_for(controller)
        try:
            await runner.execute(command, self._interlocks(), state, self._on_poll)
        except CommandRefusedError as err:
            self._write(
                "refused",
                command.value,
                context,
                reason=err.reason.value,
                detail=err.detail,
            )
            raise await self._refusal(err) from err
        except CommandNotFollowedError as err:
            self._write("not_followed", command.value, context)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_not_followed",
                translation_placeholders={"seconds": f"{err.timeout:.0f}"},
            ) from err
        except ModbusExceptionError as err:
            self._write("failed", command.value, context, reason=err.meaning.value)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="controller_refused",
                translation_placeholders={"error": str(err)},
            ) from err
        except HardwareError as err:
            self._write("failed", command.value, context, reason=str(err))
            raise _communication_error(err) from err
        self._write("done", command.value, context)
        await self.coordinator.async_request_refresh()

    def _generator(self) -> tuple[DseController, GeneratorState]:
        handle = self.coordinator.handle_of(SUBENTRY_GENERATOR)
        if handle is None or not isinstance(handle.reader, DseController):
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_generator"
            )
        data = self.coordinator.data
        if data.generator is None or handle.subentry.subentry_id in data.failed:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="generator_unavailable"
            )
        return handle.reader, data.generator

    def _runner_for(self, controller: DseController) -> CommandRunner:
        if self._runner is None or self._runner.controller is not controller:
            self._runner = CommandRunner(
                controller, self.verify_timeout, self.verify_interval
            )
        return self._runner

    def _interlocks(self) -> Interlocks:
        settings = self.coordinator.tracker.settings
        return Interlocks(
            maintenance=self.maintenance, mains_limits=settings.mains_limits
        )

    @callback
    def _on_poll(self, state: GeneratorState) -> None:
        # Verification polls read the controller anyway; the entities show
        # what they read instead of waiting for the next regular poll.
        self.coordinator.async_set_generator_state(state)

    async def _refusal(self, err: CommandRefusedError) -> ServiceValidationError:
        detail = err.detail
        if err.reason is RefusalReason.SHUTDOWN_ALARM:
            detail = await self._alarm_names(detail)
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=f"refused_{err.reason.value}",
            translation_placeholders={"detail": detail},
        )

    async def _alarm_names(self, keys: str) -> str:
        """The alarms' names in the site's language, for the refusal message."""
        # Loaded here too: the language may have changed since the journal
        # loaded the texts, and a refusal is rare enough to wait for them.
        await async_load_texts(self.hass)
        texts = Texts(self.hass)
        return ", ".join(texts.alarm(key) for key in keys.split(", "))

    def _write(
        self, result: str, what: str, context: Context | None, **extra: str
    ) -> None:
        self.journal.add(
            RecordKind.COMMAND,
            {"command": what, "result": result, **extra} | _who(context),
            context=context,
        )

    async def async_set_maintenance(self, on: bool, context: Context | None) -> None:
        """Turn the maintenance lock on or off; journaled either way."""
        self.maintenance = on
        self.journal.add(
            RecordKind.MAINTENANCE, {"on": on} | _who(context), context=context
        )
        self.coordinator.async_update_listeners()

    async def async_record_fuel_delivery(
        self, litres: float, tank_litres: float | None, context: Context | None
    ) -> None:
        """Note a delivery: the estimate grows, or starts again at a known level."""
        estimate = self.coordinator.tracker.record_delivery(
            litres, dt_util.utcnow(), tank_litres
        )
        await self.fuel.async_save()
        self.journal.add(
            RecordKind.FUEL_DELIVERY,
            {
                "litres": litres,
                "tank_litres": tank_litres,
                "estimate_litres": round(estimate.litres, 1),
            }
            | _who(context),
            context=context,
        )
        await self.coordinator.async_refresh()

    def acknowledge_alarms(
        self, alarm: str | None, name: str | None, context: Context | None
    ) -> list[str]:
        """Record who acknowledged an alarm (or every raised one); return which."""
        state = self.coordinator.data.generator
        keys = (
            [alarm] if alarm else [a.key for a in state.active_alarms] if state else []
        )
        return [
            key
            for key in keys
            if self.journal.acknowledge_alarm(key, user_name=name, context=context)
        ]

    async def async_set_heater(self, on: bool, context: Context | None) -> None:
        """Switch the warm room's heater relay and read it back."""
        handle = self.coordinator.handle_of(SUBENTRY_IO_MODULE)
        if handle is None or not isinstance(handle.reader, IoModule):
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_io_module"
            )
        what = "heater_on" if on else "heater_off"
        try:
            await handle.reader.set_heater(on)
        except HardwareError as err:
            self._write("failed", what, context, reason=str(err))
            raise _communication_error(err) from err
        self._write("done", what, context)
        await self.coordinator.async_refresh()

    async def async_start_test_run(
        self, minutes: float, with_load: bool, context: Context | None
    ) -> None:
        """Run the set for `minutes`, on load or off, then return it to Auto.

        On load is the controller's Test mode; off load is Manual plus a start.
        When the time is up the controller goes back to Auto, which stops the
        set with its own cool-down.
        """
        # Checked as a start before anything is sent: the off-load run would
        # otherwise select Manual first and only then meet the refusal.
        self._check_before_test_run(context)
        if with_load:
            await self.async_command(Command.SELECT_TEST_ON_LOAD, context)
        else:
            await self.async_command(Command.SELECT_MANUAL, context)
        # In Test or Manual mode a DSE set runs only after its start key.
        await self.async_command(Command.START, context)
        self._cancel_test_run_end()
        self._test_run_end = async_call_later(
            self.hass, timedelta(minutes=minutes), self._end_test_run
        )

    def _check_before_test_run(self, context: Context | None) -> None:
        _controller, state = self._generator()
        try:
            check(Command.START, state, self._interlocks())
        except CommandRefusedError as err:
            self._write(
                "refused",
                "start_test_run",
                context,
                reason=err.reason.value,
                detail=err.detail,
            )
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=f"refused_{err.reason.value}",
                translation_placeholders={"detail": err.detail},
            ) from err

    async def _end_test_run(self, _now: Any) -> None:
        self._test_run_end = None
        state = self.coordinator.data.generator
        if state is not None and state.mode is ControlMode.AUTO:
            return  # someone already put it back
        try:
            await self.async_command(Command.SELECT_AUTO, None)
        except HomeAssistantError:
            return  # refused or not followed: journaled by async_command

    def _cancel_test_run_end(self) -> None:
        if self._test_run_end is not None:
            self._test_run_end()
            self._test_run_end = None

    def shutdown(self) -> None:
        """Forget scheduled work when the site unloads."""
        self._cancel_test_run_end()


def _who(context: Context | None) -> dict[str, str | None]:
    return {"user_id": context.user_id if context else None}


def _communication_error(err: HardwareError) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="communication_error",
        translation_placeholders={"error": str(err)},
    )
