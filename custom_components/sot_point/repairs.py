"""Repair issues of a site: raised from what the site reports, deleted when it clears.

`SiteRepairs` observes every SiteState the coordinator builds and keeps six
issues in step with the site: the controller out of Auto, no recent test run,
maintenance due, a broken tank level sensor, too little fuel autonomy and a
controller clock that is off; and, per generator controller, another
controller answering at its address. Two can be fixed from Settings >
Repairs: the controller is put back in Auto (through `SiteControl`, so the
interlocks apply) and the controller's clock is set to Home Assistant's time.

The six site issues' ids end in the config entry's id, the wrong-device one
in its controller's subentry id, so two sites never share an issue; each
issue's data names its site, so a removed site or device takes its issues
with it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.components.repairs.models import RepairsFlowResult
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import probatio as vol

from .const import (
    CONF_AUTO_REMINDER,
    DOMAIN,
    LOGGER,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
)
from .control import TEST_RUN_NOT_ENDED, ClockNotSetError
from .hardware.commands import Command
from .hardware.devices import DseController
from .hardware.registers import Unavailable
from .hardware.state import ControlMode
from .journal import RecordKind
from .rules.checks import (
    FUEL_HOLD,
    NO_DEVICE,
    Debounce,
    Finding,
    clock_drift,
    clock_placeholders,
    fuel_sensor_fault,
    low_autonomy,
    maintenance_due,
    no_test_run,
    not_in_auto,
)
from .rules.site import SiteMode, SiteState
from .rules.words import word
from .runtime import SotPointConfigEntry
from .settings import option, site_settings_from
from .texts import Texts

# A test run shows in the site mode while it goes on, so the journal is read
# when one ends; this catches anything else (a journal restored from backup).
JOURNAL_RECHECK: Final = timedelta(hours=1)
STEP_CONFIRM: Final = "confirm"
WRONG_DEVICE: Final = "wrong_device"


def wrong_device_issue_id(subentry_id: str) -> str:
    """The registry id of the wrong-device issue of one controller."""
    return f"{WRONG_DEVICE}_{subentry_id}"


class Issue(StrEnum):
    """The site's repair issues; each value is also its translation key."""

    NOT_IN_AUTO = "controller_not_in_auto"
    NO_TEST_RUN = "no_recent_test_run"
    MAINTENANCE_DUE = "maintenance_due"
    FUEL_SENSOR_FAULT = "fuel_sensor_fault"
    LOW_AUTONOMY = "low_fuel_autonomy"
    CLOCK_DRIFT = "controller_clock_drift"
    # Raised and deleted by SiteControl, which tries to end the test run.
    TEST_RUN_NOT_ENDED = TEST_RUN_NOT_ENDED

    def issue_id(self, entry_id: str) -> str:
        """The registry id of this issue for one site."""
        return f"{self.value}_{entry_id}"


_SEVERITY: Final[dict[Issue, ir.IssueSeverity]] = {
    # Out of Auto the site stays dark in the next outage.
    Issue.NOT_IN_AUTO: ir.IssueSeverity.ERROR,
    Issue.NO_TEST_RUN: ir.IssueSeverity.WARNING,
    Issue.MAINTENANCE_DUE: ir.IssueSeverity.WARNING,
    Issue.FUEL_SENSOR_FAULT: ir.IssueSeverity.WARNING,
    Issue.LOW_AUTONOMY: ir.IssueSeverity.WARNING,
    Issue.CLOCK_DRIFT: ir.IssueSeverity.WARNING,
    # A controller left in Test or Manual after a test run is not in Auto.
    Issue.TEST_RUN_NOT_ENDED: ir.IssueSeverity.ERROR,
}
_FIXABLE: Final = frozenset({Issue.NOT_IN_AUTO, Issue.CLOCK_DRIFT})
# Kept across a restart: the hours out of Auto are counted in memory, and a
# restart must not hide a controller that was already found out of Auto.
_PERSISTENT: Final = frozenset({Issue.NOT_IN_AUTO})


def _when(moment: datetime) -> str:
    """A time as the user reads it, in Home Assistant's time zone."""
    return dt_util.as_local(moment).strftime("%Y-%m-%d %H:%M")


