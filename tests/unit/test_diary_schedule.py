"""Diary reminders and summaries: due once a day at the local time, across DST and restarts;
never in the middle of an entry, never on the evening of enrolment after the chosen time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from flows.diary import (
    CONSENT_VERSION,
    DiaryDraft,
    diary_button,
    due_reminders,
    due_summaries,
    flows_with_a_draft,
    home_skipped,
    reminder,
    typed_time,
)
from flows.engine import FlowConfig, Input, InputKind, Reply, StepContext, Text
from storage import diaries
from storage import observations as obs
from storage import organisations as orgs
from storage.models import ChatState, Diarist, Member, Observation

BRUSSELS = ZoneInfo("Europe/Brussels")
CONFIG = FlowConfig(secret_key="k", timezone="Europe/Brussels")


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """Return a Brussels wall-clock moment as an aware UTC datetime."""
    moment = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=BRUSSELS)
    return moment.astimezone(UTC)


def context(session: Session, now: datetime, member: Member | None = None) -> StepContext:
    return StepContext(session=session, now=now, config=CONFIG, member=member)


def make_member(session: Session, telegram_user_id: int, organisation_id: int | None = None):
    if organisation_id is None:
        organisation_id = orgs.create_organisation(
            session, "Buurtwerk", datetime(2026, 1, 1, tzinfo=UTC), "nl", [1, 2]
        ).id
    invite = orgs.create_invite(
        session,
        organisation_id,
        "resident",
        datetime(2026, 1, 1, tzinfo=UTC),
        timedelta(days=3650),
    )
    return orgs.join_with_invite(
        session,
        invite,
        telegram_user_id,
        "nl",
        "resident-2026-11",
        datetime(2026, 1, 1, tzinfo=UTC),
    )


def enrol(
    session: Session, member: Member, started_on: date, reminder_time: str | None = "09:00"
) -> Diarist:
    return diaries.enrol(
        session,
        member,
        consent_version=CONSENT_VERSION,
        started_on=started_on,
        reminder_time=reminder_time,
        home_wijk=None,
        now=local(started_on, 8),
    )


def add_entry(
    session: Session, member: Member, day: date, at: datetime, **details: object
) -> Observation:
    return obs.add_observation(
        session,
        organisation_id=member.organisation_id,
        member_id=member.id,
        author="P-TEST",
        kind="diary_entry",
        now=at,
        text="bread",
        theme=str(details.pop("theme", "food")),
        details={"for_date": day.isoformat(), "met": "yes", **details},
    )


def sweep(factory: sessionmaker[Session], now: datetime, job=due_reminders) -> list:
    """Run a sweep in its own committed transaction, as the scheduler does."""
    with factory.begin() as session:
        return job(context(session, now))


@pytest.fixture
def setup(session_factory: sessionmaker[Session], now: datetime):
    """One resident with a 09:00 reminder whose diary started on 2026-11-20."""
    with session_factory.begin() as session:
        member = make_member(session, 4242)
        enrol(session, member, date(2026, 11, 20))
        return member.id


def test_a_reminder_is_due_at_the_local_time_once(session_factory, setup) -> None:
    day = date(2026, 11, 24)
    assert sweep(session_factory, local(day, 8, 59, 59)) == []
    [(chat, member_id, effects)] = sweep(session_factory, local(day, 9, 0))
    assert (chat, member_id) == (4242, setup)
    [message] = effects
    assert isinstance(message, Reply) and message.key == "diary.reminder"
    assert message.params["day"] == 5
    values = [button.value for row in message.buttons for button in row]
    assert values == ["g|diary|none|20261124", "g|diary|pause|20261124"]
    assert all(len(value.encode()) <= 64 for value in values)
    assert sweep(session_factory, local(day, 9, 1)) == []
    assert sweep(session_factory, local(day, 23, 59)) == []
    with session_factory() as session:
        assert diaries.get_diarist(session, setup).last_reminded_on == day
    # The next day it is due again.
    assert len(sweep(session_factory, local(day + timedelta(days=1), 9, 0))) == 1


def test_no_reminder_when_today_already_has_an_entry(session_factory, setup) -> None:
    day = date(2026, 11, 24)
    with session_factory.begin() as session:
        member = session.get(Member, setup)
        add_entry(session, member, day, local(day, 7, 30))
        # An entry about yesterday, written today, does not answer today.
        add_entry(session, member, day, local(day - timedelta(days=1), 20))
    assert sweep(session_factory, local(day, 9, 0)) == []
    with session_factory.begin() as session:
        member = session.get(Member, setup)
        add_entry(session, member, day - timedelta(days=1), local(day + timedelta(days=1), 7))
    # The next day, an entry written that morning about the day before does not count.
    assert len(sweep(session_factory, local(day + timedelta(days=1), 9, 0))) == 1


def test_a_nothing_today_answer_counts_as_an_entry(session_factory, setup) -> None:
    day = date(2026, 11, 24)
    with session_factory.begin() as session:
        ctx = context(session, local(day, 8), session.get(Member, setup))
        inp = Input(kind=InputKind.CALLBACK, chat_id=4242, user_id=4242, date=ctx.now)
        answer, noted = diary_button(ctx, inp, ["none", "20261124"])
        assert noted.key == "diary.nothing_noted" and noted.edit
        assert noted.params["when"] == Text("diary.when.today")
        # Tapping twice stores one answer.
        again = diary_button(ctx, inp, ["none", "20261124"])
        assert again[0].key == "diary.already_answered"
        # A button of another day, or a made-up one, changes nothing.
        assert diary_button(ctx, inp, ["none", "20261101"])[0].key == "error.stale_button"
        assert diary_button(ctx, inp, ["none", "garbage"])[0].key == "diary.not_running_toast"
    assert sweep(session_factory, local(day, 9, 0)) == []
    with session_factory() as session:
        [marker] = diaries.entries(session, setup, day, day)
        assert marker.details["nothing"] is True and not diaries.is_need(marker)
        assert marker.text is None and marker.details["day_number"] == 5


def test_paused_and_stopped_diaries_get_no_reminder(session_factory, setup) -> None:
    day = date(2026, 11, 24)
    with session_factory.begin() as session:
        ctx = context(session, local(day, 8), session.get(Member, setup))
        inp = Input(kind=InputKind.CALLBACK, chat_id=4242, user_id=4242, date=ctx.now)
        _, paused = diary_button(ctx, inp, ["pause", "20261124"])
        assert paused.key == "diary.paused"
        assert diaries.get_diarist(session, setup).paused_until == day + timedelta(days=3)
    for offset in range(4):
        assert sweep(session_factory, local(day + timedelta(days=offset), 10)) == []
    assert len(sweep(session_factory, local(day + timedelta(days=4), 10))) == 1
    with session_factory.begin() as session:
        diaries.stop(diaries.get_diarist(session, setup), local(day + timedelta(days=4), 12))
    for offset in range(5, 40):
        moment = local(day + timedelta(days=offset), 10)
        assert sweep(session_factory, moment) == []
        assert sweep(session_factory, moment, due_summaries) == []


def test_no_reminders_means_none_and_resume_brings_them_back(session_factory, now) -> None:
    day = date(2026, 11, 24)
    with session_factory.begin() as session:
        quiet = enrol(session, make_member(session, 5001), day, None)
        paused = enrol(session, make_member(session, 5002), day, "08:00")
        diaries.pause(paused, day, 7)
    assert sweep(session_factory, local(day, 21)) == []
    with session_factory.begin() as session:
        diaries.resume(session.get(Diarist, paused.id))
        diaries.set_reminder_time(session.get(Diarist, quiet.id), "20:15")
    due = sweep(session_factory, local(day, 21))
    assert sorted(chat for chat, _, _ in due) == [5001, 5002]


def test_a_blocked_member_is_skipped_until_they_come_back(session_factory, setup) -> None:
    day = date(2026, 11, 24)
    with session_factory.begin() as session:
        orgs.mark_member_inactive(session, 4242)
    assert sweep(session_factory, local(day, 9, 30)) == []
    with session_factory() as session:
        assert diaries.get_diarist(session, setup).last_reminded_on is None
    with session_factory.begin() as session:
        orgs.mark_member_active(session, 4242)
    assert len(sweep(session_factory, local(day, 9, 31))) == 1


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (date(2027, 3, 28), 7),  # spring forward: CEST from 02:00, 09:00 local is 07:00 UTC
        (date(2026, 10, 25), 8),  # fall back: CET from 03:00, 09:00 local is 08:00 UTC
        (date(2027, 10, 31), 8),
    ],
)
def test_a_0900_reminder_is_due_at_0900_local_on_dst_days(
    session_factory, day: date, utc_hour: int
) -> None:
    with session_factory.begin() as session:
        member = make_member(session, 6001)
        enrol(session, member, day - timedelta(days=3))
    due_at = datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)
    assert local(day, 9) == due_at
    assert sweep(session_factory, due_at - timedelta(seconds=1)) == []
    assert sweep(session_factory, due_at - timedelta(hours=1)) == []
    assert len(sweep(session_factory, due_at)) == 1
    assert sweep(session_factory, due_at + timedelta(hours=1)) == []
    # The day after the change, 09:00 local is at the new offset, once again.
    next_day = day + timedelta(days=1)
    assert sweep(session_factory, local(next_day, 8, 59, 59)) == []
    assert len(sweep(session_factory, local(next_day, 9))) == 1


def test_reminders_in_the_skipped_and_repeated_hour(session_factory) -> None:
    spring, autumn = date(2027, 3, 28), date(2026, 10, 25)
    with session_factory.begin() as session:
        for user_id, started in ((6101, spring), (6102, autumn)):
            enrol(session, make_member(session, user_id), started - timedelta(days=1), "02:30")
    # 02:30 does not exist on 28 March 2027: the clock jumps from 01:59:59 to 03:00 (01:00 UTC).
    assert sweep(session_factory, datetime(2027, 3, 28, 0, 59, 59, tzinfo=UTC)) == []
    [(chat, _, _)] = sweep(session_factory, datetime(2027, 3, 28, 1, 0, tzinfo=UTC))
    assert chat == 6101
    # 02:30 happens twice on 25 October 2026 (00:30 and 01:30 UTC): one reminder.
    assert sweep(session_factory, datetime(2026, 10, 25, 0, 29, tzinfo=UTC)) == []
    [(chat, _, _)] = sweep(session_factory, datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    assert chat == 6102
    assert sweep(session_factory, datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == []


def test_a_restart_around_the_reminder_minute_gives_exactly_one(session_factory, setup) -> None:
    day = date(2026, 11, 24)
    # Down from 08:58:30 to 09:07: the first sweeps after the restart catch up with one.
    assert sweep(session_factory, local(day, 8, 58, 30)) == []
    assert len(sweep(session_factory, local(day, 9, 7))) == 1
    assert sweep(session_factory, local(day, 9, 7, 1)) == []
    # A crash inside the sweep's transaction keeps nothing: the next run sends it, once.
    next_day = day + timedelta(days=1)
    with session_factory() as session:
        assert len(due_reminders(context(session, local(next_day, 9, 0, 5)))) == 1
        session.rollback()
    assert len(sweep(session_factory, local(next_day, 9, 0, 30))) == 1
    assert sweep(session_factory, local(next_day, 9, 1)) == []
    # After downtime of several days: one reminder, not one per missed day.
    later = day + timedelta(days=5)
    assert len(sweep(session_factory, local(later, 15))) == 1
    assert sweep(session_factory, local(later, 15, 1)) == []


def test_reminders_only_within_the_30_days(session_factory) -> None:
    start = date(2026, 11, 24)
    with session_factory.begin() as session:
        enrol(session, make_member(session, 6201), start)
    assert sweep(session_factory, local(start - timedelta(days=1), 10)) == []
    assert len(sweep(session_factory, local(start + timedelta(days=29), 10))) == 1
    assert sweep(session_factory, local(start + timedelta(days=30), 10)) == []


def test_a_full_30_day_diary_with_a_simulated_clock(session_factory) -> None:
    start = date(2026, 10, 12)  # crosses the autumn DST change on 25 October
    with session_factory.begin() as session:
        member = make_member(session, 7001)
        enrol(session, member, start, "19:00")
        member_id = member.id
    reminded: list[date] = []
    summaries: list[tuple[date, Reply]] = []
    entry_days = {0, 3, 4, 10, 13, 20, 29}
    for offset in range(0, 36):
        day = start + timedelta(days=offset)
        for hour, minute in ((0, 30), (12, 0), (18, 59), (19, 0), (19, 5), (23, 59)):
            moment = local(day, hour, minute)
            if offset in entry_days and (hour, minute) == (12, 0):
                with session_factory.begin() as session:
                    member = session.get(Member, member_id)
                    met = "no" if offset % 2 else "yes"
                    theme = "health" if offset in (3, 13, 20) else "food"
                    extra = {"where_source": "typed"} if met == "no" else {}
                    add_entry(session, member, day, moment, met=met, theme=theme, **extra)
            for chat, _, _effects in sweep(session_factory, moment):
                assert chat == 7001 and (hour, minute) == (19, 0)
                reminded.append(day)
            for _chat, _, effects in sweep(session_factory, moment, due_summaries):
                summaries.append((day, effects[0]))
    expected = [start + timedelta(days=d) for d in range(30) if d not in entry_days]
    assert reminded == expected
    assert len(reminded) == 23
    [(sent_on, summary)] = summaries
    assert sent_on == start + timedelta(days=30)  # the day after day 30, at the reminder time
    assert summary.key == "diary.summary"
    assert summary.params["needs"] == 7
    assert summary.params["outside"] == 3  # days 3, 13 and 29 were "no" with a place elsewhere
    assert summary.params["theme"] == Text("theme.food")
    assert summary.params["organisation"] == "Buurtwerk"
    with session_factory() as session:
        diarist = diaries.get_diarist(session, member_id)
        assert diarist.ends_on == start + timedelta(days=29)
        assert diarist.summary_sent_at is not None


def test_a_summary_without_needs_and_one_without_reminders(session_factory) -> None:
    start = date(2026, 11, 1)
    with session_factory.begin() as session:
        enrol(session, make_member(session, 7101), start, None)
    end = start + timedelta(days=29)
    assert sweep(session_factory, local(end, 23), due_summaries) == []
    assert sweep(session_factory, local(end + timedelta(days=1), 12, 29), due_summaries) == []
    [(_, _, (summary,))] = sweep(
        session_factory, local(end + timedelta(days=1), 12, 30), due_summaries
    )
    assert summary.key == "diary.summary_empty"
    assert sweep(session_factory, local(end + timedelta(days=2), 13), due_summaries) == []


def test_a_late_summary_goes_within_two_weeks_only(session_factory) -> None:
    start = date(2026, 9, 1)
    with session_factory.begin() as session:
        enrol(session, make_member(session, 7201), start, "09:00")
        enrol(session, make_member(session, 7202), start + timedelta(days=5), "09:00")
    moment = local(start + timedelta(days=29 + 15), 10)
    [(chat, _, _)] = sweep(session_factory, moment, due_summaries)
    assert chat == 7202


def test_the_reminder_counts_days_from_the_start(session_factory, setup) -> None:
    day = date(2026, 12, 19)
    [(_, _, (message,))] = sweep(session_factory, local(day, 9))
    assert message.params == {"day": 30, "days": 30} == reminder(30, day).params


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("20:15", "20:15"),
        (" 8:05 ", "08:05"),
        ("20.15", "20:15"),
        ("20h15", "20:15"),
        ("20u15", "20:15"),
        ("8", "08:00"),
        ("19h", "19:00"),
        ("0:00", "00:00"),
        ("24:00", None),
        ("12:60", None),
        ("noon", None),
        ("", None),
        ("1215", None),
    ],
)
def test_typed_times(typed: str, expected: str | None) -> None:
    assert diaries.read_time(typed) == expected


def test_distances_run_from_the_home_wijk_else_the_buurt_centre(session_factory, setup) -> None:
    from flows.diary import reference_point
    from geo import get_gazetteer

    gazetteer = get_gazetteer()
    with session_factory.begin() as session:
        member = session.get(Member, setup)
        ctx = context(session, local(date(2026, 11, 24), 10), member)
        diarist = diaries.get_diarist(session, setup)
        labels = [gazetteer.wijk(code).label for code in (1, 2)]
        centre = (sum(p[0] for p in labels) / 2, sum(p[1] for p in labels) / 2)
        assert reference_point(ctx, diarist) == (centre, "buurt")
        diarist.home_wijk = 37
        assert reference_point(ctx, diarist) == (gazetteer.wijk(37).label, "home")


# A reminder time already passed when it is chosen starts the next day.


def enrol_through_the_flow(session: Session, member: Member, at: datetime, reminder_time: str):
    """Finish enrolment as the flow does (home skipped); return the welcome's reminder line."""
    ctx = context(session, at, member)
    skip = Input(
        kind=InputKind.TEXT,
        chat_id=member.telegram_user_id,
        user_id=member.telegram_user_id,
        date=at,
        text="skip",
        keyboard_key="button.skip",
    )
    draft = DiaryDraft(mode="enrol", consent=CONSENT_VERSION, time=reminder_time)
    outcome = home_skipped(ctx, skip, draft)
    assert outcome.state is None
    [welcome] = [e for e in outcome.effects if isinstance(e, Reply) and e.key == "diary.enrolled"]
    return welcome.params["reminder"]


