"""The buurtkaart: places that matter to people in the period, on one map.

Drawn as numbered markers: where encounters happened (with the places the person named),
where people go instead of something missing, and where key persons were met. Diaries add
only counts per wijk (where diarists went for what they needed), never a person's point.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import geo
from reports import svg
from reports.model import MapPoint
from reports.round.model import Buurtkaart, Period, Place, WijkCount
from reports.sections.common import clip, tally
from reports.sections.missing import goes_somewhere
from storage.kinds import DIARY_ENTRY, ENCOUNTER, KEY_PERSON, MISSING

# Markers drawn at most (the most recent); a longer round lists the rest as a count.
MAX_PLACES = 250
MAP_TEXT = 120
# What each place kind is drawn as (a kind of storage.kinds, for its colour and shape).
DRAWN_AS = {"meeting": ENCOUNTER, "instead": MISSING, "key_person": KEY_PERSON}


def _places(period: Period) -> list[tuple[float, float, str, str | None, int, int | None]]:
    """Return (lat, lon, place kind, text, observation id, wijk) of every place, oldest first."""
    found: list[tuple[float, float, str, str | None, int, int | None]] = []
    for o in period.observations:
        details = o.details
        if o.kind == ENCOUNTER and o.lat is not None and o.lon is not None:
            found.append((o.lat, o.lon, "meeting", details.get("places"), o.id, o.wijk_code))
        elif o.kind == KEY_PERSON and o.lat is not None and o.lon is not None:
            text = details.get("place_text") or details.get("network") or o.text
            found.append((o.lat, o.lon, "key_person", text, o.id, o.wijk_code))
        elif o.kind == MISSING and goes_somewhere(details):
            lat, lon = details.get("alternative_lat"), details.get("alternative_lon")
            if isinstance(lat, int | float) and isinstance(lon, int | float):
                text = details.get("alternative")
                found.append((float(lat), float(lon), "instead", text, o.id, None))
    return found


def _diary_wijken(period: Period) -> tuple[WijkCount, ...]:
    """Count where diarists went instead, per wijk (a diary is never a point)."""
    counts: Counter[int] = Counter()
    for o in period.observations:
        code = o.details.get("where_wijk")
        if o.kind == DIARY_ENTRY and isinstance(code, int) and not isinstance(code, bool):
            counts[code] += 1
    result = []
    for code, count in counts.most_common():
        wijk = geo.wijk(code)
        if wijk is None:
            continue
        lat, lon = wijk.label
        result.append(WijkCount(code, wijk.name(period.language), count, lat, lon))
    return tuple(result)


def build(period: Period, built: Mapping[str, Any]) -> Buurtkaart:
    """Frame the buurt with the period's places that matter, numbered as in the list."""
    every = _places(period)[-MAX_PLACES:]
    places = tuple(
        Place(number, kind, clip(text, 160), period.wijk(wijk), observation_id)
        for number, (_, _, kind, text, observation_id, wijk) in enumerate(every, start=1)
    )
    points = [
        MapPoint(lat, lon, DRAWN_AS[kind], clip(text, MAP_TEXT), number)
        for number, (lat, lon, kind, text, _, _) in enumerate(every, start=1)
    ]
    named = tally(
        (
            o.details.get("places")
            for o in period.observations
            if o.kind == ENCOUNTER and o.details.get("places")
        ),
        10,
    )
    diary = _diary_wijken(period)
    extra = [MapPoint(w.lat, w.lon, DIARY_ENTRY) for w in diary]
    # Every buurt wijk is drawn plain: unvisited shading belongs to the weekly picture.
    frame = svg.frame_map(
        period.buurt, [*points, *extra], 0, (), period.language, frozenset(period.buurt)
    )
    if frame is not None:
        drawn = {p.number for p in frame.points}
        frame = replace(
            frame,
            points=tuple(p for p in frame.points if p.number),
            outside=sum(1 for p in points if p.number not in drawn),
        )
    return Buurtkaart(
        map=frame,
        places=places,
        named=named,
        diary_wijken=diary,
    )
