# ruff: noqa: RUF001 - the page uses the Swedish dash
"""The regional overview's words, rows, map and markup (no server, no HA).

Region objects are built here as `sot_point/subscribe_region` sends them
(region_objects.py); the add-on's parser, view and renderer read them.
"""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
import math
import re
import string
from typing import Any
from xml.etree import ElementTree as ET

from hypothesis import given, settings, strategies as st
import pytest

from sot_infopoint.region import Location, Rank, RegionError, parse_region
from sot_infopoint.region_map import (
    MAP_HEIGHT,
    MAP_WIDTH,
    MARGIN,
    SYMBOLS,
    Dot,
    map_svg,
    projection,
)
from sot_infopoint.region_render import KIOSK_ROWS, region_kiosk, region_page
from sot_infopoint.region_texts import TEXTS, municipality_name
from sot_infopoint.region_view import (
    autonomy_text,
    build_region_view,
    heard_age,
)
from sot_infopoint.texts import LANGUAGES

from .conftest import NOW
from .region_objects import ODD_NAME, RANK_ORDER, ago, region_object, site_row
from .test_robustness import JSON
from .test_server import contrast

WORDS = {
    "sv": {
        "no_data": "Ingen data",
        "outage_no_backup": "Avbrott utan reservkraft",
        "start_failed": "Start misslyckades",
        "low_autonomy": "Låg uthållighet",
        "backup_power": "På reservkraft",
        "normal": "Normal",
    },
    "en": {
        "no_data": "No data",
        "outage_no_backup": "Outage without backup power",
        "start_failed": "Start failed",
        "low_autonomy": "Low fuel autonomy",
        "backup_power": "On backup power",
        "normal": "Normal",
    },
}
DOT = re.compile(
    r'<g class="dot r-(?P<rank>\w+)"><title>(?P<title>[^<]*)</title>'
    r'<use href="#sym-(?P=rank)" x="(?P<x>[\d.]+)" y="(?P<y>[\d.]+)"/>'
)


def _view(lang: str = "sv", minutes_later: float = 0, **changes: Any) -> Any:
    region = parse_region(region_object(**changes))
    return build_region_view(region, NOW + timedelta(minutes=minutes_later), lang)  # type: ignore[arg-type]


def _page(lang: str = "sv", **changes: Any) -> str:
    return region_page(_view(lang, **changes))


def _dots(html: str) -> list[tuple[str, str, float, float]]:
    return [
        (m["rank"], m["title"], float(m["x"]), float(m["y"]))
        for m in DOT.finditer(html)
    ]


class _Balanced(HTMLParser):
    """Fails on a closing tag that closes nothing or the wrong element."""

    VOID = frozenset(
        {"meta", "link", "br", "img", "input", "use", "path", "rect", "circle"}
    )

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.open, f"</{tag}> closes nothing"
        assert self.open.pop() == tag, f"</{tag}> closes the wrong element"


def _balanced(html: str) -> _Balanced:
    parser = _Balanced()
    parser.feed(html)
    parser.close()
    assert parser.open == []
    return parser


# -- the words ---------------------------------------------------------------------


def test_both_languages_have_every_text() -> None:
    """Swedish and English carry the same keys and placeholders."""
    assert TEXTS["sv"].keys() == TEXTS["en"].keys()
    for key, swedish in TEXTS["sv"].items():
        fields = sorted(f for _, f, _, _ in string.Formatter().parse(swedish) if f)
        english = TEXTS["en"][key]
        assert fields == sorted(
            f for _, f, _, _ in string.Formatter().parse(english) if f
        ), key


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_each_rank_is_said_in_words(lang: str) -> None:
    """Every row says its rank in words, and the summary counts each rank."""
    view = _view(lang)
    assert [row.rank_words for row in view.rows] == [
        WORDS[lang][rank] for rank in (*RANK_ORDER, "normal")
    ]
    assert [(line.rank.value, line.count, line.words) for line in view.counts] == [
        (rank, 2 if rank == "normal" else 1, WORDS[lang][rank]) for rank in RANK_ORDER
    ]
    rows = re.findall(
        r'<tr class="r-(\w+)" id="site-\d+">.*?<span class="rk">([^<]*)</span>',
        region_page(view),
    )
    assert rows == [(rank, WORDS[lang][rank]) for rank in (*RANK_ORDER, "normal")]


