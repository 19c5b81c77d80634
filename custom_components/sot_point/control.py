"""Control of a site from Home Assistant: every command goes through here.

Services, buttons, the mode select and the switches all call `SiteControl`, so
the interlocks, the journal entry and the translated error are the same
whoever presses the button. The hardware layer decides what is safe; this
module says so to the person in their language and writes it down.

`SiteControl` also owns the site's safety state: the maintenance lock and
the end of a test run. Both are written to storage the moment they change
(safety_store.py) and read back before the site's first command, so neither
a crash, a reload nor a disabled switch loses them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import (
    async_call_later,
    async_track_point_in_utc_time,
)
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER, SUBENTRY_GENERATOR, SUBENTRY_IO_MODULE
from .coordinator import SotPointCoordinator
from .fuel_memory import FuelMemory
from .hardware.commands import (
    Command,
    CommandNotFollowedError,
    CommandRefusedError,
    CommandRunner,
    Interlocks,
    RefusalReason,
)
from .hardware.devices import DseController, IoModule
from .hardware.errors import HardwareError, ModbusExceptionError
from .hardware.registers import Unavailable
from .hardware.state import ControlMode, GeneratorState
from .journal import Journal, RecordKind
from .safety_store import SafetyState, SafetyStore
from .texts import Texts, async_load_texts

VERIFY_TIMEOUT_S = 20.0
VERIFY_INTERVAL_S = 0.5
# Ending a test run is tried again until the controller is back in Auto:
# after 30 s, then twice as long each time, at most every 10 minutes.
RETRY_FIRST_S: Final = 30.0
RETRY_MAX_S: Final = 600.0
# After this many failed tries a person is told, as a repair issue.
ISSUE_AFTER_TRIES: Final = 3
# The repair issue of a test run that does not end (repairs.Issue has it too;
# raised here, where the tries are, as repairs.py is above this module).
TEST_RUN_NOT_ENDED: Final = "test_run_not_ended"
# After setting the clock, what it reads back may differ by the request's
# round trip and the controller's whole-second resolution, nothing more.
CLOCK_SET_TOLERANCE_S: Final = 5.0
# Errors of a command that may have reached the controller all the same: it
# did not follow in time, or its answer was lost. (Refusals, ours or the
# controller's, and a silent controller mean nothing was done.)
_MAYBE_SENT: Final = frozenset({"command_not_followed", "communication_error"})


class ClockNotSetError(HomeAssistantError):
    """The controller's clock did not take the time; `shown` is what it reads."""

    def __init__(self, shown: datetime | None) -> None:
        """Keep what the controller shows (None: it shows no time)."""
        super().__init__(translation_domain=DOMAIN, translation_key="clock_not_set")
        self.shown = shown


