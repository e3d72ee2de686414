"""The Telegram commands as data: who may use each, and which flow it starts."""

from __future__ import annotations

from dataclasses import dataclass

from flows.roles import COORDINATORS, EVERYONE, FIELDWORKERS, MEMBERS


@dataclass(frozen=True)
class Command:
    """A command: its fixed English name, who may use it, its flow, its menu description."""

    name: str
    roles: frozenset[str]
    flow: str | None
    description: str

    def allowed(self, role: str) -> bool:
        """Say whether a role may use this command."""
        return role in self.roles


COMMANDS: tuple[Command, ...] = (
    Command("start", EVERYONE, "onboarding", "command.start"),
    Command("help", EVERYONE, "help", "command.help"),
    Command("language", EVERYONE, "language", "command.language"),
    Command("cancel", EVERYONE, None, "command.cancel"),
    Command("walk", FIELDWORKERS, "walk", "command.walk"),
    Command("endwalk", FIELDWORKERS, "endwalk", "command.endwalk"),
    Command("encounter", FIELDWORKERS, "encounter", "command.encounter"),
    Command("keyperson", FIELDWORKERS, "keyperson", "command.keyperson"),
    Command("missing", MEMBERS, "missing", "command.missing"),
    Command("diary", MEMBERS, "diary", "command.diary"),
    Command("undo", MEMBERS, "undo", "command.undo"),
    Command("mydata", MEMBERS, "mydata", "command.mydata"),
    # Everyone: someone who answered a survey through its link is no member, yet may erase it.
    Command("forget", EVERYONE, "forget", "command.forget"),
    Command("survey", FIELDWORKERS, "survey", "command.survey"),
    Command("invite", COORDINATORS, "invite", "command.invite"),
    Command("area", COORDINATORS, "area", "command.area"),
    Command("team", COORDINATORS, "team", "command.team"),
    Command("export", COORDINATORS, "export", "command.export"),
    Command("digest", COORDINATORS, "digest", "command.digest"),
)

COMMANDS_BY_NAME = {command.name: command for command in COMMANDS}


def commands_for(role: str) -> tuple[Command, ...]:
    """Return the commands a role may use, in menu order."""
    return tuple(command for command in COMMANDS if command.allowed(role))
