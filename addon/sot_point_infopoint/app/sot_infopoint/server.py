"""The two HTTP servers: the public page and the admin view behind ingress.

Every public response is prepared when the state changes (and once a minute
for the age text): body, gzipped body, headers and ETag. A request is then a
method check, a dictionary look-up and, at most, a language choice, so a
phone on the store's Wi-Fi never waits for a template, and a crowd of them
does not load the small machine Home Assistant runs on.

The public port is read-only: anything but GET and HEAD is 405, there is no
other route, request bodies are refused beyond a kilobyte and request lines
and headers are bounded. Nothing served ever holds the token or an internal
address: the pages are built from the status object, which has neither.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
import gzip
import hashlib
import ipaddress
from typing import Final

from aiohttp import web
from multidict import CIMultiDict

from .texts import LANGUAGES, Lang

type Key = tuple[str, str]
type Cache = Mapping[Key, Prepared]
type AdminRenderer = Callable[[Lang], Prepared]

SERVER_NAME: Final = "sot-infopoint"
# No request to these servers has a body; a kilobyte is generous.
MAX_BODY_BYTES: Final = 1024
# Bounds for the request line and each header (aiohttp's defaults are 8 kB)
# and for the number of headers: enough for any browser, little to abuse.
HANDLER_LIMITS: Final[dict[str, float]] = {
    "max_line_size": 4096,
    "max_field_size": 4096,
    "max_headers": 64,
    # Idle keep-alive connections are closed after this; phones come back.
    "keepalive_timeout": 75.0,
}
ALLOWED_METHODS: Final = frozenset({"GET", "HEAD"})


class Language(Enum):
    """How a path picks its language."""

    NONE = 0  # one response for everyone
    NEGOTIATED = 1  # ?lang=, else the browser's Accept-Language, else the default
    QUERY_ONLY = 2  # ?lang=, else the default: a store's screen has a
    # browser in whatever language it came with, not the village's


# Public paths: the prepared response's name and how its language is picked.
PUBLIC_ROUTES: Final[dict[str, tuple[str, Language]]] = {
    "/": ("page", Language.NEGOTIATED),
    "/kiosk": ("kiosk", Language.QUERY_ONLY),
    "/notice": ("notice", Language.NONE),
    "/status.json": ("status", Language.NONE),
    "/feed.atom": ("feed", Language.NEGOTIATED),
    "/cap.xml": ("cap", Language.NONE),
    "/healthz": ("healthz", Language.NONE),
}
# Under ingress the admin page is "/", the resident's page moves to "/page".
INGRESS_ROUTES: Final[dict[str, tuple[str, Language]]] = {
    "/page": ("page", Language.NEGOTIATED),
} | {path: route for path, route in PUBLIC_ROUTES.items() if path != "/"}

_COMMON_HEADERS: Final[dict[str, str]] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Server": SERVER_NAME,
}


def content_security_policy(style_hash: str | None, *, framed_by_self: bool) -> str:
    """A CSP that allows only the page's own style sheet and nothing else."""
    style = f"style-src {style_hash}; " if style_hash else ""
    ancestors = "'self'" if framed_by_self else "'none'"
    return (
        f"default-src 'none'; {style}img-src 'self' data:; base-uri 'none'; "
        f"form-action 'none'; frame-ancestors {ancestors}"
    )


def security_headers(style_hash: str | None, *, framed_by_self: bool) -> dict[str, str]:
    """Headers every response carries."""
    return _COMMON_HEADERS | {
        "Content-Security-Policy": content_security_policy(
            style_hash, framed_by_self=framed_by_self
        ),
        "X-Frame-Options": "SAMEORIGIN" if framed_by_self else "DENY",
    }


@dataclass(frozen=True, slots=True)
class Prepared:
    """One ready response: plain and gzipped body, headers for each."""

    status: int
    body: bytes
    gzipped: bytes
    # Ready multidicts: aiohttp copies them per response faster than dicts.
    headers: CIMultiDict[str]
    gzip_headers: CIMultiDict[str]
    etag: str


def prepare(
    body: str | bytes,
    content_type: str,
    *,
    style_hash: str | None = None,
    status: int = 200,
    cache_control: str = "no-cache",
    extra: Mapping[str, str] | None = None,
) -> Prepared:
    """Encode, compress and tag one response."""
    data = body.encode() if isinstance(body, str) else body
    compressed = gzip.compress(data, compresslevel=9, mtime=0)
    etag = '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'
    headers = security_headers(style_hash, framed_by_self=False) | {
        "Content-Type": content_type,
        "Cache-Control": cache_control,
        "Vary": "Accept-Encoding, Accept-Language",
        "ETag": etag,
        **(extra or {}),
    }
    gzip_headers = headers | {"Content-Encoding": "gzip"}
    return Prepared(
        status, data, compressed, CIMultiDict(headers), CIMultiDict(gzip_headers), etag
    )


