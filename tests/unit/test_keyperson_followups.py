"""Key-person follow-ups: due once on the Brussels date, only for active members; typed dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import load_translator
from flows.engine import FlowConfig, Reply, StepContext
from flows.keyperson import a_month_after, due_follow_ups, follow_up_date, read_date
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


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("15/12", (date(2026, 12, 15), None)),
        ("1/3", (date(2027, 3, 1), None)),  # the next 1 March
        ("24/11", (date(2026, 11, 24), None)),  # today is fine
        ("15-01-2027", (date(2027, 1, 15), None)),
        ("15.01.27", (date(2027, 1, 15), None)),
        ("01/06/2026", (None, "keyperson.past_date")),
        ("31/11/2026", (None, "keyperson.bad_date")),
        ("next week", (None, "keyperson.bad_date")),
        ("", (None, "keyperson.bad_date")),
    ],
)
def test_typed_dates(typed: str, expected: tuple[date | None, str | None]) -> None:
    assert read_date(typed, date(2026, 11, 24)) == expected


def test_button_dates() -> None:
    today = date(2026, 11, 24)
    assert follow_up_date("week", today) == date(2026, 12, 1)
    assert follow_up_date("2weeks", today) == date(2026, 12, 8)
    assert follow_up_date("month", today) == date(2026, 12, 24)
    assert follow_up_date("none", today) is None
    assert a_month_after(date(2027, 1, 31)) == date(2027, 2, 28)
    assert a_month_after(date(2026, 12, 15)) == date(2027, 1, 15)
