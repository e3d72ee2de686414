"""Participation: observations per role and per team member by the name they chose (residents
stay unnamed), diaries by progress, encounters and focus groups by channel, encounters by kind
of person."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from reports.model import DiaristProgress, Participation, Tally
from reports.sections import focusgroups
from reports.sections.common import Week
from storage.kinds import kind_of

ROLES = ("coordinator", "staff", "volunteer", "resident")
# The encounter flow's channels (its buttons), every one shown even at 0.
CHANNELS = ("street", "event", "visit", "focus", "activity", "other")


def build(week: Week) -> Participation:
    """Return who the week's observations come from."""
    # Survey answers are counted in their own section (a link respondent is nobody's member).
    counted = [o for o in week.current if not kind_of(o.kind).summarised]
    roles = Counter(week.roles.get(o.member_id) if o.member_id else None for o in counted)
    ordered = [r for r in ROLES if roles[r]] + sorted(
        (r for r in roles if r not in ROLES and r is not None), key=str
    )
    role_tallies = [Tally(role, roles[role]) for role in ordered]
    if roles[None]:
        role_tallies.append(Tally(None, roles[None]))
    encounters = [o for o in week.current if o.kind == "encounter"]
    channels = Counter(
        o.details.get("channel") if o.details.get("channel") in CHANNELS else "other"
        for o in encounters
    )
    who = Counter(str(o.details.get("who") or "other") for o in encounters)
    today = week.day(week.end - timedelta(microseconds=1))
    progress = []
    for diarist in week.diarists:
        days = (diarist.ends_on - diarist.started_on).days + 1
        day = max(1, min((today - diarist.started_on).days + 1, days))
        if diarist.last_entry_at is not None:
            silent = (today - week.day(diarist.last_entry_at)).days
        else:
            silent = day
        progress.append(DiaristProgress(day=day, days=days, silent_days=max(silent, 0)))
    progress.sort(key=lambda p: (-(p.silent_days or 0), -p.day))
    named = Counter(
        week.names[o.member_id]
        for o in week.current
        if o.member_id in week.names and week.roles.get(o.member_id) != "resident"
    )
    return Participation(
        people=tuple(Tally(name, count) for name, count in named.most_common()),
        roles=tuple(role_tallies),
        diarists=tuple(progress),
        channels=tuple(Tally(code, channels[code]) for code in CHANNELS),
        who=tuple(Tally(code, count) for code, count in who.most_common()),
        encounters=len(encounters),
        focus_channels=focusgroups.channels(week.current),
    )
