"""The journal's records as plain data: their kinds, what each kind holds.

Also the changes made to them (`Changes`: records to append, updates, events
to fire), as rules/history.py derives them and the journal applies them.

A record's `data` is a plain mapping at runtime, stored as it is; the
`TypedDict`s below describe it for each kind (docs/events.md tells the same to
people), so that the code that builds a record, or reads one of a known kind
through `cast`, is type-checked. Every key is optional: records written by
hand, or by an older release, may lack any of them, so readers use `.get`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Any, Literal, TypedDict


class RecordKind(StrEnum):
    """What a journal record is about."""

    OUTAGE = "outage"
    START_ATTEMPT = "start_attempt"
    START_FAILURE = "start_failure"
    TEST_RUN = "test_run"
    ALARM = "alarm"
    COMMAND = "command"
    FUEL_DELIVERY = "fuel_delivery"
    MAINTENANCE = "maintenance"
    NOTICE = "notice"
    # An answer to a question the automations sent: who, on which channel.
    ANSWER = "answer"
    # Fuel gone beyond what the set burnt (rules/fuel_loss.py).
    FUEL_LOSS = "fuel_loss"


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One entry of the journal; `at` is UTC, `data` depends on the kind."""

    id: str
    kind: RecordKind
    at: datetime
    data: Mapping[str, Any]

    @classmethod
    def new(
        cls, record_id: str, kind: RecordKind, at: datetime, data: Mapping[str, Any]
    ) -> JournalRecord:
        """A record holding a read-only copy of `data`."""
        return cls(record_id, kind, at, MappingProxyType(dict(data)))

    def with_data(self, changes: Mapping[str, Any]) -> JournalRecord:
        """The same record, its data updated with `changes`."""
        return replace(self, data=MappingProxyType(dict(self.data) | dict(changes)))

    def as_dict(self) -> dict[str, Any]:
        """The record as plain JSON-ready values (storage, exports)."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "at": self.at.isoformat(),
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> JournalRecord:
        """Back from `as_dict`; ValueError for a kind or time it cannot read."""
        return cls(
            id=str(raw["id"]),
            kind=RecordKind(raw["kind"]),
            at=parse_time(raw["at"]),
            data=MappingProxyType(dict(raw.get("data") or {})),
        )


# -- changes to the journal -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Update:
    """New values for some of a record's data."""

    record_id: str
    changes: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Announcement:
    """A bus event about a record.

    Its data is `fields`, with the record's own data (all of it, or the keys
    named) as it stands once the changes are applied; the journal adds the
    fields every event has (site, record id, ...) and the context.
    """

    event_type: str
    record_id: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    record_keys: tuple[str, ...] = ()
    whole_record: bool = False

    def payload(self, record: JournalRecord) -> dict[str, Any]:
        """The event's own data, given its record with the changes applied."""
        if self.whole_record:
            taken = dict(record.data)
        else:
            taken = {key: record.data.get(key) for key in self.record_keys}
        return taken | dict(self.fields)


@dataclass(slots=True)
class Changes:
    """What one state changes in the journal.

    Applied in this order (appended, then updated, then announced), so that
    an announcement reads its record as the updates left it.
    """

    appended: list[JournalRecord] = field(default_factory=list)
    updated: list[Update] = field(default_factory=list)
    announced: list[Announcement] = field(default_factory=list)


# -- what each kind's data holds (times are ISO 8601 text, UTC) ----------------------

type AttemptResult = Literal["running", "failed", "abandoned"]
type FailureReason = Literal["fail_to_start", "no_backup"]
type TestRunResult = Literal["ok", "failed"]
type CommandResult = Literal["done", "refused", "not_followed", "failed"]
type FuelSource = Literal["tank_level", "consumption"]


class OutageData(TypedDict, total=False):
    """An outage: written when confirmed, the running totals kept up to date."""

    started: str
    ended: str | None
    # First seen when Home Assistant started with the mains already gone:
    # `started` is the last moment it saw the mains good (or its start), and
    # the outage began between that and `started_by`.
    start_uncertain: bool
    started_by: str
    time_to_backup_s: float | None
    backup_power_s: float
    fuel_start_l: float | None
    fuel_estimated_l: float
    fuel_delivered_l: float
    unobserved_s: float
    # From here on, written when it ends.
    duration_s: float
    fuel_end_l: float | None
    fuel_used_l: float | None
    fuel_used_source: FuelSource | None
    energy_kwh: float | None
    end_uncertain: bool


class StartAttemptData(TypedDict, total=False):
    """A start: from the engine leaving rest to running, rest, or a failure."""

    during_outage: bool
    control_mode: str | None
    site_mode: str
    result: AttemptResult | None
    ended: str | None
    time_to_running_s: float | None


class StartFailureData(TypedDict, total=False):
    """A failed start: the controller's alarm, or an outage without backup."""

    reason: FailureReason
    attempt_id: str | None
    outage_id: str | None
    control_mode: str | None
    engine: str | None
    alarms: list[str]


class TestRunData(TypedDict, total=False):
    """A test run: written when it begins, its figures when it ends."""

    started: str
    ended: str | None
    control_mode: str | None
    on_load_requested: bool
    # From here on, written when it ends.
    duration_s: float
    result: TestRunResult
    on_load: bool
    mean_load_kw: float | None
    max_load_kw: float | None
    interrupted_by_outage: bool


class AlarmData(TypedDict, total=False):
    """One occurrence of a named controller alarm."""

    alarm: str
    condition: str
    stops_engine: bool
    raised: str
    cleared: str | None
    # How often it was raised: an alarm that clears and comes back within
    # a minute (a flapping contact) stays one record, counted.
    count: int
    acknowledged: str | None
    acknowledged_by: str | None
    acknowledged_by_name: str | None


class _ByWhom(TypedDict, total=False):
    """Who did what a service records (from the call's context)."""

    user_id: str | None
    user_name: str | None


class CommandData(_ByWhom, total=False):
    """A command to the generator or the warm room, and what came of it."""

    command: str
    result: CommandResult
    reason: str
    detail: str


class FuelDeliveryData(_ByWhom, total=False):
    """A fuel delivery."""

    litres: float
    tank_litres: float | None
    estimate_litres: float | None


class FuelLossData(TypedDict, total=False):
    """Fuel gone beyond what the set burnt, over a period (rules/fuel_loss.py)."""

    kind: Literal["leak", "unexplained"]
    # The fall less what the consumption curve says the set burnt.
    litres: float
    fall_l: float
    expected_l: float
    started: str
    ended: str
    running: bool


class MaintenanceData(_ByWhom, total=False):
    """The maintenance lock turned on or off."""

    on: bool


class NoticeData(_ByWhom, total=False):
    """A notice published or cleared."""

    action: Literal["published", "cleared"]
    message: str
    notice_id: str
    importance: str
    text_sv: str
    text_en: str | None
    expires: str | None


# -- plain values -----------------------------------------------------------------


def parse_time(value: Any) -> datetime:
    """An ISO 8601 time as UTC (one without an offset is taken as UTC)."""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        msg = f"not a time: {value!r}"
        raise ValueError(msg) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def plain(value: Any) -> Any:
    """A value as it can travel on the bus and into storage."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value
