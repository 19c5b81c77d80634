"""Repair issues of a site against the simulator, and their fixes through Repairs.

Each issue is raised from what the simulated site does, shown with the texts
a user reads, and deleted when the cause is gone. The two fix flows go
through the same HTTP API the Repairs dialog uses, and their effect is
checked at the simulated controller.
"""

from __future__ import annotations

from datetime import timedelta
import time
from typing import Any

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.auth.models import User
from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import CLIENT_ID, MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sot_point.const import (
    CONF_AUTO_REMINDER,
    CONF_MINIMUM_AUTONOMY,
    DOMAIN,
)
from custom_components.sot_point.hardware.profiles.dse_gencomm import (
    CONTROL_KEY_ADDRESS,
    ControlKey,
)
from custom_components.sot_point.hardware.state import ControlMode
from custom_components.sot_point.journal import RecordKind
from custom_components.sot_point.repairs import Issue
from simulator import SiteConfig
from simulator.faults import CorruptStyle, FaultKind
from simulator.server import SimulatedSite, writes_to

from .conftest import refresh, site_entry

# Time jumps forward where a test says, and runs on in between: frozen still,
# pymodbus and the command verification would wait forever.
pytestmark = pytest.mark.freeze_time(tick=True)

LOCK = "switch.sot_punkt_kall_maintenance_lock"
ENTRY_ID = "01SITEKALL0000000000000000"
GENERATOR = "01SUBENTRYGENERATOR0000000"
IO_MODULE = "01SUBENTRYIOMODULE00000000"


async def _load(
    hass: HomeAssistant, sim: SimulatedSite, **options: float
) -> MockConfigEntry:
    """The simulator's site with extra options, set up and polled once."""
    entry = site_entry(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={**entry.options, **options})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    # Commands are verified by polling; the simulator follows at once.
    entry.runtime_data.control.verify_interval = 0.05
    return entry


def _mode(sim: SimulatedSite) -> ControlMode:
    """The mode the simulated controller is in now."""
    return sim.site.controller.mode


def _issue(registry: ir.IssueRegistry, issue: Issue) -> ir.IssueEntry | None:
    return registry.async_get_issue(DOMAIN, issue.issue_id(ENTRY_ID))


def _raised(registry: ir.IssueRegistry) -> set[str]:
    return {issue_id for domain, issue_id in registry.issues if domain == DOMAIN}


def _placeholders(registry: ir.IssueRegistry, issue: Issue) -> dict[str, str]:
    entry = _issue(registry, issue)
    assert entry is not None, f"{issue} not raised"
    return dict(entry.translation_placeholders or {})


class RepairsDialog:
    """The Repairs dialog's HTTP calls: start a fix, submit its form."""

    def __init__(
        self, hass: HomeAssistant, hass_client: ClientSessionGenerator, user: User
    ) -> None:
        """Talk to Home Assistant's repairs API as an administrator."""
        self._hass = hass
        self._hass_client = hass_client
        self._user = user
        self._client: TestClient[Any, Any] | None = None

    async def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        # Logged in on first use: the site registers its own views when it is
        # set up, the web app takes none once a client has started it, and a
        # token from before a jump in time would have expired.
        if self._client is None:
            refresh = await self._hass.auth.async_create_refresh_token(
                self._user, CLIENT_ID
            )
            token = self._hass.auth.async_create_access_token(refresh)
            self._client = await self._hass_client(token)
        response = await self._client.post(url, json=body)
        assert response.status == 200, await response.text()
        result: dict[str, Any] = await response.json()
        return result

    async def start(self, issue: Issue) -> dict[str, Any]:
        """Open the fix dialog of one of the site's issues."""
        return await self._post(
            "/api/repairs/issues/fix",
            {"handler": DOMAIN, "issue_id": issue.issue_id(ENTRY_ID)},
        )

    async def submit(self, flow_id: str) -> dict[str, Any]:
        """Press the dialog's submit button (the forms have no fields)."""
        return await self._post(f"/api/repairs/issues/fix/{flow_id}", {})


