"""Answers by SMS: questions the blueprints send, and what comes back.

The blueprints reach people on the site's on-call list by SMS through a
notify action (HA's `sms` integration gives `notify.sms`). A question
("Svara START 4711 ...") is registered here first (`SmsAnswers.ask`), which
gives it a one-time code. Every SMS the modem receives arrives as an event
(`sms.incoming_sms`, or the same from the Legacy GSM SMS integration); this
module judges it by rules/sms.py, writes it in the journal (who, on which
channel, when, and what became of it), and then:

- an answer that counts fires `sot_point_answer`, which the waiting
  blueprint takes exactly as it takes a press on a phone's button: a START
  still goes through `sot_point.start_generator` and its interlocks;
- STATUS gets one SMS back with the site's state;
- anything else from a number on the list gets one short SMS saying why it
  did not count; an unknown number gets nothing back.

Questions are kept on disk, so an answer that comes after a restart of Home
Assistant is still judged against its question and its code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
import re
from typing import Any, Final

from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.selector import (
    DeviceSelector,
    DeviceSelectorConfig,
    ObjectSelector,
    ObjectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now
import probatio as vol

from .const import DOMAIN, LOGGER
from .journal import Journal, RecordKind
from .rules.sms import (
    Outcome,
    Question,
    Verdict,
    forget_old,
    judge,
    masked,
    new_code,
    normalize_number,
    refusal_text,
    status_text,
)

EVENT_ANSWER: Final = f"{DOMAIN}_answer"
# The events incoming SMS arrive as: Home Assistant's own `sms` integration
# (core until 2025.11) and its maintained fork, Legacy GSM SMS (HACS). Both
# carry {"phone", "date", "text"}.
INCOMING_SMS_EVENTS: Final = (
    "sms.incoming_sms",
    "legacy_gsm_sms.incoming_legacy_gsm_sms",
)
DEFAULT_SMS_SERVICE: Final = "notify.sms"
CONF_ON_CALL: Final = "on_call"
CONF_PEOPLE: Final = "people"
CONF_SMS_SERVICE: Final = "sms_service"
CONF_NAME: Final = "name"
CONF_NUMBER: Final = "number"
CONF_PHONE: Final = "phone"
STORE_VERSION: Final = 1

# The site's on-call list in its options: one person a row, in the order
# they are reached, each with a mobile number, a phone with the Home
# Assistant app, or both.
ON_CALL_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(CONF_PEOPLE, default=list): ObjectSelector(
            ObjectSelectorConfig(
                multiple=True,
                label_field=CONF_NAME,
                description_field=CONF_NUMBER,
                translation_key="on_call_person",
                fields={
                    CONF_NAME: {"selector": TextSelector(), "required": True},
                    CONF_NUMBER: {
                        "selector": TextSelector(
                            TextSelectorConfig(type=TextSelectorType.TEL)
                        )
                    },
                    CONF_PHONE: {
                        "selector": DeviceSelector(
                            DeviceSelectorConfig(filter=[{"integration": "mobile_app"}])
                        )
                    },
                },
            )
        ),
        vol.Optional(CONF_SMS_SERVICE, default=DEFAULT_SMS_SERVICE): TextSelector(),
    }
)


def on_call_form_errors(section: Mapping[str, Any]) -> tuple[dict[str, str], str]:
    """Errors of the on-call section as entered, and the entry at fault.

    A person needs a name and a way to be reached; a number must be one a
    modem can dial; the SMS action must name a notify action.
    """
    for person in section.get(CONF_PEOPLE) or []:
        name = str(person.get(CONF_NAME) or "").strip()
        number = str(person.get(CONF_NUMBER) or "").strip()
        if not name:
            return {"base": "on_call_name_required"}, number
        if number and normalize_number(number) is None:
            return {"base": "on_call_bad_number"}, f"{name}: {number}"
        if not number and not person.get(CONF_PHONE):
            return {"base": "on_call_unreachable"}, name
    service = str(section.get(CONF_SMS_SERVICE) or DEFAULT_SMS_SERVICE)
    if not re.fullmatch(r"notify\.[a-z0-9_]+", service):
        return {"base": "on_call_bad_service"}, service
    return {}, ""


def on_call_as_stored(section: Mapping[str, Any]) -> dict[str, Any]:
    """The section as kept: names trimmed, numbers in international form.

    Empty when nobody is on the list and SMS go by the default action.
    """
    people = [
        {
            CONF_NAME: str(person[CONF_NAME]).strip(),
            CONF_NUMBER: normalize_number(str(person.get(CONF_NUMBER) or "")) or "",
            CONF_PHONE: str(person.get(CONF_PHONE) or ""),
        }
        for person in section.get(CONF_PEOPLE) or []
    ]
    service = str(section.get(CONF_SMS_SERVICE) or DEFAULT_SMS_SERVICE)
    if not people and service == DEFAULT_SMS_SERVICE:
        return {}
    return {CONF_PEOPLE: people, CONF_SMS_SERVICE: service}


def on_call_settings(options: Mapping[str, Any]) -> Mapping[str, Any]:
    """The site's on-call section of its options, empty if never set."""
    section = options.get(CONF_ON_CALL)
    return section if isinstance(section, Mapping) else {}


