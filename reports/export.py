"""Exports of an organisation's observations and walk tracks: GeoJSON, CSV, XLSX, media zip.

`build_export` reads the database and returns an `ExportData` value made of plain dicts; the
writers turn that value into files. Nothing here knows Telegram or the command line.

Schema (see DESIGN.md, "Export schema"):

* GeoJSON (RFC 7946): a `FeatureCollection`, WGS84 `[lon, lat]`, no `crs` member. One
  `Feature` per observation (`geometry` a `Point`, or null without a location) and one
  `LineString` feature per walk with at least two track points (`kind: walk_track`,
  id `walk-<id>`). Feature ids are unique and equal to `properties.id`.
* CSV and XLSX: the same columns as the GeoJSON properties, with `lat` and `lon` instead of
  the geometry; lists are joined with ";". The walk tracks go to a second file
  (`<name>_tracks.csv`) or sheet (`walk_tracks`) with one row per track point.

Authors appear only as their pseudonym; member ids, chat ids, message ids and Telegram file
ids are never exported.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from geo import get_gazetteer, track_length_m
from storage import observations as obs
from storage import walks as walks_db
from storage.models import Observation, Organisation, Walk

FORMATS = ("geojson", "csv", "xlsx")
EXTENSIONS = {"geojson": ".geojson", "csv": ".csv", "xlsx": ".xlsx"}

# The common properties of an observation feature, in column order.
COMMON_PROPERTIES = (
    "id",
    "kind",
    "created_at",
    "author",
    "text",
    "theme",
    "accuracy_m",
    "location_source",
    "wijk",
    "wijk_name",
    "municipality",
    "municipality_nis",
    "in_brussels",
    "in_buurt",
    "walk_id",
    "follow_up_on",
    "media",
)
# CSV/XLSX columns before the kind-specific ones: the properties with lat/lon after the text.
COMMON_COLUMNS = (*COMMON_PROPERTIES[:6], "lat", "lon", *COMMON_PROPERTIES[6:])
TRACK_POINT_COLUMNS = ("walk_id", "recorded_at", "lat", "lon", "accuracy_m")
TRACK_PROPERTIES = (
    "id",
    "kind",
    "created_at",
    "author",
    "walk_id",
    "started_at",
    "ended_at",
    "distance_m",
    "focus",
    "points",
)
# Keys a kind's details may never contribute: they would identify people or Telegram objects.
# A key person's "contact" (phone, e-mail) stays in the bot: exports end up on shared maps.
PRIVATE_DETAIL_KEYS = frozenset(
    {
        "contact",
        "member_id",
        "chat_id",
        "message_id",
        "user_id",
        "telegram_user_id",
        "telegram_id",
        "username",
        "first_name",
        "last_name",
        "file_id",
        "file_unique_id",
    }
)
RESERVED_NAMES = frozenset({*COMMON_COLUMNS, "geometry", "type"})
COORDINATE_DIGITS = 6
# Spreadsheet programs run cells that start like a formula; CSV cells get a leading quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class UnknownOrganisation(LookupError):
    """There is no organisation with this id."""


@dataclass(frozen=True)
class ExportData:
    """Everything one export holds, as plain JSON-ready values.

    observations: GeoJSON Feature dicts, one per observation, oldest first.
    tracks: GeoJSON LineString Feature dicts, one per walk with at least two points.
    track_points: one dict per point of those tracks (the TRACK_POINT_COLUMNS).
    detail_columns: the kind-specific property names over all observations, in a stable
        order (by kind, then by name); CSV/XLSX columns are COMMON_COLUMNS + these.
    media_paths: the media files the observations refer to, relative to the media folder.
    start/end: the inclusive local dates asked for (None: unbounded), in `timezone`.
    """

    organisation_id: int
    organisation_name: str
    timezone: str
    start: date | None
    end: date | None
    observations: list[dict[str, Any]] = field(default_factory=list)
    tracks: list[dict[str, Any]] = field(default_factory=list)
    track_points: list[dict[str, Any]] = field(default_factory=list)
    detail_columns: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        """Return the CSV/XLSX columns of the observation table."""
        return [*COMMON_COLUMNS, *self.detail_columns]

    @property
    def media_paths(self) -> list[str]:
        """Return every referenced media path once, in order of appearance."""
        seen: dict[str, None] = {}
        for feature in self.observations:
            for path in feature["properties"]["media"]:
                seen.setdefault(path, None)
        return list(seen)

    @property
    def located(self) -> int:
        """Return how many observations have a position."""
        return sum(1 for feature in self.observations if feature["geometry"] is not None)

    @property
    def is_empty(self) -> bool:
        """Say whether there is nothing to export."""
        return not self.observations and not self.tracks

    def feature_collection(self) -> dict[str, Any]:
        """Return the GeoJSON FeatureCollection: observations first, then walk tracks."""
        return {"type": "FeatureCollection", "features": [*self.observations, *self.tracks]}

    def rows(self) -> Iterator[dict[str, Any]]:
        """Yield the observation table rows (lat/lon instead of geometry; lists kept)."""
        for feature in self.observations:
            geometry = feature["geometry"]
            lon, lat = geometry["coordinates"] if geometry else (None, None)
            row = {column: feature["properties"].get(column) for column in self.columns}
            row.update(lat=lat, lon=lon)
            yield row


def local_period(
    start: date | None, end: date | None, timezone: str
) -> tuple[datetime | None, datetime | None]:
    """Return the UTC bounds [from, until) of inclusive local dates."""
    zone = ZoneInfo(timezone)
    lower = datetime.combine(start, time(0), zone).astimezone(UTC) if start else None
    upper = (
        datetime.combine(end + timedelta(days=1), time(0), zone).astimezone(UTC) if end else None
    )
    return lower, upper


def _iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment else None


def _bilingual(name_fr: str, name_nl: str) -> str:
    """Return "fr / nl" as Brussels signs do, or the one name when both are the same."""
    return name_fr if name_fr == name_nl else f"{name_fr} / {name_nl}"


def _wijk_name(code: int | None) -> str | None:
    wijk = get_gazetteer().wijk(code) if code is not None else None
    return _bilingual(wijk.name_fr, wijk.name_nl) if wijk else None


def _municipality_name(nis: int | None) -> str | None:
    municipality = get_gazetteer().municipality(nis) if nis is not None else None
    return _bilingual(municipality.name_fr, municipality.name_nl) if municipality else None


def _rounded(value: float | None) -> float | None:
    return round(value, COORDINATE_DIGITS) if value is not None else None


def _detail_value(value: Any) -> Any:
    """Keep scalars and lists of scalars; nested objects become a JSON string."""
    if isinstance(value, list) and all(
        isinstance(item, str | int | float | bool) or item is None for item in value
    ):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _details(observation: Observation) -> dict[str, Any]:
    """Return the kind's own fields, never overwriting the common ones."""
    flat: dict[str, Any] = {}
    for key, value in sorted((observation.details or {}).items()):
        name = str(key)
        if name in PRIVATE_DETAIL_KEYS:
            continue
        if name in RESERVED_NAMES:
            name = f"detail_{name}"
        flat[name] = _detail_value(value)
    return flat