def test_the_integrations_order_is_kept() -> None:
    """The rows come in the order they came, even one the add-on would not choose."""
    sites = [
        site_row("2321/kall", "Kall", "normal", place=(63.47, 13.25)),
        site_row("2303/borgvattnet", "Borgvattnet", "no_data", place=(63.43, 15.83)),
        site_row("2361/lillhardal", "Lillhärdal", "backup_power"),
    ]
    view = _view(sites=sites)
    assert [row.name for row in view.rows] == ["Kall", "Borgvattnet", "Lillhärdal"]
    assert [row.number for row in view.rows] == [1, 2, 3]
    page = region_page(view)
    assert (
        page.index("Kall</td>")
        < page.index("Borgvattnet</td>")
        < page.index("Lillhärdal</td>")
    )


@pytest.mark.parametrize(
    ("minutes", "sv", "en"),
    [
        (None, "aldrig", "never"),
        (0.5, "just nu", "just now"),
        (-3, "just nu", "just now"),  # the region's clock is ahead of the add-on's
        (2, "för 2 min sedan", "2 min ago"),
        (2.9, "för 2 min sedan", "2 min ago"),
        (185, "för 3 tim 5 min sedan", "3 h 5 min ago"),
        (26 * 60, "för 1 dygn 2 tim sedan", "1 day 2 h ago"),
    ],
)
def test_the_age_of_a_rows_data(minutes: float | None, sv: str, en: str) -> None:
    """From `last_heard` to the add-on's clock, in words."""
    moment = None if minutes is None else NOW - timedelta(minutes=minutes)
    assert heard_age(moment, NOW, "sv") == sv
    assert heard_age(moment, NOW, "en") == en


def test_rows_say_what_the_crisis_staff_asks() -> None:
    """Municipality by name, autonomy, warm room, since when, age; unknown as a dash."""
    rows = {row.key: row for row in _view().rows}
    kall, hallen, valsjobyn = (
        rows["2321/kall"],
        rows["2321/hallen"],
        rows["2313/valsjobyn"],
    )
    assert (kall.municipality, kall.autonomy, kall.warm_room, kall.age) == (
        "Åre",
        "61 tim",
        "19,5\u00a0°C",
        "för 2 min sedan",
    )
    assert kall.detail == "avbrott sedan 12:05"  # 147 min before 14:32 in Stockholm
    assert hallen.autonomy == "7,5 tim"
    assert (valsjobyn.warm_room, valsjobyn.autonomy, valsjobyn.age) == (
        "–",
        "–",
        "för 42 min sedan",
    )
    assert valsjobyn.detail is None
    english = {row.key: row for row in _view("en").rows}["2321/kall"]
    assert (english.autonomy, english.warm_room, english.detail) == (
        "61 h",
        "19.5\u00a0°C",
        "outage since 12:05",
    )


def test_municipalities_are_named() -> None:
    """Jämtland's eight by name; any other code as it is."""
    assert municipality_name("2321") == "Åre"
    assert municipality_name("2380") == "Östersund"
    assert municipality_name("2480") == "2480"
    assert autonomy_text(None, "en") == "–"
    assert autonomy_text(0.25, "sv") == "0,2 tim"


def test_heading_counts_and_when_built() -> None:
    """The region's name, when the data was compiled and how many sites."""
    page = _page()
    assert "<h1>Länsstyrelsen Jämtland</h1>" in page
    assert "Sammanställd 14:31, just nu." in page
    assert "7 SOT-punkter" in page
    assert "<title>Länsstyrelsen Jämtland – SOT-punkter</title>" in page
    english = _page("en", updated_min=3)
    assert "Compiled 14:29, 3 min ago." in english
    assert "7 SOT points" in english


