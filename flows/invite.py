"""/invite (coordinators): make an invite code and link for a role.

| state   | accepts                            | step        | goes to |
|---------|------------------------------------|-------------|---------|
| (start) | /invite                            | start       | role    |
| role    | tap role:coordinator, staff,       | choose_role | uses    |
|         | volunteer, resident                |             |         |
| uses    | tap uses:1, group                  | create      | end     |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
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
    onward,
    stay,
)
from flows.roles import MEMBER_ROLES
from storage import organisations as orgs

ROLES = Choice("role", MEMBER_ROLES, label="role.{}")
USES = Choice(
    "uses", ("1", "group"), label={"1": "invite.button_single", "group": "invite.button_group"}
)


@dataclass(frozen=True)
class InviteDraft:
    """The invite being made: the role its people get."""

    role: str = ""


def invite_link(bot_username: str | None, code: str) -> str | None:
    """Return the t.me deep link that starts the bot with this code."""
    return f"https://t.me/{bot_username}?start={code}" if bot_username else None


def ask_role(ctx: StepContext, draft: InviteDraft) -> tuple[Reply, ...]:
    """Ask which role the invited people get."""
    return (Reply("invite.choose_role", buttons=ROLES.rows()),)


def ask_uses(ctx: StepContext, draft: InviteDraft) -> tuple[Reply, ...]:
    """Ask whether the code is for one person or for a group."""
    return (
        Reply(
            "invite.choose_uses",
            {"days": ctx.config.invite_valid_days},
            buttons=USES.rows(),
        ),
    )


def start(ctx: StepContext, inp: Input, draft: InviteDraft) -> Outcome[InviteDraft]:
    """Begin making an invite."""
    return onward(draft)


def choose_role(
    ctx: StepContext, inp: Input, draft: InviteDraft, role: str
) -> Outcome[InviteDraft]:
    """Take the role and ask about the number of uses."""
    return onward(InviteDraft(role=role))


def create(ctx: StepContext, inp: Input, draft: InviteDraft, value: str) -> Outcome[Any]:
    """Create the invite and hand over code, link and QR code."""
    if ctx.member is None:
        return stay(draft, ask=True)
    invite = orgs.create_invite(
        ctx.session,
        ctx.member.organisation_id,
        draft.role,
        ctx.now,
        valid_for=timedelta(days=ctx.config.invite_valid_days),
        max_uses=1 if value == "1" else None,
        created_by_member_id=ctx.member.id,
    )
    expires = invite.expires_at.astimezone(ZoneInfo(ctx.config.timezone)).strftime("%d/%m/%Y")
    link = invite_link(ctx.config.bot_username, invite.code)
    params = {
        "code": invite.code,
        "role": Text(f"role.{invite.role}"),
        "expires": expires,
        "uses": Text("invite.uses_single" if value == "1" else "invite.uses_group"),
    }
    if link is None:
        return done(Reply("invite.created_no_link", params))
    return done(Reply("invite.created", {**params, "link": link}, qr=link))


INVITE = Flow(
    name="invite",
    draft=InviteDraft,
    start=Go(start, "role"),
    states={
        "role": State(ask_role, {ROLES: Go(choose_role, "uses")}),
        "uses": State(ask_uses, {USES: Go(create, END)}),
    },
)
