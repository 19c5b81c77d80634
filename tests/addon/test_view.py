# ruff: noqa: RUF001, E501 - the page uses the Swedish dash; a table of sentences
"""What the page says in each situation, in Swedish and English (no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sot_infopoint.settings import OFFERS, Options
from sot_infopoint.status import StatusError, parse_status
from sot_infopoint.texts import TEXTS, age, date_time, duration, local_time, number
from sot_infopoint.view import BannerKind, Power, build_view

from .conftest import NOW, notice, status_object


def _view(lang: str = "sv", options: Options | None = None, **changes: Any) -> Any:
    status = parse_status(status_object(**changes))
    return build_view(status, options or Options(), NOW, lang)  # type: ignore[arg-type]


def test_both_languages_have_every_text() -> None:
    """Swedish and English carry the same keys and placeholders."""
    assert TEXTS["sv"].keys() == TEXTS["en"].keys()
    for key, swedish in TEXTS["sv"].items():
        english = TEXTS["en"][key]
        assert sorted(_fields(swedish)) == sorted(_fields(english)), key


def _fields(template: str) -> list[str]:
    import string  # noqa: PLC0415

    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


@pytest.mark.parametrize(
    ("mode", "mains", "outage", "kind", "sv", "en"),
    [
        ("normal", True, False, BannerKind.NORMAL, "Normalläge – strömmen fungerar", "Normal – the power is on"),
        ("test_run", True, False, BannerKind.NORMAL, "Normalläge – reservkraften provkörs", "Normal – the backup generator is being tested"),
        ("outage_detected", False, False, BannerKind.STARTING, "Strömavbrott – reservkraft startar", "Power cut – backup power starting"),
        ("starting", False, True, BannerKind.STARTING, "Strömavbrott – reservkraft startar", "Power cut – backup power starting"),
        ("backup_power", False, True, BannerKind.BACKUP, "Strömavbrott – reservkraft i drift", "Power cut – running on backup power"),
        ("outage_no_backup", False, True, BannerKind.NO_BACKUP, "Strömavbrott – ingen reservkraft", "Power cut – no backup power"),
        ("returning", True, False, BannerKind.RETURNING, "Strömmen är tillbaka", "The power is back"),
        ("fault", True, False, BannerKind.NORMAL, "Normalläge – strömmen fungerar", "Normal – the power is on"),
        ("fault", None, False, BannerKind.UNKNOWN, "Läget är okänt just nu", "Status unknown right now"),
    ],
)  # fmt: skip
def test_banner_in_plain_words(  # noqa: PLR0917
    mode: str, mains: bool | None, outage: bool, kind: BannerKind, sv: str, en: str
) -> None:
    """Each mode reads as a resident would say it, in both languages."""
    started = (NOW - timedelta(hours=2, minutes=27)).isoformat() if outage else None
    for lang, words in (("sv", sv), ("en", en)):
        view = _view(lang, mode=mode, mains_available=mains, outage_started=started)
        assert view.banner.kind is kind
        assert view.banner.title == words


def test_since_is_stockholm_time_with_duration() -> None:
    """The outage began 11:05 UTC, which is 12:05 in Stockholm in November."""
    assert _view("sv").banner.detail == "Sedan 12:05 (2 tim 27 min)."
    assert _view("en").banner.detail == "Since 12:05 (2 h 27 min)."


def test_unreachable_site_is_unknown_not_normal() -> None:
    """Silent devices give the unknown banner and unknown services."""
    view = _view("sv", reachable=False, mode="normal", mains_available=True)
    assert view.banner.kind is BannerKind.UNKNOWN
    assert {line.power for line in view.services} == {Power.UNKNOWN}


def test_no_status_yet() -> None:
    """Before any status the page says so rather than guessing."""
    view = build_view(None, Options(), NOW, "en")
    assert view.banner.title == "No information yet"
    assert view.updated == "No information yet."
    assert view.stale


@pytest.mark.parametrize(
    ("mode", "power", "state_sv"),
    [
        ("backup_power", Power.WORKS, "Fungerar"),
        ("starting", Power.STARTING, "Väntar på reservkraft"),
        ("outage_no_backup", Power.DOWN, "Fungerar inte just nu"),
    ],
)
def test_services_follow_the_power(mode: str, power: Power, state_sv: str) -> None:
    """What the site offers works with power, waits for it, or does not work."""
    view = _view("sv", mode=mode)
    assert [line.name for line in view.services] == [
        "Butiken",
        "Drivmedelspumpen",
        "Värmestugan",
        "Laddning av mobiltelefoner",
        "Informationspunkten",
    ]
    assert {line.power for line in view.services} == {power}
    assert view.services[0].state == state_sv


def test_only_offered_services_and_warm_room_temperature() -> None:
    """The options decide the list; the warm room shows its temperature."""
    options = Options(offers=("warm_room", "phone_charging"))
    view = _view("sv", options=options)
    assert [line.name for line in view.services] == [
        "Värmestugan",
        "Laddning av mobiltelefoner",
    ]
    assert view.services[0].extra == "19,5\u00a0°C inne"
    assert _view("en", options=options).services[0].extra == "19.5\u00a0°C inside"
    assert len(OFFERS) == 5


def test_fuel_autonomy_only_when_allowed() -> None:
    """Fuel autonomy is hidden unless the option allows it."""
    assert _view("sv").fuel is None
    allowed = Options(show_fuel_autonomy=True)
    assert _view("sv", options=allowed).fuel == (
        "Räcker i cirka 61 timmar vid nuvarande förbrukning."
    )
    unknown = _view("sv", options=allowed, fuel={"autonomy_h": None})
    assert unknown.fuel is None


def test_notices_newest_first_in_the_readers_language() -> None:
    """Newest first; English where given, else Swedish marked as Swedish."""
    view = _view("en")
    assert [line.text for line in view.notices] == [
        "The warm room in the school is open day and night.",
        "Butiken har öppet 10–16.",
    ]
    assert [line.text_lang for line in view.notices] == ["en", "sv"]
    assert [line.label for line in view.notices] == ["Urgent", "Important"]
    assert view.notices[0].published == "Published 14:27"


def test_expired_notice_is_not_shown() -> None:
    """A notice past its expiry is gone even before a new status arrives."""
    notices = [notice("1", "Gammal", expires_in=-1), notice("2", "Ny")]
    assert [n.text for n in _view(notices=notices).notices] == ["Ny"]


def test_updated_line_and_staleness() -> None:
    """Time and age of the data; stale after three minutes."""
    fresh = _view("sv")
    assert fresh.updated == "Senast uppdaterad 14:32, just nu."
    assert not fresh.stale
    old = (NOW - timedelta(minutes=12)).isoformat()
    assert _view("sv", updated=old).updated == "Senast uppdaterad 14:20, 12 min sedan."
    assert _view("en", updated=old).updated == "Last updated 14:20, 12 min ago."
    assert _view("en", updated=old).stale


def test_time_and_number_formats() -> None:
    """Stockholm time (with summer time), Swedish decimal comma, durations."""
    summer = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert local_time(summer, summer, "sv") == "12:00"
    assert local_time(summer - timedelta(days=1), summer, "sv") == "igår 12:00"
    assert local_time(summer - timedelta(days=3), summer, "en") == "28 Jun 12:00"
    assert local_time(summer - timedelta(days=3), summer, "sv") == "28 juni 12:00"
    assert date_time(NOW, "sv") == "24 nov 2026 14:32"
    assert duration(timedelta(days=3, hours=4, minutes=5), "sv") == "3 dygn 4 tim"
    assert duration(timedelta(days=1, hours=2), "en") == "1 day 2 h"
    assert duration(timedelta(seconds=59), "en") == "0 min"
    assert age(NOW - timedelta(seconds=30), NOW, "sv") == "just nu"
    assert number(19.5, "sv") == "19,5"
    assert number(19.5, "en") == "19.5"


@pytest.mark.parametrize(
    "raw",
    [
        {"schema": 3, "site": "x"},
        {"schema": True, "site": "x"},
        {"schema": 1},
        {"schema": 1, "site": "x", "mode": "exploded"},
        {"schema": 1, "site": "x", "updated": "yesterday"},
        {"schema": 1, "site": "x", "notices": [{"id": "1"}]},
        {"schema": 2, "site": "x", "services": [{"key": "store", "state": "shut"}]},
        {"schema": 2, "site": "x", "services": {"store": "open"}},
    ],
)
def test_malformed_status_is_refused_whole(raw: dict[str, Any]) -> None:
    """An unknown schema or a malformed object is refused, not half-read."""
    with pytest.raises(StatusError):
        parse_status(raw)
