"""The site coordinator: polls every device of a site, builds one SiteState a cycle."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import override

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    CONF_CONTROLLER_FAMILY,
    CONF_SERIAL,
    CONF_UNIT_ID,
    DEFAULT_ATS_UNIT_ID,
    DEFAULT_GENERATOR_UNIT_ID,
    DEFAULT_IO_UNIT_ID,
    DOMAIN,
    LOGGER,
    STATUS_INTERVAL_S,
    SUBENTRY_GENERATOR,
    SUBENTRY_IO_MODULE,
    SUBENTRY_TRANSFER_SWITCH,
)
from .hardware.client import ConnectionPool, Endpoint
from .hardware.devices import DseController, IoModule, TransferSwitch
from .hardware.errors import HardwareError, SerialMismatchError
from .hardware.families import family_of, make_controller
from .hardware.state import GeneratorState, IoState, TransferState
from .rules.site import SiteState, SiteTracker, Snapshots
from .settings import (
    connection_settings_from,
    endpoint_from,
    io_config_from,
    poll_intervals_from,
    site_settings_from,
)

type Reader = DseController | IoModule | TransferSwitch
type Snapshot = GeneratorState | IoState | TransferState
# Called with every new SiteState: the journal, repairs, the fuel memory.
type SiteObserver = Callable[[SiteState], None]


SITE_MANUFACTURER = "SOT Point"
SITE_MODEL = "SOT-punkt"


def site_device_info(entry_id: str, title: str) -> DeviceInfo:
    """The site's own device, parent of all the others."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry_id)},
        name=title,
        manufacturer=SITE_MANUFACTURER,
        model=SITE_MODEL,
    )


@dataclass
class DeviceHandle:
    """One device of the site: its subentry, connection and reader."""

    subentry: ConfigSubentry
    endpoint: Endpoint
    reader: Reader

    @property
    def kind(self) -> str:
        """The subentry type: generator, io_module or transfer_switch."""
        return self.subentry.subentry_type


