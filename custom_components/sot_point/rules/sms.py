"""Answers by SMS: who may answer what, with which code, and the texts.

A question sent by SMS ("Svara START 4711 ...") carries a one-time code. An
answer counts only from a number that was asked, only while the question is
open, only once, and only with its code. Everything else is ignored and,
where the number is on the site's on-call list, answered with one short SMS
that says why. These rules decide that; the Home Assistant side only
receives, journals and sends.

Every text here fits one SMS: 160 characters of the GSM 7-bit alphabet,
which has å, ä, ö, Å, Ä and Ö. A character outside it (an emoji, a curly
quote) would turn the whole message into UCS-2 and 70 characters a segment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
import re
import secrets
from typing import Any

from .words import number as decimal

SMS_LIMIT = 160

# GSM 03.38: the basic set, and the extension set whose characters take two.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


def gsm7_length(text: str) -> int | None:
    """Septets `text` takes in the GSM 7-bit alphabet; None if it cannot."""
    length = 0
    for char in text:
        if char in _GSM7_BASIC:
            length += 1
        elif char in _GSM7_EXTENDED:
            length += 2
        else:
            return None
    return length


def fits_one_sms(text: str) -> bool:
    """Whether `text` goes as one GSM-7 segment of 160 characters."""
    length = gsm7_length(text)
    return length is not None and length <= SMS_LIMIT


# --- Numbers -----------------------------------------------------------------

_NUMBER_JUNK = re.compile(r"[\s\-()./]")


def normalize_number(text: str, country_code: str = "46") -> str | None:
    """A phone number in international form (+46701234567), or None.

    Accepts what people type and what modems report: "070-123 45 67",
    "+46 70 123 45 67", "0046701234567". A national number (leading 0)
    gets `country_code`; Swedish by default, as the sites are.
    """
    digits = _NUMBER_JUNK.sub("", text.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = f"+{country_code}{digits[1:]}"
    elif digits.isdigit():
        # International without its "+": what a template makes of
        # "+46701234567" (it reads it as a number), and how some modems
        # report the sender.
        digits = "+" + digits
    if not re.fullmatch(r"\+[1-9]\d{6,14}", digits):
        return None
    return digits


def masked(phone: str) -> str:
    """A number as the journal and logs show it: the last four digits."""
    return f"…{phone[-4:]}" if len(phone) > 4 else phone


# --- Replies -----------------------------------------------------------------


class Word(StrEnum):
    """What an answer says, whatever language it was typed in."""

    START = "start"
    NO = "no"
    ACKNOWLEDGE = "acknowledge"
    STATUS = "status"


_WORDS: Mapping[str, Word] = {
    "START": Word.START,
    "STARTA": Word.START,
    "NEJ": Word.NO,
    "NO": Word.NO,
    "KVITT": Word.ACKNOWLEDGE,
    "KVITTERA": Word.ACKNOWLEDGE,
    "ACK": Word.ACKNOWLEDGE,
    "STATUS": Word.STATUS,
}
# The answer a question of each kind waits for; NEJ answers a start question.
ANSWERS: Mapping[str, frozenset[Word]] = {
    "start": frozenset({Word.START, Word.NO}),
    "acknowledge": frozenset({Word.ACKNOWLEDGE}),
}


@dataclass(frozen=True, slots=True)
class Reply:
    """An SMS as read: its word, if any, and the code after it, if any."""

    word: Word | None
    code: str | None


def parse_reply(text: str) -> Reply:
    """Read "start 4711", "Kvitt 0815", "STATUS", "nej" and the like."""
    parts = text.strip().replace(",", " ").split()
    if not parts:
        return Reply(None, None)
    word = _WORDS.get(parts[0].upper().rstrip(".!"))
    code = next((part for part in parts[1:] if part.isdigit()), None)
    return Reply(word, code)


# --- Questions ---------------------------------------------------------------


def new_code() -> str:
    """A four-digit one-time code, from the operating system's randomness."""
    return f"{secrets.randbelow(10000):04d}"


