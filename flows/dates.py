"""Dates as people in Brussels type them, in Dutch, French or English: a pure function.

read_day(typed, today) returns (the date, None), (the date, PAST) when it is a date gone by,
or (None, UNKNOWN). Case, accents, abbreviation dots and a trailing dot do not matter, and
every form is understood whatever the member's language (a Dutch-speaking worker may well type
"lundi"). What is understood:

| typed (examples)                                   | means                                   |
|----------------------------------------------------|-----------------------------------------|
| 1/12, 1-12, 1.12, 01/12/2026, 1/12/26              | day/month, optionally with the year     |
| 1 dec, 1 december, 1er décembre, 1 déc. 2026,      | a day and a month name (Babel's wide    |
| le 1er décembre, op 1 december, 1st December,      | and abbreviated names in nl, fr and en, |
| December 1, 2 sept                                 | or their first 3+ letters), [a year]    |
| vandaag, aujourd'hui, today                        | today                                   |
| morgen, demain, tomorrow                           | tomorrow                                |
| overmorgen, après-demain, the day after tomorrow   | the day after tomorrow                  |
| maandag, lundi, monday, ma, lun, mon; also         | the next such day, never today          |
| volgende maandag, lundi prochain, next monday      |                                         |
| volgende week, la semaine prochaine, next week     | the Monday of next week                 |
| maandag volgende week, lundi de la semaine         | that day of next week                   |
| prochaine, monday next week, next week monday      |                                         |
| volgende maand, le mois prochain, next month       | the 1st of next month                   |
| over 2 weken, dans 2 semaines, in 2 weeks,         | so many days, weeks or months from      |
| binnen 3 dagen, dans un mois, in a month,          | today (a number, or a word from one to  |
| over twee weken, dans deux semaines                | six)                                    |

Years. A full date before today is PAST. A day and month without a year is this year's when
that is today or later. When it was less than RECENT_PAST ago it is PAST too: "1/12" typed on
3 December is a slip or a day just gone, not one a year away, so the member is asked again.
When it is further back it is next year's ("15/1" typed in December means next January).

"Next week" means its Monday: a follow-up is then on the agenda from the start of that week,
and a member who means another day can type the day itself.

Looking back. read_past_day(typed, today) reads the day something took place (a focus group):
the same forms read backwards, plus "gisteren", "hier", "yesterday" and "vorige maandag",
"lundi dernier", "last monday". A day and month without a year is the latest one not after
today, a weekday alone the last one (today included); a day still to come is FUTURE.

Why not a library: no installed library reads relative dates ("over 2 weken", "lundi
prochain") in these three languages offline; Babel, which the project already depends on,
supplies the month and weekday names, so those are not typed by hand here.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, timedelta
from functools import cache
from typing import Literal

from babel.dates import get_day_names, get_month_names

PAST: Literal["past"] = "past"
UNKNOWN: Literal["unknown"] = "unknown"
FUTURE: Literal["future"] = "future"
Problem = Literal["past", "unknown"]

LANGUAGES = ("nl", "fr", "en")
# A day/month without a year that fell this recently is questioned rather than moved a year on.
RECENT_PAST = timedelta(days=61)
# Shortest start of a name that is read as the name ("sept", "janv", "woe").
MIN_PREFIX = 3

NUMERIC = re.compile(r"^(\d{1,2})\s*([/.-])\s*(\d{1,2})(?:\s*\2\s*(\d{4}|\d{2}))?\.?$")
DAY = r"(\d{1,2})(?:er|re|e|ste|de|st|nd|rd|th)?"
DAY_MONTH = re.compile(rf"^{DAY} ([a-z]+)(?: (\d{{4}}))?$")
MONTH_DAY = re.compile(rf"^([a-z]+) {DAY}(?: (\d{{4}}))?$")
IN = re.compile(r"^(?:over|binnen|in|dans) ([a-z]+|\d{1,3}) ([a-z]+)$")

# Phrases are kept as words (tuples): the text a member sees lives in the catalogs only.
# Words that may come first and change nothing ("op 1 december", "le 1er décembre", "on 1 May").
FILLERS = ("op", "le", "la", "on", "the")
TODAY = {("vandaag",), ("aujourdhui",), ("today",)}
TOMORROW = {("morgen",), ("demain",), ("tomorrow",)}
YESTERDAY = {("gisteren",), ("hier",), ("yesterday",)}
BEFORE_YESTERDAY = {("eergisteren",), ("avant", "hier"), ("day", "before", "yesterday")}
# Words before or after a weekday that mean the one gone by: "vorige maandag", "lundi dernier".
BEFORE_LAST_WEEKDAY = {"vorige", "afgelopen", "laatste", "last", "past"}
AFTER_LAST_WEEKDAY = {"dernier", "passe"}
AFTER_TOMORROW = {("overmorgen",), ("apres", "demain"), ("day", "after", "tomorrow")}
NEXT_WEEK = {("volgende", "week"), ("komende", "week"), ("semaine", "prochaine"), ("next", "week")}
# "maandag volgende week", "lundi de la semaine prochaine", "next week monday".
OF_NEXT_WEEK = (
    ("volgende", "week"),
    ("next", "week"),
    ("de", "la", "semaine", "prochaine"),
    ("la", "semaine", "prochaine"),
)
NEXT_MONTH = {
    ("volgende", "maand"),
    ("komende", "maand"),
    ("mois", "prochain"),
    ("next", "month"),
}
# Words around a weekday that mean the same day: "volgende maandag", "lundi prochain".
BEFORE_WEEKDAY = {"volgende", "aanstaande", "komende", "next", "this", "coming"}
AFTER_WEEKDAY = {"prochain"}
NUMBERS = {
    "een": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6,
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
}  # fmt: skip
UNITS = {
    **dict.fromkeys(("dag", "dagen", "jour", "jours", "day", "days"), "day"),
    **dict.fromkeys(("week", "weken", "semaine", "semaines", "weeks"), "week"),
    **dict.fromkeys(("maand", "maanden", "mois", "month", "months"), "month"),
}


def fold(text: str) -> str:
    """Return words folded for reading: lower case, no accents or apostrophes, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = re.sub(r"['’`]", "", plain)
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


