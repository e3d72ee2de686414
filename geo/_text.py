"""Text normalisation shared by name search and place matching."""

from __future__ import annotations

import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_PART_SPLIT = re.compile(r"\s+-\s*|\s*-\s+|\s*/\s*")


def normalize(text: str) -> str:
    """Return text folded for matching: no accents, lower case, punctuation as single spaces."""
    folded = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    stripped = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", stripped.casefold()).strip()


def tokens(text: str) -> list[str]:
    """Split text into normalised tokens."""
    return normalize(text).split()


def name_parts(name: str) -> list[str]:
    """Split a compound name such as "Flagey - Malibran" into its parts."""
    return [part.strip() for part in _PART_SPLIT.split(name) if part.strip()]
