"""What every section builder shares: the week's rows and small helpers for user text."""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import geo
from reports.model import Tally
from storage.feed import CommentRow
from storage.kinds import DIARY_ENTRY
from storage.weekly import DiaristRow, ObservationRow, WalkRow

MAX_TALLY = 5
MAX_USER_TEXT = 400
LEADING_WORDS = frozenset(
    {"a", "an", "the", "de", "het", "een", "le", "la", "les", "l", "un", "une", "des", "du"}
)


@dataclass(frozen=True)
class Week:
    """One pictured week and the week before it, as the section builders read them.

    `current`/`previous` are the observations of each week (oldest first), `walks` and
    `previous_walks` the walks started in them, `tracks` the (lat, lon) points per walk id.
    `end` is the end of what is pictured (the week's end, or `as_of`), `previous_end` the same
    moment a week earlier.
    """

    language: str
    tz: ZoneInfo
    buurt: tuple[int, ...]
    first_day: date
    last_day: date
    start: datetime
    end: datetime
    previous_end: datetime
    as_of: datetime | None
    current: tuple[ObservationRow, ...]
    previous: tuple[ObservationRow, ...]
    walks: tuple[WalkRow, ...]
    previous_walks: tuple[WalkRow, ...]
    tracks: Mapping[int, list[tuple[float, float]]]
    diarists: tuple[DiaristRow, ...] = ()
    coverage: Mapping[int, int] = field(default_factory=dict)
    roles: Mapping[int, str] = field(default_factory=dict)
    organisation_start: date | None = None
    # Names members chose for their team (member id -> name) and comments by observation id.
    names: Mapping[int, str] = field(default_factory=dict)
    comments: Mapping[int, Sequence[CommentRow]] = field(default_factory=dict)

    def day(self, moment: datetime) -> date:
        """Return the local day of a moment."""
        return moment.astimezone(self.tz).date()

    def wijk(self, code: int | None) -> str | None:
        """Return a wijk's name in the picture's language."""
        return wijk_name(code, self.language)


def wijk_name(code: int | None, language: str) -> str | None:
    """Return a wijk's name in a language, or None."""
    if code is None:
        return None
    found = geo.wijk(code)
    return found.name(language) if found else None


def normalise(text: str | None) -> str:
    """Return text reduced for grouping: case, accents, punctuation and a leading article go."""
    if not text:
        return ""
    return _normalised(str(text))


@lru_cache(maxsize=8192)
def _normalised(text: str) -> str:
    # A round report groups tens of thousands of texts, most of them repeated.
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = re.sub(r"[^\w]+", " ", plain).split()
    while len(words) > 1 and words[0] in LEADING_WORDS:
        words = words[1:]
    return " ".join(words)


def clip(text: Any, limit: int = MAX_USER_TEXT) -> str | None:
    """Return stripped user text, shortened with an ellipsis past the limit; None if empty."""
    if text is None:
        return None
    text = " ".join(str(text).split())
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def tally(values: Iterable[str | None], limit: int = MAX_TALLY) -> tuple[Tally, ...]:
    """Count values (grouped by their normalised form, shown as first written); most first."""
    counts: Counter[str] = Counter()
    shown: dict[str, str | None] = {}
    order: dict[str, int] = {}
    for value in values:
        key = normalise(value) if value else ""
        counts[key] += 1
        shown.setdefault(key, clip(value, 80) if value else None)
        order.setdefault(key, len(order))
    ranked = sorted(counts, key=lambda k: (-counts[k], order[k]))
    return tuple(Tally(shown[k], counts[k]) for k in ranked[:limit])


def distinct(texts: Iterable[Any], limit: int) -> tuple[str, ...]:
    """Return distinct non-empty texts (by normalised form) in order, clipped."""
    seen: set[str] = set()
    result: list[str] = []
    for text in texts:
        value = clip(text, 160)
        key = normalise(value)
        if value and key not in seen:
            seen.add(key)
            result.append(value)
        if len(result) >= limit:
            break
    return tuple(result)


def median(values: Iterable[Any]) -> float | None:
    """Return the median of the non-negative numbers among values, or None."""
    numbers = [
        float(v)
        for v in values
        if isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
    ]
    return float(statistics.median(numbers)) if numbers else None


def is_reflection(observation: ObservationRow) -> bool:
    """Say whether an observation is a walk's closing reflection."""
    return observation.kind == "walk_note" and bool(observation.details.get("reflection"))


def is_need(observation: ObservationRow) -> bool:
    """Say whether a diary entry is a need (a "nothing needed today" answer is not)."""
    return observation.kind == DIARY_ENTRY and not observation.details.get("nothing")


def representative(group: Sequence[ObservationRow]) -> str | None:
    """Return the text most often written in a group (as written), or None."""
    texts = Counter(clip(o.text, 160) for o in group if clip(o.text))
    if not texts:
        return None
    return texts.most_common(1)[0][0]
