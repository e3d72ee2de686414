"""storage.diaries: enrolment, pause and stop, entries by day, summaries, adherence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage import diaries
from storage import observations as obs
from storage import organisations as orgs
from storage.models import Diarist, Member
from storage.privacy import pseudonym

START = date(2026, 11, 20)


def member(session: Session, organisation_id: int, telegram_user_id: int) -> Member:
    invite = orgs.create_invite(
        session, organisation_id, "resident", datetime(2026, 11, 1, tzinfo=UTC), timedelta(days=30)
    )
    return orgs.join_with_invite(
        session,
        invite,
        telegram_user_id,
        "fr",
        "resident-2026-11",
        datetime(2026, 11, 1, tzinfo=UTC),
    )


def entry(session: Session, who: Member, day: date, **details: object) -> None:
    obs.add_observation(
        session,
        organisation_id=who.organisation_id,
        member_id=who.id,
        author="P-X",
        kind="diary_entry",
        now=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10),
        text=details.pop("text", "a doctor"),  # type: ignore[arg-type]
        theme=details.pop("theme", "health"),  # type: ignore[arg-type]
        details={"for_date": day.isoformat(), **details},
    )


@pytest.fixture
def org(session_factory: sessionmaker[Session], now: datetime) -> int:
    with session_factory.begin() as session:
        return orgs.create_organisation(session, "Buurtwerk Zuid", now, "nl", [8, 9]).id


def test_enrolment_variants(session_factory, org, now) -> None:
    with session_factory.begin() as session:
        plain = member(session, org, 1)
        quiet = member(session, org, 2)
        first = diaries.enrol(
            session,
            plain,
            consent_version="diary-2026-11",
            started_on=START,
            reminder_time="20:15",
            home_wijk=8,
            now=now,
        )
        second = diaries.enrol(
            session,
            quiet,
            consent_version="diary-2026-11",
            started_on=START,
            reminder_time=None,
            home_wijk=None,
            now=now,
        )
        assert first.ends_on == date(2026, 12, 19) and (first.ends_on - first.started_on).days == 29
        assert first.organisation_id == org and first.consent_version == "diary-2026-11"
        assert first.reminder_time == "20:15" and first.home_wijk == 8
        assert second.reminder_time is None and second.home_wijk is None
        assert diaries.day_number(first, START) == 1
        assert diaries.day_number(first, first.ends_on) == 30
        assert diaries.is_open(first, START) and diaries.is_open(first, first.ends_on)
        assert not diaries.is_open(first, START - timedelta(days=1))
        assert not diaries.is_open(first, first.ends_on + timedelta(days=1))
        with pytest.raises(ValueError):
            diaries.enrol(
                session,
                plain,
                consent_version="x",
                started_on=START,
                reminder_time="8:00",
                home_wijk=None,
                now=now,
            )


def test_a_new_diary_after_a_stop_starts_afresh(session_factory, org, now) -> None:
    with session_factory.begin() as session:
        who = member(session, org, 3)
        diarist = diaries.enrol(
            session,
            who,
            consent_version="diary-2026-11",
            started_on=START,
            reminder_time="09:00",
            home_wijk=9,
            now=now,
        )
        diaries.pause(diarist, START, 3)
        diarist.last_reminded_on = START
        diaries.stop(diarist, now)
        assert not diaries.is_open(diarist, START + timedelta(days=1))
        again = diaries.enrol(
            session,
            who,
            consent_version="diary-2027-01",
            started_on=date(2027, 1, 5),
            reminder_time="19:00",
            home_wijk=None,
            now=now,
        )
        assert again.id == diarist.id
        assert session.scalars(select(Diarist)).all() == [again]
        assert again.stopped_at is None and again.paused_until is None
        assert again.last_reminded_on is None and again.summary_sent_at is None
        assert again.consent_version == "diary-2027-01" and again.home_wijk is None
        assert again.ends_on == date(2027, 2, 3)


def test_pause_resume_and_reminder_time(session_factory, org, now) -> None:
    with session_factory.begin() as session:
        diarist = diaries.enrol(
            session,
            member(session, org, 4),
            consent_version="diary-2026-11",
            started_on=START,
            reminder_time="09:00",
            home_wijk=None,
            now=now,
        )
        day = START + timedelta(days=2)
        again_on = diaries.pause(diarist, day, 7)
        assert again_on == day + timedelta(days=8)
        assert diaries.is_paused(diarist, day) and diaries.is_paused(diarist, day + timedelta(7))
        assert not diaries.is_paused(diarist, again_on)
        diaries.resume(diarist)
        assert not diaries.is_paused(diarist, day)
        diaries.set_reminder_time(diarist, None)
        assert diarist.reminder_time is None
        with pytest.raises(ValueError):
            diaries.set_reminder_time(diarist, "25:00")


def test_entries_by_day_and_the_nothing_answers(session_factory, org, now) -> None:
    with session_factory.begin() as session:
        who = member(session, org, 5)
        other = member(session, org, 6)
        entry(session, who, START)
        entry(session, who, START + timedelta(days=1), nothing=True, text=None, theme=None)
        entry(session, who, START + timedelta(days=2), theme="food")
        entry(session, who, START - timedelta(days=3))  # from an earlier diary
        entry(session, other, START)
        found = diaries.entries(session, who.id, START, START + timedelta(days=29))
        assert [diaries.for_date(o) for o in found] == [
            START + timedelta(days=d) for d in (0, 1, 2)
        ]
        needs = diaries.entries(session, who.id, START, START + timedelta(days=29), True)
        assert len(needs) == 2 and all(diaries.is_need(o) for o in needs)
        since = datetime.combine(START, datetime.min.time(), UTC)
        assert diaries.has_entry_on(session, who.id, START + timedelta(days=1), since)
        assert not diaries.has_entry_on(session, who.id, START + timedelta(days=3), since)
        assert not diaries.has_entry_on(session, who.id, START, since + timedelta(days=1))


def test_summary_figures(session_factory, org, now) -> None:
    with session_factory.begin() as session:
        who = member(session, org, 7)
        diarist = diaries.enrol(
            session,
            who,
            consent_version="diary-2026-11",
            started_on=START,
            reminder_time=None,
            home_wijk=None,
            now=now,
        )
        entry(session, who, START, met="yes", theme="shops")
        entry(session, who, START + timedelta(1), met="no", where_source="location", theme="food")
        entry(session, who, START + timedelta(1), met="partly", where_source="typed", theme="food")
        entry(session, who, START + timedelta(2), met="no", where_source="did_without")
        entry(session, who, START + timedelta(3), nothing=True, text=None, theme=None)
        entry(session, who, START + timedelta(30), met="no", where_source="typed")  # after the end
        figures = diaries.summary(session, diarist)
        assert figures == {
            "needs": 4,
            "outside": 2,
            "did_without": 1,
            "top_theme": "food",
            "days_with_needs": 3,
        }


def test_adherence_shows_keeping_up_never_content(session_factory, org, now) -> None:
    today = START + timedelta(days=6)
    with session_factory.begin() as session:
        keen = member(session, org, 8)
        paused = member(session, org, 9)
        stopped = member(session, org, 10)
        elsewhere_org = orgs.create_organisation(session, "Elders", now, "nl", [1])
        elsewhere = member(session, elsewhere_org.id, 11)
        for who in (keen, paused, stopped, elsewhere):
            diaries.enrol(
                session,
                who,
                consent_version="diary-2026-11",
                started_on=START,
                reminder_time="09:00",
                home_wijk=8,
                now=now,
            )
        entry(session, keen, START + timedelta(days=4), text="secret words")
        entry(session, keen, START + timedelta(days=5), nothing=True, text=None, theme=None)
        entry(session, keen, START + timedelta(days=5))
        diaries.pause(diaries.get_diarist(session, paused.id), today, 3)
        diaries.stop(diaries.get_diarist(session, stopped.id), now)
        rows = diaries.adherence(session, org, today, secret_key="k")
        ids = (keen.id, paused.id, stopped.id)
    by_name = {row["pseudonym"]: row for row in rows}
    assert set(by_name) == {pseudonym("k", i) for i in ids}
    first = by_name[pseudonym("k", ids[0])]
    assert first == {
        "pseudonym": pseudonym("k", ids[0]),
        "day": 7,
        "last_entry": START + timedelta(days=5),
        "days_answered": 2,
        "paused": False,
        "stopped": False,
        "ended": False,
    }
    assert by_name[pseudonym("k", ids[1])]["paused"] is True
    assert by_name[pseudonym("k", ids[1])]["last_entry"] is None
    assert by_name[pseudonym("k", ids[2])]["stopped"] is True
    flat = repr(rows)
    assert "secret words" not in flat and "health" not in flat and "a doctor" not in flat
    with session_factory() as session:
        later = diaries.adherence(session, org, START + timedelta(days=40), secret_key="k")
        assert all(row["day"] == 30 and row["ended"] for row in later)
        assert diaries.adherence(session, org + 100, today) == []


def test_adherence_without_a_key_uses_the_stored_secret(session_factory, org, now) -> None:
    from storage import deployment

    with session_factory.begin() as session:
        who = member(session, org, 12)
        diaries.enrol(
            session,
            who,
            consent_version="diary-2026-11",
            started_on=START,
            reminder_time=None,
            home_wijk=None,
            now=now,
        )
        secret = deployment.get_or_create_secret(session, "secret_key")
        [row] = diaries.adherence(session, org, START)
        assert row["pseudonym"] == pseudonym(secret, who.id) and row["day"] == 1


def test_enrol_many_for_bulk_setups(session_factory, org, now) -> None:
    with session_factory.begin() as session:
        people = [member(session, org, 100 + i) for i in range(5)]
        assert (
            diaries.enrol_many(
                session,
                people,
                consent_version="diary-2026-11",
                started_on=START,
                reminder_time="09:00",
                now=now,
            )
            == 5
        )
    with session_factory() as session:
        rows = session.scalars(select(Diarist)).all()
        assert len(rows) == 5 and {r.ends_on for r in rows} == {date(2026, 12, 19)}
        assert all(r.paused_until is None and r.last_reminded_on is None for r in rows)