@pytest.fixture
async def dialog(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, hass_admin_user: User
) -> RepairsDialog:
    """Home Assistant's repairs API, as the frontend reaches it."""
    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    return RepairsDialog(hass, hass_client, hass_admin_user)


async def test_a_new_site_raises_nothing(
    hass: HomeAssistant, sim: SimulatedSite, issue_registry: ir.IssueRegistry
) -> None:
    """On day one, in Auto, full tank, clock right: the Repairs page is empty."""
    await _load(hass, sim)
    assert _raised(issue_registry) == set()


async def test_out_of_auto_reminds_after_the_set_hours_and_is_fixed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
    dialog: RepairsDialog,
) -> None:
    """Manual for an hour raises an error; the fix puts the controller in Auto.

    The first try is refused by the maintenance lock and says so; nothing is
    written. With the lock off the same dialog succeeds.
    """
    entry = await _load(hass, sim, **{CONF_AUTO_REMINDER: 1})
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, entry)
    freezer.tick(timedelta(minutes=59))
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.NOT_IN_AUTO) is None
    freezer.tick(timedelta(minutes=2))
    await refresh(hass, entry)
    issue = _issue(issue_registry, Issue.NOT_IN_AUTO)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.is_fixable
    assert issue.translation_placeholders == {
        "site": "SOT-punkt Kall",
        "hours": "1",
        "mode": "Manual",
    }

    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: LOCK}, blocking=True
    )
    form = await dialog.start(Issue.NOT_IN_AUTO)
    assert form["step_id"] == "confirm"
    assert form["description_placeholders"]["mode"] == "Manual"
    refused = await dialog.submit(form["flow_id"])
    assert refused["errors"] == {"base": "refused"}
    assert "maintenance lock" in refused["description_placeholders"]["reason"]
    assert _mode(sim) is ControlMode.MANUAL
    assert writes_to(sim.writes, sim.site.config.units.dse) == []

    await hass.services.async_call(
        "switch", "turn_off", {ATTR_ENTITY_ID: LOCK}, blocking=True
    )
    done = await dialog.submit(form["flow_id"])
    assert done["type"] == "create_entry"
    assert _mode(sim) is ControlMode.AUTO
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.NOT_IN_AUTO) is None


async def test_back_in_auto_by_hand_clears_and_a_reload_keeps_it_raised(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A reload does not start the hours again; Auto on the panel clears it."""
    entry = await _load(hass, sim, **{CONF_AUTO_REMINDER: 2})
    sim.site.set_mode(ControlMode.STOP)
    await refresh(hass, entry)
    freezer.tick(timedelta(hours=2, seconds=1))
    await refresh(hass, entry)
    assert _placeholders(issue_registry, Issue.NOT_IN_AUTO)["mode"] == "Stop"

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.NOT_IN_AUTO) is not None

    sim.site.set_mode(ControlMode.AUTO)
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.NOT_IN_AUTO) is None


async def test_no_test_run_for_thirty_days_counts_from_setup_then_last_run(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A new site is reminded 30 days after setup; a test run clears it."""
    setup_day = dt_util.now().strftime("%Y-%m-%d")
    entry = await _load(hass, sim)
    freezer.tick(timedelta(days=29))
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.NO_TEST_RUN) is None
    freezer.tick(timedelta(days=1, minutes=1))
    await refresh(hass, entry)
    assert _placeholders(issue_registry, Issue.NO_TEST_RUN) == {
        "site": "SOT-punkt Kall",
        "days": "30",
        "since": setup_day,
    }

    # A test run on load from the panel: the issue goes as soon as it starts.
    sim.site.set_mode(ControlMode.TEST_ON_LOAD)
    sim.site.press_key(ControlKey.START_ENGINE)
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.NO_TEST_RUN) is None
    test_day = dt_util.now().strftime("%Y-%m-%d")
    sim.advance(40)  # started, on load
    await refresh(hass, entry)
    sim.site.set_mode(ControlMode.AUTO)
    sim.advance(120)  # cooled down and stopped
    await refresh(hass, entry)
    runs = entry.runtime_data.journal.records(kinds=[RecordKind.TEST_RUN])
    assert [run.data["result"] for run in runs] == ["ok"]

    freezer.tick(timedelta(days=29))
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.NO_TEST_RUN) is None
    freezer.tick(timedelta(days=2))
    await refresh(hass, entry)
    assert _placeholders(issue_registry, Issue.NO_TEST_RUN)["since"] == test_day


