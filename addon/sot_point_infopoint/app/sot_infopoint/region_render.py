"""HTML of the regional overview (`/`) and the crisis room's screen (`/kiosk`).

The same rules as the site's page (render.py): plain HTML, one inline style
sheet allowed by its hash, no script, nothing from outside, a map drawn as
inline SVG from the sites' coordinates with no tiles. Each rank is said in
words, and drawn in a shape of its own as well as a colour. Both pages
reload themselves (`<meta http-equiv="refresh">`).
"""

from __future__ import annotations

from html import escape
from typing import Final

from .region_map import SYMBOLS, Dot, map_svg, symbol_defs, symbol_icon
from .region_texts import rtext
from .region_view import RegionView, SiteRow
from .render import BASE_CSS, head
from .texts import Lang, other, text

PAGE_REFRESH_S: Final = 60
KIOSK_REFRESH_S: Final = 30
# Rows on the crisis room's screen: what fits a 1920 x 1080 screen beside
# the map. The rest are on the overview page.
KIOSK_ROWS: Final = 10


def _rank_css() -> str:
    return "".join(
        f".r-{rank} .rk{{color:{symbol.text}}}"
        f"tr.r-{rank} td:first-child{{border-left:.35rem solid {symbol.colour}}}"
        for rank, symbol in SYMBOLS.items()
    )


REGION_CSS: Final = (
    BASE_CSS + "body{max-width:64rem}"
    ".defs{position:absolute;width:0;height:0;overflow:hidden}"
    "header h1{margin:.2rem 0 .4rem;font-size:1.8rem}"
    ".built{margin:.2rem 0}"
    ".sym{vertical-align:-.3em;margin-right:.35rem;flex:none}"
    ".counts{display:flex;flex-wrap:wrap;gap:.4rem .6rem}"
    ".counts li{display:flex;align-items:center;padding:.25rem .6rem;"
    "border:1px solid #ccc;border-radius:.4rem}"
    ".counts .c{font-weight:700;margin-right:.35rem}"
    ".counts .zero{color:#4a4a4a}"
    ".total{margin:.5rem 0 0}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;"
    "border-bottom:1px solid #ccc}"
    "th{font-size:.9rem;color:#4a4a4a}"
    ".no{text-align:right;font-variant-numeric:tabular-nums}"
    ".nm{font-weight:700}"
    ".rk{font-weight:700}"
    ".dt{display:block;font-weight:400;color:#4a4a4a;font-size:.9rem}"
    ".map{display:block;width:100%;max-width:34rem;height:auto;margin:.5rem 0}"
    ".map .lbl{font-size:12px;font-weight:700;fill:#111;paint-order:stroke;"
    "stroke:#ffffff;stroke-width:3px}"
    ".map text{font-size:13px;fill:#111}"
    ".legend{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem}"
    ".legend li{display:flex;align-items:center}"
    ".nodata{margin:1rem 0}"
    # On a phone each row is a block of its own, each value with its name.
    "@media (max-width:40rem){"
    "thead{position:absolute;width:1px;height:1px;overflow:hidden;"
    "clip-path:inset(50%)}"
    "table,tbody,tr,td{display:block}"
    "tr{padding:.5rem 0 .5rem .6rem;border-bottom:1px solid #ccc}"
    "td{border:0;padding:.1rem 0}"
    "td.no,td.nm{display:inline;text-align:left}"
    "td.no::after{content:'.\\a0'}"
    "td[data-label]::before{content:attr(data-label) ': ';color:#4a4a4a}"
    "tr td:first-child{border-left:0}}" + _rank_css()
)
REGION_KIOSK_CSS: Final = REGION_CSS + (
    # Sized to the screen's height, so a 1080p screen shows it all at once.
    "html{font-size:max(100%,min(150%,1.8vh))}"
    "body{max-width:none;padding:0 2rem .5rem}"
    "header{display:flex;flex-wrap:wrap;align-items:baseline;gap:0 2rem}"
    "header h1{font-size:2.2rem;margin:0 0 .2rem}"
    ".site{margin:.6rem 0 0}"
    # The counts speak for themselves on the screen; readers still hear a heading.
    "#summary{position:absolute;width:1px;height:1px;overflow:hidden;"
    "clip-path:inset(50%)}"
    ".total{display:none}"
    ".kgrid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,2fr);"
    "gap:0 2.5rem;align-items:start}"
    ".kgrid .map{max-width:none;max-height:52vh}"
    "h2{margin:.6rem 0 .3rem}"
    "table{font-size:.92rem}"
    "th,td{padding:.2rem .5rem}"
    ".dt{font-size:.85rem}"
    "footer{margin-top:.5rem}"
    "@media (max-width:60rem){.kgrid{grid-template-columns:minmax(0,1fr)}}"
    "@media (max-width:40rem){html{font-size:100%}body{padding:0 1rem 1rem}"
    "header h1{font-size:1.6rem}}"
)


