"""The diaries of the week, only aggregated: needs met inside the buurt, partly, or outside."""

from __future__ import annotations

from collections import Counter

from reports.model import DiarySummary, Tally
from reports.sections.common import MAX_TALLY, Week, is_need, median, representative, tally
from reports.sections.missing import ranked_groups
from storage.kinds import DIARY_ENTRY


def build(week: Week) -> DiarySummary:
    """Summarise the week's diary entries (never one by one)."""
    answers = [o for o in week.current if o.kind == DIARY_ENTRY]
    entries = [o for o in answers if is_need(o)]
    met = Counter(str(o.details.get("met") or "") for o in entries)
    leaving = [o for o in entries if o.details.get("met") in ("no", "partly")]
    needs = [
        Tally(representative(group), len(group))
        for group in ranked_groups(leaving)
        if representative(group)
    ]
    return DiarySummary(
        needs=len(entries),
        nothing_days=len(answers) - len(entries),
        diarists=len({o.member_id or o.author for o in answers}),
        enrolled=len(week.diarists),
        met_inside=met["yes"],
        met_partly=met["partly"],
        met_outside=met["no"],
        met_unknown=len(entries) - met["yes"] - met["partly"] - met["no"],
        top_needs=tuple(needs[:MAX_TALLY]),
        transports=tally(o.details.get("transport") for o in leaving if o.details.get("transport")),
        where_instead=tally(
            o.details.get("where_instead") for o in leaving if o.details.get("where_instead")
        ),
        median_distance_m=median(o.details.get("distance_m") for o in leaving),
    )