def observation_feature(observation: Observation, zone: ZoneInfo) -> dict[str, Any]:
    """Return the GeoJSON feature of one observation."""
    located = observation.lat is not None and observation.lon is not None
    geometry = (
        {"type": "Point", "coordinates": [_rounded(observation.lon), _rounded(observation.lat)]}
        if located
        else None
    )
    properties: dict[str, Any] = {
        "id": observation.id,
        "kind": observation.kind,
        "created_at": _iso(observation.created_at, zone),
        "author": observation.author,
        "text": observation.text,
        "theme": observation.theme,
        "accuracy_m": observation.accuracy_m,
        "location_source": observation.location_source,
        "wijk": observation.wijk_code,
        "wijk_name": _wijk_name(observation.wijk_code),
        "municipality": _municipality_name(observation.municipality_nis),
        "municipality_nis": observation.municipality_nis,
        "in_brussels": observation.in_brussels,
        "in_buurt": observation.in_buurt,
        "walk_id": observation.walk_id,
        "follow_up_on": observation.follow_up_on.isoformat() if observation.follow_up_on else None,
        "media": [media.path for media in observation.media if media.path],
    }
    properties.update(_details(observation))
    return {
        "type": "Feature",
        "id": observation.id,
        "geometry": geometry,
        "properties": properties,
    }


