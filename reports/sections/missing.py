"""What the buurt lacks: reports grouped by theme and normalised text, most mentioned first."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from reports.model import MissingGroup, MissingSummary
from reports.sections.common import Week, distinct, median, normalise, representative, tally
from storage.weekly import ObservationRow

MAX_MISSING_GROUPS = 8


def _group_key(observation: ObservationRow) -> tuple[str, str]:
    return (observation.theme or "", normalise(observation.text))


def ranked_groups(observations: Sequence[ObservationRow]) -> list[list[ObservationRow]]:
    """Group by theme + normalised text; most mentioned first, then the most recent."""
    groups: dict[tuple[str, str], list[ObservationRow]] = defaultdict(list)
    for observation in observations:
        groups[_group_key(observation)].append(observation)
    return sorted(
        groups.values(),
        key=lambda g: (-len(g), -max(o.created_at for o in g).timestamp(), _group_key(g[0])),
    )


def _alternative(details: Mapping[str, Any]) -> str | None:
    value = details.get("alternative")
    return str(value) if value else None


def goes_somewhere(details: Mapping[str, Any]) -> bool:
    """Say whether people go somewhere else for it (typed, or given as a location)."""
    source = details.get("alternative_source")
    if source == "nowhere":
        return False
    return bool(details.get("alternative")) or source == "location"


def summarise_group(group: Sequence[ObservationRow], numbers: Mapping[int, int]) -> MissingGroup:
    """Summarise one group of reports of the same missing thing (`numbers`: id -> reference)."""
    details = [o.details for o in group]
    statuses = Counter(d.get("status") for d in details if d.get("status"))
    return MissingGroup(
        text=representative(group),
        theme=group[0].theme,
        count=len(group),
        status=statuses.most_common(1)[0][0] if statuses else None,
        alternatives=tally(_alternative(d) for d in details if goes_somewhere(d)),
        nowhere=sum(1 for d in details if d.get("alternative_source") == "nowhere"),
        median_distance_m=median(d.get("distance_m") for d in details),
        transports=tally(d.get("transport") for d in details if d.get("transport")),
        affected=distinct((d.get("affected") for d in details), 3),
        impacts=distinct((d.get("impact") for d in details), 2),
        numbers=tuple(numbers[o.id] for o in group if o.id in numbers),
    )


def build(week: Week, numbers: Mapping[int, int]) -> MissingSummary:
    """Summarise the week's missing things; `numbers` maps observation ids to list numbers."""
    reports = [o for o in week.current if o.kind == "missing"]
    groups = [summarise_group(group, numbers) for group in ranked_groups(reports)]
    every = [o.details for o in reports]
    distances = [d.get("distance_m") for d in every]
    return MissingSummary(
        total=len(reports),
        previous=sum(1 for o in week.previous if o.kind == "missing"),
        groups=tuple(groups[:MAX_MISSING_GROUPS]),
        more_groups=max(0, len(groups) - MAX_MISSING_GROUPS),
        alternatives=tally(_alternative(d) for d in every if goes_somewhere(d)),
        nowhere=sum(1 for d in every if d.get("alternative_source") == "nowhere"),
        median_distance_m=median(distances),
        with_distance=sum(
            1 for d in distances if isinstance(d, int | float) and not isinstance(d, bool)
        ),
        transports=tally(d.get("transport") for d in every if d.get("transport")),
        affected=distinct((d.get("affected") for d in every), 6),
    )
