"""The closing page: a SWOT grid seeded with the period's evidence, and action-plan questions.

Strengths are places people name and networks still in touch; weaknesses what is missing
(and needs met outside the buurt); opportunities new key persons and dormant contacts worth
reviving, and the people a survey did not reach (nobody asked door to door, buurt wijken no
respondent came from); threats things that disappeared. Every item links to the observations
it stands on; an item about whom a survey missed has none to link to.

Survey answers themselves seed no quadrant: a 1-to-5 scale or a choice says nothing about
whether more is better or worse for the buurt, so the team reads them in the surveys section,
where each quoted answer links to its response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports.model import Msg
from reports.round.model import (
    MAX_REFS,
    Buurtkaart,
    Period,
    Register,
    RoundDiaries,
    RoundMissing,
    Swot,
    SwotItem,
)
from reports.sections.common import normalise
from storage.kinds import ENCOUNTER
from storage.surveys import DOOR

MAX_ITEMS = 4
# Buurt wijken named in one "no respondent from" item.
MAX_WIJKEN = 6
# The method's questions for an action plan, in the report's own words (round.question.*).
QUESTIONS = ("picture", "reach", "involve", "reciprocity", "roles", "revive", "next")


def _strengths(period: Period, register: Register, kaart: Buurtkaart) -> list[SwotItem]:
    items: list[SwotItem] = []
    naming: dict[str, list[int]] = {}
    for o in period.observations:
        if o.kind == ENCOUNTER and o.details.get("places"):
            naming.setdefault(normalise(o.details["places"]), []).append(o.id)
    for place in kaart.named[:MAX_ITEMS]:
        refs = tuple(naming.get(normalise(place.label), ())[-MAX_REFS:])
        items.append(
            SwotItem(Msg("round.swot.place", {"place": place.label, "count": place.count}), refs)
        )
    working = [p for p in register.people if not p.dormant and p.networks]
    for person in working[:MAX_ITEMS]:
        params = {"network": person.networks[0], "who": person.alias or "–"}
        items.append(SwotItem(Msg("round.swot.network", params), person.records[-MAX_REFS:]))
    return items


def _weaknesses(missing: RoundMissing, diaries: RoundDiaries) -> list[SwotItem]:
    items = [
        SwotItem(
            Msg("round.swot.missing", {"what": g.text or "–", "count": g.count}),
            g.numbers[:MAX_REFS],
        )
        for g in missing.groups
        if g.status != "disappeared"
    ][:MAX_ITEMS]
    outside = diaries.met_outside + diaries.met_partly
    if outside:
        params = {"count": outside, "needs": diaries.needs}
        items.append(SwotItem(Msg("round.swot.diary_outside", params), ()))
    return items


def _opportunities(register: Register) -> list[SwotItem]:
    new = [p for p in register.people if p.new]
    items = [
        SwotItem(
            Msg(
                "round.swot.new_key_person",
                {"who": p.alias or "–", "network": p.networks[0] if p.networks else "–"},
            ),
            p.records[-MAX_REFS:],
        )
        for p in new[:MAX_ITEMS]
    ]
    items.extend(
        SwotItem(
            Msg("round.swot.revive", {"who": p.alias or "–", "since": p.last_contact}),
            p.records[-MAX_REFS:],
        )
        for p in register.dormant[:MAX_ITEMS]
    )
    return items


def _unreached(period: Period) -> list[SwotItem]:
    """Return, per survey answered in the period, whom it did not reach."""
    items: list[SwotItem] = []
    buurt = sorted(set(period.buurt))
    for survey, responses in period.surveys:
        if not responses:
            continue
        if not any(response.channel == DOOR for response in responses):
            params = {"survey": survey.title, "count": len(responses)}
            items.append(SwotItem(Msg("round.swot.survey_door", params), ()))
        heard = {r.wijk_code for r in responses if r.wijk_code is not None}
        missed = [name for code in buurt if code not in heard and (name := period.wijk(code))]
        # Only a survey that asked for a place tells where its respondents live.
        if heard and missed:
            shown = ", ".join(missed[:MAX_WIJKEN]) + (" …" if len(missed) > MAX_WIJKEN else "")
            params = {"survey": survey.title, "wijken": shown, "count": len(missed)}
            items.append(SwotItem(Msg("round.swot.survey_wijken", params), ()))
    return items[:MAX_ITEMS]


def _threats(missing: RoundMissing) -> list[SwotItem]:
    return [
        SwotItem(
            Msg("round.swot.disappeared", {"what": g.text or "–", "count": g.count}),
            g.numbers[:MAX_REFS],
        )
        for g in missing.groups
        if g.status == "disappeared"
    ][:MAX_ITEMS]


def build(period: Period, built: Mapping[str, Any]) -> Swot:
    """Seed the SWOT grid from the sections built before it."""
    register: Register = built["register"]
    missing: RoundMissing = built["missing"]
    return Swot(
        strengths=tuple(_strengths(period, register, built["buurtkaart"])),
        weaknesses=tuple(_weaknesses(missing, built["diaries"])),
        opportunities=(*_opportunities(register), *_unreached(period)),
        threats=tuple(_threats(missing)),
        questions=tuple(Msg(f"round.question.{key}") for key in QUESTIONS),
    )
