"""The 30-day diary: enrolment, pause and stop, who is due a reminder or a summary, adherence.

A diary entry is an observation of kind "diary_entry" whose details carry "for_date" (the ISO
date the entry is about, today or yesterday). A day answered with "nothing today" is also a
diary_entry, with details {"nothing": true}: it counts as an answer for that day (no more
reminders, adherence) but never as a need (see is_need; summaries and reports skip it).

Times of day are local wall-clock times "HH:MM" in the deployment's time zone; callers pass the
local date and time, so daylight saving time is handled once, where the clock is read.

last_reminded_on is the last day whose reminder is done: sent, or not wanted because the
reminder time had already passed when it was chosen (enrolling at 21:00 with a 20:00 reminder
gets the first one the next day, not at once in the middle of the first entry).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Exists, Select, Table, func, or_, select, update
from sqlalchemy.orm import Session

from storage import deployment
from storage.models import ChatState, Diarist, Member, Observation
from storage.privacy import pseudonym

DIARY_DAYS = 30
KIND = "diary_entry"
# When a diarist without reminders gets the summary (local time), the day after the last day.
SUMMARY_DEFAULT_TIME = "12:30"
# A summary not sent within this many days after the diary ended is not sent any more.
SUMMARY_WITHIN_DAYS = 14
MET_OUTSIDE = ("partly", "no")
# Ids per IN (...) list in bulk updates.
CHUNK = 500

_TIME = re.compile(r"^\s*(\d{1,2})(?:\s*[:.hHuU]\s*(\d{2})?)?\s*(?:uur|h)?\s*$")


def read_time(text: str) -> str | None:
    """Return a typed time of day as "HH:MM" (20:15, 20.15, 20h15, 20u15, 8), or None."""
    match = _TIME.match(text or "")
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def get_diarist(session: Session, member_id: int) -> Diarist | None:
    """Return a member's diary enrolment (current or ended), if any."""
    return session.scalar(select(Diarist).where(Diarist.member_id == member_id))


def enrol(
    session: Session,
    member: Member,
    *,
    consent_version: str,
    started_on: date,
    reminder_time: str | None,
    home_wijk: int | None,
    now: datetime,
    local_time: str | None = None,
) -> Diarist:
    """Start a 30-day diary today; a member whose earlier diary ended starts a fresh one.

    `local_time` ("HH:MM") is the local time of enrolment: a reminder time already passed then
    is first due the next day.
    """
    if reminder_time is not None and read_time(reminder_time) != reminder_time:
        raise ValueError(f"reminder time must be HH:MM, not {reminder_time!r}")
    diarist = get_diarist(session, member.id)
    if diarist is None:
        diarist = Diarist(member_id=member.id)
        session.add(diarist)
    diarist.organisation_id = member.organisation_id
    diarist.consent_version = consent_version
    diarist.started_on = started_on
    diarist.ends_on = started_on + timedelta(days=DIARY_DAYS - 1)
    diarist.reminder_time = reminder_time
    diarist.paused_until = None
    diarist.stopped_at = None
    diarist.home_wijk = home_wijk
    diarist.last_reminded_on = None
    diarist.summary_sent_at = None
    diarist.created_at = now
    if local_time is not None:
        skip_passed_reminder(diarist, started_on, local_time)
    session.flush()
    return diarist


def skip_passed_reminder(diarist: Diarist, today: date, local_time: str) -> None:
    """Count today's reminder as done when its time has already passed (it was just chosen)."""
    if diarist.reminder_time is not None and diarist.reminder_time <= local_time:
        diarist.last_reminded_on = max(diarist.last_reminded_on or today, today)


def enrol_many(
    session: Session,
    members: Iterable[Member],
    *,
    consent_version: str,
    started_on: date,
    reminder_time: str | None,
    now: datetime,
) -> int:
    """Enrol many members at once (benchmarks, imports); return how many."""
    rows = [
        {
            "member_id": member.id,
            "organisation_id": member.organisation_id,
            "consent_version": consent_version,
            "started_on": started_on,
            "ends_on": started_on + timedelta(days=DIARY_DAYS - 1),
            "reminder_time": reminder_time,
            "created_at": now,
        }
        for member in members
    ]
    if rows:
        session.execute(cast(Table, Diarist.__table__).insert(), rows)
    return len(rows)


def is_open(diarist: Diarist, today: date) -> bool:
    """Say whether the diary runs today: started, not past day 30, not stopped."""
    return diarist.stopped_at is None and diarist.started_on <= today <= diarist.ends_on


def day_number(diarist: Diarist, day: date) -> int:
    """Return which day of the diary a date is (1 on the first day)."""
    return (day - diarist.started_on).days + 1


def is_paused(diarist: Diarist, today: date) -> bool:
    """Say whether reminders are paused today."""
    return diarist.paused_until is not None and diarist.paused_until >= today