def _section(ident: str, heading: str, body: str) -> str:
    return (
        f'<section aria-labelledby="{ident}"><h2 id="{ident}">{escape(heading)}</h2>'
        f"{body}</section>"
    )


def _header(view: RegionView) -> str:
    lang = view.lang
    built = f'<p class="built">{escape(view.built)}</p>' if view.built else ""
    stale = f'<p class="stale">{escape(view.stale)}</p>' if view.stale else ""
    return (
        f'<header><div><p class="site">{escape(rtext(lang, "kicker"))}</p>'
        f"<h1>{escape(view.title)}</h1></div><div>{built}{stale}</div></header>"
    )


def _no_data(view: RegionView) -> str:
    if view.has_data:
        return ""
    lang = view.lang
    return (
        f'<div class="nodata"><p class="banner b-unknown">'
        f"{escape(rtext(lang, 'no_data_title'))}</p>"
        f'<p class="since">{escape(rtext(lang, "no_data_detail"))}</p></div>'
    )


def _counts(view: RegionView) -> str:
    if not view.has_data:
        return ""
    items = "".join(
        f'<li class="r-{line.rank}{" zero" if line.count == 0 else ""}">'
        f"{symbol_icon(line.rank)}"
        f'<span class="c">{line.count}</span><span class="rk">{escape(line.words)}'
        "</span></li>"
        for line in view.counts
    )
    body = f'<ul class="counts">{items}</ul><p class="total">{escape(view.total)}</p>'
    return _section("summary", rtext(view.lang, "summary_heading"), body)


_COLUMNS: Final = (
    ("no", "col_number"),
    ("nm", "col_site"),
    ("mu", "col_municipality"),
    ("rk", "col_rank"),
    ("au", "col_autonomy"),
    ("wr", "col_warm_room"),
    ("ag", "col_age"),
)


def _cell(css: str, lang: Lang, key: str, content: str) -> str:
    """A cell, labelled with its column's name for the narrow layout."""
    label = "" if css in {"no", "nm"} else f' data-label="{escape(rtext(lang, key))}"'
    return f'<td class="{css}"{label}>{content}</td>'


def _row(row: SiteRow, lang: Lang) -> str:
    detail = f'<span class="dt">{escape(row.detail)}</span>' if row.detail else ""
    contents = (
        str(row.number),
        escape(row.name),
        escape(row.municipality),
        f'{symbol_icon(row.rank, 18)}<span class="rk">{escape(row.rank_words)}'
        f"</span>{detail}",
        escape(row.autonomy),
        escape(row.warm_room),
        escape(row.age),
    )
    cells = "".join(
        _cell(css, lang, key, content)
        for (css, key), content in zip(_COLUMNS, contents, strict=True)
    )
    return f'<tr class="r-{row.rank}" id="site-{row.number}">{cells}</tr>'


def _table(view: RegionView, rows: tuple[SiteRow, ...]) -> str:
    lang = view.lang
    if not view.rows:
        return f"<p>{escape(rtext(lang, 'no_sites'))}</p>" if view.has_data else ""
    heads = "".join(
        f'<th scope="col" class="{css}">{escape(rtext(lang, key))}</th>'
        for css, key in _COLUMNS
    )
    body = "".join(_row(row, lang) for row in rows)
    return f"<table><thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table>"


