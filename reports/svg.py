"""Inline SVG for the weekly picture: the map of the buurt and simple bar charts.

No tile server and no script: everything is drawn from the packaged wijk outlines and the
week's own points, so the file works offline, on a phone and on paper. Every text that goes
into the SVG is escaped here; callers pass translated labels as plain strings.

The map uses a local equirectangular projection: x = lon * cos(lat0), y = -lat, scaled to a
viewBox WIDTH units wide (lat0 is the middle of the frame). Over a few kilometres its distortion
is far below what a phone screen shows, and north stays up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from reports.digest import MapData
from storage.kinds import KINDS, kind_of

WIDTH = 400.0
MIN_ASPECT = 0.6  # height / width
MAX_ASPECT = 1.3
METRES_PER_DEGREE = 111_320.0

KIND_COLOURS = {kind.name: kind.colour for kind in KINDS if kind.on_map}
THIS_WEEK = "#2f6f8f"
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'
HALO = 'stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'
AREA_STYLE = {
    "nb": 'fill="#f3f2ee" stroke="#a8a29a" stroke-width="0.8" fill-rule="evenodd"',
    "own": 'fill="#fdf0c8" stroke="#9a5b13" stroke-width="1.8" fill-rule="evenodd"',
}
TRACK_STYLE = (
    'fill="none" stroke="#1f6feb" stroke-width="2.4" stroke-opacity="0.75" '
    'stroke-linejoin="round" stroke-linecap="round"'
)
LABEL_STYLE = {
    "nbl": f'{FONT} {HALO} font-size="9" font-style="italic" fill="#6e7781" text-anchor="middle"',
    "ownl": f'{FONT} {HALO} font-size="11" font-weight="700" fill="#24292f" text-anchor="middle"',
}
LAST_WEEK = "#b9c2c9"


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
    def fit(cls, frame: tuple[float, float, float, float], width: float = WIDTH) -> Projection:
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


def symbol(kind: str, x: float, y: float, size: float = 5.0, title: str | None = None) -> str:
    """Return the SVG shape of an observation kind at a position (shape and colour differ).

    A title (the observation's text, escaped) shows as a tooltip where the viewer has them.
    """
    drawn = kind_of(kind)
    common = f'fill="{drawn.colour}" stroke="#fff" stroke-width="1.2"'
    if drawn.shape == "square":
        s = size * 0.85
        corners = [(x - s, y - s), (x + s, y - s), (x + s, y + s), (x - s, y + s)]
    elif drawn.shape == "diamond":
        s = size * 1.25
        corners = [(x, y - s), (x + s, y), (x, y + s), (x - s, y)]
    elif drawn.shape == "triangle":
        s = size * 1.2
        corners = [(x, y - s), (x + s, y + s * 0.8), (x - s, y + s * 0.8)]
    else:
        corners = []
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


def _scale_bar(projection: Projection) -> str:
    """Return a scale bar of a round length, about a quarter of the map wide."""
    per_unit = projection.metres_per_unit()
    target = projection.width / 4 * per_unit
    length = next(
        (m for m in (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000) if m >= target * 0.6),
        10000,
    )
    units = length / per_unit
    x, y = 10.0, projection.height - 10
    label = f"{length // 1000} km" if length >= 1000 else f"{length} m"
    return (
        f'<g class="scale"><path d="M{_num(x)} {_num(y - 4)}V{_num(y)}H{_num(x + units)}'
        f'V{_num(y - 4)}" fill="none" stroke="#24292f" stroke-width="1.5"/>'
        f'<text x="{_num(x + units + 4)}" y="{_num(y)}" {FONT} font-size="10" fill="#24292f">'
        f"{escape(label)}</text></g>"
    )


def map_svg(data: MapData, title: str) -> Markup:
    """Return the map: wijken outlined and named, walk tracks, observations by kind."""
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
            parts.append(f'<path d="{d}" {AREA_STYLE[css]}/>')
    for track in data.tracks:
        points = _thin((projection.xy(lat, lon) for lat, lon in track), 1.0)
        if len(points) > 1:
            parts.append(f'<path d="{_path(points, False)}" {TRACK_STYLE}/>')
    for point in sorted(data.points, key=lambda p: kind_of(p.kind).layer):
        parts.append(symbol(point.kind, *projection.xy(point.lat, point.lon), title=point.text))
    for group, css in ((neighbours, "nbl"), (own, "ownl")):
        for area in group:
            x, y = projection.xy(*area.label)
            if 8 <= x <= projection.width - 8 and 10 <= y <= projection.height - 6:
                name = escape(area.name)
                parts.append(f'<text x="{_num(x)}" y="{_num(y)}" {LABEL_STYLE[css]}>{name}</text>')
    parts.append(_scale_bar(projection))
    height = _num(projection.height)
    return Markup(
        f'<svg class="map" viewBox="0 0 {_num(WIDTH)} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet" '
        f'style="overflow:hidden">'
        f"<title>{escape(title)}</title>"
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
    row = 34.0
    label_width = WIDTH - 44
    parts: list[str] = []
    for index, bar in enumerate(bars):
        y = index * row
        width = label_width * bar.value / top
        parts.append(
            f'<text x="0" y="{_num(y + 12)}" {FONT} font-size="12" fill="#24292f">'
            f"{escape(bar.label)}</text>"
        )
        parts.append(
            f'<rect x="0" y="{_num(y + 16)}" width="{_num(max(width, 1.5))}" height="10" '
            f'rx="2" fill="{THIS_WEEK}"/>'
        )
        shown = bar.shown if bar.shown is not None else _num(bar.value)
        parts.append(
            f'<text x="{_num(width + 5)}" y="{_num(y + 25)}" {FONT} font-size="11" '
            f'font-weight="700" fill="#24292f">{escape(shown)}</text>'
        )
        if bar.previous is not None:
            previous = label_width * bar.previous / top
            parts.append(
                f'<rect x="0" y="{_num(y + 28)}" width="{_num(max(previous, 1.5))}" height="3" '
                f'fill="{LAST_WEEK}"/>'
            )
    height = _num(max(len(bars), 1) * row)
    return Markup(
        f'<svg class="bars" viewBox="0 0 {_num(WIDTH)} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f"{''.join(parts)}</svg>"
    )


def share_bar(parts: Sequence[tuple[str, int, str]], title: str) -> Markup:
    """Return one bar split into shares (label, count, colour), with percentages inside."""
    total = sum(count for _, count, _ in parts) or 1
    x = 0.0
    pieces: list[str] = []
    for label, count, colour in parts:
        if count <= 0:
            continue
        width = WIDTH * count / total
        pieces.append(
            f'<rect x="{_num(x)}" y="0" width="{_num(width)}" height="26" fill="{colour}">'
            f"<title>{escape(label)}</title></rect>"
        )
        share = round(100 * count / total)
        if width >= 34:
            pieces.append(
                f'<text x="{_num(x + width / 2)}" y="17" {FONT} font-size="12" font-weight="700" '
                f'fill="#fff" text-anchor="middle">{share}%</text>'
            )
        x += width
    return Markup(
        f'<svg class="share" viewBox="0 0 {_num(WIDTH)} 26" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f"{''.join(pieces)}</svg>"
    )


__all__ = ["Bar", "KIND_COLOURS", "Projection", "bar_chart", "legend_symbol", "map_svg", "symbol"]
