"""/report and /round (coordinators), and the round report sent when a round ends.

report:

| state   | accepts                   | step          | goes to     |
|---------|---------------------------|---------------|-------------|
| (start) | /report                   | start_report  | period, end |
| period  | tap rp:last4, all, custom | choose_period | first, end  |
| first   | text                      | first_typed   | last, end   |
| last    | text                      | last_typed    | first, end  |

round:

| state   | accepts                 | step         | goes to    |
|---------|-------------------------|--------------|------------|
| (start) | /round                  | start_round  | start, end |
| start   | tap rs:today, monday    | start_tapped | weeks, end |
| start   | text                    | start_typed  | weeks, end |
| weeks   | tap rw:2, 3, 4, 5, 6, 8 | weeks_tapped | end        |
| weeks   | text                    | weeks_typed  | end        |

/report asks for a period: the last 4 weeks, everything since the first observation, or two
days typed (flows/dates.py reads the Belgian ways of writing a day), records a file job and
says the report is coming; the file worker (bot/runtime/filejobs.py, with `make_round_file`)
makes it outside the step's transaction and sends a short summary and the round report as
one HTML file. Files asked for this way go to `exports/` (swept after a day); the reports
sent at a round's end go to `rounds/` and stay, referenced by their RoundReport row.

/round sets the fieldwork round: its first day and how many weeks it runs (4 by default).

Scheduled: `due_round_reports()` records, for every organisation whose round is over (the day
after its last day, at the organisation's weekly-picture time), that round's report once: the
RoundReport row (unique per organisation and round start) is written in the same transaction
as its file job, so a report is never sent twice, also with several workers, and a round
that ended while the bot was down is caught up at the next sweep. The file worker then makes
it and every active coordinator gets the summary and the file, in their own language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flows.dates import read_day
from flows.digest import by_language, weekly_moment
from flows.engine import (
    END,
    TEXT,
    CallbackAnswer,
    Choice,
    Effect,
    FileMade,
    Flow,
    Go,
    Input,
    Messages,
    Outcome,
    Reply,
    RoundPicture,
    State,
    StepContext,
    done,
    goto,
    reply,
    stay,
    to_asker,
)
from flows.observe import text_of
from flows.roles import COORDINATOR
from storage import digests, filejobs
from storage import round as rounds
from storage.filejobs import ClaimedJob

ROUND_FOLDER = "rounds"
# The file job's kind (storage/filejobs.py); bot/runtime/filejobs.py maps it to its maker.
ROUND_JOB = "round_report"
ON_DEMAND_FOLDER = "exports"
LAST_WEEKS = 4
PERIODS = ("last4", "all", "custom")
PERIOD = Choice("rp", PERIODS, label="round.report.button.{}")
STARTS = ("today", "monday")
START = Choice("rs", STARTS, label="round.set.button.{}")
WEEK_COUNTS = ("2", "3", "4", "5", "6", "8")
WEEKS = Choice("rw", WEEK_COUNTS, label="round.set.weeks_button")
NUMBER = re.compile(r"^\s*(\d{1,2})\s*[a-z]*\s*$", re.IGNORECASE)
DATE_FORMAT = "%d/%m/%Y"
# The longest period one report covers (reports/round/build.py: MAX_DAYS).
MAX_REPORT_DAYS = 400


def _is_coordinator(ctx: StepContext) -> bool:
    return ctx.member is not None and ctx.member.role == COORDINATOR


def _day(value: date) -> str:
    return value.strftime(DATE_FORMAT)


# -- making and writing a report ---------------------------------------------------------------


def report_of(
    ctx: StepContext, organisation_id: int, first: date, last: date, language: str
) -> RoundPicture:
    """Make a period's round report through the report maker the composition root provides."""
    return ctx.reports().round_report(
        ctx.session, organisation_id, first, last, language, ctx.config.timezone
    )


def report_reply(ctx: StepContext, made: RoundPicture, folder: str) -> Reply:
    """Write a report under the media folder and return its summary with the file."""
    path = ctx.reports().write_round_report(made, ctx.config.media_dir, folder)
    return Reply(made.summary.key, made.summary.params, document=path)


