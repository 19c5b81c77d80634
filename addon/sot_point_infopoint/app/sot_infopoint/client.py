"""Following the site, or the region, through Home Assistant's websocket API.

Connect, authenticate, subscribe (`sot_point/subscribe_site` for a site,
`sot_point/subscribe_region` for a region), then hand every object the
subscription sends to the app. Home Assistant restarts, the Supervisor restarts, Wi-Fi
drops: whatever ends the connection, the client waits (1 s, 2 s, 4 s … up to
a minute, with some randomness so that several add-ons do not knock at the
same instant) and starts again. The page keeps serving the last state the
whole time; this module never touches it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
import logging
import random
from typing import Any, Final

import aiohttp

LOGGER = logging.getLogger(__name__)
SITE_COMMAND: Final = "sot_point/subscribe_site"
REGION_COMMAND: Final = "sot_point/subscribe_region"
COMMAND: Final = SITE_COMMAND
HANDSHAKE_TIMEOUT_S: Final = 15.0
# aiohttp pings at this interval and gives up on a connection whose pong does
# not come back, so a half-open connection is noticed within a minute.
HEARTBEAT_S: Final = 30.0
MAX_MESSAGE_BYTES: Final = 4 * 1024 * 1024
BACKOFF_FIRST_S: Final = 1.0
BACKOFF_MAX_S: Final = 60.0

type StatusHandler = Callable[[dict[str, Any]], None]
type ConnectionHandler = Callable[[ConnectionState], None]
type Clock = Callable[[], datetime]


class HomeAssistantRefusedError(Exception):
    """Home Assistant said no, or said something this client cannot follow."""


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """Where the connection to Home Assistant stands, for the admin view."""

    connected: bool = False
    since: datetime | None = None
    last_error: str | None = None
    retry_at: datetime | None = None
    last_status_at: datetime | None = None


def backoff_delay(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt number `attempt` (0 = first retry)."""
    base = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2.0 ** min(attempt, 16))
    # Not for secrets: only spreads out reconnections.
    jitter = rng.uniform(0.8, 1.2) if rng else random.uniform(0.8, 1.2)  # noqa: S311
    return min(BACKOFF_MAX_S, base * jitter)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class HomeAssistantClient:
    """Keeps one subscription (to a site, or to a region) alive."""

    def __init__(
        self,
        *,
        ws_url: str,
        token: str,
        entry_id: str | None,
        on_status: StatusHandler,
        on_connection: ConnectionHandler,
        clock: Clock = _utcnow,
        command: str = SITE_COMMAND,
    ) -> None:
        """Prepare; nothing connects before `run`.

        `command` is the subscription: the same request (`entry_id` when
        given) for a site and a region, answered by a stream of events.
        """
        self._ws_url = ws_url
        self._token = token
        self._entry_id = entry_id
        self._command = command
        self._on_status = on_status
        self._on_connection = on_connection
        self._clock = clock
        self.state = ConnectionState()
        self._next_id = 1

    def _set_state(self, **changes: Any) -> None:
        self.state = replace(self.state, **changes)
        self._on_connection(self.state)

    async def run(self) -> None:
        """Connect and follow until cancelled, reconnecting as needed.

        Nothing but cancellation ends it: an error nobody foresaw is logged
        and met like a lost connection, with a wait and a fresh start.
        """
        attempt = 0
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    subscribed = await self._session(session)
                except Exception as err:
                    LOGGER.exception("the connection to Home Assistant failed")
                    self._set_state(last_error=str(err) or type(err).__name__)
                    subscribed = False
                attempt = 0 if subscribed else attempt + 1
                delay = backoff_delay(attempt)
                retry_at = self._clock() + timedelta(seconds=delay)
                self._set_state(connected=False, since=self._clock(), retry_at=retry_at)
                await asyncio.sleep(delay)

    async def _session(self, session: aiohttp.ClientSession) -> bool:
        """One connection, until it ends; whether it got as far as subscribing."""
        subscribed = False
        try:
            async with session.ws_connect(
                self._ws_url, heartbeat=HEARTBEAT_S, max_msg_size=MAX_MESSAGE_BYTES
            ) as ws:
                async with asyncio.timeout(HANDSHAKE_TIMEOUT_S):
                    subscription = await self._handshake(ws)
                subscribed = True
                self._set_state(
                    connected=True, since=self._clock(), last_error=None, retry_at=None
                )
                LOGGER.info("%s through %s", self._command, self._ws_url)
                await self._follow(ws, subscription)
                self._set_state(last_error="connection closed")
        except (
            aiohttp.ClientError,
            OSError,
            TimeoutError,
            HomeAssistantRefusedError,
        ) as err:
            reason = str(err) or type(err).__name__
            LOGGER.warning("Home Assistant connection: %s", reason)
            self._set_state(last_error=reason)
        return subscribed

    async def _handshake(self, ws: aiohttp.ClientWebSocketResponse) -> int:
        """Authenticate and subscribe; the subscription's message id."""
        first = await self._receive(ws)
        if first.get("type") != "auth_required":
            msg = f"expected auth_required, got {first.get('type')!r}"
            raise HomeAssistantRefusedError(msg)
        await ws.send_json({"type": "auth", "access_token": self._token})
        answer = await self._receive(ws)
        if answer.get("type") != "auth_ok":
            msg = f"authentication failed: {answer.get('message', answer.get('type'))}"
            raise HomeAssistantRefusedError(msg)
        subscription = self._next_id
        self._next_id += 1
        request: dict[str, Any] = {"id": subscription, "type": self._command}
        if self._entry_id:
            request["entry_id"] = self._entry_id
        await ws.send_json(request)
        result = await self._receive(ws)
        if result.get("id") != subscription or not result.get("success"):
            error = result.get("error") or {}
            msg = f"{self._command} refused: {error.get('message', result)}"
            raise HomeAssistantRefusedError(msg)
        return subscription

    async def _follow(
        self, ws: aiohttp.ClientWebSocketResponse, subscription: int
    ) -> None:
        """Hand each status event to the app until the connection ends."""
        async for message in ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            try:
                payload = message.json()
            except ValueError as err:
                LOGGER.warning("skipping a message that is not JSON: %s", err)
                continue
            for item in payload if isinstance(payload, list) else [payload]:
                self._dispatch(item, subscription)

    def _dispatch(self, item: Any, subscription: int) -> None:
        if not isinstance(item, dict) or item.get("id") != subscription:
            return
        event = item.get("event")
        if item.get("type") == "event" and isinstance(event, dict):
            self._set_state(last_status_at=self._clock())
            try:
                self._on_status(event)
            except Exception:
                # One status the app cannot show must not end the following.
                LOGGER.exception("skipping a status the page could not take")

    @staticmethod
    async def _receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
        message = await ws.receive()
        if message.type is not aiohttp.WSMsgType.TEXT:
            msg = f"connection ended during the handshake ({message.type.name})"
            raise HomeAssistantRefusedError(msg)
        data = message.json()
        if not isinstance(data, dict):
            msg = "unexpected message during the handshake"
            raise HomeAssistantRefusedError(msg)
        return data
