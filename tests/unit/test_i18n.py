"""Every message exists in nl, fr and en, with the same placeholders, and nothing is hard-coded."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from bot.dispatch.i18n import LANGUAGES, MissingMessage, Translator, load_translator
from flows.commands import COMMANDS
from flows.engine import Text
from flows.roles import MEMBER_ROLES, STRANGER
from storage.organisations import InviteProblem

ROOT = Path(__file__).resolve().parents[2]
KEY_CALLS = {"Reply", "reply", "Text", "Button", "CallbackAnswer", "text"}


def placeholders(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def test_all_languages_have_the_same_non_empty_keys() -> None:
    translator = load_translator()
    reference = translator.keys("en")
    assert len(reference) > 30
    for language in LANGUAGES:
        assert translator.keys(language) == reference, language
        for key in reference:
            assert translator.raw(language, key).strip(), f"{language}:{key} is empty"


def test_placeholders_match_across_languages() -> None:
    translator = load_translator()
    for key in translator.keys("en"):
        expected = placeholders(translator.raw("en", key))
        for language in LANGUAGES:
            assert placeholders(translator.raw(language, key)) == expected, f"{language}:{key}"


def _key_patterns() -> list[tuple[str, str]]:
    """Return (file, pattern) for every message key literal passed to a reply constructor."""
    found: list[tuple[str, str]] = []
    files = [*ROOT.joinpath("flows").glob("*.py"), *ROOT.joinpath("bot").glob("*.py")]
    for path in files:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = (
                node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            )
            if name not in KEY_CALLS:
                continue
            index = 1 if name == "text" and isinstance(node.func, ast.Attribute) else 0
            if len(node.args) <= index:
                continue
            arg = node.args[index]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append((path.name, re.escape(arg.value)))
            elif isinstance(arg, ast.JoinedStr):
                parts = [
                    re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z0-9_]+"
                    for v in arg.values
                ]
                found.append((path.name, "".join(parts)))
    return found


def test_every_key_used_in_code_exists_in_the_catalogs() -> None:
    keys = load_translator().keys("en")
    patterns = _key_patterns()
    assert len(patterns) > 40
    for filename, pattern in patterns:
        assert any(re.fullmatch(pattern, key) for key in keys), f"{filename}: {pattern}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_computed_keys_exist_for_every_role_problem_and_command(language: str) -> None:
    translator = load_translator()
    for role in (*MEMBER_ROLES, STRANGER):
        translator.raw(language, f"help.intro.{role}")
    for role in MEMBER_ROLES:
        translator.raw(language, f"role.{role}")
    for problem in InviteProblem:
        translator.raw(language, f"start.code_{problem.value}")
    for command in COMMANDS:
        description = translator.raw(language, command.description)
        assert 3 <= len(description) <= 256  # Telegram's BotCommand description limits


def _for_developers(tree: ast.AST) -> set[int]:
    """Return the ids of string constants only developers read: docstrings, errors, logs."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            found.add(id(node.value))  # a docstring (of a module, class, function or name)
        elif isinstance(node, ast.Raise | ast.Assert) or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "log"
        ):
            parts = [node.exc] if isinstance(node, ast.Raise) else []
            parts += [node.msg] if isinstance(node, ast.Assert) else []
            parts += node.args if isinstance(node, ast.Call) else []
            found.update(id(part) for item in parts if item for part in ast.walk(item))
    return found


def test_flows_hold_no_user_facing_sentences() -> None:
    for path in ROOT.joinpath("flows").glob("*.py"):
        if path.name == "tables.py":
            continue  # renders the flows' tables for developers, not for members
        tree = ast.parse(path.read_text())
        docstrings = _for_developers(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in docstrings:
                    continue
                assert not re.search(r"[A-Za-z]+ [A-Za-z]+", node.value), (
                    f"{path.name}: hard-coded text {node.value!r}; use a catalog key"
                )


def test_bot_never_sends_literal_text() -> None:
    for path in ROOT.joinpath("bot").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value in ("text", "caption", "description")
                        and isinstance(value, ast.Constant)
                    ):
                        pytest.fail(f"{path.name}: literal {key.value} {value.value!r}")


def test_parameters_are_escaped_but_nested_texts_are_not() -> None:
    translator = Translator({"en": {"a": "<b>{x}</b> {y}", "b": "<i>{z}</i>"}})
    result = translator.text("en", "a", {"x": "<script>&", "y": Text("b", {"z": "1<2"})})
    assert result == "<b>&lt;script&gt;&amp;</b> <i>1&lt;2</i>"


def test_a_missing_key_is_an_error_not_a_silent_fallback() -> None:
    with pytest.raises(MissingMessage):
        load_translator().text("fr", "no.such.key")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_valid_telegram_html(language: str) -> None:
    from sandbox.spec import parse_html

    translator = load_translator()
    for key in translator.keys(language):
        message = translator.raw(language, key)
        filled = message.format(**{name: "x" for name in placeholders(message)})
        try:
            parse_html(filled)
        except Exception as error:  # noqa: BLE001 - report which message is broken
            pytest.fail(f"{language}:{key} is not valid Telegram HTML: {error}")
