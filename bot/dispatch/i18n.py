"""Catalogs in nl, fr and en (gettext .po files read with Babel) and the one translator."""

from __future__ import annotations

import gettext
import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from flows.engine import Text

LANGUAGES = ("nl", "fr", "en")
TAGS = re.compile(r"<[^>]+>")


class MissingMessage(KeyError):
    """A message key is not in a catalog."""


@dataclass(frozen=True)
class Translator:
    """Turns message keys and parameters into Telegram HTML in one language."""

    catalogs: Mapping[str, Mapping[str, str]]
    # Entries with msgid_plural: every form, chosen by the "count" parameter (ngettext).
    plurals: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    def keys(self, language: str) -> set[str]:
        """Return every key a language's catalog holds."""
        return set(self.catalogs[language])

    def raw(self, language: str, key: str) -> str:
        """Return a catalog entry untouched."""
        try:
            message = self.catalogs[language][key]
        except KeyError as error:
            raise MissingMessage(f"{language}:{key}") from error
        if not message:
            raise MissingMessage(f"{language}:{key} is empty")
        return message

    def text(self, language: str, key: str, params: Mapping[str, Any] | None = None) -> str:
        """Translate a key, escaping user-supplied parameters for Telegram HTML."""
        message = self.raw(language, key)
        forms = self.plurals.get(language, {}).get(key)
        if forms and params and isinstance(params.get("count"), int):
            message = forms[min(plural_index(language, params["count"]), len(forms) - 1)]
        if not params:
            return message
        values = {name: self._value(language, value) for name, value in params.items()}
        return message.format(**values)

    def plain(self, language: str, key: str, params: Mapping[str, Any] | None = None) -> str:
        """Translate a key for a place Telegram shows as plain text (buttons, toasts, menus)."""
        return html.unescape(TAGS.sub("", self.text(language, key, params)))

    def _value(self, language: str, value: Any) -> str:
        if isinstance(value, Text):
            return self.text(language, value.key, value.params)
        if isinstance(value, tuple | list):
            return "\n".join(self._value(language, item) for item in value)
        return html.escape(str(value), quote=False)


@cache
def _plural_rule(language: str) -> Callable[[int], int]:
    return gettext.c2py(get_plural(language).plural_expr)


def plural_index(language: str, count: int) -> int:
    """Return which plural form a count takes in a language (CLDR's rule, as gettext has it)."""
    return int(_plural_rule(language)(abs(count)))


def _read_catalog(language: str) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Merge every .po file of a language; one file per area keeps edits apart.

    A plural entry (msgid_plural) is keyed by its msgid; its forms go to the second mapping.
    """
    messages: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    folder = resources.files("bot").joinpath("locale", language)
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".po"):
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in catalog:
            if not message.id:
                continue
            plural = isinstance(message.id, tuple | list)
            key = str(message.id[0]) if plural else str(message.id)
            if key in messages:
                raise ValueError(f"{language}: {key} is defined twice ({path.name})")
            if plural:
                forms = tuple(str(form) for form in message.string)
                messages[key] = forms[0]
                plurals[key] = forms
            else:
                messages[key] = str(message.string)
    return messages, plurals


@cache
def load_translator() -> Translator:
    """Load the packaged catalogs once."""
    read = {language: _read_catalog(language) for language in LANGUAGES}
    return Translator(
        {language: messages for language, (messages, _) in read.items()},
        {language: plurals for language, (_, plurals) in read.items()},
    )