@cache
def _names(kind: Literal["month", "day"]) -> tuple[dict[str, int], dict[str, int]]:
    """Return (every name and abbreviation, the full names) of months 1-12 or weekdays 0-6."""
    read = get_month_names if kind == "month" else get_day_names
    exact: dict[str, set[int]] = {}
    wide: dict[str, int] = {}
    for language in LANGUAGES:
        for width in ("wide", "abbreviated"):
            for number, name in read(width, locale=language).items():
                word = fold(name)
                exact.setdefault(word, set()).add(number)
                if width == "wide":
                    wide[word] = number
    # A word naming two different months (or days) in two languages means neither.
    return {word: next(iter(n)) for word, n in exact.items() if len(n) == 1}, wide


def _name(word: str, kind: Literal["month", "day"]) -> int | None:
    """Return the month (1-12) or weekday (0 = Monday) a word names, or None."""
    exact, wide = _names(kind)
    if word in exact:
        return exact[word]
    if len(word) < MIN_PREFIX:
        return None
    found = {number for name, number in wide.items() if name.startswith(word)}
    return found.pop() if len(found) == 1 else None


def add_months(day: date, months: int) -> date:
    """Return the same day so many months later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_weekday(today: date, weekday: int) -> date:
    """Return the next such weekday (0 = Monday) after today, a week on when it is today."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def next_monday(today: date) -> date:
    """Return the Monday of next week."""
    return today + timedelta(days=7 - today.weekday())


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _dated(
    day: int, month: int, year: int | None, today: date
) -> tuple[date | None, Problem | None]:
    """Return a typed day and month, with or without a year, against today."""
    if year is not None:
        found = _make(year, month, day)
        if found is None:
            return None, UNKNOWN
        return found, (PAST if found < today else None)
    found = _make(today.year, month, day)
    if found is None:
        # 29/2 in a year without it: the next year that has it, if that is next year.
        later = _make(today.year + 1, month, day)
        return (later, None) if later is not None else (None, UNKNOWN)
    if found >= today:
        return found, None
    if today - found < RECENT_PAST:
        return found, PAST
    later = _make(today.year + 1, month, day)
    return (later, None) if later is not None else (None, UNKNOWN)


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    return int(text) + 2000 if len(text) == 2 else int(text)


def _count(word: str) -> int | None:
    return int(word) if word.isdigit() else NUMBERS.get(word)


