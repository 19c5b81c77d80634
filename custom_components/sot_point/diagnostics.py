"""Diagnostics: settings, devices and the raw register blocks of the last poll."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, cast

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_HOST, CONF_SERIAL, CONF_SERIAL_PORT
from .coordinator import DeviceHandle, SotPointCoordinator
from .hardware.devices import DseController
from .region.diagnostics import region_diagnostics
from .region.hub import RegionConfigEntry
from .rules.region import is_region
from .runtime import SotPointConfigEntry

TO_REDACT = {
    CONF_HOST,
    CONF_SERIAL,
    CONF_SERIAL_PORT,
    "serial_number",
    "latitude",
    "longitude",
}


def _device(handle: DeviceHandle) -> dict[str, Any]:
    reader = handle.reader
    info: dict[str, Any] = {
        "type": handle.kind,
        "title": handle.subentry.title,
        "data": dict(handle.subentry.data),
        "connection": asdict(reader.connection.stats),
    }
    if isinstance(reader, DseController):
        info["model_code"] = reader.model_code
        info["supported_functions"] = sorted(reader.supported_functions)
        info["raw_blocks"] = reader.raw_blocks()
        info["errors"] = {name: str(err) for name, err in reader.errors.items()}
    return info


def _private_values(coordinator: SotPointCoordinator) -> set[str]:
    """The redacted settings' values: device titles and error texts name them too."""
    return {
        str(value)
        for handle in coordinator.devices.values()
        for key, value in handle.subentry.data.items()
        if key in TO_REDACT and value not in (None, "")
    }


def _scrub(value: Any, private: set[str]) -> Any:
    """`value` with every private text inside its strings replaced."""
    if isinstance(value, str):
        for text in private:
            value = value.replace(text, REDACTED)
        return value
    if isinstance(value, dict):
        return {key: _scrub(item, private) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, private) for item in value]
    return value


def _readiness(entry: SotPointConfigEntry) -> dict[str, Any]:
    watch = entry.runtime_data.readiness
    current = watch.current
    return {
        "ready": current.ready,
        "causes": [cause.value for cause in current.causes],
        "details": dict(current.details),
        "battery_days": watch.battery.dump(),
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SotPointConfigEntry
) -> dict[str, Any]:
    """Everything a technician needs to see why a site reads what it reads."""
    if is_region(entry.data):
        return region_diagnostics(cast(RegionConfigEntry, entry))
    coordinator = entry.runtime_data.coordinator
    uplink = entry.runtime_data.uplink
    state = coordinator.data
    redacted = async_redact_data(
        {
            "options": dict(entry.options),
            "devices": [_device(h) for h in coordinator.devices.values()],
            "site": {
                "mode": state.mode.value,
                "mains_available": state.mains_available,
                "outage_started": state.outage_started,
                "fuel": asdict(state.fuel),
                "failed": sorted(
                    coordinator.devices[k].subentry.title for k in state.failed
                ),
            },
            # The county uplink: its topics, the connection, the queue on disk.
            "uplink": uplink.diagnostics() if uplink else {"enabled": False},
            # Why the set is (not) ready, with the battery's daily figures the
            # trend rests on; the outages that make them rolling.
            "readiness": _readiness(entry),
            "rolling_outages": None
            if entry.runtime_data.rolling is None
            else entry.runtime_data.rolling.as_data(),
        },
        TO_REDACT,
    )
    scrubbed: dict[str, Any] = _scrub(redacted, _private_values(coordinator))
    return scrubbed
