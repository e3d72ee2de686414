"""Commands in every language: the registry's words, and every word routes like the command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.dispatch.i18n import load_translator
from bot.dispatch.render import Renderer
from bot.intake.updates import parse_update
from bot.reporting import ReportFiles
from flows.commands import (
    ALIAS_LANGUAGES,
    COMMAND_NAME,
    COMMANDS,
    PLANNED_ALIASES,
    Command,
    command_named,
)
from flows.consent import consent_for
from flows.engine import FlowConfig, Reply, SetCommands, StepContext
from flows.roles import COORDINATORS, MEMBER_ROLES, STRANGER
from flows.router import Position, route
from sandbox.spec import SpecError, load_spec
from storage import organisations as orgs

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CONFIG = FlowConfig(secret_key="k", reports=ReportFiles(load_translator().raw))


def command_update(text: str, chat_id: int = 5) -> dict:
    """Return the update Telegram sends for a typed command."""
    word = text.split()[0]
    return {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "A"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(word)}],
        },
    }


def every_word() -> list[str]:
    return [word for command in COMMANDS for word in command.words()]


def test_every_command_has_a_dutch_and_a_french_word() -> None:
    for command in COMMANDS:
        for language in ALIAS_LANGUAGES:
            assert command.aliases.get(language), (command.name, language)


def test_every_word_is_a_valid_telegram_command_and_names_one_command_only() -> None:
    words = every_word()
    for word in words:
        assert COMMAND_NAME.fullmatch(word), word
    assert len(words) == len(set(words)), sorted(w for w in words if words.count(w) > 1)


def test_the_words_planned_for_commands_still_to_come_are_valid_and_unique() -> None:
    # Branches adding /name, /linkteam, /survey ... get these words unless they bring their own.
    known = set(every_word())
    planned = [word for words in PLANNED_ALIASES.values() for w in words.values() for word in w]
    for name, words in PLANNED_ALIASES.items():
        assert COMMAND_NAME.fullmatch(name) and set(words) == set(ALIAS_LANGUAGES), name
    assert len(planned) == len(set(planned))
    existing = {command.name for command in COMMANDS}
    clashes = {w for w in planned if w in known} - {
        w for c in COMMANDS if c.name in PLANNED_ALIASES for w in c.words()
    }
    assert not clashes and not (set(PLANNED_ALIASES) - existing) & known


def test_a_command_declared_without_words_takes_the_planned_ones() -> None:
    survey = Command("survey", COORDINATORS, "survey", "command.survey")
    assert survey.word("nl") == "bevraging" and survey.word("fr") == "enquete"
    assert survey.word("en") == "survey"
    own = Command("survey", COORDINATORS, "survey", "command.survey", {"nl": ("peiling",)})
    assert own.word("nl") == "peiling"


def test_every_word_reads_as_its_command_in_a_telegram_update() -> None:
    for command in COMMANDS:
        for word in command.words():
            inp = parse_update(command_update(f"/{word} abc"))
            assert (inp.command, inp.args) == (command.name, "abc"), word
    assert command_named("wandeling") == "walk" and command_named("nope") == "nope"


def outcome(transition) -> tuple:
    """What a step did, without ids that differ between two runs (walk ids, codes)."""
    said = tuple(
        (type(e).__name__, e.key if isinstance(e, Reply) else getattr(e, "role", None))
        for e in transition.effects
        if isinstance(e, Reply | SetCommands)
    )
    return transition.flow, transition.state, said


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_every_word_of_a_command_routes_like_the_command_in_every_language(
    session_factory, command: Command, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # /mydata and /export write their files under media/
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "A", NOW)
        invite = orgs.create_invite(session, org.id, "coordinator", NOW, timedelta(days=1))
        member = orgs.join_with_invite(
            session, invite, 77, "nl", consent_for("coordinator").version, NOW
        )
        for language in ("nl", "fr", "en"):
            member.language = language
            ctx = StepContext(session=session, now=NOW, config=CONFIG, member=member)
            results = {}
            for word in command.words():
                with session.begin_nested() as savepoint:
                    inp = parse_update(command_update(f"/{word}", 77))
                    results[word] = outcome(route(ctx, inp, Position()))
                    savepoint.rollback()
            english = results[command.name]
            assert all(result == english for result in results.values()), (language, results)
            assert "error.unknown_command" not in str(english)


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_every_role_s_menu_in_every_language_passes_the_bot_api_spec(language: str) -> None:
    renderer = Renderer(load_translator())
    spec = load_spec()
    for role in (*MEMBER_ROLES, STRANGER):
        commands = renderer.command_list(role, language)
        for scope in ({"type": "default"}, {"type": "chat", "chat_id": 5}):
            spec.validate(
                "setMyCommands", {"commands": commands, "scope": scope, "language_code": language}
            )
    # The same check refuses what Telegram refuses: accents, capitals, dashes, regional codes.
    for word in ("éxporter", "Balade", "fin-balade", "a" * 33):
        with pytest.raises(SpecError):
            spec.validate("setMyCommands", {"commands": [{"command": word, "description": "x"}]})
    with pytest.raises(SpecError):
        spec.validate(
            "setMyCommands",
            {"commands": [{"command": "balade", "description": "x"}], "language_code": "fr-BE"},
        )
