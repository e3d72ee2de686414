"""Observations per life domain, this week and the week before."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from reports.model import ThemeCount
from reports.sections.common import Week, is_need, is_reflection
from storage.kinds import DIARY_ENTRY, kind_of
from storage.themes import THEMES
from storage.weekly import ObservationRow


def _count(observations: Sequence[ObservationRow]) -> tuple[Counter[str], int]:
    tally: Counter[str] = Counter()
    none = 0
    for observation in observations:
        kind = kind_of(observation.kind)
        if not kind.themed:
            continue
        if is_reflection(observation) or (
            observation.kind == DIARY_ENTRY and not is_need(observation)
        ):
            continue
        if observation.theme is None:
            none += kind.asks_theme
            continue
        tally[observation.theme if observation.theme in THEMES else "other"] += 1
    return tally, none


def build(week: Week) -> tuple[tuple[ThemeCount, ...], int]:
    """Count observations per life domain (unknown codes count as "other"), in THEMES order;
    return the rows and how many records that ask for a theme had none."""
    now, unthemed = _count(week.current)
    before, _ = _count(week.previous)
    rows = tuple(
        ThemeCount(theme, now[theme], before[theme])
        for theme in THEMES
        if now[theme] or before[theme]
    )
    return rows, unthemed
