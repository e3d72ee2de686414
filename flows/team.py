"""/team (coordinators): who is in the team, how the diaries go, and removing a member.

| state   | accepts                | step          | goes to          |
|---------|------------------------|---------------|------------------|
| (start) | /team                  | show_team     | list             |
| list    | callback rm:ID / done  | choose_remove | confirm, or ends |
| confirm | callback yes:ID / no   | remove        | ends             |

Members appear by pseudonym and role only: Buurtbot keeps no names. Diaries show adherence
(day, last answer, paused), never content.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    reply,
)
from flows.roles import COORDINATOR
from storage import diaries
from storage import organisations as orgs
from storage import privacy as privacy_db
from storage.models import Member
from storage.privacy import pseudonym

MAX_LISTED = 30


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


def overview(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Show the team and the diaries, with a remove button per member."""
    rows = tuple(
        (
            Button(
                "team.button_remove",
                f"rm:{m.id}",
                {"pseudonym": pseudonym(ctx.config.secret_key, m.id)},
            ),
        )
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
            buttons=(*rows, (Button("team.button_done", "done"),)),
        ),
    )


def show_team(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Answer /team."""
    if ctx.member is None or ctx.member.role != COORDINATOR:
        return done(reply("error.not_allowed", command="team"))
    return goto("list", {}, *overview(ctx, {}))


def choose_remove(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Ask to confirm removing one member."""
    value = inp.callback_data or ""
    if value == "done":
        return done(reply("team.closed"))
    target = value.removeprefix("rm:")
    allowed = {str(m.id): m for m in removable(ctx)}
    if not target.isdigit() or target not in allowed:
        return goto("list", draft, *overview(ctx, draft))
    name = pseudonym(ctx.config.secret_key, int(target))
    return goto(
        "confirm",
        {"member_id": int(target), "pseudonym": name},
        *confirm_question(ctx, {"member_id": int(target), "pseudonym": name}),
    )


def confirm_question(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Explain what removing does and ask yes / no."""
    return (
        Reply(
            "team.confirm_remove",
            {"pseudonym": draft["pseudonym"]},
            buttons=(
                (
                    Button("forget.button_yes", f"yes:{draft['member_id']}"),
                    Button("forget.button_no", "no"),
                ),
            ),
        ),
    )


def remove(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Remove the member the same way /forget does; their observations stay, unlinked."""
    if inp.callback_data != f"yes:{draft.get('member_id')}" or ctx.member is None:
        return done(reply("forget.kept"))
    target = orgs.member_by_id(ctx.session, draft["member_id"])
    if target is None or target.organisation_id != ctx.member.organisation_id:
        return done(reply("forget.kept"))
    ctx.reports().delete_media(ctx.config.media_dir, privacy_db.forget_member(ctx.session, target))
    return done(reply("team.removed", pseudonym=draft["pseudonym"]))


TEAM = Flow(
    name="team",
    start=show_team,
    states={
        "list": State({InputKind.CALLBACK: choose_remove}, overview),
        "confirm": State({InputKind.CALLBACK: remove}, confirm_question),
    },
    keeps_draft=False,
)
