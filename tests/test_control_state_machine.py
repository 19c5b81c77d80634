"""Interlocks as a property: no sequence of actions and site events gets past them.

A hypothesis state machine drives the site through the simulator (controller
mode set at the panel, shutdown alarms, emergency stop, a lost or bad grid, a
generator off its frequency, simulated time) and through the services
(start, stop, mode, transfer, test run, reset) and the maintenance lock. After
every service call it checks the simulator, not our code:

(a) no start key (5 START_ENGINE, 32 TELEMETRY_START, 3 SELECT_TEST_ON_LOAD)
    reached the controller while, at the moment of the call, the maintenance
    lock was on, the controller was in Stop or held a shutdown-class alarm;
(b) no key 8 TRANSFER_TO_GENERATOR reached it while the set was not running
    with voltage and frequency in band;
(c) every refusal is a ServiceValidationError with a `refused_*` key and no
    write at all reached any device; and a request that (a) or (b) forbids
    is refused, not merely failed;
(d) no key 9 TRANSFER_TO_MAINS reached it while the grid was out of band.

The machine is synchronous and Home Assistant is not: the machine runs in an
executor thread and hands every step (site changes included, since the
simulator's server and the 1 s poll live on Home Assistant's loop) to the
loop with `run_coroutine_threadsafe`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import DOMAIN
from custom_components.sot_point.control import SiteControl
from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    CONTROL_KEY_ADDRESS,
    ControlKey,
    control_words,
    key_from_words,
)
from custom_components.sot_point.hardware.state import (
    DEFAULT_GENERATOR_LIMITS,
    DEFAULT_MAINS_LIMITS,
    AlarmCondition,
    ControlMode,
    EngineState,
)
from simulator.server import SimulatedSite, WriteRecord, writes_to

LOCK = "switch.sot_punkt_kall_maintenance_lock"

START_KEYS = frozenset(
    {
        ControlKey.START_ENGINE,
        ControlKey.TELEMETRY_START,
        ControlKey.SELECT_TEST_ON_LOAD,
    }
)
PANEL_MODES = (
    ControlMode.STOP,
    ControlMode.AUTO,
    ControlMode.MANUAL,
    ControlMode.TEST_ON_LOAD,
)
SERVICE_MODES = ("stop", "auto", "manual", "test_on_load")
# Alarms a test can hold present; each in the model's alarm page.
INJECTABLE = ("low_oil_pressure", "high_coolant_temperature", "over_speed")
SHUTDOWN_CLASS = (
    AlarmCondition.SHUTDOWN,
    AlarmCondition.ELECTRICAL_TRIP,
    AlarmCondition.CONTROLLED_SHUTDOWN,
)
# Engine speeds a failing governor leaves the set at: 40 Hz and 167 V,
# 45 Hz at 209 V (frequency alone out), 53.3 Hz at 230 V (overspeed).
SAG_RPM = (1200.0, 1350.0, 1600.0)
# Allowed failures that are not refusals: the controller did not follow in
# the short verification window (time stands still), or answered exception 8.
FAILURES = frozenset({"command_not_followed", "controller_refused"})
STEP_TIMEOUT_S = 30.0


class Kind(StrEnum):
    """How a service call ended."""

    DONE = "done"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Outcome:
    """A service call's end and its translation key, if it raised."""

    kind: Kind
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Truth:
    """The site as the simulator has it at the moment of a call."""

    mode: ControlMode
    shutdown_alarm: bool
    running_in_band: bool
    mains_in_band: bool
    maintenance: bool

    @property
    def may_start(self) -> bool:
        """Whether anything may start the set now."""
        return not (
            self.maintenance or self.mode is ControlMode.STOP or self.shutdown_alarm
        )


def site_truth(sim: SimulatedSite, maintenance: bool) -> Truth:
    """Read the simulator's own state (the lock lives only in Home Assistant)."""
    site = sim.site
    controller = site.controller
    running = controller.engine_state is EngineState.RUNNING
    in_band = DEFAULT_GENERATOR_LIMITS.contains(
        list(site.generator_voltages()), site.engine.generator_frequency
    )
    return Truth(
        mode=controller.mode,
        shutdown_alarm=controller.alarms.stopping,
        running_in_band=running and in_band,
        mains_in_band=site.mains.in_band(DEFAULT_MAINS_LIMITS),
        maintenance=maintenance,
    )


def written_keys(sim: SimulatedSite, writes: list[WriteRecord]) -> list[ControlKey]:
    """The control keys among `writes`; anything else written fails the test."""
    keys = []
    for write in writes:
        assert write.unit == sim.site.config.units.dse, write
        assert write.address == CONTROL_KEY_ADDRESS, write
        key = key_from_words(write.values)
        assert key is not None, write
        assert write.values == control_words(key)
        keys.append(key)
    return keys