# -- /report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportDraft:
    """The period asked for: its first day once typed."""

    first_day: date | None = None


def ask_period(ctx: StepContext, draft: ReportDraft) -> tuple[Effect, ...]:
    """Ask which period: the last 4 weeks, everything, or days typed."""
    return (Reply("round.report.choose", buttons=PERIOD.rows()),)


def ask_first(ctx: StepContext, draft: ReportDraft) -> tuple[Effect, ...]:
    """Ask for the first day of the period."""
    return (Reply("round.report.ask_first"),)


def ask_last(ctx: StepContext, draft: ReportDraft) -> tuple[Effect, ...]:
    """Ask for the last day of the period (the first day, should that be unknown)."""
    if draft.first_day is None:
        return ask_first(ctx, draft)
    return (Reply("round.report.ask_last", {"first": _day(draft.first_day)}),)


def start_report(ctx: StepContext, inp: Input, draft: ReportDraft) -> Outcome[ReportDraft]:
    """Begin: which period?"""
    if not _is_coordinator(ctx):
        return done(reply("error.not_allowed", command="report"))
    return goto("period", draft)


def past_day(typed: str, today: date) -> date | None:
    """Read a typed day of the past (or today): a day and month without a year that would
    lie ahead means last year's, since a report looks back."""
    found, _ = read_day(typed, today)
    if found is None:
        return None
    if found > today:
        try:
            found = found.replace(year=found.year - 1)
        except ValueError:  # 29 February
            found = found - timedelta(days=365)
    return found if found <= today else None


def make_report(
    ctx: StepContext, inp: Input, draft: ReportDraft, first: date, last: date
) -> Outcome[Any]:
    """Record a period's report to make and say it comes in a moment."""
    assert ctx.member is not None
    if inp.chat_id is None:
        return done(CallbackAnswer(), reply("error.not_allowed", command="report"))
    params = {"first": first.isoformat(), "last": last.isoformat()}
    filejobs.add_member_job(ctx.session, ROUND_JOB, ctx.member, inp.chat_id, params, ctx.now)
    return done(CallbackAnswer(), reply("round.report.coming"))


def choose_period(
    ctx: StepContext, inp: Input, draft: ReportDraft, period: str
) -> Outcome[ReportDraft]:
    """Make the report of the period tapped, or ask for the days of a custom one."""
    if not _is_coordinator(ctx):
        return done(CallbackAnswer(), reply("error.not_allowed", command="report"))
    assert ctx.member is not None
    today = ctx.today()
    if period == "custom":
        return goto("first", draft, CallbackAnswer())
    if period == "last4":
        return make_report(ctx, inp, draft, today - timedelta(days=7 * LAST_WEEKS - 1), today)
    first_at = rounds.first_observation_at(ctx.session, ctx.member.organisation_id)
    if first_at is None:
        return done(CallbackAnswer(), reply("round.report.nothing"))
    first = first_at.astimezone(ZoneInfo(ctx.config.timezone)).date()
    if (today - first).days >= MAX_REPORT_DAYS:
        first = today - timedelta(days=MAX_REPORT_DAYS - 1)
    return make_report(ctx, inp, draft, first, today)


def first_typed(ctx: StepContext, inp: Input, draft: ReportDraft) -> Outcome[ReportDraft]:
    """Keep the first day typed, or say how to write it."""
    if not _is_coordinator(ctx):
        return done(reply("error.not_allowed", command="report"))
    found = past_day(text_of(inp) or "", ctx.today())
    if found is None:
        return stay(draft, Reply("round.report.bad_day"))
    return goto("last", replace(draft, first_day=found))


def last_typed(ctx: StepContext, inp: Input, draft: ReportDraft) -> Outcome[Any]:
    """Make the report once the last day typed fits, or say what is wrong with it."""
    if not _is_coordinator(ctx):
        return done(reply("error.not_allowed", command="report"))
    first = draft.first_day
    if first is None:
        return goto("first", draft)
    found = past_day(text_of(inp) or "", ctx.today())
    if found is None:
        return stay(draft, Reply("round.report.bad_day"))
    if found < first:
        return stay(draft, Reply("round.report.before_first", {"first": _day(first)}))
    if (found - first).days >= MAX_REPORT_DAYS:
        return stay(draft, Reply("round.report.too_long", {"days": MAX_REPORT_DAYS}))
    return make_report(ctx, inp, draft, first, found)


