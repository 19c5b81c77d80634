"""Cold readiness of a site's set: the "ready to start" sensor's facts and repairs.

The rules are rules/readiness.py; this module feeds them every SiteState (as
an observer of the coordinator, before the entities see the state), with
the journal's word on the last test run and the outdoor temperature the
site names, and keeps a repair issue per cause a person can act on:

- the block heater (the coolant stood cold with the mains on);
- the starter battery (low at rest, or falling day after day);
- the last test run failed.

Out of Auto has its own reminder (repairs.py) and a shutdown alarm its own
sensor; both still make the set "not ready". The battery's daily figures are
kept in `.storage/sot_point.<entry>.battery` (atomic writes), so a trend
over days survives restarts.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store

from .const import CONF_OUTSIDE_TEMPERATURE, DOMAIN, EVENT_TEST_RUN_ENDED, LOGGER
from .journal import RecordKind
from .rules.readiness import BatteryLog, Cause, Readiness, ReadinessFacts
from .rules.site import SiteState
from .runtime import SotPointConfigEntry

STORAGE_VERSION: Final = 1
# Daily figures change slowly; a pulled plug loses at most this much of a day.
SAVE_DELAY_S: Final = 600
# The repair issues, by the causes each one covers.
ISSUES: Final[dict[str, frozenset[Cause]]] = {
    "block_heater": frozenset({Cause.BLOCK_HEATER}),
    "starter_battery": frozenset({Cause.BATTERY_LOW, Cause.BATTERY_FALLING}),
    "test_run_failed": frozenset({Cause.TEST_RUN_FAILED}),
}


def readiness_issue_id(issue: str, entry_id: str) -> str:
    """The registry id of one of the readiness issues for one site."""
    return f"{issue}_{entry_id}"


def readiness_facts(
    state: SiteState, last_test_run_failed: bool, outside: tuple[bool, float | None]
) -> ReadinessFacts:
    """What the readiness rules need from one SiteState."""
    generator = state.generator
    if generator is None or generator.mode is None:
        return ReadinessFacts(at=state.updated, mode=None, running=None)
    named, outside_c = outside
    return ReadinessFacts(
        at=state.updated,
        mode=generator.mode,
        running=None if generator.engine is None else generator.engine_on,
        mains_good=state.mains_available,
        coolant_c=generator.number("coolant_temperature"),
        battery_v=generator.number("battery_voltage"),
        shutdown_alarm=generator.has_stopping_alarm,
        last_test_run_failed=last_test_run_failed,
        outside_c=outside_c,
        outside_named=named,
    )


class SiteReadiness:
    """Keeps one site's readiness, its battery log and its repair issues."""

    def __init__(self, hass: HomeAssistant, entry: SotPointConfigEntry) -> None:
        """Prepare the store; the watch itself lives in the site's runtime data."""
        self.hass = hass
        self.entry = entry
        self.watch = entry.runtime_data.readiness
        self.store: Store[dict[str, Any]] = Store(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry.entry_id}.battery",
            atomic_writes=True,
        )
        self.outside_entity: str | None = entry.options.get(CONF_OUTSIDE_TEMPERATURE)
        self.last_test_run_failed = False
        self._save_pending = False

    async def async_start(self) -> None:
        """Load the battery's days, read the journal, then follow every state."""
        stored = await self.store.async_load()
        if stored:
            self.watch.battery = BatteryLog.load(stored.get("days") or {})
        self.last_test_run_failed = self._journal_test_run_failed()
        coordinator = self.entry.runtime_data.coordinator
        self.entry.async_on_unload(coordinator.async_add_observer(self.observe))
        self.entry.async_on_unload(
            self.hass.bus.async_listen(EVENT_TEST_RUN_ENDED, self._on_test_run)
        )
        # The entities were added before the watches started: show them what
        # the first poll already tells (rolling outages included).
        self.observe(coordinator.data)
        coordinator.async_update_listeners()

    def _journal_test_run_failed(self) -> bool:
        runs = self.entry.runtime_data.journal.records(kinds=[RecordKind.TEST_RUN])
        ended = [run for run in runs if run.data.get("result")]
        return bool(ended) and ended[-1].data.get("result") == "failed"

    @callback
    def _on_test_run(self, event: Event) -> None:
        if event.data.get("entry_id") == self.entry.entry_id:
            self.last_test_run_failed = self._journal_test_run_failed()

    def _outside(self) -> tuple[bool, float | None]:
        """Whether the site names an outdoor temperature, and its value now."""
        if not self.outside_entity:
            return False, None
        found = self.hass.states.get(self.outside_entity)
        if found is None or found.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            return True, None
        try:
            return True, float(found.state)
        except ValueError:
            return True, None

    @callback
    def observe(self, state: SiteState) -> None:
        """Feed the watch one state; keep the issues and the store in step.

        A fault here must not blank the site's entities (see Journal.observe).
        """
        try:
            facts = readiness_facts(state, self.last_test_run_failed, self._outside())
            before = self.watch.battery.revision
            readiness = self.watch.observe(facts)
            if readiness.ready is not None:
                self._sync_issues(readiness)
            if not self._save_pending and self.watch.battery.revision != before:
                # Scheduled once, not pushed back by every later reading.
                self._save_pending = True
                self.store.async_delay_save(self._data_to_save, SAVE_DELAY_S)
        except Exception:
            LOGGER.exception("%s: readiness watch failed", self.entry.title)

    def _data_to_save(self) -> dict[str, Any]:
        self._save_pending = False
        return {"days": self.watch.battery.dump()}

    def _sync_issues(self, readiness: Readiness) -> None:
        registry = ir.async_get(self.hass)
        for issue, causes in ISSUES.items():
            issue_id = readiness_issue_id(issue, self.entry.entry_id)
            found = [cause for cause in readiness.causes if cause in causes]
            exists = registry.async_get_issue(DOMAIN, issue_id) is not None
            if found and not exists:
                self._create(issue, found[0], readiness)
            elif not found and exists:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def _create(self, issue: str, cause: Cause, readiness: Readiness) -> None:
        LOGGER.warning("%s: not ready to start (%s)", self.entry.title, cause)
        details = readiness.details
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            readiness_issue_id(issue, self.entry.entry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=cause.value,
            translation_placeholders={
                "site": self.entry.title,
                "coolant": _figure(details.get("coolant_temperature"), "{:.0f}"),
                "coolant_minimum": _figure(details.get("coolant_minimum"), "{:g}"),
                "battery": _figure(details.get("battery_voltage"), "{:.1f}"),
                "battery_minimum": _figure(details.get("battery_minimum"), "{:.1f}"),
                "fall": _figure(details.get("battery_fall_per_week"), "{:.2f}"),
            },
            data={"entry_id": self.entry.entry_id, "issue": issue},
        )


def _figure(value: object, pattern: str) -> str:
    return pattern.format(value) if isinstance(value, int | float) else "—"
