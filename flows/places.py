"""Turn points and typed places into stored places: wijk, municipality, inside the buurt."""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.numbers import format_decimal

from flows.engine import Point, Reply, StepContext, Text
from geo import distance_m, get_gazetteer, match_place
from storage import buurt
from storage import walks as walks_db
from storage.observations import Place
from storage.privacy import pseudonym


def buurt_wijken(ctx: StepContext) -> set[int]:
    """Return the wijk codes of the member's organisation's buurt."""
    if ctx.member is None:
        return set()
    return set(buurt.list_wijken(ctx.session, ctx.member.organisation_id))


# A track point this close in time says where something sent during a walk was made.
LOCATE_WITHIN = timedelta(minutes=10)


def track_place(ctx: StepContext, walk_id: int, when: datetime) -> Place | None:
    """Return where a walk's live track was near a moment, if it has a point close enough."""
    point = walks_db.nearest_point(ctx.session, walk_id, when, LOCATE_WITHIN)
    if point is None:
        return None
    return place_at(ctx, Point(point.lat, point.lon, point.accuracy_m), "track")


def walk_place(ctx: StepContext, when: datetime) -> Place | None:
    """Return where the member's open walk's live track was near a moment."""
    if ctx.member is None:
        return None
    walk = walks_db.open_walk(ctx.session, ctx.member.id)
    return track_place(ctx, walk.id, when) if walk is not None else None


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


def buurt_centre(ctx: StepContext) -> tuple[float, float] | None:
    """Return the mean of the label points of the organisation's buurt wijken, if any."""
    gazetteer = get_gazetteer()
    labels = [w.label for w in map(gazetteer.wijk, sorted(buurt_wijken(ctx))) if w is not None]
    if not labels:
        return None
    return (
        sum(lat for lat, _ in labels) / len(labels),
        sum(lon for _, lon in labels) / len(labels),
    )


# The locale each language's numbers are written in (decimal comma in Brussels).
NUMBER_LOCALES = {"nl": "nl_BE", "fr": "fr_BE", "en": "en_GB"}


def format_km(metres: float, language: str) -> str:
    """Return a distance in kilometres with one decimal, written the reader's way ("0,3")."""
    locale = NUMBER_LOCALES.get(language, "nl_BE")
    return format_decimal(metres / 1000, format="#,##0.0", locale=locale)


def went_elsewhere(
    place: Place | None,
    shown: object,
    reference: tuple[tuple[float, float], str] | None,
    language: str,
    keys: tuple[str, str, str],
) -> tuple[int | None, str | None, Reply]:
    """Measure how far people went instead (when both points are known) and say it.

    `keys` are the flow's (with distance, without distance, "from_" prefix) message keys.
    Returns the distance in metres and where it runs from, for the draft, and the reply that
    notes the place.
    """
    with_km, without_km, from_prefix = keys
    if place is None or reference is None:
        return None, None, Reply(without_km, {"place": shown}, remove_keyboard=True)
    point, origin = reference
    metres = distance_m(point, (place.lat, place.lon))
    noted = Reply(
        with_km,
        {
            "place": shown,
            "km": format_km(metres, language),
            "reference": Text(from_prefix + origin),
        },
        remove_keyboard=True,
    )
    return round(metres), origin, noted
