"""A region's hub: it reads the county's site topics and keeps one view per site.

Home Assistant's MQTT integration holds the connection (broker, login, TLS);
the hub subscribes through it at QoS 1 to `sot/<county>/<municipality>/+/
status|event|availability` (every municipality, or those the region's options
name) and hands each message to rules/region.py, which takes it or says why
not. Nothing else: the stores, the entities, the repair and the websocket
subscription observe the hub.

- A valid message updates its site's view (a new site is announced with
  `new_site_signal`, and its entities are added) and tells the site's
  listeners and the change listeners.
- A refused message is counted per site with its reason, logged once per
  site, and never shown: the diagnostics list the refusals.
- Every `TICK` the hub looks at the clock: a site that has gone silent, or
  whose rank changes with time, is told to its listeners, and the silent
  sites to the silence observers (the repair).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..rules.region import (
    Leaf,
    Rank,
    Refusals,
    RefusedError,
    RegionSettings,
    SiteTopic,
    SiteView,
    heard_at,
    parse_topic,
    read_availability,
    read_event,
    read_status,
    region_object,
)

if TYPE_CHECKING:
    from homeassistant.components.mqtt import ReceiveMessage

    from .store import EventStore

MQTT_DOMAIN: Final = "mqtt"
QOS: Final = 1
# How often the hub looks for sites that went silent: well within the
# 90 s the issue allows for showing a dead site offline.
TICK: Final = timedelta(seconds=10)

type Listener = Callable[[], None]
type RegionConfigEntry = ConfigEntry[RegionHub]


def device_identifier(entry_id: str, key: str) -> tuple[str, str]:
    """The device registry identifier of one site of a region."""
    return (DOMAIN, f"{entry_id}:{key}")


def _bytes(payload: str | bytes | bytearray) -> bytes:
    return payload.encode() if isinstance(payload, str) else bytes(payload)


def _topic_place(topic: str) -> str:
    """A refused topic's place, as a key to count it under."""
    parts = topic.split("/")
    return "/".join(parts[2:4]) if len(parts) >= 4 else topic