REPORT = Flow(
    name="report",
    draft=ReportDraft,
    start=Go(start_report, "period", END),
    states={
        "period": State(ask_period, {PERIOD: Go(choose_period, "first", END)}),
        "first": State(ask_first, {TEXT: Go(first_typed, "last", END)}),
        "last": State(ask_last, {TEXT: Go(last_typed, "first", END)}),
    },
    keeps_draft=False,
)


# -- /round ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundDraft:
    """The round being set: its first day once chosen."""

    first_day: date | None = None


def round_end(first_day: date, weeks: int) -> date:
    """Return a round's last day."""
    return first_day + timedelta(days=7 * weeks - 1)


def ask_start(ctx: StepContext, draft: RoundDraft) -> tuple[Effect, ...]:
    """Show the round set now, if any, and ask for the new round's first day."""
    assert ctx.member is not None
    current = rounds.round_of(ctx.session, ctx.member.organisation_id)
    effects: list[Effect] = []
    if current is not None:
        first, weeks = current
        params = {"first": _day(first), "last": _day(round_end(first, weeks)), "count": weeks}
        effects.append(Reply("round.set.current", params))
    effects.append(Reply("round.set.ask_start", buttons=START.rows(per_row=2)))
    return tuple(effects)


def ask_weeks(ctx: StepContext, draft: RoundDraft) -> tuple[Effect, ...]:
    """Ask how many weeks the round runs."""
    first = draft.first_day or ctx.today()
    return (
        Reply(
            "round.set.ask_weeks",
            {"first": _day(first), "count": rounds.DEFAULT_WEEKS},
            buttons=tuple(
                tuple(WEEKS.button(value, count=int(value)) for value in row)
                for row in (WEEK_COUNTS[:3], WEEK_COUNTS[3:])
            ),
        ),
    )


def start_round(ctx: StepContext, inp: Input, draft: RoundDraft) -> Outcome[RoundDraft]:
    """Begin: from which day?"""
    if not _is_coordinator(ctx):
        return done(reply("error.not_allowed", command="round"))
    return goto("start", draft)


def start_tapped(ctx: StepContext, inp: Input, draft: RoundDraft, when: str) -> Outcome[RoundDraft]:
    """Keep today or next Monday as the first day."""
    if not _is_coordinator(ctx):
        return done(CallbackAnswer(), reply("error.not_allowed", command="round"))
    today = ctx.today()
    first = today if when == "today" else today + timedelta(days=7 - today.weekday())
    return goto("weeks", replace(draft, first_day=first), CallbackAnswer())


def start_typed(ctx: StepContext, inp: Input, draft: RoundDraft) -> Outcome[RoundDraft]:
    """Keep a typed first day (a round may have begun already), or say how to write it."""
    if not _is_coordinator(ctx):
        return done(reply("error.not_allowed", command="round"))
    found, _ = read_day(text_of(inp) or "", ctx.today())
    if found is None:
        return stay(draft, Reply("round.set.bad_day"))
    return goto("weeks", replace(draft, first_day=found))


def save_round(ctx: StepContext, draft: RoundDraft, weeks: int, *before: Effect) -> Outcome[Any]:
    """Store the round and say when its report comes."""
    assert ctx.member is not None
    first = draft.first_day or ctx.today()
    rounds.set_round(ctx.session, ctx.member.organisation_id, first, weeks)
    last = round_end(first, weeks)
    params = {
        "first": _day(first),
        "last": _day(last),
        "count": weeks,
        "due": _day(last + timedelta(days=1)),
    }
    key = "round.set.saved" if last >= ctx.today() else "round.set.saved_past"
    return done(*before, Reply(key, params))


