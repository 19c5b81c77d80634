"""The site model on its own: AMF sequence, modes, alarms, fuel, warm room."""

from __future__ import annotations

import math

import pytest

from custom_components.sot_point.hardware.profiles.dse_gencomm import ControlKey
from custom_components.sot_point.hardware.state import (
    AlarmCondition,
    ControlMode,
    EngineState,
    StatusFlag,
    TransferPosition,
)
from simulator import (
    AmfTimings,
    DseDevice,
    KeyResult,
    LoadConfig,
    Site,
    SiteConfig,
    list_scenarios,
    load_scenario,
    parse_duration,
)
from simulator.scenario import ScenarioError, parse_scenario

T = AmfTimings()
# A new site's controller has counted starts before (a set with history).
HISTORY_STARTS = SiteConfig().history_starts


def state(site: Site) -> EngineState:
    """The engine state register's value."""
    return site.controller.engine_state


def position(site: Site) -> TransferPosition:
    """Where the load is."""
    return site.controller.switch.position


def running_on_load() -> Site:
    """A site whose generator carries the load after a mains failure."""
    site = Site()
    site.lose_mains()
    site.advance(T.time_to_load())
    assert position(site) is TransferPosition.GENERATOR
    return site


def test_amf_sequence_takes_the_load_at_the_expected_time() -> None:
    site = Site()
    site.lose_mains()
    site.advance(T.mains_fail_delay + 0.5)
    assert state(site) is EngineState.PRE_START  # start delay running
    site.advance(T.time_to_load() - T.mains_fail_delay - 1.0)
    assert state(site) is EngineState.RUNNING
    assert position(site) is TransferPosition.OFF  # break before make
    site.advance(0.5)
    assert position(site) is TransferPosition.GENERATOR
    assert site.controller.counters.starts == HISTORY_STARTS + 1


def test_return_to_mains_after_return_delay_then_cooldown_and_stop() -> None:
    site = running_on_load()
    site.restore_mains()
    site.advance(T.time_to_mains() - 0.5)
    assert position(site) is not TransferPosition.MAINS
    site.advance(0.5)
    assert position(site) is TransferPosition.MAINS
    assert state(site) is EngineState.COOLING_DOWN
    site.advance(T.cooldown - 0.5)
    assert state(site) is EngineState.COOLING_DOWN
    site.advance(0.5)
    assert state(site) is EngineState.STOPPED
    assert not site.engine.fuel_on


def test_failed_first_crank_adds_one_crank_and_rest() -> None:
    site = load_scenario("storm").build()
    site.advance(30 + T.time_to_load(failed_cranks=1) - 0.5)
    assert position(site) is not TransferPosition.GENERATOR
    site.advance(0.5)
    assert position(site) is TransferPosition.GENERATOR
    assert site.controller.counters.starts == HISTORY_STARTS + 1
    assert not site.controller.alarms.active_names()


def test_storm_runs_six_hours_and_returns_to_mains() -> None:
    site = load_scenario("storm").build()
    site.advance(3 * 3600)
    assert position(site) is TransferPosition.GENERATOR
    site.advance(3 * 3600 + 30 + T.time_to_mains() + T.cooldown + 1)
    assert position(site) is TransferPosition.MAINS
    assert state(site) is EngineState.STOPPED
    # Six hours on a 12-13 kW load: 25-30 L at F(P) = 1.75 + 0.219 P.
    assert 150 < site.tank.litres < 156


def test_mains_back_during_start_delay_returns_to_standby() -> None:
    site = Site()
    site.lose_mains()
    site.advance(T.mains_fail_delay + 1)
    assert state(site) is EngineState.PRE_START
    site.restore_mains()
    site.advance(T.start_delay + 60)
    assert state(site) is EngineState.STOPPED
    assert site.controller.counters.starts == HISTORY_STARTS


def test_new_failure_during_cooldown_goes_back_on_load() -> None:
    site = running_on_load()
    site.restore_mains()
    site.advance(T.time_to_mains() + 10)
    assert state(site) is EngineState.COOLING_DOWN
    site.lose_mains()
    site.advance(T.mains_fail_delay + T.transfer_time)
    assert position(site) is TransferPosition.GENERATOR
    assert state(site) is EngineState.RUNNING


