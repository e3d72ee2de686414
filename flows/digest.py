"""/digest (coordinators) and the weekly delivery of the picture of the buurt (buurtbeeld).

| state   | accepts                | step  | goes to     |
|---------|------------------------|-------|-------------|
| (start) | /digest                | start | period, end |
| period  | tap week:current, last | make  | end         |

/digest asks "this week so far" or "last full week" and answers with the short summary and
the HTML file as a document. Files asked for this way go to `exports/` (swept after a day);
the weekly pictures go to `digests/` and stay, referenced by their Digest row.

Scheduled: `due_digests()` makes, for every organisation whose weekly moment (its
digest_weekday 1-7 and digest_time "HH:MM", in the deployment's time zone) has passed for the
last full ISO week, that week's picture once: the Digest row (unique per organisation and week)
is written in the same transaction as the messages, so a picture is never sent twice, and after
downtime only the most recent full week is caught up. Every active coordinator gets the summary
and the file, in their own language.

The picture itself is made behind the ReportMaker port (`ctx.config.reports`): reports/ builds
and renders it with the bot's catalogs; this module decides when, for whom, and where it goes.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flows.drafts import NoDraft
from flows.engine import (
    END,
    CallbackAnswer,
    Choice,
    Effect,
    Flow,
    Go,
    Input,
    Outcome,
    Reply,
    State,
    StepContext,
    WeeklyPicture,
    done,
    goto,
    reply,
)
from flows.roles import COORDINATOR
from storage import digests
from storage.models import Organisation
from storage.weeks import last_full_week, week_of, week_start

DIGEST_FOLDER = "digests"
ON_DEMAND_FOLDER = "exports"
PERIODS = ("current", "last")
PERIOD = Choice("week", PERIODS, label="digest.button.{}")
TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
DEFAULT_WEEKDAY = 1
DEFAULT_TIME = time(9, 0)


# -- translation and files -------------------------------------------------------------------


def picture(
    ctx: StepContext,
    organisation_id: int,
    week: tuple[int, int],
    language: str,
    as_of: datetime | None = None,
) -> WeeklyPicture:
    """Make one week's picture through the report maker the composition root provides."""
    return ctx.reports().weekly_picture(
        ctx.session,
        organisation_id,
        week[0],
        week[1],
        language,
        ctx.config.timezone,
        ctx.config.media_dir,
        as_of=as_of,
    )


def summary_reply(made: WeeklyPicture, document: str) -> Reply:
    """Return the summary message of a picture with its HTML file as a document."""
    return Reply(made.summary.key, made.summary.params, document=document)


def write_digest(ctx: StepContext, made: WeeklyPicture, folder: str, tag: str) -> str:
    """Write a picture's HTML under the media folder; return its relative path."""
    return ctx.reports().write_picture(made, ctx.config.media_dir, folder, tag)


# -- /digest ---------------------------------------------------------------------------------


def ask_period(ctx: StepContext, draft: NoDraft) -> tuple[Reply, ...]:
    """Ask which week: the one running or the last full one."""
    return (Reply("digest.choose", buttons=PERIOD.rows()),)


def _is_coordinator(ctx: StepContext) -> bool:
    return ctx.member is not None and ctx.member.role == COORDINATOR


def start(ctx: StepContext, inp: Input, draft: NoDraft) -> Outcome[NoDraft]:
    """Begin: which week?"""
    if not _is_coordinator(ctx):
        return done(reply("error.not_allowed", command="digest"))
    return goto("period", draft)


def make(ctx: StepContext, inp: Input, draft: NoDraft, period: str) -> Outcome[Any]:
    """Build the chosen week's picture and send the summary with the file."""
    if not _is_coordinator(ctx):
        return done(CallbackAnswer(), reply("error.not_allowed", command="digest"))
    assert ctx.member is not None
    timezone = ctx.config.timezone
    if period == "current":
        week, as_of = week_of(ctx.now, timezone), ctx.now
    else:
        week, as_of = last_full_week(ctx.now, timezone), None
    made = picture(ctx, ctx.member.organisation_id, week, ctx.member.language, as_of)
    path = write_digest(ctx, made, ON_DEMAND_FOLDER, period)
    return done(CallbackAnswer(), summary_reply(made, path))


DIGEST = Flow(
    name="digest",
    draft=NoDraft,
    start=Go(start, "period", END),
    states={"period": State(ask_period, {PERIOD: Go(make, END)})},
    keeps_draft=False,
)


# -- the weekly delivery ---------------------------------------------------------------------


def weekly_moment(organisation: Organisation) -> tuple[int, time]:
    """Return an organisation's ISO weekday and local time (Monday 09:00 when unreadable)."""
    weekday = organisation.digest_weekday
    if not isinstance(weekday, int) or not 1 <= weekday <= 7:
        weekday = DEFAULT_WEEKDAY
    match = TIME_OF_DAY.match((organisation.digest_time or "").strip())
    moment = time(int(match[1]), int(match[2])) if match else DEFAULT_TIME
    return weekday, moment


def due_week(organisation: Organisation, now: datetime, timezone: str) -> tuple[int, int] | None:
    """Return the last full ISO week if its delivery moment has passed, else None.

    The moment falls in the week after the one it pictures: with the default, the Monday at
    09:00 after that week's Sunday.
    """
    year, week = last_full_week(now, timezone)
    weekday, at = weekly_moment(organisation)
    this_year, this_week = week_of(now, timezone)
    monday = week_start(this_year, this_week, timezone).astimezone(ZoneInfo(timezone)).date()
    moment = datetime.combine(monday + timedelta(days=weekday - 1), at, ZoneInfo(timezone))
    if now < moment:
        return None
    if organisation.created_at >= week_start(this_year, this_week, timezone):
        return None  # the organisation did not exist yet during that week
    return year, week


def due_digests(ctx: StepContext) -> list[tuple[int, int, tuple[Effect, ...]]]:
    """Return (chat, member id, effects) for every weekly picture now due; record each once.

    The caller commits the Digest rows and the queued messages in one transaction. A row that
    another run wrote meanwhile (unique per organisation and week) is skipped, not sent again.
    """
    session = ctx.session
    results: list[tuple[int, int, tuple[Effect, ...]]] = []
    for organisation in digests.organisations(session):
        week = due_week(organisation, ctx.now, ctx.config.timezone)
        if week is None or digests.was_sent(session, organisation.id, *week):
            continue
        coordinators = digests.active_members(session, organisation.id, COORDINATOR)
        if not coordinators:
            continue
        row = digests.record_sent(session, organisation.id, *week, ctx.now)
        if row is None:
            continue
        files: dict[str, tuple[WeeklyPicture, str]] = {}
        languages = {m.language for m in coordinators}
        for language in sorted(languages, key=lambda code: (code != organisation.language, code)):
            made = picture(ctx, organisation.id, week, language)
            files[language] = (made, write_digest(ctx, made, DIGEST_FOLDER, "week"))
        row.path = next(iter(files.values()))[1]
        for member in coordinators:
            made, path = files[member.language]
            results.append((member.telegram_user_id, member.id, (summary_reply(made, path),)))
    return results
