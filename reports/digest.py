"""The weekly picture of the buurt (buurtbeeld): storage rows -> section builders -> values.

`build_digest()` reads one organisation's ISO week (Monday 00:00 to Monday 00:00 in the
deployment's time zone, Europe/Brussels) and the week before it through `storage.weekly`
(every query is there), prepares the week's photos and voice notes (`reports.images`, the only
file reading), and hands the rows to one pure builder per section (`reports/sections/`). The
result is a `WeeklyDigest` (`reports/model.py`): a tree of frozen dataclasses holding plain
values, no HTML. `reports/render.py` turns it into one self-contained HTML file and a short
Telegram summary.

Map framing and drawing live in `reports/svg.py`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

import geo
from reports import images, svg
from reports.model import (
    GLANCE,
    ContextSummary,
    Coverage,
    DiaristProgress,
    DiarySummary,
    Entry,
    Fact,
    Figure,
    FocusGroupLine,
    FollowUp,
    IndicatorRow,
    KeyPerson,
    KeyPersonSummary,
    MapArea,
    MapData,
    MapPoint,
    Media,
    MissingGroup,
    MissingSummary,
    Msg,
    Participation,
    Photo,
    Quantity,
    RetentionNote,
    SurveyResult,
    Tally,
    ThemeCount,
    Voice,
    VoiceNote,
    WeeklyDigest,
    WijkCoverage,
)
from reports.sections import (
    context,
    coverage,
    diary,
    entries,
    findings,
    focusgroups,
    glance,
    hypotheses,
    missing,
    participation,
    people,
    questions,
    surveys,
    themes,
    voices,
)
from reports.sections.common import Week, clip, normalise
from storage import surveys as surveys_db
from storage import weekly
from storage.kinds import kind_of
from storage.weeks import last_full_week, previous_week, week_of, week_start

WEEK = timedelta(days=7)
ISO_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)
MAP_TEXT = 120


def parse_iso_week(text: str) -> tuple[int, int]:
    """Read "2026-W48" (or "2026W48"); raise ValueError with a plain reason otherwise."""
    match = ISO_WEEK.match(text or "")
    if match is None:
        raise ValueError(f"{text!r} is not an ISO week: use YYYY-Www, e.g. 2026-W48")
    year, week = int(match[1]), int(match[2])
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{year} has no ISO week {week}") from None
    return year, week


def _next_week(iso_year: int, iso_week: int) -> tuple[int, int]:
    iso = (date.fromisocalendar(iso_year, iso_week, 1) + WEEK).isocalendar()
    return iso.year, iso.week


def _retention(
    record: dict | None, months: int, start: datetime, end: datetime
) -> RetentionNote | None:
    """Return the retention job's last removal if it happened in this week."""
    if not record:
        return None
    try:
        moment = datetime.fromisoformat(record["at"])
        texts, media = int(record["texts"]), int(record["media"])
    except (KeyError, TypeError, ValueError):
        return None
    if not start <= moment < end:
        return None
    return RetentionNote(texts, media, months)


def build_digest(
    session: Session,
    organisation_id: int,
    iso_year: int,
    iso_week: int,
    language: str,
    timezone: str = "Europe/Brussels",
    media_dir: str | Path | None = None,
    *,
    as_of: datetime | None = None,
    bot_username: str | None = None,
) -> WeeklyDigest:
    """Build the picture of one organisation's ISO week (reads only; changes nothing).

    With `as_of` inside the week, the week is "so far": data up to that moment, compared with
    the week before up to the same weekday and hour. `media_dir` is where stored photos and
    voice notes are (without it none are shown). `bot_username`, when configured, names the
    bot in the links that mark evidence (else the one the bot learnt and stored). Raises
    LookupError for an unknown organisation and ValueError for a week that does not exist.
    """
    language = geo.normalize_language(language)
    organisation = weekly.organisation_row(session, organisation_id)
    if organisation is None:
        raise LookupError(f"there is no organisation with id {organisation_id}")
    tz = ZoneInfo(timezone)
    first_day = date.fromisocalendar(iso_year, iso_week, 1)
    last_day = first_day + timedelta(days=6)
    start = week_start(iso_year, iso_week, timezone)
    end = week_start(*_next_week(iso_year, iso_week), timezone)
    prev_year, prev_week = previous_week(iso_year, iso_week)
    prev_start = week_start(prev_year, prev_week, timezone)
    prev_end = start
    if as_of is not None and start <= as_of < end:
        end = as_of
        # The same weekday and wall-clock time a week earlier (DST-safe in local time).
        prev_end = (as_of.astimezone(tz) - WEEK).astimezone(UTC)
    else:
        as_of = None
    shell = Week(
        language=language,
        tz=tz,
        buurt=organisation.buurt,
        first_day=first_day,
        last_day=last_day,
        start=start,
        end=end,
        previous_end=prev_end,
        as_of=as_of,
        current=(),
        previous=(),
        walks=(),
        previous_walks=(),
        tracks={},
    )
    rows = weekly.load_week(
        session,
        organisation,
        prev_start,
        start,
        end,
        (first_day, min(last_day, shell.day(end - timedelta(microseconds=1)))),
        people.follow_up_days(shell),
    )
    if bot_username:
        rows = replace(rows, bot_username=bot_username)
    week = replace(
        shell,
        current=tuple(o for o in rows.observations if o.created_at >= start),
        previous=tuple(o for o in rows.observations if o.created_at < prev_end),
        walks=tuple(w for w in rows.walks if w.started_at >= start),
        previous_walks=tuple(w for w in rows.walks if w.started_at < prev_end),
        tracks=rows.tracks,
        diarists=rows.diarists,
        coverage=rows.coverage,
        roles=rows.roles,
        names=rows.names,
        comments=rows.comments,
        organisation_start=organisation.created_at.astimezone(tz).date(),
    )
    return build_from_week(
        week,
        rows,
        organisation_name=organisation.name,
        timezone=timezone,
        iso=(iso_year, iso_week, prev_year, prev_week),
        media_dir=media_dir,
        retention=_retention(rows.retention, organisation.retention_months, start, end),
        survey_results=surveys.build(
            surveys_db.survey_results(session, organisation_id, start, end), start, language
        ),
    )


