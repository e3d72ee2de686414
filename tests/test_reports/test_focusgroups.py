"""Focus groups in the weekly picture: a line each, their quotes among the voices, their theme,
their channels, their entry in the list, and the page in every language."""

from __future__ import annotations

import html
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch.i18n import LANGUAGES
from bot.reporting import catalog_for
from reports.digest import Msg, build_digest
from reports.model import Tally
from reports.render import Words, render_digest_html
from storage import organisations as orgs
from tests.test_reports.test_digest_builder import (
    DANSAERT,
    MON,
    TUE,
    WED,
    WEEK,
    add,
    at,
    make_member,
    place,
)

LAST_WEEK = MON - timedelta(days=7)


def details(**changes: Any) -> dict[str, Any]:
    """Return a focus group's details as the flow stores them, with some answers changed."""
    stored: dict[str, Any] = {
        "held_on": "2026-11-23",
        "residents": 8,
        "users": 3,
        "partners": 2,
        "others": 0,
        "people": 13,
        "channel": "partner",
        "questions": [
            {
                "question": "What would make the square safer?",
                "said": ["More light near the tram stop", "A caretaker in the evening"],
                "quotes": [
                    {"text": "After eight I walk around it.", "voice": False, "agreed": True},
                    {"text": None, "voice": True, "agreed": True},
                    {"text": "The kids play till dark.", "voice": False, "agreed": True},
                ],
            },
            {"question": "Where do you meet?", "said": [], "quotes": []},
        ],
        "missing_voices": "Young men, and people who speak neither Dutch nor French",
    }
    return {**stored, **changes}


@pytest.fixture
def organisation(session_factory: sessionmaker[Session], now) -> tuple[int, int]:
    """Return an organisation with two focus groups this week, one last week and an encounter."""
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "Groepswerk", now - timedelta(days=30), "en", [1])
        staff = make_member(session, org.id, 501, "staff", "en", now - timedelta(days=20)).id
        add(
            session,
            org.id,
            staff,
            "focus_group",
            at(LAST_WEEK, 15),
            text="Last week's question",
            theme="housing",
            details=details(channel="event"),
        )
        add(
            session,
            org.id,
            staff,
            "focus_group",
            at(MON, 16),
            text="What would make the square safer?\nWhere do you meet?",
            theme="safety",
            place=place(*DANSAERT),
            details=details(),
        )
        add(
            session,
            org.id,
            staff,
            "encounter",
            at(TUE, 11),
            text="a bench",
            details={
                "who": "resident",
                "channel": "street",
                "experience": "Calm",
                "quote_ok": True,
            },
        )
        add(
            session,
            org.id,
            staff,
            "focus_group",
            at(WED, 18),
            text=None,
            theme=None,
            details=details(
                held_on="2026-11-25",
                residents=1,
                users="many",
                partners=-2,
                others=None,
                channel="other",
                channel_text="at the soup bar in the church",
                questions=[],
                missing_voices=None,
                place_text="the church hall",
            ),
        )
        return org.id, staff


def build(factory: sessionmaker[Session], org_id: int, language: str = "en"):
    with factory() as session:
        return build_digest(session, org_id, *WEEK, language)


def test_a_line_per_focus_group_with_counts_channel_and_the_missing_voice(
    session_factory, organisation
) -> None:
    digest = build(session_factory, organisation[0])
    first, second = digest.focus_groups
    assert first.held_on == date(2026, 11, 23)
    assert first.wijk == "Dansaert"
    assert first.attendance == (
        Tally("residents", 8),
        Tally("users", 3),
        Tally("partners", 2),
        Tally("others", 0),
    )
    assert (first.people, first.channel, first.channel_text) == (13, "partner", None)
    assert (first.questions, first.quotes, first.theme) == (2, 3, "safety")
    assert first.missing_voices == "Young men, and people who speak neither Dutch nor French"
    # Numbered as in the list: the focus group, the encounter, the second focus group.
    assert (first.number, second.number) == (1, 3)
    # Counts that are no number of people count as none; a typed channel and place show.
    assert [a.count for a in second.attendance] == [1, 0, 0, 0]
    assert second.people == 1
    assert (second.channel, second.channel_text) == ("other", "at the soup bar in the church")
    assert second.wijk == "the church hall"
    assert (second.questions, second.quotes, second.missing_voices) == (0, 0, None)
    assert digest.figure("focus_groups").value == 2
    assert digest.figure("focus_groups").previous == 1


