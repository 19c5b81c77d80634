"""Who may answer by SMS, with which code, and what the texts say."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.sot_point.rules.sms import (
    SMS_LIMIT,
    Outcome,
    Question,
    Verdict,
    Word,
    fits_one_sms,
    gsm7_length,
    judge,
    normalize_number,
    parse_reply,
    refusal_text,
    status_text,
)

NOW = datetime(2026, 12, 4, 14, 32, tzinfo=UTC)
ANNA = "+46701234567"
BO = "+46709876543"
STRANGER = "+46731112222"
ON_CALL = {ANNA: "Anna", BO: "Bo"}


def question(kind: str = "start", **changes: Any) -> Question:
    base = Question(
        id="q1",
        kind=kind,
        code="4711",
        closes=NOW + timedelta(minutes=10),
        asked={ANNA: "Anna"},
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("070-123 45 67", ANNA),
        ("+46 70 123 45 67", ANNA),
        ("0046701234567", ANNA),
        ("+46701234567", ANNA),
        ("46701234567", ANNA),
        ("(070) 123.45.67", ANNA),
        ("12", None),
        ("hej", None),
        ("", None),
    ],
)
def test_numbers_people_type_become_one_form(typed: str, expected: str | None) -> None:
    """However a number is written, it is matched as the modem reports it."""
    assert normalize_number(typed) == expected


@pytest.mark.parametrize(
    ("text", "word", "code"),
    [
        ("START 4711", Word.START, "4711"),
        ("start 4711", Word.START, "4711"),
        ("  Starta  4711 ", Word.START, "4711"),
        ("KVITT 0815", Word.ACKNOWLEDGE, "0815"),
        ("ack 0815", Word.ACKNOWLEDGE, "0815"),
        ("Nej", Word.NO, None),
        ("no.", Word.NO, None),
        ("status", Word.STATUS, None),
        ("START", Word.START, None),
        ("Hej, vad händer?", None, None),
        ("", None, None),
    ],
)
def test_replies_are_read_as_people_write_them(
    text: str, word: Word | None, code: str | None
) -> None:
    """Case, spacing and Swedish or English words do not matter."""
    reply = parse_reply(text)
    assert (reply.word, reply.code) == (word, code)


def test_start_with_the_code_from_the_number_asked_counts() -> None:
    """The one answer that goes on to start the set."""
    verdict = judge("START 4711", ANNA, [question()], ON_CALL, NOW)
    assert verdict.outcome is Outcome.ACCEPTED
    assert verdict.counts
    assert verdict.name == "Anna"
    assert verdict.question is not None
    assert verdict.question.id == "q1"


@pytest.mark.parametrize(
    ("text", "phone", "questions", "outcome"),
    [
        ("START 1234", ANNA, [question()], Outcome.WRONG_CODE),
        ("START", ANNA, [question()], Outcome.WRONG_CODE),
        ("START 4711", STRANGER, [question()], Outcome.UNKNOWN_NUMBER),
        # Bo is on the list but was not asked this question.
        ("START 4711", BO, [question()], Outcome.NOT_ASKED),
        ("START 4711", ANNA, [question(closes=NOW)], Outcome.EXPIRED),
        ("START 4711", ANNA, [question(closed=True)], Outcome.EXPIRED),
        ("START 4711", ANNA, [question(answered_by=ANNA)], Outcome.ALREADY_ANSWERED),
        ("START 4711", ANNA, [], Outcome.NOT_ASKED),
        # A start answer to an acknowledgement, and the other way round.
        ("START 4711", ANNA, [question("acknowledge")], Outcome.NOT_ASKED),
        ("KVITT 4711", ANNA, [question()], Outcome.NOT_ASKED),
        ("Vad händer?", ANNA, [question()], Outcome.NOT_UNDERSTOOD),
        ("STATUS", BO, [], Outcome.STATUS),
        ("STATUS", STRANGER, [], Outcome.UNKNOWN_NUMBER),
    ],
)
def test_answers_that_do_not_count(
    text: str, phone: str, questions: list[Question], outcome: Outcome
) -> None:
    """Wrong code, wrong number, too late, twice, or nobody asked: ignored."""
    verdict = judge(text, phone, questions, ON_CALL, NOW)
    assert verdict.outcome is outcome
    assert not verdict.counts


def test_no_needs_no_code() -> None:
    """Declining starts nothing, so it needs no code."""
    verdict = judge("NEJ", ANNA, [question()], ON_CALL, NOW)
    assert verdict.outcome is Outcome.ACCEPTED
    assert verdict.word is Word.NO


def test_a_question_forgotten_after_a_day_is_nobody_asking() -> None:
    """A week-old START is not "too late", it answers nothing."""
    old = question(closes=NOW - timedelta(days=2))
    assert judge("START 4711", ANNA, [old], ON_CALL, NOW).outcome is Outcome.NOT_ASKED


def test_someone_asked_counts_even_when_not_on_the_list() -> None:
    """An automation may ask a number the site's list does not have."""
    verdict = judge(
        "START 4711", STRANGER, [question(asked={STRANGER: "Cia"})], {}, NOW
    )
    assert verdict.outcome is Outcome.ACCEPTED
    assert verdict.name == "Cia"