def starts(service: str, data: dict[str, Any]) -> bool:
    """Whether a call asks the set to start (directly or through Test mode)."""
    return service in {"start_generator", "start_test_run"} or (
        service == "set_controller_mode" and data["mode"] == "test_on_load"
    )


class Harness:
    """The loaded site and its simulator, reached from the machine's thread."""

    def __init__(
        self,
        hass: HomeAssistant,
        sim: SimulatedSite,
        entry: MockConfigEntry,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        """Keep what every step needs; `loop` is Home Assistant's."""
        self.hass = hass
        self.sim = sim
        self.entry = entry
        self.loop = loop
        self.control: SiteControl = entry.runtime_data.control

    def run[T](self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on Home Assistant's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(
            timeout=STEP_TIMEOUT_S
        )

    def on_loop(self, change: Callable[[], object]) -> None:
        """Change the simulator on the loop its server and the poll run on."""

        async def apply() -> None:
            change()

        self.run(apply())

    async def refresh(self) -> None:
        """Poll the site now, as the 1 s poll would."""
        await self.entry.runtime_data.coordinator.async_refresh()
        await self.hass.async_block_till_done()

    async def set_lock(self, on: bool) -> None:
        """Turn the maintenance lock on or off through its switch."""
        await self.hass.services.async_call(
            "switch",
            "turn_on" if on else "turn_off",
            {ATTR_ENTITY_ID: LOCK},
            blocking=True,
        )

    async def lock_state(self) -> str | None:
        """The lock switch's state as Home Assistant shows it."""
        state = self.hass.states.get(LOCK)
        return state.state if state else None

    async def reset(self) -> None:
        """Back to a quiet site: lock off, grid up, no alarms, Auto, full tank."""
        await self.set_lock(False)
        site = self.sim.site
        for name in INJECTABLE:
            site.release_alarm(name)
        site.release_emergency_stop()
        site.restore_mains()
        # Stop halts the set at once and clears alarms whose cause has gone;
        # then the engine runs down and the switch returns to the mains.
        site.set_mode(ControlMode.STOP)
        site.advance(120)
        site.refill()
        site.set_mode(ControlMode.AUTO)
        self.control.shutdown()  # forget a test run's scheduled end
        await self.refresh()

    async def call(
        self, service: str, data: dict[str, Any], maintenance: bool
    ) -> tuple[Truth, list[WriteRecord], Outcome]:
        """Refresh, note the truth and the writes so far, call, classify."""
        # The integration decides on its last poll. Poll first, as the 1 s
        # poll would have before a person pressed anything, so that what our
        # code sees is what the simulator holds now; nothing moves the
        # simulator between this poll and the call (its time stands still).
        await self.refresh()
        truth = site_truth(self.sim, maintenance)
        before = len(self.sim.writes)
        try:
            await self.hass.services.async_call(
                DOMAIN,
                service,
                {"config_entry_id": self.entry.entry_id, **data},
                blocking=True,
            )
            outcome = Outcome(Kind.DONE)
        except ServiceValidationError as err:
            outcome = Outcome(Kind.REFUSED, err.translation_key)
        except HomeAssistantError as err:
            outcome = Outcome(Kind.FAILED, err.translation_key)
        await self.hass.async_block_till_done()
        return truth, self.sim.writes[before:], outcome


class InterlockMachine(RuleBasedStateMachine):
    """Site events and service calls in any order; the interlocks must hold."""

    def __init__(self, harness: Harness) -> None:
        """Start each example from a quiet site."""
        super().__init__()
        self.h = harness
        self.maintenance = False
        self.calls = 0
        self.h.run(self.h.reset())

    # -- the site, at the simulator -------------------------------------------

    @rule(mode=st.sampled_from(PANEL_MODES))
    def panel_mode(self, mode: ControlMode) -> None:
        """Someone turns the controller's mode at its panel."""
        self.h.on_loop(lambda: self.h.sim.site.set_mode(mode))

    @rule(name=st.sampled_from(INJECTABLE), condition=st.sampled_from(SHUTDOWN_CLASS))
    def alarm(self, name: str, condition: AlarmCondition) -> None:
        """A shutdown-class alarm whose cause stays."""
        self.h.on_loop(lambda: self.h.sim.site.inject_alarm(name, condition))

    @rule(name=st.sampled_from(INJECTABLE))
    def alarm_cause_gone(self, name: str) -> None:
        """The cause goes; the alarm stays latched until a reset."""
        self.h.on_loop(lambda: self.h.sim.site.release_alarm(name))

    @rule(pressed=st.booleans())
    def emergency_stop(self, pressed: bool) -> None:
        """The emergency stop is hit, or pulled out again."""
        site = self.h.sim.site
        change = site.press_emergency_stop if pressed else site.release_emergency_stop
        self.h.on_loop(change)

    @rule(up=st.booleans())
    def grid(self, up: bool) -> None:
        """The grid goes dead or comes back."""
        site = self.h.sim.site
        self.h.on_loop(site.restore_mains if up else site.lose_mains)

    @rule(fault=st.sampled_from(["sag", "surge", "frequency"]))
    def grid_out_of_band(self, fault: str) -> None:
        """A brown-out, an overvoltage or a frequency excursion on the grid."""
        site = self.h.sim.site
        faults: dict[str, Callable[[], None]] = {
            "sag": lambda: site.mains_out_of_band(voltage=180.0),
            "surge": lambda: site.mains_out_of_band(voltage=265.0),
            "frequency": lambda: site.mains_out_of_band(frequency=45.0),
        }
        self.h.on_loop(faults[fault])

    @rule(rpm=st.sampled_from(SAG_RPM))
    def generator_out_of_band(self, rpm: float) -> None:
        """A failing governor: the running set leaves its band.

        The simulator has no action for this, so the engine's speed is set
        directly; the set runs back to nominal speed when time next advances.
        """
        site = self.h.sim.site

        def governor() -> None:
            if site.engine.fired:
                site.engine.speed = rpm
                site.controller.update(site.now, site.inputs())

        self.h.on_loop(governor)

    @rule(seconds=st.integers(min_value=0, max_value=120))
    def time_passes(self, seconds: int) -> None:
        """Simulated time moves on."""
        self.h.on_loop(lambda: self.h.sim.advance(seconds))

    @rule()
    def poll(self) -> None:
        """The regular poll comes round."""
        self.h.run(self.h.refresh())

    @rule(on=st.booleans())
    def maintenance_lock(self, on: bool) -> None:
        """A technician turns the maintenance lock on or off."""
        self.h.run(self.h.set_lock(on))
        self.maintenance = on

    # -- the services ----------------------------------------------------------

    @rule()
    def start_generator(self) -> None:
        """Start the set."""
        self._call("start_generator", {})

    @rule()
    def stop_generator(self) -> None:
        """Stop the set."""
        self._call("stop_generator", {})

    @rule(mode=st.sampled_from(SERVICE_MODES))
    def set_controller_mode(self, mode: str) -> None:
        """Put the controller in a mode."""
        self._call("set_controller_mode", {"mode": mode})

    @rule(to=st.sampled_from(["generator", "mains"]))
    def transfer_load(self, to: str) -> None:
        """Move the load."""
        self._call("transfer_load", {"to": to})

    @rule(with_load=st.booleans())
    def start_test_run(self, with_load: bool) -> None:
        """A test run, on load or off."""
        self._call("start_test_run", {"duration": 5, "with_load": with_load})

    @rule()
    def reset_alarms(self) -> None:
        """Reset the alarms."""
        self._call("reset_alarms", {})

    def _call(self, service: str, data: dict[str, Any]) -> None:
        truth, writes, outcome = self.h.run(
            self.h.call(service, data, self.maintenance)
        )
        self.calls += 1
        what = f"{service} {data} at {truth}: {outcome}, wrote {writes}"
        keys = written_keys(self.h.sim, writes)
        for key in keys:
            if key in START_KEYS:
                assert truth.may_start, f"(a) start key {key.name}: {what}"
            if key is ControlKey.TRANSFER_TO_GENERATOR:
                assert truth.running_in_band, f"(b) transfer to generator: {what}"
            if key is ControlKey.TRANSFER_TO_MAINS:
                assert truth.mains_in_band, f"(d) transfer to mains: {what}"
        if outcome.kind is Kind.REFUSED:
            assert outcome.key is not None, what
            assert outcome.key.startswith("refused_"), f"(c) {what}"
            assert writes == [], f"(c) a refusal wrote: {what}"
        elif outcome.kind is Kind.FAILED:
            assert outcome.key in FAILURES, what
        unsafe_start = starts(service, data) and not truth.may_start
        unsafe_transfer = data.get("to") == "generator" and not truth.running_in_band
        if unsafe_start or unsafe_transfer:
            assert outcome.kind is Kind.REFUSED, f"(c) not refused: {what}"

    @invariant()
    def lock_shown_as_set(self) -> None:
        """The lock switch shows what the technician last set."""
        assert self.h.run(self.h.lock_state()) == ("on" if self.maintenance else "off")


def _short_verification(entry: MockConfigEntry) -> SiteControl:
    # Time stands still in the simulator: a command it does not follow at
    # once never will, so give up quickly (command_not_followed).
    control: SiteControl = entry.runtime_data.control
    control.verify_interval = 0.05
    control.verify_timeout = 0.2
    return control


async def test_no_sequence_gets_past_the_interlocks(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """Any mix of site events and service calls keeps (a) to (d)."""
    _short_verification(site)
    harness = Harness(hass, sim, site, asyncio.get_running_loop())
    calls: list[int] = []

    def machine() -> InterlockMachine:
        made = InterlockMachine(harness)
        calls.append(0)
        return made

    def run() -> None:
        run_state_machine_as_test(
            machine,  # type: ignore[arg-type]  # hypothesis accepts a factory
            settings=settings(
                max_examples=25,
                stateful_step_count=20,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )

    try:
        await hass.async_add_executor_job(run)
    finally:
        assert await hass.config_entries.async_unload(site.entry_id)
    assert calls, "the machine never ran"


# -- the sequences that matter most, spelled out ---------------------------------


async def _refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


async def _refused(
    hass: HomeAssistant, entry: MockConfigEntry, service: str, **data: object
) -> str | None:
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN,
            service,
            {"config_entry_id": entry.entry_id, **data},
            blocking=True,
        )
    return refused.value.translation_key


def _dse_keys(sim: SimulatedSite) -> list[ControlKey | None]:
    return [
        key_from_words(w.values)
        for w in writes_to(sim.writes, sim.site.config.units.dse)
    ]


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("start_generator", {}),
        ("start_test_run", {"with_load": True}),
        ("start_test_run", {"with_load": False}),
        ("set_controller_mode", {"mode": "test_on_load"}),
    ],
)
async def test_lock_on_then_start_is_refused(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    service: str,
    data: dict[str, object],
) -> None:
    """With the lock on, no way of starting writes anything."""
    _short_verification(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: LOCK}, blocking=True
    )
    await _refresh(hass, site)
    assert await _refused(hass, site, service, **data) == "refused_maintenance_lock"
    assert sim.writes == []


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("start_test_run", {"with_load": True}),
        ("start_test_run", {"with_load": False}),
        ("set_controller_mode", {"mode": "test_on_load"}),
        ("start_generator", {}),
    ],
)
async def test_stop_mode_then_start_is_refused(
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    service: str,
    data: dict[str, object],
) -> None:
    """In Stop, a test run (or Test mode) is refused before a word is written.

    Test on load starts the set, and a test run off load would first leave
    Stop for Manual and then start: both are starts from Stop.
    """
    _short_verification(site)
    sim.site.set_mode(ControlMode.STOP)
    await _refresh(hass, site)
    assert await _refused(hass, site, service, **data) == "refused_stop_mode"
    assert sim.writes == []
    assert sim.site.controller.mode is ControlMode.STOP


