"""/invite (coordinators): make an invite code and link for a role.

| state | accepts  | step        | goes to |
|-------|----------|-------------|---------|
|(start)| command  | start       | role    |
| role  | callback | choose_role | uses    |
| uses  | callback | create      | ends    |
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flows.engine import (
    Button,
    Flow,
    Input,
    InputKind,
    Outcome,
    Reply,
    State,
    StepContext,
    Text,
    done,
    goto,
)
from flows.roles import MEMBER_ROLES
from storage import organisations as orgs


def invite_link(bot_username: str | None, code: str) -> str | None:
    """Return the t.me deep link that starts the bot with this code."""
    return f"https://t.me/{bot_username}?start={code}" if bot_username else None


def ask_role(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask which role the invited people get."""
    rows = tuple((Button(f"role.{role}", f"role:{role}"),) for role in MEMBER_ROLES)
    return (Reply("invite.choose_role", buttons=rows),)


def ask_uses(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Ask whether the code is for one person or for a group."""
    return (
        Reply(
            "invite.choose_uses",
            {"days": ctx.config.invite_valid_days},
            buttons=(
                (Button("invite.button_single", "uses:1"),),
                (Button("invite.button_group", "uses:group"),),
            ),
        ),
    )


def start(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Begin making an invite."""
    return goto("role", {}, *ask_role(ctx, {}))


def choose_role(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Take the role and ask about the number of uses."""
    role = (inp.callback_data or "").removeprefix("role:")
    if role not in MEMBER_ROLES:
        return goto("role", draft, *ask_role(ctx, draft))
    new_draft = {"role": role}
    return goto("uses", new_draft, *ask_uses(ctx, new_draft))


def create(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Create the invite and hand over code, link and QR code."""
    value = (inp.callback_data or "").removeprefix("uses:")
    if value not in ("1", "group") or ctx.member is None:
        return goto("uses", draft, *ask_uses(ctx, draft))
    invite = orgs.create_invite(
        ctx.session,
        ctx.member.organisation_id,
        draft["role"],
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
    start=start,
    states={
        "role": State({InputKind.CALLBACK: choose_role}, ask_role),
        "uses": State({InputKind.CALLBACK: create}, ask_uses),
    },
)
