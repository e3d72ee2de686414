"""Focus groups: each one of the period (when, where, who came, how, what was asked, the
quotes agreed to), who came over the whole round, and whose voice was missing.

A focus group hears few voices: the round report gathers whose voice the team noted as
missing, so the end-of-round meeting can ask how to hear them. Lines come from the weekly
picture's builder (reports/sections/focusgroups.py), which takes any period.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from reports.model import Tally
from reports.round.model import Period, RoundFocusGroup, RoundFocusGroups
from reports.sections import focusgroups as lines
from reports.sections.common import clip, distinct
from storage.focusgroups import ATTENDANCE
from storage.kinds import FOCUS_GROUP
from storage.weekly import ObservationRow

MAX_QUOTES = 5
MAX_MISSING = 12


def focus_group(period: Period, observation: ObservationRow) -> RoundFocusGroup:
    """Return one focus group: its line, its questions and its agreed typed quotes."""
    asked = (clip(q.get("question"), 200) for q in lines.questions_of(observation))
    quotes = lines.quotes_of(observation)
    return RoundFocusGroup(
        line=lines.line(period, observation, observation.id),
        questions=tuple(text for text in asked if text),
        quotes=tuple(quotes[:MAX_QUOTES]),
        more_quotes=max(0, len(quotes) - MAX_QUOTES),
    )


def build(period: Period, built: Mapping[str, Any]) -> RoundFocusGroups:
    """Sum up the period's focus groups, oldest first; each links to its record by id."""
    observations = [o for o in period.observations if o.kind == FOCUS_GROUP]
    groups = tuple(focus_group(period, o) for o in observations)
    came: Counter[str] = Counter()
    for group in groups:
        for item in group.line.attendance:
            came[item.label or ""] += item.count
    return RoundFocusGroups(
        groups=groups,
        attendance=tuple(Tally(kind, came[kind]) for kind in ATTENDANCE),
        people=sum(came.values()),
        channels=lines.channels(observations),
        missing_voices=distinct((g.line.missing_voices for g in groups), MAX_MISSING),
    )