def _sites(view: RegionView, rows: tuple[SiteRow, ...], extra: str = "") -> str:
    if not view.has_data:
        return ""
    return _section(
        "sites", rtext(view.lang, "sites_heading"), _table(view, rows) + extra
    )


def _legend(lang: Lang) -> str:
    items = "".join(
        f'<li class="r-{rank}">{symbol_icon(rank)}'
        f"<span>{escape(rtext(lang, f'rank_{rank}'))}</span></li>"
        for rank in SYMBOLS
    )
    return (
        f'<h3 class="muted">{escape(rtext(lang, "legend_heading"))}</h3>'
        f'<ul class="legend">{items}</ul>'
    )


def _map(view: RegionView) -> str:
    if not view.has_data or not view.rows:
        return ""
    lang = view.lang
    dots = [
        Dot(
            row.number,
            row.rank,
            row.location,
            rtext(
                lang,
                "dot_title",
                number=str(row.number),
                site=row.name,
                municipality=row.municipality,
                rank=row.rank_words,
            ),
        )
        for row in view.rows
        if row.location is not None
    ]
    drawing = map_svg(
        dots,
        title=rtext(lang, "map_title", region=view.title),
        description=rtext(lang, "map_description"),
        north=rtext(lang, "north"),
    )
    if not drawing:
        drawing = f"<p>{escape(rtext(lang, 'no_map'))}</p>"
    unplaced = view.unplaced
    missing = ""
    if unplaced and dots:
        names = ", ".join(f"{row.number}. {row.name}" for row in unplaced)
        missing = f"<p>{escape(rtext(lang, 'no_location', sites=names))}</p>"
    return _section(
        "map", rtext(lang, "map_heading"), drawing + missing + _legend(lang)
    )


def _footer(lang: Lang, links: str) -> str:
    return f"<footer><p>{links}</p></footer>"


def region_page(view: RegionView) -> str:
    """The overview: every site worst first, the map, the counts."""
    lang = view.lang
    alternate = other(lang)
    refresh = f'<meta http-equiv="refresh" content="{PAGE_REFRESH_S}">'
    links = (
        f'<a href="?lang={alternate}" hreflang="{alternate}" lang="{alternate}">'
        f"{escape(text(lang, 'other_language'))}</a> · "
        f'<a href="?lang={lang}">{escape(text(lang, "reload"))}</a> · '
        f'<a href="kiosk?lang={lang}">{escape(rtext(lang, "kiosk_link"))}</a>'
    )
    return (
        head(lang, rtext(lang, "page_title", region=view.title), REGION_CSS, refresh)
        + "<body>"
        + symbol_defs()
        + _header(view)
        + "<main>"
        + _no_data(view)
        + _counts(view)
        + _sites(view, view.rows)
        + _map(view)
        + "</main>"
        + _footer(lang, links)
        + "</body></html>"
    )


def _more(view: RegionView, shown: int) -> str:
    rest = len(view.rows) - shown
    if rest <= 0:
        return ""
    words = (
        rtext(view.lang, "kiosk_more_one")
        if rest == 1
        else rtext(view.lang, "kiosk_more", count=str(rest))
    )
    return f'<p class="muted">{escape(words)}</p>'


def region_kiosk(view: RegionView) -> str:
    """The crisis room's screen: large type, the map beside the worst rows."""
    lang = view.lang
    refresh = f'<meta http-equiv="refresh" content="{KIOSK_REFRESH_S}">'
    rows = view.rows[:KIOSK_ROWS]
    muted = f'<span class="muted">{escape(text(lang, "kiosk_refresh"))}</span>'
    return (
        head(
            lang,
            rtext(lang, "kiosk_title", region=view.title),
            REGION_KIOSK_CSS,
            refresh,
        )
        + "<body>"
        + symbol_defs()
        + _header(view)
        + "<main>"
        + _no_data(view)
        + _counts(view)
        + '<div class="kgrid"><div>'
        + _map(view)
        + "</div><div>"
        + _sites(view, rows, _more(view, len(rows)))
        + "</div></div></main>"
        + _footer(lang, muted)
        + "</body></html>"
    )