def pause(diarist: Diarist, today: date, days: int) -> date:
    """Send no reminders today and the next `days` days; return the day they start again."""
    diarist.paused_until = today + timedelta(days=days)
    return diarist.paused_until + timedelta(days=1)


def resume(diarist: Diarist) -> None:
    """Send reminders again."""
    diarist.paused_until = None


def stop(diarist: Diarist, now: datetime) -> None:
    """End the diary early: no more reminders, no summary."""
    diarist.stopped_at = now


def set_reminder_time(
    diarist: Diarist, value: str | None, today: date | None = None, local_time: str | None = None
) -> None:
    """Change the daily reminder time ("HH:MM") or switch reminders off (None).

    Given the local date and time, a new time that has already passed today starts tomorrow.
    """
    if value is not None and read_time(value) != value:
        raise ValueError(f"reminder time must be HH:MM, not {value!r}")
    diarist.reminder_time = value
    if today is not None and local_time is not None:
        skip_passed_reminder(diarist, today, local_time)


# Entries.


def for_date(observation: Observation) -> date | None:
    """Return the day a diary entry is about."""
    value = (observation.details or {}).get("for_date")
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def is_need(observation: Observation) -> bool:
    """Say whether a diary entry is a need (not a "nothing today" answer)."""
    return observation.kind == KIND and not (observation.details or {}).get("nothing")


def entries(
    session: Session, member_id: int, first: date, last: date, needs_only: bool = False
) -> list[Observation]:
    """Return a member's diary entries about days first..last, oldest first."""
    # An entry about a day is written that day or the next: earlier rows need no reading.
    since = datetime.combine(first - timedelta(days=1), time(0), UTC)
    rows = session.scalars(
        select(Observation)
        .where(
            Observation.member_id == member_id,
            Observation.kind == KIND,
            Observation.created_at >= since,
        )
        .order_by(Observation.created_at, Observation.id)
    )
    found = [o for o in rows if (day := for_date(o)) is not None and first <= day <= last]
    return [o for o in found if is_need(o)] if needs_only else found


def has_entry_on(session: Session, member_id: int, day: date, since: datetime) -> bool:
    """Say whether the member answered for a day (a need or "nothing"), looking from `since`."""
    return (
        session.scalar(
            select(Observation.id)
            .where(
                Observation.member_id == member_id,
                Observation.kind == KIND,
                Observation.created_at >= since,
                Observation.details["for_date"].as_string() == day.isoformat(),
            )
            .limit(1)
        )
        is not None
    )


def _entry_exists(day: date, since: datetime) -> Exists:
    """Return EXISTS (an entry of the diarist's member about `day`, created since `since`)."""
    return (
        select(Observation.id)
        .where(
            Observation.member_id == Diarist.member_id,
            Observation.kind == KIND,
            Observation.created_at >= since,
            Observation.details["for_date"].as_string() == day.isoformat(),
        )
        .exists()
    )


def _chat_busy(flows: Collection[str], since: datetime | None) -> Exists:
    """Return EXISTS (the member's private chat is in one of these flows, moved since `since`)."""
    statement = select(ChatState.chat_id).where(
        ChatState.chat_id == Member.telegram_user_id,
        ChatState.flow.in_(sorted(flows)),
        ChatState.state.is_not(None),
    )
    if since is not None:
        statement = statement.where(ChatState.updated_at >= since)
    return statement.exists()


def _locked(session: Session, statement: Select) -> Select:
    """Lock the chosen diarist rows on PostgreSQL so two sweeps never pick the same one."""
    if session.get_bind().dialect.name == "postgresql":
        return statement.with_for_update(of=Diarist, skip_locked=True)
    return statement


@dataclass(frozen=True)
class DueReminder:
    """One reminder to send: plain values, so ten thousand of them stay cheap."""

    diarist_id: int
    member_id: int
    telegram_user_id: int
    started_on: date


def due_for_reminder(
    session: Session,
    today: date,
    local_time: str,
    since: datetime,
    busy_flows: Collection[str] = (),
    busy_since: datetime | None = None,
) -> list[DueReminder]:
    """Return the diarists whose reminder is due now.

    Due: the local time has reached the reminder time, no reminder yet today, no entry about
    today (entries are looked for from `since`, the start of today in UTC), not paused, not
    stopped, today within the 30 days, the member active, and the member's chat not busy: in
    one of `busy_flows` and moved since `busy_since`. A busy diarist is simply not due yet; a
    later sweep finds them once the chat is free. The caller marks them with mark_reminded in
    the same transaction as the messages it queues.
    """
    busy = [~_chat_busy(busy_flows, busy_since)] if busy_flows else []
    statement = (
        select(Diarist.id, Diarist.member_id, Member.telegram_user_id, Diarist.started_on)
        .join(Member, Member.id == Diarist.member_id)
        .where(
            Diarist.stopped_at.is_(None),
            Diarist.reminder_time.is_not(None),
            Diarist.reminder_time <= local_time,
            Diarist.started_on <= today,
            Diarist.ends_on >= today,
            or_(Diarist.last_reminded_on.is_(None), Diarist.last_reminded_on < today),
            or_(Diarist.paused_until.is_(None), Diarist.paused_until < today),
            Member.active.is_(True),
            ~_entry_exists(today, since),
            *busy,
        )
        .order_by(Diarist.reminder_time, Diarist.id)
    )
    return [DueReminder(*row) for row in session.execute(_locked(session, statement)).all()]


