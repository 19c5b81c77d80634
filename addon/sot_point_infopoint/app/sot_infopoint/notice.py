"""The printable A4 notice for the door and the notice board.

It tells what the site offers, how to reach the page (the Wi-Fi network's
name and a QR code of the page's address, made here with segno as inline
SVG, so printing needs nothing from outside), the emergency numbers and the
local P4 station. With a service board (status schema 2) it lists each
service with its opening hours and its state when printed, saying so: paper
does not update, and the page has the state now. Swedish first, English
below it, on the same sheet.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from html import escape
from typing import Final

import segno

from .render import BASE_CSS, emergency, head, service_list
from .settings import Options
from .status import SiteStatus
from .texts import Lang, date_time, text
from .view import BannerKind, banner_kind, services

NOTICE_CSS: Final = BASE_CSS + (
    "@page{size:A4;margin:14mm}"
    "body{max-width:46rem}"
    "h1{font-size:2.2rem;margin:1rem 0 .25rem}"
    ".lead{font-size:1.3rem;margin:0 0 1rem}"
    ".offers{font-size:1.25rem;font-weight:700}"
    ".qr{display:flex;flex-wrap:wrap;gap:1rem 2rem;align-items:center;"
    "margin:1rem 0;padding:1rem;border:2px solid #111;border-radius:.5rem}"
    ".qr svg{width:13rem;height:13rem;flex:none}"
    ".qr>div{flex:1 1 16rem}"
    ".qr p{margin:.3rem 0;font-size:1.2rem}"
    ".url{font-weight:700;font-size:1.35rem;word-break:break-all}"
    ".en{margin-top:1.5rem;padding-top:1rem;border-top:2px solid #111}"
    ".en h2{font-size:1.5rem}"
    "@media print{html{font-size:100%}a{color:#111;text-decoration:none}}"
)


@lru_cache(maxsize=4)
def qr_svg(url: str, title: str) -> str:
    """The QR code of `url` as inline SVG, scaled by CSS (no fixed size)."""
    code = segno.make(url, error="m")
    svg: str = code.svg_inline(
        border=2, omitsize=True, dark="#000", light="#fff", title=title
    )
    # Screen readers announce the title; the SVG is an image, not a figure.
    return svg.replace("<svg ", '<svg role="img" ', 1)


def _offers(options: Options, lang: Lang) -> str:
    if not options.offers:
        return ""
    names = ", ".join(text(lang, f"offer_{name}") for name in options.offers)
    return (
        f"<p>{escape(text(lang, 'notice_offers'))} "
        f'<span class="offers">{escape(names)}</span></p>'
    )


def _how_to_read(options: Options, lang: Lang) -> str:
    lines = [f"<p><strong>{escape(text(lang, 'notice_read'))}</strong></p>"]
    if options.wifi_name:
        lines.append(
            f"<p>{escape(text(lang, 'notice_wifi', wifi=options.wifi_name))}</p>"
        )
    if options.public_url:
        lines.append(f"<p>{escape(text(lang, 'notice_scan'))}</p>")
        lines.append(f'<p class="url">{escape(options.public_url)}</p>')
    else:
        lines.append(f"<p>{escape(text(lang, 'notice_no_address'))}</p>")
    return "".join(lines)


def _qr_block(options: Options, lang: Lang, *, with_code: bool) -> str:
    code = ""
    if options.public_url and with_code:
        code = qr_svg(options.public_url, text(lang, "qr_title"))
    return f'<div class="qr">{code}<div>{_how_to_read(options, lang)}</div></div>'


def _board(status: SiteStatus, now: datetime, lang: Lang) -> str:
    kind: BannerKind = banner_kind(status)[0]
    lines = services(status, Options(offers=()), kind, lang, now)
    printed = text(lang, "notice_board", time=date_time(now, lang))
    return (
        f"<p>{escape(text(lang, 'notice_offers'))}</p>"
        + service_list(lines, lang)
        + f'<p class="muted">{escape(printed)}</p>'
    )


def _part(
    options: Options,
    status: SiteStatus | None,
    now: datetime,
    lang: Lang,
    *,
    with_code: bool,
) -> str:
    """One language's half of the sheet (one QR code on the sheet is enough)."""
    has_board = status is not None and bool(status.services)
    return (
        (_board(status, now, lang) if status and has_board else _offers(options, lang))
        + _qr_block(options, lang, with_code=with_code)
        + emergency(lang, status.local_radio if status else None)
    )


def _printed(now: datetime) -> str:
    printed = text("sv", "notice_printed", time=date_time(now, "sv"))
    return f'<footer><p class="muted">{escape(printed)}</p></footer>'


def notice(
    site: str, options: Options, now: datetime, status: SiteStatus | None = None
) -> str:
    """The whole A4 sheet, Swedish then English."""
    return (
        head("sv", text("sv", "notice_title", site=site), NOTICE_CSS)
        + "<body><main>"
        + f'<p class="site">{escape(site)}</p>'
        + f"<h1>{escape(text('sv', 'notice_heading'))}</h1>"
        + f'<p class="lead">{escape(text("sv", "intro"))}</p>'
        + _part(options, status, now, "sv", with_code=True)
        + '<div class="en" lang="en">'
        + f"<h2>{escape(text('en', 'notice_heading'))}</h2>"
        + f'<p class="lead">{escape(text("en", "intro"))}</p>'
        + _part(options, status, now, "en", with_code=False)
        + "</div></main>"
        + _printed(now)
        + "</body></html>"
    )
