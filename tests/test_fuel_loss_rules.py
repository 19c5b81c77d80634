"""The fuel loss and runaway rules with plain values, figures worked by hand.

Settings throughout: 20 L of noise, a 10-minute hold, a factor of 2 over the
consumption curve, 9.9 L/h at full load (a 30 kW set).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.sot_point.hardware.state import ControlMode
from custom_components.sot_point.rules.fuel_loss import (
    FuelLoss,
    FuelLossSettings,
    FuelLossWatch,
    LossKind,
    TankReading,
)
from custom_components.sot_point.rules.runaway import (
    RunawayReason,
    RunawayWatch,
    RunFacts,
)

T0 = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)
SETTINGS = FuelLossSettings(
    noise_l=20.0, hold=timedelta(minutes=10), running_factor=2.0, full_load_lph=9.9
)


def _minute(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def _feed(
    watch: FuelLossWatch,
    minutes: range,
    litres: float | None,
    *,
    running: bool | None = False,
    lph: float | None = 0.0,
    run_time_s: float | None = None,
) -> list[tuple[int, FuelLoss]]:
    found = []
    for n in minutes:
        reading = TankReading(_minute(n), litres, running, lph, run_time_s)
        if (loss := watch.observe(reading)) is not None:
            found.append((n, loss))
    return found


def test_a_drop_while_stopped_counts_once_it_has_held_ten_minutes() -> None:
    """100 L, then 70 L from minute 1: 30 L > 20 L, reported at minute 11."""
    watch = FuelLossWatch(SETTINGS)
    assert _feed(watch, range(1), 100.0) == []
    ((at, loss),) = _feed(watch, range(1, 30), 70.0)
    assert at == 11
    assert loss.kind is LossKind.LEAK
    assert (loss.litres, loss.fall_l, loss.expected_l) == (30.0, 30.0, 0.0)
    assert (loss.started, loss.ended, loss.running) == (T0, _minute(11), False)


def test_a_bad_reading_sloshing_and_a_spike_raise_nothing() -> None:
    """One reading 50 L low, ±15 L of slosh, one 50 L high: nothing."""
    watch = FuelLossWatch(SETTINGS)
    _feed(watch, range(2), 100.0)
    assert _feed(watch, range(2, 3), 50.0) == []
    for n in range(3, 60):
        reading = TankReading(_minute(n), 100.0 + (15 if n % 2 else -15), False, 0.0)
        assert watch.observe(reading) is None
    assert _feed(watch, range(60, 61), 150.0) == []
    assert _feed(watch, range(61, 120), 100.0) == []


def test_a_fall_just_within_the_noise_is_not_a_loss() -> None:
    watch = FuelLossWatch(SETTINGS)
    _feed(watch, range(1), 100.0)
    assert _feed(watch, range(1, 120), 80.0) == []


def test_running_at_the_curve_is_no_loss_but_a_leak_beyond_twice_it_is() -> None:
    """At 6 L/h a level falling 6 L/h is fine; 26 L/h is a leak of 20 L/h.

    Loss = fall - 2 x expected = 26t - 12t = 14t L (t in hours), above
    20 L from minute 86 (20.07 L); held to minute 96 (t = 1.6 h): the fall
    is 41.6 L, the curve's 9.6 L, so 32.0 L went elsewhere.
    """
    watch = FuelLossWatch(SETTINGS)
    for n in range(240):
        level = 200.0 - 6.0 * n / 60
        assert watch.observe(TankReading(_minute(n), level, True, 6.0)) is None

    watch = FuelLossWatch(SETTINGS)
    found = []
    for n in range(120):
        level = 200.0 - 26.0 * n / 60
        if loss := watch.observe(TankReading(_minute(n), level, True, 6.0)):
            found.append((n, loss))
    ((at, loss),) = found
    assert at == 96
    assert loss.kind is LossKind.LEAK
    assert loss.running
    assert loss.fall_l == pytest.approx(41.6)
    assert loss.expected_l == pytest.approx(9.6)
    assert loss.litres == pytest.approx(32.0)


def test_a_running_set_of_unknown_load_may_burn_its_full_load() -> None:
    """Load unknown: 9.9 L/h allowed, doubled; 19 L/h over 2 h is not a loss."""
    watch = FuelLossWatch(SETTINGS)
    for n in range(121):
        level = 200.0 - 19.0 * n / 60
        assert watch.observe(TankReading(_minute(n), level, True, None)) is None


def test_a_fall_across_a_gap_is_unexplained() -> None:
    """100 L, silent 30 min, then 60 L: 40 L unexplained, at minute 45."""
    watch = FuelLossWatch(SETTINGS)
    _feed(watch, range(6), 100.0)
    assert _feed(watch, range(6, 35), None) == []
    ((at, loss),) = _feed(watch, range(35, 60), 60.0)
    assert at == 45
    assert loss.kind is LossKind.UNEXPLAINED
    assert (loss.litres, loss.started, loss.running) == (40.0, T0, False)


def test_readings_far_apart_are_a_gap_too() -> None:
    """Home Assistant down for an hour: no states at all in between."""
    watch = FuelLossWatch(SETTINGS)
    _feed(watch, range(1), 100.0)
    ((_at, loss),) = _feed(watch, range(60, 80), 70.0)
    assert loss.kind is LossKind.UNEXPLAINED


def test_across_a_gap_the_run_time_counter_says_what_the_set_may_have_burnt() -> None:
    """Half an hour run in the gap: 4.95 L at full load, 9.9 L allowed.

    A 25 L fall leaves 15.1 L: within the noise. A 40 L fall leaves 30.1 L:
    unexplained, 35.05 L beyond what the set burnt.
    """
    for fall, expected in ((25.0, None), (40.0, 35.05)):
        watch = FuelLossWatch(SETTINGS)
        _feed(watch, range(1), 100.0, run_time_s=3600.0)
        found = _feed(watch, range(60, 80), 100.0 - fall, run_time_s=5400.0)
        if expected is None:
            assert found == []
        else:
            ((_at, loss),) = found
            assert loss.kind is LossKind.UNEXPLAINED
            assert loss.running
            assert loss.litres == pytest.approx(expected)


def test_silence_and_an_unknown_engine_never_raise_a_loss() -> None:
    watch = FuelLossWatch(SETTINGS)
    assert _feed(watch, range(60), None) == []
    assert _feed(watch, range(60, 120), 10.0, running=None) == []


def test_a_delivery_starts_afresh_and_an_undeclared_refill_once_it_holds() -> None:
    """After a recorded delivery the new level is the reference at once."""
    watch = FuelLossWatch(SETTINGS)
    _feed(watch, range(1), 50.0)
    watch.note_delivery()
    _feed(watch, range(1, 2), 150.0)
    ((_at, loss),) = _feed(watch, range(2, 30), 120.0)
    assert loss.litres == 30.0

    # Without a record the rise becomes the reference after the hold time.
    watch = FuelLossWatch(SETTINGS)
    _feed(watch, range(1), 50.0)
    _feed(watch, range(1, 20), 150.0)
    ((_at, loss),) = _feed(watch, range(20, 40), 120.0)
    assert loss.litres == 30.0


# -- runaway runs -------------------------------------------------------------------


def _facts(n: float, **changes: object) -> RunFacts:
    values: dict[str, object] = {
        "at": _minute(n),
        "running": True,
        "mains_good": True,
        "mode": ControlMode.AUTO,
    }
    return RunFacts(**(values | changes))  # type: ignore[arg-type]


def test_a_run_with_the_mains_good_is_runaway_after_the_limit() -> None:
    watch = RunawayWatch(timedelta(minutes=30))
    for n in range(31):
        assert watch.observe(_facts(n)) is None
    found = watch.observe(_facts(31))
    assert found is not None
    assert (found.reason, found.since, found.minutes) == (
        RunawayReason.MAINS_BACK,
        T0,
        31.0,
    )
    assert watch.observe(_facts(32, running=None)) is found  # silent: no news
    assert watch.observe(_facts(33, mains_good=None)) is found
    assert watch.observe(_facts(34, running=False)) is None


def test_manual_maintenance_and_an_outage_are_not_runaway() -> None:
    watch = RunawayWatch(timedelta(minutes=30))
    for n in range(120):
        assert watch.observe(_facts(n, mode=ControlMode.MANUAL)) is None
        assert watch.observe(_facts(n, maintenance=True)) is None
    watch = RunawayWatch(timedelta(minutes=30))
    for n in range(0, 120, 20):
        watch.observe(_facts(n))
        assert watch.observe(_facts(n + 10, mains_good=False)) is None


def test_a_silent_controller_never_raises_it() -> None:
    watch = RunawayWatch(timedelta(minutes=30))
    for n in range(120):
        assert watch.observe(_facts(n, running=None, mains_good=None)) is None


def test_a_test_run_is_runaway_ten_minutes_past_its_end() -> None:
    """Ends at minute 20: still fine at 30, overdue by 11 minutes at 31."""
    watch = RunawayWatch(timedelta(minutes=30))
    end = _minute(20)
    for n in range(31):
        mode = ControlMode.MANUAL if n % 2 else ControlMode.TEST_ON_LOAD
        assert watch.observe(_facts(n, test_run_end=end, mode=mode)) is None
    found = watch.observe(_facts(31, test_run_end=end))
    assert found is not None
    assert (found.reason, found.since, found.minutes) == (
        RunawayReason.TEST_RUN_OVERDUE,
        end,
        11.0,
    )