def mark_reminded(session: Session, diarist_ids: Iterable[int], day: date) -> None:
    """Record that these diarists had their reminder for a day (never a second one)."""
    ids = list(diarist_ids)
    for start in range(0, len(ids), CHUNK):
        session.execute(
            update(Diarist)
            .where(Diarist.id.in_(ids[start : start + CHUNK]))
            .values(last_reminded_on=day)
        )


def due_for_summary(session: Session, today: date, local_time: str) -> list[tuple[Diarist, Member]]:
    """Return diarists whose 30 days are over and who have not had their summary yet.

    It goes the day after the last day, at the reminder time (or SUMMARY_DEFAULT_TIME), to
    active members of diaries that were not stopped; the caller sets summary_sent_at.
    """
    statement = (
        select(Diarist, Member)
        .join(Member, Member.id == Diarist.member_id)
        .where(
            Diarist.stopped_at.is_(None),
            Diarist.summary_sent_at.is_(None),
            Diarist.ends_on < today,
            Diarist.ends_on >= today - timedelta(days=SUMMARY_WITHIN_DAYS),
            func.coalesce(Diarist.reminder_time, SUMMARY_DEFAULT_TIME) <= local_time,
            Member.active.is_(True),
        )
        .order_by(Diarist.id)
    )
    return [(d, m) for d, m in session.execute(_locked(session, statement)).all()]


def summary(session: Session, diarist: Diarist) -> dict[str, Any]:
    """Return a diarist's own figures: needs, needs met outside the buurt, the common theme."""
    needs = entries(session, diarist.member_id, diarist.started_on, diarist.ends_on, True)
    themes = Counter(o.theme for o in needs if o.theme)
    outside = sum(
        1
        for o in needs
        if o.details.get("met") in MET_OUTSIDE and o.details.get("where_source") != "did_without"
    )
    did_without = sum(1 for o in needs if o.details.get("where_source") == "did_without")
    top = None
    if themes:
        # The most frequent theme; a tie goes to the one named first.
        best = max(themes.values())
        top = next(o.theme for o in needs if o.theme and themes[o.theme] == best)
    days = {for_date(o) for o in needs}
    return {
        "needs": len(needs),
        "outside": outside,
        "did_without": did_without,
        "top_theme": top,
        "days_with_needs": len(days),
    }


# Coordinators.


def adherence(
    session: Session,
    organisation_id: int,
    today: date,
    secret_key: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Return how each diarist of an organisation keeps up, never what they wrote.

    One dict per diarist, newest diary first: pseudonym, day (1..30, None before the start),
    last_entry (the last day answered, a need or "nothing", or None), days_answered, paused,
    stopped, ended. Pass the deployment's secret key (FlowConfig.secret_key); without
    it the key generated and kept in the database is used. With `limit`, only the newest
    diaries are read (and their entries): what a screen shows, however many diaries there were.
    """
    key = secret_key or deployment.get_value(session, "secret_key") or ""
    statement = (
        select(Diarist)
        .where(Diarist.organisation_id == organisation_id)
        .order_by(Diarist.started_on.desc(), Diarist.id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    diarists = list(session.scalars(statement))
    if not diarists:
        return []
    by_member: dict[int, list[date]] = {}
    # Only days from a diary's start count, and an entry is written on its day or the day
    # after: older entries (earlier diaries, years of history) are not read at all.
    since = datetime.combine(min(d.started_on for d in diarists) - timedelta(days=1), time(0), UTC)
    rows = session.execute(
        select(Observation.member_id, Observation.details["for_date"].as_string()).where(
            Observation.kind == KIND,
            Observation.member_id.in_([d.member_id for d in diarists]),
            Observation.created_at >= since,
        )
    )
    for member_id, value in rows:
        try:
            by_member.setdefault(member_id, []).append(date.fromisoformat(value))
        except (TypeError, ValueError):
            continue
    result: list[dict[str, Any]] = []
    for diarist in diarists:
        days = [d for d in by_member.get(diarist.member_id, []) if diarist.started_on <= d <= today]
        number = day_number(diarist, today)
        result.append(
            {
                "pseudonym": pseudonym(key, diarist.member_id),
                "day": min(number, DIARY_DAYS) if number >= 1 else None,
                "last_entry": max(days) if days else None,
                "days_answered": len(set(days)),
                "paused": is_paused(diarist, today) and diarist.stopped_at is None,
                "stopped": diarist.stopped_at is not None,
                "ended": today > diarist.ends_on,
            }
        )
    return result
