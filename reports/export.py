"""Exports of an organisation's observations and walk tracks: GeoJSON, CSV, XLSX, media zip.

`open_export` returns an `ExportStream`, which the writers read page by page while they write
(the bot's /export and the `export` command alike, so an export of years of fieldwork never
sits in memory); with a size limit a writer stops as soon as a file passes it
(`ExportTooBig`). There is one way to read an export: this stream. Nothing here knows Telegram
or the command line.

Schema (see DESIGN.md, "Export schema"):

* GeoJSON (RFC 7946): a `FeatureCollection`, WGS84 `[lon, lat]`, no `crs` member. One
  `Feature` per observation (`geometry` a `Point`, or null without a location) and one
  `LineString` feature per walk with at least two track points (`kind: walk_track`,
  id `walk-<id>`). Feature ids are unique and equal to `properties.id`.
  Every feature has a `name` and a `description` for map popups, in the export's language
  (`Labels`). `split` writes points, tracks and features without geometry to three files.
* CSV: the same columns as the GeoJSON properties, with `lat` and `lon` instead of the
  geometry; lists are joined with ";"; the codes as stored. The track points go to a second
  file (`<name>_tracks.csv`). RFC 4180 with a comma, or with `excel` ";" and a decimal comma.
* XLSX: a sheet per kind (its columns from `reports/export_kinds.py`), a walks sheet, the
  track points and the codes; headers and coded values in the export's language, the codes
  in each sheet's hidden first row; real dates and booleans.

Authors appear only as their pseudonym; member ids, chat ids, message ids and Telegram file
ids are never exported.

Diaries are private (storage.kinds: `private`). A diary entry has no geometry and no place of
its own in any export (no wijk, municipality, place name or coordinates: the place stored with
an entry is where the person went). Where diarists went shows in the GeoJSON only aggregated,
as `diary_destinations` Point features at a wijk's or municipality's label point with the
number of entries, and only for places with at least `MIN_DESTINATION_ENTRIES` entries:
entries of a wijk below that count are added to their municipality, and what is still below
it is left out.
"""

from __future__ import annotations

import csv
import html
import itertools
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any, Protocol
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from geo import get_gazetteer, track_length_m
from reports import export_kinds as fields
from reports.render import LOCALES
from storage import media as stored_media
from storage.kinds import KINDS as KIND_REGISTRY
from storage.kinds import kind_of
from storage.models import MediaFile, Observation, Organisation, TrackPoint, Walk

# In the order /export offers them: the workbook first, as most offices open that.
FORMATS = ("xlsx", "geojson", "csv")
EXTENSIONS = {"geojson": ".geojson", "csv": ".csv", "xlsx": ".xlsx"}

# CSV/XLSX columns before the kind-specific ones (storage order of export_kinds.COMMON).
COMMON_COLUMNS = tuple(column.name for column in fields.COMMON)
# The common properties of an observation feature, in column order (no lat/lon: geometry).
COMMON_PROPERTIES = tuple(name for name in COMMON_COLUMNS if name not in ("lat", "lon"))
TRACK_POINT_COLUMNS = tuple(column.name for column in fields.TRACK_POINT_COLUMNS)
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
    "name",
    "description",
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
# A diary entry's details that say where the person went (never exported one by one).
PRIVATE_PLACE_KEYS = frozenset({"where_instead", "where_wijk", "distance_from", "place_text"})
# Diary destinations are shown only for places with at least this many entries.
MIN_DESTINATION_ENTRIES = 3
DESTINATIONS = "diary_destinations"
COORDINATE_DIGITS = 6
# Spreadsheet programs run cells that start like a formula; CSV cells get a leading quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A spreadsheet may split a cell again on a separator it guesses (Belgian Excel splits on ";"):
# whatever follows one of these and starts like a formula gets a quote too ("x;=2+3" ->
# "x;'=2+3").
_SPLIT_FORMULA = re.compile(r"([,;\t|])(\s*)(?=[=+\-@\t\r])")
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Rows read per query when streaming an export, and rows written between two size checks.
PAGE = 1000
SIZE_CHECK_EVERY = 256


class Catalog(Protocol):
    """key -> message text in the reader's language (reports.render.Catalog)."""

    def __call__(self, key: str, /) -> str:
        """Return a message's text (the first form of a plural entry)."""
        ...


_TAG = re.compile(r"<[^>]+>")
# A map popup's name holds this much of the text.
NAME_LENGTH = 60


@dataclass
class Labels:
    """An export's words in one language: headers, coded values, sheet names, popups.

    Without a catalog (tools that only read the data) every word is the code itself.
    """

    language: str = "en"
    catalog: Catalog | None = None
    _texts: dict[str, str] = field(default_factory=dict, repr=False)

    def text(self, key: str, default: str) -> str:
        """Return a catalog text as plain text, or `default` when the catalog has none."""
        if key not in self._texts:
            text = default
            if self.catalog is not None:
                try:
                    text = html.unescape(_TAG.sub("", self.catalog(key)))
                except LookupError:
                    text = default
            self._texts[key] = text
        return self._texts[key]

    def plural(self, key: str, count: int, default: str) -> str:
        """Return the catalog's form of a plural entry for `count`, or `default`."""
        form = getattr(self.catalog, "plural", None)
        if form is None:
            return self.text(key, default)
        try:
            return html.unescape(_TAG.sub("", str(form(key, count))))
        except LookupError:
            return default

    def column(self, name: str) -> str:
        """Return a column's header ("Vraag 2" for a records column's numbered part)."""
        split = fields.numbered_name(name)
        if split is not None:
            part, number = split
            return f"{self.text(f'export.column.{part}', part)} {number}"
        return self.text(f"export.column.{name}", name)

    def value(self, column: fields.Column, code: Any) -> str:
        """Return the label of a coded value (the code itself when it has none)."""
        return self.text(f"{column.labels}.{code}", str(code))

    def kind(self, name: str) -> str:
        """Return the name of a kind of observation."""
        return self.text(f"export.kind.{name}", name)

    def sheet(self, name: str) -> str:
        """Return a workbook sheet's name."""
        return self.text(f"export.sheet.{name}", name)


