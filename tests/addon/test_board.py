# ruff: noqa: RUF001 - the page uses the Swedish dash
"""The service board on the page, the kiosk, the notice and status.json.

Status objects of schema 2 carry the board (docs/status.md); those of schema
1, from an integration not yet updated, are still read, and the page then
lists what the add-on's options offer, following the power, as it always did.
"""

from __future__ import annotations

from datetime import timedelta
import gzip
import json
from typing import Any

from sot_infopoint.settings import Options
from sot_infopoint.status import ServiceState, Source, parse_status
from sot_infopoint.view import Power, build_view

from .conftest import NOW, Start, notice, status_object
from .test_server import GZIP_BUDGET

OPTIONS = Options(wifi_name="SOT-Kall", public_url="http://192.168.1.10:8080/")
RADIO = "P4 Jämtland 93,8 MHz"


def service(key: str, state: str, **changes: Any) -> dict[str, Any]:
    """One service of the board as the integration sends it."""
    return {
        "key": key,
        "state": state,
        "note": None,
        "hours": None,
        "source": "manual",
        "since": (NOW - timedelta(hours=1)).isoformat(),
        "updated": (NOW - timedelta(hours=1)).isoformat(),
    } | changes


def board_status(**changes: Any) -> dict[str, Any]:
    """A schema 2 status: the store closed for the night, the rest following."""
    services = [
        service("store", "closed", note="Öppnar kl 08", hours="08–20"),
        service("fuel", "closed", source="pump_power", hours="07–22"),
        service("warm_room", "open", source="heater", updated=None),
        service(
            "phone_charging",
            "unknown",
            source="stale",
            note=None,
            updated=(NOW - timedelta(hours=13)).isoformat(),
        ),
        service("wifi", "limited", note="Långsamt"),
    ]
    return status_object(schema=2, services=services, local_radio=RADIO) | changes


def test_a_schema_2_status_is_read_with_its_board() -> None:
    """Each service with its state, source, note and hours; the radio too."""
    status = parse_status(board_status())
    assert status.services is not None
    store, fuel, warm_room, phones, wifi = status.services
    assert (store.key, store.state, store.note, store.hours) == (
        "store",
        ServiceState.CLOSED,
        "Öppnar kl 08",
        "08–20",
    )
    assert fuel.source is Source.PUMP_POWER
    assert warm_room.source is Source.HEATER
    assert phones.state is ServiceState.UNKNOWN
    assert wifi.state is ServiceState.LIMITED
    assert status.local_radio == RADIO


def test_a_service_this_page_cannot_name_is_left_out() -> None:
    """A newer integration's service does not refuse the whole status."""
    raw = board_status(services=[service("sauna", "open"), service("store", "open")])
    status = parse_status(raw)
    assert status.services is not None
    assert [s.key for s in status.services] == ["store"]


def test_a_schema_1_status_has_no_board_and_lists_the_options() -> None:
    """The old object: the add-on's own list, each following the power."""
    status = parse_status(status_object())
    assert status.services is None
    view = build_view(status, Options(), NOW, "sv")
    assert [line.name for line in view.services][:2] == ["Butiken", "Drivmedelspumpen"]
    assert {line.state for line in view.services} == {"Fungerar"}


def test_a_site_that_offers_nothing_keeps_the_options_list() -> None:
    """Schema 2 with an empty board: the page is not left without its list."""
    view = build_view(parse_status(board_status(services=[])), Options(), NOW, "en")
    assert view.services
    assert {line.state for line in view.services} == {"Working"}


def test_the_board_in_words_in_both_languages() -> None:
    """State in words, hours, note, what follows the site, and staleness."""
    status = parse_status(board_status())
    words = {
        "sv": [
            ("Butiken", "Stängt", Power.DOWN),
            ("Drivmedel", "Stängt", Power.DOWN),
            ("Värmestugan", "Öppet", Power.WORKS),
            ("Laddning av mobiltelefoner", "Okänt", Power.UNKNOWN),
            ("Wifi", "Begränsat", Power.STARTING),
        ],
        "en": [
            ("The store", "Closed", Power.DOWN),
            ("Fuel", "Closed", Power.DOWN),
            ("The warm room", "Open", Power.WORKS),
            ("Phone charging", "Unknown", Power.UNKNOWN),
            ("Wi-Fi", "Limited", Power.STARTING),
        ],
    }
    for lang, expected in words.items():
        view = build_view(status, Options(), NOW, lang)  # type: ignore[arg-type]
        assert [(s.name, s.state, s.power) for s in view.services] == expected
    sv = build_view(status, Options(), NOW, "sv").services
    assert sv[0].hours == "Öppettider: 08–20"
    assert sv[0].note == "Öppnar kl 08"
    assert sv[1].follows == "Följer strömmen till pumpen."
    assert sv[2].follows == "Följer värmen och temperaturen i rummet."
    assert sv[2].extra == "19,5\u00a0°C inne"
    assert sv[3].follows == "Inte bekräftat sedan 01:32."
    en = build_view(status, Options(), NOW, "en").services
    assert en[0].hours == "Opening hours: 08–20"
    assert en[1].follows == "Follows the power to the pump."
    assert en[3].follows == "Not confirmed since 01:32."


