"""Enrich saved observations with a geocoder after the fact, so no step waits on the network.

Typed places the offline matcher did not know get a point; points get a street name. The
lookups run outside any transaction: first `lookups` reads what to ask, then the caller asks
the geocoder, then `apply` writes the answers in one short transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from flows.engine import Point, StepContext
from flows.places import place_at
from geo import GeocodeResult, distance_m
from storage.observations import get_observation, recent_observations, set_place
from storage.organisations import member_by_id

BATCH = 20
RECENT = 500


@dataclass(frozen=True)
class Lookup:
    """One question for the geocoder about one observation."""

    observation_id: int
    kind: str  # "place", "alternative" or "street"
    query: str = ""
    lat: float = 0.0
    lon: float = 0.0


def lookups(session: Session) -> list[Lookup]:
    """Return what the geocoder should be asked about recent observations."""
    rows = recent_observations(session, RECENT)
    found: list[Lookup] = []
    for o in rows:
        details = o.details or {}
        if details.get("geocoded"):
            pass
        elif o.lat is None and details.get("place_text"):
            found.append(Lookup(o.id, "place", query=str(details["place_text"])))
        elif (
            details.get("alternative_source") == "typed" and details.get("alternative_lat") is None
        ):
            found.append(Lookup(o.id, "alternative", query=str(details.get("alternative", ""))))
        if o.lat is not None and o.lon is not None and o.in_brussels and "street" not in details:
            found.append(Lookup(o.id, "street", lat=o.lat, lon=o.lon))
        if len(found) >= BATCH:
            break
    return found


def apply(ctx: StepContext, answers: list[tuple[Lookup, GeocodeResult | str | None]]) -> int:
    """Write the geocoder's answers; return how many observations gained something."""
    changed = 0
    for lookup, answer in answers:
        observation = get_observation(ctx.session, lookup.observation_id)
        if observation is None:
            continue
        details = dict(observation.details or {})
        if lookup.kind == "street":
            details["street"] = answer if isinstance(answer, str) else None
            changed += isinstance(answer, str)
        else:
            details["geocoded"] = True
            if isinstance(answer, GeocodeResult):
                member = (
                    member_by_id(ctx.session, observation.member_id)
                    if observation.member_id
                    else None
                )
                member_ctx = StepContext(ctx.session, ctx.now, ctx.config, member)
                place = place_at(member_ctx, Point(answer.lat, answer.lon), "geocoded")
                if lookup.kind == "place":
                    set_place(observation, place)
                else:
                    details.update(
                        alternative_lat=answer.lat,
                        alternative_lon=answer.lon,
                        alternative_wijk=place.wijk_code,
                    )
                    if observation.lat is not None and observation.lon is not None:
                        details["distance_m"] = round(
                            distance_m((observation.lat, observation.lon), (answer.lat, answer.lon))
                        )
                changed += 1
        observation.details = details
    return changed