def test_no_data_from_home_assistant_yet() -> None:
    """Before the first region object the page says so plainly, with no table."""
    for lang, words in (
        ("sv", "Inga uppgifter från Home Assistant ännu"),
        ("en", "No information from Home Assistant yet"),
    ):
        view = build_region_view(None, NOW, lang)  # type: ignore[arg-type]
        for html in (region_page(view), region_kiosk(view)):
            assert words in html
            assert "<table" not in html
            assert 'class="map"' not in html
            assert 'class="counts"' not in html  # no zeros that look like news
            _balanced(html)


def test_lost_home_assistant_says_how_old_the_data_is() -> None:
    """Within 90 s the data is fresh; after that the page says since when."""
    assert _view(minutes_later=1).stale is None
    view = _view(minutes_later=12)
    assert view.stale == (
        "Inga nya uppgifter från Home Assistant på 12 min, sedan 14:31. "
        "Det som visas kan vara inaktuellt."
    )
    page = region_page(view)
    assert f'<p class="stale">{view.stale}</p>' in page
    assert "Sammanställd 14:31, för 12 min sedan." in page
    # Each row ages with the add-on's clock too.
    assert "för 14 min sedan" in page  # Kall, heard 2 min before the object
    english = _view("en", minutes_later=12)
    assert english.stale is not None
    assert english.stale.startswith("Nothing new from Home Assistant for 12 min")


def test_a_region_without_sites() -> None:
    """The region has heard no site yet: said in words, no empty table or map."""
    page = _page(sites=[])
    assert "Regionen har inte hört av någon SOT-punkt ännu." in page
    assert "<table" not in page
    assert 'class="map"' not in page
    assert "0 SOT-punkter" in page


# -- the map -----------------------------------------------------------------------


def test_dots_at_hand_computed_places() -> None:
    """Two sites a degree apart north and two east, at 63.5° N in the middle.

    cos 63.5° = 0.44620, so the box is 0.8924 by 1 degree-equivalents; the
    drawing's 340 px (400 less 2 x 30 margin) fit 1 degree north: 340 px a
    degree. x = 200 ± 1 x 0.44620 x 340 = 48.3 and 351.7; y = 200 ± 0.5 x 340.
    """
    sites = [
        site_row("2321/kall", "Kall", "backup_power", place=(63.0, 13.0)),
        site_row("2303/borgvattnet", "Borgvattnet", "normal", place=(64.0, 15.0)),
    ]
    dots = _dots(_page(sites=sites))
    # Drawn worst last, so it lies on top.
    assert [(rank, x, y) for rank, _, x, y in dots] == [
        ("normal", 351.7, 30.0),
        ("backup_power", 48.3, 370.0),
    ]
    assert dots[1][1] == "1. Kall (Åre): På reservkraft"
    assert "20 km" in _page(sites=sites)  # 340 px a degree: 20 km is 61 px


def test_dots_when_the_width_binds() -> None:
    """Four degrees east at 63° N: 1.816 degree-equivalents fill the width."""
    where = projection([Location(63.0, 12.0), Location(63.0, 16.0)])
    assert where is not None
    assert where.scale == pytest.approx(340 / (4 * math.cos(math.radians(63))))
    assert where.point(Location(63.0, 12.0)) == (MARGIN, MAP_HEIGHT / 2)
    assert where.point(Location(63.0, 16.0)) == (MAP_WIDTH - MARGIN, MAP_HEIGHT / 2)
    assert where.point(Location(63.0, 14.0)) == (MAP_WIDTH / 2, MAP_HEIGHT / 2)


