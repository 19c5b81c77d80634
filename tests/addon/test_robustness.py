"""The add-on heals itself: bad messages, a bad state file, a client that fails.

Against real servers on loopback: the app's own, and, for a Home Assistant
that speaks nonsense, a small websocket server that does exactly that.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import web
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from sot_infopoint.app import Infopoint
from sot_infopoint.status import SiteStatus, StatusError, parse_status

from .conftest import Clock, Start, settings_for, status_object

# Any JSON value, nested a little.
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = sorted(status_object())


@st.composite
def near_statuses(draw: st.DrawFn) -> Any:
    """A good status object with one field replaced by any JSON value, or any value."""
    if draw(st.booleans()):
        return draw(JSON)
    raw = status_object()
    raw[draw(st.sampled_from(FIELDS))] = draw(JSON)
    return raw


@settings(max_examples=400, deadline=None, derandomize=True)
@given(raw=near_statuses())
def test_any_json_is_parsed_or_refused(raw: Any) -> None:
    """Nothing but StatusError leaves the parser, whatever JSON comes in."""
    try:
        parsed = parse_status(raw)
    except StatusError:
        return
    assert isinstance(parsed, SiteStatus)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=near_statuses())
def test_any_json_leaves_the_page_on_the_last_good_state(
    raw: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A status the app cannot read is logged and skipped; the page stays as it was."""
    app = Infopoint(settings_for(tmp_path / "data"), Clock())
    good = status_object()
    app.on_status(good)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        app.on_status(raw)
    if app.status is not None and app.status.site != "SOT-punkt Kall":
        return  # a valid status of another name: taken, as it should be
    try:
        parse_status(raw)
    except StatusError:
        assert app._raw is good
        assert "ignoring a status object" in caplog.text


@pytest.mark.parametrize(
    "content",
    [
        "null",
        "[]",
        '"text"',
        '{"version": 1, "status": [1]}',
        '{"version": 1, "events": {"a": 1}}',
        "{not json",
    ],
)
async def test_wrong_shape_state_file_is_set_aside(
    start_app: Start, tmp_path: Path, content: str
) -> None:
    """The add-on starts empty, and the bad file is kept beside for a look."""
    data = tmp_path / "bad"
    data.mkdir()
    (data / "state.json").write_text(content)
    running = await start_app(data_dir=data)
    status, body, _ = await running.get("/")
    assert status == 200
    assert "SOT-punkt" in body
    assert not (data / "state.json").exists()
    assert (data / "state.json.bad").read_text() == content
    assert running.app.status is None


async def test_healthz_turns_503_without_status(start_app: Start) -> None:
    """No status for longer than the set time: the watchdog is told to restart."""
    clock = Clock()
    running = await start_app(connect=True, clock=clock)  # nothing listens there
    status, body, _ = await running.get("/healthz")
    assert (status, body) == (200, "ok\n")

    clock.advance(timedelta(minutes=6))
    running.app.tick()
    status, body, headers = await running.get("/healthz")
    assert status == 503
    assert "no status from Home Assistant for 6 min" in body
    assert headers["Cache-Control"] == "no-store"

    running.app.on_status(status_object(updated=clock().isoformat()))
    status, _body, _ = await running.get("/healthz")
    assert status == 200


async def test_client_survives_a_home_assistant_that_speaks_nonsense(
    start_app: Start, socket_enabled: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Text that is not JSON in the handshake: logged, and the client tries again."""
    connections = 0
    third = asyncio.Event()

    async def nonsense(request: web.Request) -> web.WebSocketResponse:
        nonlocal connections
        connections += 1
        if connections == 3:
            third.set()
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str("<html>a captive portal, not Home Assistant</html>")
        await ws.close()
        return ws

    server = web.Application()
    server.router.add_get("/api/websocket", nonsense)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        running = await start_app(
            connect=True, ws_url=f"ws://127.0.0.1:{port}/api/websocket"
        )
        async with asyncio.timeout(15):
            await third.wait()
        # Still following: the client task is alive and tries again.
        assert running.app.client.state.last_error
        assert running.app.health_problem(running.clock()) is None
    finally:
        await runner.cleanup()
    assert "the connection to Home Assistant failed" in caplog.text


def test_saved_state_round_trips(tmp_path: Path) -> None:
    """A good state file is read back as written (the set-aside path is not taken)."""
    app = Infopoint(settings_for(tmp_path), Clock())
    app.on_status(status_object())
    app.save()
    saved = json.loads((tmp_path / "state.json").read_text())
    assert saved["status"] == status_object()
    again = Infopoint(settings_for(tmp_path), Clock())
    again.restore()
    assert again.status == app.status
    assert not (tmp_path / "state.json.bad").exists()
