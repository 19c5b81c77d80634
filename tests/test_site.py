"""Site logic: outage tracking, site mode and fuel autonomy from plain snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.sot_point.hardware.state import (
    Alarm,
    AlarmCondition,
    ControlMode,
    EngineState,
    GeneratorState,
    IoState,
    StatusFlag,
    TransferPosition,
    TransferState,
)
from custom_components.sot_point.rules.site import (
    SiteMode,
    SiteSettings,
    SiteTracker,
    Snapshots,
)

T0 = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)


def _generator(
    *,
    mains_v: float = 230.0,
    mode: ControlMode = ControlMode.AUTO,
    engine: EngineState = EngineState.STOPPED,
    generator_a: float = 0.0,
    mains_a: float = 20.0,
    generator_w: float = 0.0,
    mains_w: float = 4600.0,
    fuel: float | None = None,
    alarms: tuple[Alarm, ...] = (),
) -> GeneratorState:
    values: dict[str, float] = {
        "mains_frequency": 50.0 if mains_v else 0.0,
        "generator_frequency": 50.0 if engine is EngineState.RUNNING else 0.0,
    }
    for n in (1, 2, 3):
        values[f"mains_voltage_l{n}_n"] = mains_v
        values[f"generator_voltage_l{n}_n"] = 230.0 if generator_a else 0.0
        values[f"generator_current_l{n}"] = generator_a
        values[f"mains_current_l{n}"] = mains_a
        values[f"generator_power_l{n}"] = generator_w / 3
        values[f"mains_power_l{n}"] = mains_w / 3
    if fuel is not None:
        values["fuel_level"] = fuel
    return GeneratorState(
        mode=mode, engine=engine, flags=StatusFlag(0), values=values, alarms=alarms
    )


def _on_backup() -> GeneratorState:
    return _generator(
        mains_v=0.0,
        engine=EngineState.RUNNING,
        generator_a=20.0,
        mains_a=0.0,
        generator_w=9000.0,
        mains_w=0.0,
    )


def test_normal_day_is_normal() -> None:
    """Mains in band, set at rest in Auto: the site reads normal, no outage."""
    state = SiteTracker().update(Snapshots(generator=_generator()), T0)
    assert state.mode is SiteMode.NORMAL
    assert state.mains_available is True
    assert state.outage_in_progress is False
    assert state.transfer is not None
    assert state.transfer.position is TransferPosition.MAINS


def test_outage_is_confirmed_after_the_delay_and_dated_from_the_loss() -> None:
    """A short dip is only 'detected'; past the delay it is an outage from its start."""
    tracker = SiteTracker(SiteSettings(outage_confirm_delay=timedelta(seconds=5)))
    lost = _generator(mains_v=0.0, mains_a=0.0)
    first = tracker.update(Snapshots(generator=lost), T0)
    assert first.mode is SiteMode.OUTAGE_DETECTED
    assert first.outage_in_progress is False

    later = tracker.update(Snapshots(generator=lost), T0 + timedelta(seconds=6))
    assert later.mode is SiteMode.STARTING  # Auto: the controller is starting
    assert later.outage_started == T0
    assert later.outage_duration == timedelta(seconds=6)


def test_a_dip_shorter_than_the_delay_leaves_no_outage() -> None:
    """Mains back within the delay: no outage is recorded."""
    tracker = SiteTracker(SiteSettings(outage_confirm_delay=timedelta(seconds=5)))
    tracker.update(Snapshots(generator=_generator(mains_v=0.0)), T0)
    state = tracker.update(Snapshots(generator=_generator()), T0 + timedelta(seconds=3))
    assert state.mode is SiteMode.NORMAL
    assert state.outage_started is None


def test_storm_sequence_backup_then_return() -> None:
    """Loss, backup power, mains back while still on diesel, then normal."""
    tracker = SiteTracker(SiteSettings(outage_confirm_delay=timedelta(seconds=5)))
    tracker.update(Snapshots(generator=_generator(mains_v=0.0, mains_a=0.0)), T0)
    backup = tracker.update(
        Snapshots(generator=_on_backup()), T0 + timedelta(seconds=40)
    )
    assert backup.mode is SiteMode.BACKUP_POWER

    back = _on_backup()
    back_values = dict(back.values) | {
        f"mains_voltage_l{n}_n": 231.0 for n in (1, 2, 3)
    }
    back_values["mains_frequency"] = 50.0
    returning = tracker.update(
        Snapshots(
            generator=GeneratorState(
                mode=back.mode,
                engine=back.engine,
                flags=back.flags,
                values=back_values,
            )
        ),
        T0 + timedelta(hours=6),
    )
    assert returning.mode is SiteMode.RETURNING
    assert returning.outage_in_progress is True

    done = tracker.update(
        Snapshots(generator=_generator(engine=EngineState.COOLING_DOWN)),
        T0 + timedelta(hours=6, seconds=40),
    )
    assert done.outage_in_progress is False
    assert done.mode is SiteMode.RETURNING  # cooling down off load

    stopped = tracker.update(
        Snapshots(generator=_generator()), T0 + timedelta(hours=6, minutes=3)
    )
    assert stopped.mode is SiteMode.NORMAL


def test_shutdown_alarm_during_outage_means_no_backup() -> None:
    """Fail to start while the grid is down: the site says there is no backup."""
    tracker = SiteTracker(SiteSettings(outage_confirm_delay=timedelta(0)))
    failed = _generator(
        mains_v=0.0,
        mains_a=0.0,
        alarms=(Alarm("fail_to_start", AlarmCondition.SHUTDOWN),),
    )
    state = tracker.update(Snapshots(generator=failed), T0)
    assert state.mode is SiteMode.OUTAGE_NO_BACKUP


def test_manual_site_without_start_has_no_backup() -> None:
    """A set in Manual does not start itself: no backup until someone starts it."""
    tracker = SiteTracker(SiteSettings(outage_confirm_delay=timedelta(0)))
    state = tracker.update(
        Snapshots(generator=_generator(mains_v=0.0, mode=ControlMode.MANUAL)), T0
    )
    assert state.mode is SiteMode.OUTAGE_NO_BACKUP


def test_shutdown_alarm_on_a_normal_day_is_a_fault() -> None:
    """A latched shutdown alarm with mains on: the site is not ready."""
    alarm = (Alarm("low_oil_pressure", AlarmCondition.SHUTDOWN),)
    state = SiteTracker().update(Snapshots(generator=_generator(alarms=alarm)), T0)
    assert state.mode is SiteMode.FAULT


def test_nothing_answering_is_a_fault_not_normal() -> None:
    """With no device reporting, the site never claims to be normal."""
    state = SiteTracker().update(Snapshots(failed=frozenset({"x"})), T0)
    assert state.mode is SiteMode.FAULT
    assert state.mains_available is None


def test_transfer_switch_mains_sensing_wins_over_controller() -> None:
    """A separate switch sees the mains at the switch; its word counts."""
    ats = TransferState(
        position=TransferPosition.GENERATOR,
        automatic=True,
        mains_available=False,
        generator_available=True,
    )
    state = SiteTracker().update(
        Snapshots(generator=_generator(), transfer_switch=ats), T0
    )
    assert state.mains_available is False
    assert state.transfer is ats


def test_fuel_autonomy_from_level_sensor_at_backup_load() -> None:
    """500 L, 100 L unusable, 9 kW on a 30 kW set: hand-computed hours."""
    settings = SiteSettings(
        tank_capacity_l=1000, tank_usable_l=900, generator_rated_kw=30
    )
    tracker = SiteTracker(settings)
    io = IoState(tank_litres=500.0, tank_fraction=0.5)
    state = tracker.update(Snapshots(generator=_on_backup(), io=io), T0)
    # Full load 0.33 x 30 = 9.9 L/h; idle 2.475 L/h; at 9 kW:
    # 2.475 + (9.9 - 2.475) x 9/30 = 4.7025 L/h; 400 L / 4.7025 = 85.06 h.
    assert state.fuel.consumption_lph == pytest.approx(4.70, abs=0.01)
    assert state.fuel.usable_litres == 400.0
    assert state.fuel.autonomy_h == pytest.approx(85.1, abs=0.05)
    assert state.fuel.level_percent == 50.0
    assert state.fuel.source == "level_sensor"


def test_fuel_from_controller_percent_when_no_sensor() -> None:
    """Without a level sensor the controller's fuel % and the tank size count."""
    settings = SiteSettings(tank_capacity_l=200, tank_usable_l=200)
    state = SiteTracker(settings).update(Snapshots(generator=_generator(fuel=40.0)), T0)
    assert state.fuel.litres == 80.0
    assert state.fuel.source == "controller"
    assert state.fuel.consumption_lph == 0.0  # not running: nothing burns


def test_broken_level_sensor_gives_no_numbers() -> None:
    """A wire break shows as a fault, never as an empty or full tank."""
    io = IoState(tank_current_ma=0.0, tank_fault="wire_break")
    state = SiteTracker().update(Snapshots(generator=_generator(), io=io), T0)
    assert state.fuel.litres is None
    assert state.fuel.autonomy_h is None
    assert state.fuel.sensor_fault == "wire_break"


def test_autonomy_at_mean_load_uses_the_last_hour() -> None:
    """The mean-load autonomy averages loads of the last hour only."""
    settings = SiteSettings(tank_capacity_l=1000, tank_usable_l=1000)
    tracker = SiteTracker(settings)
    io = IoState(tank_litres=600.0)
    light = _generator(mains_w=3000.0)
    heavy = _generator(mains_w=15000.0)
    tracker.update(Snapshots(generator=heavy, io=io), T0)
    tracker.update(Snapshots(generator=light, io=io), T0 + timedelta(minutes=30))
    state = tracker.update(
        Snapshots(generator=light, io=io), T0 + timedelta(minutes=90)
    )
    # The heavy sample is older than an hour: only the two light ones count.
    assert state.fuel.mean_load_kw == 3.0
    assert state.fuel.load_kw == 3.0
