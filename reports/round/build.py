"""Build the round report: storage rows -> one pure builder per section -> a RoundReport.

`build_round_report()` reads one organisation's period (whole local days in the deployment's
time zone, Europe/Brussels) through `storage.round` (every query is there), then runs the
builders of `reports/round/sections.py:SECTIONS` in order, each a pure function of the period
and the sections before it. `reports/render.py:render_round_html` makes the HTML.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

import geo
from reports.round.model import CitedObservation, Period, ReportWeek, RoundReport
from reports.round.sections import SECTIONS
from reports.sections.common import clip
from storage import round as rounds
from storage.kinds import KEY_PERSON, SURVEY_RESPONSE, kind_of
from storage.weekly import ObservationRow

MAX_DAYS = 400


def local_midnight(day: date, timezone: str) -> datetime:
    """Return the start of a local day as an aware UTC moment (DST-safe)."""
    return datetime.combine(day, time(0), ZoneInfo(timezone)).astimezone(UTC)


def weeks_between(first_day: date, last_day: date) -> tuple[ReportWeek, ...]:
    """Return the ISO weeks from the one holding `first_day` to the one holding `last_day`."""
    monday = first_day - timedelta(days=first_day.weekday())
    weeks = []
    while monday <= last_day:
        iso = monday.isocalendar()
        weeks.append(ReportWeek(monday, iso.year, iso.week))
        monday += timedelta(days=7)
    return tuple(weeks)


def check_period(first_day: date, last_day: date) -> None:
    """Raise ValueError with a plain reason when a period cannot be reported."""
    if last_day < first_day:
        raise ValueError(f"the period ends ({last_day}) before it starts ({first_day})")
    if (last_day - first_day).days >= MAX_DAYS:
        raise ValueError(f"a round report covers at most {MAX_DAYS} days")


def build_round_report(
    session: Session,
    organisation_id: int,
    first_day: date,
    last_day: date,
    language: str,
    timezone: str = "Europe/Brussels",
) -> RoundReport:
    """Build the report of one organisation's period, both days included (reads only).

    Raises LookupError for an unknown organisation and ValueError for a period that ends
    before it starts or is longer than MAX_DAYS.
    """
    check_period(first_day, last_day)
    language = geo.normalize_language(language)
    organisation = rounds.organisation_row(session, organisation_id)
    if organisation is None:
        raise LookupError(f"there is no organisation with id {organisation_id}")
    start = local_midnight(first_day, timezone)
    end = local_midnight(last_day + timedelta(days=1), timezone)
    rows = rounds.load_round(session, organisation, start, end, (first_day, last_day))
    period = Period(
        language=language,
        tz=ZoneInfo(timezone),
        buurt=organisation.buurt,
        first_day=first_day,
        last_day=last_day,
        start=start,
        end=end,
        weeks=weeks_between(first_day, last_day),
        observations=rows.observations,
        walks=rows.walks,
        key_persons=rows.key_persons,
        diaries=rows.diaries,
        surveys=rows.surveys,
        hypotheses=rounds.load_hypotheses(session, organisation_id, start, end),
    )
    return build_from_period(period, organisation_id, organisation.name, timezone)


def build_from_period(
    period: Period, organisation_id: int, organisation_name: str, timezone: str
) -> RoundReport:
    """Run the section builders over a period and assemble the report."""
    built: dict[str, Any] = {}
    for section in SECTIONS:
        built[section.name] = section.build(period, built)
    return RoundReport(
        organisation_id=organisation_id,
        organisation_name=organisation_name,
        language=period.language,
        timezone=timezone,
        first_day=period.first_day,
        last_day=period.last_day,
        observations=len(period.observations),
        sections=tuple(built.items()),
        cited=cited(period, built.values()),
    )


def cited(period: Period, values: Any) -> tuple[CitedObservation, ...]:
    """Return the observations the sections link to, oldest first, each once."""
    wanted: set[int] = set()
    for value in values:
        method = getattr(value, "cited", None)
        if method is not None:
            wanted.update(method())
    if not wanted:
        return ()
    found = {}
    hypotheses = period.hypotheses
    extra = hypotheses.observations.values() if hypotheses is not None else ()
    for o in (*period.key_persons, *period.observations, *extra):
        # A diary entry is never listed on its own (privacy), whatever links to it.
        if o.id in wanted and o.id not in found and not kind_of(o.kind).private:
            found[o.id] = CitedObservation(
                id=o.id,
                kind=o.kind,
                moment=o.created_at,
                author=o.author,
                text=cited_text(o),
                theme=o.theme,
                wijk=period.wijk(o.wijk_code),
            )
    return tuple(sorted(found.values(), key=lambda c: (c.moment, c.id)))


def cited_text(observation: ObservationRow) -> str | None:
    """Return the words a cited observation is listed with: a key person's description, a
    survey response's survey (its answers are shown in the surveys section), else its text."""
    named = {KEY_PERSON: "alias", SURVEY_RESPONSE: "survey"}.get(observation.kind)
    given = observation.details.get(named) if named else None
    return clip(given, 240) or clip(observation.text, 240)
