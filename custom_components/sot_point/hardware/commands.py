"""Control requests for a generator controller, and the interlocks that refuse them.

Everything that can start the engine or move the load passes `check()` before a
single word is written. The controller's own protections stay in charge (it
answers exception 8 when it disagrees); these interlocks exist so that we never
ask for something unsafe in the first place, and so the person pressing the
button is told why in plain words.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from enum import StrEnum
import time

from .devices import DseController
from .errors import HardwareError, ModbusExceptionError
from .families import (
    COMMANDABLE,
    SmartGenController,
    controller_family,
    smartgen_coil,
)
from .profiles.dse_gencomm import CONTROL_KEY_ADDRESS, ControlKey, control_words
from .state import (
    DEFAULT_GENERATOR_LIMITS,
    DEFAULT_MAINS_LIMITS,
    BandLimits,
    ControlMode,
    GeneratorState,
)


class Command(StrEnum):
    """What a person or automation can ask the generator to do."""

    SELECT_STOP = "select_stop"
    SELECT_AUTO = "select_auto"
    SELECT_MANUAL = "select_manual"
    SELECT_TEST_ON_LOAD = "select_test_on_load"
    START = "start"
    STOP = "stop"
    TRANSFER_TO_GENERATOR = "transfer_to_generator"
    TRANSFER_TO_MAINS = "transfer_to_mains"
    RESET_ALARMS = "reset_alarms"
    MUTE_ALARM = "mute_alarm"


# The modes a person may choose, by the word the select and the actions use
# (ControlMode's member names in lower case), and the command that selects each.
MODE_COMMANDS: dict[str, Command] = {
    "stop": Command.SELECT_STOP,
    "auto": Command.SELECT_AUTO,
    "manual": Command.SELECT_MANUAL,
    "test_on_load": Command.SELECT_TEST_ON_LOAD,
}
# Where the load can be moved to, and the command that moves it there.
TRANSFER_COMMANDS: dict[str, Command] = {
    "generator": Command.TRANSFER_TO_GENERATOR,
    "mains": Command.TRANSFER_TO_MAINS,
}


class RefusalReason(StrEnum):
    """Why a command was refused before anything was sent."""

    MAINTENANCE_LOCK = "maintenance_lock"
    STATUS_UNKNOWN = "status_unknown"
    STOP_MODE = "stop_mode"
    WRONG_MODE = "wrong_mode"
    SHUTDOWN_ALARM = "shutdown_alarm"
    NOT_RUNNING_IN_BAND = "not_running_in_band"
    MAINS_NOT_AVAILABLE = "mains_not_available"
    COMMAND_IN_FLIGHT = "command_in_flight"
    NOT_SUPPORTED = "not_supported"
    NO_FRESH_READING = "no_fresh_reading"
    READ_ONLY = "read_only"


class CommandRefusedError(HardwareError):
    """An interlock refused the command; nothing was written."""

    key = "command_refused"

    def __init__(
        self, command: Command, reason: RefusalReason, detail: str = ""
    ) -> None:
        """Name the command, the reason and, where there is one, the detail."""
        self.command = command
        self.reason = reason
        self.detail = detail
        text = f"{command.value} refused: {reason.value}"
        super().__init__(f"{text} ({detail})" if detail else text)


class CommandNotFollowedError(HardwareError):
    """The command was sent but the controller did not do it in time."""

    key = "command_not_followed"

    def __init__(self, command: Command, timeout: float) -> None:
        """Say which command was not followed within `timeout` seconds."""
        self.command = command
        self.timeout = timeout
        super().__init__(f"{command.value} not followed within {timeout:.0f} s")


# Commands that may start the engine or put it on load.
_STARTING = {Command.START, Command.SELECT_TEST_ON_LOAD}
_TRANSFERS = {Command.TRANSFER_TO_GENERATOR, Command.TRANSFER_TO_MAINS}
# Commands judged on the instrument page (the alarms before a start; the
# set's and the grid's voltage and frequency before a transfer), which the
# regular poll reads only every instrument interval.
_JUDGED_ON_INSTRUMENTS = _STARTING | _TRANSFERS
# Commands the maintenance lock blocks: anything that starts, changes mode
# towards running, or moves the load. Stop and mute stay allowed so a
# technician can always make the set safe; reset only in Stop (see check).
_LOCKED = {
    Command.SELECT_AUTO,
    Command.SELECT_MANUAL,
    Command.SELECT_TEST_ON_LOAD,
    Command.START,
    Command.TRANSFER_TO_GENERATOR,
    Command.TRANSFER_TO_MAINS,
}
_MODE_KEYS = {
    Command.SELECT_STOP: ControlKey.SELECT_STOP,
    Command.SELECT_AUTO: ControlKey.SELECT_AUTO,
    Command.SELECT_MANUAL: ControlKey.SELECT_MANUAL,
    Command.SELECT_TEST_ON_LOAD: ControlKey.SELECT_TEST_ON_LOAD,
    Command.TRANSFER_TO_GENERATOR: ControlKey.TRANSFER_TO_GENERATOR,
    Command.TRANSFER_TO_MAINS: ControlKey.TRANSFER_TO_MAINS,
    Command.RESET_ALARMS: ControlKey.RESET_ALARMS_BUTTON,
    Command.MUTE_ALARM: ControlKey.MUTE_ALARM,
}


@dataclass(frozen=True, slots=True)
class Interlocks:
    """What the site knows beyond the controller's own state."""

    maintenance: bool = False
    generator_limits: BandLimits = DEFAULT_GENERATOR_LIMITS
    mains_limits: BandLimits = DEFAULT_MAINS_LIMITS
    # The mains as the site sees it (a separate transfer switch measures it
    # too), for a controller that does not report the mains itself.
    site_mains: bool | None = None


