"""Krisinformation's API v3 on loopback: recorded answers, moved on to today.

The tests and the demo have no internet. This serves `/v3/news` and
`/v3/vmas` as Krisinformation's public API does, from recorded answers (a
folder with `news.json` and `vmas.json`, written from the documented
format), with every time in them moved on by the time since `recorded`, so
the items are as fresh as when they were recorded. `working = False` makes
it answer 503, as a fetch without internet fails.

    python -m simulator.krisinformation --port 8091 --recordings demo/krisinformation
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import re
from typing import Any

from aiohttp import web

TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


def moved(value: Any, offset: timedelta) -> Any:
    """A recorded answer with every time in it moved on by `offset`."""
    if isinstance(value, list):
        return [moved(v, offset) for v in value]
    if isinstance(value, dict):
        return {k: moved(v, offset) for k, v in value.items()}
    if isinstance(value, str) and TIME.fullmatch(value):
        return (datetime.fromisoformat(value) + offset).isoformat()
    return value


@dataclass
class KrisinformationStandIn:
    """The API's two resources from a folder of recorded answers."""

    recordings: Path
    # The moment the answers were recorded; whole seconds to now.
    recorded: datetime
    working: bool = True
    url: str = ""
    requests: list[dict[str, str]] = field(default_factory=list)
    offset: timedelta = field(init=False)
    _runner: web.AppRunner | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        """Times move on by the whole seconds since the recording."""
        seconds = int((datetime.now(UTC) - self.recorded).total_seconds())
        self.offset = timedelta(seconds=seconds)

    def at(self, recorded: str) -> str:
        """A recorded moment, moved on to today, in UTC."""
        moment = datetime.fromisoformat(recorded) + self.offset
        return moment.astimezone(UTC).isoformat()

    async def handle(self, request: web.Request) -> web.Response:
        """`/v3/news` and `/v3/vmas` as recorded; 503 while not working."""
        self.requests.append({"path": request.path, **request.query})
        if not self.working:
            return web.Response(status=503)
        name = request.path.rsplit("/", 1)[-1]
        path = self.recordings / f"{name}.json"
        recorded = json.loads(path.read_text(encoding="utf-8"))
        return web.json_response(moved(recorded, self.offset))

    async def start(self, port: int = 0) -> str:
        """Serve on loopback; return the API's base URL."""
        app = web.Application()
        app.router.add_get("/v3/news", self.handle)
        app.router.add_get("/v3/vmas", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/v3"
        return self.url

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def _serve(port: int, recordings: Path, recorded: datetime) -> None:
    stand_in = KrisinformationStandIn(recordings, recorded)
    url = await stand_in.start(port)
    print(f"Krisinformation API v3 stand-in at {url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await stand_in.stop()


def main(argv: list[str] | None = None) -> None:
    """Serve a folder of recorded answers until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--recordings", type=Path, required=True)
    parser.add_argument(
        "--recorded",
        default=None,
        help="when the answers were recorded (ISO 8601); default: the newest "
        "time in them, so the newest item is from now",
    )
    args = parser.parse_args(argv)
    recorded = (
        datetime.fromisoformat(args.recorded)
        if args.recorded
        else newest_time(args.recordings)
    )
    asyncio.run(_serve(args.port, args.recordings, recorded))


def newest_time(recordings: Path) -> datetime:
    """The latest publication time in a folder of recorded answers."""
    times: list[datetime] = []
    for path in sorted(recordings.glob("*.json")):
        items = json.loads(path.read_text(encoding="utf-8"))
        times += [
            datetime.fromisoformat(item[key])
            for item in items
            for key in ("Published", "Updated")
            if isinstance(item.get(key), str) and TIME.fullmatch(item[key])
        ]
    return max(times, default=datetime.now(UTC))


if __name__ == "__main__":
    main()