class RegionHub:
    """One region: its sites' views, fed from the broker."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        settings: RegionSettings,
        events: EventStore,
    ) -> None:
        """Prepare an empty region; `restore` and `async_start` fill it.

        `events` is where the events received are kept (for the report and
        the diagnostics); the hub only hands them to its event observers.
        """
        self.hass = hass
        self.entry = entry
        self.settings = settings
        self.events = events
        self.views: dict[str, SiteView] = {}
        # Sites whose device and entities exist (or are being added).
        self._announced: set[str] = set()
        self.refusals: dict[str, Refusals] = {}
        self.new_site_signal = f"{DOMAIN}_region_new_site_{entry.entry_id}"
        self.messages = 0
        self.topics: list[str] = []
        # The topics the broker has acknowledged (SUBACK).
        self.subscribed: set[str] = set()
        self._site_listeners: dict[str, list[Listener]] = {}
        self._change_listeners: list[Listener] = []
        self._event_observers: list[Callable[[str, dict[str, Any]], None]] = []
        self._silence_observers: list[Callable[[list[SiteView]], None]] = []
        # What the entities last showed of each site: silent, and the rank.
        self._shown: dict[str, tuple[bool, Rank]] = {}
        self._silent: set[str] | None = None
        self._warned: set[str] = set()
        self._unsubs: list[CALLBACK_TYPE] = []

    # -- observers -----------------------------------------------------------------

    @callback
    def async_add_site_listener(self, key: str, listener: Listener) -> CALLBACK_TYPE:
        """Call `listener` whenever site `key` changes (its entities)."""
        listeners = self._site_listeners.setdefault(key, [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    @callback
    def async_add_change_listener(self, listener: Listener) -> CALLBACK_TYPE:
        """Call `listener` whenever any site changes."""
        self._change_listeners.append(listener)
        return lambda: self._change_listeners.remove(listener)

    @callback
    def async_add_event_observer(
        self, observer: Callable[[str, dict[str, Any]], None]
    ) -> CALLBACK_TYPE:
        """Call `observer(key, event)` with every valid event received."""
        self._event_observers.append(observer)
        return lambda: self._event_observers.remove(observer)

    @callback
    def async_add_silence_observer(
        self, observer: Callable[[list[SiteView]], None]
    ) -> CALLBACK_TYPE:
        """Call `observer(silent views)` whenever the set of silent sites changes."""
        self._silence_observers.append(observer)
        return lambda: self._silence_observers.remove(observer)

    # -- what the region knows -----------------------------------------------------

    @callback
    def restore(self, views: Iterable[SiteView]) -> None:
        """Sites known before this start (the store, the device registry)."""
        for view in views:
            self.views.setdefault(view.key, view)
            self._announced.add(view.key)

    @callback
    def forget(self, key: str) -> None:
        """A site's device was deleted: forget it until it is heard again."""
        self.views.pop(key, None)
        self._announced.discard(key)
        self.refusals.pop(key, None)
        self._shown.pop(key, None)
        if self._silent is not None and key in self._silent:
            self._tell_silence(self._silent - {key})
        self._notify_change()

    def site_names(self) -> dict[str, str]:
        """Each site's key and name."""
        return {key: view.name for key, view in self.views.items()}

    def region_object(self) -> dict[str, Any]:
        """The region as the regional page reads it, as of now."""
        return region_object(
            self.entry.title,
            self.settings.county,
            self.views.values(),
            dt_util.utcnow(),
            self.settings,
        )

    # -- life cycle ----------------------------------------------------------------

    async def async_start(self) -> None:
        """Subscribe to the county's site topics and start watching the clock."""
        from homeassistant.components import mqtt  # noqa: PLC0415

        for topic in self.settings.topic_filters():
            self._unsubs.append(
                await mqtt.async_subscribe(
                    self.hass, topic, self._message, QOS, encoding=None
                )
            )
            self.topics.append(topic)
            self._unsubs.append(
                mqtt.async_on_subscribe_done(
                    self.hass, topic, QOS, partial(self.subscribed.add, topic)
                )
            )
        # The first look at the clock waits a tick: the broker hands over the
        # retained statuses first, so a restart does not flash every site
        # as silent.
        self._unsubs.append(
            async_track_time_interval(
                self.hass, self._tick, TICK, name=f"{DOMAIN} region silence"
            )
        )

    @callback
    def async_stop(self) -> None:
        """Unsubscribe and stop watching the clock."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs = []
        self.topics = []
        self.subscribed = set()

    def connected(self) -> bool:
        """Whether Home Assistant's MQTT client is connected to the broker."""
        if MQTT_DOMAIN not in self.hass.config.components:
            return False
        from homeassistant.components import mqtt  # noqa: PLC0415

        try:
            return mqtt.is_connected(self.hass)
        except KeyError:  # the MQTT integration was unloaded
            return False

    # -- messages ------------------------------------------------------------------

    @callback
    def _message(self, msg: ReceiveMessage) -> None:
        received = dt_util.utcnow()
        payload = _bytes(msg.payload)
        try:
            topic = parse_topic(msg.topic, self.settings.county)
        except RefusedError as refused:
            self._refuse(_topic_place(msg.topic), msg.topic, refused, received)
            return
        if not payload and topic.leaf is not Leaf.EVENT:
            # A retained message cleared: the site was taken away
            # (docs/mqtt.md). Its device stays until someone deletes it.
            return
        try:
            self._take(topic, payload, retained=msg.retain, received=received)
        except RefusedError as refused:
            self._refuse(topic.key, msg.topic, refused, received)

    def _take(
        self, topic: SiteTopic, payload: bytes, *, retained: bool, received: datetime
    ) -> None:
        county = self.settings.county
        if topic.leaf is Leaf.STATUS:
            status = read_status(
                topic, payload, county, retained=retained, received=received
            )
            view = self._view(topic)
            old_name = view.name
            view.take_status(
                status, heard_at(status, retained=retained, received=received)
            )
            if view.name != old_name:
                self._rename(view)
        elif topic.leaf is Leaf.EVENT:
            event = read_event(topic, payload, county, received=received)
            view = self._view(topic)
            view.take_event(event, received)
            for observer in list(self._event_observers):
                observer(view.key, event)
        else:
            available = read_availability(payload)
            view = self._view(topic)
            view.available = available
            if not retained:
                view.hear(received)
        self.messages += 1
        # A site gets its device with its first status, named as the site
        # names itself: a device made from an availability or an event would
        # be named by its id and renamed a moment later, and a county's
        # Home Assistant starting beside a thousand sites would rename a
        # thousand devices (each rename rewrites the device's six states).
        new = view.status is not None and view.key not in self._announced
        if new:
            self._announced.add(view.key)
        self._changed(view, received, new=new)

    def _view(self, topic: SiteTopic) -> SiteView:
        view = self.views.get(topic.key)
        if view is None:
            view = self.views[topic.key] = SiteView(topic.municipality, topic.site_id)
        return view

    def _refuse(
        self, key: str, topic: str, refused: RefusedError, received: datetime
    ) -> None:
        refusals = self.refusals.setdefault(key, Refusals())
        refusals.add(refused, topic, received)
        if key in self._warned:
            LOGGER.debug("%s: refused %s: %s", self.entry.title, topic, refused)
            return
        self._warned.add(key)
        LOGGER.warning(
            "%s: refused a message on %s (%s); further refusals from this site "
            "are only counted, see the region's diagnostics",
            self.entry.title,
            topic,
            refused,
        )

    @callback
    def _rename(self, view: SiteView) -> None:
        """A site's device follows the name the site gives itself."""
        registry = dr.async_get(self.hass)
        identifier = device_identifier(self.entry.entry_id, view.key)
        device = registry.async_get_device_by_identifier(
            identifier, self.entry.entry_id
        )
        if device is not None and device.name != view.name:
            registry.async_update_device(device.id, name=view.name)

    # -- telling the observers -----------------------------------------------------

    def _changed(self, view: SiteView, now: datetime, *, new: bool = False) -> None:
        key = view.key
        silent = view.silent(now, self.settings)
        self._shown[key] = (silent, view.rank(now, self.settings))
        if new:
            async_dispatcher_send(self.hass, self.new_site_signal, key)
        for listener in list(self._site_listeners.get(key, ())):
            listener()
        if self._silent is not None and silent != (key in self._silent):
            self._tell_silence(self._silent ^ {key})
        self._notify_change()

    def _notify_change(self) -> None:
        for listener in list(self._change_listeners):
            listener()

    @callback
    def _tick(self, _now: datetime) -> None:
        now = dt_util.utcnow()
        changed = False
        for key, view in self.views.items():
            shown = (view.silent(now, self.settings), view.rank(now, self.settings))
            if self._shown.get(key) != shown:
                self._shown[key] = shown
                changed = True
                for listener in list(self._site_listeners.get(key, ())):
                    listener()
        silent = {key for key, (quiet, _rank) in self._shown.items() if quiet}
        if silent != self._silent:
            self._tell_silence(silent)
        if changed:
            self._notify_change()

    def _tell_silence(self, silent: set[str]) -> None:
        self._silent = silent
        views = [self.views[key] for key in sorted(silent) if key in self.views]
        for observer in list(self._silence_observers):
            observer(views)


async def async_wait_for_mqtt(hass: HomeAssistant) -> None:
    """Wait for Home Assistant's MQTT client; ConfigEntryNotReady without one.

    A region reads nothing without MQTT. Home Assistant retries the setup,
    and the config entry says why meanwhile.
    """
    if not hass.config_entries.async_has_entries(
        MQTT_DOMAIN, include_disabled=False, include_ignore=False
    ):
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="region_needs_mqtt"
        )
    from homeassistant.components import mqtt  # noqa: PLC0415

    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="region_needs_mqtt"
        )
