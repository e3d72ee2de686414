"""Focus groups: one line each (when, where, who came as counts, how), and their channels.

A focus group hears few voices, so the picture shows who came (numbers per kind of person,
never names), how the group came together, and what the team noted as the voice that was
missing. Its agreed quotes go to "Voices" (reports/sections/voices.py), its theme to the
themes chart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Protocol

from reports.model import FocusGroupLine, Tally
from reports.sections.common import Week, clip
from storage.focusgroups import ATTENDANCE, CHANNELS, OTHER_CHANNEL
from storage.kinds import FOCUS_GROUP
from storage.weekly import ObservationRow


class Calendar(Protocol):
    """What a line needs of the period it is in: local days and wijk names (a Week, a Period)."""

    def day(self, moment: datetime) -> date:
        """Return the local day of a moment."""
        ...

    def wijk(self, code: int | None) -> str | None:
        """Return a wijk's name in the period's language."""
        ...


def _count(value: Any) -> int:
    """Return a stored count, or 0 when it is not a whole number of people."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def held_on_of(observation: ObservationRow) -> date | None:
    """Return the day a focus group met, as stored (None when it is missing or unreadable)."""
    value = observation.details.get("held_on")
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def attendance_of(observation: ObservationRow) -> tuple[Tally, ...]:
    """Return who came: a count per kind of person, in ATTENDANCE order (0 when not stored)."""
    details = observation.details
    return tuple(Tally(group, _count(details.get(group))) for group in ATTENDANCE)


def channel_of(observation: ObservationRow) -> str:
    """Return a focus group's channel code; anything unknown counts as "other"."""
    channel = observation.details.get("channel")
    return channel if channel in CHANNELS else OTHER_CHANNEL


def questions_of(observation: ObservationRow) -> list[Mapping[str, Any]]:
    """Return the questions a focus group stored (each with said and quotes)."""
    questions = observation.details.get("questions")
    listed = questions if isinstance(questions, list) else []
    return [question for question in listed if isinstance(question, Mapping)]


def _texts(values: Any) -> list[str]:
    return [text for value in (values if isinstance(values, list) else ()) if (text := clip(value))]


def said_of(observation: ObservationRow) -> list[str]:
    """Return the typed main things said, over every question, in order."""
    return [text for question in questions_of(observation) for text in _texts(question.get("said"))]


def quotes_of(observation: ObservationRow) -> list[str]:
    """Return the typed quotes a focus group's participants agreed to share, in order."""
    found: list[str] = []
    for question in questions_of(observation):
        quotes = question.get("quotes")
        for quote in quotes if isinstance(quotes, list) else ():
            if isinstance(quote, Mapping) and quote.get("agreed") is True:
                text = clip(quote.get("text"))
                if text:
                    found.append(text)
    return found


def line(calendar: Calendar, observation: ObservationRow, number: int) -> FocusGroupLine:
    """Return a focus group's line; `number` is how the page links to its entry."""
    details = observation.details
    attendance = attendance_of(observation)
    asked = questions_of(observation)
    return FocusGroupLine(
        number=number,
        held_on=held_on_of(observation) or calendar.day(observation.created_at),
        wijk=calendar.wijk(observation.wijk_code) or clip(details.get("place_text"), 80),
        attendance=attendance,
        people=sum(item.count for item in attendance),
        channel=channel_of(observation),
        channel_text=clip(details.get("channel_text"), 80),
        questions=len(asked),
        quotes=sum(len(q.get("quotes") or []) for q in asked),
        missing_voices=clip(details.get("missing_voices"), 300),
        theme=observation.theme,
    )


def build(week: Week, numbers: Mapping[int, int]) -> tuple[FocusGroupLine, ...]:
    """Return a line per focus group recorded this week, in the order they were recorded."""
    return tuple(
        line(week, observation, numbers.get(observation.id, 0))
        for observation in week.current
        if observation.kind == FOCUS_GROUP
    )


def channels(observations: Iterable[ObservationRow]) -> tuple[Tally, ...]:
    """Return focus groups per channel (every channel, also at 0; "other" if any); none
    when there was no focus group."""
    counted = Counter(channel_of(o) for o in observations if o.kind == FOCUS_GROUP)
    if not counted:
        return ()
    shown = CHANNELS + ((OTHER_CHANNEL,) if counted[OTHER_CHANNEL] else ())
    return tuple(Tally(code, counted[code]) for code in shown)
