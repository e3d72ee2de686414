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


def help_reply(role: str) -> Reply:
    """Return the help message for a role: an introduction and its commands."""
    lines = tuple(
        Text(
            "help.command_line", {"command": command.name, "description": Text(command.description)}
        )
        for command in commands_for(role)
    )
    return Reply("help.text", {"intro": Text(f"help.intro.{role}"), "commands": lines})


def show_help(ctx: StepContext, inp: Input, draft: NoDraft) -> Outcome[Any]:
    """Answer /help."""
    return done(help_reply(role_of(ctx)))


HELP = Flow(name="help", draft=NoDraft, start=Go(show_help, END), keeps_draft=False)
