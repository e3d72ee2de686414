"""Inline SVG for the weekly picture: the map of the buurt (framed here) and simple bar charts.

No tile server: everything is drawn from the packaged wijk outlines and the week's own points,
so the file works offline, on a phone and on paper. Every text that goes into the SVG is
escaped here; callers pass translated labels as plain strings.

The map uses a local equirectangular projection: x = lon * cos(lat0), y = -lat, scaled to a
viewBox WIDTH units wide (lat0 is the middle of the frame). Over a few kilometres its distortion
is far below what a phone screen shows, and north stays up. WIDTH is about the CSS width of the
map on a 390 px phone, so a font size in viewBox units is about the same in CSS pixels there:
chart text is at least 12.5 units.

Markers carry the number of their observation in the list and link to it (`#o<number>`), so
a tap on a marker works without any script; markers on the same spot are spread around it, and
a crowd of them becomes one badge with the count.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

import geo
from reports.model import MapArea, MapData, MapPoint
from storage.kinds import KINDS, kind_of

WIDTH = 360.0
MIN_ASPECT = 0.6  # height / width
MAX_ASPECT = 1.3
METRES_PER_DEGREE = 111_320.0
# Data this close outside the buurt (as a share of its size) is still framed on the map.
MAP_MARGIN = 0.08
MIN_MAP_SPAN_DEG = 0.004  # about 300 m: a single point still gets a readable frame
# Markers closer than this (viewBox units) share a spot: spread, or one badge past SPREAD_MAX.
SPOT = 20.0
SPREAD_MAX = 6
TEXT = 13  # the smallest chart text, in viewBox units (about CSS px on a phone)

KIND_COLOURS = {kind.name: kind.colour for kind in KINDS if kind.on_map}
THIS_WEEK = "#2f6f8f"
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'
HALO = 'stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'
AREA_STYLE = {
    "nb": 'fill="#f3f2ee" stroke="#a8a29a" stroke-width="0.8" fill-rule="evenodd"',
    "own": 'fill="#fdf0c8" stroke="#9a5b13" stroke-width="1.8" fill-rule="evenodd"',
    "unvisited": 'fill="url(#unvisited)" stroke="#9a5b13" stroke-width="1.8" fill-rule="evenodd"',
}
TRACK_COLOUR = "#1f6feb"
TRACK_STYLE = (
    f'fill="none" stroke="{TRACK_COLOUR}" stroke-width="2.4" stroke-opacity="0.75" '
    'stroke-linejoin="round" stroke-linecap="round"'
)
LABEL_STYLE = {
    "nbl": f'{FONT} {HALO} font-size="{TEXT}" font-style="italic" fill="#57606a" '
    'text-anchor="middle"',
    "ownl": f'{FONT} {HALO} font-size="{TEXT + 1}" font-weight="700" fill="#24292f" '
    'text-anchor="middle"',
}
LAST_WEEK = "#b9c2c9"
COUNT_COLOUR = "#a371f7"
UNVISITED_PATTERN = (
    '<defs><pattern id="unvisited" width="7" height="7" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="7" height="7" fill="#fdf0c8"/>'
    '<path d="M0 0V7" stroke="#c9a36b" stroke-width="2.2"/></pattern></defs>'
)


# -- framing ------------------------------------------------------------------------------


Frame = tuple[float, float, float, float]


def _bounds(points: Iterable[tuple[float, float]]) -> Frame | None:
    """Return (west, south, east, north) of (lat, lon) points, or None."""
    lats: list[float] = []
    lons: list[float] = []
    for lat, lon in points:
        lats.append(lat)
        lons.append(lon)
    if not lats:
        return None
    return min(lons), min(lats), max(lons), max(lats)


def _grow(frame: Frame, share: float, minimum: float = MIN_MAP_SPAN_DEG) -> Frame:
    west, south, east, north = frame
    dx = max(east - west, minimum) * (1 + 2 * share)
    dy = max(north - south, minimum) * (1 + 2 * share)
    cx, cy = (west + east) / 2, (south + north) / 2
    return cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2


def inside(frame: Frame, lat: float, lon: float) -> bool:
    """Say whether a point lies in a frame."""
    west, south, east, north = frame
    return west <= lon <= east and south <= lat <= north


def _overlaps(frame: Frame, bounds: Sequence[float]) -> bool:
    west, south, east, north = frame
    minx, miny, maxx, maxy = bounds
    return minx <= east and maxx >= west and miny <= north and maxy >= south


def rings(geometry: Any) -> tuple[tuple[tuple[float, float], ...], ...]:
    """Return every ring (outer and holes) of a (multi)polygon as (lon, lat) tuples."""
    polygons = getattr(geometry, "geoms", [geometry])
    found: list[tuple[tuple[float, float], ...]] = []
    for polygon in polygons:
        for ring in (polygon.exterior, *polygon.interiors):
            found.append(tuple((float(x), float(y)) for x, y in ring.coords))
    return tuple(found)


def frame_map(
    buurt: Sequence[int],
    points: Sequence[MapPoint],
    unlocated: int,
    tracks: Sequence[Sequence[tuple[float, float]]],
    language: str,
    visited: set[int] | frozenset[int] = frozenset(),
) -> MapData | None:
    """Frame the buurt (plus the week's data near it), or the data alone without a buurt.

    Points beyond the frame are counted as outside; a buurt wijk not in `visited` is shaded.
    Returns None when there is neither a buurt nor anything located.
    """
    week_tracks = [list(t) for t in tracks if len(t) > 1]
    data_points = [(p.lat, p.lon) for p in points] + [p for t in week_tracks for p in t]
    buurt_wijken = [w for w in (geo.wijk(code) for code in buurt) if w is not None]
    if buurt_wijken:
        neighbour_codes = sorted(geo.neighbours([w.code for w in buurt_wijken]))
        neighbour_wijken = [w for w in map(geo.wijk, neighbour_codes) if w is not None]
        own = _bounds((y, x) for w in buurt_wijken for ring in rings(w.geometry) for x, y in ring)
        assert own is not None
        reach = _grow(
            _bounds(
                (y, x)
                for w in (*buurt_wijken, *neighbour_wijken)
                for ring in rings(w.geometry)
                for x, y in ring
            )
            or own,
            0.0,
        )
        near = [p for p in data_points if inside(reach, *p)]
        frame = _grow(_bounds([*near, (own[1], own[0]), (own[3], own[2])]) or own, MAP_MARGIN)
        areas = [*buurt_wijken, *neighbour_wijken]
    else:
        extent = _bounds(data_points)
        if extent is None:
            return None
        frame = _grow(extent, MAP_MARGIN)
        areas = [w for w in geo.wijken() if _overlaps(frame, w.geometry.bounds)]
    own_codes = {w.code for w in buurt_wijken}
    map_areas = tuple(
        MapArea(
            code=w.code,
            name=w.name(language),
            in_buurt=w.code in own_codes,
            rings=rings(w.geometry),
            label=w.label,
            visited=w.code not in own_codes or w.code in visited,
        )
        for w in areas
        if _overlaps(frame, w.geometry.bounds)
    )
    shown = tuple(p for p in points if inside(frame, p.lat, p.lon))
    shown_tracks = tuple(
        tuple(track) for track in week_tracks if any(inside(frame, *p) for p in track)
    )
    return MapData(
        frame=frame,
        areas=map_areas,
        tracks=shown_tracks,
        points=shown,
        outside=len(points) - len(shown),
        unlocated=unlocated,
    )


# -- drawing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Projection:
    """Lon/lat to viewBox units for one map frame (west, south, east, north)."""

    west: float
    north: float
    kx: float
    scale: float
    width: float
    height: float

    @classmethod
    def fit(cls, frame: Frame, width: float = WIDTH) -> Projection:
        """Fit a frame into the width, widening it so the aspect stays between the bounds."""
        west, south, east, north = frame
        kx = math.cos(math.radians((south + north) / 2))
        span_x = max((east - west) * kx, 1e-9)
        span_y = max(north - south, 1e-9)
        if span_y / span_x > MAX_ASPECT:
            grow = (span_y / MAX_ASPECT - span_x) / kx / 2
            west, east = west - grow, east + grow
            span_x = span_y / MAX_ASPECT
        elif span_y / span_x < MIN_ASPECT:
            grow = (span_x * MIN_ASPECT - span_y) / 2
            south, north = south - grow, north + grow
            span_y = span_x * MIN_ASPECT
        scale = width / span_x
        return cls(west, north, kx, scale, width, span_y * scale)

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        """Return the viewBox position of a point."""
        return (lon - self.west) * self.kx * self.scale, (self.north - lat) * self.scale

    def metres_per_unit(self) -> float:
        """Return how many metres one viewBox unit spans (east-west)."""
        return METRES_PER_DEGREE / self.scale


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _thin(points: Iterable[tuple[float, float]], step: float) -> list[tuple[float, float]]:
    """Drop points closer than `step` units to the last one kept (the last point stays)."""
    kept: list[tuple[float, float]] = []
    last: tuple[float, float] | None = None
    pending: tuple[float, float] | None = None
    for point in points:
        if last is None or math.dist(point, last) >= step:
            kept.append(point)
            last = point
            pending = None
        else:
            pending = point
    if pending is not None:
        kept.append(pending)
    return kept


def _path(points: Sequence[tuple[float, float]], close: bool) -> str:
    if not points:
        return ""
    head, *rest = points
    parts = [f"M{_num(head[0])} {_num(head[1])}"]
    parts.extend(f"L{_num(x)} {_num(y)}" for x, y in rest)
    if close:
        parts.append("Z")
    return "".join(parts)


def _corners(shape: str, x: float, y: float, size: float) -> list[tuple[float, float]]:
    if shape == "square":
        s = size * 0.85
        return [(x - s, y - s), (x + s, y - s), (x + s, y + s), (x - s, y + s)]
    if shape == "diamond":
        s = size * 1.25
        return [(x, y - s), (x + s, y), (x, y + s), (x - s, y)]
    if shape == "triangle":
        s = size * 1.2
        return [(x, y - s), (x + s, y + s * 0.8), (x - s, y + s * 0.8)]
    return []


def symbol(kind: str, x: float, y: float, size: float = 5.0, title: str | None = None) -> str:
    """Return the SVG shape of an observation kind at a position (shape and colour differ)."""
    drawn = kind_of(kind)
    common = f'fill="{drawn.colour}" stroke="#fff" stroke-width="1.2"'
    corners = _corners(drawn.shape, x, y, size)
    if corners:
        tag, shape = "path", f'<path d="{_path(corners, True)}" {common}'
    else:
        tag = "circle"
        shape = f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(size * 0.9)}" {common}'
    if not title:
        return f"{shape}/>"
    return f"{shape}><title>{escape(title)}</title></{tag}>"


def legend_symbol(kind: str) -> Markup:
    """Return a small standalone SVG of a kind's symbol, for the legend under the map."""
    return Markup(
        '<svg class="sym" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">'
        f"{symbol(kind, 8, 8, 5)}</svg>"
    )


def walk_end_symbol(end: bool) -> str:
    """Return the start (open circle) or end (filled square) of a walk, for the legend."""
    if end:
        return f'<rect x="3" y="3" width="10" height="10" fill="#24292f" stroke="{TRACK_COLOUR}"/>'
    return f'<circle cx="8" cy="8" r="5" fill="#fff" stroke="{TRACK_COLOUR}" stroke-width="2.5"/>'


def legend_walk(end: bool) -> Markup:
    """Return the legend symbol of a walk's start or end."""
    return Markup(
        '<svg class="sym" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">'
        f"{walk_end_symbol(end)}</svg>"
    )


def _marker(point: MapPoint, x: float, y: float) -> str:
    """Return a numbered marker in the kind's colour and shape, linking to its list entry."""
    digits = len(str(point.number))
    size = 10.5 + 3.2 * max(digits - 2, 0)
    drawn = kind_of(point.kind)
    body = symbol(point.kind, x, y, size * 1.15 if drawn.shape == "triangle" else size)
    body = body.replace('stroke-width="1.2"', 'stroke-width="1.5"')
    ty = y + (4.5 if drawn.shape == "triangle" else 0)
    label = f"{point.number}. {point.text}" if point.text else str(point.number)
    font = TEXT if digits < 3 else TEXT - 0.5
    return (
        f'<a href="#o{point.number}" class="mk" data-n="{point.number}">'
        f"<title>{escape(label)}</title>{body}"
        f'<text x="{_num(x)}" y="{_num(ty)}" dy="0.35em" {FONT} font-size="{font}" '
        f'font-weight="700" fill="#fff" text-anchor="middle">{point.number}</text></a>'
    )


def _badge(points: Sequence[MapPoint], x: float, y: float, label: str) -> str:
    """Return one badge for a crowded spot: the count, linking to the first entry."""
    numbers = " ".join(str(p.number) for p in points)
    count = str(len(points))
    radius = 11 + 2.5 * max(len(count) - 1, 0)
    return (
        f'<a href="#o{points[0].number}" class="mk badge" data-n="{numbers}">'
        f"<title>{escape(label)}</title>"
        f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(radius + 3)}" fill="#24292f" '
        'fill-opacity="0.25"/>'
        f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(radius)}" fill="#24292f" '
        'stroke="#fff" stroke-width="1.5"/>'
        f'<text x="{_num(x)}" y="{_num(y)}" dy="0.35em" {FONT} font-size="{TEXT}" '
        f'font-weight="700" fill="#fff" text-anchor="middle">{count}</text></a>'
    )