async def test_test_run_off_load_starts_on_what_the_controller_is_now(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """After selecting Manual the start is checked on a fresh poll.

    A command just before (here the mode) uses up the coordinator's
    immediate refresh; the test run must still not decide its start on the
    poll from before its own change to Manual (which would send Auto's
    telemetry start to a controller in Manual).
    """
    _short_verification(site)
    await hass.services.async_call(
        DOMAIN,
        "set_controller_mode",
        {"config_entry_id": site.entry_id, "mode": "auto"},
        blocking=True,
    )
    await hass.services.async_call(
        DOMAIN,
        "start_test_run",
        {"config_entry_id": site.entry_id, "with_load": False},
        blocking=True,
    )
    assert _dse_keys(sim) == [
        ControlKey.SELECT_AUTO,
        ControlKey.SELECT_MANUAL,
        ControlKey.START_ENGINE,
    ]
    assert await hass.config_entries.async_unload(site.entry_id)


async def test_out_of_band_then_transfer_is_refused(
    hass: HomeAssistant, sim: SimulatedSite, site: MockConfigEntry
) -> None:
    """A running set off its frequency does not get the load; back in band it does."""
    _short_verification(site)
    sim.site.set_mode(ControlMode.MANUAL)
    await _refresh(hass, site)
    await hass.services.async_call(
        DOMAIN, "start_generator", {"config_entry_id": site.entry_id}, blocking=True
    )
    sim.advance(30)
    sim.site.engine.speed = 1350.0  # 45 Hz: a failing governor
    await _refresh(hass, site)
    assert sim.site.controller.engine_state is EngineState.RUNNING
    writes = len(sim.writes)
    key = await _refused(hass, site, "transfer_load", to="generator")
    assert key == "refused_not_running_in_band"
    assert len(sim.writes) == writes

    sim.advance(5)  # the governor catches the set again
    await _refresh(hass, site)
    await hass.services.async_call(
        DOMAIN,
        "transfer_load",
        {"config_entry_id": site.entry_id, "to": "generator"},
        blocking=True,
    )
    assert _dse_keys(sim)[-1] is ControlKey.TRANSFER_TO_GENERATOR
