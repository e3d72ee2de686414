"""/focusgroup's pure answers: the day a group met (read backwards), counts of people, and
numbers typed at a question with number buttons."""

from __future__ import annotations

from datetime import date

import pytest

from bot.dispatch.i18n import load_translator
from bot.dispatch.typed import typed_button
from flows.dates import FUTURE, UNKNOWN, read_past_day
from flows.engine import Button
from flows.focusgroup import FocusGroupDraft, GroupQuestion, GroupQuote, details_of, read_count

THURSDAY = date(2026, 12, 3)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("vandaag", (THURSDAY, None)),
        ("gisteren", (date(2026, 12, 2), None)),
        ("hier", (date(2026, 12, 2), None)),
        ("Yesterday", (date(2026, 12, 2), None)),
        ("eergisteren", (date(2026, 12, 1), None)),
        ("avant-hier", (date(2026, 12, 1), None)),
        ("the day before yesterday", (date(2026, 12, 1), None)),
        # A weekday alone is the last one, today included.
        ("maandag", (date(2026, 11, 30), None)),
        ("lundi dernier", (date(2026, 11, 30), None)),
        ("vorige vrijdag", (date(2026, 11, 27), None)),
        ("last Friday", (date(2026, 11, 27), None)),
        ("donderdag", (THURSDAY, None)),
        ("28/11", (date(2026, 11, 28), None)),
        ("le 1er décembre", (date(2026, 12, 1), None)),
        ("30 nov.", (date(2026, 11, 30), None)),
        # A day and month still to come this year is last year's.
        ("15/12", (date(2025, 12, 15), None)),
        ("15/12/2025", (date(2025, 12, 15), None)),
        # What is still to come, typed in full or in words, is not when a group met.
        ("15/12/2026", (date(2026, 12, 15), FUTURE)),
        ("morgen", (date(2026, 12, 4), FUTURE)),
        ("next monday", (date(2026, 12, 7), FUTURE)),
        ("ergens vorige maand", (None, UNKNOWN)),
        ("31/02/2026", (None, UNKNOWN)),
        ("", (None, UNKNOWN)),
    ],
)
def test_the_day_a_group_met(typed: str, expected: object) -> None:
    assert read_past_day(typed, THURSDAY) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0", 0),
        ("25", 25),
        (" 7 ", 7),
        ("12.", 12),
        ("500", 500),
        ("501", None),
        ("-3", None),
        ("2,5", None),
        ("veel", None),
        ("١٢", None),  # other digits than 0-9 are no count here
        ("", None),
    ],
)
def test_a_typed_count_of_people(typed: str, expected: int | None) -> None:
    assert read_count(typed) == expected


def test_a_number_typed_is_only_its_own_button() -> None:
    translator = load_translator()
    buttons = [Button("focusgroup.number", f"n:{n}", {"number": n}) for n in ("3", "25")]
    assert typed_button(translator, "3", buttons) == "n:3"
    assert typed_button(translator, " 25 ", buttons) == "n:25"
    for typed in ("-3", "2,5", "2.5", "3!"):
        assert typed_button(translator, typed, buttons) is None, typed


def test_the_stored_details_keep_each_quote_apart_and_marked_agreed() -> None:
    draft = FocusGroupDraft(
        held_on=date(2026, 12, 2),
        counts=(8, 3),
        channel="activity",
        questions=(
            GroupQuestion("What do you miss?", ("a bench",), 1, (GroupQuote("Words"),)),
            GroupQuestion(None, (), 0, (GroupQuote(None, voice=True),)),
        ),
    )
    details = details_of(draft)
    # Counts not given (a draft cut short) are 0, never missing.
    counts = {group: details[group] for group in ("residents", "users", "partners", "others")}
    assert counts == {"residents": 8, "users": 3, "partners": 0, "others": 0}
    assert details["people"] == 11
    assert details["questions"] == [
        {
            "question": "What do you miss?",
            "said": ["a bench"],
            "quotes": [{"text": "Words", "voice": False, "agreed": True}],
        },
        {"question": None, "said": [], "quotes": [{"text": None, "voice": True, "agreed": True}]},
    ]
    assert "said_messages" not in str(details)
