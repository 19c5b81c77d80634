"""One power cut, one set of figures: journal, logbook, notification, status.json.

A person who reads the logbook, the phone's "power is back" message and the
info page about the same outage must read the same start, the same length
and the same litres of diesel. Here a real outage at the simulator, seen by a
real Home Assistant, is read in all four places.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import TickingDateTimeFactory
from homeassistant.core import Event, HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sot_point.const import EVENT_OUTAGE_ENDED
from custom_components.sot_point.logbook import describe_event
from custom_components.sot_point.texts import Texts, async_load_texts
from simulator.server import SimulatedSite

from ..conftest import running, state_of
from .conftest import (
    BACKUP,
    ENGINE,
    LOCK,
    MAINS,
    MODE,
    STATUS,
    Person,
    Sidebar,
    later,
    refresh,
    until,
    use_blueprint,
    wait_for,
)

BLUEPRINT = "reservkraft_vid_stromavbrott.yaml"


async def _status_json(sidebar: Sidebar, entry_id: str) -> dict[str, Any]:
    """The status object as the info page receives it and serves it."""
    hass = sidebar.hass
    token = hass.auth.async_create_access_token(sidebar.refresh_token)
    async with sidebar.http.ws_connect("/api/websocket") as socket:
        assert (await socket.receive_json())["type"] == "auth_required"
        await socket.send_json({"type": "auth", "access_token": token})
        assert (await socket.receive_json())["type"] == "auth_ok"
        await socket.send_json(
            {"id": 1, "type": "sot_point/subscribe_site", "entry_id": entry_id}
        )
        assert (await socket.receive_json())["success"]
        message = await socket.receive_json()
    assert message["type"] == "event"
    status: dict[str, Any] = message["event"]
    return status


async def test_one_outage_has_one_start_length_and_fuel_figure(  # noqa: PLR0917
    hass: HomeAssistant,
    sim: SimulatedSite,
    site: MockConfigEntry,
    phones: list[Person],
    clock: TickingDateTimeFactory,
    sidebar: Sidebar,
) -> None:
    """4 min 40 s without mains: every text says the same minutes and litres."""
    anna = phones[0]
    ended: list[Event] = []
    hass.bus.async_listen(EVENT_OUTAGE_ENDED, ended.append)
    await use_blueprint(
        hass,
        BLUEPRINT,
        {
            "site": site.entry_id,
            "mains_entity": MAINS,
            "status_entity": STATUS,
            "mode_entity": MODE,
            "engine_entity": ENGINE,
            "backup_entity": BACKUP,
            "maintenance_entity": LOCK,
            "people": [anna.device_id],
        },
    )

    sim.site.lose_mains()
    await refresh(hass, site)
    async with running(sim):
        await until(hass, site, lambda: state_of(hass, STATUS) == "backup_power")
    # Four minutes forty on backup power, and the diesel the set burnt.
    await later(hass, clock, timedelta(minutes=4, seconds=40))
    sim.site.set_tank_litres(sim.site.tank.litres - 2.5)
    sim.site.restore_mains()
    async with running(sim):
        await until(hass, site, lambda: bool(ended), seconds=30)
    await wait_for(lambda: "Avbrottet är över" in anna.messages[-1])

    # The journal's record, and the event the blueprint and logbook read.
    record = site.runtime_data.journal.last_ended_outage
    assert record is not None
    journal = dict(record.data)
    (event,) = ended
    for key in ("started", "ended", "duration_s", "backup_power_s", "fuel_used_l"):
        assert event.data[key] == journal[key], key
    assert isinstance(journal["fuel_used_l"], float)
    assert journal["fuel_used_l"] >= 2.5

    # The figures as a Swedish reader is shown them.
    await async_load_texts(hass, "sv")
    texts = Texts(hass, "sv")
    start = dt_util.as_local(datetime.fromisoformat(journal["started"]))
    start_text = start.strftime("%H:%M")
    length = texts.duration(journal["duration_s"])
    fuel = texts.number(journal["fuel_used_l"])
    # Four minutes and over forty seconds reads "5 min" everywhere, not "4"
    # in one place and "5" in another.
    assert length == "5 min"

    logbook = describe_event(EVENT_OUTAGE_ENDED, event.data, texts)
    assert logbook == (
        f"strömavbrottet från {start_text} slutade efter {length}; "
        f"{texts.duration(journal['backup_power_s'])} på reservkraft, "
        f"{fuel} l diesel förbrukad"
    )

    notification = anna.messages[-1]
    assert f"Avbrottet är över efter {length} (började {start_text})." in (notification)
    assert f"Reservkraften använde {fuel} L diesel." in notification

    status = await _status_json(sidebar, site.entry_id)
    assert status["outage_started"] is None
    assert status["last_outage"] == {
        "started": journal["started"],
        "ended": journal["ended"],
        "duration_s": journal["duration_s"],
        "backup_power_s": journal["backup_power_s"],
        "fuel_used_l": journal["fuel_used_l"],
    }