@pytest.mark.parametrize("attempts", [3, 2])
def test_fail_to_start_after_the_configured_attempts(attempts: int) -> None:
    site = Site(SiteConfig(timings=AmfTimings(crank_attempts=attempts)))
    site.fail_next_cranks(attempts)
    site.lose_mains()
    cranking = attempts * (T.fuel_on_delay + T.crank_time)
    site.advance(T.mains_fail_delay + T.start_delay + cranking + (attempts - 1) * 10)
    alarms = site.controller.alarms
    assert alarms.condition("fail_to_start") is AlarmCondition.SHUTDOWN
    assert StatusFlag.SHUTDOWN in alarms.status_flags()
    assert state(site) is EngineState.STOPPED
    assert not site.engine.fuel_on
    # Latched: the set stays down although the mains is still failed.
    site.advance(300)
    assert state(site) is EngineState.STOPPED


def test_reset_clears_fail_to_start_and_the_set_tries_again() -> None:
    site = Site()
    site.fail_next_cranks(3)
    site.lose_mains()
    site.advance(120)
    assert site.press_key(ControlKey.START_ENGINE) is KeyResult.INAPPROPRIATE
    assert site.press_key(ControlKey.TELEMETRY_START) is KeyResult.INAPPROPRIATE
    assert site.press_key(ControlKey.RESET_ALARMS_BUTTON) is KeyResult.ACCEPTED
    assert not site.controller.alarms.active_names()
    site.advance(T.time_to_load() - T.mains_fail_delay)
    assert position(site) is TransferPosition.GENERATOR


def test_stop_mode_stops_at_once_and_clears_alarms_whose_cause_is_gone() -> None:
    site = running_on_load()
    site.inject_alarm("battery_low_voltage", AlarmCondition.WARNING)
    site.release_alarm("battery_low_voltage")
    assert site.press_key(ControlKey.SELECT_STOP) is KeyResult.ACCEPTED
    assert state(site) is EngineState.STOPPED
    assert not site.engine.fuel_on
    assert not site.controller.alarms.active_names()
    assert site.press_key(ControlKey.START_ENGINE) is KeyResult.INAPPROPRIATE


def test_emergency_stop_latches_until_released_and_reset() -> None:
    site = running_on_load()
    site.press_emergency_stop()
    alarms = site.controller.alarms
    assert alarms.condition("emergency_stop") is AlarmCondition.SHUTDOWN
    assert state(site) is EngineState.STOPPED
    site.advance(T.transfer_time)
    assert position(site) is TransferPosition.MAINS
    site.press_key(ControlKey.RESET_ALARM_CODES)
    assert alarms.is_active("emergency_stop")  # still pressed
    site.release_emergency_stop()
    assert alarms.is_active("emergency_stop")  # latched
    site.press_key(ControlKey.RESET_ALARM_CODES)
    assert not alarms.is_active("emergency_stop")


def test_overheating_warns_then_shuts_down() -> None:
    site = running_on_load()
    site.set_cooling_fault(True)
    alarms = site.controller.alarms
    seen_warning = False
    for _ in range(3600):
        site.advance(1)
        if alarms.condition("high_coolant_temperature") is AlarmCondition.WARNING:
            seen_warning = True
            assert StatusFlag.WARNING in alarms.status_flags()
        if alarms.stopping:
            break
    assert seen_warning
    assert alarms.condition("high_coolant_temperature") is AlarmCondition.SHUTDOWN
    assert state(site) is EngineState.STOPPED
    # Still hot: a reset does not clear it yet.
    site.press_key(ControlKey.RESET_ALARMS_BUTTON)
    assert alarms.stopping


def test_low_fuel_warning_follows_the_level_and_clears_on_refill() -> None:
    site = Site()
    site.set_tank_litres(0.21 * site.tank.capacity_l)
    site.lose_mains()
    site.set_heater(True)
    alarms = site.controller.alarms
    site.advance(2 * 3600)
    assert alarms.condition("low_fuel_level") is AlarmCondition.WARNING
    assert StatusFlag.WARNING in alarms.status_flags()
    assert position(site) is TransferPosition.GENERATOR  # a warning only
    site.refill()
    site.advance(1)
    assert not alarms.is_active("low_fuel_level")


def test_running_dry_stops_the_engine_with_a_shutdown() -> None:
    site = Site()
    site.set_tank_litres(2.0)
    site.lose_mains()
    site.advance(3600)
    assert site.tank.litres == 0
    assert state(site) is EngineState.STOPPED
    assert site.controller.alarms.condition("under_speed") is AlarmCondition.SHUTDOWN


