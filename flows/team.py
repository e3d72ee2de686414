"""/team (coordinators): who is in the team, how the diaries go, and removing a member.

| state   | accepts    | step          | goes to   |
|---------|------------|---------------|-----------|
| (start) | /team      | show_team     | list, end |
| list    | tap rm:ID  | choose_remove | confirm   |
| list    | tap done   | close         | end       |
| confirm | tap yes:ID | remove        | end       |
| confirm | tap no     | keep          | end       |

Members appear by pseudonym and role only: Buurtbot keeps no names. Diaries show adherence
(day, last answer, paused), never content.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from flows.engine import (
    END,
    Choice,
    Flow,
    Go,
    Input,
    Outcome,
    Reply,
    State,
    StepContext,
    Text,
    done,
    goto,
    onward,
    reply,
)
from flows.roles import COORDINATOR
from storage import diaries
from storage import organisations as orgs
from storage import privacy as privacy_db
from storage.models import Member
from storage.privacy import pseudonym

MAX_LISTED = 30


@dataclass(frozen=True)
class TeamDraft:
    """The member a coordinator is about to remove."""

    member_id: int = 0
    pseudonym: str = ""


def team_lines(ctx: StepContext) -> tuple[Text, ...]:
    """Return one line per member: pseudonym, role, since when, active or not."""
    assert ctx.member is not None
    lines = []
    for member in orgs.organisation_members(ctx.session, ctx.member.organisation_id)[:MAX_LISTED]:
        key = "team.member_line" if member.active else "team.member_line_inactive"
        lines.append(
            Text(
                key,
                {
                    "pseudonym": pseudonym(ctx.config.secret_key, member.id),
                    "role": Text(f"role.{member.role}"),
                    "since": member.joined_at.strftime("%d/%m/%Y"),
                },
            )
        )
    return tuple(lines)


def diary_lines(ctx: StepContext) -> tuple[Text, ...]:
    """Return one line per diarist: day, last answer, paused or stopped."""
    assert ctx.member is not None
    rows = diaries.adherence(
        ctx.session,
        ctx.member.organisation_id,
        ctx.today(),
        ctx.config.secret_key,
        limit=MAX_LISTED,
    )
    lines = []
    for row in rows[:MAX_LISTED]:
        if row.get("stopped") or row.get("ended"):
            state = Text("team.diary_ended")
        elif row.get("paused"):
            state = Text("team.diary_paused")
        else:
            state = Text("team.diary_running")
        last = row.get("last_entry")
        lines.append(
            Text(
                "team.diary_line",
                {
                    "pseudonym": row["pseudonym"],
                    "day": row.get("day") or 0,
                    "last": last.strftime("%d/%m") if last else Text("team.never"),
                    "state": state,
                },
            )
        )
    return tuple(lines)


def removable(ctx: StepContext) -> list[Member]:
    """Return the members a coordinator may remove: everyone in the team but themselves."""
    assert ctx.member is not None
    return [
        m
        for m in orgs.organisation_members(ctx.session, ctx.member.organisation_id)
        if m.id != ctx.member.id
    ][:MAX_LISTED]


def removable_ids(ctx: StepContext, draft: TeamDraft) -> Collection[str]:
    """Return the ids of the members a coordinator may remove, as their buttons send them."""
    return {str(m.id) for m in removable(ctx)}


def asked_about(ctx: StepContext, draft: TeamDraft) -> Collection[str]:
    """Return the id of the member the confirmation asks about."""
    return (str(draft.member_id),)


REMOVE = Choice("rm", removable_ids, label="team.button_remove", shown="ID")
FINISHED = Choice("", ("done",), label="team.button_done")
YES = Choice("yes", asked_about, label="forget.button_yes", shown="ID")
NO = Choice("", ("no",), label="forget.button_no")


def overview(ctx: StepContext, draft: TeamDraft) -> tuple[Reply, ...]:
    """Show the team and the diaries, with a remove button per member."""
    rows = tuple(
        (REMOVE.button(str(m.id), pseudonym=pseudonym(ctx.config.secret_key, m.id)),)
        for m in removable(ctx)
    )
    diary = diary_lines(ctx)
    return (
        Reply(
            "team.overview",
            {
                "members": team_lines(ctx),
                "diaries": diary if diary else Text("team.no_diaries"),
            },
            buttons=(*rows, *FINISHED.rows()),
        ),
    )


def show_team(ctx: StepContext, inp: Input, draft: TeamDraft) -> Outcome[TeamDraft]:
    """Answer /team."""
    if ctx.member is None or ctx.member.role != COORDINATOR:
        return done(reply("error.not_allowed", command="team"))
    return goto("list", draft)


def close(ctx: StepContext, inp: Input, draft: TeamDraft, value: str) -> Outcome[Any]:
    """Leave the overview."""
    return done(reply("team.closed"))


def choose_remove(
    ctx: StepContext, inp: Input, draft: TeamDraft, target: str
) -> Outcome[TeamDraft]:
    """Ask to confirm removing one member."""
    member_id = int(target)
    return onward(TeamDraft(member_id, pseudonym(ctx.config.secret_key, member_id)))


def confirm_question(ctx: StepContext, draft: TeamDraft) -> tuple[Reply, ...]:
    """Explain what removing does and ask yes / no."""
    row = (YES.button(str(draft.member_id)), NO.button("no"))
    return (Reply("team.confirm_remove", {"pseudonym": draft.pseudonym}, buttons=(row,)),)


def keep(ctx: StepContext, inp: Input, draft: TeamDraft, value: str) -> Outcome[Any]:
    """Remove nobody."""
    return done(reply("forget.kept"))


def remove(ctx: StepContext, inp: Input, draft: TeamDraft, value: str) -> Outcome[Any]:
    """Remove the member the same way /forget does; their observations stay, unlinked."""
    target = orgs.member_by_id(ctx.session, draft.member_id)
    if ctx.member is None or target is None or target.organisation_id != ctx.member.organisation_id:
        return done(reply("forget.kept"))
    ctx.reports().delete_media(ctx.config.media_dir, privacy_db.forget_member(ctx.session, target))
    return done(reply("team.removed", pseudonym=draft.pseudonym))


TEAM = Flow(
    name="team",
    draft=TeamDraft,
    start=Go(show_team, "list", END),
    states={
        "list": State(overview, {REMOVE: Go(choose_remove, "confirm"), FINISHED: Go(close, END)}),
        "confirm": State(confirm_question, {YES: Go(remove, END), NO: Go(keep, END)}),
    },
    keeps_draft=False,
)