async def test_maintenance_due_when_the_controller_timer_runs_out(
    hass: HomeAssistant, sim: SimulatedSite, issue_registry: ir.IssueRegistry
) -> None:
    """The controller's countdown crossing zero raises it; a reset clears it."""
    entry = await _load(hass, sim)
    sim.site.set_maintenance_due_in(30)
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.MAINTENANCE_DUE) is None
    sim.advance(3 * 86400 + 60)
    await refresh(hass, entry)
    issue = _issue(issue_registry, Issue.MAINTENANCE_DUE)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert (issue.translation_placeholders or {})["days"] == "3"

    sim.site.set_maintenance_due_in(182 * 86400)  # the service engineer's reset
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.MAINTENANCE_DUE) is None


async def test_level_sensor_fault_must_last_a_minute_each_way(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A blink of a loose wire raises nothing; a broken wire does, until mended."""
    entry = await _load(hass, sim)
    sim.site.set_tank_sensor_fault(2.0)  # below 3.6 mA: wire break
    await refresh(hass, entry)
    freezer.tick(timedelta(seconds=30))
    sim.site.set_tank_sensor_fault(None)
    await refresh(hass, entry)
    freezer.tick(timedelta(seconds=45))
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.FUEL_SENSOR_FAULT) is None

    sim.site.set_tank_sensor_fault(2.0)
    await refresh(hass, entry)
    freezer.tick(timedelta(seconds=61))
    await refresh(hass, entry)
    assert _placeholders(issue_registry, Issue.FUEL_SENSOR_FAULT)["current"] == "2.0"

    sim.site.set_tank_sensor_fault(None)
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.FUEL_SENSOR_FAULT) is not None
    freezer.tick(timedelta(seconds=61))
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.FUEL_SENSOR_FAULT) is None


async def test_low_autonomy_raised_after_a_minute_and_cleared_by_a_refill(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Twenty litres for a 24-hour minimum: an issue; a delivery ends it."""
    entry = await _load(hass, sim, **{CONF_MINIMUM_AUTONOMY: 24})
    sim.site.set_tank_litres(20)
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.LOW_AUTONOMY) is None
    freezer.tick(timedelta(seconds=61))
    await refresh(hass, entry)
    placeholders = _placeholders(issue_registry, Issue.LOW_AUTONOMY)
    assert placeholders["minimum"] == "24"
    assert 0 < int(placeholders["hours"]) < 24

    sim.site.refill()
    await refresh(hass, entry)
    freezer.tick(timedelta(seconds=61))
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.LOW_AUTONOMY) is None


