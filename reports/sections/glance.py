"""The compact count line: walks, distance, time in the field, and each kind's figure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

import geo
from reports.model import GLANCE, Figure
from reports.sections.common import Week, is_reflection
from storage.kinds import DIARY_ENTRY, KINDS, kind_of
from storage.surveys import CHANNEL_KEY, TRIAL
from storage.weekly import ObservationRow, WalkRow


def walk_totals(
    walks: Sequence[WalkRow],
    observations: Sequence[ObservationRow],
    tracks: Mapping[int, list[tuple[float, float]]],
    until: datetime,
) -> tuple[float, float]:
    """Return the kilometres and hours walked in a period.

    The distance is the one stored when the walk ended, else measured on its track. A walk
    closed because it was forgotten counts until its last sign of life, not until the sweep
    closed it; a walk still open counts until its last sign of life (or the period's end).
    """
    last_note: dict[int, datetime] = {}
    for observation in observations:
        if observation.walk_id is not None:
            seen = last_note.get(observation.walk_id, observation.created_at)
            last_note[observation.walk_id] = max(observation.created_at, seen)
    metres = 0.0
    seconds = 0.0
    for walk in walks:
        if walk.distance_m is not None:
            metres += walk.distance_m
        elif len(tracks.get(walk.id, ())) > 1:
            metres += geo.track_length_m(tracks[walk.id])
        if walk.ended_at is not None and walk.closed_reason != "forgotten":
            finish = walk.ended_at
        else:
            signs = [m for m in (walk.last_point_at, last_note.get(walk.id)) if m is not None]
            finish = max(signs) if signs else walk.started_at
            if walk.ended_at is not None:
                finish = min(finish, walk.ended_at)
        finish = min(finish, max(until, walk.started_at))
        seconds += max(0.0, (finish - walk.started_at).total_seconds())
    return round(metres / 1000, 1), round(seconds / 3600, 2)


def counts(observations: Sequence[ObservationRow]) -> dict[str, int]:
    """Count observations per figure (walk notes and notes alike), and the diarists."""
    # A coordinator trying a survey out is no respondent (a trial's answers go when it ends).
    tallied = Counter(
        kind_of(o.kind).tally
        for o in observations
        if not is_reflection(o) and o.details.get(CHANNEL_KEY) != TRIAL
    )
    diarists = {o.member_id or o.author for o in observations if o.kind == DIARY_ENTRY}
    return {**{kind.tally: tallied[kind.tally] for kind in KINDS}, "diarists": len(diarists)}


def build(week: Week) -> tuple[Figure, ...]:
    """Return the week's figures in GLANCE order, each with last week's."""
    km, hours = walk_totals(week.walks, week.current, week.tracks, week.end)
    prev_km, prev_hours = walk_totals(
        week.previous_walks, week.previous, week.tracks, week.previous_end
    )
    now = counts(week.current)
    before = counts(week.previous)
    values = {
        "walks": (len(week.walks), len(week.previous_walks), 0),
        "km": (km, prev_km, 1),
        "hours": (hours, prev_hours, 2),
        **{key: (now[key], before[key], 0) for key in now},
    }
    return tuple(Figure(key, *values[key]) for key in GLANCE)