def test_enrolling_after_the_reminder_time_reminds_from_the_next_day(session_factory) -> None:
    day = date(2026, 12, 8)
    with session_factory.begin() as session:
        early = make_member(session, 8002)
        line = enrol_through_the_flow(session, early, local(day, 19), "20:00")
        assert line == Text("diary.enrolled_reminder", {"time": "20:00"})
    [(chat, _, _)] = sweep(session_factory, local(day, 20))
    assert chat == 8002  # enrolled before the time: reminded that evening
    with session_factory.begin() as session:
        late = make_member(session, 8001, early.organisation_id)
        line = enrol_through_the_flow(session, late, local(day, 21), "20:00")
        assert line == Text("diary.enrolled_reminder_tomorrow", {"time": "20:00"})
    # Enrolled at 21:00: nothing that evening, the first reminder the next day at 20:00.
    assert sweep(session_factory, local(day, 21, 0, 30)) == []
    assert sweep(session_factory, local(day, 23, 59)) == []
    next_day = day + timedelta(days=1)
    assert sweep(session_factory, local(next_day, 19, 59)) == []
    due = sweep(session_factory, local(next_day, 20))
    assert sorted(chat for chat, _, _ in due) == [8001, 8002]
    [message] = next(effects for chat, _, effects in due if chat == 8001)
    assert message.params["day"] == 2