def _local_moment(value: str | None) -> str:
    """Return an ISO moment with offset as the Belgian "24/11/2026 10:31"."""
    if not value:
        return ""
    return datetime.fromisoformat(value).strftime("%d/%m/%Y %H:%M")


def _short(text: str) -> str:
    """Return the first line of a text, cut to NAME_LENGTH characters."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= NAME_LENGTH else line[: NAME_LENGTH - 1].rstrip() + "…"


def popup(properties: dict[str, Any], labels: Labels) -> tuple[str, str]:
    """Return a feature's map popup: a name (kind and short text) and a description."""
    kind = str(properties.get("kind"))
    entry = fields.export_kind(kind)
    title = next((str(properties[name]) for name in entry.title if properties.get(name)), "")
    kind_label = labels.kind(kind)
    name = f"{kind_label}: {_short(title)}" if title.strip() else kind_label
    lines: list[str] = []
    text = properties.get("text")
    if text:
        lines.append(str(text))
    theme = properties.get("theme")
    if theme:
        column = fields.COMMON_BY_NAME["theme"]
        lines.append(f"{labels.column('theme')}: {labels.value(column, theme)}")
    where = ", ".join(
        str(properties[part]) for part in ("wijk_name", "municipality") if properties.get(part)
    )
    if where:
        lines.append(f"{labels.column('wijk_name')}: {where}")
    if entry.describe is not None:
        lines.extend(entry.describe(properties, labels))
    moment = _local_moment(properties.get("created_at"))
    author = properties.get("author")
    lines.append(" · ".join(part for part in (moment, author) if part))
    return name, "\n".join(line for line in lines if line)


class UnknownOrganisation(LookupError):
    """There is no organisation with this id."""


class ExportTooBig(Exception):
    """A file of the export passed the size limit; `size` estimates its full size in bytes."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the export would be about {size} bytes")
        self.size = size


class ExportSource(Protocol):
    """What the writers read: features and rows one at a time, and how many there are."""

    @property
    def labels(self) -> Labels:
        """Return the words of the export (headers, coded values, popups)."""
        ...

    @property
    def columns(self) -> list[str]:
        """Return the CSV/XLSX columns of the observation table."""
        ...

    def observation_features(self, kind: str | None = None) -> Iterator[dict[str, Any]]:
        """Yield the observation features (of one kind), oldest first."""
        ...

    def kinds(self) -> list[str]:
        """Return the kinds the export holds, in the registry's order."""
        ...

    def sheet_columns(self, kind: str) -> list[fields.Column]:
        """Return the columns of one kind's sheet."""
        ...

    def walk_rows(self) -> Iterator[dict[str, Any]]:
        """Yield one row per walk of the period."""
        ...

    def track_features(self) -> Iterator[dict[str, Any]]:
        """Yield the walk track features."""
        ...

    def destination_features(self) -> Iterator[dict[str, Any]]:
        """Yield where diarists went, aggregated (see the module's docstring)."""
        ...

    def track_point_rows(self) -> Iterator[dict[str, Any]]:
        """Yield the track point rows."""
        ...

    def rows(self) -> Iterator[dict[str, Any]]:
        """Yield the observation table rows."""
        ...

    @property
    def totals(self) -> tuple[int, int, int]:
        """Return how many observations, tracks and track points there are."""
        ...


def table_row(feature: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    """Return one observation table row: lat/lon instead of the geometry; lists kept; records
    spread over numbered columns."""
    geometry = feature["geometry"]
    lon, lat = geometry["coordinates"] if geometry else (None, None)
    properties = feature["properties"]
    row = {column: properties.get(column) for column in columns}
    row.update(lat=lat, lon=lon)
    row.update(fields.spread(str(properties.get("kind")), properties))
    return row


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


def _detail_name(key: Any) -> str | None:
    """Return the column a details key becomes, or None for a key never exported."""
    name = str(key)
    if name in PRIVATE_DETAIL_KEYS:
        return None
    return f"detail_{name}" if name in RESERVED_NAMES else name


def _details(observation: Observation) -> dict[str, Any]:
    """Return the kind's own fields, never overwriting the common ones; records structured."""
    flat: dict[str, Any] = {}
    records = {column.name for column in fields.RECORDS.get(observation.kind, ())}
    for key, value in sorted((observation.details or {}).items()):
        name = _detail_name(key)
        if name is not None:
            flat[name] = value if name in records else _detail_value(value)
    return flat


def _with_popup(feature: dict[str, Any], labels: Labels) -> dict[str, Any]:
    """Add the map popup's `name` and `description` to a feature's properties."""
    properties = feature["properties"]
    properties["name"], properties["description"] = popup(properties, labels)
    return feature


def observation_feature(
    observation: Observation, zone: ZoneInfo, labels: Labels | None = None
) -> dict[str, Any]:
    """Return the GeoJSON feature of one observation (a private kind's without any place)."""
    labels = labels or Labels()
    if kind_of(observation.kind).private:
        return _with_popup(_private_feature(observation, zone), labels)
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
        # Kinds of the files that could not be fetched from Telegram (given up, or over 20 MB).
        "media_missing": stored_media.unfetched_kinds(observation.media),
    }
    properties.update(_details(observation))
    feature = {"type": "Feature", "id": observation.id, "geometry": geometry}
    return _with_popup({**feature, "properties": properties}, labels)