@dataclass
class SiteControl:
    """Commands for one site, checked, sent, verified and journaled.

    With `safety` (as runtime.async_build_site builds it) the lock and the
    test run's end start from what is stored and are stored on every change;
    without, they are kept in memory only.
    """

    hass: HomeAssistant
    coordinator: SotPointCoordinator
    journal: Journal
    fuel: FuelMemory
    safety: SafetyStore | None = None
    verify_timeout: float = VERIFY_TIMEOUT_S
    verify_interval: float = VERIFY_INTERVAL_S
    _runner: CommandRunner | None = None
    _state: SafetyState = field(init=False)
    # The timer to the test run's end, or to the next try at ending it.
    _end_timer: CALLBACK_TYPE | None = field(default=None, init=False)
    _ending: asyncio.Task[None] | None = field(default=None, init=False)
    _tries: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        """Start from the stored safety state."""
        self._state = self.safety.loaded if self.safety else SafetyState()

    @property
    def maintenance(self) -> bool:
        """Whether the maintenance lock is on."""
        return self._state.maintenance

    @property
    def test_run_end(self) -> datetime | None:
        """When the test run going on ends (or ended, until back in Auto)."""
        return self._state.test_run_end

    async def _async_keep(self, state: SafetyState) -> None:
        # In force at once; on disk before the caller goes on.
        self._state = state
        if self.safety is not None:
            await self.safety.async_save(state)

    async def async_command(self, command: Command, context: Context | None) -> None:
        """Carry out one command or raise a translated error saying why not."""
        controller, _last = self._checked_generator(command.value, context)
        runner = self._runner_for(controller)
        try:
            verified = await runner.execute(command, self._interlocks(), self._on_poll)
        except CommandRefusedError as err:
            raise await self._refusal(command.value, err, context) from err
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
        # None: the controller's state cannot show it (a transfer with no load
        # on either side), so it is written down as sent, not as done.
        self._write("done" if verified else "unverified", command.value, context)
        await self.coordinator.async_request_refresh()

    def _generator(self) -> tuple[DseController, GeneratorState]:
        """The controller and its last poll; raise if there is none to act on."""
        handle = self.coordinator.handle_of(SUBENTRY_GENERATOR)
        if handle is None or not isinstance(handle.reader, DseController):
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_generator"
            )
        data = self.coordinator.data
        if (
            not self.coordinator.last_update_success
            or data.generator is None
            or handle.subentry.subentry_id in data.failed
        ):
            # The site's or the controller's last read failed: nothing it
            # shows is to be acted on, however recent it looks.
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="refused_no_fresh_reading",
                translation_placeholders={"detail": ""},
            )
        return handle.reader, data.generator

    def _checked_generator(
        self, what: str, context: Context | None
    ) -> tuple[DseController, GeneratorState]:
        """`_generator()`, with a refusal written to the journal."""
        try:
            return self._generator()
        except ServiceValidationError as err:
            reason = (err.translation_key or "").removeprefix("refused_")
            self._write("refused", what, context, reason=reason)
            raise

    def _runner_for(self, controller: DseController) -> CommandRunner:
        if self._runner is None or self._runner.controller is not controller:
            self._runner = CommandRunner(
                controller, self.verify_timeout, self.verify_interval
            )
        return self._runner

    def _interlocks(self) -> Interlocks:
        settings = self.coordinator.tracker.settings
        return Interlocks(
            maintenance=self.maintenance,
            mains_limits=settings.mains_limits,
            site_mains=self.coordinator.data.mains_available,
        )

    @callback
    def _on_poll(self, state: GeneratorState) -> None:
        # Verification polls read the controller anyway; the entities show
        # what they read instead of waiting for the next regular poll.
        self.coordinator.async_set_generator_state(state)

    async def _refusal(
        self, what: str, err: CommandRefusedError, context: Context | None
    ) -> ServiceValidationError:
        """Journal the refusal of `what` and say why in the user's language."""
        self._write(
            "refused", what, context, reason=err.reason.value, detail=err.detail
        )
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
        """Turn the maintenance lock on or off; stored at once and journaled."""
        await self._async_keep(replace(self._state, maintenance=on))
        self.journal.add(
            RecordKind.MAINTENANCE, {"on": on} | _who(context), context=context
        )
        self.coordinator.async_update_listeners()
        end = self._state.test_run_end
        if not on and end is not None and end <= dt_util.utcnow():
            # The lock refused the return to Auto at the run's end: end it
            # now rather than at the next try, up to ten minutes away.
            self._arm_test_run_end()

    async def async_set_clock(self, context: Context | None) -> None:
        """Set the controller's clock to Home Assistant's time and check it took.

        Journaled like any command; raises a communication error, or
        ClockNotSetError when the time read back is not the one written.
        """
        controller, _last = self._checked_generator("set_clock", context)
        # Assumption (brief): the controller keeps UTC seconds since 1970.
        try:
            read_back = await controller.set_clock(round(dt_util.utcnow().timestamp()))
        except HardwareError as err:
            self._write("failed", "set_clock", context, reason=str(err))
            raise _communication_error(err) from err
        if isinstance(read_back, Unavailable) or (
            abs(read_back - dt_util.utcnow().timestamp()) > CLOCK_SET_TOLERANCE_S
        ):
            self._write("not_followed", "set_clock", context)
            shown = None
            if not isinstance(read_back, Unavailable):
                shown = dt_util.utc_from_timestamp(read_back)
            raise ClockNotSetError(shown)
        self._write("done", "set_clock", context)
        # Read the new time now, so what shows it (a repair) clears at once.
        await self.coordinator.async_refresh()

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
        set with its own cool-down. The end is stored before anything is
        sent, so a reload or a restart ends the run on time too.
        """
        # Checked as a start, on a fresh read, before anything is sent: the
        # off-load run would otherwise leave Stop for Manual and then start.
        await self._check_before_test_run(with_load, context)
        previous = self._state.test_run_end
        end = dt_util.utcnow() + timedelta(minutes=minutes)
        self._cancel_end_timer()
        await self._async_keep(replace(self._state, test_run_end=end))
        select = Command.SELECT_TEST_ON_LOAD if with_load else Command.SELECT_MANUAL
        try:
            await self.async_command(select, context)
        except HomeAssistantError as err:
            if err.translation_key in _MAYBE_SENT:
                # The mode may have changed, now or in a while: take it back.
                await self._async_end_test_run_now()
            else:
                # Nothing was done; a run before this one keeps its own end.
                await self._async_keep(replace(self._state, test_run_end=previous))
                self._arm_test_run_end()
            raise
        try:
            # In Test or Manual mode a DSE set runs only after its start key.
            await self.async_command(Command.START, context)
        except HomeAssistantError:
            # The mode was changed for a run that did not start: put it back.
            await self._async_end_test_run_now()
            raise
        # This run's end replaces an earlier one still being tried, and its
        # issue with it: raised again if this end fails too.
        ir.async_delete_issue(self.hass, DOMAIN, self._not_ended_issue_id)
        self._arm_test_run_end()

    async def _check_before_test_run(
        self, with_load: bool, context: Context | None
    ) -> None:
        controller, _last = self._checked_generator("start_test_run", context)
        runner = self._runner_for(controller)
        # The start is sent once the run's mode is selected.
        mode = ControlMode.TEST_ON_LOAD if with_load else ControlMode.MANUAL
        try:
            await runner.judge(
                Command.START, self._interlocks(), self._on_poll, in_mode=mode
            )
        except CommandRefusedError as err:
            raise await self._refusal("start_test_run", err, context) from err

    @callback
    def async_resume(self) -> None:
        """At setup: end a stored test run on time, or now if its end has passed."""
        self._arm_test_run_end()

    @callback
    def _arm_test_run_end(self) -> None:
        """Have the stored test run ended at its end; at once if that has passed."""
        self._cancel_end_timer()
        self._tries = 0
        end = self._state.test_run_end
        if end is None:
            return
        if end <= dt_util.utcnow():
            self._start_ending()
        else:
            self._end_timer = async_track_point_in_utc_time(
                self.hass, self._on_end_timer, end
            )

    @callback
    def _on_end_timer(self, _now: datetime) -> None:
        self._end_timer = None
        self._start_ending()

    @callback
    def _start_ending(self) -> None:
        if self._ending is not None and not self._ending.done():
            return  # a try is under way; it schedules the next if need be
        if not self._site_running():
            return
        self._ending = self.coordinator.config_entry.async_create_task(
            self.hass, self._async_try_ending(), "end test run"
        )

    async def _async_end_test_run_now(self) -> None:
        """Try to end the run at once; retried later if this try fails."""
        self._cancel_end_timer()
        self._tries = 0
        await self._async_try_ending()

    async def _async_try_ending(self) -> None:
        """One try at ending the test run: the controller back in Auto."""
        end = self._state.test_run_end
        if end is None:
            return
        self._tries += 1
        try:
            await self._async_back_to_auto()
        except HomeAssistantError as err:
            if self._state.test_run_end != end:
                return  # a new run began meanwhile; its end is its own
            if err.translation_key == "no_generator":
                # The site has no controller any more: nothing here can end
                # it, and a controller added later is not this run's.
                LOGGER.warning(
                    "%s: test run not ended, the site has no generator",
                    self.coordinator.config_entry.title,
                )
                await self._async_test_run_over()
                return
            if self._tries >= ISSUE_AFTER_TRIES:
                self._raise_not_ended(end, err)
            self._schedule_retry()
            return
        if self._state.test_run_end == end:
            await self._async_test_run_over()

    async def _async_back_to_auto(self) -> None:
        """Put the controller in Auto; raise, journaled, if that did not work."""
        # Not sent at all without a controller to act on, but written down
        # all the same, as every try is.
        controller, _last = self._checked_generator(Command.SELECT_AUTO.value, None)
        # Read afresh: the last poll may be older than a mode change whose
        # answer was lost, and would then show Auto when it is not.
        try:
            state = await controller.poll()
        except HardwareError as err:
            self._write("failed", Command.SELECT_AUTO.value, None, reason=str(err))
            raise _communication_error(err) from err
        self._on_poll(state)
        if state.mode is ControlMode.AUTO:
            return  # someone already put it back
        # Through the interlocks like any command: the lock refuses it too,
        # and the run is then ended once the lock is off again.
        await self.async_command(Command.SELECT_AUTO, None)

    @callback
    def _schedule_retry(self) -> None:
        if not self._site_running():
            return
        delay = min(RETRY_FIRST_S * 2 ** (self._tries - 1), RETRY_MAX_S)
        self._cancel_end_timer()
        self._end_timer = async_call_later(self.hass, delay, self._on_end_timer)

    async def _async_test_run_over(self) -> None:
        self._cancel_end_timer()
        self._tries = 0
        ir.async_delete_issue(self.hass, DOMAIN, self._not_ended_issue_id)
        await self._async_keep(replace(self._state, test_run_end=None))

    @property
    def _not_ended_issue_id(self) -> str:
        return f"{TEST_RUN_NOT_ENDED}_{self.coordinator.config_entry.entry_id}"

    def _raise_not_ended(self, end: datetime, err: HomeAssistantError) -> None:
        entry = self.coordinator.config_entry
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._not_ended_issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=TEST_RUN_NOT_ENDED,
            translation_placeholders={
                "site": entry.title,
                "end": dt_util.as_local(end).strftime("%Y-%m-%d %H:%M"),
                "tries": str(self._tries),
                "reason": str(err),
            },
            data={"entry_id": entry.entry_id, "issue": TEST_RUN_NOT_ENDED},
        )

    def _site_running(self) -> bool:
        # Nothing is scheduled for a site that is unloading or unloaded: the
        # next setup picks the stored end up again.
        return self.coordinator.config_entry.state in (
            ConfigEntryState.SETUP_IN_PROGRESS,
            ConfigEntryState.LOADED,
        )

    def _cancel_end_timer(self) -> None:
        if self._end_timer is not None:
            self._end_timer()
            self._end_timer = None

    def shutdown(self) -> None:
        """Forget scheduled work when the site unloads; the stored end stays."""
        self._cancel_end_timer()
        if self._ending is not None:
            self._ending.cancel()
            self._ending = None


def _who(context: Context | None) -> dict[str, str | None]:
    return {"user_id": context.user_id if context else None}


def _communication_error(err: HardwareError) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="communication_error",
        translation_placeholders={"error": str(err)},
    )
