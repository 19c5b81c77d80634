# ruff: noqa: RUF001 - the page uses the Swedish dash
"""The public port and the admin view over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import gzip
from html.parser import HTMLParser
import re
from typing import Any
from xml.etree import ElementTree as ET

import aiohttp
import pytest

from sot_infopoint.notice import qr_svg
from sot_infopoint.render import PALETTE
from sot_infopoint.server import ingress_allowed, language_from_header, pick_language
from sot_infopoint.settings import Options

from .conftest import TOKEN, Start, notice, status_object

GZIP_BUDGET = 15 * 1024
OPTIONS = Options(
    show_fuel_autonomy=True,
    wifi_name="SOT-Kall",
    public_url="http://192.168.1.10:8080/",
)


class _Structure(HTMLParser):
    """Collects what the structure tests look at."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []
        self.void = {"meta", "link", "br", "img", "input"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))
        if tag not in self.void:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.open, f"</{tag}> closes nothing"
        assert self.open.pop() == tag, f"</{tag}> closes the wrong element"


def _parse(html: str) -> _Structure:
    parser = _Structure()
    parser.feed(html)
    parser.close()
    assert parser.open == [], parser.open
    return parser


async def test_every_page_is_served(start_app: Start) -> None:
    """Each public path answers with its content type."""
    running = await start_app(status_object(), options=OPTIONS)
    expected = {
        "/": "text/html",
        "/kiosk": "text/html",
        "/notice": "text/html",
        "/status.json": "application/json",
        "/feed.atom": "application/atom+xml",
        "/healthz": "text/plain",
    }
    for path, content_type in expected.items():
        status, _, headers = await running.get(path)
        assert status == 200, path
        assert headers["Content-Type"].startswith(content_type), path
    status, _, _ = await running.get("/admin")
    assert status == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_anything_but_get_and_head_is_405(start_app: Start, method: str) -> None:
    """The public port is read-only, on every path, known or not."""
    running = await start_app(status_object())
    for path in ("/", "/status.json", "/nowhere"):
        async with running.session.request(
            method, running.url + path, data=b"x" * 100
        ) as response:
            assert response.status == 405, (method, path)
            assert response.headers["Allow"] == "GET, HEAD"


async def test_head_has_headers_and_no_body(start_app: Start) -> None:
    """HEAD answers like GET without the body."""
    running = await start_app(status_object())
    async with running.session.head(running.url + "/") as response:
        assert response.status == 200
        assert await response.read() == b""
        assert response.headers["Content-Security-Policy"]