def _private_feature(observation: Observation, zone: ZoneInfo) -> dict[str, Any]:
    """Return a diary entry's feature: no geometry and nothing about where the person went."""
    properties: dict[str, Any] = {
        "id": observation.id,
        "kind": observation.kind,
        "created_at": _iso(observation.created_at, zone),
        "author": observation.author,
        "text": observation.text,
        "theme": observation.theme,
        "accuracy_m": None,
        "location_source": None,
        "wijk": None,
        "wijk_name": None,
        "municipality": None,
        "municipality_nis": None,
        "in_brussels": None,
        "in_buurt": None,
        "walk_id": observation.walk_id,
        "follow_up_on": None,
        "media": [media.path for media in observation.media if media.path],
        "media_missing": stored_media.unfetched_kinds(observation.media),
    }
    properties.update(
        (name, value)
        for name, value in _details(observation).items()
        if name not in PRIVATE_PLACE_KEYS
    )
    return {"type": "Feature", "id": observation.id, "geometry": None, "properties": properties}


def destination_features(
    counts: Iterable[tuple[int | None, int | None, int]], labels: Labels | None = None
) -> Iterator[dict[str, Any]]:
    """Return diary destinations aggregated: (wijk, municipality, entries) rows become a Point
    per wijk with at least MIN_DESTINATION_ENTRIES entries, else per municipality; smaller
    counts are left out."""
    gazetteer = get_gazetteer()
    labels = labels or Labels()
    by_wijk: dict[int, int] = {}
    municipality_of: dict[int, int | None] = {}
    rest: dict[int, int] = {}
    for wijk, nis, entries in counts:
        if wijk is not None:
            by_wijk[wijk] = by_wijk.get(wijk, 0) + entries
            municipality_of.setdefault(wijk, nis)
        elif nis is not None:
            rest[nis] = rest.get(nis, 0) + entries
    for code, entries in sorted(by_wijk.items()):
        wijk = gazetteer.wijk(code)
        if wijk is not None and entries >= MIN_DESTINATION_ENTRIES:
            yield _destination("wijk", code, _wijk_name(code), wijk.label, entries, labels)
            continue
        nis = municipality_of.get(code)
        if nis is None and wijk is not None:
            nis = gazetteer.locate(*wijk.label).municipality_nis
        if nis is not None:
            rest[nis] = rest.get(nis, 0) + entries
    for nis, entries in sorted(rest.items()):
        municipality = gazetteer.municipality(nis)
        if municipality is not None and entries >= MIN_DESTINATION_ENTRIES:
            name = _municipality_name(nis)
            yield _destination("municipality", nis, name, municipality.label, entries, labels)


def _destination(
    level: str,
    code: int,
    name: str | None,
    label: tuple[float, float],
    entries: int,
    labels: Labels,
) -> dict[str, Any]:
    key = f"diary-{level}-{code}"
    lat, lon = label
    return {
        "type": "Feature",
        "id": key,
        "geometry": {"type": "Point", "coordinates": [_rounded(lon), _rounded(lat)]},
        "properties": {
            "id": key,
            "kind": DESTINATIONS,
            "level": level,
            "wijk": code if level == "wijk" else None,
            "municipality_nis": code if level == "municipality" else None,
            "name": name,
            "description": labels.plural(
                "export.destinations", entries, "{count} diary_entry"
            ).format(count=entries),
            "entries": entries,
        },
    }


def _km(metres: float, language: str) -> str:
    """Return a distance in kilometres with one decimal, the reader's way ("1,2")."""
    return format_decimal(metres / 1000, format="#,##0.0", locale=LOCALES.get(language, "en_GB"))


def walk_popup(properties: dict[str, Any], labels: Labels) -> tuple[str, str]:
    """Return a walk track's popup: "Walk 24/11/2026 10:30" and its distance, time, walker."""
    started = _local_moment(properties.get("started_at"))
    name = labels.text("export.track.name", "walk_track {date}").format(date=started)
    minutes = properties.get("duration_min")
    description = labels.text(
        "export.track.description", "{km} km · {minutes} min · {author}"
    ).format(
        km=_km(properties.get("distance_m") or 0, labels.language),
        minutes=minutes or 0,
        author=properties.get("author") or "",
    )
    focus = properties.get("focus")
    if focus:
        column = fields.WALK_BY_NAME["focus"]
        description += f"\n{labels.column('focus')}: {labels.value(column, focus)}"
    return name, description


def walk_properties(walk: Walk, zone: ZoneInfo, labels: Labels) -> dict[str, Any]:
    """Return what the export says about one walk (its track's properties, its sheet row)."""
    points = list(walk.points)
    distance = walk.distance_m
    if distance is None:
        distance = track_length_m([(point.lat, point.lon) for point in points])
    # A walk still going (or never ended) lasts until its last position so far.
    last = walk.ended_at or (points[-1].recorded_at if points else walk.started_at)
    duration = max(round((last - walk.started_at).total_seconds() / 60), 0)
    properties: dict[str, Any] = {
        "id": f"walk-{walk.id}",
        "kind": "walk_track",
        "created_at": _iso(walk.started_at, zone),
        "author": walk.author,
        "walk_id": walk.id,
        "started_at": _iso(walk.started_at, zone),
        "ended_at": _iso(walk.ended_at, zone),
        "duration_min": duration,
        "distance_m": round(distance, 1),
        "focus": walk.focus,
        "points": len(points),
    }
    properties["name"], properties["description"] = walk_popup(properties, labels)
    return properties