def weeks_tapped(ctx: StepContext, inp: Input, draft: RoundDraft, value: str) -> Outcome[Any]:
    """Save the round with the number of weeks tapped."""
    if not _is_coordinator(ctx):
        return done(CallbackAnswer(), reply("error.not_allowed", command="round"))
    return save_round(ctx, draft, int(value), CallbackAnswer())


def weeks_typed(ctx: StepContext, inp: Input, draft: RoundDraft) -> Outcome[Any]:
    """Save the round with a typed number of weeks, or say which numbers fit."""
    if not _is_coordinator(ctx):
        return done(reply("error.not_allowed", command="round"))
    match = NUMBER.match(text_of(inp) or "")
    weeks = int(match[1]) if match else 0
    if not 1 <= weeks <= rounds.MAX_WEEKS:
        return stay(draft, Reply("round.set.bad_weeks", {"max": rounds.MAX_WEEKS}))
    return save_round(ctx, draft, weeks)


ROUND = Flow(
    name="round",
    draft=RoundDraft,
    start=Go(start_round, "start", END),
    states={
        "start": State(
            ask_start,
            {START: Go(start_tapped, "weeks", END), TEXT: Go(start_typed, "weeks", END)},
        ),
        "weeks": State(ask_weeks, {WEEKS: Go(weeks_tapped, END), TEXT: Go(weeks_typed, END)}),
    },
    keeps_draft=False,
)


# -- the report sent when a round ends ---------------------------------------------------------


def due_moment(first_day: date, weeks: int, at: Any, timezone: str) -> datetime:
    """Return when a round's report is due: the day after its last day, at the given time."""
    day = round_end(first_day, weeks) + timedelta(days=1)
    return datetime.combine(day, at, ZoneInfo(timezone))


def due_round_reports(ctx: StepContext) -> Messages:
    """Record a file job for every round report now due, once; return no message yet.

    The caller commits the RoundReport rows and the jobs in one transaction. A row another
    run wrote meanwhile (unique per organisation and round start) is skipped.
    """
    session = ctx.session
    by_id = {o.id: o for o in digests.organisations(session)}
    for organisation_id, first, weeks in rounds.rounds_set(session):
        organisation = by_id[organisation_id]
        _, at = weekly_moment(organisation)
        if ctx.now < due_moment(first, weeks, at, ctx.config.timezone):
            continue
        if rounds.was_sent(session, organisation_id, first):
            continue
        if not digests.active_members(session, organisation_id, COORDINATOR):
            continue
        last = round_end(first, weeks)
        row = rounds.record_sent(session, organisation_id, first, last, ctx.now)
        if row is None:
            continue
        params = {"first": first.isoformat(), "last": last.isoformat(), "report_id": row.id}
        filejobs.add_job(session, ROUND_JOB, organisation_id, params, ctx.now)
    return []


def make_round_file(ctx: StepContext, job: ClaimedJob) -> FileMade:
    """Make a recorded round report with a read session; return the messages that send it.

    Asked for with /report: the member who asked gets it. At a round's end: every active
    coordinator gets it in their language, and the first file made (the organisation's
    language) is recorded on the round's RoundReport row.
    """
    first = date.fromisoformat(job.params["first"])
    last = date.fromisoformat(job.params["last"])
    if job.member_id is not None:
        if not _is_coordinator(ctx):
            return to_asker(job, reply("error.not_allowed", command="report"))
        assert ctx.member is not None
        made = report_of(ctx, job.organisation_id, first, last, ctx.member.language)
        return to_asker(job, report_reply(ctx, made, ON_DEMAND_FOLDER))
    coordinators, languages = by_language(ctx, job.organisation_id)
    files: dict[str, Reply] = {}
    for language in languages:
        made = report_of(ctx, job.organisation_id, first, last, language)
        files[language] = report_reply(ctx, made, ROUND_FOLDER)
    messages: Messages = [
        (member.telegram_user_id, member.id, (files[member.language],)) for member in coordinators
    ]
    path = next(iter(files.values())).document if files else None
    if path is None:
        return FileMade(messages)
    report_id = int(job.params["report_id"])
    return FileMade(messages, lambda session: rounds.set_path(session, report_id, path))