def test_quotes_agreed_to_are_voices_at_most_two_per_group(session_factory, organisation) -> None:
    voices = build(session_factory, organisation[0]).voices
    assert [(v.kind, v.text) for v in voices] == [
        ("encounter", "Calm"),
        ("focus_group", "After eight I walk around it."),
        ("focus_group", "The kids play till dark."),
    ]
    assert voices[1].who is None and voices[1].theme == "safety" and voices[1].number == 1


def test_a_quote_not_marked_agreed_is_never_a_voice(session_factory, now) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "Strikt", now - timedelta(days=30), "en", [1])
        staff = make_member(session, org.id, 502, "staff", "en", now).id
        quotes = [{"text": "Not agreed", "agreed": False}, {"text": "No mark"}]
        add(
            session,
            org.id,
            staff,
            "focus_group",
            at(MON, 16),
            details=details(questions=[{"question": "Q", "said": [], "quotes": quotes}]),
        )
        org_id = org.id
    digest = build(session_factory, org_id)
    assert digest.voices == ()
    [entry] = digest.entries
    assert "digest.entry.quotes" not in [fact.label for fact in entry.facts]


def test_themes_and_the_channel_view_count_focus_groups(session_factory, organisation) -> None:
    digest = build(session_factory, organisation[0])
    themes = {row.theme: (row.count, row.previous) for row in digest.themes}
    assert themes["safety"] == (1, 0)
    assert themes["housing"] == (0, 1)
    # The second focus group and the encounter had no theme, though their flows asked for one.
    assert digest.unthemed == 2
    assert digest.participation is not None
    assert digest.participation.focus_channels == (
        Tally("activity", 0),
        Tally("partner", 1),
        Tally("event", 0),
        Tally("other", 1),
    )
    # Encounter channels are still their own view.
    assert Tally("street", 1) in digest.participation.channels


def test_a_week_without_focus_groups_shows_no_channel_view(session_factory, now) -> None:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "Stil", now - timedelta(days=30), "en", [1])
        staff = make_member(session, org.id, 503, "staff", "en", now).id
        add(session, org.id, staff, "note", at(MON, 9), text="a note")
        org_id = org.id
    digest = build(session_factory, org_id)
    assert digest.focus_groups == ()
    assert digest.participation is not None and digest.participation.focus_channels == ()


def test_the_list_entry_holds_the_focus_groups_answers(session_factory, organisation) -> None:
    entry = build(session_factory, organisation[0]).entries[0]
    assert entry.kind == "focus_group"
    assert entry.text == "What would make the square safer? Where do you meet?"
    facts = {fact.label: fact.value for fact in entry.facts}
    assert facts["digest.entry.held_on"] == date(2026, 11, 23)
    assert facts["digest.entry.attendance"] == Msg(
        "digest.entry.attendance_value", {"residents": 8, "users": 3, "partners": 2, "others": 0}
    )
    assert facts["digest.entry.channel"] == Msg("focusgroup.channel.partner", {"code": "partner"})
    assert facts["digest.entry.said"] == (
        "More light near the tram stop · A caretaker in the evening"
    )
    assert (
        facts["digest.entry.quotes"] == "“After eight I walk around it.” “The kids play till dark.”"
    )
    assert facts["digest.entry.missing_voices"].startswith("Young men")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_shows_the_focus_groups_in_every_language(
    session_factory, organisation, language: str
) -> None:
    digest = build(session_factory, organisation[0], language)
    page = html.unescape(render_digest_html(digest, catalog_for(language)))
    words = Words(language, catalog=catalog_for(language))
    section = page[page.index('<section id="focus-groups">') : page.index('<section id="voices">')]
    assert words.plain("focusgroup.channel.partner") in section
    assert "at the soup bar in the church" in section
    assert "Young men, and people who speak neither Dutch nor French" in section
    assert words.plain("focusgroup.group.residents") + " 8" in section
    voices = page[page.index('<section id="voices">') :]
    assert words.plain("digest.voices.focus_group") in voices
    participation = page[page.index('<section id="participation">') :]
    assert words.plain("digest.participation.focus_channels") in participation


def test_whose_voice_was_missing_is_a_question_for_the_team(session_factory, organisation) -> None:
    questions = build(session_factory, organisation[0]).questions
    voices = "Young men, and people who speak neither Dutch nor French"
    assert Msg("digest.q.missing_voices", {"voices": voices}) in questions