async def test_every_view_shows_the_board(start_app: Start) -> None:
    """Page, kiosk and notice in both languages; status.json as it came."""
    running = await start_app(board_status(), options=OPTIONS)
    for path, words in (
        ("/", ("Stängt", "Öppnar kl 08", "Öppettider: 08–20", "Följer värmen")),
        ("/?lang=en", ("Closed", "Opening hours: 08–20", "Follows the power")),
        ("/kiosk", ("Stängt", "Följer strömmen till pumpen.", "Begränsat")),
        ("/kiosk?lang=en", ("Closed", "Follows the heater", "Limited")),
    ):
        _, html, _ = await running.get(path)
        for word in words:
            assert word in html, (path, word)
        assert RADIO in html, path
    _, html, _ = await running.get("/?lang=en")
    # The association's note is Swedish, and says so to a screen reader.
    assert '<span class="x" lang="sv">Öppnar kl 08</span>' in html
    _, body, _ = await running.get("/status.json")
    assert json.loads(body)["services"] == board_status()["services"]
    assert json.loads(body)["local_radio"] == RADIO


async def test_the_notice_carries_the_board_the_radio_and_the_code(
    start_app: Start,
) -> None:
    """The sheet for the door: the board as printed, P4's frequency, the QR code."""
    running = await start_app(board_status(), options=OPTIONS)
    _, html, _ = await running.get("/notice")
    assert html.count("<svg") == 1
    assert "http://192.168.1.10:8080/" in html
    assert f"Lyssna på Sveriges Radio {RADIO}" in html
    assert f"Listen to Sveriges Radio {RADIO}" in html
    for word in ("Butiken", "Stängt", "Öppettider: 08–20", "Apoteksombud"):
        if word == "Apoteksombud":
            assert word not in html  # not offered by this site
        else:
            assert word in html
    assert "Opening hours: 08–20" in html
    assert "Så här var läget när anslaget skrevs ut, 24 nov 2026 14:32." in html
    # The old list of what the add-on's options offer is not there too.
    assert "drivmedelspump" not in html


async def test_an_old_status_keeps_the_old_notice_and_radio(start_app: Start) -> None:
    """Schema 1: the options' offers and the plain P4 line, as before."""
    running = await start_app(status_object(), options=OPTIONS)
    _, html, _ = await running.get("/notice")
    assert "Här finns:" in html
    assert "drivmedelspump" in html
    assert "Lyssna på Sveriges Radio P4 – där" in html
    _, page, _ = await running.get("/")
    assert "Fungerar" in page
    assert "Öppettider" not in page


async def test_the_full_board_fits_the_gzip_budget(start_app: Start) -> None:
    """All eleven services with notes and hours, and 20 long notices: < 15 kB."""
    keys = (
        "store",
        "fuel",
        "cash_withdrawal",
        "parcels",
        "pharmacy_pickup",
        "warm_room",
        "drinking_water",
        "phone_charging",
        "toilets",
        "shower",
        "wifi",
    )
    services = [
        service(key, "limited", note=f"Endast kontant {n} " * 3, hours="Mån–fre 08–20")
        for n, key in enumerate(keys)
    ]
    notices = [
        notice(f"{n:02d}", ("Butiken har öppet och diesel säljs " * 20)[:500])
        for n in range(20)
    ]
    running = await start_app(
        board_status(services=services, notices=notices), options=OPTIONS
    )
    for path in ("/?lang=sv", "/?lang=en", "/kiosk"):
        async with running.session.get(
            running.url + path,
            headers={"Accept-Encoding": "gzip"},
            auto_decompress=False,
        ) as response:
            body = await response.read()
        assert len(body) <= GZIP_BUDGET, (path, len(body))
        assert gzip.decompress(body).decode().count("Begränsat") in (0, 11)
