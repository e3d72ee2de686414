"""Survey results: counts per choice, scale and number averages with n, a few free answers, and
who answered: respondents per channel (door to door or self-completed) and per wijk, never
closer than the wijk, so the team sees whom the survey reaches and whom it misses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import geo
from reports.model import SurveyQuestionResult, SurveyResult, Tally
from reports.sections.common import clip
from storage.surveys import (
    CHOICE_TYPES,
    DOOR,
    FREE,
    MANY,
    NUMBER,
    SCALE,
    SCALE_VALUES,
    SELF,
    VOICE_ANSWER,
    Question,
    ResponseRow,
    SurveyRow,
)

CHANNELS = (DOOR, SELF)
# Free answers shown per question (newest first), each cut to this many characters.
SAMPLES = 3
SAMPLE_TEXT = 200


def _question(
    number: int, question: Question, answers: list[tuple[int | None, object]], language: str
) -> SurveyQuestionResult:
    """Add up the answers given to one question (skips left out); each with its record's id."""
    kept = [(source, answer) for source, answer in answers if answer is not None and answer != []]
    given = [answer for _, answer in kept]
    counts: tuple[Tally, ...] = ()
    average: float | None = None
    samples: tuple[str, ...] = ()
    quoted: tuple[int | None, ...] = ()
    spoken = 0
    if question.kind in CHOICE_TYPES:
        tally: Counter[str] = Counter()
        for answer in given:
            picked = answer if question.kind == MANY and isinstance(answer, list) else [answer]
            tally.update(str(item) for item in picked)
        labels = question.base_choices()
        # Shown in the picture's language when the question has it, same order as stored.
        shown = question.choices(language)
        counts = tuple(
            Tally(shown[i] if i < len(shown) else label, tally[label])
            for i, label in enumerate(labels)
        )
    elif question.kind in (SCALE, NUMBER):
        numbers = [
            float(answer)
            for answer in given
            if isinstance(answer, int | float) and not isinstance(answer, bool)
        ]
        given = numbers
        average = sum(numbers) / len(numbers) if numbers else None
        if question.kind == SCALE:
            points = Counter(int(n) for n in numbers)
            counts = tuple(Tally(point, points[int(point)]) for point in SCALE_VALUES)
    elif question.kind == FREE:
        spoken = sum(1 for answer in given if answer == VOICE_ANSWER)
        written = [(source, str(answer)) for source, answer in kept if answer != VOICE_ANSWER]
        newest = list(reversed(written[-SAMPLES:]))
        samples = tuple(clip(text, SAMPLE_TEXT) or "" for _, text in newest)
        quoted = tuple(source for source, _ in newest)
    return SurveyQuestionResult(
        number=number,
        text=question.words(language),
        kind=question.kind,
        theme=question.theme,
        answered=len(given),
        counts=counts,
        average=average,
        samples=samples,
        spoken=spoken,
        quoted=quoted,
    )


def build_one(
    survey: SurveyRow, responses: Sequence[ResponseRow], week_start: datetime, language: str
) -> SurveyResult:
    """Return one survey's results and who answered it."""
    gazetteer = geo.get_gazetteer()
    channels = Counter(response.channel for response in responses)
    wijken = Counter(
        gazetteer.wijk_name(response.wijk_code, language)
        if response.wijk_code is not None
        else None
        for response in responses
    )
    named = sorted(
        ((name, n) for name, n in wijken.items() if name is not None), key=lambda x: (-x[1], x[0])
    )
    wijk_tallies = [Tally(name, n) for name, n in named]
    if wijken[None]:
        wijk_tallies.append(Tally(None, wijken[None]))
    complete = sum(1 for response in responses if response.complete)
    questions = tuple(
        _question(
            index + 1,
            question,
            [
                (response.observation_id, response.answers[index])
                for response in responses
                if index in response.answers
            ],
            language,
        )
        for index, question in enumerate(survey.questions)
    )
    return SurveyResult(
        title=survey.title,
        status=survey.status,
        responses=len(responses),
        complete=complete,
        partial=len(responses) - complete,
        this_week=sum(1 for response in responses if response.created_at >= week_start),
        channels=tuple(Tally(channel, channels[channel]) for channel in CHANNELS),
        wijken=tuple(wijk_tallies),
        questions=questions,
    )


def build(
    surveys: Sequence[tuple[SurveyRow, Sequence[ResponseRow]]], week_start: datetime, language: str
) -> tuple[SurveyResult, ...]:
    """Return the results of the surveys running this week."""
    return tuple(
        build_one(survey, responses, week_start, language) for survey, responses in surveys
    )