def _relative(words: tuple[str, ...], today: date) -> date | None:
    """Return what a date in words means (tomorrow, monday, next week, in 2 weeks), or None."""
    if words in TODAY:
        return today
    if words in TOMORROW:
        return today + timedelta(days=1)
    if words in AFTER_TOMORROW:
        return today + timedelta(days=2)
    if words in NEXT_WEEK:
        return next_monday(today)
    if words in NEXT_MONTH:
        return add_months(today.replace(day=1), 1)
    match = IN.match(" ".join(words))
    if match is not None:
        count, unit = _count(match[1]), UNITS.get(match[2])
        if count is None or unit is None:
            return None
        if unit == "month":
            return add_months(today, count)
        return today + timedelta(days=count * (7 if unit == "week" else 1))
    return _weekday(words, today)


def _weekday(words: tuple[str, ...], today: date) -> date | None:
    """Return the day a weekday means: alone or with "next" (the next one), or of next week."""
    for phrase in OF_NEXT_WEEK:
        size = len(phrase)
        if len(words) == size + 1 and words[1:] == phrase:
            rest = words[0]
        elif len(words) == size + 1 and words[:size] == phrase:
            rest = words[-1]
        else:
            continue
        weekday = _name(rest, "day")
        return None if weekday is None else next_monday(today) + timedelta(days=weekday)
    if len(words) == 2 and words[0] in BEFORE_WEEKDAY:
        words = words[1:]
    elif len(words) == 2 and words[1] in AFTER_WEEKDAY:
        words = words[:1]
    weekday = _name(words[0], "day") if len(words) == 1 else None
    return None if weekday is None else next_weekday(today, weekday)


def read_day(typed: str, today: date) -> tuple[date | None, Problem | None]:
    """Read a typed date against today: (date, None), (date, PAST) or (None, UNKNOWN)."""
    raw = (typed or "").strip()
    match = NUMERIC.match(raw)
    if match is not None:
        return _dated(int(match[1]), int(match[3]), _year(match[4]), today)
    words = tuple(fold(raw).split())
    if len(words) > 1 and words[0] in FILLERS:
        words = words[1:]
    for pattern, day_at, month_at in ((DAY_MONTH, 1, 2), (MONTH_DAY, 2, 1)):
        match = pattern.match(" ".join(words))
        if match is not None:
            month = _name(match[month_at], "month")
            if month is None:
                continue
            return _dated(int(match[day_at]), month, _year(match[3]), today)
    found = _relative(words, today)
    return (found, None) if found is not None else (None, UNKNOWN)


def read_past_day(
    typed: str, today: date
) -> tuple[date | None, Literal["future", "unknown"] | None]:
    """Read a typed day something took place: (date, None), (date, FUTURE) or (None, UNKNOWN).

    The same forms as read_day, read backwards: a day and month without a year is the latest
    one not after today ("15/12" typed in January is last December), a weekday alone is the
    last one (today included), and "gisteren", "hier", "yesterday" (and the day before) are
    understood. A day still to come, typed in full or in words ("morgen"), is FUTURE.
    """
    raw = (typed or "").strip()
    words = tuple(fold(raw).split())
    if len(words) > 1 and words[0] in FILLERS:
        words = words[1:]
    if words in YESTERDAY:
        return today - timedelta(days=1), None
    if words in BEFORE_YESTERDAY:
        return today - timedelta(days=2), None
    weekday = _last_weekday(words)
    if weekday is not None:
        return today - timedelta(days=(today.weekday() - weekday) % 7), None
    found, problem = read_day(raw, today)
    if found is None:
        return None, UNKNOWN
    if found <= today:
        return found, None
    if not _has_year(raw):
        earlier = _make(found.year - 1, found.month, found.day)
        if earlier is not None and _is_day_and_month(raw, words):
            return earlier, None
    return found, FUTURE


def _last_weekday(words: tuple[str, ...]) -> int | None:
    """Return the weekday (0 = Monday) words name alone or with "last" / "dernier", or None."""
    if len(words) == 2 and words[0] in BEFORE_LAST_WEEKDAY:
        words = words[1:]
    elif len(words) == 2 and words[1] in AFTER_LAST_WEEKDAY:
        words = words[:1]
    return _name(words[0], "day") if len(words) == 1 else None


def _has_year(raw: str) -> bool:
    """Say whether a typed date names its year (four digits, or a third numeric part)."""
    match = NUMERIC.match(raw)
    if match is not None:
        return match[4] is not None
    return re.search(r"\b\d{4}\b", raw) is not None


def _is_day_and_month(raw: str, words: tuple[str, ...]) -> bool:
    """Say whether a typed date is a day and a month (not words such as "tomorrow")."""
    if NUMERIC.match(raw) is not None:
        return True
    joined = " ".join(words)
    return DAY_MONTH.match(joined) is not None or MONTH_DAY.match(joined) is not None
