"""HTML of the page, the kiosk view and the admin view.

Plain HTML with one inline style sheet each and no script: it works with
JavaScript off, needs nothing from outside, and fits a 320 px wide phone. The
style sheets are allowed by their hash in the Content-Security-Policy
(server.py), so no other style, and no script at all, can run. Colours come
from `PALETTE`, whose contrast the tests hold to WCAG AA.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
import hashlib
from html import escape
from typing import Final

from .official import official_section
from .texts import Lang, other, text
from .view import BannerKind, NoticeLine, Power, ServiceLine, View

KIOSK_REFRESH_S: Final = 30

# (background, text) of each banner, and the text colour of each state; the
# page's background is white. Tests check every pair for a 4.5:1 contrast.
PALETTE: Final[dict[str, tuple[str, str]]] = {
    f"b-{BannerKind.NORMAL}": ("#1b5e20", "#ffffff"),
    f"b-{BannerKind.RETURNING}": ("#1b5e20", "#ffffff"),
    f"b-{BannerKind.STARTING}": ("#ffe082", "#111111"),
    f"b-{BannerKind.BACKUP}": ("#ffb300", "#111111"),
    f"b-{BannerKind.NO_BACKUP}": ("#b71c1c", "#ffffff"),
    f"b-{BannerKind.UNKNOWN}": ("#424242", "#ffffff"),
    f"s-{Power.WORKS}": ("#ffffff", "#1b5e20"),
    f"s-{Power.STARTING}": ("#ffffff", "#7a4f00"),
    f"s-{Power.DOWN}": ("#ffffff", "#b71c1c"),
    f"s-{Power.UNKNOWN}": ("#ffffff", "#424242"),
    "n-urgent": ("#fdecea", "#8e1111"),
    "n-important": ("#fff4d6", "#6b4400"),
    "n-info": ("#e8f1fb", "#111111"),
    "body": ("#ffffff", "#111111"),
    "muted": ("#ffffff", "#4a4a4a"),
    "link": ("#ffffff", "#0b4f9c"),
}


def _palette_css() -> str:
    rules = []
    for name, (background, colour) in PALETTE.items():
        if name.startswith(("b-", "n-")):
            rules.append(f".{name}{{background:{background};color:{colour}}}")
        elif name.startswith("s-"):
            rules.append(f".{name}{{color:{colour}}}")
    return "".join(rules)


BASE_CSS: Final = (
    "*{box-sizing:border-box}"
    "html{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;"
    "font-size:112.5%;line-height:1.45;color:#111;background:#fff;"
    "-webkit-text-size-adjust:100%;text-size-adjust:100%}"
    "body{margin:0 auto;max-width:40rem;padding:0 1rem 2rem;overflow-wrap:break-word}"
    "h1,h2{line-height:1.2}"
    "h2{font-size:1.25rem;margin:1.75rem 0 .5rem}"
    "a{color:#0b4f9c}"
    ".site{margin:1rem 0 .4rem;font-weight:700;color:#4a4a4a}"
    ".banner{margin:0;padding:.9rem 1rem;border-radius:.5rem;font-size:1.5rem}"
    ".since{margin:.5rem 0 0;font-weight:600}"
    "ul{padding:0;margin:0;list-style:none}"
    ".svc li{display:flex;flex-wrap:wrap;justify-content:space-between;gap:0 1rem;"
    "padding:.5rem 0;border-bottom:1px solid #ccc}"
    ".svc .st{font-weight:700}"
    ".svc .x{flex-basis:100%;color:#4a4a4a}"
    ".notice{margin:0 0 .75rem;padding:.6rem .9rem;border-radius:.4rem;"
    "border-left:.4rem solid currentColor}"
    ".notice p{margin:.2rem 0;color:#111}"
    ".notice .label{font-weight:700;text-transform:uppercase;letter-spacing:.04em}"
    ".n-urgent .label{color:#8e1111}.n-important .label{color:#6b4400}"
    ".notice .meta,.muted{color:#4a4a4a;font-size:.9rem}"
    ".calls li{margin:.35rem 0}"
    ".calls a{font-weight:700}"
    "footer{margin-top:2rem;border-top:1px solid #ccc;padding-top:.5rem}"
    "footer p{margin:.35rem 0}"
    ".stale{font-weight:700;color:#8e1111}" + _palette_css()
)
KIOSK_CSS: Final = BASE_CSS + (
    # Sized to the screen's height, so a 1080p screen shows it all at once.
    "html{font-size:max(100%,min(150%,2vh))}"
    "body{max-width:none;padding:0 2rem 1rem}"
    "h2{margin:1.2rem 0 .4rem}"
    ".banner{font-size:2.4rem;padding:1rem 1.5rem}"
    ".since{font-size:1.4rem}"
    ".cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(22rem,100%),1fr));"
    "gap:0 3rem}"
    "@media (max-width:40rem){html{font-size:120%}.banner{font-size:1.8rem}}"
)


def csp_hash(css: str) -> str:
    """The CSP source that allows exactly this style sheet."""
    digest = hashlib.sha256(css.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def head(lang: Lang, title: str, css: str, extra: str = "") -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="color-scheme" content="light">'
        f"{extra}<title>{escape(title)}</title><style>{css}</style></head>"
    )


def _banner(view: View) -> str:
    banner = view.banner
    detail = f'<p class="since">{escape(banner.detail)}</p>' if banner.detail else ""
    return (
        f'<header><p class="site">{escape(view.site)}</p>'
        f'<h1 class="banner b-{banner.kind}">{escape(banner.title)}</h1>'
        f"{detail}</header>"
    )


def _service(line: ServiceLine, lang: Lang) -> str:
    details = "".join(
        f'<span class="x">{escape(detail)}</span>'
        for detail in (line.extra, line.hours)
        if detail
    )
    if line.note:
        note_lang = (
            f' lang="{line.note_lang}"' if line.note_lang not in (None, lang) else ""
        )
        details += f'<span class="x"{note_lang}>{escape(line.note)}</span>'
    if line.follows:
        details += f'<span class="x">{escape(line.follows)}</span>'
    return (
        f'<li><span class="n">{escape(line.name)}</span>'
        f'<span class="st s-{line.power}">{escape(line.state)}</span>{details}</li>'
    )


def service_list(lines: Iterable[ServiceLine], lang: Lang) -> str:
    """The services as a list, each with its state in words."""
    return f'<ul class="svc">{"".join(_service(line, lang) for line in lines)}</ul>'


def _section(ident: str, heading: str, body: str) -> str:
    return (
        f'<section aria-labelledby="{ident}"><h2 id="{ident}">{escape(heading)}</h2>'
        f"{body}</section>"
    )


def _services(view: View) -> str:
    if not view.services:
        return ""
    return _section(
        "works",
        text(view.lang, "works_heading"),
        service_list(view.services, view.lang),
    )


def _notice(line: NoticeLine, lang: Lang) -> str:
    label = f'<p class="label">{escape(line.label)}</p>' if line.label else ""
    text_lang = f' lang="{line.text_lang}"' if line.text_lang != lang else ""
    return (
        f'<article class="notice n-{line.importance}">{label}'
        f"<p{text_lang}>{escape(line.text)}</p>"
        f'<p class="meta">{escape(line.published)}</p></article>'
    )


def _notices(view: View) -> str:
    if not view.notices:
        return ""
    body = "".join(_notice(line, view.lang) for line in view.notices)
    return _section("notices", text(view.lang, "notices_heading"), body)


def _fuel(view: View) -> str:
    if view.fuel is None:
        return ""
    return _section(
        "fuel", text(view.lang, "fuel_heading"), f"<p>{escape(view.fuel)}</p>"
    )


def _call(lang: Lang, key: str, number: str) -> str:
    link = (
        f'<a href="tel:{number.replace(" ", "")}">{number.replace(" ", "&nbsp;")}</a>'
    )
    return f"<li>{escape(text(lang, key, number='{number}')).format(number=link)}</li>"


def emergency(lang: Lang, radio: str | None = None) -> str:
    calls = "".join(
        _call(lang, key, number)
        for key, number in (
            ("call_112", "112"),
            ("call_1177", "1177"),
            ("call_11313", "113 13"),
        )
    )
    listen = (
        text(lang, "radio_p4_local", radio=radio) if radio else text(lang, "radio_p4")
    )
    body = f'<ul class="calls">{calls}</ul><p>{escape(listen)}</p>'
    return _section("emergency", text(lang, "emergency_heading"), body)


def _updated(view: View) -> str:
    stale = (
        f'<p class="stale">{escape(text(view.lang, "stale"))}</p>' if view.stale else ""
    )
    return f'<p class="updated">{escape(view.updated)}</p>{stale}'


def _footer(view: View, links: Iterable[str]) -> str:
    joined = " · ".join(links)
    nav = f"<p>{joined}</p>" if joined else ""
    return f"<footer>{_updated(view)}{nav}</footer>"


def page(view: View) -> str:
    """The page residents read on their phones."""
    lang = view.lang
    alternate = other(lang)
    feed = (
        f'<link rel="alternate" type="application/atom+xml" '
        f'href="feed.atom?lang={lang}" title="{escape(view.site)}">'
    )
    links = (
        f'<a href="?lang={alternate}" hreflang="{alternate}" lang="{alternate}">'
        f"{escape(text(lang, 'other_language'))}</a>",
        f'<a href="?lang={lang}">{escape(text(lang, "reload"))}</a>',
    )
    return (
        head(lang, text(lang, "page_title", site=view.site), BASE_CSS, feed)
        + "<body>"
        + _banner(view)
        + "<main>"
        + _services(view)
        + _notices(view)
        + official_section(view.official, lang, links=True)
        + _fuel(view)
        + emergency(lang, view.radio)
        + "</main>"
        + _footer(view, links)
        + "</body></html>"
    )


def kiosk(view: View) -> str:
    """The store's screen: large type, refreshes itself, no links to follow."""
    lang = view.lang
    # It reloads by the HTTP Refresh header (app.py), not a <meta> refresh:
    # the screen is unattended, and a reader who wants to take their time
    # has the page, which never reloads by itself.
    muted = f'<span class="muted">{escape(text(lang, "kiosk_refresh"))}</span>'
    return (
        head(lang, text(lang, "kiosk_title", site=view.site), KIOSK_CSS)
        + "<body>"
        + _banner(view)
        + '<main class="cols"><div>'
        + _services(view)
        + _fuel(view)
        + "</div><div>"
        + _notices(view)
        + official_section(view.official, lang, links=False)
        + emergency(lang, view.radio)
        + "</div></main>"
        + _footer(view, (muted,))
        + "</body></html>"
    )
