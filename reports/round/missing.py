"""Missing: everything reported missing in the period, grouped, most mentioned first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports.round.model import Period, RoundMissing
from reports.sections.common import median, tally
from reports.sections.missing import _alternative, goes_somewhere, ranked_groups, summarise_group
from storage.kinds import MISSING

MAX_GROUPS = 30


def build(period: Period, built: Mapping[str, Any]) -> RoundMissing:
    """Group the period's missing things; each group refers to its reports by id."""
    reports = [o for o in period.observations if o.kind == MISSING]
    ids = {o.id: o.id for o in reports}
    groups = [summarise_group(group, ids) for group in ranked_groups(reports)]
    every = [o.details for o in reports]
    distances = [d.get("distance_m") for d in every]
    return RoundMissing(
        total=len(reports),
        groups=tuple(groups[:MAX_GROUPS]),
        more_groups=max(0, len(groups) - MAX_GROUPS),
        alternatives=tally((_alternative(d) for d in every if goes_somewhere(d)), 8),
        nowhere=sum(1 for d in every if d.get("alternative_source") == "nowhere"),
        median_distance_m=median(distances),
        with_distance=sum(
            1 for d in distances if isinstance(d, int | float) and not isinstance(d, bool)
        ),
        disappeared=sum(1 for d in every if d.get("status") == "disappeared"),
    )