def _day(moment: datetime) -> str:
    return dt_util.as_local(moment).strftime("%Y-%m-%d")


class SiteRepairs:
    """Keeps one site's repair issues in step with its coordinator's updates."""

    def __init__(self, hass: HomeAssistant, entry: SotPointConfigEntry) -> None:
        """Prepare the checks with the site's options."""
        self.hass = hass
        self.entry = entry
        self.reminder_h = option(entry.options, CONF_AUTO_REMINDER)
        self.minimum_autonomy_h = site_settings_from(entry.options).minimum_autonomy_h
        self._debounce: dict[Issue, Debounce] = {
            Issue.NOT_IN_AUTO: Debounce(timedelta(hours=self.reminder_h)),
            Issue.NO_TEST_RUN: Debounce(),
            Issue.MAINTENANCE_DUE: Debounce(),
            Issue.FUEL_SENSOR_FAULT: Debounce(FUEL_HOLD, FUEL_HOLD),
            Issue.LOW_AUTONOMY: Debounce(FUEL_HOLD, FUEL_HOLD),
            Issue.CLOCK_DRIFT: Debounce(),
        }
        self._checks: dict[Issue, Callable[[SiteState], Finding]] = {
            Issue.NOT_IN_AUTO: self._not_in_auto,
            Issue.NO_TEST_RUN: self._no_test_run,
            Issue.MAINTENANCE_DUE: self._maintenance_due,
            Issue.FUEL_SENSOR_FAULT: self._fuel_sensor_fault,
            Issue.LOW_AUTONOMY: self._low_autonomy,
            Issue.CLOCK_DRIFT: self._clock_drift,
        }
        self._last_test_run: datetime | None = None
        self._journal_read: datetime | None = None
        self._last_mode: SiteMode | None = None

    @callback
    def async_start(self) -> None:
        """Pick up the issues already raised, then check every new state."""
        # A reload (options, devices) or a restart must not wait out a hold
        # time again for an issue that is already shown.
        for issue, debounce in self._debounce.items():
            debounce.active = self._exists(issue)
        _remove_issues_where(
            self.hass,
            lambda data: (
                data.get("entry_id") == self.entry.entry_id
                and data.get("issue") == WRONG_DEVICE
                and data.get("subentry_id") not in self.entry.subentries
            ),
        )
        coordinator = self.entry.runtime_data.coordinator
        self.entry.async_on_unload(coordinator.async_add_observer(self.observe))
        self.observe(coordinator.data)

    @callback
    def observe(self, state: SiteState) -> None:
        """Raise or delete each issue from one new SiteState."""
        for issue, check in self._checks.items():
            finding = check(state)
            active = self._debounce[issue].update(
                finding.holds, state.updated, at_once=finding.at_once
            )
            self._sync(issue, active, finding)
        self._sync_wrong_devices(state)

    def _sync_wrong_devices(self, state: SiteState) -> None:
        # An address can end up on another controller after a rewiring; its
        # values are not this generator's, whatever the entities are called.
        for subentry in self.entry.subentries.values():
            if subentry.subentry_type != SUBENTRY_GENERATOR:
                continue
            issue_id = wrong_device_issue_id(subentry.subentry_id)
            serials = state.wrong_devices.get(subentry.subentry_id)
            if serials is not None:
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    issue_id,
                    is_fixable=False,
                    severity=ir.IssueSeverity.ERROR,
                    translation_key=WRONG_DEVICE,
                    translation_placeholders={
                        "device": subentry.title,
                        "expected": serials[0],
                        "found": serials[1],
                    },
                    data={
                        "entry_id": self.entry.entry_id,
                        "issue": WRONG_DEVICE,
                        "subentry_id": subentry.subentry_id,
                    },
                )
            elif subentry.subentry_id not in state.failed:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def _exists(self, issue: Issue) -> bool:
        registry = ir.async_get(self.hass)
        found = registry.async_get_issue(DOMAIN, issue.issue_id(self.entry.entry_id))
        return found is not None

    def _sync(self, issue: Issue, active: bool, finding: Finding) -> None:
        exists = self._exists(issue)
        # Raised only on a fresh observation, so its texts are never empty;
        # the repair flow deletes a fixed issue, and it comes back here if
        # the condition is still there.
        if active and not exists and finding.holds:
            self._create(issue, finding.placeholders)
        elif not active and exists:
            ir.async_delete_issue(
                self.hass, DOMAIN, issue.issue_id(self.entry.entry_id)
            )

    def _create(self, issue: Issue, placeholders: dict[str, str]) -> None:
        entry_id = self.entry.entry_id
        LOGGER.debug("%s: raising %s", self.entry.title, issue.value)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue.issue_id(entry_id),
            is_fixable=issue in _FIXABLE,
            is_persistent=issue in _PERSISTENT,
            severity=_SEVERITY[issue],
            translation_key=issue.value,
            translation_placeholders={"site": self.entry.title, **placeholders},
            data={"entry_id": entry_id, "issue": issue.value},
        )

    # -- the checks --------------------------------------------------------------

    def _controller(self) -> DseController | None:
        return _site_controller(self.entry)

    def _not_in_auto(self, state: SiteState) -> Finding:
        if self._controller() is None:
            return NO_DEVICE
        return not_in_auto(state, self.reminder_h, self._mode_name)

    def _mode_name(self, mode: ControlMode) -> str:
        """The mode as the mode sensor shows it, in Home Assistant's language."""
        return Texts(self.hass).mode(word(mode))

    def _no_test_run(self, state: SiteState) -> Finding:
        if self._controller() is None:
            return NO_DEVICE
        self._follow_test_runs(state)
        # A new site counts from the day it was set up, not from 1970.
        since = self._last_test_run or self.entry.created_at
        return no_test_run(state.updated, since, _day)

    def _follow_test_runs(self, state: SiteState) -> None:
        """Keep the time of the last test run that did not fail."""
        if state.mode is SiteMode.TEST_RUN:
            # The run going on counts now; its record is read when it ends.
            self._last_test_run = state.updated
        elif (
            self._last_mode is SiteMode.TEST_RUN
            or self._journal_read is None
            or state.updated - self._journal_read >= JOURNAL_RECHECK
        ):
            self._last_test_run = self._journal_last_test_run()
            self._journal_read = state.updated
        self._last_mode = state.mode

    def _journal_last_test_run(self) -> datetime | None:
        # A failed test run shows the set needs attention; it does not
        # settle the question the reminder asks.
        runs = self.entry.runtime_data.journal.records(kinds=[RecordKind.TEST_RUN])
        passed = [run for run in runs if run.data.get("result") != "failed"]
        return passed[-1].at if passed else None

    def _maintenance_due(self, state: SiteState) -> Finding:
        if self._controller() is None:
            return NO_DEVICE
        return maintenance_due(state, _day)

    def _fuel_sensor_fault(self, state: SiteState) -> Finding:
        if self.entry.runtime_data.coordinator.handle_of(SUBENTRY_IO_MODULE) is None:
            return NO_DEVICE
        return fuel_sensor_fault(state)

    def _low_autonomy(self, state: SiteState) -> Finding:
        return low_autonomy(state, self.minimum_autonomy_h)

    def _clock_drift(self, state: SiteState) -> Finding:
        controller = self._controller()
        if controller is None:
            return NO_DEVICE
        reading = controller_time(state, controller)
        return clock_drift(reading, dt_util.utcnow(), _when)


