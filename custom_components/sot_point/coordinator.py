"""The site coordinator: polls every device of a site, builds one SiteState a cycle."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, override

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
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
from .hardware.errors import HardwareError, WrongDeviceError
from .hardware.state import GeneratorState, IoState, TransferState
from .helpers import (
    connection_settings_from,
    endpoint_from,
    io_config_from,
    poll_intervals_from,
    site_settings_from,
)
from .site import FuelEstimate, SiteState, SiteTracker, Snapshots

if TYPE_CHECKING:
    from .control import SiteControl
    from .journal import Journal

FUEL_STORE_VERSION = 1
FUEL_SAVE_DELAY_S = 60

type Reader = DseController | IoModule | TransferSwitch
type Snapshot = GeneratorState | IoState | TransferState


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


@dataclass(kw_only=True)
class SotPointData:
    """What a loaded site keeps while it runs."""

    coordinator: SotPointCoordinator
    control: SiteControl
    journal: Journal
    # The integration's English device and entity names, by translation key,
    # for the entity ids (see SotPointEntity.async_prepare_to_add_to_hass).
    english_names: Mapping[str, str]
    pool: ConnectionPool = field(default_factory=ConnectionPool)


type SotPointConfigEntry = ConfigEntry[SotPointData]


class SotPointCoordinator(DataUpdateCoordinator[SiteState]):
    """Polls every device of one site each second.

    A device that does not answer is reported in `SiteState.failed` rather than
    failing the whole update: the generator going silent must not blank the
    warm room's thermometer. Only when every device is silent does the update
    fail, so that everything shows unavailable together.
    """

    config_entry: SotPointConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: SotPointConfigEntry, pool: ConnectionPool
    ) -> None:
        """Prepare the coordinator; devices are set up in `_async_setup`."""
        self.pool = pool
        self.tracker = SiteTracker(site_settings_from(entry.options))
        # Set by setup before the first refresh; sees every SiteState.
        self.journal: Journal | None = None
        # The fuel estimate of a tank without a sensor must survive a restart,
        # or the deliveries the association recorded would be forgotten.
        self._fuel_store: Store[dict[str, Any]] = Store(
            hass, FUEL_STORE_VERSION, f"{DOMAIN}.{entry.entry_id}.fuel"
        )
        self.devices: dict[str, DeviceHandle] = {}
        self.site_device_id = ""
        self._silent: set[str] = set()
        # The last poll's snapshots, for a state rebuilt between polls.
        self._snapshots: Snapshots | None = None
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=timedelta(seconds=STATUS_INTERVAL_S),
        )

    @override
    async def _async_setup(self) -> None:
        """Register the site's device; open (or share) a connection per device."""
        stored = await self._fuel_store.async_load()
        if stored and stored.get("estimate"):
            self.tracker.estimate = FuelEstimate.from_dict(stored["estimate"])
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
            reader = DseController(
                connection,
                int(data.get(CONF_UNIT_ID, DEFAULT_GENERATOR_UNIT_ID)),
                poll_intervals_from(self.config_entry.options),
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
        failed = frozenset(
            h.subentry.subentry_id
            for h, result in zip(handles, results, strict=True)
            if result is None
        )
        if handles and len(failed) == len(handles):
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="site_unreachable",
                translation_placeholders={"site": self.config_entry.title},
            )
        snapshots = Snapshots(
            generator=_first(handles, results, SUBENTRY_GENERATOR, GeneratorState),
            io=_first(handles, results, SUBENTRY_IO_MODULE, IoState),
            transfer_switch=_first(
                handles, results, SUBENTRY_TRANSFER_SWITCH, TransferState
            ),
            failed=failed,
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

    def _site_state(self, snapshots: Snapshots) -> SiteState:
        """Fold the devices' snapshots into the site's state, and tell the journal."""
        self._snapshots = snapshots
        state = self.tracker.update(snapshots, dt_util.utcnow())
        if self.tracker.estimate is not None:
            self._fuel_store.async_delay_save(self._fuel_data, FUEL_SAVE_DELAY_S)
        if self.journal is not None:
            # A fault in the journal must not blank the site's entities: the
            # record is lost, the poll is not.
            try:
                self.journal.observe(state)
            except Exception:
                LOGGER.exception(
                    "%s: journal could not record", self.config_entry.title
                )
        return state

    def _fuel_data(self) -> dict[str, Any]:
        estimate = self.tracker.estimate
        return {"estimate": estimate.as_dict() if estimate else None}

    async def async_save_fuel(self) -> None:
        """Write the fuel estimate now (after a delivery, and on unload)."""
        await self._fuel_store.async_save(self._fuel_data())

    async def _poll(self, handle: DeviceHandle) -> Snapshot | None:
        """One device's snapshot, or None when it did not answer."""
        try:
            snapshot = await handle.reader.poll()
            self._check_identity(handle)
        except HardwareError as err:
            if isinstance(handle.reader, DseController):
                # Whatever answers here next may be another controller (a
                # rewiring, or the wrong one put right): read who it is again.
                handle.reader.identity = None
            self._log_silence(handle, err)
            return None
        self._log_return(handle)
        return snapshot

    def _check_identity(self, handle: DeviceHandle) -> None:
        # An address can end up on another controller after a rewiring; its
        # values are not this generator's, whatever the entities are called.
        reader = handle.reader
        expected = handle.subentry.data.get(CONF_SERIAL)
        if not isinstance(reader, DseController) or reader.identity is None:
            return
        issue_id = f"wrong_device_{handle.subentry.subentry_id}"
        if expected is not None and reader.identity.serial != str(expected):
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="wrong_device",
                translation_placeholders={
                    "device": handle.subentry.title,
                    "expected": str(expected),
                    "found": reader.identity.serial,
                },
            )
            msg = f"serial {reader.identity.serial}, expected {expected}"
            raise WrongDeviceError(msg)
        ir.async_delete_issue(self.hass, DOMAIN, issue_id)

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
        """Stop polling, keep the fuel estimate, let go of every connection."""
        await super().async_shutdown()
        if self.tracker.estimate is not None:
            await self.async_save_fuel()
        for handle in self.devices.values():
            await self.pool.release(handle.endpoint)
        self.devices.clear()

    def handle_of(self, kind: str) -> DeviceHandle | None:
        """The first device of a kind, if the site has one."""
        return next((h for h in self.devices.values() if h.kind == kind), None)


def _first[T: (GeneratorState, IoState, TransferState)](
    handles: list[DeviceHandle],
    results: list[Snapshot | None],
    kind: str,
    expected: type[T],
) -> T | None:
    for handle, result in zip(handles, results, strict=True):
        if handle.kind == kind and isinstance(result, expected):
            return result
    return None
