"""Key-person follow-ups: due once on the Brussels date, only for active members; typed dates
in Dutch, French and English."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch.i18n import load_translator
from flows.engine import TEXT, FlowConfig, Input, InputKind, Reply, StepContext
from flows.keyperson import (
    KEYPERSON,
    KeyPersonDraft,
    a_month_after,
    due_follow_ups,
    follow_up_date,
    read_date,
    when_typed,
)
from storage import observations as obs
from storage import organisations as orgs
from storage.models import Member, Observation


def member(session: Session, organisation_id: int, telegram_user_id: int) -> Member:
    invite = orgs.create_invite(
        session, organisation_id, "staff", datetime(2026, 11, 1, tzinfo=UTC), timedelta(days=14)
    )
    return orgs.join_with_invite(
        session, invite, telegram_user_id, "en", "v1", datetime(2026, 11, 1, tzinfo=UTC)
    )


def key_person(
    session: Session,
    who: Member,
    on: date | None,
    alias: str = "the baker",
    kind: str = "key_person",
) -> Observation:
    return obs.add_observation(
        session,
        organisation_id=who.organisation_id,
        member_id=who.id,
        author="abc",
        kind=kind,
        now=datetime(2026, 11, 10, tzinfo=UTC),
        text="parents of the school",
        details={
            "alias": alias,
            "role": "baker",
            "network": "parents of the school",
            "follow_up": "visit the coffee morning",
            "contact_consent": False,
        },
        follow_up_on=on,
    )


def context(session: Session, now: datetime) -> StepContext:
    return StepContext(session=session, now=now, config=FlowConfig(secret_key="k"), member=None)


def test_due_follow_ups_are_sent_once_to_active_members_only(
    session_factory: sessionmaker[Session], now: datetime
) -> None:
    today = date(2026, 11, 24)
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "Buurtwerk", now, "nl", [37])
        active = member(session, org.id, 7001)
        gone = member(session, org.id, 7002)
        gone.active = False
        due_today = key_person(session, active, today, alias="the baker")
        overdue = key_person(session, active, today - timedelta(days=3), alias="the imam")
        key_person(session, active, today + timedelta(days=1), alias="tomorrow")
        key_person(session, active, None, alias="no date")
        key_person(session, gone, today, alias="inactive member")
        key_person(session, active, today, alias="an encounter", kind="encounter")
        sent = key_person(session, active, today, alias="already sent")
        sent.follow_up_sent_at = now - timedelta(days=1)
        ids = (overdue.id, due_today.id)

    with session_factory.begin() as session:
        results = due_follow_ups(context(session, now))
        assert [(chat, member_id) for chat, member_id, _ in results] == [
            (7001, active.id),
            (7001, active.id),
        ]
        aliases = [effects[0].params["alias"] for _, _, effects in results]
        assert aliases == ["the imam", "the baker"]
        [effect] = results[0][2]
        assert isinstance(effect, Reply)
        text = load_translator().text("en", effect.key, effect.params)
        assert "the imam" in text
        assert "parents of the school" in text
        assert "visit the coffee morning" in text

    with session_factory() as session:
        for observation_id in ids:
            stamped = session.get(Observation, observation_id).follow_up_sent_at
            assert stamped is not None
            assert stamped.replace(tzinfo=None) == now.replace(tzinfo=None)
    with session_factory.begin() as session:
        assert due_follow_ups(context(session, now + timedelta(hours=1))) == []


def test_the_day_is_the_brussels_day_and_a_missing_note_is_said_plainly(
    session_factory: sessionmaker[Session],
) -> None:
    # 23:30 UTC on 24 November is already 25 November in Brussels.
    late = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "Buurtwerk", late, "nl", [37])
        someone = member(session, org.id, 7003)
        observation = key_person(session, someone, date(2026, 11, 25))
        observation.details = {**observation.details, "follow_up": None}
    with session_factory.begin() as session:
        assert due_follow_ups(context(session, late - timedelta(hours=1))) == []
        [(chat, _, (effect,))] = due_follow_ups(context(session, late))
        assert chat == 7003
        for language in ("nl", "fr", "en"):
            text = load_translator().text(language, effect.key, effect.params)
            assert load_translator().raw(language, "keyperson.no_note") in text


THURSDAY = date(2026, 12, 3)
TUESDAY = date(2026, 11, 24)
UNKNOWN = "unknown"


def past(day: date) -> tuple[str, date]:
    """A date understood but gone by: asked again, never moved a year ahead."""
    return ("past", day)


# (typed, today, expected): a date, past(the date understood) or UNKNOWN.
TYPED_DATES = [
    # Day and month in figures; a day/month just gone (within about two months) is questioned.
    ("1/12", THURSDAY, past(date(2026, 12, 1))),
    ("01/12/2026", THURSDAY, past(date(2026, 12, 1))),
    ("1-12", THURSDAY, past(date(2026, 12, 1))),
    ("1.12", THURSDAY, past(date(2026, 12, 1))),
    ("1.12.", THURSDAY, past(date(2026, 12, 1))),
    ("4/10", THURSDAY, past(date(2026, 10, 4))),
    ("3/12", THURSDAY, date(2026, 12, 3)),  # today is fine
    (" 24 / 12 ", THURSDAY, date(2026, 12, 24)),
    ("15/1", THURSDAY, date(2027, 1, 15)),  # far back: clearly next year
    ("2/10", THURSDAY, date(2027, 10, 2)),
    ("15/12", TUESDAY, date(2026, 12, 15)),
    ("1/3", TUESDAY, date(2027, 3, 1)),
    ("15-01-2027", TUESDAY, date(2027, 1, 15)),
    ("15.01.27", TUESDAY, date(2027, 1, 15)),
    ("01/06/2026", TUESDAY, past(date(2026, 6, 1))),
    ("29/2", date(2027, 12, 3), date(2028, 2, 29)),
    ("31/11/2026", TUESDAY, UNKNOWN),
    ("31/11", THURSDAY, UNKNOWN),
    ("12/25", THURSDAY, UNKNOWN),
    ("1/12/2026/3", THURSDAY, UNKNOWN),
    # Day and month name, in any of the three languages, with or without a year.
    ("1 dec", THURSDAY, past(date(2026, 12, 1))),
    ("1 december", THURSDAY, past(date(2026, 12, 1))),
    ("1er décembre", THURSDAY, past(date(2026, 12, 1))),
    ("1 décembre", THURSDAY, past(date(2026, 12, 1))),
    ("1st December", THURSDAY, past(date(2026, 12, 1))),
    ("24 DÉCEMBRE.", THURSDAY, date(2026, 12, 24)),
    ("24 decembre", THURSDAY, date(2026, 12, 24)),
    ("op 15 maart", THURSDAY, date(2027, 3, 15)),
    ("15 mrt", THURSDAY, date(2027, 3, 15)),
    ("le 1er mars", THURSDAY, date(2027, 3, 1)),
    ("2 sept", THURSDAY, date(2027, 9, 2)),
    ("1er déc. 2027", THURSDAY, date(2027, 12, 1)),
    ("3 februari 2027", THURSDAY, date(2027, 2, 3)),
    ("1 January 2026", THURSDAY, past(date(2026, 1, 1))),
    ("December 24th", THURSDAY, date(2026, 12, 24)),
    ("May 2, 2027", THURSDAY, date(2027, 5, 2)),
    ("1 jui", THURSDAY, UNKNOWN),  # juin or juillet?
    ("30 februari", THURSDAY, UNKNOWN),
    # A weekday is the next such day, never today (3 December 2026 is a Thursday).
    ("maandag", THURSDAY, date(2026, 12, 7)),
    ("Maandag", THURSDAY, date(2026, 12, 7)),
    ("lundi", THURSDAY, date(2026, 12, 7)),
    ("monday", THURSDAY, date(2026, 12, 7)),
    ("volgende maandag", THURSDAY, date(2026, 12, 7)),
    ("lundi prochain", THURSDAY, date(2026, 12, 7)),
    ("next Monday", THURSDAY, date(2026, 12, 7)),
    ("ma", THURSDAY, date(2026, 12, 7)),
    ("mer.", THURSDAY, date(2026, 12, 9)),
    ("vendredi", THURSDAY, date(2026, 12, 4)),
    ("donderdag", THURSDAY, date(2026, 12, 10)),
    ("jeudi", THURSDAY, date(2026, 12, 10)),
    ("Thursday", THURSDAY, date(2026, 12, 10)),
    ("vrijdag volgende week", THURSDAY, date(2026, 12, 11)),
    ("vendredi de la semaine prochaine", THURSDAY, date(2026, 12, 11)),
    ("friday next week", THURSDAY, date(2026, 12, 11)),
    # Words for days from today.
    ("vandaag", THURSDAY, THURSDAY),
    ("aujourd'hui", THURSDAY, THURSDAY),
    ("today", THURSDAY, THURSDAY),
    ("morgen", THURSDAY, date(2026, 12, 4)),
    ("Demain.", THURSDAY, date(2026, 12, 4)),
    ("tomorrow", THURSDAY, date(2026, 12, 4)),
    ("overmorgen", THURSDAY, date(2026, 12, 5)),
    ("après-demain", THURSDAY, date(2026, 12, 5)),
    ("the day after tomorrow", THURSDAY, date(2026, 12, 5)),
    # Next week is its Monday; next month its first day.
    ("volgende week", THURSDAY, date(2026, 12, 7)),
    ("la semaine prochaine", THURSDAY, date(2026, 12, 7)),
    ("next week", THURSDAY, date(2026, 12, 7)),
    ("volgende week", date(2026, 12, 6), date(2026, 12, 7)),  # on a Sunday: tomorrow
    ("volgende maand", THURSDAY, date(2027, 1, 1)),
    ("le mois prochain", THURSDAY, date(2027, 1, 1)),
    ("next month", THURSDAY, date(2027, 1, 1)),
    # So many days, weeks or months from today.
    ("over 2 weken", THURSDAY, date(2026, 12, 17)),
    ("dans 2 semaines", THURSDAY, date(2026, 12, 17)),
    ("in 2 weeks", THURSDAY, date(2026, 12, 17)),
    ("over twee weken", THURSDAY, date(2026, 12, 17)),
    ("dans deux semaines", THURSDAY, date(2026, 12, 17)),
    ("in two weeks", THURSDAY, date(2026, 12, 17)),
    ("binnen 14 dagen", THURSDAY, date(2026, 12, 17)),
    ("over 3 dagen", THURSDAY, date(2026, 12, 6)),
    ("dans 3 jours", THURSDAY, date(2026, 12, 6)),
    ("in 3 days", THURSDAY, date(2026, 12, 6)),
    ("over een maand", THURSDAY, date(2027, 1, 3)),
    ("dans un mois", THURSDAY, date(2027, 1, 3)),
    ("in a month", THURSDAY, date(2027, 1, 3)),
    ("in 2 months", date(2026, 12, 31), date(2027, 2, 28)),
    # Not dates.
    ("over 2 jaar", THURSDAY, UNKNOWN),
    ("na de zomer", THURSDAY, UNKNOWN),
    ("bientôt", THURSDAY, UNKNOWN),
    ("", THURSDAY, UNKNOWN),
]


@pytest.mark.parametrize(("typed", "today", "expected"), TYPED_DATES)
def test_typed_dates(typed: str, today: date, expected: object) -> None:
    if expected == UNKNOWN:
        assert read_date(typed, today) == (None, "keyperson.bad_date")
    elif isinstance(expected, tuple):
        assert read_date(typed, today) == (expected[1], "keyperson.past_date")
    else:
        assert read_date(typed, today) == (expected, None)


def test_a_date_gone_by_is_asked_again_with_the_date_understood(
    session_factory: sessionmaker[Session],
) -> None:
    moment = datetime(2026, 12, 3, 10, tzinfo=UTC)
    with session_factory() as session:
        ctx = context(session, moment)
        typed = Input(kind=InputKind.TEXT, chat_id=1, user_id=1, date=moment, text="1/12")
        baker = KeyPersonDraft(alias="the baker")
        step = KEYPERSON.states["when"].on[TEXT]
        outcome = KEYPERSON.settle(ctx, step, "when", when_typed(ctx, typed, baker))
        assert outcome.state == "when" and outcome.draft == baker
        [again] = outcome.effects
        assert again.key == "keyperson.past_date" and again.params == {"date": "01/12/2026"}
        assert again.buttons  # the follow-up buttons come with it
        for language in ("nl", "fr", "en"):
            assert "01/12/2026" in load_translator().text(language, again.key, again.params)
        monday = Input(kind=InputKind.TEXT, chat_id=1, user_id=1, date=moment, text="maandag")
        outcome = KEYPERSON.settle(ctx, step, "when", when_typed(ctx, monday, baker))
        assert outcome.state == "consent" and outcome.draft.follow_up_on == date(2026, 12, 7)


def test_button_dates() -> None:
    today = date(2026, 11, 24)
    assert follow_up_date("week", today) == date(2026, 12, 1)
    assert follow_up_date("2weeks", today) == date(2026, 12, 8)
    assert follow_up_date("month", today) == date(2026, 12, 24)
    assert follow_up_date("none", today) is None
    assert a_month_after(date(2027, 1, 31)) == date(2027, 2, 28)
    assert a_month_after(date(2026, 12, 15)) == date(2027, 1, 15)