def test_a_time_changed_to_one_already_passed_starts_tomorrow(session_factory) -> None:
    day = date(2026, 12, 8)
    with session_factory.begin() as session:
        earlier = make_member(session, 8101)
        later = make_member(session, 8102, earlier.organisation_id)
        for member in (earlier, later):
            enrol(session, member, day - timedelta(days=2), "22:00")
    typed = {8101: "20:00", 8102: "21:30"}
    answers = {}
    with session_factory.begin() as session:
        for user_id, value in typed.items():
            member = session.get(Member, make_member_id(session, user_id))
            ctx = context(session, local(day, 21), member)
            inp = Input(
                kind=InputKind.TEXT, chat_id=user_id, user_id=user_id, date=ctx.now, text=value
            )
            [answer] = typed_time(ctx, inp, DiaryDraft(mode="change")).effects
            answers[user_id] = (answer.key, answer.params)
    assert answers == {
        8101: ("diary.time_changed_tomorrow", {"time": "20:00"}),
        8102: ("diary.time_changed", {"time": "21:30"}),
    }
    assert sweep(session_factory, local(day, 21, 1)) == []
    [(chat, _, _)] = sweep(session_factory, local(day, 21, 30))
    assert chat == 8102
    assert sweep(session_factory, local(day, 23, 59)) == []
    next_day = day + timedelta(days=1)
    [(chat, _, _)] = sweep(session_factory, local(next_day, 20))
    assert chat == 8101


