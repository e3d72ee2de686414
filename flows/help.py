"""/help: what this member can do, in a few lines fitted to their role.

| state   | accepts | step      | goes to |
|---------|---------|-----------|---------|
| (start) | /help   | show_help | end     |
"""

from __future__ import annotations

from typing import Any

from flows.commands import commands_for
from flows.drafts import NoDraft
from flows.engine import END, Flow, Go, Input, Outcome, Reply, StepContext, Text, done
from flows.roles import STRANGER


def role_of(ctx: StepContext) -> str:
    """Return the role of the person writing, or 'stranger'."""
    return ctx.member.role if ctx.member else STRANGER


def help_reply(role: str, language: str) -> Reply:
    """Return the help message for a role: an introduction and its commands in its words."""
    lines = tuple(
        Text(
            "help.command_line",
            {"command": command.word(language), "description": Text(command.description)},
        )
        for command in commands_for(role)
    )
    return Reply("help.text", {"intro": Text(f"help.intro.{role}"), "commands": lines})


def speaks(ctx: StepContext, inp: Input) -> str:
    """Return the language the bot answers this person in: the member's, else Telegram's."""
    if ctx.member is not None:
        return ctx.member.language
    code = (inp.language_code or "").split("-")[0].lower()
    return code if code in ("nl", "fr", "en") else ctx.config.default_language


def show_help(ctx: StepContext, inp: Input, draft: NoDraft) -> Outcome[Any]:
    """Answer /help."""
    return done(help_reply(role_of(ctx), speaks(ctx, inp)))


HELP = Flow(name="help", draft=NoDraft, start=Go(show_help, END), keeps_draft=False)
