"""/team (coordinators): who is in the team, how the diaries go, and removing a member.

| state   | accepts       | step          | goes to   |
|---------|---------------|---------------|-----------|
| (start) | /team         | show_team     | list, end |
| list    | tap rm:ID     | choose_remove | confirm   |
| list    | tap rv:ID     | choose_revoke | revoke    |
| list    | tap done      | close         | end       |
| confirm | tap yes:ID    | remove        | end       |
| confirm | tap no        | keep          | end       |
| revoke  | tap revoke:ID | revoke        | end       |
| revoke  | tap no        | keep          | end       |

Members appear by the name they chose for their team (/name) beside their pseudonym, and
role; residents by pseudonym unless they chose a name. Diaries show adherence (day, last
answer, paused), never content. Invites not used up are listed with a button to revoke one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

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
from storage.models import Invite, Member
from storage.privacy import pseudonym

MAX_LISTED = 30


@dataclass(frozen=True)
class TeamDraft:
    """The member a coordinator is about to remove."""

    member_id: int = 0
    pseudonym: str = ""
    invite_id: int = 0


def shown_name(ctx: StepContext, member: Member) -> str:
    """Return how a member appears to the coordinator: 'Name (P-CODE)', or the code alone."""
    code = pseudonym(ctx.config.secret_key, member.id)
    return f"{member.display_name} ({code})" if member.display_name else code


def team_lines(ctx: StepContext) -> tuple[Text, ...]:
    """Return one line per member: name or pseudonym, role, since when, active or not."""
    assert ctx.member is not None
    lines = []
    for member in orgs.organisation_members(ctx.session, ctx.member.organisation_id)[:MAX_LISTED]:
        key = "team.member_line" if member.active else "team.member_line_inactive"
        lines.append(
            Text(
                key,
                {
                    "pseudonym": shown_name(ctx, member),
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


def open_invites(ctx: StepContext) -> list[Invite]:
    """Return the organisation's invites that can still be used."""
    assert ctx.member is not None
    return orgs.open_invites(ctx.session, ctx.member.organisation_id, ctx.now)[:MAX_LISTED]


def open_invite_ids(ctx: StepContext, draft: TeamDraft) -> Collection[str]:
    """Return the ids of the invites a coordinator may revoke, as their buttons send them."""
    return {str(invite.id) for invite in open_invites(ctx)}


def invite_label(ctx: StepContext, invite: Invite) -> dict[str, Any]:
    """Return what tells an invite apart: its role, the end of its code, until when."""
    until = invite.expires_at.astimezone(ZoneInfo(ctx.config.timezone))
    return {
        "role": Text(f"role.{invite.role}"),
        "tail": invite.code[-4:],
        "until": until.strftime("%d/%m"),
    }


def invite_lines(ctx: StepContext) -> tuple[Text, ...]:
    """Return one line per invite not used up: role, code end, uses, until when."""
    lines = []
    for invite in open_invites(ctx):
        uses = Text("team.invite_uses", {"count": invite.uses, "max": invite.max_uses})
        if invite.max_uses is None:
            uses = Text("team.invite_uses_open", {"count": invite.uses})
        lines.append(Text("team.invite_line", {**invite_label(ctx, invite), "uses": uses}))
    return tuple(lines)


REVOKE = Choice("rv", open_invite_ids, label="team.button_revoke", shown="ID")
REVOKE_YES = Choice(
    "revoke", lambda ctx, draft: (str(draft.invite_id),), label="team.button_revoke_yes", shown="ID"
)


def overview(ctx: StepContext, draft: TeamDraft) -> tuple[Reply, ...]:
    """Show the team, the diaries and the open invites, with a button per member and invite."""
    rows = tuple((REMOVE.button(str(m.id), pseudonym=shown_name(ctx, m)),) for m in removable(ctx))
    invite_rows = tuple(
        (REVOKE.button(str(i.id), **invite_label(ctx, i)),) for i in open_invites(ctx)
    )
    diary = diary_lines(ctx)
    invites = invite_lines(ctx)
    return (
        Reply(
            "team.overview",
            {
                "members": team_lines(ctx),
                "diaries": diary if diary else Text("team.no_diaries"),
            },
        ),
        Reply(
            "team.invites",
            {"invites": invites if invites else Text("team.no_invites")},
            buttons=(*rows, *invite_rows, *FINISHED.rows()),
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
    member = orgs.member_by_id(ctx.session, int(target))
    assert member is not None  # the choice offers only members of the team
    return onward(TeamDraft(member.id, shown_name(ctx, member)))


def choose_revoke(
    ctx: StepContext, inp: Input, draft: TeamDraft, target: str
) -> Outcome[TeamDraft]:
    """Ask to confirm revoking one invite."""
    return onward(TeamDraft(invite_id=int(target)))


def revoke_question(ctx: StepContext, draft: TeamDraft) -> tuple[Reply, ...]:
    """Say what revoking does and ask yes / no."""
    invite = next((i for i in open_invites(ctx) if i.id == draft.invite_id), None)
    if invite is None:
        return (Reply("team.invite_gone"),)
    row = (REVOKE_YES.button(str(invite.id)), NO.button("no"))
    return (Reply("team.confirm_revoke", invite_label(ctx, invite), buttons=(row,)),)


def revoke(ctx: StepContext, inp: Input, draft: TeamDraft, value: str) -> Outcome[Any]:
    """Revoke the invite: its code and link no longer let anyone join."""
    assert ctx.member is not None
    invite = orgs.revoke_invite(ctx.session, ctx.member.organisation_id, draft.invite_id)
    if invite is None:
        return done(reply("team.invite_gone"))
    return done(reply("team.revoked", **invite_label(ctx, invite)))


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
        "list": State(
            overview,
            {
                REMOVE: Go(choose_remove, "confirm"),
                REVOKE: Go(choose_revoke, "revoke"),
                FINISHED: Go(close, END),
            },
        ),
        "confirm": State(confirm_question, {YES: Go(remove, END), NO: Go(keep, END)}),
        "revoke": State(revoke_question, {REVOKE_YES: Go(revoke, END), NO: Go(keep, END)}),
    },
    keeps_draft=False,
)