def track_feature(walk: Walk, zone: ZoneInfo) -> dict[str, Any]:
    """Return the GeoJSON LineString feature of a walk's track."""
    points = list(walk.points)
    distance = walk.distance_m
    if distance is None:
        distance = track_length_m([(point.lat, point.lon) for point in points])
    walk_key = f"walk-{walk.id}"
    return {
        "type": "Feature",
        "id": walk_key,
        "geometry": {
            "type": "LineString",
            "coordinates": [[_rounded(p.lon), _rounded(p.lat)] for p in points],
        },
        "properties": {
            "id": walk_key,
            "kind": "walk_track",
            "created_at": _iso(walk.started_at, zone),
            "author": walk.author,
            "walk_id": walk.id,
            "started_at": _iso(walk.started_at, zone),
            "ended_at": _iso(walk.ended_at, zone),
            "distance_m": round(distance, 1),
            "focus": walk.focus,
            "points": len(points),
        },
    }


def _detail_order(observations: list[dict[str, Any]]) -> list[str]:
    """Return the union of kind-specific names: by kind (KINDS order), then alphabetically."""
    by_kind: dict[str, set[str]] = {}
    for feature in observations:
        properties = feature["properties"]
        extra = set(properties) - set(COMMON_PROPERTIES)
        by_kind.setdefault(properties["kind"], set()).update(extra)
    order: list[str] = []
    for kind in (*obs.KINDS, *sorted(set(by_kind) - set(obs.KINDS))):
        for name in sorted(by_kind.get(kind, ())):
            if name not in order:
                order.append(name)
    return order


def build_export(
    session: Session,
    organisation_id: int,
    start: date | None = None,
    end: date | None = None,
    timezone: str = "Europe/Brussels",
) -> ExportData:
    """Read an organisation's observations and walk tracks between two inclusive local dates."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise UnknownOrganisation(f"there is no organisation with id {organisation_id}")
    if start and end and start > end:
        raise ValueError(f"the start date {start} is after the end date {end}")
    zone = ZoneInfo(timezone)
    lower, upper = local_period(start, end, timezone)
    observations = [
        observation_feature(observation, zone)
        for observation in obs.observations_between(session, organisation_id, lower, upper)
    ]
    tracks: list[dict[str, Any]] = []
    track_points: list[dict[str, Any]] = []
    for walk in walks_db.walks_between(session, organisation_id, lower, upper):
        points = list(walk.points)
        if len(points) < 2:
            continue
        tracks.append(track_feature(walk, zone))
        track_points.extend(
            {
                "walk_id": walk.id,
                "recorded_at": _iso(point.recorded_at, zone),
                "lat": _rounded(point.lat),
                "lon": _rounded(point.lon),
                "accuracy_m": point.accuracy_m,
            }
            for point in points
        )
    return ExportData(
        organisation_id=organisation.id,
        organisation_name=organisation.name,
        timezone=timezone,
        start=start,
        end=end,
        observations=observations,
        tracks=tracks,
        track_points=track_points,
        detail_columns=_detail_order(observations),
    )


# --- writers -------------------------------------------------------------------------------


@contextmanager
def _atomic(path: Path, mode: str = "w", **options: Any) -> Iterator[IO[Any]]:
    """Write to a temporary file beside `path` and move it into place only when complete."""
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, mode, **options) as handle:
            yield handle
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_geojson(data: ExportData, path: Path) -> Path:
    """Write the RFC 7946 FeatureCollection (UTF-8)."""
    with _atomic(path, "w", encoding="utf-8") as handle:
        json.dump(data.feature_collection(), handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    return Path(path)


def _cell(value: Any) -> Any:
    """Return a table value: lists joined with ";", booleans as true/false, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join("" if item is None else str(_cell(item)) for item in value)
    return value