def test_one_site_sits_in_the_middle() -> None:
    """A single site: the middle of the drawing, and no scale bar to draw."""
    sites = [site_row("2321/kall", "Kall", "normal", place=(63.253, 13.061))]
    page = _page(sites=sites)
    assert [(x, y) for _, _, x, y in _dots(page)] == [(200.0, 200.0)]
    assert " km</text>" not in page


def test_every_site_with_coordinates_is_a_dot() -> None:
    """Six dots, each shaped by its rank; the seventh is listed as without place."""
    page = _page()
    dots = _dots(page)
    assert sorted(rank for rank, *_ in dots) == sorted(RANK_ORDER)
    for _, _, x, y in dots:
        assert MARGIN <= x <= MAP_WIDTH - MARGIN
        assert MARGIN <= y <= MAP_HEIGHT - MARGIN
    assert "Utan koordinater, visas inte på kartan: 7. Bräcke" in page
    for rank in RANK_ORDER:
        assert f'<g id="sym-{rank}">' in page  # each shape defined once
    # Without their colours, no two ranks look alike.
    shapes = {re.sub("#[0-9a-f]{6}", "", symbol.shape) for symbol in SYMBOLS.values()}
    assert len(shapes) == len(SYMBOLS)


def test_no_coordinates_at_all() -> None:
    """No site has given a place: the page says so instead of a map."""
    sites = [site_row("2321/kall", "Kall", "normal"), site_row("2305/b", "B", "normal")]
    page = _page(sites=sites)
    assert "Ingen SOT-punkt har angett sina koordinater, så kartan är tom." in page
    assert '<svg class="map"' not in page


def test_the_map_is_well_formed_svg() -> None:
    """The drawing is XML (escaped names included), titled and described."""
    dots = [
        Dot(1, Rank.NO_DATA, Location(63.0, 13.0), f"1. {ODD_NAME}: Ingen data"),
        Dot(2, Rank.NORMAL, Location(64.0, 15.0), "2. Kall: Normal"),
    ]
    svg = ET.fromstring(map_svg(dots, title="Karta <&>", description="d", north="N"))
    titles = [element.text for element in svg.iter("title")]
    assert titles == ["Karta <&>", "2. Kall: Normal", f"1. {ODD_NAME}: Ingen data"]
    assert svg.get("role") == "img"


@pytest.mark.parametrize("rank", list(Rank))
def test_rank_colours_read_on_white(rank: Rank) -> None:
    """Each rank's text colour reads at 4.5:1 on the white page."""
    assert contrast(SYMBOLS[rank].text, "#ffffff") >= 4.5


# -- the markup --------------------------------------------------------------------


def test_names_are_escaped() -> None:
    """A name with <, & and quotes is text everywhere: rows, titles, the list."""
    for html in (_page(), region_kiosk(_view()), _page("en")):
        assert "<b>" not in html
        assert "Bräcke &lt;b&gt;&amp;amp; &quot;skola&quot;&lt;/b&gt;" in html
        _balanced(html)
    region = region_object(region='Län <script>alert("x")</script>')
    html = region_page(build_region_view(parse_region(region), NOW, "sv"))
    assert "<script" not in html
    assert "Län &lt;script&gt;" in html


@pytest.mark.parametrize("render", [region_page, region_kiosk])
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_nothing_from_outside_and_no_script(render: Any, lang: str) -> None:
    """No script, no external address, no map tiles: links are relative."""
    html = render(_view(lang))
    assert "<script" not in html.lower()
    assert not re.search(r"(https?:)?//", html.replace("<!doctype html>", ""))
    assert "url(" not in html
    assert "@import" not in html
    parsed = _balanced(html)
    for tag, attrs in parsed.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("?", "#", "kiosk?")), (tag, value)
        assert not any(name.startswith("on") for name in attrs), tag
    assert parsed.tags[0][1].get("lang") == lang


@pytest.mark.parametrize(
    ("render", "seconds"), [(region_page, "60"), (region_kiosk, "30")]
)
def test_pages_reload_themselves(render: Any, seconds: str) -> None:
    """`<meta http-equiv="refresh">`, no script needed."""
    assert f'<meta http-equiv="refresh" content="{seconds}">' in render(_view())


