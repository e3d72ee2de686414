"""Key persons: who was met this week, the networks they open, and the follow-ups due."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from reports.model import FollowUp, KeyPerson, KeyPersonSummary
from reports.sections.common import Week, clip, distinct
from storage.weekly import ObservationRow

FOLLOW_UP_DAYS = 7


def follow_up_days(week: Week) -> tuple[date, date]:
    """Return the first and last day of the follow-ups listed: the 7 days after the week (or
    from today, for a week still running)."""
    moment = week.as_of if week.as_of is not None else week.end
    first = week.day(moment)
    return first, date.fromordinal(first.toordinal() + FOLLOW_UP_DAYS - 1)


def build(
    week: Week, follow_ups: Sequence[ObservationRow], numbers: Mapping[int, int]
) -> KeyPersonSummary:
    """Return the key persons of the week (never their contact details) and those due."""
    new = [
        KeyPerson(
            alias=clip(o.details.get("alias"), 80),
            role=clip(o.details.get("role"), 80),
            network=clip(o.details.get("network") or o.text, 160),
            wijk=week.wijk(o.wijk_code),
            follow_up_on=o.follow_up_on,
            day=week.day(o.created_at),
            number=numbers.get(o.id, 0),
        )
        for o in week.current
        if o.kind == "key_person"
    ]
    first, last = follow_up_days(week)
    due = tuple(
        FollowUp(
            alias=clip(o.details.get("alias"), 80),
            network=clip(o.details.get("network") or o.text, 160),
            note=clip(o.details.get("follow_up"), 160),
            on=o.follow_up_on,
        )
        for o in follow_ups
        if o.follow_up_on is not None
    )
    return KeyPersonSummary(
        new=tuple(new),
        previous=sum(1 for o in week.previous if o.kind == "key_person"),
        networks=distinct((k.network for k in new), 12),
        due=due,
        due_from=first,
        due_until=last,
    )
