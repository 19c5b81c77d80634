"""Headless Debian chromium: screenshots for the README and the browser tests.

Screenshots use chromium's own `--screenshot`; the layout probe talks the
DevTools protocol over a websocket to ask the rendered page how wide it
really is at a phone's width (a page wider than the screen means sideways
scrolling, the first thing that makes a page unreadable on a small phone).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
from pathlib import Path
import re
import shutil
import signal
import tempfile
from typing import Any, Final

import aiohttp

CHROMIUM: Final = shutil.which("chromium") or shutil.which("chromium-browser")
_FLAGS: Final = (
    "--headless",
    "--no-sandbox",  # the tests run as root in a chroot
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--accept-lang=sv-SE,sv",  # a Swedish phone
)

# Every page is looked at in the time zone of the sites (and the demo).
TIME_ZONE = "Europe/Stockholm"


async def screenshot(
    url: str, out: Path, width: int, height: int, *, javascript: bool = True
) -> Path:
    """Render `url` in a `width` x `height` window and save a PNG."""
    assert CHROMIUM is not None
    out.parent.mkdir(parents=True, exist_ok=True)
    # chromium's helper processes can still be writing the profile as the
    # browser exits, so a leftover file is no reason to fail the test.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        args = [
            *_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={out}",
            f"--window-size={width},{height}",
        ]
        if not javascript:
            args.append("--blink-settings=scriptEnabled=false")
        process = await asyncio.create_subprocess_exec(
            CHROMIUM,
            *args,
            url,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode(errors="replace")[-2000:]
    assert out.is_file(), stderr.decode(errors="replace")[-2000:]  # noqa: ASYNC240
    return out


class DevTools:
    """One headless chromium driven over the DevTools protocol."""

    def __init__(self) -> None:
        """Nothing runs before `start`."""
        self._process: asyncio.subprocess.Process | None = None
        self._profile = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._next = 0

    async def start(self) -> None:
        """Start chromium and connect to its browser endpoint."""
        assert CHROMIUM is not None
        self._process = await asyncio.create_subprocess_exec(
            CHROMIUM,
            *_FLAGS,
            f"--user-data-dir={self._profile.name}",
            "--remote-debugging-port=0",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # one group: `stop` ends its helpers too
        )
        assert self._process.stderr is not None
        endpoint = ""
        async with asyncio.timeout(30):
            while not endpoint:
                line = (await self._process.stderr.readline()).decode()
                assert line, "chromium exited before its DevTools endpoint"
                found = re.search(r"DevTools listening on (ws://\S+)", line)
                endpoint = found.group(1) if found else ""
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(endpoint, max_msg_size=0)

    async def call(
        self, method: str, params: dict[str, Any] | None = None, session: str = ""
    ) -> dict[str, Any]:
        """Send one command and wait for its answer (events are skipped)."""
        assert self._ws is not None
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method}
        message["params"] = params or {}
        if session:
            message["sessionId"] = session
        await self._ws.send_json(message)
        async with asyncio.timeout(30):
            while True:
                answer = await self._ws.receive_json()
                if answer.get("id") == self._next:
                    assert "error" not in answer, answer
                    result: dict[str, Any] = answer["result"]
                    return result

    async def open_tab(
        self, url: str, width: int, height: int, *, javascript: bool = True
    ) -> tuple[str, str]:
        """A new tab of `width` x `height` showing `url`: (target, session)."""
        target = await self.call("Target.createTarget", {"url": "about:blank"})
        attached = await self.call(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        session = attached["sessionId"]
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": width,
                "height": height,
                "deviceScaleFactor": 1,
                "mobile": width < 600,
            },
            session,
        )
        # The site's own clock: the dashboard's times and the page's agree.
        await self.call(
            "Emulation.setTimezoneOverride", {"timezoneId": TIME_ZONE}, session
        )
        if not javascript:
            await self.call(
                "Emulation.setScriptExecutionDisabled", {"value": True}, session
            )
        await self.navigate(url, session)
        return target["targetId"], session

    async def navigate(self, url: str, session: str) -> None:
        """Show `url` in the tab and wait until it has loaded."""
        await self.call("Page.navigate", {"url": url}, session)
        for _ in range(200):
            state = await self.evaluate("document.readyState", session)
            if state == "complete":
                break
            await asyncio.sleep(0.05)

    async def wait_for(self, expression: str, session: str, seconds: float) -> bool:
        """Whether `expression` became true in the tab within `seconds`."""
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            if await self.evaluate(expression, session):
                return True
            await asyncio.sleep(0.25)
        return False

    async def capture(self, session: str, out: Path) -> Path:
        """Save what the tab shows as a PNG."""
        shot = await self.call("Page.captureScreenshot", {"format": "png"}, session)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(shot["data"]))  # noqa: ASYNC240 - small file
        return out

    async def close_tab(self, target: str) -> None:
        """Close a tab opened with `open_tab`."""
        await self.call("Target.closeTarget", {"targetId": target})

    async def page_width(self, url: str, width: int, height: int = 800) -> int:
        """How wide the page at `url` lays itself out in a `width` px viewport."""
        target, session = await self.open_tab(url, width, height)
        value = await self.evaluate(
            "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)",
            session,
        )
        await self.close_tab(target)
        return int(value)

    async def screenshot(
        self, url: str, out: Path, width: int, height: int, *, javascript: bool
    ) -> Path:
        """A PNG of `url` in a `width` x `height` viewport, scripts on or off.

        chromium's `--screenshot` needs script in the page to capture, so
        the page without JavaScript is captured over the protocol instead.
        """
        target, session = await self.open_tab(url, width, height, javascript=javascript)
        await self.capture(session, out)
        await self.close_tab(target)
        return out

    async def evaluate(self, expression: str, session: str) -> Any:
        """The value of a JavaScript expression in the tab."""
        result = await self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True},
            session,
        )
        return result["result"].get("value")

    async def stop(self) -> None:
        """Close the connection and end chromium."""
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            await self._process.wait()
        if self._process is not None:
            # The zygote and crashpad helpers outlive the browser for a moment
            # and write into the profile; end them before removing it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
        self._profile.cleanup()