def test_the_kiosk_shows_the_worst_rows() -> None:
    """At most KIOSK_ROWS rows, the worst; the rest are counted."""
    sites = [
        site_row(f"2321/s{i:02d}", f"Site {i:02d}", "normal" if i > 2 else "no_data")
        for i in range(KIOSK_ROWS + 4)
    ]
    html = region_kiosk(_view(sites=sites))
    shown = re.findall(r'<td class="nm">([^<]*)</td>', html)
    assert shown == [f"Site {i:02d}" for i in range(KIOSK_ROWS)]
    assert "4 SOT-punkter till finns i listan på översiktssidan." in html
    one_more = region_kiosk(_view("en", sites=sites[: KIOSK_ROWS + 1]))
    assert "1 more SOT point is listed on the overview page." in one_more
    everything = region_page(_view(sites=sites))
    assert len(re.findall(r'<td class="nm">', everything)) == KIOSK_ROWS + 4


# -- the parser --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"schema": 2}, "schema"),
        ({"sites": "all"}, "sites"),
        ({"updated": None}, "updated"),
        ({"updated": "yesterday"}, "malformed"),
        ({"region": 23}, "malformed"),
    ],
)
def test_malformed_objects_are_refused(change: dict[str, Any], reason: str) -> None:
    """Refused whole, with the reason; the page keeps the last good one."""
    with pytest.raises(RegionError, match=reason):
        parse_region(region_object(**change))


def test_a_malformed_row_refuses_the_object() -> None:
    """An unknown rank (a newer integration) or a row that is no object."""
    for row in (
        site_row("2321/kall", "Kall", "on_fire"),
        "2321/kall",
        {"rank": "normal"},
    ):
        with pytest.raises(RegionError):
            parse_region(region_object(sites=[row]))


def test_a_place_out_of_range_is_no_place() -> None:
    """A coordinate that is no place leaves the site off the map, not the page."""
    for place in ((91.0, 13.0), (63.0, 181.0)):
        region = parse_region(
            region_object(sites=[site_row("2321/kall", "Kall", "normal", place=place)])
        )
        assert region.sites[0].location is None
    region = parse_region(
        region_object(
            sites=[site_row("2321/kall", "Kall", "normal", latitude="63", longitude=13)]
        )
    )
    assert region.sites[0].location is None


def test_a_row_missing_optional_fields_still_reads() -> None:
    """Only key and rank are needed; the name falls back to the site id."""
    region = parse_region(
        region_object(sites=[{"key": "2321/kall", "rank": "no_data"}])
    )
    site = region.sites[0]
    assert (site.name, site.municipality, site.site_id) == ("kall", "2321", "kall")
    assert (site.last_heard, site.location, site.notices) == (None, None, 0)
    assert region.updated == NOW - timedelta(minutes=0.1)
    assert ago(0) == NOW.isoformat()


@st.composite
def _near_regions(draw: st.DrawFn) -> Any:
    if draw(st.booleans()):
        return draw(JSON)
    raw = region_object()
    if draw(st.booleans()):
        raw[draw(st.sampled_from(sorted(raw)))] = draw(JSON)
    else:
        row = raw["sites"][draw(st.integers(0, len(raw["sites"]) - 1))]
        row[draw(st.sampled_from(sorted(row)))] = draw(JSON)
    return raw


@settings(max_examples=400, deadline=None, derandomize=True)
@given(raw=_near_regions())
def test_any_json_is_read_or_refused(raw: Any) -> None:
    """Nothing but RegionError leaves the parser, and what it reads renders."""
    try:
        region = parse_region(raw)
    except RegionError:
        return
    for lang in LANGUAGES:
        view = build_region_view(region, NOW, lang)
        _balanced(region_page(view))
        _balanced(region_kiosk(view))