def key_for(command: Command, state: GeneratorState) -> ControlKey:
    """The GenComm key that carries out `command` in the controller's mode.

    Start and stop depend on the mode: in Manual or Test the start key starts
    the engine; in Auto only a telemetry start does, and a stop cancels it so
    the controller runs its own cool-down.
    """
    if command is Command.START:
        if state.mode is ControlMode.AUTO:
            return ControlKey.TELEMETRY_START
        return ControlKey.START_ENGINE
    if command is Command.STOP:
        if state.mode is ControlMode.AUTO:
            return ControlKey.CANCEL_TELEMETRY_START
        return ControlKey.SELECT_STOP
    return _MODE_KEYS[command]


def check(
    command: Command, state: GeneratorState, interlocks: Interlocks
) -> ControlKey:
    """Refuse an unsafe command; return the key to send for a safe one."""
    if interlocks.maintenance and command in _LOCKED:
        raise CommandRefusedError(command, RefusalReason.MAINTENANCE_LOCK)
    if state.mode is None:
        raise CommandRefusedError(command, RefusalReason.STATUS_UNKNOWN)
    if (
        interlocks.maintenance
        and command is Command.RESET_ALARMS
        and state.mode is not ControlMode.STOP
    ):
        # A shutdown alarm is what keeps a controller in Auto from starting
        # on a mains failure or a remote start; resetting it there can start
        # the engine by itself with someone working on the set (DSE's
        # manuals warn the module may start it "at any time without
        # warning"). Under the lock, reset in Stop, where it cannot start.
        raise CommandRefusedError(command, RefusalReason.MAINTENANCE_LOCK, "reset")
    if command in _STARTING:
        _check_start(command, state, state.mode)
    if command is Command.TRANSFER_TO_GENERATOR and not state.running_in_band(
        interlocks.generator_limits
    ):
        raise CommandRefusedError(command, RefusalReason.NOT_RUNNING_IN_BAND)
    if command is Command.TRANSFER_TO_MAINS:
        mains = state.mains_available(interlocks.mains_limits)
        if mains is None:
            mains = interlocks.site_mains
        if mains is not True:
            # Unknown is not good enough to put the load on it.
            detail = "" if mains is False else "unknown"
            raise CommandRefusedError(
                command, RefusalReason.MAINS_NOT_AVAILABLE, detail
            )
    key = key_for(command, state)
    if state.supported_functions and int(key) not in state.supported_functions:
        raise CommandRefusedError(command, RefusalReason.NOT_SUPPORTED, key.name)
    return key


def _check_start(command: Command, state: GeneratorState, mode: ControlMode) -> None:
    if state.has_stopping_alarm:
        names = ", ".join(a.key for a in state.stopping_alarms) or "status flag"
        raise CommandRefusedError(command, RefusalReason.SHUTDOWN_ALARM, names)
    # Test on load runs the engine as surely as a start does; a set left in
    # Stop is someone's decision and is not started from afar either way.
    if mode in (ControlMode.STOP, ControlMode.OFF):
        raise CommandRefusedError(command, RefusalReason.STOP_MODE)
    if command is Command.START and mode not in (
        ControlMode.AUTO,
        ControlMode.MANUAL,
        ControlMode.TEST_ON_LOAD,
        ControlMode.TEST_OFF_LOAD,
    ):
        raise CommandRefusedError(command, RefusalReason.WRONG_MODE, mode.name)


def followed(command: Command, state: GeneratorState) -> bool | None:
    """Whether `state` shows the command done; None when it cannot show it."""
    expected_mode = {
        Command.SELECT_STOP: ControlMode.STOP,
        Command.SELECT_AUTO: ControlMode.AUTO,
        Command.SELECT_MANUAL: ControlMode.MANUAL,
        Command.SELECT_TEST_ON_LOAD: ControlMode.TEST_ON_LOAD,
    }
    if command in expected_mode:
        return state.mode is expected_mode[command]
    if command is Command.START:
        return state.starting_or_running
    if command is Command.STOP:
        return state.mode is ControlMode.STOP or not state.starting_or_running
    if command is Command.RESET_ALARMS:
        return not state.has_stopping_alarm
    if command is Command.MUTE_ALARM:
        # No register shows the horn; where the load current flows says nothing.
        return None
    return _transfer_followed(command, state)


