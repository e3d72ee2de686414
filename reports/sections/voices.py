"""Voices: quotes people agreed to (met one by one or in a focus group), and walk reflections;
the most recent first."""

from __future__ import annotations

from collections.abc import Mapping

from reports.model import Voice
from reports.sections.common import Week, clip, is_reflection
from reports.sections.focusgroups import quotes_of
from storage.kinds import FOCUS_GROUP

MAX_VOICES = 4
MAX_REFLECTIONS = 3
# One focus group may give several quotes; this many at most, so other voices keep a place.
MAX_PER_GROUP = 2


def said(details: Mapping[str, object], fallback: str | None) -> str | None:
    """Return what a person met said (their experience, else their needs), clipped."""
    return clip(details.get("experience") or details.get("needs") or fallback)


def build(week: Week, numbers: Mapping[int, int]) -> tuple[Voice, ...]:
    """Return up to four quotes (two at most from one focus group) and three reflections,
    most recent first."""
    quotes: list[Voice] = []
    reflections: list[Voice] = []
    for observation in reversed(week.current):
        details = observation.details
        if observation.kind == "encounter" and details.get("quote_ok") is True:
            text = said(details, observation.text)
            if text and len(quotes) < MAX_VOICES:
                who = details.get("who")
                quotes.append(
                    Voice(
                        kind="encounter",
                        text=text,
                        who=who if isinstance(who, str) else None,
                        who_text=clip(details.get("who_text"), 60),
                        theme=observation.theme,
                        wijk=week.wijk(observation.wijk_code),
                        day=week.day(observation.created_at),
                        number=numbers.get(observation.id, 0),
                    )
                )
        elif observation.kind == FOCUS_GROUP:
            room = min(MAX_PER_GROUP, MAX_VOICES - len(quotes))
            for text in quotes_of(observation)[: max(room, 0)]:
                quotes.append(
                    Voice(
                        kind=FOCUS_GROUP,
                        text=text,
                        who=None,
                        who_text=None,
                        theme=observation.theme,
                        wijk=week.wijk(observation.wijk_code),
                        day=week.day(observation.created_at),
                        number=numbers.get(observation.id, 0),
                    )
                )
        elif is_reflection(observation):
            text = clip(observation.text)
            if text and len(reflections) < MAX_REFLECTIONS:
                reflections.append(
                    Voice(
                        kind="reflection",
                        text=text,
                        who=None,
                        who_text=None,
                        theme=None,
                        wijk=None,
                        day=week.day(observation.created_at),
                        number=numbers.get(observation.id, 0),
                    )
                )
    return (*quotes, *reflections)