def _spots(
    points: Sequence[MapPoint], projection: Projection
) -> list[tuple[float, float, list[MapPoint]]]:
    """Group markers that would overlap: by a grid of SPOT units, in number order."""
    cells: dict[tuple[int, int], list[tuple[float, float, MapPoint]]] = {}
    for point in sorted(points, key=lambda p: p.number):
        x, y = projection.xy(point.lat, point.lon)
        cells.setdefault((int(x // SPOT), int(y // SPOT)), []).append((x, y, point))
    spots = []
    for members in cells.values():
        cx = sum(m[0] for m in members) / len(members)
        cy = sum(m[1] for m in members) / len(members)
        spots.append((cx, cy, [m[2] for m in members]))
    return spots


def _markers(points: Sequence[MapPoint], projection: Projection, crowd: str) -> list[str]:
    """Draw each spot: one marker, markers spread around it, or a badge with the count."""
    parts: list[str] = []
    for cx, cy, members in _spots(points, projection):
        if len(members) == 1:
            point = members[0]
            parts.append(_marker(point, *projection.xy(point.lat, point.lon)))
        elif len(members) <= SPREAD_MAX:
            radius = 13.0 if len(members) == 2 else 19.0
            legs: list[str] = []
            drawn: list[str] = []
            for index, point in enumerate(members):
                angle = -math.pi / 2 + 2 * math.pi * index / len(members)
                x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
                legs.append(f"M{_num(cx)} {_num(cy)}L{_num(x)} {_num(y)}")
                drawn.append(_marker(point, x, y))
            parts.append(
                f'<path d="{"".join(legs)}" stroke="#24292f" stroke-width="1" fill="none"/>'
                f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="2.5" fill="#24292f"/>'
            )
            parts.extend(drawn)
        else:
            numbers = ", ".join(str(p.number) for p in members[:12])
            more = " …" if len(members) > 12 else ""
            parts.append(_badge(members, cx, cy, f"{crowd} {numbers}{more}"))
    return parts


def _scale_bar(projection: Projection, label_of: Any) -> str:
    """Return a scale bar of a round length, about a quarter of the map wide."""
    per_unit = projection.metres_per_unit()
    target = projection.width / 4 * per_unit
    length = next(
        (m for m in (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000) if m >= target * 0.6),
        10000,
    )
    units = length / per_unit
    x, y = 10.0, projection.height - 10
    label = label_of(length)
    return (
        f'<g class="scale"><path d="M{_num(x)} {_num(y - 4)}V{_num(y)}H{_num(x + units)}'
        f'V{_num(y - 4)}" fill="none" stroke="#24292f" stroke-width="1.5"/>'
        f'<text x="{_num(x + units + 4)}" y="{_num(y)}" {FONT} {HALO} font-size="{TEXT}" '
        f'fill="#24292f">{escape(label)}</text></g>'
    )


def _count_circle(x: float, y: float, count: int, label: str) -> str:
    """Return a shaded circle with a count, sized by it (an aggregate, not a point)."""
    radius = min(9 + 3 * math.sqrt(count), 26)
    return (
        f'<g class="agg"><title>{escape(label)}</title>'
        f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(radius)}" fill="{COUNT_COLOUR}" '
        'fill-opacity="0.35" stroke="#6e40c9" stroke-width="1"/>'
        f'<text x="{_num(x)}" y="{_num(y)}" dy="0.35em" {FONT} {HALO} font-size="{TEXT}" '
        f'font-weight="700" fill="#3c1e70" text-anchor="middle">{count}</text></g>'
    )


def count_symbol() -> Markup:
    """Return the legend symbol of a count circle."""
    return Markup(
        '<svg class="sym" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">'
        f'<circle cx="8" cy="8" r="6.5" fill="{COUNT_COLOUR}" fill-opacity="0.35" '
        'stroke="#6e40c9"/></svg>'
    )


def sparkline(values: Sequence[float], title: str, labels: Sequence[str]) -> Markup:
    """Return a small bar chart of one count per week (each bar titled with its label)."""
    width, height, gap = 120.0, 34.0, 2.0
    top = max(values, default=0) or 1
    step = width / max(len(values), 1)
    bars = []
    for index, value in enumerate(values):
        h = max(height * value / top, 1.0 if value else 0.0)
        x = index * step + gap / 2
        label = labels[index] if index < len(labels) else ""
        bars.append(
            f'<rect x="{_num(x)}" y="{_num(height - h)}" width="{_num(step - gap)}" '
            f'height="{_num(h)}" fill="{THIS_WEEK}"><title>{escape(label)}</title></rect>'
        )
    baseline = f'<path d="M0 {_num(height)}H{_num(width)}" stroke="#8c959f" stroke-width="1"/>'
    return Markup(
        f'<svg class="spark" viewBox="0 0 {_num(width)} {_num(height + 1)}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(bars)}'
        f"{baseline}</svg>"
    )


def _metres(length: int) -> str:
    return f"{length // 1000} km" if length >= 1000 else f"{length} m"


def map_svg(
    data: MapData,
    title: str,
    crowd: str = "",
    scale_label: Any = _metres,
    counts: Sequence[tuple[float, float, int, str]] = (),
) -> Markup:
    """Return the map: wijken outlined and named (unvisited buurt wijken shaded), walk tracks
    with their start and end, and the week's observations as numbered markers.

    `crowd` starts the title of a badge ("Observations" -> "Observations 3, 7, 9");
    `scale_label` writes the scale bar's length (metres) in the reader's language. `counts`
    are (lat, lon, count, title) drawn as shaded circles with their count: places counted per
    area (a diary's places), never anyone's own point.
    """
    projection = Projection.fit(data.frame)
    step = 0.6
    parts: list[str] = []
    neighbours = [a for a in data.areas if not a.in_buurt]
    own = [a for a in data.areas if a.in_buurt]
    for group, css in ((neighbours, "nb"), (own, "own")):
        for area in group:
            d = "".join(
                _path(_thin((projection.xy(lat, lon) for lon, lat in ring), step), True)
                for ring in area.rings
            )
            style = AREA_STYLE["unvisited" if css == "own" and not area.visited else css]
            parts.append(f'<path d="{d}" {style}/>')
    ends: list[str] = []
    for track in data.tracks:
        points = _thin((projection.xy(lat, lon) for lat, lon in track), 1.0)
        if len(points) > 1:
            parts.append(f'<path d="{_path(points, False)}" {TRACK_STYLE}/>')
            (sx, sy), (ex, ey) = points[0], points[-1]
            ends.append(
                f'<circle cx="{_num(sx)}" cy="{_num(sy)}" r="5" fill="#fff" '
                f'stroke="{TRACK_COLOUR}" stroke-width="2.5"/>'
                f'<rect x="{_num(ex - 4.5)}" y="{_num(ey - 4.5)}" width="9" height="9" '
                f'fill="#24292f" stroke="{TRACK_COLOUR}" stroke-width="1.5"/>'
            )
    parts.extend(ends)
    for group, css in ((neighbours, "nbl"), (own, "ownl")):
        for area in group:
            x, y = projection.xy(*area.label)
            half = len(area.name) * (TEXT + 1) * 0.3  # about half the label's width
            if half + 2 <= x <= projection.width - half - 2 and 14 <= y <= projection.height - 8:
                name = escape(area.name)
                parts.append(f'<text x="{_num(x)}" y="{_num(y)}" {LABEL_STYLE[css]}>{name}</text>')
    for lat, lon, count, label in counts:
        parts.append(_count_circle(*projection.xy(lat, lon), count, label))
    parts.extend(_markers(data.points, projection, crowd))
    parts.append(_scale_bar(projection, scale_label))
    height = _num(projection.height)
    return Markup(
        f'<svg class="map" id="map-svg" viewBox="0 0 {_num(WIDTH)} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet" '
        f'style="overflow:hidden">'
        f"<title>{escape(title)}</title>{UNVISITED_PATTERN}"
        f'<rect width="{_num(WIDTH)}" height="{height}" fill="#fbfbfa"/>'
        f"{''.join(parts)}</svg>"
    )


@dataclass(frozen=True)
class Bar:
    """One bar: its label, this week's value and last week's (None: no comparison)."""

    label: str
    value: float
    previous: float | None = None
    shown: str | None = None


def bar_chart(bars: Sequence[Bar], title: str) -> Markup:
    """Return horizontal bars with their label above: readable at 360 px, printable in grey."""
    top = max([b.value for b in bars] + [b.previous or 0 for b in bars] + [1])
    row = 36.0
    label_width = WIDTH - 44
    parts: list[str] = []
    for index, bar in enumerate(bars):
        y = index * row
        width = label_width * bar.value / top
        parts.append(
            f'<text x="0" y="{_num(y + 13)}" {FONT} font-size="{TEXT}" fill="#24292f">'
            f"{escape(bar.label)}</text>"
        )
        parts.append(
            f'<rect x="0" y="{_num(y + 18)}" width="{_num(max(width, 1.5))}" height="10" '
            f'rx="2" fill="{THIS_WEEK}"/>'
        )
        shown = bar.shown if bar.shown is not None else _num(bar.value)
        parts.append(
            f'<text x="{_num(width + 5)}" y="{_num(y + 28)}" {FONT} font-size="{TEXT}" '
            f'font-weight="700" fill="#24292f">{escape(shown)}</text>'
        )
        if bar.previous is not None:
            previous = label_width * bar.previous / top
            parts.append(
                f'<rect x="0" y="{_num(y + 30)}" width="{_num(max(previous, 1.5))}" height="3" '
                f'fill="{LAST_WEEK}"/>'
            )
    height = _num(max(len(bars), 1) * row)
    return Markup(
        f'<svg class="bars" viewBox="0 0 {_num(WIDTH)} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f"{''.join(parts)}</svg>"
    )


def share_bar(parts: Sequence[tuple[str, int, str, str]], title: str) -> Markup:
    """Return one bar split into shares (label, count, colour, percentage as written)."""
    total = sum(count for _, count, _, _ in parts) or 1
    x = 0.0
    pieces: list[str] = []
    for label, count, colour, shown in parts:
        if count <= 0:
            continue
        width = WIDTH * count / total
        pieces.append(
            f'<rect x="{_num(x)}" y="0" width="{_num(width)}" height="28" fill="{colour}">'
            f"<title>{escape(label)}</title></rect>"
        )
        if width >= 40:
            pieces.append(
                f'<text x="{_num(x + width / 2)}" y="19" {FONT} font-size="{TEXT}" '
                f'font-weight="700" fill="#fff" text-anchor="middle">{escape(shown)}</text>'
            )
        x += width
    return Markup(
        f'<svg class="share" viewBox="0 0 {_num(WIDTH)} 28" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f"{''.join(pieces)}</svg>"
    )


__all__ = [
    "Bar",
    "KIND_COLOURS",
    "Projection",
    "bar_chart",
    "frame_map",
    "inside",
    "legend_symbol",
    "legend_walk",
    "map_svg",
    "rings",
    "share_bar",
    "symbol",
]
