"""Websocket command `sot_point/subscribe_region`: the region object as a stream.

The add-on in region mode subscribes once and gets the region object of
rules/region.py (every site, worst first) at once, again whenever a site
changes, at most twice a second (a county's sites say something every few
seconds between them), and every `HEARTBEAT_S` seconds when nothing does, so
that it can tell fresh data from data that stopped coming. A region that is
reloaded (its options changed) keeps its subscribers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
import time
from typing import Any, Final

from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import ERR_NOT_FOUND
from homeassistant.components.websocket_api.decorators import (
    async_response,
    websocket_command,
)
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_time_interval
import probatio as vol

from ..const import DOMAIN
from ..rules.region import is_region
from .hub import RegionConfigEntry

COMMAND: Final = f"{DOMAIN}/subscribe_region"
HEARTBEAT_S: Final = 30.0
# At most one region object a second, however many sites speak.
MIN_INTERVAL_S: Final = 0.5


def region_entry(hass: HomeAssistant, entry_id: str | None) -> RegionConfigEntry:
    """The region a subscription names, or the only region there is."""
    if entry_id is not None:
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN or not is_region(entry.data):
            msg = f"no SOT Point region with entry id {entry_id}"
            raise LookupError(msg)
        return entry
    regions = [
        entry
        for entry in hass.config_entries.async_entries(
            DOMAIN, include_ignore=False, include_disabled=False
        )
        if is_region(entry.data)
    ]
    if len(regions) != 1:
        msg = f"{len(regions)} SOT Point regions: name one with entry_id"
        raise LookupError(msg)
    return regions[0]


@dataclass
class RegionSubscription:
    """One websocket subscriber of one region."""

    hass: HomeAssistant
    connection: ActiveConnection
    msg_id: int
    entry: RegionConfigEntry
    _last_sent_at: float | None = None
    _later: CALLBACK_TYPE | None = None
    _unsubs: list[CALLBACK_TYPE] = field(default_factory=list)
    _unsub_state: CALLBACK_TYPE | None = None
    _stopped: bool = False

    @callback
    def async_start(self) -> None:
        """Follow the region, its reloads and the heartbeat."""
        self._unsub_state = self.entry.async_on_state_change(self._state_changed)
        self._attach()

    @callback
    def async_stop(self) -> None:
        """The subscriber left (unsubscribed, or its connection closed)."""
        self._stopped = True
        self._detach()
        if self._unsub_state is not None:
            self._unsub_state()
            self._unsub_state = None

    @callback
    def _attach(self) -> None:
        self._detach()
        if self._stopped or self.entry.state is not ConfigEntryState.LOADED:
            return
        self._unsubs = [
            self.entry.runtime_data.async_add_change_listener(self._changed),
            async_track_time_interval(
                self.hass,
                self._heartbeat,
                timedelta(seconds=HEARTBEAT_S),
                name=f"{COMMAND} heartbeat",
            ),
        ]
        self._send()

    @callback
    def _detach(self) -> None:
        for unsub in self._unsubs:
            unsub()
        self._unsubs = []
        self._cancel_later()

    def _cancel_later(self) -> None:
        if self._later is not None:
            self._later()
            self._later = None

    @callback
    def _state_changed(self) -> None:
        if self.entry.state is ConfigEntryState.LOADED:
            self._attach()
        else:
            self._detach()

    @callback
    def _changed(self) -> None:
        """A site changed: send now, or half a second has passed since the last."""
        if self._later is not None:
            return  # already due
        wait = (
            0.0
            if self._last_sent_at is None
            else self._last_sent_at + MIN_INTERVAL_S - time.monotonic()
        )
        if wait <= 0:
            self._send()
        else:
            self._later = async_call_later(self.hass, wait, self._due)

    @callback
    def _due(self, _now: datetime) -> None:
        self._later = None
        self._send()

    @callback
    def _heartbeat(self, _now: datetime) -> None:
        self._send()

    def _send(self) -> None:
        self._cancel_later()
        self._last_sent_at = time.monotonic()
        region = self.entry.runtime_data.region_object()
        self.connection.send_message(event_message(self.msg_id, region))


@websocket_command(
    {
        vol.Required("type"): COMMAND,
        vol.Optional("entry_id"): str,
    }
)
@async_response
async def ws_subscribe_region(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Send the region object now, on every change and as a heartbeat.

    Any logged-in user may subscribe, as to a site: the region object holds
    what each site's public status holds, and nothing of people.
    """
    try:
        entry = region_entry(hass, msg.get("entry_id"))
    except LookupError as err:
        connection.send_error(msg["id"], ERR_NOT_FOUND, str(err))
        return
    subscription = RegionSubscription(hass, connection, msg["id"], entry)
    connection.subscriptions[msg["id"]] = subscription.async_stop
    connection.send_result(msg["id"])
    subscription.async_start()
