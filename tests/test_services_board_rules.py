# ruff: noqa: RUF001 - opening hours are written with the Swedish dash
"""rules/services_board.py on its own: who decides a service's state, and since when."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from custom_components.sot_point.hardware.state import IoState
from custom_components.sot_point.rules.services_board import (
    CONF_LOCAL_RADIO,
    CONF_OFFERED,
    CONF_PUMP_ON_GENERATOR,
    CONF_SERVICE_BOARD,
    CONF_STALE_HOURS,
    BoardSettings,
    Manual,
    ServiceState,
    Source,
    board_as_stored,
    board_settings,
    carry_since,
    shown,
)
from custom_components.sot_point.rules.site import FuelState, SiteMode, SiteState

NOW = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)
SETTINGS = BoardSettings(offered=("store", "fuel", "warm_room"))


def _site(
    *,
    mains: bool | None = True,
    outage: bool = False,
    heater: bool | None = None,
    room: float | None = None,
) -> SiteState:
    return SiteState(
        updated=NOW,
        mode=SiteMode.NORMAL if mains else SiteMode.OUTAGE_NO_BACKUP,
        mains_available=mains,
        transfer=None,
        outage_started=NOW - timedelta(minutes=10) if outage else None,
        generator=None,
        io=IoState(heater_on=heater, room_temperature=room),
        fuel=FuelState(),
    )


def _set(state: ServiceState, hours_ago: float = 1.0) -> Manual:
    return Manual().updated(NOW - timedelta(hours=hours_ago), state=state)


def test_a_state_set_by_hand_is_shown_with_its_note_and_hours() -> None:
    """Open since it was set, with the association's words."""
    manual = _set(ServiceState.OPEN).updated(NOW, note="Endast kontant", hours="8–20")
    now = shown("store", manual, _site(), SETTINGS, NOW)
    assert (now.state, now.source) == (ServiceState.OPEN, Source.MANUAL)
    assert (now.note, now.hours) == ("Endast kontant", "8–20")
    assert now.since == NOW - timedelta(hours=1)
    assert now.updated == NOW  # the note confirmed it


def test_never_set_is_unknown() -> None:
    """Nobody has said anything about the store: the page cannot either."""
    now = shown("store", Manual(), _site(), SETTINGS, NOW)
    assert (now.state, now.source, now.updated) == (
        ServiceState.UNKNOWN,
        Source.MANUAL,
        None,
    )


def test_a_state_older_than_the_stale_time_falls_back_to_unknown() -> None:
    """Open 13 hours ago, with 12 allowed: unknown, its note gone, hours kept."""
    manual = replace(_set(ServiceState.OPEN, 13), note="Öppet till 20", hours="8–20")
    now = shown("store", manual, _site(), SETTINGS, NOW)
    assert (now.state, now.source) == (ServiceState.UNKNOWN, Source.STALE)
    assert (now.note, now.hours) == (None, "8–20")
    assert now.updated == NOW - timedelta(hours=13)
    longer = replace(SETTINGS, stale_after=timedelta(hours=24))
    assert shown("store", manual, _site(), longer, NOW).state is ServiceState.OPEN


def test_the_warm_room_follows_the_heater_and_the_temperature() -> None:
    """Heater on and warm: open; on and cold: limited; off: closed."""
    cases = [
        (True, 20.5, ServiceState.OPEN),
        (True, 12.0, ServiceState.LIMITED),
        (True, None, ServiceState.LIMITED),
        (False, 21.0, ServiceState.CLOSED),
    ]
    for heater, room, expected in cases:
        site = _site(heater=heater, room=room)
        now = shown("warm_room", Manual(), site, SETTINGS, NOW)
        assert (now.state, now.source) == (expected, Source.HEATER), (heater, room)


def test_a_warm_room_closed_by_hand_stays_closed_and_silence_leaves_it_manual() -> None:
    """Kept frost-free is not open; without readings the association's state holds."""
    closed = _set(ServiceState.CLOSED)
    warm = _site(heater=True, room=21.0)
    assert shown("warm_room", closed, warm, SETTINGS, NOW).source is Source.MANUAL
    opened = _set(ServiceState.OPEN)
    silent = _site(heater=None, room=None)
    now = shown("warm_room", opened, silent, SETTINGS, NOW)
    assert (now.state, now.source) == (ServiceState.OPEN, Source.MANUAL)
    assert shown("warm_room", opened, None, SETTINGS, NOW).source is Source.MANUAL


def test_fuel_follows_the_pumps_power() -> None:
    """Closed in an outage unless the pump is on the generator's circuit and fed."""
    opened = _set(ServiceState.OPEN)
    on_generator = replace(SETTINGS, pump_on_generator=True)
    no_power = _site(mains=False, outage=True)
    now = shown("fuel", opened, no_power, SETTINGS, NOW)
    assert (now.state, now.source) == (ServiceState.CLOSED, Source.PUMP_POWER)
    # On the generator's circuit, but nothing says the load is on backup.
    assert shown("fuel", opened, no_power, on_generator, NOW).state is (
        ServiceState.OPEN
    )
    # A blink, not a confirmed outage; and the mains is good.
    blink = _site(mains=False, outage=False)
    assert shown("fuel", opened, blink, SETTINGS, NOW).source is Source.MANUAL
    assert shown("fuel", opened, _site(), SETTINGS, NOW).state is ServiceState.OPEN
    # Unknown mains (the controller is silent): the association's state.
    unknown = _site(mains=None, outage=True)
    assert shown("fuel", opened, unknown, SETTINGS, NOW).source is Source.MANUAL


def test_since_holds_while_the_state_does() -> None:
    """An automatic state began when first seen; a manual one when set."""
    site = _site(heater=True, room=20.0)
    first = carry_since(None, shown("warm_room", Manual(), site, SETTINGS, NOW), NOW)
    later = NOW + timedelta(minutes=5)
    again = shown("warm_room", Manual(), site, SETTINGS, later)
    assert carry_since(first, again, later).since == NOW
    manual = _set(ServiceState.OPEN, 3)
    by_hand = shown("store", manual, _site(), SETTINGS, NOW)
    assert carry_since(None, by_hand, NOW).since == NOW - timedelta(hours=3)
    # Open by hand again after the pump's power came back: open since then.
    fuel_closed = shown("fuel", manual, _site(mains=False, outage=True), SETTINGS, NOW)
    fuel_open = shown("fuel", manual, _site(), SETTINGS, later)
    assert carry_since(fuel_closed, fuel_open, later).since == later


def test_options_round_trip() -> None:
    """The options form's section, kept and read back, in the page's order."""
    stored = board_as_stored(
        {
            CONF_OFFERED: ["wifi", "store"],
            CONF_PUMP_ON_GENERATOR: True,
            CONF_STALE_HOURS: 6,
            CONF_LOCAL_RADIO: "  P4 Norrbotten 103,4 MHz ",
        }
    )
    settings = board_settings({CONF_SERVICE_BOARD: stored})
    assert settings.offered == ("store", "wifi")
    assert settings.pump_on_generator is True
    assert settings.stale_after == timedelta(hours=6)
    assert settings.local_radio == "P4 Norrbotten 103,4 MHz"
    assert board_as_stored({CONF_STALE_HOURS: 12.0}) == {}
    assert board_settings({}) == BoardSettings()


def test_manual_round_trips_through_storage() -> None:
    """What is kept reads back the same."""
    manual = _set(ServiceState.LIMITED).updated(NOW, note="Kö", hours="10–14")
    assert Manual.from_dict(manual.as_dict()) == manual
