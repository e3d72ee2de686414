"""/digest (coordinators) and the weekly delivery of the picture of the buurt (buurtbeeld).

| state   | accepts                | step  | goes to     |
|---------|------------------------|-------|-------------|
| (start) | /digest                | start | period, end |
| period  | tap week:current, last | make  | end         |

/digest asks "this week so far" or "last full week", records a file job and says the picture
is coming; the file worker (bot/runtime/filejobs.py, with `make_picture_file`) makes it outside
the step's transaction and sends the short summary and the HTML file as a document. Files
asked for this way go to `exports/` (swept after a day); the weekly pictures go to `digests/`
and stay, referenced by their Digest row.

Scheduled: `due_digests()` records, for every organisation whose weekly moment (its
digest_weekday 1-7 and digest_time "HH:MM", in the deployment's time zone) has passed for the
last full ISO week, that week's picture once: the Digest row (unique per organisation and week)
is written in the same transaction as its file job, so a picture is never sent twice, and after
downtime only the most recent full week is caught up. The file worker then makes it and every
active coordinator gets the summary and the file, in their own language.

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
    FileMade,
    Flow,
    Go,
    Input,
    Messages,
    Outcome,
    Reply,
    State,
    StepContext,
    WeeklyPicture,
    done,
    goto,
    reply,
    to_asker,
)
from flows.roles import COORDINATOR
from storage import digests, filejobs
from storage.filejobs import ClaimedJob
from storage.models import Member, Organisation
from storage.weeks import last_full_week, week_of, week_start

DIGEST_FOLDER = "digests"
# The file job's kind (storage/filejobs.py); bot/runtime/filejobs.py maps it to its maker.
PICTURE_JOB = "picture"
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
    """Record the chosen week's picture to make and say it comes in a moment."""
    if not _is_coordinator(ctx) or inp.chat_id is None:
        return done(CallbackAnswer(), reply("error.not_allowed", command="digest"))
    assert ctx.member is not None
    timezone = ctx.config.timezone
    if period == "current":
        week, as_of = week_of(ctx.now, timezone), ctx.now.isoformat()
    else:
        week, as_of = last_full_week(ctx.now, timezone), None
    params = {"week": list(week), "as_of": as_of, "tag": period}
    filejobs.add_member_job(ctx.session, PICTURE_JOB, ctx.member, inp.chat_id, params, ctx.now)
    return done(CallbackAnswer(), reply("digest.coming"))


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


def due_digests(ctx: StepContext) -> Messages:
    """Record a file job for every weekly picture now due, once; return no message yet.

    The caller commits the Digest rows and the jobs in one transaction: a row that another
    run wrote meanwhile (unique per organisation and week) is skipped, so a picture is never
    made twice, and the job (made by the file worker, outside this transaction) is never lost.
    """
    session = ctx.session
    for organisation in digests.organisations(session):
        week = due_week(organisation, ctx.now, ctx.config.timezone)
        if week is None or digests.was_sent(session, organisation.id, *week):
            continue
        if not digests.active_members(session, organisation.id, COORDINATOR):
            continue
        row = digests.record_sent(session, organisation.id, *week, ctx.now)
        if row is None:
            continue
        params = {"week": list(week), "digest_id": row.id}
        filejobs.add_job(session, PICTURE_JOB, organisation.id, params, ctx.now)
    return []


def by_language(ctx: StepContext, organisation_id: int) -> tuple[list[Member], list[str]]:
    """Return an organisation's active coordinators and their languages, its own first."""
    organisation = ctx.session.get(Organisation, organisation_id)
    own = organisation.language if organisation is not None else ctx.config.default_language
    coordinators = digests.active_members(ctx.session, organisation_id, COORDINATOR)
    languages = sorted({m.language for m in coordinators}, key=lambda code: (code != own, code))
    return coordinators, languages


def make_picture_file(ctx: StepContext, job: ClaimedJob) -> FileMade:
    """Make a recorded picture with a read session; return the messages that send it.

    Asked for with /digest: the member who asked gets it. Scheduled: every active coordinator
    gets the picture in their language, and the first file made (the organisation's
    language) is recorded on the week's Digest row.
    """
    week = (int(job.params["week"][0]), int(job.params["week"][1]))
    if job.member_id is not None:
        if not _is_coordinator(ctx):
            return to_asker(job, reply("error.not_allowed", command="digest"))
        assert ctx.member is not None
        as_of = job.params.get("as_of")
        made = picture(
            ctx,
            job.organisation_id,
            week,
            ctx.member.language,
            datetime.fromisoformat(as_of) if as_of else None,
        )
        path = write_digest(ctx, made, ON_DEMAND_FOLDER, str(job.params.get("tag", "week")))
        return to_asker(job, summary_reply(made, path))
    coordinators, languages = by_language(ctx, job.organisation_id)
    files: dict[str, tuple[WeeklyPicture, str]] = {}
    for language in languages:
        made = picture(ctx, job.organisation_id, week, language)
        files[language] = (made, write_digest(ctx, made, DIGEST_FOLDER, "week"))
    messages: Messages = [
        (member.telegram_user_id, member.id, (summary_reply(*files[member.language]),))
        for member in coordinators
    ]
    if not files:
        return FileMade(messages)
    first_path = next(iter(files.values()))[1]
    digest_id = int(job.params["digest_id"])
    return FileMade(messages, lambda session: digests.set_path(session, digest_id, first_path))
