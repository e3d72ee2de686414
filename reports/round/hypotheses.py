"""Hypotheses: each one with the observations that support or contradict it, and candidates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports.round.model import EvidenceLine, Hypotheses, HypothesisResult, Period
from reports.sections.common import clip
from storage.hypotheses import CONTRADICTS, SUPPORTS


def build(period: Period, built: Mapping[str, Any]) -> Hypotheses:
    """List every hypothesis (open first, then closed) with its evidence and its candidates."""
    rows = period.hypotheses
    if rows is None:
        return Hypotheses(items=(), available=False)
    lines: dict[int, list[EvidenceLine]] = {}
    for evidence in rows.evidence:
        observation = rows.observations.get(evidence.observation_id)
        if observation is None:
            continue
        lines.setdefault(evidence.hypothesis_id, []).append(
            EvidenceLine(
                observation_id=observation.id,
                verdict=evidence.verdict,
                kind=observation.kind,
                day=period.day(observation.created_at),
                text=clip(observation.text, 200),
            )
        )
    items = [
        HypothesisResult(
            id=h.id,
            statement=clip(h.statement, 500),
            themes=h.themes,
            wijken=tuple(name for name in map(period.wijk, h.wijken) if name),
            status=h.status,
            created_on=period.day(h.created_at),
            supports=tuple(e for e in lines.get(h.id, ()) if e.verdict == SUPPORTS),
            contradicts=tuple(e for e in lines.get(h.id, ()) if e.verdict == CONTRADICTS),
            candidates=rows.candidates.get(h.id, ()),
            cleared=h.cleared,
        )
        for h in rows.hypotheses
    ]
    items.sort(key=lambda h: (h.status != "open", h.created_on, h.id))
    return Hypotheses(items=tuple(items), available=True)
