"""Verdict words: a reply's whole text marks evidence in any language; signs stay distinct."""

from __future__ import annotations

import pytest

from bot.dispatch.i18n import load_translator
from bot.dispatch.typed import typed_verdict

TRANSLATOR = load_translator()


@pytest.mark.parametrize(
    ("typed", "verdict"),
    [
        ("+1", "supports"),
        (" + 1 ", "supports"),
        ("👍", "supports"),
        ("-1", "contradicts"),
        ("👎", "contradicts"),
        ("Ondersteunt", "supports"),
        ("klopt", "supports"),
        ("Klopt niet!", "contradicts"),
        ("spreekt tegen", "contradicts"),
        ("confirmé", "supports"),
        ("CONFIRME", "supports"),
        ("contredit", "contradicts"),
        ("Pas d'accord", "contradicts"),
        ("supports", "supports"),
        ("contradicts", "contradicts"),
    ],
)
def test_verdict_words_in_every_language(typed: str, verdict: str) -> None:
    assert typed_verdict(TRANSLATOR, typed) == verdict


@pytest.mark.parametrize("typed", ["1", "", "   ", "hello", "+1 en ook de bank", "+-1", "x" * 200])
def test_other_texts_are_no_verdict(typed: str) -> None:
    assert typed_verdict(TRANSLATOR, typed) is None