def test_fuel_use_follows_the_load() -> None:
    config = SiteConfig(load=LoadConfig(compressor_w=0.0))
    used = {}
    for heater in (False, True):
        site = Site(config)
        site.lose_mains()
        site.set_heater(heater)
        site.advance(T.time_to_load())
        before = site.tank.litres
        kw = site.generator_kw()
        site.advance(3600)
        used[heater] = before - site.tank.litres
        engine = config.engine
        idle = engine.full_load_fuel_lph * engine.idle_fuel_fraction
        expected = idle + (engine.full_load_fuel_lph - idle) / engine.rated_kw * kw
        assert used[heater] == pytest.approx(expected, rel=0.01)
    assert used[True] > used[False] + 1.5


def test_room_follows_the_lumped_thermal_model() -> None:
    site = Site()
    site.set_outdoor_temperature(-20.0)
    site.set_room_temperature(18.0)
    room = site.config.room
    site.advance(7200)
    expected = -20 + 38 * math.exp(-7200 * room.ua_w_per_k / room.capacity_j_per_k)
    assert site.room.temperature_c == pytest.approx(expected, abs=0.01)
    cooled = site.room.temperature_c
    site.set_heater(True)
    site.advance(7200)
    assert site.room.temperature_c > cooled + 3


def test_heater_gives_no_heat_while_the_site_is_dark() -> None:
    site = Site()
    site.fail_next_cranks(3)
    site.set_heater(True)
    site.set_outdoor_temperature(-20.0)
    site.lose_mains()
    start = site.room.temperature_c
    site.advance(1800)
    assert site.room.temperature_c < start


def test_manual_mode_start_and_transfer_keys() -> None:
    site = Site()
    assert site.press_key(ControlKey.TRANSFER_TO_GENERATOR) is KeyResult.INAPPROPRIATE
    assert site.press_key(ControlKey.SELECT_MANUAL) is KeyResult.ACCEPTED
    assert site.press_key(ControlKey.TRANSFER_TO_GENERATOR) is KeyResult.INAPPROPRIATE
    assert site.press_key(ControlKey.START_ENGINE) is KeyResult.ACCEPTED
    site.advance(T.fuel_on_delay + T.fire_time + T.safety_on_delay)
    assert state(site) is EngineState.RUNNING
    assert position(site) is TransferPosition.MAINS  # off load
    assert site.press_key(ControlKey.TRANSFER_TO_GENERATOR) is KeyResult.ACCEPTED
    site.advance(T.transfer_time)
    assert position(site) is TransferPosition.GENERATOR
    assert site.press_key(ControlKey.TRANSFER_TO_MAINS) is KeyResult.ACCEPTED
    site.advance(T.transfer_time)
    assert position(site) is TransferPosition.MAINS
    assert state(site) is EngineState.RUNNING  # Manual keeps it running
    site.press_key(ControlKey.SELECT_STOP)
    assert state(site) is EngineState.STOPPED


def test_test_on_load_runs_the_set_on_load() -> None:
    site = Site()
    site.press_key(ControlKey.SELECT_TEST_ON_LOAD)
    site.press_key(ControlKey.START_ENGINE)
    site.advance(T.fuel_on_delay + T.fire_time + T.safety_on_delay + T.transfer_time)
    assert position(site) is TransferPosition.GENERATOR
    site.press_key(ControlKey.SELECT_AUTO)
    site.advance(T.transfer_time)
    assert position(site) is TransferPosition.MAINS
    assert state(site) is EngineState.COOLING_DOWN


def test_test_off_load_mode_from_the_panel() -> None:
    site = Site()
    site.set_mode(ControlMode.TEST_OFF_LOAD)
    site.press_key(ControlKey.START_ENGINE)
    site.advance(30)
    assert state(site) is EngineState.RUNNING
    assert position(site) is TransferPosition.MAINS
    site.lose_mains()
    site.advance(T.mains_fail_delay + T.transfer_time)
    assert position(site) is TransferPosition.GENERATOR


def test_telemetry_start_only_in_auto_and_cancel_stops() -> None:
    site = Site()
    site.press_key(ControlKey.SELECT_MANUAL)
    assert site.press_key(ControlKey.TELEMETRY_START) is KeyResult.INAPPROPRIATE
    site.press_key(ControlKey.SELECT_AUTO)
    assert site.press_key(ControlKey.TELEMETRY_START) is KeyResult.ACCEPTED
    site.advance(T.start_delay + T.fuel_on_delay + T.fire_time + T.safety_on_delay)
    assert state(site) is EngineState.RUNNING
    assert position(site) is TransferPosition.MAINS  # off load by default
    site.press_key(ControlKey.CANCEL_TELEMETRY_START)
    assert state(site) is EngineState.COOLING_DOWN
    site.advance(T.cooldown)
    assert state(site) is EngineState.STOPPED