def ingress_allowed(peer: str | None, allowed: str) -> bool:
    """Whether the admin view answers this peer: only the Supervisor's ingress."""
    if not peer:
        return False
    try:
        address = ipaddress.ip_address(peer.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    try:
        return address == ipaddress.ip_address(allowed)
    except ValueError:
        return False


@lru_cache(maxsize=256)
def language_from_header(accept_language: str, default: Lang) -> Lang:
    """The first of Swedish or English the browser asks for (RFC 9110 q-values)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower().split("-", 1)[0]))
    for negative_quality, _, primary in sorted(ranked):
        if negative_quality < 0 and primary in LANGUAGES:
            return "sv" if primary == "sv" else "en"
    return default


def pick_language(
    query: str | None, accept_language: str | None, default: Lang
) -> Lang:
    """`?lang=` first, then the browser's languages, then the site's default."""
    if query == "sv":
        return "sv"
    if query == "en":
        return "en"
    if accept_language:
        return language_from_header(accept_language, default)
    return default


def _respond(request: web.Request, prepared: Prepared) -> web.Response:
    if request.headers.get("If-None-Match") == prepared.etag and prepared.status == 200:
        return web.Response(status=304, headers=prepared.headers)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        return web.Response(
            status=prepared.status, body=prepared.gzipped, headers=prepared.gzip_headers
        )
    return web.Response(
        status=prepared.status, body=prepared.body, headers=prepared.headers
    )


_METHOD_NOT_ALLOWED: Final = prepare(
    "405 Method Not Allowed\n",
    "text/plain; charset=utf-8",
    status=405,
    extra={"Allow": "GET, HEAD"},
)
_NOT_FOUND: Final = prepare("404 Not Found\n", "text/plain; charset=utf-8", status=404)
_FORBIDDEN: Final = prepare("403 Forbidden\n", "text/plain; charset=utf-8", status=403)


class PageServer:
    """Holds the prepared responses and answers both servers' requests."""

    def __init__(self, default_language: Lang) -> None:
        """Start with nothing prepared; the app fills the cache before serving."""
        self.cache: Cache = {}
        self.default_language = default_language

    def replace(self, cache: Cache) -> None:
        """Swap in a freshly rendered set of responses (one assignment)."""
        self.cache = cache

    def _lookup(
        self, request: web.Request, routes: Mapping[str, tuple[str, Language]]
    ) -> Prepared:
        route = routes.get(request.path)
        if route is None:
            return _NOT_FOUND
        name, language = route
        lang = ""
        if language is not Language.NONE:
            browser = None
            if language is Language.NEGOTIATED:
                browser = request.headers.get("Accept-Language")
            lang = pick_language(
                request.query.get("lang"), browser, self.default_language
            )
        return self.cache.get((name, lang), _NOT_FOUND)

    async def public(self, request: web.Request) -> web.StreamResponse:
        """Every request to the public port."""
        if request.method not in ALLOWED_METHODS:
            return _respond(request, _METHOD_NOT_ALLOWED)
        return _respond(request, self._lookup(request, PUBLIC_ROUTES))

    def ingress_handler(
        self, allowed_peer: str, admin: AdminRenderer
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """The handler of the admin view, answering only `allowed_peer`."""

        async def handle(request: web.Request) -> web.StreamResponse:
            if not ingress_allowed(request.remote, allowed_peer):
                return _respond(request, _FORBIDDEN)
            if request.method not in ALLOWED_METHODS:
                return _respond(request, _METHOD_NOT_ALLOWED)
            if request.path == "/":
                lang = pick_language(
                    request.query.get("lang"),
                    request.headers.get("Accept-Language"),
                    self.default_language,
                )
                return _framed(_respond(request, admin(lang)))
            return _framed(_respond(request, self._lookup(request, INGRESS_ROUTES)))

        return handle


def _framed(response: web.Response) -> web.Response:
    """Home Assistant shows ingress pages in a frame of its own origin."""
    policy = response.headers.get("Content-Security-Policy", "")
    response.headers["Content-Security-Policy"] = policy.replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def make_app(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    paths: Iterable[str] = (),
) -> web.Application:
    """An aiohttp app that sends every request, whatever its path, to `handler`.

    The known `paths` are plain routes, which aiohttp finds by a dictionary
    look-up; everything else falls through to one pattern (and a 404).
    """
    app = web.Application(client_max_size=MAX_BODY_BYTES, handler_args=HANDLER_LIMITS)
    for path in paths:
        app.router.add_route("*", path, handler)
    app.router.add_route("*", "/{tail:.*}", handler)
    return app