def build_from_week(
    week: Week,
    rows: weekly.WeekRows,
    *,
    organisation_name: str,
    timezone: str,
    iso: tuple[int, int, int, int],
    media_dir: str | Path | None,
    retention: RetentionNote | None,
    survey_results: tuple[SurveyResult, ...] = (),
) -> WeeklyDigest:
    """Run the section builders over a week's rows and assemble the picture."""
    listed = entries.listed(week)
    numbers = entries.numbers(listed)
    media, media_summary = images.prepare(rows.media, [o.id for o in listed], media_dir)
    located = [o for o in listed if o.located and kind_of(o.kind).on_map]
    points = [
        MapPoint(o.lat, o.lon, o.kind, clip(o.text, MAP_TEXT), numbers[o.id])  # type: ignore[arg-type]
        for o in located
    ]
    unlocated = sum(1 for o in listed if kind_of(o.kind).on_map and not o.located)
    visited = {o.wijk_code for o in listed if o.wijk_code is not None}
    tracks = [rows.tracks[w.id] for w in week.walks if len(rows.tracks.get(w.id, ())) > 1]
    map_data = svg.frame_map(week.buurt, points, unlocated, tracks, week.language, visited)
    drawn = {p.number for p in map_data.points} if map_data is not None else set()
    on_map = {o.id for o in located if numbers[o.id] in drawn}
    theme_rows, unthemed = themes.build(week)
    iso_year, iso_week, prev_year, prev_week = iso
    digest = WeeklyDigest(
        organisation_id=rows.organisation.id,
        organisation_name=organisation_name,
        language=week.language,
        timezone=timezone,
        iso_year=iso_year,
        iso_week=iso_week,
        first_day=week.first_day,
        last_day=week.last_day,
        as_of=week.as_of,
        previous_year=prev_year,
        previous_week=prev_week,
        observations=len(week.current),
        previous_observations=len(week.previous),
        glance=glance.build(week),
        map=map_data,
        themes=theme_rows,
        unthemed=unthemed,
        missing=missing.build(week, numbers),
        diary=diary.build(week),
        voices=voices.build(week, numbers),
        key_persons=people.build(week, rows.follow_ups, numbers),
        context=context.build(week.buurt, week.language),
        questions=(),
        entries=entries.build(week, listed, media, on_map),
        coverage=coverage.build(week),
        participation=participation.build(week),
        media=media_summary,
        retention=retention,
        surveys=survey_results,
        hypotheses=hypotheses.build(
            week, rows.hypotheses, rows.evidence, numbers, rows.bot_username
        ),
        focus_groups=focusgroups.build(week, numbers),
    )
    digest = replace(digest, findings=findings.build(digest))
    return replace(digest, questions=questions.build(digest))


def choose_questions(digest: WeeklyDigest) -> tuple[Msg, ...]:
    """Pick the meeting questions that fit a built picture (see reports.sections.questions)."""
    return questions.build(digest)


__all__ = [
    "GLANCE",
    "ContextSummary",
    "Coverage",
    "DiaristProgress",
    "DiarySummary",
    "Entry",
    "Fact",
    "Figure",
    "FocusGroupLine",
    "FollowUp",
    "IndicatorRow",
    "KeyPerson",
    "KeyPersonSummary",
    "MapArea",
    "MapData",
    "MapPoint",
    "Media",
    "MissingGroup",
    "MissingSummary",
    "Msg",
    "Participation",
    "Photo",
    "Quantity",
    "RetentionNote",
    "Tally",
    "ThemeCount",
    "Voice",
    "VoiceNote",
    "WeeklyDigest",
    "WijkCoverage",
    "build_digest",
    "choose_questions",
    "last_full_week",
    "normalise",
    "parse_iso_week",
    "previous_week",
    "week_of",
    "week_start",
]
