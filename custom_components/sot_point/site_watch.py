"""Fuel that goes missing, a set that runs on, outages in turns: what is told.

The rules are rules/fuel_loss.py and rules/runaway.py; this module feeds them
every SiteState (as an observer of the coordinator) and says what they find:

- a fuel loss is a journal record (`fuel_loss`, which fires
  `sot_point_fuel_loss`) and a repair issue the person confirms once the
  tank has been looked at;
- a runaway run fires `sot_point_runaway_run` once and raises a repair issue
  that goes away when the set stops;
- rolling outages (rules/rolling.py, from the journal's outages) are kept in
  the site's runtime data for the "rolling outages" sensor, and each start
  and end of them fires `sot_point_rolling_outages`.

The issues' ids end in the config entry's id and their data names the site,
so a removed site takes them with it (repairs.async_remove_issues).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .const import (
    DOMAIN,
    EVENT_FUEL_DELIVERY,
    EVENT_ROLLING_OUTAGES,
    EVENT_RUNAWAY_RUN,
    LOGGER,
)
from .journal import RecordKind
from .rules.fuel_loss import FuelLoss, FuelLossWatch, LossKind, TankReading
from .rules.rolling import Rolling, rolling_outages
from .rules.runaway import Runaway, RunawayReason, RunawayWatch, RunFacts
from .rules.site import SiteState
from .rules.words import word
from .runtime import SotPointConfigEntry
from .settings import (
    fuel_loss_settings_from,
    rolling_settings_from,
    runaway_limit_from,
)

FUEL_LOSS_ISSUE: Final = "fuel_loss"
RUNAWAY_ISSUE: Final = "runaway_run"
# The window slides with time, not only with new outages.
ROLLING_RECHECK: Final = timedelta(minutes=1)
# Translation keys by what was found.
_LOSS_KEYS: Final = {
    LossKind.LEAK: "fuel_loss",
    LossKind.UNEXPLAINED: "fuel_loss_unexplained",
}
_RUNAWAY_KEYS: Final = {
    RunawayReason.MAINS_BACK: "runaway_run",
    RunawayReason.TEST_RUN_OVERDUE: "runaway_test_run",
}


def watch_issue_id(issue: str, entry_id: str) -> str:
    """The registry id of one of the watch's issues for one site."""
    return f"{issue}_{entry_id}"


def _when(moment: datetime) -> str:
    return dt_util.as_local(moment).strftime("%Y-%m-%d %H:%M")


def tank_reading(state: SiteState) -> TankReading:
    """What the fuel watch needs from one SiteState.

    Only a measured level counts (never the estimate of a tank without a
    sensor), and only with the controller's word on whether the set runs.
    """
    generator = state.generator
    running = None
    if generator is not None and generator.engine is not None:
        running = generator.engine_on
    fuel = state.fuel
    measured = fuel.source in ("level_sensor", "controller")
    return TankReading(
        at=state.updated,
        litres=fuel.litres if measured else None,
        running=running,
        consumption_lph=fuel.consumption_lph,
        run_time_s=None if generator is None else generator.number("run_time"),
    )


