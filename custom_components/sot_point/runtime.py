"""What a loaded site keeps while it runs, and the one place that builds it.

The modules a site is built from (coordinator, journal, control, notice
board, fuel memory) never import this one; the platforms, actions and views
that use a loaded site do. So no module imports itself round a loop.

It is also the one place that decides who may use a site's actions and read
its journal (`async_site_for_call`, `user_may`), in Home Assistant's own
terms: the permissions a person's user groups give on the site's entities.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, cast

from homeassistant.auth.models import User
from homeassistant.auth.permissions.const import CAT_ENTITIES, POLICY_CONTROL
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_CONFIG_ENTRY_ID, Platform
from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.exceptions import (
    ConfigEntryNotReady,
    ServiceValidationError,
    Unauthorized,
    UnknownUser,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.service import async_get_config_entry
from homeassistant.helpers.translation import async_get_translations

from .const import DOMAIN
from .control import SiteControl
from .coordinator import SotPointCoordinator
from .fuel_memory import FuelMemory
from .hardware.client import ConnectionPool
from .journal import Journal, RecordKind
from .notice_board import NoticeBoard
from .official_info import OfficialInfo
from .rules.official_info import (
    CONF_OFFICIAL_BASE_URL,
    DEFAULT_BASE_URL,
    Area,
    official_area,
)
from .rules.readiness import ReadinessWatch
from .rules.region import is_region
from .rules.rolling import Rolling
from .rules.status import build_status
from .rules.uplink import site_location, uplink_settings
from .safety_store import SafetyStore
from .service_board import ServiceBoard, site_now
from .settings import readiness_settings_from
from .sms_answers import SmsAnswers
from .uplink import Uplink

# The platforms whose entities a person presses to command the site: the
# generator's Start, Stop and Reset buttons, the mode select, the maintenance
# lock and the heater switches.
CONTROL_PLATFORMS: Final = frozenset(
    {Platform.BUTTON, Platform.SELECT, Platform.SWITCH}
)


@dataclass(kw_only=True)
class SotPointData:
    """A loaded site: its poller, journal, commands, notices and fuel memory."""

    coordinator: SotPointCoordinator
    control: SiteControl
    journal: Journal
    notices: NoticeBoard
    fuel: FuelMemory
    # The integration's English device and entity names, by translation key,
    # for the entity ids (see SotPointEntity.async_prepare_to_add_to_hass).
    english_names: Mapping[str, str]
    answers: SmsAnswers
    # The site's status object (rules/status.py) as of now: the one builder
    # the info page's subscription, SMS STATUS and the uplink all read.
    status: Callable[[], dict[str, Any]]
    # The service board: what the association set, and the page shows.
    services: ServiceBoard
    pool: ConnectionPool = field(default_factory=ConnectionPool)
    # The county uplink over MQTT, when the site's options turn it on.
    uplink: Uplink | None = None
    # Krisinformation's items, when the site's county and municipality are set.
    official: OfficialInfo | None = None
    # Cold readiness and rolling outages as of the last state, kept here by
    # the site's watches (site_readiness.py, site_watch.py) for the entities.
    readiness: ReadinessWatch = field(default_factory=ReadinessWatch)
    rolling: Rolling | None = None


type SotPointConfigEntry = ConfigEntry[SotPointData]


def site_of_call(hass: HomeAssistant, call: ServiceCall) -> SotPointConfigEntry:
    """The loaded site an action names; a translated error if there is none.

    Checks no permission: actions use `async_site_for_call`.
    """
    entry: SotPointConfigEntry = async_get_config_entry(
        hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID]
    )
    if is_region(entry.data):
        # A region has no generator, journal or notices to act on.
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="region_not_a_site",
            translation_placeholders={"region": entry.title},
        )
    return entry


class SiteUnauthorized(Unauthorized):
    """A person's user may not do this at this site; said in their language.

    Home Assistant's Unauthorized carries no translation of its own; this one
    does, so the person sees why (the websocket API passes the translation
    key on to the frontend) while everything that catches Unauthorized still
    catches it.
    """

    def __init__(self, context: Context, config_entry_id: str, permission: str):
        """Refuse the user of `context` `permission` on a site's entities."""
        super().__init__(
            context=context,
            config_entry_id=config_entry_id,
            perm_category=CAT_ENTITIES,
            permission=permission,
        )
        self.translation_domain = DOMAIN
        self.translation_key = "refused_unauthorized"
        self.generate_message = True


def user_may(hass: HomeAssistant, entry: ConfigEntry, user: User, policy: str) -> bool:
    """Whether `user` may read (POLICY_READ) or control (POLICY_CONTROL) a site.

    Read: the user may read any entity of the site. Control: the user may
    control every control entity of the site (CONTROL_PLATFORMS), so that a
    group allowed only the warm room's heater cannot start the generator by
    an action. A site without such entities needs an administrator. An
    administrator may do anything, as Home Assistant's admin policy says.
    """
    registry = er.async_get(hass)
    entity_ids = [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
        if policy != POLICY_CONTROL or entity.domain in CONTROL_PLATFORMS
    ]
    if not entity_ids:
        return user.is_admin
    allowed = (user.permissions.check_entity(e, policy) for e in entity_ids)
    return all(allowed) if policy == POLICY_CONTROL else any(allowed)


