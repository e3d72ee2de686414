"""/export (coordinators): the organisation's observations as a file for maps or spreadsheets.

| state  | accepts  | step          | goes to |
|--------|----------|---------------|---------|
|(start) | command  | start         | format  |
| format | callback | choose_format | period  |
| period | callback | make_export   | ends    |

The file is written under the media folder in `exports/` (swept after a day) and sent as a
document. Nothing in the period gives a short answer instead of an empty file; a file over
Telegram's upload limit is not sent, with advice to pick a shorter period or use the CLI. The
file is written while the database is read, and given up as soon as it passes the limit, so
"everything" over a long history costs neither memory nor minutes.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flows.engine import (
    Button,
    ExportTooBigError,
    Flow,
    Input,
    InputKind,
    Outcome,
    Reply,
    State,
    StepContext,
    Text,
    done,
    goto,
    reply,
)
from flows.roles import COORDINATOR

EXPORT_FOLDER = "exports"
PERIODS = ("week", "four_weeks", "all")
# Telegram bots may upload documents up to 50 MB; keep a margin for the request around it.
UPLOAD_LIMIT_BYTES = 50 * 1000 * 1000


def ask_format(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask for the file format."""
    formats = ctx.reports().export_formats
    rows = tuple((Button(f"export.format.{fmt}", f"fmt:{fmt}"),) for fmt in formats)
    return (Reply("export.choose_format", buttons=rows),)


def ask_period(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask for the period."""
    rows = tuple((Button(f"export.period.{period}", f"period:{period}"),) for period in PERIODS)
    return (Reply("export.choose_period", buttons=rows),)


def start(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Begin an export."""
    return goto("format", {}, *ask_format(ctx, {}))


def choose_format(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Take the format and ask for the period."""
    fmt = (inp.callback_data or "").removeprefix("fmt:")
    if fmt not in ctx.reports().export_formats:
        return goto("format", draft, *ask_format(ctx, draft))
    new_draft = {"format": fmt}
    return goto("period", new_draft, *ask_period(ctx, new_draft))


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


def make_export(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Build the export, write it under the media folder and send it."""
    period = (inp.callback_data or "").removeprefix("period:")
    fmt = draft.get("format")
    if period not in PERIODS or fmt not in ctx.reports().export_formats:
        return goto("period", draft, *ask_period(ctx, draft))
    if ctx.member is None or ctx.member.role != COORDINATOR:
        return done(reply("error.not_allowed", command="export"))
    today = ctx.today()
    start_date, end_date = period_dates(period, today)
    period_text = _period_text(start_date, end_date)
    folder = Path(ctx.config.media_dir) / EXPORT_FOLDER
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = _file_name(fmt, period, ctx)
    try:
        # A file passing the limit is abandoned at once, its full size estimated.
        written = ctx.reports().write_export(
            ctx.session,
            ctx.member.organisation_id,
            start_date,
            end_date,
            ctx.config.timezone,
            fmt,
            folder / name,
            UPLOAD_LIMIT_BYTES,
        )
    except ExportTooBigError as error:
        size_mb = error.size / 1_000_000
        return done(reply("export.too_big", size=f"{size_mb:.0f}", period=period_text))
    if written is None:
        return done(reply("export.empty", period=period_text))
    params = {
        "observations": written.observations,
        "located": written.located,
        "tracks": written.tracks,
        "period": period_text,
    }
    effects = [Reply("export.ready", params, document=f"{EXPORT_FOLDER}/{name}")]
    if written.tracks_path is not None:
        effects.append(
            Reply(
                "export.tracks_file",
                {"points": written.track_points},
                document=f"{EXPORT_FOLDER}/{written.tracks_path.name}",
            )
        )
    return done(*effects)


EXPORT = Flow(
    name="export",
    start=start,
    states={
        "format": State({InputKind.CALLBACK: choose_format}, ask_format),
        "period": State({InputKind.CALLBACK: make_export}, ask_period),
    },
    keeps_draft=False,
)
