"""The county uplink: the site's status and public journal over MQTT.

Home Assistant's own MQTT integration holds the connection (broker, login,
TLS, reconnects); this module only publishes through it, so the association
sets the broker up in the UI like any MQTT device. Topics and payloads are
built by rules/uplink.py and described in docs/mqtt.md.

- The status object goes retained, at QoS 1, whenever anything in it but the
  poll's time changes (at most every `STATUS_MIN_INTERVAL_S`), and every
  heartbeat even if nothing did. It is never queued: the last value wins.
- Each public journal record goes as one event at QoS 1. Events wait in a
  queue on disk until the broker has acknowledged them, so a link that is
  down through a storm, or a Home Assistant restart meanwhile, loses none;
  they are sent oldest first once the broker is back.
- `online` goes retained to the availability topic whenever the uplink
  starts and whenever Home Assistant's MQTT client (re)connects, `offline`
  when the site unloads or Home Assistant stops. That the site is gone
  when Home Assistant dies without a word is the broker's job: Home
  Assistant's MQTT will message, set to the same topic (docs/mqtt.md).

One worker task sends, in that order: availability, status, then the
oldest waiting event, one at a time, so events arrive in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_COMPONENT_LOADED, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .rules.uplink import (
    AVAILABLE,
    NOT_AVAILABLE,
    PUBLIC_EVENTS,
    EventQueue,
    UplinkSettings,
    encode,
    event_payload,
    status_news,
    status_payload,
)

if TYPE_CHECKING:
    from .coordinator import SotPointCoordinator
    from .notice_board import NoticeBoard

MQTT_DOMAIN: Final = "mqtt"
QOS: Final = 1
STORE_VERSION: Final = 1
# Events written in a burst (an outage's end and a start failure) are saved
# together; a pulled plug loses at most this much of the queue, less than
# the journal itself risks (journal/store.py SAVE_DELAY_S).
SAVE_DELAY_S: Final = 1.0
# A status that changes every poll (a tank level sensor's noise, a heater
# cycling) is sent at most this often; the first after a change never waits
# longer.
STATUS_MIN_INTERVAL_S: Final = 10.0
# How long unloading waits for the broker to take the `offline`.
OFFLINE_TIMEOUT_S: Final = 5.0
ISSUE_NEEDS_MQTT: Final = "uplink_needs_mqtt"


def needs_mqtt_issue_id(entry_id: str) -> str:
    """The repair issue saying a site's uplink has no MQTT to go through."""
    return f"{ISSUE_NEEDS_MQTT}_{entry_id}"