async def async_site_for_call(
    hass: HomeAssistant, call: ServiceCall, policy: str = POLICY_CONTROL
) -> SotPointConfigEntry:
    """The loaded site an action names, if the person calling may use it.

    A call without a user (an automation, a script it runs, the system)
    passes. A person's call passes if their user may `policy` the site (see
    `user_may`); otherwise the refusal is journaled and Unauthorized raised,
    before anything is read or written.
    """
    entry = site_of_call(hass, call)
    user_id = call.context.user_id
    if user_id is None:
        return entry
    user = await hass.auth.async_get_user(user_id)
    if user is not None and user_may(hass, entry, user, policy):
        return entry
    entry.runtime_data.journal.add(
        RecordKind.COMMAND,
        {
            "command": call.service,
            "result": "refused",
            "reason": "unauthorized",
            "user_id": user_id,
        },
        context=call.context,
    )
    if user is None:
        raise UnknownUser(
            context=call.context,
            config_entry_id=entry.entry_id,
            perm_category=CAT_ENTITIES,
            permission=policy,
        )
    raise SiteUnauthorized(call.context, entry.entry_id, policy)


def site_of(coordinator: SotPointCoordinator) -> SotPointData:
    """The loaded site a coordinator polls for."""
    # The coordinator is typed with a plain entry, as it is built before the
    # site's runtime data exists; by the time anyone asks, it does.
    return cast(SotPointConfigEntry, coordinator.config_entry).runtime_data


async def async_build_site(hass: HomeAssistant, entry: ConfigEntry) -> SotPointData:
    """Build a site's parts, wire the observers, and poll it once.

    A site none of whose devices answers yet sets up all the same, with
    every entity unavailable until its device answers.
    """
    pool = ConnectionPool()
    coordinator = SotPointCoordinator(hass, entry, pool)
    journal = Journal(hass, entry)
    await journal.async_load()
    fuel = FuelMemory(hass, entry.entry_id, coordinator.tracker)
    await fuel.async_load()
    # The maintenance lock and a test run's end, as they were: in force from
    # the first command, whether or not the lock's switch is enabled.
    safety = SafetyStore(hass, entry.entry_id)
    await safety.async_load()
    if (outage := journal.open_outage) is not None:
        # An outage that was going on when HA stopped still started then.
        coordinator.resume_outage(outage.at)
    entry.async_on_unload(coordinator.async_add_observer(journal.observe))
    entry.async_on_unload(coordinator.async_add_observer(fuel.observe))
    uplink: Uplink | None = None
    if (uplink_on := uplink_settings(entry.options)) is not None:
        # Listening before the first poll: the outage a site boots into is
        # the county's news too.
        uplink = Uplink(hass, entry, uplink_on)
        await uplink.async_load()
        entry.async_on_unload(uplink.async_listen_journal())
    try:
        await coordinator.async_config_entry_first_refresh()
    except ConfigEntryNotReady:
        # No device answers yet. The site sets up all the same (Home
        # Assistant often boots on the generator before the gateway does),
        # its entities unavailable until their devices answer a later poll.
        coordinator.async_set_unanswered()
    notices = NoticeBoard(hass, entry.entry_id)
    await notices.async_load()
    services = ServiceBoard(hass, entry.entry_id, entry.options)
    await services.async_load()
    # A service set by hand reaches the entities, the info page and the
    # uplink at once, not with the next poll.
    entry.async_on_unload(
        services.async_add_listener(coordinator.async_update_listeners)
    )
    english_names: dict[str, str] = {}
    for category in ("device", "entity"):
        english_names |= await async_get_translations(hass, "en", category, {DOMAIN})
    control = SiteControl(hass, coordinator, journal, fuel, safety=safety)
    entry.async_on_unload(control.shutdown)
    # A test run going on is ended on time; one whose end passed while Home
    # Assistant was down, now.
    control.async_resume()

    official: OfficialInfo | None = None
    if (area := _official_area(hass, entry)) is not None:
        base_url = entry.options.get(CONF_OFFICIAL_BASE_URL) or DEFAULT_BASE_URL
        official = OfficialInfo(hass, entry, area, base_url)
        await official.async_load()

    def status() -> dict[str, Any]:
        outage = journal.last_ended_outage
        return build_status(
            entry.title,
            coordinator.data,
            notices.active(),
            reachable=coordinator.last_update_success,
            last_outage=outage.data if outage is not None else None,
            services=[s.as_dict() for s in services.shown(site_now(coordinator))],
            local_radio=services.settings.local_radio,
            official=official.status() if official is not None else None,
        )

    answers = SmsAnswers(hass, entry.entry_id, entry.options, journal, status)
    await answers.async_load()
    entry.async_on_unload(answers.async_start())
    if official is not None:
        # In the background: setup never waits for the internet.
        entry.async_on_unload(official.async_start())
    if uplink is not None:
        uplink.async_start(coordinator, notices, status)
        entry.async_on_unload(uplink.async_stop)
    return SotPointData(
        coordinator=coordinator,
        control=control,
        journal=journal,
        notices=notices,
        fuel=fuel,
        english_names=english_names,
        answers=answers,
        status=status,
        services=services,
        pool=pool,
        uplink=uplink,
        official=official,
        readiness=ReadinessWatch(readiness_settings_from(entry.options)),
    )


def _official_area(hass: HomeAssistant, entry: ConfigEntry) -> Area | None:
    """The site's county and municipality (the uplink's), and its place."""
    place = site_location((hass.config.latitude, hass.config.longitude))
    return official_area(entry.options, place)
