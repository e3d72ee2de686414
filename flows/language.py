"""/language: switch the language the bot speaks.

| state  | accepts  | step | goes to |
|--------|----------|------|---------|
| (start)| command  | ask  | choose  |
| choose | callback | set  | ends    |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.engine import (
    Flow,
    Input,
    InputKind,
    Outcome,
    Reply,
    SetCommands,
    State,
    StepContext,
    done,
    goto,
    reply,
)
from flows.onboarding import LANGUAGE_BUTTONS, language_buttons
from storage import organisations as orgs


def ask_language(ctx: StepContext, draft: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Offer the three languages, the current one ticked."""
    current = ctx.member.language if ctx.member else None
    return (Reply("language.choose", buttons=language_buttons(current)),)


def start(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Ask members for a language; strangers are told how to join (nothing is stored)."""
    if ctx.member is None:
        return done(reply("stranger.how_to_join"))
    return goto("choose", {}, *ask_language(ctx, {}))


def set_language(ctx: StepContext, inp: Input, draft: Mapping[str, Any]) -> Outcome:
    """Store the chosen language and refresh the command menu in it."""
    value = inp.callback_data or ""
    language = value.removeprefix("lang:")
    if ctx.member is None or language not in LANGUAGE_BUTTONS:
        return goto("choose", draft, *ask_language(ctx, draft))
    orgs.set_member_language(ctx.session, ctx.member, language)
    return done(reply("language.changed"), SetCommands(ctx.member.role))


LANGUAGE = Flow(
    name="language",
    start=start,
    states={"choose": State({InputKind.CALLBACK: set_language}, ask_language)},
    keeps_draft=False,
)