def _transfer_followed(command: Command, state: GeneratorState) -> bool | None:
    # No breaker-state register is confirmed in GenComm page 4, so the load's
    # side is told by where current flows; with no load it cannot be told.
    generator = state.phase_sum("generator_current_l") or 0
    mains = state.phase_sum("mains_current_l") or 0
    if command is Command.TRANSFER_TO_GENERATOR and generator > 0:
        return True
    if command is Command.TRANSFER_TO_MAINS and mains > 0:
        return True
    return None if generator == mains == 0 else False


@dataclass
class CommandRunner:
    """Sends checked commands to one controller, one at a time, and verifies them."""

    controller: DseController
    verify_timeout: float = 15.0
    verify_interval: float = 1.0

    def __post_init__(self) -> None:
        """Create the in-flight lock."""
        self._lock = asyncio.Lock()

    @property
    def busy(self) -> bool:
        """Whether a command is being sent or verified now."""
        return self._lock.locked()

    async def execute(
        self,
        command: Command,
        interlocks: Interlocks,
        on_poll: Callable[[GeneratorState], None] | None = None,
    ) -> bool | None:
        """Read the controller afresh, check, send, and verify `command`.

        The interlocks judge a read made inside the command lock, never an
        older poll. Returns True when verified, None when the controller's
        state cannot show the effect (a transfer with no load). Raises
        CommandRefusedError before anything is written (also when the fresh
        read fails), CommandNotFollowedError after the timeout, and the
        write's own error when a write that may have been lost on the way
        back is not followed either.
        """
        self._refuse_read_only(command)
        if self._lock.locked():
            raise CommandRefusedError(command, RefusalReason.COMMAND_IN_FLIGHT)
        async with self._lock:
            state = await self._fresh_state(command)
            if on_poll is not None:
                on_poll(state)
            key = check(command, state, interlocks)
            send = self._sender(command, key, state)
            try:
                await send()
            except ModbusExceptionError:
                raise  # the controller answered, and said no
            except HardwareError as err:
                # A write whose answer was lost may still have reached the
                # controller: what it does next says whether it did.
                try:
                    return await self._verify(command, on_poll)
                except HardwareError:
                    raise err from None
            return await self._verify(command, on_poll)

    async def judge(
        self,
        command: Command,
        interlocks: Interlocks,
        on_poll: Callable[[GeneratorState], None] | None = None,
        *,
        in_mode: ControlMode | None = None,
    ) -> None:
        """Read the controller afresh and check `command` without sending it.

        For a command that needs others first (a test run off load selects
        Manual, then starts): refused here, nothing at all is sent. `in_mode`
        is the mode the command will be sent in, once the others are done: a
        SmartGen has a start coil in Manual and Test, not in Auto.
        """
        self._refuse_read_only(command)
        if self._lock.locked():
            raise CommandRefusedError(command, RefusalReason.COMMAND_IN_FLIGHT)
        async with self._lock:
            state = await self._fresh_state(command)
            if on_poll is not None:
                on_poll(state)
            check(command, state, interlocks)
            as_sent = state if in_mode is None else replace(state, mode=in_mode)
            self._sender(command, key_for(command, state), as_sent)

    def _refuse_read_only(self, command: Command) -> None:
        # A family SOT Point only reads: refused before anything is read or sent.
        family = controller_family(self.controller)
        if family not in COMMANDABLE:
            raise CommandRefusedError(command, RefusalReason.READ_ONLY, family.value)

    def _sender(
        self, command: Command, key: ControlKey, state: GeneratorState
    ) -> Callable[[], Awaitable[None]]:
        """The write that carries out `command` on this family's controller.

        Refused (nothing written) when the family documents no way to do it.
        """
        controller = self.controller
        if isinstance(controller, SmartGenController):
            coil = smartgen_coil(command.value, state.mode)
            if coil is None:
                mode = state.mode.name if state.mode else ""
                raise CommandRefusedError(
                    command, RefusalReason.NOT_SUPPORTED, f"SmartGen {mode}".strip()
                )
            return lambda: controller.connection.write_coil(
                controller.device_id, coil, True, retry=False
            )
        return lambda: controller.connection.write_registers(
            controller.device_id, CONTROL_KEY_ADDRESS, control_words(key)
        )

    async def _fresh_state(self, command: Command) -> GeneratorState:
        try:
            return await self.controller.poll(
                fresh_instruments=command in _JUDGED_ON_INSTRUMENTS
            )
        except HardwareError as err:
            raise CommandRefusedError(
                command, RefusalReason.NO_FRESH_READING, str(err)
            ) from err

    async def _verify(
        self, command: Command, on_poll: Callable[[GeneratorState], None] | None
    ) -> bool | None:
        deadline = time.monotonic() + self.verify_timeout
        result: bool | None = False
        while time.monotonic() < deadline:
            await asyncio.sleep(self.verify_interval)
            # A transfer shows in the currents, on the instrument page.
            state = await self.controller.poll(fresh_instruments=command in _TRANSFERS)
            if on_poll is not None:
                on_poll(state)
            result = followed(command, state)
            if result is not False:
                return result
        raise CommandNotFollowedError(command, self.verify_timeout)