def track_feature(walk: Walk, zone: ZoneInfo, labels: Labels | None = None) -> dict[str, Any]:
    """Return the GeoJSON LineString feature of a walk's track."""
    properties = walk_properties(walk, zone, labels or Labels())
    return {
        "type": "Feature",
        "id": properties["id"],
        "geometry": {
            "type": "LineString",
            "coordinates": [[_rounded(p.lon), _rounded(p.lat)] for p in walk.points],
        },
        "properties": properties,
    }


def _declared(kind: str, repeats: dict[tuple[str, str], int]) -> list[fields.Column]:
    """Return a kind's own columns for a table: records spread over their numbered columns."""
    return [
        spread
        for column in fields.export_kind(kind).columns
        for spread in (
            fields.numbered(column, repeats.get((kind, column.name), 0))
            if column.type == "records"
            else [column]
        )
    ]


def _order_details(
    by_kind: dict[str, set[str]], repeats: dict[tuple[str, str], int] | None = None
) -> list[str]:
    """Return the kind-specific names: by kind (export registry order), each kind's declared
    columns first (records spread over `repeats` numbered ones), then the others
    alphabetically."""
    order: list[str] = []
    known = [entry.name for entry in fields.EXPORT_KINDS]
    for kind in (*known, *sorted(set(by_kind) - set(known))):
        found = by_kind.get(kind, set())
        records = {column.name for column in fields.RECORDS.get(kind, ())}
        declared = [
            column.name
            for column in _declared(kind, repeats or {})
            if column.name in found or fields.numbered_name(column.name)
        ]
        for name in (*declared, *sorted(found - set(declared) - records)):
            if name not in order:
                order.append(name)
    return order


def _keyset_pages(
    session: Session,
    statement: Select[Any],
    order: tuple[Any, Any],
    position: Callable[[Any], tuple[Any, Any]],
    size: int = PAGE,
) -> Iterator[list[Any]]:
    """Yield the rows of a statement page by page, ordered by the two `order` columns.

    Each page is one short query that continues after the last row of the one before (a
    keyset: `position` reads the two order values of a row), so nothing but the page is held
    and the (organisation, moment) indexes serve every page.
    """
    moment, key = order
    last: tuple[Any, Any] | None = None
    while True:
        page_statement = statement
        if last is not None:
            # The plain ">=" repeats part of the OR so that PostgreSQL, too, starts the index
            # range at the last row instead of filtering from the start of the period.
            page_statement = page_statement.where(
                moment >= last[0], or_(moment > last[0], and_(moment == last[0], key > last[1]))
            )
        page = session.execute(page_statement.order_by(moment, key).limit(size)).all()
        if not page:
            return
        last = position(page[-1])
        yield page


def _entity_position(row: Any) -> tuple[Any, Any]:
    """Return an observation row's place in time order."""
    return row[0].created_at, row[0].id


def _walk_position(row: Any) -> tuple[Any, Any]:
    """Return a walk row's place in time order."""
    return row[0].started_at, row[0].id


