"""/name: the name a member's team sees instead of their code (also asked when joining).

| state   | accepts              | step   | goes to |
|---------|----------------------|--------|---------|
| (start) | /name                | start  | name    |
| name    | tap name:first, none | tapped | end     |
| name    | text                 | typed  | end     |

Staff and volunteers are asked at onboarding (flows/onboarding.py uses the question and the
answer here); residents keep their code unless they choose a name themselves with /name.
The Telegram first name is offered as a one-tap button and kept only if tapped.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from flows.engine import (
    END,
    TEXT,
    CallbackAnswer,
    Choice,
    Effect,
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
    reply,
    stay,
)
from flows.roles import RESIDENT
from storage import organisations as orgs
from storage.privacy import pseudonym


@dataclass(frozen=True)
class NameDraft:
    """The Telegram first name to offer as a button (empty when Telegram gave none)."""

    first_name: str = ""


def offered_names(ctx: StepContext, draft: Any) -> Collection[str]:
    """Return the name buttons on offer: the first name when known, and 'no name'."""
    return ("first", "none") if getattr(draft, "first_name", "") else ("none",)


NAMES = Choice(
    "name",
    offered_names,
    label={"first": "name.button_first", "none": "name.button_none"},
    shown="first, none",
)


def name_question(ctx: StepContext, first_name: str, role: str) -> Reply:
    """Ask which name the team sees: the first name as one tap, or typed, or none."""
    buttons = []
    if first_name:
        buttons.append((NAMES.button("first", name=first_name),))
    buttons.append((NAMES.button("none"),))
    code = pseudonym(ctx.config.secret_key, ctx.member.id) if ctx.member else ""
    key = "name.ask_resident" if role == RESIDENT else "name.ask"
    return Reply(key, {"code": code}, buttons=tuple(buttons))


def chosen_name(inp: Input, value: str | None, first_name: str) -> str | None:
    """Return the name an answer chose: the tapped first name, a typed one, or None."""
    if value == "first":
        return orgs.clean_display_name(first_name)
    if value == "none":
        return None
    return orgs.clean_display_name(inp.text)


def name_saved(ctx: StepContext, name: str | None) -> Reply:
    """Store the chosen name (or none) and say what the team will see."""
    assert ctx.member is not None
    orgs.set_display_name(ctx.session, ctx.member, name)
    if name is None:
        code = pseudonym(ctx.config.secret_key, ctx.member.id)
        return reply("name.removed", code=code)
    return reply("name.saved", name=name)


def ask_name(ctx: StepContext, draft: NameDraft) -> tuple[Effect, ...]:
    """Show the current name and ask for the new one."""
    assert ctx.member is not None
    current = ctx.member.display_name
    shown: Any = current if current else Text("name.current_none")
    return (
        reply("name.current", name=shown),
        name_question(ctx, draft.first_name, ctx.member.role),
    )


def start(ctx: StepContext, inp: Input, draft: NameDraft) -> Outcome[NameDraft]:
    """Begin /name."""
    return goto("name", NameDraft(first_name=(inp.first_name or "")[:64]))


def tapped(ctx: StepContext, inp: Input, draft: NameDraft, value: str) -> Outcome[Any]:
    """Keep the tapped choice."""
    return done(CallbackAnswer(), name_saved(ctx, chosen_name(inp, value, draft.first_name)))


def typed(ctx: StepContext, inp: Input, draft: NameDraft) -> Outcome[Any]:
    """Keep a typed name; an empty one asks again."""
    name = chosen_name(inp, None, draft.first_name)
    if name is None:
        return stay(draft, reply("name.empty"), ask=True)
    return done(name_saved(ctx, name))


NAME = Flow(
    name="name",
    draft=NameDraft,
    start=Go(start, "name"),
    states={"name": State(ask_name, {NAMES: Go(tapped, END), TEXT: Go(typed, END)})},
    keeps_draft=False,
)