async def test_security_headers(start_app: Start) -> None:
    """Strict CSP (no script, own style only, no framing) and friends."""
    running = await start_app(status_object())
    _, html, headers = await running.get("/")
    csp = headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'; style-src 'sha256-")
    assert "script-src" not in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "base-uri 'none'" in csp
    assert "form-action 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Server"] == "sot-infopoint"
    # The style sheet on the page is exactly the one the hash allows.
    import base64  # noqa: PLC0415
    import hashlib  # noqa: PLC0415

    (css,) = re.findall(r"<style>(.*?)</style>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp


async def test_page_fits_the_gzip_budget_at_its_heaviest(start_app: Start) -> None:
    """`/` with its CSS stays under 15 kB gzipped with 20 long notices."""
    words = [
        "Butiken",
        "har",
        "öppet",
        "och",
        "diesel",
        "säljs",
        "mot",
        "kontanter",
        "vid",
        "pumpen",
        "nu",
    ]
    notices = [
        notice(
            f"{n:02d}",
            " ".join(words[(n + i) % len(words)] for i in range(80))[:500],
            text_en=("The store is open, diesel sold for cash at the pump " * 10)[:500],
            importance=("info", "important", "urgent")[n % 3],
            minutes_ago=n,
        )
        for n in range(20)
    ]
    running = await start_app(status_object(notices=notices), options=OPTIONS)
    for lang in ("sv", "en"):
        async with running.session.get(
            f"{running.url}/?lang={lang}",
            headers={"Accept-Encoding": "gzip"},
            auto_decompress=False,
        ) as response:
            body = await response.read()
            assert response.headers["Content-Encoding"] == "gzip"
        assert len(body) <= GZIP_BUDGET, len(body)
        assert gzip.decompress(body).decode().count('class="notice') == 20


async def test_nothing_leaks_to_clients(start_app: Start) -> None:
    """No token, no Home Assistant address in anything served."""
    running = await start_app(
        status_object(), options=OPTIONS, ws_url="ws://10.9.8.7:8123/api/websocket"
    )
    for path in ("/", "/?lang=en", "/kiosk", "/notice", "/status.json", "/feed.atom"):
        _, body, headers = await running.get(path)
        for secret in (TOKEN, "10.9.8.7", "supervisor", "websocket"):
            assert secret not in body, (path, secret)
            assert secret not in str(headers), (path, secret)


async def test_html_is_semantic_self_contained_and_scriptless(start_app: Start) -> None:
    """lang, landmarks, one h1, balanced tags, no script, nothing external."""
    running = await start_app(status_object(), options=OPTIONS)
    for path, lang in (
        ("/", "sv"),
        ("/?lang=en", "en"),
        ("/kiosk", "sv"),
        ("/notice", "sv"),
    ):
        _, html, _ = await running.get(path)
        parsed = _parse(html)
        html_attrs = dict(parsed.attrs)["html"]
        assert html_attrs["lang"] == lang, path
        assert parsed.tags.count("h1") == 1, path
        assert {"main", "footer"} <= set(parsed.tags), path
        assert "script" not in parsed.tags, path
        assert "iframe" not in parsed.tags, path
        for _tag, attrs in parsed.attrs:
            assert "style" not in attrs, path  # the CSP would block it anyway
            for name in ("src", "href"):
                value = attrs.get(name) or ""
                assert not value.startswith(("http:", "https:", "//")), (path, value)
        assert '<meta name="viewport"' in html


async def test_language_by_link_and_by_browser(start_app: Start) -> None:
    """Swedish by default, English by ?lang=en and by Accept-Language."""
    running = await start_app(status_object())
    _, swedish, _ = await running.get("/")
    assert "Strömavbrott – reservkraft i drift" in swedish
    assert 'href="?lang=en"' in swedish
    _, english, _ = await running.get("/?lang=en")
    assert "Power cut – running on backup power" in english
    _, browser, _ = await running.get(
        "/", headers={"Accept-Language": "en-GB,en;q=0.9,sv;q=0.5"}
    )
    assert '<html lang="en">' in browser
    _, chosen, _ = await running.get("/?lang=sv", headers={"Accept-Language": "en-GB"})
    assert '<html lang="sv">' in chosen


def test_accept_language_rules() -> None:
    """q-values rank; unknown languages fall back to the site's default."""
    assert language_from_header("de-DE,en;q=0.5,sv;q=0.4", "sv") == "en"
    assert language_from_header("sv-FI;q=0.9,en;q=0.8", "en") == "sv"
    assert language_from_header("fi,de", "sv") == "sv"
    assert language_from_header("en;q=0", "sv") == "sv"
    assert language_from_header("en;q=banana", "sv") == "sv"
    assert pick_language("xx", None, "en") == "en"


async def test_etag_gives_304(start_app: Start) -> None:
    """A phone that has the page gets a 304 without the body."""
    running = await start_app(status_object())
    _, _, headers = await running.get("/")
    etag = headers["ETag"]
    async with running.session.get(
        running.url + "/", headers={"If-None-Match": etag}
    ) as response:
        assert response.status == 304
        assert await response.read() == b""


async def test_request_size_is_bounded(start_app: Start) -> None:
    """An overlong header or too many headers is refused."""
    running = await start_app(status_object())
    status, _, _ = await running.get("/", headers={"X-Long": "a" * 10_000})
    assert status in (400, 431)
    many = {f"X-H{n}": "1" for n in range(100)}
    status, _, _ = await running.get("/", headers=many)
    assert status in (400, 431)
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", running.app.ports["public"]
    )
    writer.write(b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    first = await reader.readline()
    writer.close()
    await writer.wait_closed()
    assert first.split()[1] in (b"400", b"414", b"431")


async def test_status_json_is_the_status_object(start_app: Start) -> None:
    """status.json is what Home Assistant sent; 503 before anything came."""
    raw = status_object()
    running = await start_app(raw, options=OPTIONS)
    async with running.session.get(running.url + "/status.json") as response:
        assert await response.json() == raw
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    empty = await start_app(None)
    status, body, _ = await empty.get("/status.json")
    assert status == 503
    assert "no status yet" in body


async def test_status_json_hides_the_fuel_the_page_hides(start_app: Start) -> None:
    """With fuel autonomy hidden on the page, status.json does not give it away."""
    raw = status_object()
    running = await start_app(raw)  # show_fuel_autonomy is off by default
    _status, page, _ = await running.get("/")
    assert "61" not in page  # neither the 61.3 h nor the 612 L
    async with running.session.get(running.url + "/status.json") as response:
        served = await response.json()
    assert served["fuel"] == dict.fromkeys(raw["fuel"])
    assert {k: v for k, v in served.items() if k != "fuel"} == {
        k: v for k, v in raw.items() if k != "fuel"
    }


async def test_feed_is_atom_with_notices(start_app: Start) -> None:
    """The feed parses as Atom and carries the notices."""
    running = await start_app(status_object(), options=OPTIONS)
    _, body, _ = await running.get("/feed.atom?lang=en")
    root = ET.fromstring(body)
    atom = "{http://www.w3.org/2005/Atom}"
    assert root.tag == f"{atom}feed"
    titles = [e.findtext(f"{atom}title") for e in root.iter(f"{atom}entry")]
    assert titles[0] == "The warm room in the school is open day and night."
    assert root.find(f"{atom}link[@rel='self']").get("href") == (  # type: ignore[union-attr]
        "http://192.168.1.10:8080/feed.atom?lang=en"
    )


async def test_notice_has_qr_and_wifi(start_app: Start) -> None:
    """The printable notice: QR of the page's address, the Wi-Fi name, A4."""
    running = await start_app(status_object(), options=OPTIONS)
    _, html, _ = await running.get("/notice")
    assert html.count("<svg") == 1
    assert "SOT-Kall" in html
    assert "http://192.168.1.10:8080/" in html
    assert "size:A4" in html
    assert "112" in html
    assert "Sveriges Radio P4" in html
    assert '<div class="en" lang="en">' in html
    assert qr_svg("http://192.168.1.10:8080/", "QR-kod till informationssidan") in html


async def test_notice_without_address_has_no_qr(start_app: Start) -> None:
    """Without a public_url the notice tells people to ask in the store."""
    running = await start_app(status_object())
    _, html, _ = await running.get("/notice")
    assert "<svg" not in html
    assert "Fråga i butiken efter sidans adress." in html


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize(("name", "pair"), PALETTE.items())
def test_palette_meets_wcag_aa(name: str, pair: tuple[str, str]) -> None:
    """Every colour pair the page uses reads at 4.5:1 or better."""
    assert contrast(*pair) >= 4.5, name


@pytest.mark.parametrize(
    ("peer", "allowed"),
    [
        ("172.30.32.2", True),
        ("::ffff:172.30.32.2", True),
        ("172.30.32.1", False),
        ("127.0.0.1", False),
        ("192.168.1.20", False),
        ("", False),
        (None, False),
        ("not an address", False),
    ],
)
def test_ingress_trusts_only_the_supervisor(peer: str | None, allowed: bool) -> None:
    """The admin view answers the Supervisor's ingress address and nothing else."""
    assert ingress_allowed(peer, "172.30.32.2") is allowed


async def test_ingress_view_refuses_others_and_shows_state(start_app: Start) -> None:
    """From loopback: refused; trusting loopback: admin page, framable by HA."""
    refused = await start_app(status_object())
    async with refused.session.get(refused.ingress_url + "/") as response:
        assert response.status == 403
    running = await start_app(
        status_object(), options=OPTIONS, ingress_peer="127.0.0.1"
    )
    async with running.session.get(running.ingress_url + "/") as response:
        html = await response.text()
        assert response.status == 200
        assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "Anslutning till Home Assistant" in html
    assert 'href="page?lang=sv"' in html
    assert "http://192.168.1.10:8080/" in html
    async with running.session.get(running.ingress_url + "/page") as response:
        assert "Strömavbrott" in await response.text()
    async with running.session.post(running.ingress_url + "/page") as response:
        assert response.status == 405


async def test_unreadable_state_file_is_ignored(
    start_app: Start, tmp_path: Any
) -> None:
    """A damaged state file does not keep the page from starting."""
    directory = tmp_path / "broken"
    directory.mkdir()
    (directory / "state.json").write_text("{not json")
    running = await start_app(None, data_dir=directory)
    _, html, _ = await running.get("/")
    assert "Ingen information ännu" in html


async def test_kiosk_refreshes_itself(start_app: Start) -> None:
    """The store's screen reloads itself; no links to wander off with."""
    running = await start_app(status_object())
    _, html, headers = await running.get("/kiosk")
    # A header, not a <meta> refresh, which axe counts against WCAG 2.2.1.
    assert headers["Refresh"] == "30"
    assert 'http-equiv="refresh"' not in html
    assert "<a " in html  # only the tel: links of the emergency numbers
    assert all(href.startswith("tel:") for href in re.findall(r'href="([^"]+)"', html))


async def test_client_session_cleanup(start_app: Start) -> None:
    """A started app that never connected stops cleanly (no lingering tasks)."""
    running = await start_app(None)
    assert isinstance(running.session, aiohttp.ClientSession)