class SiteWatch:
    """Watches one site for lost fuel and runaway runs."""

    def __init__(self, hass: HomeAssistant, entry: SotPointConfigEntry) -> None:
        """Prepare both watches with the site's options."""
        self.hass = hass
        self.entry = entry
        self.fuel = FuelLossWatch(fuel_loss_settings_from(entry.options))
        self.runaway = RunawayWatch(runaway_limit_from(entry.options))
        self.rolling_settings = rolling_settings_from(entry.options)
        self._rolling_checked: datetime | None = None
        self._outage_seen = False

    @callback
    def async_start(self) -> None:
        """Observe every new state; hear of every recorded delivery."""
        coordinator = self.entry.runtime_data.coordinator
        # Already rolling before a restart or reload: shown, not told again.
        self.entry.runtime_data.rolling = self._rolling(dt_util.utcnow())
        self.entry.async_on_unload(coordinator.async_add_observer(self.observe))
        self.entry.async_on_unload(
            self.hass.bus.async_listen(EVENT_FUEL_DELIVERY, self._on_delivery)
        )

    @callback
    def _on_delivery(self, event: Event) -> None:
        if event.data.get("entry_id") == self.entry.entry_id:
            self.fuel.note_delivery()

    @callback
    def observe(self, state: SiteState) -> None:
        """Feed both watches one state; report what they find.

        A fault here must not blank the site's entities (see Journal.observe).
        """
        try:
            if (loss := self.fuel.observe(tank_reading(state))) is not None:
                self._report_loss(loss)
            self._follow_runaway(state)
            self._follow_rolling(state)
        except Exception:
            LOGGER.exception("%s: fuel and run watch failed", self.entry.title)

    def _report_loss(self, loss: FuelLoss) -> None:
        site = self.entry.runtime_data
        LOGGER.warning(
            "%s: %.1f L of fuel lost (%s) between %s and %s",
            self.entry.title,
            loss.litres,
            loss.kind,
            loss.started,
            loss.ended,
        )
        site.journal.add(RecordKind.FUEL_LOSS, loss.as_data(), at=loss.started)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            watch_issue_id(FUEL_LOSS_ISSUE, self.entry.entry_id),
            # Confirmed once someone has looked at the tank.
            is_fixable=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key=_LOSS_KEYS[loss.kind],
            translation_placeholders={
                "site": self.entry.title,
                "litres": f"{loss.litres:.0f}",
                "started": _when(loss.started),
                "ended": _when(loss.ended),
            },
            data={"entry_id": self.entry.entry_id, "issue": FUEL_LOSS_ISSUE},
        )

    def _follow_runaway(self, state: SiteState) -> None:
        control = self.entry.runtime_data.control
        generator = state.generator
        running = None
        if generator is not None and generator.engine is not None:
            running = generator.engine_on
        before = self.runaway.active
        now = self.runaway.observe(
            RunFacts(
                at=state.updated,
                running=running,
                mains_good=state.mains_available,
                mode=None if generator is None else generator.mode,
                test_run_end=control.test_run_end,
                maintenance=control.maintenance,
            )
        )
        issue_id = watch_issue_id(RUNAWAY_ISSUE, self.entry.entry_id)
        if now is not None and (before is None or before.reason != now.reason):
            self._report_runaway(now, state)
        elif running is False:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def _report_runaway(self, runaway: Runaway, state: SiteState) -> None:
        entry = self.entry
        generator = state.generator
        mode = None if generator is None or generator.mode is None else generator.mode
        LOGGER.warning("%s: runaway run (%s)", entry.title, runaway.reason)
        self.hass.bus.async_fire(
            EVENT_RUNAWAY_RUN,
            {
                "entry_id": entry.entry_id,
                "site": entry.title,
                "reason": runaway.reason.value,
                "since": runaway.since.isoformat(),
                "minutes": round(runaway.minutes, 1),
                "control_mode": None if mode is None else word(mode),
                "at": state.updated.isoformat(),
            },
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            watch_issue_id(RUNAWAY_ISSUE, entry.entry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=_RUNAWAY_KEYS[runaway.reason],
            translation_placeholders={
                "site": entry.title,
                "since": _when(runaway.since),
                "minutes": f"{runaway.minutes:.0f}",
            },
            data={"entry_id": entry.entry_id, "issue": RUNAWAY_ISSUE},
        )

    def _rolling(self, at: datetime) -> Rolling:
        journal = self.entry.runtime_data.journal
        since = at - self.rolling_settings.window
        outages = journal.records(start=since, kinds=[RecordKind.OUTAGE])
        return rolling_outages(
            (record.at for record in outages), at, self.rolling_settings
        )

    def _follow_rolling(self, state: SiteState) -> None:
        started = state.outage_in_progress is True and not self._outage_seen
        self._outage_seen = state.outage_in_progress is True
        checked = self._rolling_checked
        if (
            not started
            and checked is not None
            and state.updated - checked < (ROLLING_RECHECK)
        ):
            return
        self._rolling_checked = state.updated
        site = self.entry.runtime_data
        before = site.rolling
        site.rolling = now = self._rolling(state.updated)
        if before is None or before.active != now.active:
            self._report_rolling(now)

    def _report_rolling(self, rolling: Rolling) -> None:
        LOGGER.warning(
            "%s: rolling outages %s (%d in %s)",
            self.entry.title,
            "began" if rolling.active else "ended",
            len(rolling.starts),
            self.rolling_settings.window,
        )
        self.hass.bus.async_fire(
            EVENT_ROLLING_OUTAGES,
            {
                "entry_id": self.entry.entry_id,
                "site": self.entry.title,
                "active": rolling.active,
                **rolling.as_data(),
            },
        )
