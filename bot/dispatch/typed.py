"""Typed answers: at a button step, typing a button's label counts as tapping it.

A label matches in any of the three languages, ignoring case, accents, punctuation, spaces and
emoji; so do the short words a catalog lists for a button under `<key>.aliases` ("ja|ok").
Only the whole text counts: "nee" is the decline button, "nee, want ..." is a sentence. A number
counts only as itself: "-3" or "2,5" names no button.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from bot.dispatch.i18n import LANGUAGES, Translator
from flows.engine import Button, MenuKey

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
    buttons = tuple(buttons)
    if not buttons or len(text) > MAX_TYPED:
        return None
    typed = normalise(text)
    if not typed:
        return None
    if typed.isdigit() and text.strip() != typed:
        # "-3" or "2,5" is not the button "3" or "25": signs and commas change a number.
        return None
    values = {button.value for button in buttons if typed in label_words(translator, button)}
    return values.pop() if len(values) == 1 else None


def typed_button(translator: Translator, text: str, buttons: Iterable[Button]) -> str | None:
    """Return the value of the inline button a typed text names, if exactly one."""
    return _match(translator, text, buttons)


# The reply-keyboard keys' words, worked out once per translator: every text a member types
# outside a button step is checked against them.
_KEY_WORDS: dict[int, tuple[Translator, dict[str, set[str]]]] = {}


def _keyboard_words(translator: Translator) -> dict[str, set[str]]:
    cached = _KEY_WORDS.get(id(translator))
    if cached is None or cached[0] is not translator:
        words = {key: label_words(translator, Button(key, key)) for key in KEYBOARD_KEYS}
        cached = _KEY_WORDS[id(translator)] = (translator, words)
    return cached[1]


def typed_key(translator: Translator, text: str) -> str | None:
    """Return the reply-keyboard key (e.g. button.skip) a typed text names, if any."""
    if len(text) > MAX_TYPED:
        return None
    typed = normalise(text)
    if not typed:
        return None
    keys = {key for key, words in _keyboard_words(translator).items() if typed in words}
    return keys.pop() if len(keys) == 1 else None


# The main-menu labels' words, worked out once per translator and label: every text a member
# sends is checked against their menus.
_MENU_WORDS: dict[tuple[int, str], tuple[Translator, set[str]]] = {}


def _menu_words(translator: Translator, label: str) -> set[str]:
    cached = _MENU_WORDS.get((id(translator), label))
    if cached is None or cached[0] is not translator:
        words = label_words(translator, Button(label, label))
        cached = _MENU_WORDS[(id(translator), label)] = (translator, words)
    return cached[1]


def typed_menu(translator: Translator, text: str, keys: Iterable[MenuKey]) -> str | None:
    """Return the command of the main-menu button a text names (tapped or typed), if one."""
    if len(text) > MAX_TYPED:
        return None
    typed = normalise(text)
    if not typed:
        return None
    commands = {key.command for key in keys if typed in _menu_words(translator, key.label)}
    return commands.pop() if len(commands) == 1 else None


# The words that, sent as a reply to a saved line, mark it as evidence: a catalog entry per
# verdict, "|"-separated, read in every language.
VERDICT_WORDS = {
    "supports": "hypothesis.reply_words.supports",
    "contradicts": "hypothesis.reply_words.contradicts",
}
_VERDICT_WORDS: dict[int, tuple[Translator, dict[str, tuple[set[str], set[str]]]]] = {}


def _compact(text: str) -> str:
    """Return a text lower case without spaces: how signs such as "+1" or "👍" are compared."""
    return "".join(text.casefold().split())


def _has_letters(text: str) -> bool:
    """Say whether a text holds a letter: words compare normalised, signs ("+1") as typed."""
    return any(unicodedata.category(char).startswith("L") for char in text)


def _verdict_words(translator: Translator) -> dict[str, tuple[set[str], set[str]]]:
    """Return per verdict its words (normalised) and its signs (compared as typed)."""
    cached = _VERDICT_WORDS.get(id(translator))
    if cached is None or cached[0] is not translator:
        found: dict[str, tuple[set[str], set[str]]] = {}
        for verdict, key in VERDICT_WORDS.items():
            words: set[str] = set()
            signs: set[str] = set()
            for language in LANGUAGES:
                for word in translator.catalogs[language].get(key, "").split("|"):
                    # "+1" and "-1" differ only in signs, which normalise() drops.
                    if _has_letters(word):
                        words.add(normalise(word))
                    elif _compact(word):
                        signs.add(_compact(word))
            found[verdict] = (words, signs)
        cached = _VERDICT_WORDS[id(translator)] = (translator, found)
    return cached[1]


def typed_verdict(translator: Translator, text: str) -> str | None:
    """Return the verdict (supports, contradicts) a reply's whole text names, if exactly one."""
    if len(text) > MAX_TYPED:
        return None
    letters = _has_letters(text)
    typed = normalise(text) if letters else _compact(text)
    verdicts = {
        verdict
        for verdict, (words, signs) in _verdict_words(translator).items()
        if typed and typed in (words if letters else signs)
    }
    return verdicts.pop() if len(verdicts) == 1 else None
