"""A walk's route as a PNG for the team's group: the track over the wijk outlines around it.

Telegram shows a PNG in the chat (an SVG only as a file), so the route is drawn with Pillow,
framed and projected the same way as the weekly picture's map (reports/svg.py). No tile
server: the packaged wijk outlines are the background. Only the line of the walk is drawn,
no notes: what was noted is in the feed's cards.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw

from reports.svg import TRACK_COLOUR, Projection, frame_map

WIDTH_PX = 720
AREA_FILL = (243, 242, 238)
AREA_LINE = (168, 162, 154)
START_COLOUR = (26, 127, 55)
END_COLOUR = (207, 34, 46)


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def draw_route(track: Sequence[tuple[float, float]], path: Path, language: str = "nl") -> bool:
    """Draw a track of (lat, lon) points to a PNG file; False when there is no line to draw."""
    points = [(lat, lon) for lat, lon in track]
    if len(points) < 2:
        return False
    framed = frame_map((), (), 0, [points], language)
    if framed is None:
        return False
    scale = WIDTH_PX / 360.0
    projection = Projection.fit(framed.frame)
    height = max(1, round(projection.height * scale))
    image = Image.new("RGB", (WIDTH_PX, height), (255, 255, 255))
    pen = ImageDraw.Draw(image)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        x, y = projection.xy(lat, lon)
        return x * scale, y * scale

    for area in framed.areas:
        for ring in area.rings:
            outline = [xy(lat, lon) for lon, lat in ring]
            if len(outline) > 2:
                pen.polygon(outline, fill=AREA_FILL, outline=AREA_LINE)
    line = [xy(lat, lon) for lat, lon in points]
    pen.line(line, fill=_rgb(TRACK_COLOUR), width=6, joint="curve")
    for (x, y), colour in ((line[0], START_COLOUR), (line[-1], END_COLOUR)):
        pen.ellipse((x - 9, y - 9, x + 9, y + 9), fill=colour, outline=(255, 255, 255), width=3)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", optimize=True)
    return True