def on_call_people(options: Mapping[str, Any]) -> list[dict[str, str]]:
    """The site's on-call list, in order: name, number, app phone (device id)."""
    people = on_call_settings(options).get(CONF_PEOPLE) or []
    return [
        {
            CONF_NAME: str(person.get(CONF_NAME) or "").strip(),
            CONF_NUMBER: normalize_number(str(person.get(CONF_NUMBER) or "")) or "",
            CONF_PHONE: str(person.get(CONF_PHONE) or ""),
        }
        for person in people
        if isinstance(person, Mapping)
    ]


def sms_service(options: Mapping[str, Any]) -> str:
    """The notify action SMS go out through."""
    return str(on_call_settings(options).get(CONF_SMS_SERVICE) or DEFAULT_SMS_SERVICE)


class SmsAnswers:
    """One site's questions by SMS and the answers that come back."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        options: Mapping[str, Any],
        journal: Journal,
        status: Callable[[], Mapping[str, Any]],
    ) -> None:
        """Prepare; `async_load` reads the open questions, `async_start` listens."""
        self._hass = hass
        self._entry_id = entry_id
        self._journal = journal
        self._status = status
        self._service = sms_service(options)
        self._on_call = {
            person[CONF_NUMBER]: person[CONF_NAME] or person[CONF_NUMBER]
            for person in on_call_people(options)
            if person[CONF_NUMBER]
        }
        self._questions: dict[str, Question] = {}
        self._store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.{entry_id}.questions", atomic_writes=True
        )

    async def async_load(self) -> None:
        """Read the questions asked before a restart; a bad file asks none."""
        stored = await self._store.async_load() or {}
        try:
            questions = [Question.from_dict(q) for q in stored.get("questions", [])]
        except (KeyError, TypeError, ValueError) as err:
            LOGGER.warning("Stored SMS questions unreadable, starting empty: %s", err)
            questions = []
        now = dt_util.utcnow()
        self._questions = {q.id: q for q in forget_old(questions, now)}

    @callback
    def async_start(self) -> Callable[[], None]:
        """Listen for incoming SMS; returns the function that stops it."""
        stops = [
            self._hass.bus.async_listen(event_type, self._incoming)
            for event_type in INCOMING_SMS_EVENTS
        ]

        def stop() -> None:
            for unsubscribe in stops:
                unsubscribe()

        return stop

    # -- questions ----------------------------------------------------------------

    async def async_ask(
        self,
        kind: str,
        people: Sequence[Mapping[str, str]],
        minutes: float,
        language: str,
        question_id: str | None = None,
    ) -> Question:
        """Register a question (or ask more people an open one) and save it.

        `people` are {"name", "number"}; numbers in any form people type.
        """
        now = dt_util.utcnow()
        closes = now + timedelta(minutes=minutes)
        question = self._questions.get(question_id or "")
        if question is None:
            question = Question(
                id=ulid_now(),
                kind=kind,
                code=new_code(),
                closes=closes,
                language=language,
            )
        for person in people:
            if phone := normalize_number(str(person.get(CONF_NUMBER, ""))):
                name = str(person.get(CONF_NAME) or phone)
                question = question.with_person(phone, name, closes)
        self._questions[question.id] = question
        await self._async_save()
        return question

    async def async_close(self, question_id: str) -> None:
        """Close a question the automation no longer waits for."""
        if (question := self._questions.get(question_id)) is not None:
            self._questions[question_id] = replace(question, closed=True)
            await self._async_save()

    async def _async_save(self) -> None:
        questions = forget_old(self._questions.values(), dt_util.utcnow())
        self._questions = {q.id: q for q in questions}
        await self._store.async_save({"questions": [q.as_dict() for q in questions]})

    # -- answers ------------------------------------------------------------------

    @callback
    def _incoming(self, event: Event) -> None:
        self._hass.async_create_task(
            self.async_handle(
                str(event.data.get("phone") or ""), str(event.data.get("text") or "")
            ),
            f"{DOMAIN} incoming SMS",
        )

    async def async_handle(self, sender: str, text: str) -> Verdict:
        """Judge one incoming SMS, journal it, and act on it."""
        phone = normalize_number(sender) or sender
        now = dt_util.utcnow()
        verdict = judge(text, phone, self._questions.values(), self._on_call, now)
        if verdict.counts and verdict.question is not None:
            answered = replace(verdict.question, answered_by=phone)
            self._questions[answered.id] = answered
            await self._async_save()
        self._journal.add(RecordKind.ANSWER, self._record(verdict, phone, text))
        if verdict.counts and verdict.question is not None:
            self._announce(verdict, phone)
        elif verdict.outcome is Outcome.STATUS:
            sv = _swedish(self._hass.config.language)
            await self._async_reply(phone, status_text(self._status(), now, sv))
        elif verdict.name is not None:
            await self._async_refuse(verdict, phone)
        return verdict

    def _record(self, verdict: Verdict, phone: str, text: str) -> dict[str, Any]:
        question = verdict.question
        return {
            "channel": "sms",
            "number": masked(phone),
            "user_name": verdict.name,
            # What was typed, without the code: a code is spent, but the
            # journal is read by many and must not teach anyone one.
            "said": (verdict.word.value if verdict.word else text.strip()[:20]),
            "outcome": verdict.outcome.value,
            "question": question.id if question else None,
            "question_kind": question.kind if question else None,
        }

    def _announce(self, verdict: Verdict, phone: str) -> None:
        question, word = verdict.question, verdict.word
        if question is None or word is None:
            return
        self._hass.bus.async_fire(
            EVENT_ANSWER,
            {
                "entry_id": self._entry_id,
                "question": question.id,
                "answer": word.value,
                "channel": "sms",
                "name": verdict.name,
                "number": phone,
            },
        )

    async def _async_refuse(self, verdict: Verdict, phone: str) -> None:
        question = verdict.question
        sv = _swedish(question.language if question else self._hass.config.language)
        site = str(self._status().get("site") or "SOT")
        if text := refusal_text(verdict, site, sv):
            await self._async_reply(phone, text)

    async def _async_reply(self, phone: str, text: str) -> None:
        domain, _, service = self._service.partition(".")
        try:
            await self._hass.services.async_call(
                domain,
                service,
                # GSM 7-bit, as the texts are written for: one SMS of 160
                # characters (Unicode, the SMS integration's default, allows
                # only 70).
                {"message": text, "target": [phone], "data": {"unicode": False}},
                blocking=True,
            )
        except (HomeAssistantError, ValueError) as err:
            LOGGER.warning("Could not answer %s by SMS: %s", masked(phone), err)


def _swedish(language: str) -> bool:
    return language.split("-", maxsplit=1)[0] == "sv"
