"""Hypotheses in the export: one feature each, without geometry, with the evidence marked.

`kind: hypothesis`, id `hypothesis-<id>`; `text` is the statement, `themes` and `wijken` what
it concerns, `hypothesis_status` open or closed, and `observations` / `verdicts` the ids of the
observations marked for it (in the export's period) with, in the same order, supports or
contradicts. `author` is the pseudonym of the member who recorded it, the one their
observations carry (never a name or a Telegram id); None once they used /forget.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reports import export_kinds as fields
from storage import deployment
from storage import hypotheses as hyp
from storage.models import Observation
from storage.privacy import pseudonym

if TYPE_CHECKING:
    from reports.export import ExportStream, Labels

HYPOTHESIS = "hypothesis"


def author_pseudonyms(session: Session, member_ids: Collection[int]) -> dict[int, str]:
    """Return each member's pseudonym as their observations carry it; for a member without
    observations, the one the deployment's stored key makes (none when it is not stored)."""
    wanted = set(member_ids)
    if not wanted:
        return {}
    found: dict[int, str] = {
        member_id: author
        for member_id, author in session.execute(
            select(Observation.member_id, func.min(Observation.author))
            .where(Observation.member_id.in_(wanted))
            .group_by(Observation.member_id)
        )
        if member_id is not None and author
    }
    key = deployment.get_value(session, "secret_key")
    if key:
        found.update((m, pseudonym(key, m)) for m in wanted - set(found))
    return found


def hypothesis_features(scope: ExportStream) -> Iterator[dict[str, Any]]:
    """Yield the organisation's hypotheses recorded by the period's end, oldest first."""
    from reports.export import _iso, local_period

    lower, upper = local_period(scope.start, scope.end, scope.timezone)
    every = hyp.list_hypotheses(scope.session, scope.organisation_id)
    views = [view for view in every if upper is None or view.created_at < upper]
    if not views:
        return
    evidence = hyp.evidence_for(scope.session, scope.organisation_id, [v.id for v in views])
    marked = {e.observation_id for e in evidence}
    in_period = select(Observation.id).where(Observation.id.in_(marked))
    if lower is not None:
        in_period = in_period.where(Observation.created_at >= lower)
    if upper is not None:
        in_period = in_period.where(Observation.created_at < upper)
    kept = set(scope.session.scalars(in_period)) if marked else set()
    zone = scope.zone
    authors = author_pseudonyms(
        scope.session, {v.author_member_id for v in views if v.author_member_id is not None}
    )
    # Numbered among all of them, as the bot and the picture number them (H1, H2 ...).
    numbers = {view.id: number for number, view in enumerate(every, start=1)}
    for view in views:
        number = numbers[view.id]
        marks = [e for e in evidence if e.hypothesis_id == view.id and e.observation_id in kept]
        identifier = f"{HYPOTHESIS}-{view.id}"
        yield {
            "type": "Feature",
            "id": identifier,
            "geometry": None,
            "properties": {
                "id": identifier,
                "kind": HYPOTHESIS,
                "created_at": _iso(view.created_at, zone),
                "author": authors.get(view.author_member_id)
                if view.author_member_id is not None
                else None,
                "text": view.statement or None,
                "theme": None,
                "media": [view.voice_media] if view.voice_media else [],
                "number": number,
                "themes": list(view.themes),
                "wijken": list(view.wijken),
                "hypothesis_status": view.status,
                "closed_at": _iso(view.closed_at, zone),
                "observations": [e.observation_id for e in marks],
                "verdicts": [e.verdict for e in marks],
                "supports": sum(1 for e in marks if e.verdict == hyp.SUPPORTS),
                "contradicts": sum(1 for e in marks if e.verdict == hyp.CONTRADICTS),
            },
        }


def describe(properties: dict[str, Any], labels: Labels) -> list[str]:
    """Return a hypothesis's popup lines: its themes and how much evidence it has."""
    themes = fields.column_of("themes", HYPOTHESIS)
    lines = []
    if themes is not None and properties.get("themes"):
        named = "; ".join(labels.value(themes, theme) for theme in properties["themes"])
        lines.append(f"{labels.column('themes')}: {named}")
    lines.append(
        f"{labels.column('supports')}: {properties.get('supports', 0)} · "
        f"{labels.column('contradicts')}: {properties.get('contradicts', 0)}"
    )
    return lines
