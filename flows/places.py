"""Turn points and typed places into stored places: wijk, municipality, inside the buurt."""

from __future__ import annotations

from sqlalchemy import select

from flows.engine import Point, StepContext
from geo import get_gazetteer, match_place
from storage.models import OrganisationWijk
from storage.observations import Place
from storage.privacy import pseudonym


def buurt_wijken(ctx: StepContext) -> set[int]:
    """Return the wijk codes of the member's organisation's buurt."""
    if ctx.member is None:
        return set()
    return set(
        ctx.session.scalars(
            select(OrganisationWijk.wijk_code).where(
                OrganisationWijk.organisation_id == ctx.member.organisation_id
            )
        )
    )


def place_at(ctx: StepContext, point: Point, source: str) -> Place:
    """Locate a point: its wijk and municipality, and whether it lies in the buurt."""
    location = get_gazetteer().locate(point.lat, point.lon)
    return Place(
        lat=point.lat,
        lon=point.lon,
        accuracy_m=point.accuracy_m,
        source=source,
        wijk_code=location.wijk_code,
        municipality_nis=location.municipality_nis,
        in_brussels=location.in_brussels,
        in_buurt=location.wijk_code is not None and location.wijk_code in buurt_wijken(ctx),
    )


def place_from_text(ctx: StepContext, text: str) -> Place | None:
    """Match a typed place against wijk and municipality names (offline)."""
    match = match_place(text)
    if match is None:
        return None
    return place_at(ctx, Point(match.lat, match.lon), "typed")


def place_label(place: Place | None, language: str) -> str | None:
    """Return the wijk (or municipality) name of a place in a language, if in Brussels."""
    if place is None or not place.in_brussels:
        return None
    gazetteer = get_gazetteer()
    if place.wijk_code is not None:
        return gazetteer.wijk_name(place.wijk_code, language)
    if place.municipality_nis is not None:
        municipality = gazetteer.municipality(place.municipality_nis)
        return municipality.name(language) if municipality else None
    return None


def author_of(ctx: StepContext) -> str:
    """Return the pseudonym observations by this member carry."""
    assert ctx.member is not None
    return pseudonym(ctx.config.secret_key, ctx.member.id)
