"""Typed answers: at a button step, typing a button's label counts as tapping it.

A label matches in any of the three languages, ignoring case, accents, punctuation, spaces and
emoji; so do the short words a catalog lists for a button under `<key>.aliases` ("ja|ok").
Only the whole text counts: "nee" is the decline button, "nee, want ..." is a sentence.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from bot.i18n import LANGUAGES, Translator
from flows.engine import Button

# Reply-keyboard buttons whose label, typed back, means the button rather than words or a note.
KEYBOARD_KEYS = ("button.skip", "button.here", "button.nowhere", "button.did_without")
# A button's catalog key plus this names the words that also mean it, separated by "|".
ALIASES = ".aliases"
# No label is longer than this: longer texts are never compared.
MAX_TYPED = 100


def normalise(text: str) -> str:
    """Return only the letters and digits of a text, lower case and without accents."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if unicodedata.category(char)[0] in "LN")


def label_words(translator: Translator, button: Button) -> set[str]:
    """Return a button's label in every language and its aliases, normalised."""
    words: set[str] = set()
    for language in LANGUAGES:
        words.add(normalise(translator.plain(language, button.label, button.params)))
        aliases = translator.catalogs[language].get(f"{button.label}{ALIASES}", "")
        words.update(normalise(word) for word in aliases.split("|"))
    words.discard("")
    return words


def _match(translator: Translator, text: str, buttons: Iterable[Button]) -> str | None:
    """Return the value of the one button the text names, else None (also when two fit)."""
    if len(text) > MAX_TYPED:
        return None
    typed = normalise(text)
    if not typed:
        return None
    values = {button.value for button in buttons if typed in label_words(translator, button)}
    return values.pop() if len(values) == 1 else None


def typed_button(translator: Translator, text: str, buttons: Iterable[Button]) -> str | None:
    """Return the value of the inline button a typed text names, if exactly one."""
    return _match(translator, text, buttons)


def typed_key(translator: Translator, text: str) -> str | None:
    """Return the reply-keyboard key (e.g. button.skip) a typed text names, if any."""
    return _match(translator, text, (Button(key, key) for key in KEYBOARD_KEYS))