@pytest.mark.parametrize("outcome", [o for o in Outcome if o is not Outcome.ACCEPTED])
@pytest.mark.parametrize("sv", [True, False])
def test_every_reply_fits_one_sms(outcome: Outcome, sv: bool) -> None:
    """Refusals name the site and fit one GSM-7 segment, in both languages."""
    asked = question(answered_by=ANNA)
    verdict = Verdict(outcome, Word.ACKNOWLEDGE, asked, "Anna")
    text = refusal_text(verdict, "SOT-punkt Kall", sv)
    if outcome in {Outcome.STATUS, Outcome.UNKNOWN_NUMBER}:
        assert text is None
        return
    assert text is not None
    assert text.startswith("SOT-punkt Kall: ")
    assert fits_one_sms(text), (len(text), text)


def test_already_answered_says_by_whom() -> None:
    """Bo learns that Anna took it."""
    asked = question(asked={ANNA: "Anna", BO: "Bo"}, answered_by=ANNA)
    verdict = Verdict(Outcome.ALREADY_ANSWERED, Word.START, asked, "Bo")
    assert "Anna" in (refusal_text(verdict, "Kall", True) or "")


STATUS = {
    "site": "SOT-punkt Kall",
    "updated": (NOW - timedelta(seconds=12)).isoformat(),
    "mains_available": False,
    "generator_running": True,
    "on_backup_power": True,
    "fuel": {"autonomy_h": 43.4},
    "warm_room": {"temperature_c": 19.5},
}


def test_status_in_swedish() -> None:
    """Mains, generator, fuel, warm room and the data's age, in one SMS."""
    text = status_text(STATUS, NOW, sv=True)
    assert text == (
        "SOT-punkt Kall: strömavbrott. reservkraft ger ström. bränsle 43 h. "
        "värmestuga 19,5 grader. data 12 s gamla."
    )
    assert fits_one_sms(text)


def test_status_in_english_without_data() -> None:
    """A site that never answered says so instead of guessing."""
    text = status_text({"site": "Kall"}, NOW, sv=False)
    assert text == "Kall: mains unknown. generator unknown. no data."


@given(st.text(max_size=200))
def test_gsm7_length_counts_what_a_modem_would(text: str) -> None:
    """Never more than the characters times two; None for non-GSM text."""
    length = gsm7_length(text)
    if length is not None:
        assert len(text) <= length <= 2 * len(text)


def test_swedish_letters_are_in_gsm7_and_emoji_is_not() -> None:
    """å ä ö keep a message at 160 characters; an emoji would halve it."""
    assert gsm7_length("åäöÅÄÖ") == 6
    assert gsm7_length("€") == 2
    assert gsm7_length("°") is None
    assert gsm7_length("🙂") is None
    assert fits_one_sms("a" * SMS_LIMIT)
    assert not fits_one_sms("a" * (SMS_LIMIT + 1))
