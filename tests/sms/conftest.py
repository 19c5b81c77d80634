"""SMS through Home Assistant's own `sms` integration, real gammu and an emulated modem.

What is real: Home Assistant's `sms` integration as it last shipped (2025.11,
before HA removed it; the HACS "Legacy GSM SMS" integration users install now
is a fork of the same code), set up through its own config flow; python-gammu
and libgammu, talking AT commands over a serial device. What is not: the
modem, `simulator.gsm_modem.GsmModem` on a pty, whose slave is the device
gammu opens.

scripts/setup puts the integration, unmodified but for its manifest's
"version", into the test venv (`sot-point-extras/sms`, or wherever SOT_HA_SMS
points); these fixtures make it loadable as the custom integration
`custom_components.sms`. Without it, or without python-gammu, the tests skip.

Two waits are shorter than in a real installation. gammu's worker thread
reads the modem (and so finds a new SMS) only after its command queue has
been idle for 10 s: the `pull_interval` fixture shortens that (override it
with None for the real wait). And python-gammu's async worker, stopping,
naps 5 s whenever its thread has not quite ended: here it looks every 0.05 s.
Everything else runs as it would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
import importlib.util
import os
from pathlib import Path
import queue
import sys
from types import SimpleNamespace
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntry
from homeassistant.const import CONF_DEVICE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.loader import DATA_CUSTOM_COMPONENTS
import pytest

import custom_components
from simulator.gsm_modem import GsmModem

SMS_DOMAIN = "sms"
INCOMING_SMS = "sms.incoming_sms"
# Where scripts/setup puts Home Assistant's `sms` integration: <this>/sms.
HA_SMS_EXTRAS = Path(
    os.environ.get("SOT_HA_SMS") or Path(sys.prefix) / "sot-point-extras"
)
# The config flow's "Auto" baud speed: gammu's plain "at" connection. A pty
# has no line speed; any choice works the same.
BAUD_SPEED = "0"


@pytest.fixture(scope="session")
def ha_sms() -> Path:
    """The folder holding Home Assistant's `sms` integration; skip without it."""
    if importlib.util.find_spec("gammu") is None:
        pytest.skip("python-gammu is not installed: run scripts/setup")
    if not (HA_SMS_EXTRAS / "sms" / "manifest.json").is_file():
        pytest.skip(
            f"Home Assistant's sms integration is not in {HA_SMS_EXTRAS}: "
            "run scripts/setup (as root for its Debian root)"
        )
    return HA_SMS_EXTRAS


@pytest.fixture
def modem(ha_sms: Path) -> Iterator[GsmModem]:
    """An emulated GSM modem on a pty, for this test only."""
    with GsmModem() as gsm_modem:
        yield gsm_modem


@pytest.fixture
def pull_interval() -> float | None:
    """Seconds gammu's worker idles before it reads the modem; None: the real 10 s."""
    return 0.2


class _PromptQueue(queue.Queue[Any]):
    """gammu's command queue, whose idle wait before a pull is at most `idle`."""

    idle = 10.0

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        if timeout is not None:
            timeout = min(timeout, self.idle)
        return super().get(block, timeout)


class _QuickAsyncio:
    """asyncio for python-gammu's async worker, checking its ended thread often.

    After its Terminate command the worker sleeps 5 s whenever its thread
    has not quite ended yet; the thread's end is what it waits for, not the
    5 s, so a shorter nap changes nothing but the wait.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result: Any = None) -> Any:
        return await asyncio.sleep(min(delay, 0.05), result)


@pytest.fixture
def _gammu_timing(
    monkeypatch: pytest.MonkeyPatch, ha_sms: Path, pull_interval: float | None
) -> None:
    """gammu's worker reads the modem after `pull_interval` idle seconds."""
    worker = importlib.import_module("gammu.worker")
    asyncworker = importlib.import_module("gammu.asyncworker")
    monkeypatch.setattr(asyncworker, "asyncio", _QuickAsyncio())
    if pull_interval is not None:
        prompt = type("PromptQueue", (_PromptQueue,), {"idle": pull_interval})
        monkeypatch.setattr(
            worker, "queue", SimpleNamespace(Queue=prompt, Empty=queue.Empty)
        )


@pytest.fixture
def _ha_sms_loadable(hass: HomeAssistant, ha_sms: Path) -> Iterator[None]:
    """Home Assistant finds `sms` among the custom integrations."""
    paths: list[str] = custom_components.__path__
    paths.append(str(ha_sms))
    hass.data.pop(DATA_CUSTOM_COMPONENTS, None)
    yield
    paths.remove(str(ha_sms))


@pytest.fixture
async def sms_ready(
    hass: HomeAssistant,
    modem: GsmModem,
    _ha_sms_loadable: None,
    _gammu_timing: None,
) -> AsyncIterator[ConfigEntry]:
    """`sms` set up through its config flow on the modem: `notify.sms` is there."""
    result = await hass.config_entries.flow.async_init(
        SMS_DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM, result
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE: modem.device, "baud_speed": BAUD_SPEED}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["title"] == modem.imei
    await hass.async_block_till_done()
    assert hass.services.has_service("notify", SMS_DOMAIN)
    entry = result["result"]
    yield entry
    # Before the modem goes: gammu's thread ends with the entry.
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@dataclass
class Incoming:
    """Every `sms.incoming_sms` event since the fixture started, oldest first."""

    events: list[dict[str, Any]] = field(default_factory=list)

    async def wait(self, count: int = 1, seconds: float = 60.0) -> list[dict[str, Any]]:
        """Wait until `count` SMS have reached Home Assistant in all; return them."""
        for _ in range(int(seconds / 0.02)):
            if len(self.events) >= count:
                return list(self.events)
            await asyncio.sleep(0.02)
        raise AssertionError(f"{len(self.events)} of {count} SMS after {seconds} s")


@pytest.fixture
def incoming(hass: HomeAssistant) -> Iterator[Incoming]:
    """What Home Assistant's `sms` integration fires for each SMS it reads."""
    received = Incoming()

    @callback
    def collect(event: Event[dict[str, Any]]) -> None:
        received.events.append(dict(event.data))

    unsubscribe = hass.bus.async_listen(INCOMING_SMS, collect)
    yield received
    unsubscribe()


async def send_sms(
    hass: HomeAssistant, target: str, message: str, *, unicode: bool | None = None
) -> None:
    """Send `message` to `target` with `notify.sms`, as an automation does.

    `unicode` None leaves it to the integration (which then sends UCS-2).
    """
    data: dict[str, Any] = {"message": message, "target": [target]}
    if unicode is not None:
        data["data"] = {"unicode": unicode}
    await hass.services.async_call("notify", SMS_DOMAIN, data, blocking=True)