@dataclass
class ExportStream:
    """An export read from the database while it is written: memory stays small.

    Each pass over the observations or walks runs its own paged queries
    (`observation_features`, `track_features`, `track_point_rows`), and the counts come from
    aggregate queries. Made by `open_export`.
    """

    session: Session
    organisation_id: int
    organisation_name: str
    timezone: str
    start: date | None
    end: date | None
    labels: Labels = field(default_factory=Labels)
    _by_kind: dict[str, set[str]] | None = field(default=None, repr=False)
    # The most items a kind's records column holds in the export ((kind, column) -> count).
    _repeats: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)
    _detail_columns: list[str] | None = field(default=None, repr=False)
    _counts: tuple[int, int, int, int] | None = field(default=None, repr=False)

    @property
    def zone(self) -> ZoneInfo:
        """Return the time zone of the dates."""
        return ZoneInfo(self.timezone)

    def _observations(self) -> Select[Any]:
        """Return the query of the period's observations (no order, no limit)."""
        lower, upper = local_period(self.start, self.end, self.timezone)
        statement = select(Observation).where(Observation.organisation_id == self.organisation_id)
        if lower is not None:
            statement = statement.where(Observation.created_at >= lower)
        if upper is not None:
            statement = statement.where(Observation.created_at < upper)
        return statement

    def _walks(self) -> Select[Any]:
        """Return the query of the walks started in the period."""
        lower, upper = local_period(self.start, self.end, self.timezone)
        statement = select(Walk).where(Walk.organisation_id == self.organisation_id)
        if lower is not None:
            statement = statement.where(Walk.started_at >= lower)
        if upper is not None:
            statement = statement.where(Walk.started_at < upper)
        return statement

    def _counted(self) -> tuple[int, int, int, int]:
        """Return observations, located ones, tracks (2+ points) and their points."""
        if self._counts is None:
            mine = self._observations().subquery()
            observations, located = self.session.execute(
                select(
                    func.count(),
                    func.count().filter(mine.c.lat.is_not(None), mine.c.lon.is_not(None)),
                ).select_from(mine)
            ).one()
            walk_ids = self._walks().with_only_columns(Walk.id).subquery()
            per_walk = (
                select(func.count().label("points"))
                .select_from(TrackPoint)
                .where(TrackPoint.walk_id.in_(select(walk_ids.c.id)))
                .group_by(TrackPoint.walk_id)
                .having(func.count() >= 2)
                .subquery()
            )
            tracks, points = self.session.execute(
                select(func.count(), func.coalesce(func.sum(per_walk.c.points), 0))
            ).one()
            self._counts = (int(observations), int(located), int(tracks), int(points))
        return self._counts

    @property
    def observation_count(self) -> int:
        """Return how many observations the period holds."""
        return self._counted()[0]

    @property
    def located(self) -> int:
        """Return how many observations have a position."""
        return self._counted()[1]

    @property
    def track_count(self) -> int:
        """Return how many walks have a track (at least two points)."""
        return self._counted()[2]

    @property
    def track_point_count(self) -> int:
        """Return how many points those tracks have."""
        return self._counted()[3]

    @property
    def totals(self) -> tuple[int, int, int]:
        """Return how many observations, tracks and track points there are."""
        return self.observation_count, self.track_count, self.track_point_count

    @property
    def is_empty(self) -> bool:
        """Say whether there is nothing to export."""
        return not self.observation_count and not self.track_count

    def _details_by_kind(self) -> dict[str, set[str]]:
        """Return the detail names each kind's observations hold, reading only those."""
        if self._by_kind is None:
            by_kind: dict[str, set[str]] = {}
            statement = self._observations().with_only_columns(
                Observation.created_at, Observation.id, Observation.kind, Observation.details
            )
            order = (Observation.created_at, Observation.id)
            pages = _keyset_pages(self.session, statement, order, lambda row: (row[0], row[1]))
            repeats = self._repeats
            for page in pages:
                for _moment, _id, kind, details in page:
                    for column in fields.RECORDS.get(kind, ()):
                        items = (details or {}).get(column.name)
                        if isinstance(items, list) and len(items) > repeats.get(
                            (kind, column.name), 0
                        ):
                            repeats[(kind, column.name)] = len(items)
                    names = by_kind.setdefault(kind, set())
                    hidden = PRIVATE_PLACE_KEYS if kind_of(kind).private else frozenset()
                    names.update(
                        name
                        for key in (details or {})
                        if (name := _detail_name(key)) is not None and name not in hidden
                    )
            for entry in fields.EXPORT_KINDS:
                if entry.features is not None:
                    for feature in entry.features(self):
                        names = by_kind.setdefault(entry.name, set())
                        names.update(set(feature["properties"]) - set(COMMON_PROPERTIES))
            self._by_kind = by_kind
        return self._by_kind

    @property
    def detail_columns(self) -> list[str]:
        """Return the kind-specific columns, reading only the kinds and details."""
        if self._detail_columns is None:
            self._detail_columns = _order_details(self._details_by_kind(), self._repeats)
        return self._detail_columns

    def kinds(self) -> list[str]:
        """Return the kinds the export holds: the registry's order, then unknown ones."""
        present = set(self._details_by_kind())
        known = [entry.name for entry in fields.EXPORT_KINDS]
        return [kind for kind in known if kind in present] + sorted(present - set(known))

    def sheet_columns(self, kind: str) -> list[fields.Column]:
        """Return one kind's sheet: the common columns, its own, then undeclared details."""
        private = kind_of(kind).private
        common = [c for c in fields.COMMON if not (private and c.name in fields.PLACE_COLUMNS)]
        found = self._details_by_kind().get(kind, set())
        declared = _declared(kind, self._repeats)
        names = {c.name for c in declared} | {c.name for c in fields.RECORDS.get(kind, ())}
        extra = sorted(found - names)
        return [*common, *declared, *(fields.Column(name) for name in extra)]

    @property
    def columns(self) -> list[str]:
        """Return the CSV/XLSX columns of the observation table."""
        return [*COMMON_COLUMNS, *self.detail_columns]

    def observation_features(self, kind: str | None = None) -> Iterator[dict[str, Any]]:
        """Yield the observation features (of one kind), oldest first, a page at a time.

        Kinds not stored as observations (`ExportKind.features`) follow the observations.
        """
        entry = fields.export_kind(kind) if kind is not None else None
        if entry is not None and entry.features is not None:
            yield from (_with_popup(f, self.labels) for f in entry.features(self))
            return
        zone, labels = self.zone, self.labels
        statement = self._observations().options(selectinload(Observation.media))
        if kind is not None:
            statement = statement.where(Observation.kind == kind)
        order = (Observation.created_at, Observation.id)
        for page in _keyset_pages(self.session, statement, order, _entity_position):
            for (observation,) in page:
                yield observation_feature(observation, zone, labels)
        if kind is None:
            for other in fields.EXPORT_KINDS:
                if other.features is not None:
                    yield from (_with_popup(f, labels) for f in other.features(self))

    def _walk_pages(self) -> Iterator[list[Walk]]:
        """Yield the period's walks with their points, a page of walks at a time."""
        statement = self._walks().options(selectinload(Walk.points))
        order = (Walk.started_at, Walk.id)
        pages = _keyset_pages(self.session, statement, order, _walk_position, max(PAGE // 10, 1))
        for page in pages:
            yield [walk for (walk,) in page]

    def track_features(self) -> Iterator[dict[str, Any]]:
        """Yield the LineString feature of every walk with at least two points."""
        zone = self.zone
        for page in self._walk_pages():
            for walk in page:
                if len(walk.points) >= 2:
                    yield track_feature(walk, zone, self.labels)

    def walk_rows(self) -> Iterator[dict[str, Any]]:
        """Yield one row per walk started in the period, tracked or not."""
        zone = self.zone
        for page in self._walk_pages():
            for walk in page:
                yield walk_properties(walk, zone, self.labels)

    def track_point_rows(self) -> Iterator[dict[str, Any]]:
        """Yield one row per point of those tracks."""
        zone = self.zone
        for page in self._walk_pages():
            for walk in page:
                points = list(walk.points)
                if len(points) < 2:
                    continue
                for point in points:
                    yield {
                        "walk_id": walk.id,
                        "recorded_at": _iso(point.recorded_at, zone),
                        "lat": _rounded(point.lat),
                        "lon": _rounded(point.lon),
                        "accuracy_m": point.accuracy_m,
                    }

    def rows(self) -> Iterator[dict[str, Any]]:
        """Yield the observation table rows (lat/lon instead of geometry; lists kept)."""
        columns = self.columns
        for feature in self.observation_features():
            yield table_row(feature, columns)

    def destination_features(self) -> Iterator[dict[str, Any]]:
        """Yield where diarists went, only as counts per wijk or municipality (3 or more)."""
        private = [kind.name for kind in KIND_REGISTRY if kind.private]
        mine = self._observations().where(Observation.kind.in_(private)).subquery()
        counts = self.session.execute(
            select(mine.c.wijk_code, mine.c.municipality_nis, func.count())
            .where(or_(mine.c.wijk_code.is_not(None), mine.c.municipality_nis.is_not(None)))
            .group_by(mine.c.wijk_code, mine.c.municipality_nis)
        )
        yield from destination_features(((w, m, int(n)) for w, m, n in counts), self.labels)

    def media_paths(self) -> Iterator[str]:
        """Yield every media path the observations refer to, once, oldest first."""
        seen: set[str] = set()
        statement = self._observations().with_only_columns(Observation.created_at, Observation.id)
        order = (Observation.created_at, Observation.id)
        for page in _keyset_pages(self.session, statement, order, lambda row: (row[0], row[1])):
            ids = [row[1] for row in page]
            rows = self.session.execute(
                select(MediaFile.observation_id, MediaFile.path)
                .where(MediaFile.observation_id.in_(ids), MediaFile.path.is_not(None))
                .order_by(MediaFile.observation_id, MediaFile.id)
            ).all()
            by_observation: dict[int, list[str]] = {}
            for observation_id, path in rows:
                by_observation.setdefault(observation_id, []).append(path)
            for observation_id in ids:
                for path in by_observation.get(observation_id, ()):
                    if path not in seen:
                        seen.add(path)
                        yield path


def open_export(
    session: Session,
    organisation_id: int,
    start: date | None = None,
    end: date | None = None,
    timezone: str = "Europe/Brussels",
    labels: Labels | None = None,
) -> ExportStream:
    """Return an organisation's export between two inclusive local dates, read as written.

    `labels` gives the words (headers, coded values, popups) in the reader's language.
    """
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise UnknownOrganisation(f"there is no organisation with id {organisation_id}")
    if start and end and start > end:
        raise ValueError(f"the start date {start} is after the end date {end}")
    ZoneInfo(timezone)  # an unknown zone fails here, not half way through a file
    return ExportStream(
        session, organisation.id, organisation.name, timezone, start, end, labels or Labels()
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


class _SizeGuard:
    """Stop a file that grows past a limit, estimating its full size from what is written."""

    def __init__(self, handle: IO[Any], limit: int | None, total: int) -> None:
        self.handle = handle
        self.limit = limit
        self.total = total
        self.written = 0

    def wrote(self) -> None:
        """Count one item written; every so often compare the file's size with the limit."""
        self.written += 1
        if self.limit is not None and self.written % SIZE_CHECK_EVERY == 0:
            self._check(estimate=True)

    def finish(self) -> None:
        """Compare the complete file's size with the limit."""
        if self.limit is not None:
            self._check(estimate=False)

    def _check(self, estimate: bool) -> None:
        assert self.limit is not None
        size = self.handle.tell()
        if size <= self.limit:
            return
        if estimate and self.written < self.total:
            size = round(size * self.total / self.written)
        raise ExportTooBig(size)


class _Collection:
    """One FeatureCollection written a feature at a time (the text `json.dump(indent=1)` writes)."""

    def __init__(self, handle: IO[str], limit: int | None, total: int) -> None:
        self.handle = handle
        self.guard = _SizeGuard(handle, limit, total)
        self.separator = "\n"
        handle.write('{\n "type": "FeatureCollection",\n "features": [')

    def add(self, feature: dict[str, Any]) -> None:
        """Write one feature."""
        text = json.dumps(feature, ensure_ascii=False, indent=1)
        self.handle.write(self.separator + "  " + text.replace("\n", "\n  "))
        self.separator = ",\n"
        self.guard.wrote()

    def close(self) -> None:
        """End the collection and check the file's size."""
        self.handle.write("\n ]\n}\n" if self.separator != "\n" else "]\n}\n")
        self.guard.finish()


def geojson_split_paths(path: Path) -> tuple[Path, Path, Path]:
    """Return the files of a split GeoJSON export: points, tracks, and features without a place."""
    path = Path(path)
    suffix = path.suffix or ".geojson"
    return tuple(  # type: ignore[return-value]
        path.with_name(f"{path.stem}-{part}{suffix}") for part in SPLIT_PARTS
    )


def write_geojson(
    data: ExportSource, path: Path, limit: int | None = None, split: bool = False
) -> Path | list[Path]:
    """Write the RFC 7946 FeatureCollection (UTF-8), one feature at a time.

    With `split`, three files with one geometry type each, so that QGIS opens each as one
    layer without asking: `<name>-points` (observations with a place and the diary
    destinations), `<name>-tracks` (walk LineStrings) and `<name>-no-location` (features
    without geometry). Past `limit` bytes a file is removed and ExportTooBig raised.
    """
    observations, tracks, _ = data.totals
    if not split:
        with _atomic(path, "w", encoding="utf-8") as handle:
            collection = _Collection(handle, limit, observations + tracks)
            features = itertools.chain(
                data.observation_features(), data.track_features(), data.destination_features()
            )
            for feature in features:
                collection.add(feature)
            collection.close()
        return Path(path)
    paths = geojson_split_paths(path)
    with ExitStack() as files:
        points, lines, unplaced = (
            _Collection(files.enter_context(_atomic(p, "w", encoding="utf-8")), limit, total)
            for p, total in zip(paths, (observations, tracks, observations), strict=True)
        )
        for feature in data.observation_features():
            (points if feature["geometry"] else unplaced).add(feature)
        for feature in data.destination_features():
            points.add(feature)
        for feature in data.track_features():
            lines.add(feature)
        for collection in (points, lines, unplaced):
            collection.close()
    return list(paths)


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
    """Return a CSV cell no spreadsheet runs as a formula, however it splits the line."""
    value = _cell(value)
    if not isinstance(value, str):
        return value
    value = _SPLIT_FORMULA.sub(r"\1\2'", value)
    if value.lstrip(" ").startswith(FORMULA_START):
        return "'" + value
    return value


def _excel_cell(value: Any, kind: str) -> Any:
    """Return a cell of the `--excel` CSV: decimal comma, local date and time without offset.

    Belgian Excel reads "50,846678" as a number and "2026-11-24 10:31:00" as a date and time.
    """
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if kind == "datetime" and isinstance(value, str) and value:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")
    return _csv_cell(value)


def tracks_csv_path(path: Path) -> Path:
    """Return the track points file that goes with a CSV export: `<name>_tracks.csv`."""
    path = Path(path)
    return path.with_name(f"{path.stem}_tracks.csv")


def _column_type(name: str) -> str:
    """Return a column's declared type ("text" for a detail no kind declares)."""
    column = fields.column_of(name) or fields.TRACK_POINT_BY_NAME.get(name)
    return column.type if column else "text"


def _write_csv_table(
    path: Path,
    columns: list[str],
    rows: Iterable[dict[str, Any]],
    limit: int | None = None,
    total: int = 0,
    excel: bool = False,
) -> None:
    types = [_column_type(column) for column in columns]
    # UTF-8 with a byte order mark so that spreadsheet programs read the accents right.
    with _atomic(path, "w", encoding="utf-8-sig", newline="") as handle:
        guard = _SizeGuard(handle, limit, total)
        writer = csv.writer(handle, delimiter=";" if excel else ",")
        writer.writerow(columns)
        for row in rows:
            if excel:
                values = [_excel_cell(row.get(c), t) for c, t in zip(columns, types, strict=True)]
            else:
                values = [_csv_cell(row.get(column)) for column in columns]
            writer.writerow(values)
            guard.wrote()
        guard.finish()


def write_csv(
    data: ExportSource, path: Path, limit: int | None = None, excel: bool = False
) -> list[Path]:
    """Write the observations to `path` and the track points to `<name>_tracks.csv`.

    RFC 4180 with a comma by default; with `excel`, ";" between cells and a decimal comma, as
    Excel in a Belgian (nl-BE, fr-BE) locale opens it with a double click. Both are UTF-8 with
    a byte order mark and have the same columns. Rows are written as they are read. Past
    `limit` bytes the files are removed and ExportTooBig raised.
    """
    path = Path(path)
    observations, _, points = data.totals
    tracks = tracks_csv_path(path)
    _write_csv_table(path, data.columns, data.rows(), limit, observations, excel)
    try:
        _write_csv_table(
            tracks, list(TRACK_POINT_COLUMNS), data.track_point_rows(), limit, points, excel
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return [path, tracks]


# Excel's number formats for the dates of a workbook (the Belgian day/month order).
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DATE_FORMAT = "dd/mm/yyyy"
WIDTHS = {
    "text": 40,
    "code": 22,
    "list": 30,
    "datetime": 17,
    "date": 12,
    "boolean": 9,
    "integer": 10,
    "number": 12,
}
WIDE_COLUMNS = {"text": 60, "description": 60, "name": 40}
_SHEET_NAME_ILLEGAL = re.compile(r"[\[\]:*?/\\]")


def _xlsx_text(value: str) -> str:
    return _XLSX_ILLEGAL.sub("", value)


def _xlsx_value(column: fields.Column, value: Any, labels: Labels) -> Any:
    """Return a workbook cell's value: real dates, booleans and numbers; codes as labels."""
    if value is None or value == "" or value == []:
        return None
    kind = column.type
    if kind == "datetime" and isinstance(value, str):
        # The ISO text carries the organisation's offset: its wall-clock time is what Excel
        # shows (Excel has no time zones).
        return datetime.fromisoformat(value).replace(tzinfo=None)
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if kind == "code" and isinstance(value, str | int):
        return _xlsx_text(labels.value(column, value))
    if isinstance(value, list):
        shown = [labels.value(column, item) if kind == "code" else item for item in value]
        return _xlsx_text("; ".join("" if item is None else str(item) for item in shown))
    if isinstance(value, str):
        return _xlsx_text(value)
    return value


def _sheet_title(title: str, taken: set[str]) -> str:
    """Return a sheet name Excel accepts (31 characters, no []:*?/\\), unique in the book."""
    base = _SHEET_NAME_ILLEGAL.sub(" ", title).strip()[:31] or "sheet"
    name, number = base, 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(name.lower())
    return name


def _fill_sheet(
    workbook: Any,
    title: str,
    columns: list[fields.Column],
    rows: Iterable[dict[str, Any]],
    labels: Labels,
) -> None:
    """Add a sheet and stream its rows (a write-only sheet: rows are not kept in memory).

    Row 1 (hidden) holds the column codes for tools, row 2 the headers in the reader's
    language; both stay in view (frozen) and row 2 carries the filter buttons.
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title)
    headers = [labels.column(column.name) for column in columns]
    for index, (column, header) in enumerate(zip(columns, headers, strict=True), start=1):
        width = WIDE_COLUMNS.get(column.name, WIDTHS[column.type])
        sheet.column_dimensions[get_column_letter(index)].width = max(width, len(header) + 3)
    sheet.row_dimensions[1].hidden = True
    sheet.freeze_panes = "A3"
    sheet.append([column.name for column in columns])
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    formats = {"datetime": DATETIME_FORMAT, "date": DATE_FORMAT}
    count = 0
    for row in rows:
        values: list[Any] = []
        for column in columns:
            value = _xlsx_value(column, row.get(column.name), labels)
            if isinstance(value, str) and value.startswith("="):
                # A text is data, never a formula, even when it starts with "=".
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                value = cell
            elif column.type in formats and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = formats[column.type]
                value = cell
            values.append(value)
        sheet.append(values)
        count += 1
    if columns:
        sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{count + 2}"


def _code_rows(
    sheets: Iterable[list[fields.Column]], kinds: list[str], labels: Labels
) -> Iterator[dict[str, Any]]:
    """Yield every code of the workbook's coded columns with its label, once."""
    seen: set[tuple[str, str]] = set()
    for columns in sheets:
        for column in columns:
            # The kinds are open (a newer version may add one): those in the workbook.
            for code in kinds if column.name == "kind" else column.codes:
                if (column.labels, code) not in seen:
                    seen.add((column.labels, code))
                    yield {"column": column.name, "code": code, "label": labels.value(column, code)}


CODE_COLUMNS = [fields.Column("column"), fields.Column("code"), fields.Column("label")]


def write_xlsx(data: ExportSource, path: Path, limit: int | None = None) -> Path:
    """Write an Excel workbook: a sheet per kind, the walks, the track points and the codes.

    Headers and coded values are in the export's language (the codes stay in each sheet's
    hidden first row and in the codes sheet); dates are real dates in the organisation's time
    zone, yes/no real booleans. Rows are streamed into the workbook (openpyxl's write-only
    mode). A workbook over `limit` bytes is removed and ExportTooBig raised.
    """
    from openpyxl import Workbook

    labels = data.labels
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    sheets: list[list[fields.Column]] = []
    for kind in data.kinds():
        columns = data.sheet_columns(kind)
        names = [column.name for column in columns]
        rows = (table_row(feature, names) for feature in data.observation_features(kind))
        _fill_sheet(workbook, _sheet_title(labels.sheet(kind), taken), columns, rows, labels)
        sheets.append(columns)
    walks = list(fields.WALK_COLUMNS)
    _fill_sheet(
        workbook, _sheet_title(labels.sheet("walks"), taken), walks, data.walk_rows(), labels
    )
    points = list(fields.TRACK_POINT_COLUMNS)
    title = _sheet_title(labels.sheet("track_points"), taken)
    _fill_sheet(workbook, title, points, data.track_point_rows(), labels)
    codes = list(_code_rows([*sheets, walks], data.kinds(), labels))
    _fill_sheet(workbook, _sheet_title(labels.sheet("codes"), taken), CODE_COLUMNS, codes, labels)
    with _atomic(path, "wb") as handle:
        workbook.save(handle)
        _SizeGuard(handle, limit, 0).finish()
    return Path(path)


WRITERS: dict[str, Callable[..., Path | list[Path]]] = {
    "geojson": write_geojson,
    "csv": write_csv,
    "xlsx": write_xlsx,
}
# The files of a split GeoJSON export, after the export's own name.
SPLIT_PARTS = ("points", "tracks", "no-location")


def write_export(
    data: ExportSource,
    fmt: str,
    path: Path,
    limit: int | None = None,
    *,
    split: bool = False,
    excel: bool = False,
) -> list[Path]:
    """Write an export in a format ("geojson", "csv" or "xlsx"); return the files written.

    `split` writes GeoJSON as one file per geometry type, `excel` a CSV for Belgian Excel.
    With `limit`, a file that would be larger than that many bytes is not left behind:
    ExportTooBig is raised with its (estimated) size.
    """
    if fmt not in WRITERS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    options = {"geojson": {"split": split}, "csv": {"excel": excel}}.get(fmt, {})
    written = WRITERS[fmt](data, Path(path), limit, **options)
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


class MediaSource(Protocol):
    """What a media zip reads: the media paths an export refers to."""

    def media_paths(self) -> Iterable[str]:
        """Return every referenced media path once."""
        ...


def write_media_zip(data: MediaSource, media_dir: Path, path: Path) -> MediaZipResult:
    """Zip the media files the export refers to (those that exist), named by relative path."""
    stored: list[str] = []
    missing: list[str] = []
    with _atomic(path, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as zf:
        for relative in data.media_paths():
            source = _media_file(Path(media_dir), relative)
            if source is None:
                missing.append(relative)
                continue
            # Photos, voice notes and videos are compressed already: store them as they are.
            zf.write(source, arcname=relative)
            stored.append(relative)
    return MediaZipResult(Path(path), stored, missing)
