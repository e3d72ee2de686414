"""Hypotheses: each open one with its evidence so far and the week's candidates to mark.

A candidate is an observation of the week that shares a theme or wijk with the hypothesis and is
not marked for it yet, newest first. Diary entries are never candidates: they are shown only
aggregated. Each candidate carries two t.me links that open the bot and mark it in one tap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reports.model import HypothesisCandidate, HypothesisSummary
from reports.sections.common import Week, clip
from storage import hypotheses as hyp
from storage.hypotheses import Evidence, HypothesisView
from storage.weekly import ObservationRow

MAX_CANDIDATES = 5
CANDIDATE_TEXT = 140


def _candidate(
    hypothesis: HypothesisView,
    observation: ObservationRow,
    numbers: Mapping[int, int],
    bot_username: str | None,
) -> HypothesisCandidate:
    def link(verdict: str) -> str | None:
        if not bot_username:
            return None
        return hyp.mark_link(bot_username, hypothesis.id, observation.id, verdict)

    return HypothesisCandidate(
        observation_id=observation.id,
        number=numbers.get(observation.id, 0),
        kind=observation.kind,
        text=clip(observation.text, CANDIDATE_TEXT),
        supports_link=link(hyp.SUPPORTS),
        contradicts_link=link(hyp.CONTRADICTS),
    )


def build(
    week: Week,
    hypotheses: Sequence[HypothesisView],
    evidence: Sequence[Evidence],
    numbers: Mapping[int, int],
    bot_username: str | None,
) -> tuple[HypothesisSummary, ...]:
    """Return the open hypotheses (numbered among all of them) with evidence and candidates."""
    summaries = []
    for number, view in enumerate(hypotheses, start=1):
        if view.status != hyp.OPEN:
            continue
        # As the picture's week ended: marks made later are not counted (nor known then).
        marks = [e for e in evidence if e.hypothesis_id == view.id and e.marked_at < week.end]
        marked = {e.observation_id for e in marks}
        this_week = [e for e in marks if week.start <= e.marked_at < week.end]
        candidates = [
            o
            for o in reversed(week.current)
            if o.kind not in hyp.PRIVATE_KINDS
            and o.id not in marked
            and view.concerns(o.theme, o.wijk_code)
        ]
        summaries.append(
            HypothesisSummary(
                number=number,
                statement=clip(view.statement, hyp.MAX_STATEMENT),
                themes=view.themes,
                wijken=tuple(name for name in map(week.wijk, view.wijken) if name),
                supports=sum(1 for e in marks if e.verdict == hyp.SUPPORTS),
                contradicts=sum(1 for e in marks if e.verdict == hyp.CONTRADICTS),
                supports_week=sum(1 for e in this_week if e.verdict == hyp.SUPPORTS),
                contradicts_week=sum(1 for e in this_week if e.verdict == hyp.CONTRADICTS),
                candidates=tuple(
                    _candidate(view, o, numbers, bot_username) for o in candidates[:MAX_CANDIDATES]
                ),
                more_candidates=max(0, len(candidates) - MAX_CANDIDATES),
                cleared=view.cleared,
            )
        )
    return tuple(summaries)
