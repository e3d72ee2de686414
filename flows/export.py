"""/export (coordinators): the organisation's observations as a file for maps or spreadsheets.

| state   | accepts                          | step          | goes to |
|---------|----------------------------------|---------------|---------|
| (start) | /export                          | start         | format  |
| format  | tap fmt:FORMAT                   | choose_format | period  |
| period  | tap period:week, four_weeks, all | make_export   | end     |

The step records a file job and answers at once that the file is coming: the file is made
outside the step's transaction by the file worker (bot/runtime/filejobs.py, with
`make_export_file`), so an export of years holds no write lock while it is written. It goes
under the media folder in `exports/` (swept after a day) and is sent as a document. Nothing
in the period gives a short answer instead of an empty file; a file over Telegram's upload
limit is not sent, with advice to pick a shorter period or use the CLI. The file is written
while the database is read, and given up as soon as it passes the limit, so "everything"
over a long history costs neither memory nor minutes.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flows.engine import (
    END,
    Choice,
    Effect,
    ExportTooBigError,
    FileMade,
    Flow,
    Go,
    Input,
    Outcome,
    Reply,
    State,
    StepContext,
    Text,
    done,
    onward,
    reply,
    stay,
    to_asker,
)
from flows.observe import language_of
from flows.roles import COORDINATOR
from storage import filejobs
from storage.filejobs import ClaimedJob

EXPORT_FOLDER = "exports"
# The file job's kind (storage/filejobs.py); bot/runtime/filejobs.py maps it to its maker.
EXPORT_JOB = "export"
PERIODS = ("week", "four_weeks", "all")


def export_formats(ctx: StepContext, draft: object) -> Collection[str]:
    """Return the file formats the report maker writes."""
    return ctx.reports().export_formats


FORMATS = Choice("fmt", export_formats, label="export.format.{}", shown="FORMAT")
PERIOD = Choice("period", PERIODS, label="export.period.{}")


@dataclass(frozen=True)
class ExportDraft:
    """The export being asked for: its file format."""

    format: str = ""


# Telegram bots may upload documents up to 50 MB; keep a margin for the request around it.
UPLOAD_LIMIT_BYTES = 50 * 1000 * 1000


def ask_format(ctx: StepContext, draft: ExportDraft) -> tuple[Reply, ...]:
    """Ask for the file format."""
    rows = FORMATS.rows(values=export_formats(ctx, draft))
    return (Reply("export.choose_format", buttons=rows),)


def ask_period(ctx: StepContext, draft: ExportDraft) -> tuple[Reply, ...]:
    """Ask for the period."""
    return (Reply("export.choose_period", buttons=PERIOD.rows()),)


def start(ctx: StepContext, inp: Input, draft: ExportDraft) -> Outcome[ExportDraft]:
    """Begin an export."""
    return onward(draft)


def choose_format(
    ctx: StepContext, inp: Input, draft: ExportDraft, fmt: str
) -> Outcome[ExportDraft]:
    """Take the format and ask for the period."""
    return onward(ExportDraft(format=fmt))


def period_dates(period: str, today: date) -> tuple[date | None, date | None]:
    """Return the inclusive local dates of a period: this week, the last 4 weeks, everything."""
    if period == "week":
        return today - timedelta(days=today.weekday()), today
    if period == "four_weeks":
        return today - timedelta(days=27), today
    return None, None


def _period_text(start: date | None, end: date | None) -> Text:
    if start is None or end is None:
        return Text("export.range_all")
    return Text(
        "export.range", {"start": start.strftime("%d/%m/%Y"), "end": end.strftime("%d/%m/%Y")}
    )


def _file_name(fmt: str, period: str, ctx: StepContext) -> str:
    stamp = ctx.now.astimezone(ZoneInfo(ctx.config.timezone)).strftime("%Y%m%d-%H%M%S")
    suffix = secrets.token_hex(3)
    extension = ctx.reports().export_extension(fmt)
    return f"buurtbot-{period.replace('_', '-')}-{stamp}-{suffix}{extension}"


def make_export(ctx: StepContext, inp: Input, draft: ExportDraft, period: str) -> Outcome[Any]:
    """Record the export to make and say it comes in a moment (a file worker makes it)."""
    fmt = draft.format
    if fmt not in export_formats(ctx, draft):
        return stay(draft, ask=True)
    if ctx.member is None or ctx.member.role != COORDINATOR or inp.chat_id is None:
        return done(reply("error.not_allowed", command="export"))
    start_date, end_date = period_dates(period, ctx.today())
    params = {
        "format": fmt,
        "period": period,
        "start": start_date.isoformat() if start_date else None,
        "end": end_date.isoformat() if end_date else None,
    }
    filejobs.add_member_job(ctx.session, EXPORT_JOB, ctx.member, inp.chat_id, params, ctx.now)
    return done(reply("export.coming"))


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def make_export_file(ctx: StepContext, job: ClaimedJob) -> FileMade:
    """Write a recorded export under the media folder; return the messages that send it.

    Runs in the file worker with a read session: the database is read while the file is
    written, and no write lock is held meanwhile.
    """
    if ctx.member is None or ctx.member.role != COORDINATOR:
        # No longer a coordinator since asking: the organisation's data is not theirs to take.
        return to_asker(job, reply("error.not_allowed", command="export"))
    fmt, period = job.params["format"], job.params["period"]
    start_date, end_date = _day(job.params.get("start")), _day(job.params.get("end"))
    period_text = _period_text(start_date, end_date)
    folder = Path(ctx.config.media_dir) / EXPORT_FOLDER
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = _file_name(fmt, period, ctx)
    try:
        # A file passing the limit is abandoned at once, its full size estimated.
        written = ctx.reports().write_export(
            ctx.session,
            job.organisation_id,
            start_date,
            end_date,
            ctx.config.timezone,
            fmt,
            folder / name,
            UPLOAD_LIMIT_BYTES,
            language=language_of(ctx),
        )
    except ExportTooBigError as error:
        size_mb = error.size / 1_000_000
        return to_asker(job, reply("export.too_big", size=f"{size_mb:.0f}", period=period_text))
    if written is None:
        return to_asker(job, reply("export.empty", period=period_text))
    params = {
        "observations": written.observations,
        "located": written.located,
        "tracks": written.tracks,
        "period": period_text,
    }
    effects: list[Effect] = [Reply("export.ready", params, document=f"{EXPORT_FOLDER}/{name}")]
    if written.tracks_path is not None:
        effects.append(
            Reply(
                "export.tracks_file",
                {"points": written.track_points},
                document=f"{EXPORT_FOLDER}/{written.tracks_path.name}",
            )
        )
    return to_asker(job, *effects)


EXPORT = Flow(
    name="export",
    draft=ExportDraft,
    start=Go(start, "format"),
    states={
        "format": State(ask_format, {FORMATS: Go(choose_format, "period")}),
        "period": State(ask_period, {PERIOD: Go(make_export, END)}),
    },
    keeps_draft=False,
)
