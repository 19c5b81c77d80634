"""Websocket command `sot_point/subscribe_site`: the status object as a stream.

The info-point add-on (and anything else that wants the site's state without
reconstructing it from entity states) subscribes once and receives the status
object of rules/status.py at once and again whenever it changes. The coordinator
polls every second and its `updated` time changes every time, so a change of
`updated` alone is not sent; but while nothing changes the object is still
sent every `HEARTBEAT_S` seconds, so that a subscriber can tell fresh data
from data that stopped coming. A site that is reloaded (options or devices
changed) keeps its subscribers: they are moved to the new coordinator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import time
from typing import Any

from homeassistant.components import websocket_api
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import ERR_NOT_FOUND
from homeassistant.components.websocket_api.decorators import (
    async_response,
    websocket_command,
)
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
import probatio as vol

from .const import DOMAIN
from .notice_board import NoticeBoard
from .region.websocket import ws_subscribe_region
from .rules.region import is_region
from .rules.status import stable_part
from .runtime import SotPointConfigEntry

COMMAND = f"{DOMAIN}/subscribe_site"
HEARTBEAT_S = 30.0


@callback
def async_setup_websocket(hass: HomeAssistant) -> None:
    """Register the websocket commands of the integration."""
    websocket_api.async_register_command(hass, ws_subscribe_site)
    websocket_api.async_register_command(hass, ws_subscribe_region)


def _site_entry(hass: HomeAssistant, entry_id: str | None) -> SotPointConfigEntry:
    """The site a subscription names, or the only site there is."""
    if entry_id is not None:
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN or is_region(entry.data):
            msg = f"no SOT Point site with entry id {entry_id}"
            raise LookupError(msg)
        return entry
    entries = [
        entry
        for entry in hass.config_entries.async_entries(
            DOMAIN, include_ignore=False, include_disabled=False
        )
        if not is_region(entry.data)
    ]
    if len(entries) != 1:
        msg = f"{len(entries)} SOT Point sites: name one with entry_id"
        raise LookupError(msg)
    return entries[0]


@dataclass
class SiteSubscription:
    """One websocket subscriber of one site."""

    hass: HomeAssistant
    connection: ActiveConnection
    msg_id: int
    entry: SotPointConfigEntry
    _last_sent: dict[str, Any] | None = None
    _last_sent_at: float = 0.0
    _board: NoticeBoard | None = None
    _unsubs: list[CALLBACK_TYPE] = field(default_factory=list)
    _unsub_state: CALLBACK_TYPE | None = None
    _stopped: bool = False

    async def async_start(self) -> None:
        """Follow the site's state and its loading and unloading."""
        self._unsub_state = self.entry.async_on_state_change(self._state_changed)
        await self._async_attach()

    @callback
    def async_stop(self) -> None:
        """The subscriber left (unsubscribed, or its connection closed)."""
        self._stopped = True
        self._detach()
        if self._unsub_state is not None:
            self._unsub_state()
            self._unsub_state = None

    async def _async_attach(self) -> None:
        self._detach()
        if not self._wanted():
            return
        board = self.entry.runtime_data.notices
        # The site may have unloaded, or the subscriber left, while the
        # notices were read.
        if not self._wanted():
            return
        coordinator = self.entry.runtime_data.coordinator
        self._board = board
        self._unsubs = [
            coordinator.async_add_listener(self._changed),
            board.async_add_listener(self._changed),
        ]
        self._send(force=True)

    def _wanted(self) -> bool:
        return not self._stopped and self.entry.state is ConfigEntryState.LOADED

    @callback
    def _detach(self) -> None:
        for unsub in self._unsubs:
            unsub()
        self._unsubs = []
        self._board = None

    @callback
    def _state_changed(self) -> None:
        if self.entry.state is ConfigEntryState.LOADED:
            self.entry.async_create_background_task(
                self.hass, self._async_attach(), f"{COMMAND} attach"
            )
        else:
            self._detach()

    @callback
    def _changed(self) -> None:
        self._send(force=False)

    def _status(self) -> dict[str, Any]:
        return self.entry.runtime_data.status()

    def _send(self, *, force: bool) -> None:
        """Send the status if it changed, or when the heartbeat is due."""
        status = self._status()
        stable = stable_part(status)
        now = time.monotonic()
        due = now - self._last_sent_at >= HEARTBEAT_S
        if not force and not due and stable == self._last_sent:
            return
        self._last_sent = stable
        self._last_sent_at = now
        self.connection.send_message(event_message(self.msg_id, status))


@websocket_command(
    {
        vol.Required("type"): COMMAND,
        vol.Optional("entry_id"): str,
    }
)
@async_response
async def ws_subscribe_site(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Send the site's status object now and whenever it changes.

    Any logged-in user may subscribe, read-only users too: the status object
    is what the info page shows the public (docs/status.md), with no names,
    user ids or journal in it, and the add-on subscribes with an admin's or
    system user's token. So no permission is checked here beyond the login;
    the actions and the journal's exports check theirs
    (runtime.async_site_for_call, runtime.user_may).
    """
    try:
        entry = _site_entry(hass, msg.get("entry_id"))
    except LookupError as err:
        connection.send_error(msg["id"], ERR_NOT_FOUND, str(err))
        return
    subscription = SiteSubscription(hass, connection, msg["id"], entry)
    connection.subscriptions[msg["id"]] = subscription.async_stop
    connection.send_result(msg["id"])
    await subscription.async_start()
