"""Coverage: observations per wijk of the buurt this week and since the start, and how many
of the week's located observations fall outside the buurt."""

from __future__ import annotations

from collections import Counter

from reports.model import Coverage, WijkCoverage
from reports.sections.common import Week
from storage.kinds import kind_of


def build(week: Week) -> Coverage | None:
    """Return the coverage of the buurt's wijken, or None when the buurt is not set."""
    if not week.buurt:
        return None
    shown = [o for o in week.current if not kind_of(o.kind).private]
    here = Counter(o.wijk_code for o in shown if o.wijk_code is not None)
    located = [o for o in shown if o.located]
    buurt = set(week.buurt)
    return Coverage(
        wijken=tuple(
            WijkCoverage(
                code=code,
                name=week.wijk(code) or str(code),
                week=here[code],
                since_start=max(week.coverage.get(code, 0), here[code]),
            )
            for code in week.buurt
        ),
        located=len(located),
        outside=sum(1 for o in located if o.wijk_code not in buurt),
        since=week.organisation_start or week.first_day,
    )