def controller_time(
    state: SiteState, controller: DseController
) -> datetime | Unavailable | None:
    """What the controller's clock shows now, by its last read; None if not read."""
    generator = state.generator
    clock = None if generator is None else generator.values.get("controller_clock")
    age = controller.read_age("totals")
    if clock is None or age is None:
        return None
    if isinstance(clock, Unavailable):
        return clock
    # The clock was read up to a totals interval ago and has run on since.
    return dt_util.utc_from_timestamp(clock + age)


@callback
def async_remove_issues(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Delete every issue of a site (when the site is removed)."""
    for issue in Issue:
        ir.async_delete_issue(hass, DOMAIN, issue.issue_id(entry.entry_id))
    _remove_issues_where(hass, lambda data: data.get("entry_id") == entry.entry_id)


def _remove_issues_where(
    hass: HomeAssistant, belongs: Callable[[dict[str, Any]], bool]
) -> None:
    registry = ir.async_get(hass)
    for domain, issue_id in list(registry.issues):
        issue = registry.issues[(domain, issue_id)]
        if domain == DOMAIN and issue.data is not None and belongs(dict(issue.data)):
            ir.async_delete_issue(hass, DOMAIN, issue_id)


# -- fix flows ------------------------------------------------------------------------


class _SiteFixFlow(RepairsFlow, ABC):
    """One confirm step that fixes the issue on the site it belongs to."""

    def __init__(self, entry_id: str) -> None:
        """Remember which site the issue is about."""
        self._entry_id = entry_id
        self._placeholders: dict[str, str] = {}

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Go straight to the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Show what will be done; do it when the user confirms."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        site: SotPointConfigEntry = entry
        controller = _site_controller(site)
        if controller is None:
            return self.async_abort(reason="no_generator")
        self._placeholders = {
            **self._issue_placeholders(),
            **self._current_placeholders(site, controller),
            "site": site.title,
        }
        errors: dict[str, str] = {}
        if user_input is not None:
            if (error := await self._async_fix(site, controller)) is None:
                return self.async_create_entry(data={})
            errors["base"] = error
        return self.async_show_form(
            step_id=STEP_CONFIRM,
            data_schema=vol.Schema({}),
            errors=errors,
            description_placeholders=self._placeholders,
        )

    def _issue_placeholders(self) -> dict[str, str]:
        """The texts the issue was raised with, for the form's description."""
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        if issue is None or issue.translation_placeholders is None:
            return {}
        return dict(issue.translation_placeholders)

    def _current_placeholders(
        self, entry: SotPointConfigEntry, controller: DseController
    ) -> dict[str, str]:
        """Texts that are better read afresh than taken from the issue."""
        return {}

    @abstractmethod
    async def _async_fix(
        self, entry: SotPointConfigEntry, controller: DseController
    ) -> str | None:
        """Fix the issue; an error key for the form when that did not work."""


def _site_controller(entry: SotPointConfigEntry) -> DseController | None:
    handle = entry.runtime_data.coordinator.handle_of(SUBENTRY_GENERATOR)
    if handle is None or not isinstance(handle.reader, DseController):
        return None
    return handle.reader


class SelectAutoFlow(_SiteFixFlow):
    """Put the controller back in Auto, through the site's interlocks."""

    async def _async_fix(
        self, entry: SotPointConfigEntry, controller: DseController
    ) -> str | None:
        try:
            await entry.runtime_data.control.async_command(Command.SELECT_AUTO, None)
        except ServiceValidationError as err:
            # An interlock said no (maintenance lock, alarm...): say which.
            self._placeholders["reason"] = str(err)
            return "refused"
        except HomeAssistantError as err:
            self._placeholders["reason"] = str(err)
            return "failed"
        return None


class SetClockFlow(_SiteFixFlow):
    """Set the controller's clock to Home Assistant's time and check it took."""

    def _current_placeholders(
        self, entry: SotPointConfigEntry, controller: DseController
    ) -> dict[str, str]:
        reading = controller_time(entry.runtime_data.coordinator.data, controller)
        if not isinstance(reading, datetime):
            return {}
        return clock_placeholders(reading, dt_util.utcnow(), _when)

    async def _async_fix(
        self, entry: SotPointConfigEntry, controller: DseController
    ) -> str | None:
        try:
            await entry.runtime_data.control.async_set_clock(None)
        except ClockNotSetError as err:
            shown = "—" if err.shown is None else _when(err.shown)
            self._placeholders["controller_time"] = shown
            return "not_verified"
        except HomeAssistantError as err:
            self._placeholders["error"] = str(err)
            return "communication"
        return None


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow for one of the site's fixable issues."""
    entry_id = str((data or {}).get("entry_id", ""))
    issue = (data or {}).get("issue")
    if issue == Issue.NOT_IN_AUTO:
        return SelectAutoFlow(entry_id)
    if issue == Issue.CLOCK_DRIFT:
        return SetClockFlow(entry_id)
    return ConfirmRepairFlow()
