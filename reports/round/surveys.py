"""Surveys: each survey open during the period, with the results of the responses begun in it
and who answered, per channel (door to door or self-completed) and per wijk.

An online survey mostly hears people who read and use Telegram; door-to-door answers reach
others. The round report shows both, so the end-of-round meeting sees whom the team reached
and whom it missed. Results come from the weekly picture's builder (reports/sections/surveys.py),
which takes any period; trials were left out when the period was read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports.model import Tally
from reports.round.model import Period, RoundSurveys
from reports.sections import surveys as results


def build(period: Period, built: Mapping[str, Any]) -> RoundSurveys:
    """Add up each survey of the period and who answered them all, per channel."""
    surveys = results.build(period.surveys, period.start, period.language)
    return RoundSurveys(
        surveys=surveys,
        respondents=sum(survey.responses for survey in surveys),
        partial=sum(survey.partial for survey in surveys),
        channels=tuple(
            Tally(channel, sum(s.channels[i].count for s in surveys))
            for i, channel in enumerate(results.CHANNELS)
        ),
    )