class SotPointCoordinator(DataUpdateCoordinator[SiteState]):
    """Polls every device of one site each second.

    A device that does not answer is reported in `SiteState.failed` rather than
    failing the whole update: the generator going silent must not blank the
    warm room's thermometer. Only when every device is silent does the update
    fail, so that everything shows unavailable together.
    """

    config_entry: ConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, pool: ConnectionPool
    ) -> None:
        """Prepare the coordinator; devices are set up in `_async_setup`."""
        self.pool = pool
        self.tracker = SiteTracker(site_settings_from(entry.options))
        self.devices: dict[str, DeviceHandle] = {}
        self.site_device_id = ""
        self._silent: set[str] = set()
        self._observers: list[SiteObserver] = []
        # The last poll's snapshots, for a state rebuilt between polls.
        self._snapshots: Snapshots | None = None
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=timedelta(seconds=STATUS_INTERVAL_S),
        )

    @callback
    def async_add_observer(self, observer: SiteObserver) -> CALLBACK_TYPE:
        """Call `observer` with every new SiteState, before the entities see it."""
        self._observers.append(observer)

        @callback
        def remove() -> None:
            if observer in self._observers:
                self._observers.remove(observer)

        return remove

    def resume_outage(self, started: datetime) -> None:
        """An outage that was going on when Home Assistant stopped began then."""
        self.tracker.resume_outage(started)

    @override
    async def _async_setup(self) -> None:
        """Register the site's device; open (or share) a connection per device."""
        # The same fields as site_device_info, passed one by one: unpacking a
        # DeviceInfo leans on the dict layer HA 2026.11 keeps only for now.
        site = dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.config_entry.entry_id,
            identifiers={(DOMAIN, self.config_entry.entry_id)},
            name=self.config_entry.title,
            manufacturer=SITE_MANUFACTURER,
            model=SITE_MODEL,
        )
        self.site_device_id = site.id
        for subentry in self.config_entry.subentries.values():
            self.devices[subentry.subentry_id] = self._handle(subentry)

    def _handle(self, subentry: ConfigSubentry) -> DeviceHandle:
        data = subentry.data
        endpoint = endpoint_from(data)
        connection = self.pool.acquire(endpoint, connection_settings_from(data))
        reader: Reader
        if subentry.subentry_type == SUBENTRY_GENERATOR:
            serial = data.get(CONF_SERIAL)
            # Subentries made before the family was asked for are DSE.
            reader = make_controller(
                family_of(data.get(CONF_CONTROLLER_FAMILY)),
                connection,
                int(data.get(CONF_UNIT_ID, DEFAULT_GENERATOR_UNIT_ID)),
                poll_intervals_from(self.config_entry.options),
                expected_serial=None if serial is None else str(serial),
            )
        elif subentry.subentry_type == SUBENTRY_IO_MODULE:
            reader = IoModule(
                connection,
                io_config_from(data, self.config_entry.options),
                int(data.get(CONF_UNIT_ID, DEFAULT_IO_UNIT_ID)),
            )
        else:
            reader = TransferSwitch(
                connection, int(data.get(CONF_UNIT_ID, DEFAULT_ATS_UNIT_ID))
            )
        return DeviceHandle(subentry, endpoint, reader)

    @override
    async def _async_update_data(self) -> SiteState:
        """Poll all devices (those on one bus queue behind each other)."""
        handles = list(self.devices.values())
        results = await asyncio.gather(*(self._poll(handle) for handle in handles))
        answers = list(zip(handles, results, strict=True))
        failed = frozenset(
            h.subentry.subentry_id
            for h, result in answers
            if isinstance(result, HardwareError)
        )
        if handles and len(failed) == len(handles):
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="site_unreachable",
                translation_placeholders={"site": self.config_entry.title},
            )
        snapshots = Snapshots(
            generator=_first(answers, SUBENTRY_GENERATOR, GeneratorState),
            io=_first(answers, SUBENTRY_IO_MODULE, IoState),
            transfer_switch=_first(answers, SUBENTRY_TRANSFER_SWITCH, TransferState),
            failed=failed,
            wrong_devices={
                h.subentry.subentry_id: (result.expected, result.found)
                for h, result in answers
                if isinstance(result, SerialMismatchError)
            },
        )
        return self._site_state(snapshots)

    @callback
    def async_set_generator_state(self, generator: GeneratorState) -> None:
        """Publish the site with a fresh read of the controller, between polls.

        A command's verification reads the controller anyway: with what it
        read, the entities follow the command as the controller does (mode
        changed, PRE_START) instead of lagging until the next poll.
        """
        if self._snapshots is None:
            return
        handle = self.handle_of(SUBENTRY_GENERATOR)
        answered = {handle.subentry.subentry_id} if handle else set()
        snapshots = replace(
            self._snapshots,
            generator=generator,
            failed=self._snapshots.failed - answered,
        )
        self.async_set_updated_data(self._site_state(snapshots))

    @callback
    def async_set_unanswered(self) -> None:
        """Hold a state in which no device has answered yet, as data.

        For a setup whose first poll found nothing (Home Assistant booted on
        the generator before the gateway did): the site sets up all the same,
        every device's entities unavailable, and the regular poll finds them.
        The observers (the journal) are not told: nothing was seen.
        """
        failed = frozenset(
            handle.subentry.subentry_id for handle in self.devices.values()
        )
        snapshots = Snapshots(
            generator=None,
            io=None,
            transfer_switch=None,
            failed=failed,
            wrong_devices={},
        )
        self.data = self.tracker.update(snapshots, dt_util.utcnow())

    def _site_state(self, snapshots: Snapshots) -> SiteState:
        """Fold the devices' snapshots into the site's state; tell the observers."""
        self._snapshots = snapshots
        state = self.tracker.update(snapshots, dt_util.utcnow())
        for observer in list(self._observers):
            observer(state)
        return state

    async def _poll(self, handle: DeviceHandle) -> Snapshot | HardwareError:
        """One device's snapshot, or why it gave none."""
        try:
            snapshot = await handle.reader.poll()
        except HardwareError as err:
            self._log_silence(handle, err)
            return err
        self._log_return(handle)
        return snapshot

    def _log_silence(self, handle: DeviceHandle, err: HardwareError) -> None:
        key = handle.subentry.subentry_id
        if key not in self._silent:
            self._silent.add(key)
            LOGGER.warning(
                "%s: %s stopped answering at %s: %s",
                self.config_entry.title,
                handle.subentry.title,
                handle.endpoint,
                err,
            )

    def _log_return(self, handle: DeviceHandle) -> None:
        key = handle.subentry.subentry_id
        if key in self._silent:
            self._silent.discard(key)
            LOGGER.info(
                "%s: %s answers again", self.config_entry.title, handle.subentry.title
            )

    @override
    async def async_shutdown(self) -> None:
        """Stop polling and let go of every connection."""
        await super().async_shutdown()
        self._observers.clear()
        for handle in self.devices.values():
            await self.pool.release(handle.endpoint)
        self.devices.clear()

    def handle_of(self, kind: str) -> DeviceHandle | None:
        """The first device of a kind, if the site has one."""
        return next((h for h in self.devices.values() if h.kind == kind), None)


def _first[T: (GeneratorState, IoState, TransferState)](
    answers: list[tuple[DeviceHandle, Snapshot | HardwareError]],
    kind: str,
    expected: type[T],
) -> T | None:
    for handle, result in answers:
        if handle.kind == kind and isinstance(result, expected):
            return result
    return None
