"""/language: switch the language the bot speaks.

| state   | accepts             | step         | goes to     |
|---------|---------------------|--------------|-------------|
| (start) | /language           | start        | choose, end |
| choose  | tap lang:nl, fr, en | set_language | end         |
"""

from __future__ import annotations

from typing import Any

from flows.drafts import NoDraft
from flows.engine import (
    END,
    Flow,
    Go,
    Input,
    Outcome,
    Reply,
    SetCommands,
    State,
    StepContext,
    done,
    goto,
    reply,
    stay,
)
from flows.onboarding import LANGUAGES, language_buttons
from storage import organisations as orgs


def ask_language(ctx: StepContext, draft: NoDraft) -> tuple[Reply, ...]:
    """Offer the three languages, the current one ticked."""
    current = ctx.member.language if ctx.member else None
    return (Reply("language.choose", buttons=language_buttons(current)),)


def start(ctx: StepContext, inp: Input, draft: NoDraft) -> Outcome[Any]:
    """Ask members for a language; strangers are told how to join (nothing is stored)."""
    if ctx.member is None:
        return done(reply("stranger.how_to_join"))
    return goto("choose", draft)


def set_language(ctx: StepContext, inp: Input, draft: NoDraft, language: str) -> Outcome[Any]:
    """Store the chosen language and refresh the command menu in it."""
    if ctx.member is None:
        return stay(draft, ask=True)
    orgs.set_member_language(ctx.session, ctx.member, language)
    return done(reply("language.changed"), SetCommands(ctx.member.role))


LANGUAGE = Flow(
    name="language",
    draft=NoDraft,
    start=Go(start, "choose", END),
    states={"choose": State(ask_language, {LANGUAGES: Go(set_language, END)})},
    keeps_draft=False,
)
