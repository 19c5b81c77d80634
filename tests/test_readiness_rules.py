"""Cold readiness and rolling outages as plain rules (no Home Assistant)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from custom_components.sot_point.hardware.state import ControlMode
from custom_components.sot_point.rules.readiness import (
    BatteryLog,
    Cause,
    ReadinessFacts,
    ReadinessSettings,
    ReadinessWatch,
)
from custom_components.sot_point.rules.rolling import RollingSettings, rolling_outages

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _facts(minutes: float, **values: object) -> ReadinessFacts:
    base: dict[str, object] = {
        "at": T0 + timedelta(minutes=minutes),
        "mode": ControlMode.AUTO,
        "running": False,
        "mains_good": True,
        "coolant_c": 40.0,
        "battery_v": 13.6,
        "shutdown_alarm": False,
    }
    return ReadinessFacts(**(base | values))  # type: ignore[arg-type]


def _watch() -> ReadinessWatch:
    return ReadinessWatch(ReadinessSettings(coolant_hold=timedelta(minutes=30)))


def test_a_warm_set_in_auto_is_ready() -> None:
    watch = _watch()
    readiness = watch.observe(_facts(0))
    assert readiness.ready is True
    assert readiness.causes == ()


def test_a_silent_controller_is_not_known_either_way() -> None:
    watch = _watch()
    watch.observe(_facts(0, mode=ControlMode.MANUAL))
    assert watch.observe(_facts(1, mode=None, running=None)).ready is None


def test_out_of_auto_a_shutdown_alarm_and_a_failed_test_run_say_not_ready() -> None:
    watch = _watch()
    readiness = watch.observe(
        _facts(
            0, mode=ControlMode.MANUAL, shutdown_alarm=True, last_test_run_failed=True
        )
    )
    assert readiness.ready is False
    assert readiness.causes == (
        Cause.NOT_IN_AUTO,
        Cause.SHUTDOWN_ALARM,
        Cause.TEST_RUN_FAILED,
    )


def test_a_cold_engine_counts_once_it_has_held_cold() -> None:
    watch = _watch()
    watch.observe(_facts(0))
    for minute in range(1, 30):
        assert watch.observe(_facts(minute, coolant_c=12.0)).ready is True
    readiness = watch.observe(_facts(31, coolant_c=12.0))
    assert readiness.causes == (Cause.BLOCK_HEATER,)
    assert readiness.details["coolant_temperature"] == 12.0
    # Warm again: ready at once.
    assert watch.observe(_facts(32, coolant_c=35.0)).ready is True


@pytest.mark.parametrize(
    ("values", "counts"),
    [
        ({"mains_good": False}, False),  # the heater has no supply in an outage
        ({"running": True}, False),
        ({"outside_named": True, "outside_c": 4.0}, False),  # a mild day
        ({"outside_named": True, "outside_c": -6.0}, True),
        ({"outside_named": False}, True),
    ],
)
def test_a_cold_engine_counts_only_where_the_heater_should_hold_it(
    values: dict[str, object], counts: bool
) -> None:
    watch = _watch()
    watch.observe(_facts(0, coolant_c=5.0, **values))
    readiness = watch.observe(_facts(45, coolant_c=5.0, **values))
    assert (Cause.BLOCK_HEATER in readiness.causes) is counts


def test_missing_readings_neither_raise_nor_clear_the_block_heater() -> None:
    watch = _watch()
    watch.observe(_facts(0, coolant_c=5.0))
    assert Cause.BLOCK_HEATER in watch.observe(_facts(40, coolant_c=5.0)).causes
    # The instruments not read, the mains unknown, the outdoor sensor gone.
    for values in (
        {"coolant_c": None},
        {"mains_good": None},
        {"outside_named": True, "outside_c": None},
    ):
        assert Cause.BLOCK_HEATER in watch.observe(_facts(41, **values)).causes


def test_a_low_battery_counts_at_rest_after_it_held_and_a_24_v_one_is_scaled() -> None:
    watch = _watch()
    watch.observe(_facts(0, battery_v=11.9))
    # Not settled after the run before (none seen): waits BATTERY_SETTLE.
    assert watch.observe(_facts(9, battery_v=11.9)).ready is True
    assert watch.observe(_facts(15, battery_v=11.9)).ready is True  # low since 15
    readiness = watch.observe(_facts(26, battery_v=11.9))
    assert readiness.causes == (Cause.BATTERY_LOW,)
    assert readiness.details["battery_minimum"] == 12.2
    big = _watch()
    for minute in (0, 11, 30):
        readiness = big.observe(_facts(minute, battery_v=24.6))
    assert readiness.ready is True  # 24.6 V is above 2 x 12.2 V
    for minute in (31, 45):
        readiness = big.observe(_facts(minute, battery_v=24.1))
    assert readiness.causes == (Cause.BATTERY_LOW,)


def test_the_battery_is_not_judged_while_the_set_runs_or_just_after() -> None:
    watch = _watch()
    watch.observe(_facts(0, running=True, battery_v=10.5))
    for minute in range(1, 9):
        assert watch.observe(_facts(minute, battery_v=11.5)).ready is True


def test_a_battery_falling_day_after_day_counts() -> None:
    watch = _watch()
    readiness = None
    for day in range(7):
        at = day * 24 * 60
        watch.observe(_facts(at, battery_v=13.6 - 0.08 * day))
        readiness = watch.observe(_facts(at + 15, battery_v=13.6 - 0.08 * day))
    assert readiness is not None
    assert readiness.causes == (Cause.BATTERY_FALLING,)
    assert readiness.details["battery_fall_per_week"] == pytest.approx(0.56, abs=0.01)


def test_a_steady_battery_and_too_few_days_do_not_count() -> None:
    log = BatteryLog()
    today = date(2026, 12, 7)
    for day in range(3):
        log.add(today - timedelta(days=day), 13.0 - 0.3 * day)
    assert log.fall_per_week(today) is None  # three days are not a trend
    steady = BatteryLog()
    for day in range(7):
        steady.add(today - timedelta(days=day), 13.6 + (0.02 if day % 2 else -0.02))
    fall = steady.fall_per_week(today)
    assert fall is not None
    assert abs(fall) < 0.1


def test_the_battery_log_keeps_two_weeks_and_reads_back_what_it_stored() -> None:
    log = BatteryLog()
    start = date(2026, 11, 1)
    for day in range(20):
        log.add(start + timedelta(days=day), 13.5)
        log.add(start + timedelta(days=day), 13.3)
    assert len(log.days) == 14
    mean, count = log.days[start + timedelta(days=19)]
    assert mean == pytest.approx(13.4)
    assert count == 2
    stored: dict[str, Any] = {**log.dump()}
    stored["not a day"] = [1.0, 1]
    stored["2026-11-30"] = ["x"]
    again = BatteryLog.load(stored)
    assert again.days == {
        day: value for day, value in log.days.items() if day != date(2026, 11, 30)
    }


def test_three_outages_within_six_hours_are_rolling_and_stop_being_so() -> None:
    settings = RollingSettings(count=3, window=timedelta(hours=6))
    starts = [T0, T0 + timedelta(hours=2), T0 + timedelta(hours=4)]
    assert not rolling_outages(starts[:2], T0 + timedelta(hours=3), settings).active
    rolling = rolling_outages(starts, T0 + timedelta(hours=4, minutes=1), settings)
    assert rolling.active
    assert rolling.until == T0 + timedelta(hours=6)
    assert rolling.as_data()["outages"] == 3
    later = rolling_outages(starts, T0 + timedelta(hours=6, minutes=1), settings)
    assert not later.active
    assert later.until is None
    # An outage in the future (a clock set wrong) does not count yet.
    assert not rolling_outages(starts, T0 + timedelta(hours=3), settings).active
