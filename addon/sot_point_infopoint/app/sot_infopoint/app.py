"""The info point as a whole: state, rendering, the servers and the client.

`Infopoint.start` reads the last state from disk and serves it before it has
even tried to reach Home Assistant, so after a restart in the middle of an
outage the page is back at once with what it knew and how old that is. Each
status that arrives is checked, remembered, written to disk and rendered into
every response the servers give; a timer renders again on each new minute so
"12 min ago" stays true while nothing else changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import gc
import json
import logging
from typing import Any, ClassVar, Final

from aiohttp import web

from .admin import admin
from .cap import CapMemory, cap_feed, place_of
from .client import SITE_COMMAND, ConnectionState, HomeAssistantClient
from .feed import feed
from .history import Event, merged, new_events
from .notice import NOTICE_CSS, notice
from .official import official_view
from .render import BASE_CSS, KIOSK_CSS, KIOSK_REFRESH_S, csp_hash, kiosk, page
from .server import (
    INGRESS_ROUTES,
    PUBLIC_ROUTES,
    PageServer,
    Prepared,
    make_app,
    prepare,
)
from .settings import Options, Settings
from .status import SiteStatus, StatusError, parse_status
from .store import STATE_FILE, Saved, StateFile
from .texts import LANGUAGES, Lang
from .view import build_view

LOGGER = logging.getLogger(__name__)
HTML: Final = "text/html; charset=utf-8"
_PAGE_HASH: Final = csp_hash(BASE_CSS)
_KIOSK_HASH: Final = csp_hash(KIOSK_CSS)
_NOTICE_HASH: Final = csp_hash(NOTICE_CSS)

type Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


def _important(before: SiteStatus | None, after: SiteStatus) -> bool:
    """Whether a change is worth a disk write now rather than within a minute."""
    if before is None:
        return True
    return (
        before.mode != after.mode
        or before.outage_started != after.outage_started
        or before.notices != after.notices
        or before.services != after.services
        or before.reachable != after.reachable
    )


def public_status(raw: dict[str, Any], options: Options) -> dict[str, Any]:
    """The status object as `/status.json` serves it: without what the page hides.

    The fuel figures (litres, level, autonomy) are null unless the
    association chose to show them: the page and its machine-readable twin
    say the same. The object keeps its shape for whoever reads it.
    """
    fuel = raw.get("fuel")
    if options.show_fuel_autonomy or not isinstance(fuel, dict):
        return raw
    return raw | {"fuel": dict.fromkeys(fuel)}


class Infopoint:
    """One running info point (region_app.RegionInfopoint: the region mode)."""

    # The subscription and the state file; the region mode has its own.
    command: ClassVar[str] = SITE_COMMAND
    state_file: ClassVar[str] = STATE_FILE

    def __init__(self, settings: Settings, clock: Clock = utcnow) -> None:
        """Prepare; `start` reads the state and opens the ports."""
        self.settings = settings
        self.clock = clock
        self.pages = PageServer(settings.options.language)
        self._file = StateFile(settings.data_dir, self.state_file)
        # The CAP alerts' identifiers, kept across restarts (cap.py).
        self.cap_memory = CapMemory(settings.data_dir)
        self._raw: dict[str, Any] | None = None
        self.status: SiteStatus | None = None
        self.events: list[Event] = []
        self._dirty = False
        self.client = HomeAssistantClient(
            ws_url=settings.ws_url,
            token=settings.token,
            entry_id=self.entry_id(),
            on_status=self.on_status,
            on_connection=self._on_connection,
            clock=clock,
            command=self.command,
        )
        self._runners: list[web.AppRunner] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._client_task: asyncio.Task[None] | None = None
        self._started: datetime | None = None
        self._last_status: datetime | None = None
        self._stopping = False
        self.ports: dict[str, int] = {}

    def entry_id(self) -> str | None:
        """The config entry to follow; None: the only one there is."""
        return self.settings.options.site_entry_id

    # State --------------------------------------------------------------

    def restore(self) -> None:
        """Take up the state saved before the last stop."""
        saved = self._file.load()
        self.events = saved.events
        self.cap_memory.load()
        if saved.status is None:
            return
        try:
            self.status = parse_status(saved.status)
            self._raw = saved.status
        except StatusError as err:
            LOGGER.warning("ignoring the saved status: %s", err)

    def on_status(self, raw: dict[str, Any]) -> None:
        """A status object from Home Assistant: check, remember, render."""
        # Heard from Home Assistant, whatever it said (for /healthz).
        self._last_status = self.clock()
        try:
            status = parse_status(raw)
        except StatusError as err:
            LOGGER.warning("ignoring a status object: %s", err)
            return
        previous, self.status, self._raw = self.status, status, raw
        self.events = merged(self.events, new_events(previous, status))
        if _important(previous, status):
            self.save()
        else:
            self._dirty = True
        self.render()

    def _on_connection(self, _state: ConnectionState) -> None:
        """Connection changes show only in the admin view, rendered per request."""

    def save(self) -> None:
        """Write the state file now."""
        self._dirty = False
        try:
            self._file.save(Saved(self._raw, self.clock(), self.events))
        except OSError as err:
            LOGGER.warning("could not save the state: %s", err)

    # Rendering ------------------------------------------------------------

    def render(self) -> None:
        """Prepare every public response for the state and time now."""
        now = self.clock()
        options = self.settings.options
        site = self.status.site if self.status else "SOT-punkt"
        cache: dict[tuple[str, str], Prepared] = {}
        for lang in LANGUAGES:
            view = replace(
                build_view(self.status, options, now, lang),
                official=official_view(self._raw, now, lang),
            )
            cache["page", lang] = prepare(page(view), HTML, style_hash=_PAGE_HASH)
            cache["kiosk", lang] = prepare(
                kiosk(view),
                HTML,
                style_hash=_KIOSK_HASH,
                extra={"Refresh": str(KIOSK_REFRESH_S)},
            )
            cache["feed", lang] = prepare(
                feed(
                    site,
                    self.status,
                    self.events,
                    now=now,
                    lang=lang,
                    public_url=options.public_url,
                ),
                "application/atom+xml; charset=utf-8",
            )
        cache["notice", ""] = prepare(
            notice(site, options, now, self.status), HTML, style_hash=_NOTICE_HASH
        )
        cache["status", ""] = self._status_json()
        cache["cap", ""] = prepare(
            cap_feed(
                self.status,
                self.cap_memory,
                now,
                public_url=options.public_url,
                place=place_of(self._raw),
            ),
            "application/atom+xml; charset=utf-8",
        )
        cache["healthz", ""] = self._healthz(now)
        self.pages.replace(cache)

    def _status_json(self) -> Prepared:
        if self._raw is None:
            return prepare(
                '{"error": "no status yet"}\n',
                "application/json",
                status=503,
                cache_control="no-store",
            )
        return prepare(
            json.dumps(
                public_status(self._raw, self.settings.options), ensure_ascii=False
            ),
            "application/json",
            extra={"Access-Control-Allow-Origin": "*"},
        )

    def _healthz(self, now: datetime) -> Prepared:
        """200 while the app follows Home Assistant; 503 makes the watchdog act.

        Unhealthy when the client task has ended, or when no status has come
        for longer than the configured time: a restart then starts the
        client afresh (the page is served from the saved state meanwhile).
        """
        problem = self.health_problem(now)
        return prepare(
            "ok\n" if problem is None else f"unhealthy: {problem}\n",
            "text/plain; charset=utf-8",
            status=200 if problem is None else 503,
            cache_control="no-store",
        )

    def health_problem(self, now: datetime) -> str | None:
        """Why the app is not healthy now, or None."""
        task = self._client_task
        if task is not None and task.done():
            return "the connection to Home Assistant has stopped"
        if task is None:
            return None  # not asked to connect (tests, a page from disk only)
        last = self._last_status or self._started
        limit = timedelta(minutes=self.settings.options.status_timeout_minutes)
        if last is not None and now - last > limit:
            minutes = int((now - last).total_seconds() // 60)
            return f"no status from Home Assistant for {minutes} min"
        return None

    def admin_page(self, lang: Lang) -> Prepared:
        """The admin view now (served through ingress only)."""
        site = self.status.site if self.status else "SOT-punkt"
        html = admin(site, self.client.state, self.settings.options, self.clock(), lang)
        return prepare(html, HTML, style_hash=_PAGE_HASH, cache_control="no-store")

    # Running --------------------------------------------------------------

    async def start(self, *, connect: bool = True) -> None:
        """Serve the last known state, then follow Home Assistant."""
        self.restore()
        self.render()
        settings = self.settings
        public = make_app(self.pages.public, PUBLIC_ROUTES)
        await self._serve("public", public, settings.port)
        if settings.ingress_port is not None:
            handler = self.pages.ingress_handler(settings.ingress_peer, self.admin_page)
            ingress = make_app(handler, ("/", *INGRESS_ROUTES))
            await self._serve("ingress", ingress, settings.ingress_port)
        self._tasks.append(asyncio.create_task(self._minutely(), name="infopoint-tick"))
        self._started = self.clock()
        if connect:
            self._start_client()

    def _start_client(self) -> None:
        task = asyncio.create_task(self.client.run(), name="infopoint-ha")
        task.add_done_callback(self._client_ended)
        self._client_task = task
        self._tasks.append(task)

    def _client_ended(self, task: asyncio.Task[None]) -> None:
        """The client ended by itself (it should not): log it, start it again."""
        if task.cancelled() or self._stopping:
            return
        LOGGER.error("the Home Assistant client stopped", exc_info=task.exception())
        self._tasks.remove(task)
        self._start_client()
        self.render()

    async def _serve(self, name: str, app: web.Application, port: int) -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, self.settings.bind, port)
        await site.start()
        self.ports[name] = int(runner.addresses[0][1])
        LOGGER.info("%s server on port %s", name, self.ports[name])

    async def _minutely(self) -> None:
        """Render again at each new minute; write the state if it waits."""
        while True:
            now = self.clock()
            await asyncio.sleep(60.5 - now.second - now.microsecond / 1e6)
            self.tick()

    def tick(self) -> None:
        """What the minute timer does (tests call it after moving the clock)."""
        if self._dirty:
            self.save()
        self.render()

    async def stop(self) -> None:
        """Stop following, keep the state, close the ports."""
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._raw is not None:
            self.save()
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()


type Factory = Callable[[Settings], Infopoint]


async def run_forever(settings: Settings, make: Factory = Infopoint) -> None:
    """Run until cancelled (SIGTERM from the Supervisor ends up here).

    `make` builds the info point for the settings' mode
    (region_app.infopoint_for).
    """
    infopoint = make(settings)
    await infopoint.start()
    # Everything loaded so far lives as long as the process: keeping it out
    # of the garbage collector's sweeps keeps them short under load.
    gc.collect()
    gc.freeze()
    try:
        await asyncio.Event().wait()
    finally:
        await infopoint.stop()
