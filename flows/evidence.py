"""Marking an observation as evidence for a hypothesis: the buttons under its saved line.

Under the saved line of an observation that shares a theme or wijk with open hypotheses, each
of them (at most MAX_ON_LINE) gets a 👍 and a 👎 button, g|hyp|OBS|HYP|s or c; the verdict
marked shows a tick. Tapping a verdict marks it, tapping it again removes it, tapping the other
changes it (flows/hypothesis.py:evidence_button). Only the team marks (FIELDWORKERS); diary
entries are private and never get these buttons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flows.engine import Button, StepContext, Text
from flows.help import role_of
from flows.roles import FIELDWORKERS
from storage import hypotheses as hyp
from storage.hypotheses import HypothesisView
from storage.models import Observation

# Who may mark evidence: the people doing the fieldwork, not residents.
MARKERS = FIELDWORKERS
MAX_ON_LINE = 3
VERDICT_CODES = hyp.VERDICT_CODES
CODE_OF = hyp.CODE_OF
SNIPPET = 60


def numbers(views: Sequence[HypothesisView]) -> dict[int, int]:
    """Return each hypothesis's number in its organisation (H1, H2 ...): oldest first."""
    return {view.id: index for index, view in enumerate(views, start=1)}


def snippet(view: HypothesisView) -> str | Text:
    """Return the start of a hypothesis's words, or say why it has none."""
    words = view.statement
    if not words:
        return Text("hypothesis.cleared" if view.cleared else "hypothesis.voice_only")
    return words if len(words) <= SNIPPET else words[: SNIPPET - 1].rstrip() + "…"


def may_mark(ctx: StepContext) -> bool:
    """Say whether the person writing may mark evidence."""
    return ctx.member is not None and role_of(ctx) in MARKERS


def verdict_button(
    prefix: str, observation_id: int, number: int, view_id: int, verdict: str, ticked: bool
) -> Button:
    """Return one verdict button for one hypothesis."""
    return Button(
        f"hypothesis.button_{verdict}",
        f"{prefix}|{observation_id}|{view_id}|{CODE_OF[verdict]}",
        {"number": number, "mark": "✓ " if ticked else ""},
    )


def evidence_rows(ctx: StepContext, observation: Observation) -> tuple[tuple[Button, ...], ...]:
    """Return the verdict buttons for the open hypotheses an observation concerns."""
    if not may_mark(ctx) or not hyp.linkable(observation):
        return ()
    # Most teams have no open hypothesis most of the time: one light look before the list.
    if not hyp.has_open(ctx.session, observation.organisation_id):
        return ()
    views = hyp.list_hypotheses(ctx.session, observation.organisation_id)
    marked = hyp.verdicts_on(ctx.session, observation.id)
    numbered = numbers(views)
    concerned = [
        view
        for view in views
        if view.status == hyp.OPEN
        and (view.concerns(observation.theme, observation.wijk_code) or view.id in marked)
    ]
    return verdict_rows("g|hyp", observation.id, concerned[:MAX_ON_LINE], numbered, marked)


def verdict_rows(
    prefix: str,
    observation_id: int,
    views: Sequence[HypothesisView],
    numbered: Mapping[int, int],
    marked: Mapping[int, str],
) -> tuple[tuple[Button, ...], ...]:
    """Return a 👍 and a 👎 button per hypothesis, the verdict marked ticked."""
    return tuple(
        tuple(
            verdict_button(
                prefix,
                observation_id,
                numbered[view.id],
                view.id,
                verdict,
                marked.get(view.id) == verdict,
            )
            for verdict in hyp.VERDICTS
        )
        for view in views
    )