def _csv_cell(value: Any) -> Any:
    value = _cell(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def tracks_csv_path(path: Path) -> Path:
    """Return the track points file that goes with a CSV export: `<name>_tracks.csv`."""
    path = Path(path)
    return path.with_name(f"{path.stem}_tracks.csv")


def _write_csv_table(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    # UTF-8 with a byte order mark so that spreadsheet programs read the accents right.
    with _atomic(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_cell(row.get(column)) for column in columns])


def write_csv(data: ExportData, path: Path) -> list[Path]:
    """Write the observations to `path` and the track points to `<name>_tracks.csv`."""
    path = Path(path)
    _write_csv_table(path, data.columns, list(data.rows()))
    tracks = tracks_csv_path(path)
    _write_csv_table(tracks, list(TRACK_POINT_COLUMNS), data.track_points)
    return [path, tracks]


def _xlsx_value(value: Any) -> Any:
    value = _cell(value)
    return _XLSX_ILLEGAL.sub("", value) if isinstance(value, str) else value


def _fill_sheet(sheet: Any, columns: list[str], rows: list[dict[str, Any]]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    widths = [len(column) for column in columns]
    for index, column in enumerate(columns, start=1):
        sheet.cell(row=1, column=index, value=column).font = bold
    for row_number, row in enumerate(rows, start=2):
        for index, column in enumerate(columns, start=1):
            value = _xlsx_value(row.get(column))
            cell = sheet.cell(row=row_number, column=index, value=value)
            if isinstance(value, str):
                # A text is data, never a formula, even when it starts with "=".
                cell.data_type = "s"
            longest = max((len(line) for line in str(value).splitlines()), default=0)
            widths[index - 1] = max(widths[index - 1], longest)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"


def write_xlsx(data: ExportData, path: Path) -> Path:
    """Write an Excel workbook: sheet "observations" and sheet "walk_tracks"."""
    from openpyxl import Workbook

    workbook = Workbook()
    observations = workbook.active
    observations.title = "observations"
    _fill_sheet(observations, data.columns, list(data.rows()))
    _fill_sheet(workbook.create_sheet("walk_tracks"), list(TRACK_POINT_COLUMNS), data.track_points)
    with _atomic(path, "wb") as handle:
        workbook.save(handle)
    return Path(path)


WRITERS: dict[str, Callable[[ExportData, Path], Path | list[Path]]] = {
    "geojson": write_geojson,
    "csv": write_csv,
    "xlsx": write_xlsx,
}


def write_export(data: ExportData, fmt: str, path: Path) -> list[Path]:
    """Write an export in a format ("geojson", "csv" or "xlsx"); return the files written."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    written = WRITERS[fmt](data, Path(path))
    return written if isinstance(written, list) else [written]


def _media_file(media_dir: Path, relative: str) -> Path | None:
    """Return the file for a relative media path if it exists inside the media folder."""
    root = media_dir.resolve()
    candidate = (root / relative).resolve()
    if root not in candidate.parents or not candidate.is_file():
        return None
    return candidate


@dataclass(frozen=True)
class MediaZipResult:
    """What went into a media zip: the paths stored and those whose file is missing."""

    path: Path
    stored: list[str]
    missing: list[str]


def write_media_zip(data: ExportData, media_dir: Path, path: Path) -> MediaZipResult:
    """Zip the media files the export refers to (those that exist), named by relative path."""
    stored: list[str] = []
    missing: list[str] = []
    with _atomic(path, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as zf:
        for relative in data.media_paths:
            source = _media_file(Path(media_dir), relative)
            if source is None:
                missing.append(relative)
                continue
            # Photos, voice notes and videos are compressed already: store them as they are.
            zf.write(source, arcname=relative)
            stored.append(relative)
    return MediaZipResult(Path(path), stored, missing)