def make_member_id(session: Session, telegram_user_id: int) -> int:
    return orgs.get_member(session, telegram_user_id).id


# A reminder never interrupts: it waits while the chat is in the middle of something.


def chat_in(session: Session, chat_id: int, flow: str, state: str, at: datetime) -> None:
    """Put a private chat in a flow's state, as the dispatcher stores it."""
    row = session.get(ChatState, chat_id)
    if row is None:
        row = ChatState(chat_id=chat_id, version=1, draft={}, updated_at=at)
        session.add(row)
    row.flow, row.state, row.draft, row.updated_at = flow, state, {"for_date": "x"}, at


def chat_idle(session: Session, chat_id: int) -> None:
    row = session.get(ChatState, chat_id)
    if row is not None:
        session.delete(row)


def test_a_reminder_waits_while_an_entry_is_being_made(session_factory, setup) -> None:
    day = date(2026, 11, 24)
    with session_factory.begin() as session:
        chat_in(session, 4242, "diary", "need", local(day, 8, 58))
    assert sweep(session_factory, local(day, 9)) == []
    with session_factory.begin() as session:
        chat_in(session, 4242, "diary", "met", local(day, 9, 4))
    assert sweep(session_factory, local(day, 9, 5)) == []
    with session_factory() as session:
        assert diaries.get_diarist(session, setup).last_reminded_on is None
    # The entry (about yesterday) is saved: the chat is free and the reminder goes.
    with session_factory.begin() as session:
        member = session.get(Member, setup)
        add_entry(session, member, day - timedelta(days=1), local(day, 9, 6))
        chat_idle(session, 4242)
    [(chat, _, _)] = sweep(session_factory, local(day, 9, 6, 30))
    assert chat == 4242


