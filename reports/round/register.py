"""The key-person register: everyone met, their networks, the last follow-up, dormant ones."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from reports.round.model import Period, Register, RegisterEntry
from reports.sections.common import clip, distinct, normalise, tally
from storage.weekly import ObservationRow

# A contact with no record and no follow-up day in this many days is dormant (4 weeks).
DORMANT_DAYS = 28


def person_key(observation: ObservationRow) -> str:
    """Return what makes two records one person: the description, else the network."""
    alias = normalise(observation.details.get("alias"))
    if alias:
        return "a:" + alias
    network = normalise(observation.details.get("network") or observation.text)
    return "n:" + network if network else f"id:{observation.id}"


def _entry(period: Period, records: list[ObservationRow]) -> RegisterEntry:
    first, last = records[0], records[-1]
    days = [period.day(o.created_at) for o in records]
    planned = sorted({o.follow_up_on for o in records if o.follow_up_on is not None})
    came = [d for d in planned if d <= period.last_day]
    coming = [d for d in planned if d > period.last_day]
    last_follow_up = came[-1] if came else None
    last_contact = max([days[-1], *came])
    return RegisterEntry(
        alias=clip(last.details.get("alias") or first.details.get("alias"), 80),
        role=clip(last.details.get("role") or first.details.get("role"), 80),
        networks=distinct((o.details.get("network") or o.text for o in records), 3),
        wijk=period.wijk(next((o.wijk_code for o in reversed(records) if o.wijk_code), None)),
        first_met=days[0],
        last_contact=last_contact,
        last_follow_up=last_follow_up,
        next_follow_up=coming[0] if coming else None,
        dormant=(period.last_day - last_contact).days > DORMANT_DAYS,
        new=first.created_at >= period.start,
        records=tuple(o.id for o in records),
    )


def build(period: Period, built: Mapping[str, Any]) -> Register:
    """List every key person met up to the period's end, the dormant ones first."""
    people: dict[str, list[ObservationRow]] = defaultdict(list)
    for observation in period.key_persons:
        people[person_key(observation)].append(observation)
    entries = [_entry(period, records) for records in people.values()]
    entries.sort(key=lambda e: (not e.dormant, -e.last_contact.toordinal(), e.alias or ""))
    return Register(
        people=tuple(entries),
        networks=tally((n for e in entries for n in e.networks), 12),
        dormant_days=DORMANT_DAYS,
    )