@dataclass(frozen=True, slots=True)
class Question:
    """One question sent by SMS, and whom it was sent to.

    `asked` maps each number asked to the person's name. `closes` is when
    the last person asked stops being able to answer; `answered_by` the
    number whose answer counted, once one has.
    """

    id: str
    kind: str
    code: str
    closes: datetime
    asked: Mapping[str, str] = field(default_factory=dict)
    answered_by: str | None = None
    closed: bool = False
    language: str = "sv"

    def open_at(self, now: datetime) -> bool:
        """Whether an answer can still count."""
        return not self.closed and self.answered_by is None and now < self.closes

    def with_person(self, phone: str, name: str, closes: datetime) -> Question:
        """The question, also asked of `phone`, open at least until `closes`."""
        return replace(
            self,
            asked={**self.asked, phone: name},
            closes=max(self.closes, closes),
        )

    def as_dict(self) -> dict[str, Any]:
        """As stored."""
        return {
            "id": self.id,
            "kind": self.kind,
            "code": self.code,
            "closes": self.closes.isoformat(),
            "asked": dict(self.asked),
            "answered_by": self.answered_by,
            "closed": self.closed,
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Question:
        """As stored; raises KeyError, TypeError or ValueError if not."""
        return cls(
            id=str(data["id"]),
            kind=str(data["kind"]),
            code=str(data["code"]),
            closes=datetime.fromisoformat(str(data["closes"])),
            asked={str(k): str(v) for k, v in dict(data["asked"]).items()},
            answered_by=data.get("answered_by"),
            closed=bool(data.get("closed", False)),
            language=str(data.get("language", "sv")),
        )


class Outcome(StrEnum):
    """What became of an SMS that came in."""

    ACCEPTED = "accepted"
    STATUS = "status"
    WRONG_CODE = "wrong_code"
    EXPIRED = "expired"
    ALREADY_ANSWERED = "already_answered"
    NOT_ASKED = "not_asked"
    UNKNOWN_NUMBER = "unknown_number"
    NOT_UNDERSTOOD = "not_understood"


@dataclass(frozen=True, slots=True)
class Verdict:
    """An incoming SMS judged: what it was, for which question, from whom."""

    outcome: Outcome
    word: Word | None = None
    question: Question | None = None
    name: str | None = None

    @property
    def counts(self) -> bool:
        """Whether the answer goes on to the automation that asked."""
        return self.outcome is Outcome.ACCEPTED


# How long after a question closes a late answer is still told "too late"
# rather than "nobody asked you": a day covers a person who slept on it.
LATE_ANSWER_MEMORY = timedelta(hours=24)


def judge(
    text: str,
    phone: str,
    questions: Iterable[Question],
    on_call: Mapping[str, str],
    now: datetime,
) -> Verdict:
    """What an SMS from `phone` is, given the questions sent and the list.

    `on_call` maps the site's on-call numbers to names. A number that is
    neither on the list nor asked is unknown, whatever it says.
    """
    reply = parse_reply(text)
    mine = [q for q in questions if phone in q.asked]
    name = on_call.get(phone) or next((q.asked[phone] for q in mine), None)
    if name is None:
        return Verdict(Outcome.UNKNOWN_NUMBER, reply.word)
    if reply.word is None:
        return Verdict(Outcome.NOT_UNDERSTOOD, None, name=name)
    if reply.word is Word.STATUS:
        return Verdict(Outcome.STATUS, Word.STATUS, name=name)
    return _answer(reply, mine, name, now)


def _answer(reply: Reply, mine: list[Question], name: str, now: datetime) -> Verdict:
    fitting = [q for q in mine if reply.word in ANSWERS.get(q.kind, frozenset())]
    live = [q for q in fitting if q.open_at(now)]
    if not live:
        return Verdict(_why_closed(fitting, now), reply.word, _newest(fitting), name)
    # NEJ needs no code: declining cannot start anything.
    if reply.word is Word.NO:
        return Verdict(Outcome.ACCEPTED, reply.word, _newest(live), name)
    matching = [q for q in live if q.code == reply.code]
    if not matching:
        return Verdict(Outcome.WRONG_CODE, reply.word, _newest(live), name)
    return Verdict(Outcome.ACCEPTED, reply.word, matching[0], name)


def _why_closed(fitting: list[Question], now: datetime) -> Outcome:
    recent = [q for q in fitting if now - q.closes < LATE_ANSWER_MEMORY]
    if any(q.answered_by is not None for q in recent):
        return Outcome.ALREADY_ANSWERED
    if recent:
        return Outcome.EXPIRED
    return Outcome.NOT_ASKED


def _newest(questions: list[Question]) -> Question | None:
    return max(questions, key=lambda q: q.closes) if questions else None


def forget_old(questions: Iterable[Question], now: datetime) -> list[Question]:
    """The questions still worth keeping: those closed less than a day ago."""
    return [q for q in questions if now - q.closes < LATE_ANSWER_MEMORY]


# --- Texts ---------------------------------------------------------------------

_REFUSALS: Mapping[Outcome, tuple[str, str]] = {
    Outcome.WRONG_CODE: (
        "Fel kod. Svaret räknades inte. Svara med koden i frågan, t.ex. {word} 1234.",
        "Wrong code. The answer did not count. Reply with the code in the "
        "question, e.g. {word} 1234.",
    ),
    Outcome.EXPIRED: (
        "För sent: frågan är inte öppen längre. Inget görs. Skicka STATUS för läget.",
        "Too late: the question is no longer open. Nothing is done. Send STATUS "
        "for the situation.",
    ),
    Outcome.ALREADY_ANSWERED: (
        "Frågan är redan besvarad av {by}. Inget mer görs.",
        "The question has already been answered by {by}. Nothing more is done.",
    ),
    Outcome.NOT_ASKED: (
        "Ingen fråga väntar på svar från dig. Inget görs. Skicka STATUS för läget.",
        "No question is waiting for your answer. Nothing is done. Send STATUS for "
        "the situation.",
    ),
    Outcome.NOT_UNDERSTOOD: (
        "Okänt svar. Svara START eller KVITT med koden i frågan, NEJ, eller STATUS.",
        "Unknown reply. Reply START or ACK with the code in the question, NO, or "
        "STATUS.",
    ),
}
_WORD_SHOWN: Mapping[Word | None, tuple[str, str]] = {
    Word.START: ("START", "START"),
    Word.ACKNOWLEDGE: ("KVITT", "ACK"),
}


def refusal_text(verdict: Verdict, site: str, sv: bool) -> str | None:
    """The SMS back to a number on the list whose answer did not count."""
    texts = _REFUSALS.get(verdict.outcome)
    if texts is None:
        return None
    shown = _WORD_SHOWN.get(verdict.word, ("START", "START"))
    question = verdict.question
    by = "?"
    if question is not None and question.answered_by is not None:
        by = question.asked.get(question.answered_by, "?")
    body = (texts[0] if sv else texts[1]).format(word=shown[0 if sv else 1], by=by)
    return _fit(f"{site}: {body}")


def _fit(text: str) -> str:
    """`text`, shortened to one SMS if a long site name pushed it over."""
    if fits_one_sms(text):
        return text
    return text[: SMS_LIMIT - 1] + "."


def status_text(status: Mapping[str, Any], now: datetime, sv: bool) -> str:
    """The site's state in one SMS, from its status object (no personal data).

    Mains, generator, fuel autonomy, warm room, and how old the data is.
    """
    lang = "sv" if sv else "en"
    parts = [
        _mains(status, sv),
        _generator(status, sv),
        _autonomy(status, lang),
        _warm_room(status, lang),
        _age(status, now, sv),
    ]
    site = str(status.get("site") or "SOT")
    return _fit(f"{site}: " + ". ".join(p for p in parts if p) + ".")


def _mains(status: Mapping[str, Any], sv: bool) -> str:
    mains = status.get("mains_available")
    if mains is None:
        return "nät okänt" if sv else "mains unknown"
    if mains:
        return "nätet finns" if sv else "mains on"
    return "strömavbrott" if sv else "power cut"


def _generator(status: Mapping[str, Any], sv: bool) -> str:
    if status.get("on_backup_power"):
        return "reservkraft ger ström" if sv else "backup power on"
    if status.get("generator_running"):
        return "reservkraftverket går" if sv else "generator running"
    if status.get("generator_running") is None:
        return "reservkraftverket okänt" if sv else "generator unknown"
    return "reservkraftverket står" if sv else "generator stopped"


def _autonomy(status: Mapping[str, Any], lang: str) -> str:
    fuel = status.get("fuel") or {}
    hours = fuel.get("autonomy_h") if isinstance(fuel, Mapping) else None
    if not isinstance(hours, int | float):
        return ""
    shown = decimal(float(hours), lang, 0)
    return f"bränsle {shown} h" if lang == "sv" else f"fuel {shown} h"


def _warm_room(status: Mapping[str, Any], lang: str) -> str:
    room = status.get("warm_room") or {}
    temperature = room.get("temperature_c") if isinstance(room, Mapping) else None
    if not isinstance(temperature, int | float):
        return ""
    shown = decimal(float(temperature), lang, 1)
    # No degree sign: it is not in the GSM alphabet.
    return f"värmestuga {shown} grader" if lang == "sv" else f"warm room {shown} C"


def _age(status: Mapping[str, Any], now: datetime, sv: bool) -> str:
    updated = status.get("updated")
    if not isinstance(updated, str):
        return "inga data" if sv else "no data"
    seconds = max(0, int((now - datetime.fromisoformat(updated)).total_seconds()))
    age = f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"
    return f"data {age} gamla" if sv else f"data {age} old"