async def test_low_autonomy_goes_at_once_when_the_figure_does(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A broken level sensor leaves no autonomy to be low: the sensor issue stays."""
    entry = await _load(hass, sim, **{CONF_MINIMUM_AUTONOMY: 24})
    sim.site.set_tank_litres(20)
    await refresh(hass, entry)
    freezer.tick(timedelta(seconds=61))
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.LOW_AUTONOMY) is not None
    sim.site.set_tank_sensor_fault(25.0)  # above 21 mA: short circuit
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.LOW_AUTONOMY) is None
    freezer.tick(timedelta(seconds=61))
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.FUEL_SENSOR_FAULT) is not None


async def test_clock_drift_is_fixed_by_setting_the_controller_clock(
    hass: HomeAssistant,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
    dialog: RepairsDialog,
) -> None:
    """Fifteen minutes slow: the fix writes Home Assistant's time, read back."""
    entry = await _load(hass, sim)
    sim.site.set_clock_offset(-900)
    await refresh(hass, entry)
    issue = _issue(issue_registry, Issue.CLOCK_DRIFT)
    assert issue is not None
    assert issue.is_fixable
    assert (issue.translation_placeholders or {})["minutes"] == "15"

    form = await dialog.start(Issue.CLOCK_DRIFT)
    assert form["step_id"] == "confirm"
    assert form["description_placeholders"]["minutes"] == "15"
    done = await dialog.submit(form["flow_id"])
    assert done["type"] == "create_entry"

    clock = sim.site.controller.clock.read(sim.site.now)
    assert abs(clock - time.time()) < 3
    writes = writes_to(sim.writes, sim.site.config.units.dse)
    assert [(w.address, len(w.values)) for w in writes] == [(1792, 2)]
    assert _issue(issue_registry, Issue.CLOCK_DRIFT) is None
    commands = entry.runtime_data.journal.records(kinds=[RecordKind.COMMAND])
    assert [(c.data["command"], c.data["result"]) for c in commands] == [
        ("set_clock", "done")
    ]


async def test_clock_fix_that_cannot_reach_the_controller_says_so(
    hass: HomeAssistant,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
    dialog: RepairsDialog,
) -> None:
    """A busy controller: the dialog shows the error and can be tried again."""
    entry = await _load(hass, sim)
    sim.site.set_clock_offset(3600)
    await refresh(hass, entry)
    form = await dialog.start(Issue.CLOCK_DRIFT)
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
    failed = await dialog.submit(form["flow_id"])
    sim.faults.disable()
    assert failed["errors"] == {"base": "communication"}
    assert failed["description_placeholders"]["error"]
    assert abs(sim.site.controller.clock.read(sim.site.now) - time.time()) > 3000

    done = await dialog.submit(form["flow_id"])
    assert done["type"] == "create_entry"
    assert _issue(issue_registry, Issue.CLOCK_DRIFT) is None


async def test_fix_of_an_unloaded_site_is_refused_and_removal_cleans_up(
    hass: HomeAssistant,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
    dialog: RepairsDialog,
) -> None:
    """An unloaded site cannot be fixed; a removed one leaves no issues behind."""
    entry = await _load(hass, sim)
    sim.site.set_clock_offset(-900)
    await refresh(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert _issue(issue_registry, Issue.CLOCK_DRIFT) is not None
    result = await dialog.start(Issue.CLOCK_DRIFT)
    assert result["type"] == "abort"
    assert result["reason"] == "not_loaded"

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert _raised(issue_registry) == set()


async def test_auto_fix_when_the_controller_is_busy_says_so(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
    dialog: RepairsDialog,
) -> None:
    """The controller answers "busy" to the key: the dialog shows its answer."""
    entry = await _load(hass, sim, **{CONF_AUTO_REMINDER: 1})
    sim.site.set_mode(ControlMode.MANUAL)
    await refresh(hass, entry)
    freezer.tick(timedelta(hours=1, minutes=1))
    await refresh(hass, entry)
    form = await dialog.start(Issue.NOT_IN_AUTO)
    sim.faults.addresses = frozenset({CONTROL_KEY_ADDRESS})
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
    failed = await dialog.submit(form["flow_id"])
    assert failed["errors"] == {"base": "failed"}
    assert "busy" in failed["description_placeholders"]["reason"].lower()
    assert _mode(sim) is ControlMode.MANUAL
    sim.faults.disable()
    assert (await dialog.submit(form["flow_id"]))["type"] == "create_entry"
    assert _issue(issue_registry, Issue.NOT_IN_AUTO) is None


async def test_clock_that_reads_back_wrong_is_not_called_fixed(
    hass: HomeAssistant,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
    dialog: RepairsDialog,
) -> None:
    """Written, but the read-back is garbage: the dialog shows what it read."""
    entry = await _load(hass, sim)
    sim.site.set_clock_offset(-900)
    await refresh(hass, entry)
    form = await dialog.start(Issue.CLOCK_DRIFT)
    sim.faults.corrupt_style = CorruptStyle.VALUES
    sim.faults.addresses = frozenset({1792})
    sim.faults.enable(rate=1.0, kinds={FaultKind.CORRUPT: 1.0})
    result = await dialog.submit(form["flow_id"])
    sim.faults.disable()
    assert result["errors"] == {"base": "not_verified"}
    assert result["description_placeholders"]["controller_time"]
    assert _issue(issue_registry, Issue.CLOCK_DRIFT) is not None
    commands = entry.runtime_data.journal.records(kinds=[RecordKind.COMMAND])
    assert [c.data["result"] for c in commands] == ["not_followed"]


async def test_silent_devices_keep_their_issues(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """No answer is no news: issues stay until the device says otherwise."""
    entry = await _load(hass, sim)
    sim.site.set_maintenance_due_in(-86400)
    sim.site.set_clock_offset(-900)
    sim.site.set_tank_sensor_fault(2.0)
    await refresh(hass, entry)
    freezer.tick(timedelta(seconds=61))
    await refresh(hass, entry)
    raised = {
        i.issue_id(ENTRY_ID)
        for i in (Issue.MAINTENANCE_DUE, Issue.CLOCK_DRIFT, Issue.FUEL_SENSOR_FAULT)
    }
    assert raised <= _raised(issue_registry)

    sim.site.set_maintenance_due_in(86400)
    sim.site.set_clock_offset(0)
    sim.site.set_tank_sensor_fault(None)  # all mended, but nobody hears it
    units = sim.site.config.units
    sim.faults.units = frozenset({units.dse, units.io or 1})
    sim.faults.enable(rate=1.0, kinds={FaultKind.EXCEPTION: 1.0})
    freezer.tick(timedelta(seconds=61))
    await refresh(hass, entry)
    assert entry.runtime_data.coordinator.data.generator is None
    assert entry.runtime_data.coordinator.data.io is None
    sim.faults.units = None  # now nothing answers: the update fails
    await refresh(hass, entry)
    assert not entry.runtime_data.coordinator.last_update_success
    assert raised <= _raised(issue_registry)


async def test_removing_a_device_clears_the_issues_about_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SimulatedSite,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Without the I/O module no sensor issue; without the controller no clock."""
    entry = await _load(hass, sim)
    sim.site.set_tank_sensor_fault(2.0)
    sim.site.set_clock_offset(-900)
    await refresh(hass, entry)
    freezer.tick(timedelta(seconds=61))
    await refresh(hass, entry)
    assert _issue(issue_registry, Issue.FUEL_SENSOR_FAULT) is not None
    assert _issue(issue_registry, Issue.CLOCK_DRIFT) is not None

    for subentry_id, kind in (
        (IO_MODULE, Issue.FUEL_SENSOR_FAULT),
        (GENERATOR, Issue.CLOCK_DRIFT),
    ):
        assert hass.config_entries.async_remove_subentry(entry, subentry_id)
        await hass.async_block_till_done()
        await refresh(hass, entry)
        assert _issue(issue_registry, kind) is None


@pytest.mark.usefixtures("socket_enabled")
async def test_a_controller_without_clock_or_timer_raises_neither(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry
) -> None:
    """Registers reading "unimplemented" are no clock to be wrong, no service due."""
    config = SiteConfig(controller_clock=False)
    async with SimulatedSite.serve(scenario="normal", speed=0, config=config) as sim:
        entry = await _load(hass, sim)
        generator = entry.runtime_data.coordinator.data.generator
        assert generator is not None
        assert generator.number("controller_clock") is None
        assert _raised(issue_registry) == set()
        await hass.config_entries.async_unload(entry.entry_id)
