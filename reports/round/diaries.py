"""Diaries: the 30-day diaries of the period, per diarist (pseudonym) and overall."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from reports.model import Tally
from reports.round.model import DiaristRound, Period, RoundDiaries
from reports.sections.common import MAX_TALLY, is_need, median, representative, tally
from reports.sections.missing import ranked_groups
from storage.diaries import DIARY_DAYS
from storage.kinds import DIARY_ENTRY
from storage.round import DiaryRow
from storage.weekly import ObservationRow

LEAVING = ("no", "partly")


def _top_needs(entries: Sequence[ObservationRow], limit: int) -> tuple[Tally, ...]:
    """Return the needs most often met (partly) outside the buurt."""
    leaving = [o for o in entries if o.details.get("met") in LEAVING]
    needs = [
        Tally(representative(group), len(group))
        for group in ranked_groups(leaving)
        if representative(group)
    ]
    return tuple(needs[:limit])


def _day_of(period: Period, entry: ObservationRow) -> date:
    """Return the day an entry is about (its for_date, else the day it was written)."""
    try:
        return date.fromisoformat(str(entry.details.get("for_date")))
    except ValueError:
        return period.day(entry.created_at)


def _status(diary: DiaryRow, last_day: date) -> str:
    if diary.stopped_at is not None:
        return "stopped"
    if diary.ends_on <= last_day:
        return "finished"
    if diary.paused_until is not None and diary.paused_until >= last_day:
        return "paused"
    return "running"


def _diarist(period: Period, diary: DiaryRow, answers: Sequence[ObservationRow]) -> DiaristRound:
    needs = [o for o in answers if is_need(o)]
    met = Counter(str(o.details.get("met") or "") for o in needs)
    days = (diary.ends_on - diary.started_on).days + 1 or DIARY_DAYS
    reached = (min(period.last_day, diary.ends_on) - diary.started_on).days + 1
    return DiaristRound(
        pseudonym=diary.pseudonym,
        started_on=diary.started_on,
        ends_on=diary.ends_on,
        day=max(0, min(reached, days)),
        days=days,
        answered=len({_day_of(period, o) for o in answers}),
        needs=len(needs),
        met_inside=met["yes"],
        met_partly=met["partly"],
        met_outside=met["no"],
        top_needs=_top_needs(needs, 3),
        status=_status(diary, period.last_day),
    )


def build(period: Period, built: Mapping[str, Any]) -> RoundDiaries:
    """Summarise the period's diary entries per diary and overall (never one by one)."""
    answers = [o for o in period.observations if o.kind == DIARY_ENTRY]
    by_member: dict[int | None, list[ObservationRow]] = defaultdict(list)
    for answer in answers:
        by_member[answer.member_id].append(answer)
    entries = [o for o in answers if is_need(o)]
    met = Counter(str(o.details.get("met") or "") for o in entries)
    leaving = [o for o in entries if o.details.get("met") in LEAVING]
    return RoundDiaries(
        diarists=tuple(
            _diarist(period, diary, by_member.get(diary.member_id, ())) for diary in period.diaries
        ),
        needs=len(entries),
        nothing_days=len(answers) - len(entries),
        met_inside=met["yes"],
        met_partly=met["partly"],
        met_outside=met["no"],
        top_needs=_top_needs(entries, MAX_TALLY),
        where_instead=tally(
            o.details.get("where_instead") for o in leaving if o.details.get("where_instead")
        ),
        transports=tally(o.details.get("transport") for o in leaving if o.details.get("transport")),
        median_distance_m=median(o.details.get("distance_m") for o in leaving),
    )