def test_auto_with_manual_restore_waits_for_the_transfer_key() -> None:
    site = Site()
    site.press_key(ControlKey.SELECT_AUTO_MANUAL_RESTORE)
    site.lose_mains()
    site.advance(T.time_to_load())
    site.restore_mains()
    site.advance(T.time_to_mains() + 120)
    assert position(site) is TransferPosition.GENERATOR
    assert site.press_key(ControlKey.TRANSFER_TO_MAINS) is KeyResult.ACCEPTED
    site.advance(T.transfer_time)
    assert position(site) is TransferPosition.MAINS
    assert state(site) is EngineState.COOLING_DOWN


def test_unsupported_key_is_an_illegal_value() -> None:
    site = Site()
    assert site.press_key(ControlKey.RESET_MAINS_FAILURE) is KeyResult.ILLEGAL_VALUE


def test_brownout_counts_as_a_mains_failure() -> None:
    site = load_scenario("brownout").build()
    site.advance(60 + T.time_to_load())
    assert position(site) is TransferPosition.GENERATOR


def test_same_seed_same_registers() -> None:
    images = []
    for _ in range(2):
        # The controller clock starts at the host's clock unless told; two
        # builds a second apart would differ in it, not in the model.
        site = load_scenario("storm").build(SiteConfig(clock_start=1.8e9), seed=7)
        site.advance(600)
        images.append(DseDevice(site).image())
    assert images[0] == images[1]


def test_every_shipped_scenario_builds() -> None:
    names = list_scenarios()
    assert {"normal", "storm", "fuel_runs_low", "fail_to_start"} <= set(names)
    for name in names:
        site = load_scenario(name).build()
        site.advance(120)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (90, 90.0),
        ("30s", 30.0),
        ("6h", 21600.0),
        ("1h30m", 5400.0),
        ("6h 30s", 21630.0),
    ],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "event",
    [
        {"at": 1, "action": "meteor_strike"},
        {"at": 1, "action": "failed_cranks"},
        {"at": "soon", "action": "mains_lost"},
        {"at": 1, "action": "mains_lost", "extra": 1},
    ],
)
def test_bad_events_are_refused(event: dict[str, object]) -> None:
    with pytest.raises(ScenarioError):
        parse_scenario({"events": [event]}, "bad")


def test_a_failed_block_heater_lets_the_coolant_sink_to_the_containers_air() -> None:
    """The cold_container scenario: -20 °C outside, heater gone at 10 min."""
    site = load_scenario("cold_container").build()
    site.advance(600)
    assert site.engine.coolant_c == pytest.approx(40.0, abs=0.5)  # heated
    site.advance(3 * 3600)
    # The container runs 5 K above the outdoor air; the mains is still on.
    assert site.mains.live
    assert site.engine.coolant_c < 0.0
    site.fail_block_heater(False)
    site.advance(3 * 3600)
    assert site.engine.coolant_c > 30.0


def test_an_ageing_battery_loses_its_voltage_day_by_day() -> None:
    site = Site()
    site.advance(60)
    fresh = site.engine.battery_voltage
    site.age_battery(0.1)
    site.advance(12 * 3600)
    assert fresh - site.engine.battery_voltage == pytest.approx(0.05, abs=0.002)
    site.age_battery(0.0, worn_v=1.6)
    site.advance(1)
    assert site.engine.battery_voltage == pytest.approx(fresh - 1.6, abs=0.01)


def test_rolling_outages_cut_the_mains_three_times_and_the_set_takes_each() -> None:
    """Out at 1, 91 and 181 min for 30 min: on the generator, back on the mains."""
    site = load_scenario("rolling_outages").build()

    def until(at_s: float) -> bool:
        """Advance to `at_s`; whether the mains is live then."""
        site.advance(at_s - site.now)
        return site.mains.live

    for lost_min in (1, 91, 181):
        assert not until(lost_min * 60 + T.time_to_load() + 5)
        assert position(site) is TransferPosition.GENERATOR
        assert until((lost_min + 30) * 60 + T.time_to_mains() + 5)
        assert position(site) is TransferPosition.MAINS