class Uplink:
    """One site's uplink: its queue on disk, its listeners and its sender."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        settings: UplinkSettings,
    ) -> None:
        """Prepare the uplink; `async_load` reads the queue kept on disk."""
        self.hass = hass
        self.entry = entry
        self.settings = settings
        self._status: Callable[[], dict[str, Any]] = dict
        self._store: Store[dict[str, Any]] = Store(
            hass,
            STORE_VERSION,
            f"{DOMAIN}.{entry.entry_id}.uplink",
            # Written beside and renamed over: a power cut in the middle of
            # a save leaves the previous queue whole.
            atomic_writes=True,
        )
        self.queue = EventQueue()
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._unsubs: list[CALLBACK_TYPE] = []
        # Bumped whenever the MQTT client loses the broker: a publish that
        # saw it change was perhaps not acknowledged, and is sent again.
        self._generation = 0
        self._online_due = True
        self._status_due = True
        self._status_forced = True
        self._last_news: dict[str, Any] | None = None
        self._last_status_at: float | None = None
        self._status_timer: CALLBACK_TYPE | None = None
        self._following_mqtt = False
        # For diagnostics.
        self.sent_events = 0
        self.sent_status = 0
        self.last_error: str | None = None

    # -- life cycle ---------------------------------------------------------------

    async def async_load(self) -> None:
        """Read the events still waiting from the last run."""
        self.queue = EventQueue.load(await self._store.async_load())
        if len(self.queue):
            LOGGER.info(
                "%s: %d uplink events wait for the broker",
                self.entry.title,
                len(self.queue),
            )

    @callback
    def async_listen_journal(self) -> CALLBACK_TYPE:
        """Queue the public journal events of this site from now on.

        Called before the site's first poll, so the outage a site boots into
        is sent too.
        """
        entry_id = self.entry.entry_id

        @callback
        def ours(data: dict[str, Any]) -> bool:
            return data.get("entry_id") == entry_id

        unsubs = [
            self.hass.bus.async_listen(event_type, self._journal_event, ours)
            for event_type in PUBLIC_EVENTS
        ]

        @callback
        def stop() -> None:
            for unsub in unsubs:
                unsub()

        return stop

    @callback
    def async_start(
        self,
        coordinator: SotPointCoordinator,
        notices: NoticeBoard,
        status: Callable[[], dict[str, Any]],
    ) -> None:
        """Follow the site's status and the MQTT connection; start sending.

        `status` builds the site's status object (rules/status.py) as the
        info page gets it.
        """
        self._status = status
        self._unsubs += [
            coordinator.async_add_listener(self._site_changed),
            notices.async_add_listener(self._site_changed),
            async_track_time_interval(
                self.hass,
                self._heartbeat,
                timedelta(seconds=self.settings.heartbeat_s),
                name=f"{DOMAIN} uplink heartbeat",
            ),
            self.hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self._async_ha_stop),
        ]
        if MQTT_DOMAIN in self.hass.config.components:
            self._follow_mqtt()
        else:
            self._async_needs_mqtt()
            self._unsubs.append(
                self.hass.bus.async_listen(
                    EVENT_COMPONENT_LOADED, self._component_loaded
                )
            )
        self._worker = self.entry.async_create_background_task(
            self.hass, self._async_run(), f"{DOMAIN} uplink {self.settings.base}"
        )
        self._wake.set()

    async def async_stop(self) -> None:
        """Say `offline`, keep what still waits, let go of everything."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs = []
        self._cancel_status_timer()
        if self._worker is not None:
            self._worker.cancel()
            with suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        await self._async_say_offline()
        ir.async_delete_issue(
            self.hass, DOMAIN, needs_mqtt_issue_id(self.entry.entry_id)
        )
        await self._store.async_save(self.queue.dump())

    def diagnostics(self) -> dict[str, Any]:
        """What the uplink does, for the site's diagnostics."""
        return {
            "topics": {
                "status": self.settings.status_topic,
                "event": self.settings.event_topic,
                "availability": self.settings.availability_topic,
            },
            "heartbeat_s": self.settings.heartbeat_s,
            "connected": self._connected(),
            "queued_events": len(self.queue),
            "queue_limit": self.queue.limit,
            "dropped_events": self.queue.dropped,
            "oldest_queued": head.get("at") if (head := self.queue.head()) else None,
            "sent_events": self.sent_events,
            "sent_status": self.sent_status,
            "last_error": self.last_error,
        }

    # -- what there is to send -------------------------------------------------------

    @callback
    def _journal_event(self, event: Event[dict[str, Any]]) -> None:
        payload = event_payload(str(event.event_type), event.data, self.settings)
        if payload is None:
            return
        dropped = self.queue.dropped
        if not self.queue.add(payload):
            return
        if self.queue.dropped > dropped:
            LOGGER.warning(
                "%s: the uplink queue is full (%d events); the oldest was dropped",
                self.entry.title,
                self.queue.limit,
            )
            self._status_due = True  # the county sees the count go up
        self._store.async_delay_save(self.queue.dump, SAVE_DELAY_S)
        self._wake.set()

    @callback
    def _site_changed(self) -> None:
        news = status_news(self._status())
        if news != self._last_news:
            self._status_due = True
            self._wake.set()

    @callback
    def _heartbeat(self, _now: Any) -> None:
        self._status_due = True
        self._status_forced = True
        self._wake.set()

    # -- the MQTT connection ----------------------------------------------------------

    @callback
    def _component_loaded(self, event: Event[dict[str, Any]]) -> None:
        if event.data.get("component") == MQTT_DOMAIN:
            self._follow_mqtt()

    @callback
    def _follow_mqtt(self) -> None:
        # Imported here: the MQTT integration (and its paho) is there only
        # where someone set it up, and a site without the uplink never needs it.
        from homeassistant.components import mqtt  # noqa: PLC0415

        if self._following_mqtt:
            return
        self._following_mqtt = True
        self._unsubs.append(
            mqtt.async_subscribe_connection_status(self.hass, self._connection)
        )
        if self._connected():
            # Connected before we listened (MQTT set up after the site).
            self._connection(True)
        elif not mqtt.mqtt_config_entry_enabled(self.hass):
            self._async_needs_mqtt()

    @callback
    def _connection(self, connected: bool) -> None:
        if not connected:
            self._generation += 1
            return
        ir.async_delete_issue(
            self.hass, DOMAIN, needs_mqtt_issue_id(self.entry.entry_id)
        )
        self._online_due = True
        self._status_due = True
        self._status_forced = True
        self._wake.set()

    @callback
    def _async_needs_mqtt(self) -> None:
        LOGGER.warning(
            "%s: the county uplink is on, but Home Assistant's MQTT integration "
            "is not set up; events are kept until it is",
            self.entry.title,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            needs_mqtt_issue_id(self.entry.entry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_NEEDS_MQTT,
            translation_placeholders={
                "site": self.entry.title,
                "topic": self.settings.base,
            },
            data={"entry_id": self.entry.entry_id},
        )

    def _connected(self) -> bool:
        if MQTT_DOMAIN not in self.hass.config.components:
            return False
        from homeassistant.components import mqtt  # noqa: PLC0415

        try:
            return mqtt.is_connected(self.hass)
        except KeyError:  # the MQTT integration was unloaded
            return False

    # -- sending -----------------------------------------------------------------------

    async def _async_run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._connected() and await self._async_send_next():
                pass

    async def _async_send_next(self) -> bool:
        """Send the most urgent message; False when nothing (more) can go now."""
        if self._online_due:
            sent = await self._async_publish(
                self.settings.availability_topic, AVAILABLE, retain=True
            )
            self._online_due = not sent
            return sent
        if self._status_due and self._status_may_go():
            return await self._async_send_status()
        if (event := self.queue.head()) is not None:
            if not await self._async_publish(
                self.settings.event_topic, encode(event), retain=False
            ):
                return False
            self.queue.remove(event["id"])
            self.sent_events += 1
            self._store.async_delay_save(self.queue.dump, SAVE_DELAY_S)
            return True
        return False

    def _status_may_go(self) -> bool:
        """Whether the status may go now; if not, wake the sender when it may."""
        if self._status_forced or self._last_status_at is None:
            return True
        wait = self._last_status_at + STATUS_MIN_INTERVAL_S - time.monotonic()
        if wait <= 0:
            return True
        if self._status_timer is None:
            self._status_timer = async_call_later(self.hass, wait, self._status_time)
        return False

    @callback
    def _status_time(self, _now: Any) -> None:
        self._status_timer = None
        self._wake.set()

    def _cancel_status_timer(self) -> None:
        if self._status_timer is not None:
            self._status_timer()
            self._status_timer = None

    async def _async_send_status(self) -> bool:
        status = self._status()
        payload = status_payload(
            status,
            self.settings,
            sent=dt_util.utcnow(),
            dropped_events=self.queue.dropped,
            location=(self.hass.config.latitude, self.hass.config.longitude),
        )
        # Cleared first: a change while this one is on its way is news again.
        self._status_due = self._status_forced = False
        if not await self._async_publish(
            self.settings.status_topic, encode(payload), retain=True
        ):
            self._status_due = True
            return False
        self._last_news = status_news(status)
        self._last_status_at = time.monotonic()
        self.sent_status += 1
        return True

    async def _async_publish(self, topic: str, payload: str, *, retain: bool) -> bool:
        """Publish at QoS 1; True only when the broker surely has it.

        Home Assistant's publish returns when the broker acknowledges; it
        also returns, with a warning, when no acknowledgement came in time.
        A message during which the connection dropped may not have arrived,
        so it counts as not sent and is sent again after the reconnect (the
        county takes each event id once).
        """
        from homeassistant.components import mqtt  # noqa: PLC0415

        generation = self._generation
        try:
            await mqtt.async_publish(self.hass, topic, payload, QOS, retain)
        except HomeAssistantError as err:
            self.last_error = str(err)
            LOGGER.debug(
                "%s: uplink could not publish on %s: %s", self.entry.title, topic, err
            )
            return False
        if generation != self._generation or not self._connected():
            self.last_error = "connection lost while publishing"
            return False
        self.last_error = None
        return True

    # -- going away --------------------------------------------------------------------

    async def _async_ha_stop(self, _event: Event) -> None:
        await self._async_say_offline()

    async def _async_say_offline(self) -> None:
        if not self._connected():
            return
        from homeassistant.components import mqtt  # noqa: PLC0415

        with suppress(HomeAssistantError, TimeoutError):
            async with asyncio.timeout(OFFLINE_TIMEOUT_S):
                await mqtt.async_publish(
                    self.hass,
                    self.settings.availability_topic,
                    NOT_AVAILABLE,
                    QOS,
                    True,
                )
