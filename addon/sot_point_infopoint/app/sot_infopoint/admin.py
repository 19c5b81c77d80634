"""The admin view, reached only through Home Assistant's ingress.

The association sees the same pages as everyone (linked relatively, so they
work under ingress's path) plus how the connection to Home Assistant stands
and what the options say. Rendered per request: it is opened now and then by
one person, and it should show the connection as it is this second.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from .client import ConnectionState
from .region_texts import rtext
from .render import BASE_CSS, head
from .settings import Options
from .texts import Lang, local_time, text


def _connection(state: ConnectionState, now: datetime, lang: Lang) -> str:
    lines = []
    if state.connected and state.since:
        lines.append(
            text(lang, "admin_connected", time=local_time(state.since, now, lang))
        )
    elif state.retry_at:
        lines.append(
            text(lang, "admin_disconnected", time=local_time(state.retry_at, now, lang))
        )
    else:
        lines.append(text(lang, "admin_never"))
    if state.last_error and not state.connected:
        lines.append(text(lang, "admin_last_error", error=state.last_error))
    if state.last_status_at:
        lines.append(
            text(
                lang,
                "admin_last_status",
                time=local_time(state.last_status_at, now, lang),
            )
        )
    return "".join(f"<p>{escape(line)}</p>" for line in lines)


def _views(lang: Lang, *, region: bool) -> str:
    links: tuple[tuple[str, str], ...]
    if region:
        links = (
            (f"page?lang={lang}", rtext(lang, "admin_view_page")),
            (f"kiosk?lang={lang}", rtext(lang, "admin_view_kiosk")),
            ("status.json", rtext(lang, "admin_view_status")),
        )
    else:
        links = (
            (f"page?lang={lang}", text(lang, "admin_view_page")),
            (f"kiosk?lang={lang}", text(lang, "admin_view_kiosk")),
            ("notice", text(lang, "admin_view_notice")),
            ("status.json", text(lang, "admin_view_status")),
            (f"feed.atom?lang={lang}", text(lang, "admin_view_feed")),
        )
    items = "".join(
        f'<li><a href="{href}">{escape(words)}</a></li>' for href, words in links
    )
    return f'<ul class="calls">{items}</ul>'


def _settings(options: Options, lang: Lang, *, region: bool) -> str:
    if region:
        return f"<p>{escape(rtext(lang, 'admin_mode'))}</p>"
    lines = [
        text(lang, "admin_public_url", url=options.public_url)
        if options.public_url
        else text(lang, "admin_no_public_url"),
        text(lang, "admin_wifi", wifi=options.wifi_name)
        if options.wifi_name
        else text(lang, "admin_no_wifi"),
    ]
    return "".join(f"<p>{escape(line)}</p>" for line in lines)


def admin(
    site: str,
    state: ConnectionState,
    options: Options,
    now: datetime,
    lang: Lang,
    *,
    region: bool = False,
) -> str:
    """The admin page (of a site, or in region mode of the region)."""
    return (
        head(lang, text(lang, "admin_title"), BASE_CSS)
        + f'<body><header><p class="site">{escape(site)}</p>'
        + f"<h1>{escape(text(lang, 'admin_title'))}</h1></header><main>"
        + f"<h2>{escape(text(lang, 'admin_connection'))}</h2>"
        + _connection(state, now, lang)
        + f"<h2>{escape(text(lang, 'admin_views'))}</h2>"
        + _views(lang, region=region)
        + f"<h2>{escape(text(lang, 'admin_settings'))}</h2>"
        + _settings(options, lang, region=region)
        + "</main></body></html>"
    )