def test_a_reminder_behind_an_entry_about_today_is_not_sent(session_factory, setup) -> None:
    day = date(2026, 11, 24)
    with session_factory.begin() as session:
        chat_in(session, 4242, "diary", "theme", local(day, 8, 59))
    assert sweep(session_factory, local(day, 9, 0, 30)) == []
    with session_factory.begin() as session:
        add_entry(session, session.get(Member, setup), day, local(day, 9, 2))
        chat_idle(session, 4242)
    # Today is answered: no reminder that day, the next day as usual.
    assert sweep(session_factory, local(day, 9, 3)) == []
    assert sweep(session_factory, local(day, 22)) == []
    assert len(sweep(session_factory, local(day + timedelta(days=1), 9))) == 1


def test_which_chats_hold_a_reminder_back(session_factory, setup) -> None:
    cases = [
        # (flow, state, minutes since the chat last moved, does the reminder wait?)
        ("diary", "menu", 1, True),  # the overview is open: an entry is about to start
        ("missing", "theme", 5, True),  # another flow with a draft
        ("keyperson", "when", 59, True),
        ("walk", "walking", 1, False),  # a walk takes anything as a note: no draft to spoil
        ("missing", "theme", 61, False),  # a draft left for an hour is not in progress
        ("diary", "need", 120, False),
    ]
    day = date(2026, 11, 24)
    for offset, (flow, state, minutes, waits) in enumerate(cases):
        moment = local(day + timedelta(days=offset), 10)
        with session_factory.begin() as session:
            chat_in(session, 4242, flow, state, moment - timedelta(minutes=minutes))
        sent = len(sweep(session_factory, moment))
        assert sent == (0 if waits else 1), (flow, state, minutes)


def test_only_flows_with_a_draft_hold_a_reminder_back() -> None:
    busy = flows_with_a_draft()
    assert {"diary", "keyperson", "missing", "encounter"} <= set(busy)
    assert "walk" not in busy and "help" not in busy
