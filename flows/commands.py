"""The Telegram commands as data: who may use each, which flow it starts, its words per language.

Every command keeps its fixed English name (DESIGN.md: those always work) and has words in
Dutch and French (`/wandeling`, `/balade`). Any member may type any of them; the command menu
and /help show the member's own words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flows.roles import COORDINATORS, EVERYONE, FIELDWORKERS, MEMBERS, STAFF_ROLES

# What Telegram accepts as a command name (BotCommand.command): 1-32 of a-z, 0-9 and _.
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
# The languages that have their own command words; English uses the command's name.
ALIAS_LANGUAGES = ("nl", "fr")

# Words for commands other branches of the work add (DESIGN.md's contract): a command declared
# without aliases takes its words from here, so the menus stay in the member's language.
PLANNED_ALIASES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "hypothesis": {"nl": ("vermoeden",), "fr": ("hypothese",)},
    "report": {"nl": ("verslag",), "fr": ("rapport",)},
    "round": {"nl": ("ronde",), "fr": ("etape",)},
    "survey": {"nl": ("bevraging",), "fr": ("enquete",)},
}


@dataclass(frozen=True)
class Command:
    """A command: its English name, who may use it, its flow, its menu text and its words.

    `aliases` maps a language to the command's words in it, the first being the one its
    menu shows (e.g. {"nl": ("wandeling",), "fr": ("balade",)}).
    """

    name: str
    roles: frozenset[str]
    flow: str | None
    description: str
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not self.aliases and self.name in PLANNED_ALIASES:
            object.__setattr__(self, "aliases", PLANNED_ALIASES[self.name])

    def allowed(self, role: str) -> bool:
        """Say whether a role may use this command."""
        return role in self.roles

    def word(self, language: str) -> str:
        """Return the command as a member speaking this language types it (without the /)."""
        words = self.aliases.get(language)
        return words[0] if words else self.name

    def words(self) -> tuple[str, ...]:
        """Return every name the command answers to: the English one, then each alias."""
        return (self.name, *(word for words in self.aliases.values() for word in words))


COMMANDS: tuple[Command, ...] = (
    Command(
        "start",
        EVERYONE,
        "onboarding",
        "command.start",
        {"nl": ("beginnen",), "fr": ("commencer",)},
    ),
    Command("help", EVERYONE, "help", "command.help", {"nl": ("hulp",), "fr": ("aide",)}),
    Command(
        "language", EVERYONE, "language", "command.language", {"nl": ("taal",), "fr": ("langue",)}
    ),
    Command("cancel", EVERYONE, None, "command.cancel", {"nl": ("stoppen",), "fr": ("annuler",)}),
    Command(
        "walk", FIELDWORKERS, "walk", "command.walk", {"nl": ("wandeling",), "fr": ("balade",)}
    ),
    Command(
        "endwalk",
        FIELDWORKERS,
        "endwalk",
        "command.endwalk",
        {"nl": ("eindewandeling",), "fr": ("finbalade",)},
    ),
    Command(
        "encounter",
        FIELDWORKERS,
        "encounter",
        "command.encounter",
        {"nl": ("gesprek",), "fr": ("rencontre",)},
    ),
    Command(
        "keyperson",
        FIELDWORKERS,
        "keyperson",
        "command.keyperson",
        {"nl": ("sleutelfiguur",), "fr": ("personnerelais",)},
    ),
    Command(
        "missing", MEMBERS, "missing", "command.missing", {"nl": ("ontbreekt",), "fr": ("manque",)}
    ),
    Command(
        "focusgroup",
        STAFF_ROLES,
        "focusgroup",
        "command.focusgroup",
        {"nl": ("focusgroep",), "fr": ("groupediscussion", "groupefocus")},
    ),
    Command("diary", MEMBERS, "diary", "command.diary", {"nl": ("dagboek",), "fr": ("carnet",)}),
    Command("undo", MEMBERS, "undo", "command.undo", {"nl": ("ongedaan",), "fr": ("retirer",)}),
    Command(
        "mydata",
        MEMBERS,
        "mydata",
        "command.mydata",
        {"nl": ("mijngegevens",), "fr": ("mesdonnees",)},
    ),
    Command("name", MEMBERS, "name", "command.name", {"nl": ("naam",), "fr": ("nom",)}),
    # Everyone: someone who answered a survey through its link is no member, yet may erase it.
    Command(
        "forget", EVERYONE, "forget", "command.forget", {"nl": ("vergeten",), "fr": ("oublier",)}
    ),
    # Coordinators design surveys; staff and volunteers ask people on their doorstep.
    Command(
        "survey",
        FIELDWORKERS,
        "survey",
        "command.survey",
        {"nl": ("bevraging",), "fr": ("enquete",)},
    ),
    Command(
        "invite",
        COORDINATORS,
        "invite",
        "command.invite",
        {"nl": ("uitnodigen",), "fr": ("inviter",)},
    ),
    Command("area", COORDINATORS, "area", "command.area", {"nl": ("buurt",), "fr": ("quartier",)}),
    Command("team", COORDINATORS, "team", "command.team", {"nl": ("ploeg",), "fr": ("equipe",)}),
    Command(
        "export",
        COORDINATORS,
        "export",
        "command.export",
        {"nl": ("exporteren",), "fr": ("exporter",)},
    ),
    Command(
        "digest",
        COORDINATORS,
        "digest",
        "command.digest",
        {"nl": ("buurtbeeld",), "fr": ("portrait",)},
    ),
    Command("report", COORDINATORS, "report", "command.report"),
    Command("round", COORDINATORS, "round", "command.round"),
    # Staff too, when a coordinator allowed it: flows/hypothesis.py checks the setting.
    Command(
        "hypothesis",
        STAFF_ROLES,
        "hypothesis",
        "command.hypothesis",
        {"nl": ("hypotheses",), "fr": ("hypothese",)},
    ),
    Command(
        "linkteam",
        COORDINATORS,
        "linkteam",
        "command.linkteam",
        {"nl": ("teamkoppelen",), "fr": ("relierequipe",)},
    ),
    Command(
        "unlinkteam",
        COORDINATORS,
        "unlinkteam",
        "command.unlinkteam",
        {"nl": ("teamloskoppelen",), "fr": ("detacherequipe",)},
    ),
)

COMMANDS_BY_NAME = {command.name: command for command in COMMANDS}
# Every word a command answers to, in any language, to the command's English name.
COMMAND_WORDS = {word: command.name for command in COMMANDS for word in command.words()}


def command_named(word: str) -> str:
    """Return the English name of the command a typed word means; unknown words come back."""
    return COMMAND_WORDS.get(word, word)


def commands_for(role: str) -> tuple[Command, ...]:
    """Return the commands a role may use, in menu order."""
    return tuple(command for command in COMMANDS if command.allowed(role))
