"""Voices: quotes people agreed to, and walk reflections; the most recent first."""

from __future__ import annotations

from collections.abc import Mapping

from reports.model import Voice
from reports.sections.common import Week, clip, is_reflection

MAX_VOICES = 4
MAX_REFLECTIONS = 3


def said(details: Mapping[str, object], fallback: str | None) -> str | None:
    """Return what a person met said (their experience, else their needs), clipped."""
    return clip(details.get("experience") or details.get("needs") or fallback)


def build(week: Week, numbers: Mapping[int, int]) -> tuple[Voice, ...]:
    """Return up to four quotes and three reflections, most recent first."""
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
