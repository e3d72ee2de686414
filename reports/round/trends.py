"""Trends: each count week by week, and a heat table of weeks by theme."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports.round.model import HeatRow, Period, Series, Trends
from storage.kinds import kind_of
from storage.themes import THEMES

# The counts followed week by week, as in the weekly picture's count line (km with the walks).
TREND_KEYS = ("walks", "km", "notes", "encounters", "key_persons", "missing", "diary_entries")


def build(period: Period, built: Mapping[str, Any]) -> Trends:
    """Count the period's walks and observations per week, and themed ones per theme."""
    size = len(period.weeks)
    counts: dict[str, list[float]] = {key: [0.0] * size for key in TREND_KEYS}
    for walk in period.walks:
        index = period.week_index(walk.started_at)
        counts["walks"][index] += 1
        counts["km"][index] += (walk.distance_m or 0) / 1000
    themes: dict[str | None, list[int]] = {}
    for observation in period.observations:
        kind = kind_of(observation.kind)
        index = period.week_index(observation.created_at)
        if kind.tally in counts:
            counts[kind.tally][index] += 1
        if kind.themed and (observation.theme or kind.asks_theme):
            themes.setdefault(observation.theme, [0] * size)[index] += 1
    series = tuple(
        Series(key, tuple(round(v, 1) for v in counts[key]), round(sum(counts[key]), 1))
        for key in TREND_KEYS
    )
    order = {theme: i for i, theme in enumerate(THEMES)}
    heat = tuple(
        HeatRow(theme, tuple(values), sum(values))
        for theme, values in sorted(
            themes.items(), key=lambda item: order.get(item[0] or "", len(order))
        )
    )
    peak = max((c for row in heat for c in row.counts), default=0)
    return Trends(weeks=period.weeks, series=series, heat=heat, peak=peak)
