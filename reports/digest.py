"""The weekly picture of the buurt (buurtbeeld): a pure builder from the database to values.

`build_digest()` reads one organisation's ISO week (Monday 00:00 to Monday 00:00 in the
deployment's time zone, Europe/Brussels) and the week before it, and returns a `WeeklyDigest`:
a tree of frozen dataclasses holding plain values, no HTML. `reports/render.py` turns it into
one self-contained HTML file and a short Telegram summary.

Translation. The tree holds catalog *keys*, never sentences: a theme is its code ("food", shown
as `theme.food`), a question for the team is a `Msg("digest.q.missing_theme", {...})`. The
renderer looks the keys up through a catalog callable that the caller passes in (key -> message
text in the reader's language), so nothing here imports `bot/`. What comes translated with the
geography itself (wijk names, indicator captions) is resolved here, in `language`.

Cost. Every query reads through an index whose first column is the organisation and whose
second is a moment: observations on (organisation_id, created_at), walks on
(organisation_id, started_at), track points on their walk, follow-ups on their date. The cost
grows with the two weeks compared, not with the history (the media rows of the week's
observations are looked up by observation id; see `_photos`).

Privacy. Authors appear nowhere (not even their pseudonym); encounters are quoted only when the
person agreed (details.quote_ok); key persons show their description, never contact details;
diary entries are counted and summarised but not put on the map, and their photos are not shown.
"""

from __future__ import annotations

import base64
import io
import json
import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

import geo
from storage import deployment
from storage.kinds import DIARY_ENTRY, KINDS, MAP_KINDS, PHOTO_KINDS, kind_of
from storage.media import UNFETCHED
from storage.models import Diarist, MediaFile, Observation, Organisation, TrackPoint, Walk
from storage.themes import THEMES
from storage.weeks import last_full_week, previous_week, week_of, week_start

WEEK = timedelta(days=7)
ISO_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)

# At a glance, in display order.
GLANCE = (
    "walks",
    "km",
    "hours",
    "notes",
    "encounters",
    "key_persons",
    "missing",
    "diary_entries",
    "diarists",
)
# The indicators shown against the Brussels reference, in display order.
CONTEXT_INDICATORS = (
    "pct_65plus_2025",
    "pct_hh_single_total_2025",
    "median_taxable_income_eur_2023",
    "unemployment_rate_pct_2023",
    "cpas_ris_rate_pct_2023",
)

MAX_MISSING_GROUPS = 8
MAX_VOICES = 4
MAX_REFLECTIONS = 3
MAX_PHOTOS = 12
MAX_QUESTIONS = 4
MAX_TALLY = 5
MAX_USER_TEXT = 400
THUMBNAIL_PX = 240
FOLLOW_UP_DAYS = 7
# Data this close outside the buurt (as a share of its size) is still framed on the map.
MAP_MARGIN = 0.08
MIN_MAP_SPAN_DEG = 0.004  # about 300 m: a single point still gets a readable frame
LEADING_WORDS = frozenset(
    {"a", "an", "the", "de", "het", "een", "le", "la", "les", "l", "un", "une", "des", "du"}
)


# -- the tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Msg:
    """A catalog key with parameters; parameter values may be text, numbers or another Msg."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Figure:
    """One "at a glance" figure (key in GLANCE) with the same figure of the week before."""

    key: str
    value: float
    previous: float
    decimals: int = 0

    @property
    def change(self) -> float:
        """Return this week's value minus last week's, rounded like the figure."""
        return round(self.value - self.previous, self.decimals)


@dataclass(frozen=True)
class Tally:
    """Something counted: user text (a place, a need) or a code (a transport); None = unknown."""

    label: str | None
    count: int


@dataclass(frozen=True)
class MapArea:
    """A wijk on the map: the buurt's own (in_buurt) or a neighbour, with lon/lat rings."""

    code: int
    name: str
    in_buurt: bool
    rings: tuple[tuple[tuple[float, float], ...], ...]
    label: tuple[float, float]


@dataclass(frozen=True)
class MapPoint:
    """A located observation of the week, drawn as the symbol of its kind (text as tooltip)."""

    lat: float
    lon: float
    kind: str
    text: str | None = None


@dataclass(frozen=True)
class MapData:
    """What the map shows: its frame (west, south, east, north degrees), wijken, tracks, points.

    The frame is the buurt's wijken plus the week's data close to them; with no buurt, the
    data's own extent. Points beyond the frame are counted in `outside`, observations without a
    location in `unlocated`. Tracks are (lat, lon) sequences.
    """

    frame: tuple[float, float, float, float]
    areas: tuple[MapArea, ...]
    tracks: tuple[tuple[tuple[float, float], ...], ...]
    points: tuple[MapPoint, ...]
    outside: int
    unlocated: int


@dataclass(frozen=True)
class ThemeCount:
    """Observations tagged with one life domain (storage.themes.THEMES; label `theme.<code>`)."""

    theme: str
    count: int
    previous: int


@dataclass(frozen=True)
class MissingGroup:
    """Reports of one missing thing: same theme and same text once normalised."""

    text: str | None
    theme: str | None
    count: int
    status: str | None
    alternatives: tuple[Tally, ...]
    nowhere: int
    median_distance_m: float | None
    transports: tuple[Tally, ...]
    affected: tuple[str, ...]
    impacts: tuple[str, ...]


@dataclass(frozen=True)
class MissingSummary:
    """What the buurt lacks this week: ranked groups and what they add up to."""

    total: int
    previous: int
    groups: tuple[MissingGroup, ...]
    more_groups: int
    alternatives: tuple[Tally, ...]
    nowhere: int
    median_distance_m: float | None
    with_distance: int
    transports: tuple[Tally, ...]
    affected: tuple[str, ...]


@dataclass(frozen=True)
class DiarySummary:
    """The diaries of the week: how many needs were met inside the buurt, partly, or outside.

    `needs` excludes the days answered with "nothing needed" (counted in `nothing_days`).
    """

    needs: int
    nothing_days: int
    diarists: int
    enrolled: int
    met_inside: int
    met_partly: int
    met_outside: int
    met_unknown: int
    top_needs: tuple[Tally, ...]
    transports: tuple[Tally, ...]
    where_instead: tuple[Tally, ...]
    median_distance_m: float | None

    @property
    def answered(self) -> int:
        """Return how many entries say whether the need was met."""
        return self.met_inside + self.met_partly + self.met_outside

    def share(self, part: int) -> int:
        """Return a count as a whole percentage of the answered entries."""
        return round(100 * part / self.answered) if self.answered else 0


@dataclass(frozen=True)
class Voice:
    """An anonymous quote: an encounter that agreed to be quoted, or a walk reflection."""

    kind: str
    text: str
    who: str | None
    who_text: str | None
    theme: str | None
    wijk: str | None
    day: date


@dataclass(frozen=True)
class KeyPerson:
    """A key person recorded this week (their description, never their contact details)."""

    alias: str | None
    role: str | None
    network: str | None
    wijk: str | None
    follow_up_on: date | None
    day: date


@dataclass(frozen=True)
class FollowUp:
    """A key person to follow up within the next days."""

    alias: str | None
    network: str | None
    note: str | None
    on: date


@dataclass(frozen=True)
class KeyPersonSummary:
    """New key persons, the networks they open, and the follow-ups coming up."""

    new: tuple[KeyPerson, ...]
    previous: int
    networks: tuple[str, ...]
    due: tuple[FollowUp, ...]
    due_from: date
    due_until: date


@dataclass(frozen=True)
class IndicatorRow:
    """One indicator for each buurt wijk and for the Brussels-Capital Region."""

    key: str
    caption: str
    unit: str
    source: str
    year: int
    values: tuple[float | None, ...]
    region: float | None
    flagged: tuple[bool, ...]


@dataclass(frozen=True)
class ContextSummary:
    """The buurt's wijken against the Brussels reference values (geo.indicators)."""

    wijken: tuple[tuple[int, str], ...]
    rows: tuple[IndicatorRow, ...]
    source: str

    @property
    def any_flagged(self) -> bool:
        """Say whether some value carries the source's "check this value" flag."""
        return any(any(row.flagged) for row in self.rows)


@dataclass(frozen=True)
class Photo:
    """A thumbnail of a photo of the week as a data URI (JPEG, at most THUMBNAIL_PX wide).

    `unfetched`: the photo never came from Telegram (given up on, or over 20 MB); there is no
    thumbnail then (empty data URI) and the page says so where the photo would be.
    """

    data_uri: str
    width: int
    height: int
    kind: str
    caption: str | None
    wijk: str | None
    day: date
    unfetched: bool = False


@dataclass(frozen=True)
class RetentionNote:
    """What the retention job removed this week: counts only, never content."""

    texts: int
    media: int
    months: int


@dataclass(frozen=True)
class WeeklyDigest:
    """The picture of one organisation's buurt for one ISO week, compared with the week before.

    `as_of` is set when the week is still running: the figures stop at that moment and the week
    before is cut at the same weekday and hour, so the comparison stays fair.
    """

    organisation_id: int
    organisation_name: str
    language: str
    timezone: str
    iso_year: int
    iso_week: int
    first_day: date
    last_day: date
    as_of: datetime | None
    previous_year: int
    previous_week: int
    observations: int
    previous_observations: int
    glance: tuple[Figure, ...]
    map: MapData | None
    themes: tuple[ThemeCount, ...]
    unthemed: int
    missing: MissingSummary
    diary: DiarySummary
    voices: tuple[Voice, ...]
    key_persons: KeyPersonSummary
    context: ContextSummary | None
    questions: tuple[Msg, ...]
    photos: tuple[Photo, ...]
    # Set when the retention job removed old free text or media during this week.
    retention: RetentionNote | None = None

    @property
    def is_empty(self) -> bool:
        """Say whether nothing at all was recorded this week (no observation, no walk)."""
        return self.observations == 0 and self.figure("walks").value == 0

    @property
    def week_label(self) -> str:
        """Return the ISO week as "2026-W48"."""
        return f"{self.iso_year}-W{self.iso_week:02d}"

    def figure(self, key: str) -> Figure:
        """Return one "at a glance" figure by key."""
        return next(f for f in self.glance if f.key == key)


# -- weeks -----------------------------------------------------------------------------------


def parse_iso_week(text: str) -> tuple[int, int]:
    """Read "2026-W48" (or "2026W48"); raise ValueError with a plain reason otherwise."""
    match = ISO_WEEK.match(text or "")
    if match is None:
        raise ValueError(f"{text!r} is not an ISO week: use YYYY-Www, e.g. 2026-W48")
    year, week = int(match[1]), int(match[2])
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{year} has no ISO week {week}") from None
    return year, week


# -- small helpers ---------------------------------------------------------------------------


def normalise(text: str | None) -> str:
    """Return text reduced for grouping: case, accents, punctuation and a leading article go."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = re.sub(r"[^\w]+", " ", plain).split()
    while len(words) > 1 and words[0] in LEADING_WORDS:
        words = words[1:]
    return " ".join(words)


def clip(text: str | None, limit: int = MAX_USER_TEXT) -> str | None:
    """Return stripped user text, shortened with an ellipsis past the limit; None if empty."""
    if text is None:
        return None
    text = " ".join(str(text).split())
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _details(observation: Observation) -> Mapping[str, Any]:
    return observation.details if isinstance(observation.details, dict) else {}


def _tally(values: Iterable[str | None], limit: int = MAX_TALLY) -> tuple[Tally, ...]:
    """Count values (grouped by their normalised form, shown as first written); most first."""
    counts: Counter[str] = Counter()
    shown: dict[str, str | None] = {}
    order: dict[str, int] = {}
    for value in values:
        key = normalise(value) if value else ""
        counts[key] += 1
        shown.setdefault(key, clip(value, 80) if value else None)
        order.setdefault(key, len(order))
    ranked = sorted(counts, key=lambda k: (-counts[k], order[k]))
    return tuple(Tally(shown[k], counts[k]) for k in ranked[:limit])


def _distinct(texts: Iterable[str | None], limit: int) -> tuple[str, ...]:
    """Return distinct non-empty texts (by normalised form) in order, clipped."""
    seen: set[str] = set()
    result: list[str] = []
    for text in texts:
        value = clip(text, 160)
        key = normalise(value)
        if value and key not in seen:
            seen.add(key)
            result.append(value)
        if len(result) >= limit:
            break
    return tuple(result)


def _median(values: Iterable[Any]) -> float | None:
    numbers = [float(v) for v in values if isinstance(v, int | float) and v >= 0]
    return float(statistics.median(numbers)) if numbers else None


def _wijk_name(code: int | None, language: str) -> str | None:
    if code is None:
        return None
    found = geo.wijk(code)
    return found.name(language) if found else None


def _local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


# -- the builder -----------------------------------------------------------------------------


@dataclass
class _Window:
    """The observations and walks of one period."""

    observations: list[Observation]
    walks: list[Walk]


def _retention(
    session: Session, organisation_id: int, start: datetime, end: datetime
) -> RetentionNote | None:
    """Return the retention job's last removal if it happened in this week."""
    raw = deployment.get_value(session, f"retention:{organisation_id}")
    organisation = session.get(Organisation, organisation_id)
    if not raw or organisation is None:
        return None
    record = json.loads(raw)
    moment = datetime.fromisoformat(record["at"])
    if not start <= moment < end:
        return None
    return RetentionNote(int(record["texts"]), int(record["media"]), organisation.retention_months)


def build_digest(
    session: Session,
    organisation_id: int,
    iso_year: int,
    iso_week: int,
    language: str,
    timezone: str = "Europe/Brussels",
    media_dir: str | Path | None = None,
    *,
    as_of: datetime | None = None,
) -> WeeklyDigest:
    """Build the picture of one organisation's ISO week (reads only; changes nothing).

    With `as_of` inside the week, the week is "so far": data up to that moment, compared with
    the week before up to the same weekday and hour. `media_dir` is where stored photos are
    (without it no thumbnails are made). Raises LookupError for an unknown organisation and
    ValueError for a week that does not exist.
    """
    language = geo.normalize_language(language)
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise LookupError(f"there is no organisation with id {organisation_id}")
    tz = ZoneInfo(timezone)
    first_day = date.fromisocalendar(iso_year, iso_week, 1)
    start = week_start(iso_year, iso_week, timezone)
    end = week_start(*_next_week(iso_year, iso_week), timezone)
    prev_year, prev_week = previous_week(iso_year, iso_week)
    prev_start = week_start(prev_year, prev_week, timezone)
    prev_end = start
    if as_of is not None and start <= as_of < end:
        end = as_of
        # The same weekday and wall-clock time a week earlier (DST-safe in local time).
        prev_end = (as_of.astimezone(tz) - WEEK).astimezone(UTC)
    else:
        as_of = None

    current, previous = _load(session, organisation_id, prev_start, prev_end, start, end)
    buurt = sorted(w.wijk_code for w in organisation.wijken)
    tracks = _tracks(session, [w.id for w in current.walks])
    km, hours = _walk_totals(current, tracks, end)
    previous_tracks = _tracks(session, [w.id for w in previous.walks if w.distance_m is None])
    prev_km, prev_hours = _walk_totals(previous, previous_tracks, prev_end)
    glance = _glance(current, previous, km, hours, prev_km, prev_hours)
    themes, unthemed = _themes(current.observations, previous.observations)
    missing = _missing(current.observations, previous.observations)
    diary = _diary(session, organisation_id, current.observations, first_day, end, tz)
    key_persons = _key_persons(
        session, organisation_id, current, previous, language, tz, end, as_of
    )
    digest = WeeklyDigest(
        organisation_id=organisation_id,
        organisation_name=organisation.name,
        language=language,
        timezone=timezone,
        iso_year=iso_year,
        iso_week=iso_week,
        first_day=first_day,
        last_day=first_day + timedelta(days=6),
        as_of=as_of,
        previous_year=prev_year,
        previous_week=prev_week,
        observations=len(current.observations),
        previous_observations=len(previous.observations),
        glance=glance,
        map=_map(buurt, current, tracks, language),
        themes=themes,
        unthemed=unthemed,
        missing=missing,
        diary=diary,
        voices=_voices(current.observations, language, tz),
        key_persons=key_persons,
        context=_context(buurt, language),
        questions=(),
        photos=_photos(session, current.observations, media_dir, language, tz),
        retention=_retention(session, organisation_id, start, end),
    )
    return _with_questions(digest, buurt, current)


def _next_week(iso_year: int, iso_week: int) -> tuple[int, int]:
    iso = (date.fromisocalendar(iso_year, iso_week, 1) + WEEK).isocalendar()
    return iso.year, iso.week


def _load(
    session: Session,
    organisation_id: int,
    prev_start: datetime,
    prev_end: datetime,
    start: datetime,
    end: datetime,
) -> tuple[_Window, _Window]:
    """Read both periods with one range scan each on the (organisation, moment) indexes."""
    observations = session.scalars(
        select(Observation)
        .where(
            Observation.organisation_id == organisation_id,
            Observation.created_at >= prev_start,
            Observation.created_at < end,
        )
        .order_by(Observation.created_at, Observation.id)
    ).all()
    walks = session.scalars(
        select(Walk)
        .where(
            Walk.organisation_id == organisation_id,
            Walk.started_at >= prev_start,
            Walk.started_at < end,
        )
        .order_by(Walk.started_at, Walk.id)
    ).all()

    def window(lo: datetime, hi: datetime) -> _Window:
        return _Window(
            [o for o in observations if lo <= o.created_at < hi],
            [w for w in walks if lo <= w.started_at < hi],
        )

    return window(start, end), window(prev_start, prev_end)


def _tracks(session: Session, walk_ids: Sequence[int]) -> dict[int, list[tuple[float, float]]]:
    """Return the (lat, lon) tracks of some walks, read through the walk_id index."""
    result: dict[int, list[tuple[float, float]]] = defaultdict(list)
    if not walk_ids:
        return result
    rows = session.execute(
        select(TrackPoint.walk_id, TrackPoint.lat, TrackPoint.lon)
        .where(TrackPoint.walk_id.in_(walk_ids))
        .order_by(TrackPoint.walk_id, TrackPoint.recorded_at, TrackPoint.id)
    )
    for walk_id, lat, lon in rows:
        result[walk_id].append((lat, lon))
    return result


def _walk_totals(
    window: _Window, tracks: Mapping[int, list[tuple[float, float]]], until: datetime
) -> tuple[float, float]:
    """Return the kilometres and hours walked in a period.

    The distance is the one stored when the walk ended, else measured on its track. A walk
    closed because it was forgotten counts until its last sign of life, not until the sweep
    closed it; a walk still open counts until its last sign of life (or the period's end).
    """
    last_note: dict[int, datetime] = {}
    for observation in window.observations:
        if observation.walk_id is not None:
            last_note[observation.walk_id] = max(
                observation.created_at, last_note.get(observation.walk_id, observation.created_at)
            )
    metres = 0.0
    seconds = 0.0
    for walk in window.walks:
        if walk.distance_m is not None:
            metres += walk.distance_m
        elif len(tracks.get(walk.id, ())) > 1:
            metres += geo.track_length_m(tracks[walk.id])
        if walk.ended_at is not None and walk.closed_reason != "forgotten":
            finish = walk.ended_at
        else:
            signs = [m for m in (walk.last_point_at, last_note.get(walk.id)) if m is not None]
            finish = max(signs) if signs else walk.started_at
            if walk.ended_at is not None:
                finish = min(finish, walk.ended_at)
        finish = min(finish, max(until, walk.started_at))
        seconds += max(0.0, (finish - walk.started_at).total_seconds())
    return round(metres / 1000, 1), round(seconds / 3600, 1)


def _is_reflection(observation: Observation) -> bool:
    return observation.kind == "walk_note" and bool(_details(observation).get("reflection"))


def _counts(observations: Sequence[Observation]) -> dict[str, int]:
    # Each kind counts in its figure (walk notes and notes alike: what the team saw and heard).
    counts = Counter(kind_of(o.kind).tally for o in observations if not _is_reflection(o))
    diarists = {o.member_id or o.author for o in observations if o.kind == DIARY_ENTRY}
    return {**{kind.tally: counts[kind.tally] for kind in KINDS}, "diarists": len(diarists)}


def _glance(
    current: _Window,
    previous: _Window,
    km: float,
    hours: float,
    prev_km: float,
    prev_hours: float,
) -> tuple[Figure, ...]:
    now_counts = _counts(current.observations)
    before = _counts(previous.observations)
    values = {
        "walks": (len(current.walks), len(previous.walks), 0),
        "km": (km, prev_km, 1),
        "hours": (hours, prev_hours, 1),
        **{key: (now_counts[key], before[key], 0) for key in now_counts},
    }
    return tuple(Figure(key, *values[key]) for key in GLANCE)


def _themes(
    current: Sequence[Observation], previous: Sequence[Observation]
) -> tuple[tuple[ThemeCount, ...], int]:
    """Count observations per life domain (unknown codes count as "other")."""

    def count(observations: Sequence[Observation]) -> tuple[Counter[str], int]:
        tally: Counter[str] = Counter()
        none = 0
        for observation in observations:
            kind = kind_of(observation.kind)
            if not kind.themed:
                continue
            if _is_reflection(observation) or (
                observation.kind == DIARY_ENTRY and not _is_need(observation)
            ):
                continue
            if observation.theme is None:
                none += kind.asks_theme
                continue
            tally[observation.theme if observation.theme in THEMES else "other"] += 1
        return tally, none

    now, unthemed = count(current)
    before, _ = count(previous)
    rows = tuple(
        ThemeCount(theme, now[theme], before[theme])
        for theme in THEMES
        if now[theme] or before[theme]
    )
    return rows, unthemed


def _group_key(observation: Observation) -> tuple[str, str]:
    return (observation.theme or "", normalise(observation.text))


def _ranked_groups(observations: Sequence[Observation]) -> list[list[Observation]]:
    """Group by theme + normalised text; most mentioned first, then the most recent."""
    groups: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for observation in observations:
        groups[_group_key(observation)].append(observation)
    return sorted(
        groups.values(),
        key=lambda g: (-len(g), -max(o.created_at for o in g).timestamp(), _group_key(g[0])),
    )


def _representative(group: Sequence[Observation]) -> str | None:
    texts = Counter(clip(o.text, 160) for o in group if clip(o.text))
    if not texts:
        return None
    return texts.most_common(1)[0][0]


def _alternative(observation: Observation) -> str | None:
    """Return where people go instead: typed text or the place's wijk name (None: unknown)."""
    details = _details(observation)
    value = details.get("alternative")
    return str(value) if value else None


def _missing(current: Sequence[Observation], previous: Sequence[Observation]) -> MissingSummary:
    reports = [o for o in current if o.kind == "missing"]
    groups: list[MissingGroup] = []
    for group in _ranked_groups(reports):
        details = [_details(o) for o in group]
        going = [o for o, d in zip(group, details, strict=True) if _goes_somewhere(d)]
        statuses = Counter(d.get("status") for d in details if d.get("status"))
        groups.append(
            MissingGroup(
                text=_representative(group),
                theme=group[0].theme,
                count=len(group),
                status=statuses.most_common(1)[0][0] if statuses else None,
                alternatives=_tally(_alternative(o) for o in going),
                nowhere=sum(1 for d in details if d.get("alternative_source") == "nowhere"),
                median_distance_m=_median(d.get("distance_m") for d in details),
                transports=_tally(d.get("transport") for d in details if d.get("transport")),
                affected=_distinct((d.get("affected") for d in details), 3),
                impacts=_distinct((d.get("impact") for d in details), 2),
            )
        )
    all_details = [_details(o) for o in reports]
    distances = [d.get("distance_m") for d in all_details]
    return MissingSummary(
        total=len(reports),
        previous=sum(1 for o in previous if o.kind == "missing"),
        groups=tuple(groups[:MAX_MISSING_GROUPS]),
        more_groups=max(0, len(groups) - MAX_MISSING_GROUPS),
        alternatives=_tally(_alternative(o) for o in reports if _goes_somewhere(_details(o))),
        nowhere=sum(1 for d in all_details if d.get("alternative_source") == "nowhere"),
        median_distance_m=_median(distances),
        with_distance=sum(1 for d in distances if isinstance(d, int | float)),
        transports=_tally(d.get("transport") for d in all_details if d.get("transport")),
        affected=_distinct((d.get("affected") for d in all_details), 6),
    )


def _goes_somewhere(details: Mapping[str, Any]) -> bool:
    source = details.get("alternative_source")
    if source == "nowhere":
        return False
    return bool(details.get("alternative")) or source == "location"


def _is_need(observation: Observation) -> bool:
    """Say whether a diary entry is a need (a "nothing needed today" answer is not)."""
    return observation.kind == "diary_entry" and not _details(observation).get("nothing")


def _diary(
    session: Session,
    organisation_id: int,
    observations: Sequence[Observation],
    first_day: date,
    end: datetime,
    tz: ZoneInfo,
) -> DiarySummary:
    answers = [o for o in observations if o.kind == "diary_entry"]
    entries = [o for o in answers if _is_need(o)]
    met = Counter(str(_details(o).get("met") or "") for o in entries)
    leaving = [o for o in entries if _details(o).get("met") in ("no", "partly")]
    needs = [
        Tally(_representative(group), len(group))
        for group in _ranked_groups(leaving)
        if _representative(group)
    ]
    last_day = min(first_day + timedelta(days=6), _local_day(end - timedelta(microseconds=1), tz))
    enrolled = session.scalars(
        select(Diarist).where(
            Diarist.organisation_id == organisation_id,
            Diarist.started_on <= last_day,
            Diarist.ends_on >= first_day,
        )
    ).all()
    week_start_utc = datetime.combine(first_day, time(0), tz).astimezone(UTC)
    keeping = [d for d in enrolled if d.stopped_at is None or d.stopped_at >= week_start_utc]
    return DiarySummary(
        needs=len(entries),
        nothing_days=len(answers) - len(entries),
        diarists=len({o.member_id or o.author for o in answers}),
        enrolled=len(keeping),
        met_inside=met["yes"],
        met_partly=met["partly"],
        met_outside=met["no"],
        met_unknown=len(entries) - met["yes"] - met["partly"] - met["no"],
        top_needs=tuple(needs[:MAX_TALLY]),
        transports=_tally(_details(o).get("transport") for o in leaving if _transport(o)),
        where_instead=_tally(
            _details(o).get("where_instead") for o in leaving if _details(o).get("where_instead")
        ),
        median_distance_m=_median(_details(o).get("distance_m") for o in leaving),
    )


def _transport(observation: Observation) -> bool:
    return bool(_details(observation).get("transport"))


def _voices(observations: Sequence[Observation], language: str, tz: ZoneInfo) -> tuple[Voice, ...]:
    """Quotes people agreed to, and walk reflections; the most recent first."""
    quotes: list[Voice] = []
    reflections: list[Voice] = []
    for observation in reversed(observations):
        details = _details(observation)
        if observation.kind == "encounter" and details.get("quote_ok") is True:
            text = clip(details.get("experience") or details.get("needs") or observation.text)
            if text and len(quotes) < MAX_VOICES:
                quotes.append(
                    Voice(
                        kind="encounter",
                        text=text,
                        who=details.get("who"),
                        who_text=clip(details.get("who_text"), 60),
                        theme=observation.theme,
                        wijk=_wijk_name(observation.wijk_code, language),
                        day=_local_day(observation.created_at, tz),
                    )
                )
        elif _is_reflection(observation):
            text = clip(observation.text)
            if text and len(reflections) < MAX_REFLECTIONS:
                reflections.append(
                    Voice(
                        kind="reflection",
                        text=text,
                        who=None,
                        who_text=None,
                        theme=None,
                        wijk=None,
                        day=_local_day(observation.created_at, tz),
                    )
                )
    return (*quotes, *reflections)


def _key_persons(
    session: Session,
    organisation_id: int,
    current: _Window,
    previous: _Window,
    language: str,
    tz: ZoneInfo,
    end: datetime,
    as_of: datetime | None,
) -> KeyPersonSummary:
    new: list[KeyPerson] = []
    for observation in current.observations:
        if observation.kind != "key_person":
            continue
        details = _details(observation)
        new.append(
            KeyPerson(
                alias=clip(details.get("alias"), 80),
                role=clip(details.get("role"), 80),
                network=clip(details.get("network") or observation.text, 160),
                wijk=_wijk_name(observation.wijk_code, language),
                follow_up_on=observation.follow_up_on,
                day=_local_day(observation.created_at, tz),
            )
        )
    # Follow-ups in the 7 days after the week (or from today, for a week still running).
    due_from = _local_day(as_of, tz) if as_of is not None else _local_day(end, tz)
    due_until = due_from + timedelta(days=FOLLOW_UP_DAYS - 1)
    # Read through the follow-up date index only (7 days of every organisation's follow-ups);
    # adding the organisation to the WHERE clause lets SQLite prefer the (organisation,
    # created_at) index, which would read the organisation's whole history.
    rows = [
        o
        for o in session.scalars(
            select(Observation)
            .where(Observation.follow_up_on >= due_from, Observation.follow_up_on <= due_until)
            .order_by(Observation.follow_up_on, Observation.id)
        )
        if o.organisation_id == organisation_id and o.kind == "key_person"
    ]
    due = tuple(
        FollowUp(
            alias=clip(_details(o).get("alias"), 80),
            network=clip(_details(o).get("network") or o.text, 160),
            note=clip(_details(o).get("follow_up"), 160),
            on=o.follow_up_on,
        )
        for o in rows
        if o.follow_up_on is not None
    )
    return KeyPersonSummary(
        new=tuple(new),
        previous=sum(1 for o in previous.observations if o.kind == "key_person"),
        networks=_distinct((k.network for k in new), 12),
        due=due,
        due_from=due_from,
        due_until=due_until,
    )


def _context(buurt: Sequence[int], language: str) -> ContextSummary | None:
    """The buurt's wijken against the Brussels-Capital Region (no invented regional values)."""
    wijken = [(code, geo.indicators(code)) for code in buurt]
    wijken = [(code, values) for code, values in wijken if values is not None]
    if not wijken:
        return None
    region = geo.region_reference()
    rows = []
    for key in CONTEXT_INDICATORS:
        info = geo.indicator_info(key)
        rows.append(
            IndicatorRow(
                key=key,
                caption=info.caption(language),
                unit=info.unit,
                source=info.source,
                year=info.year,
                values=tuple(values.value(key) for _, values in wijken),
                region=region.value(key),
                flagged=tuple(
                    key == "median_taxable_income_eur_2023" and values.income_suspect
                    for _, values in wijken
                ),
            )
        )
    return ContextSummary(
        wijken=tuple((code, _wijk_name(code, language) or str(code)) for code, _ in wijken),
        rows=tuple(rows),
        source=geo.SOURCE,
    )


# -- the map ---------------------------------------------------------------------------------


def _bounds(points: Iterable[tuple[float, float]]) -> tuple[float, float, float, float] | None:
    """Return (west, south, east, north) of (lat, lon) points, or None."""
    lats: list[float] = []
    lons: list[float] = []
    for lat, lon in points:
        lats.append(lat)
        lons.append(lon)
    if not lats:
        return None
    return min(lons), min(lats), max(lons), max(lats)


def _grow(
    frame: tuple[float, float, float, float], share: float, minimum: float = MIN_MAP_SPAN_DEG
) -> tuple[float, float, float, float]:
    west, south, east, north = frame
    dx = max(east - west, minimum) * (1 + 2 * share)
    dy = max(north - south, minimum) * (1 + 2 * share)
    cx, cy = (west + east) / 2, (south + north) / 2
    return cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2


def _inside(frame: tuple[float, float, float, float], lat: float, lon: float) -> bool:
    west, south, east, north = frame
    return west <= lon <= east and south <= lat <= north


def _rings(geometry: Any) -> tuple[tuple[tuple[float, float], ...], ...]:
    """Return every ring (outer and holes) of a (multi)polygon as (lon, lat) tuples."""
    polygons = getattr(geometry, "geoms", [geometry])
    rings: list[tuple[tuple[float, float], ...]] = []
    for polygon in polygons:
        for ring in (polygon.exterior, *polygon.interiors):
            rings.append(tuple((float(x), float(y)) for x, y in ring.coords))
    return tuple(rings)


def _map(
    buurt: Sequence[int],
    current: _Window,
    tracks: Mapping[int, list[tuple[float, float]]],
    language: str,
) -> MapData | None:
    """Frame the buurt (plus the week's data near it), or the data alone without a buurt."""
    located = [
        o
        for o in current.observations
        if o.kind in MAP_KINDS and o.lat is not None and o.lon is not None
    ]
    unlocated = sum(
        1 for o in current.observations if o.kind in MAP_KINDS and (o.lat is None or o.lon is None)
    )
    week_tracks = [tracks[w.id] for w in current.walks if len(tracks.get(w.id, ())) > 1]
    data_points = [(o.lat, o.lon) for o in located] + [p for t in week_tracks for p in t]
    buurt_wijken = [w for w in (geo.wijk(code) for code in buurt) if w is not None]
    if buurt_wijken:
        neighbour_codes = sorted(geo.neighbours([w.code for w in buurt_wijken]))
        neighbour_wijken = [w for w in map(geo.wijk, neighbour_codes) if w is not None]
        own = _bounds((y, x) for w in buurt_wijken for ring in _rings(w.geometry) for x, y in ring)
        assert own is not None
        reach = _grow(
            _bounds(
                (y, x)
                for w in (*buurt_wijken, *neighbour_wijken)
                for ring in _rings(w.geometry)
                for x, y in ring
            )
            or own,
            0.0,
        )
        near = [p for p in data_points if _inside(reach, *p)]
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
            rings=_rings(w.geometry),
            label=w.label,
        )
        for w in areas
        if _overlaps(frame, w.geometry.bounds)
    )
    points = tuple(
        MapPoint(o.lat, o.lon, o.kind, clip(o.text, 120))
        for o in located
        if _inside(frame, o.lat, o.lon)
    )
    shown_tracks = tuple(
        tuple(track) for track in week_tracks if any(_inside(frame, *p) for p in track)
    )
    return MapData(
        frame=frame,
        areas=map_areas,
        tracks=shown_tracks,
        points=points,
        outside=len(located) - len(points),
        unlocated=unlocated,
    )


def _overlaps(frame: tuple[float, float, float, float], bounds: Sequence[float]) -> bool:
    west, south, east, north = frame
    minx, miny, maxx, maxy = bounds
    return minx <= east and maxx >= west and miny <= north and maxy >= south


# -- photos ----------------------------------------------------------------------------------


def _photos(
    session: Session,
    observations: Sequence[Observation],
    media_dir: str | Path | None,
    language: str,
    tz: ZoneInfo,
) -> tuple[Photo, ...]:
    """Thumbnails of the week's stored photos (not diary photos), oldest first, and a
    placeholder for each photo that could not be fetched from Telegram.

    Re-encoding drops every EXIF field, GPS position included.
    """
    by_id = {o.id: o for o in observations if o.kind in PHOTO_KINDS}
    if not by_id:
        return ()
    root = Path(media_dir).resolve() if media_dir is not None else None
    # Only observation_id is in the WHERE clause, so the planner reads the media of the week's
    # observations through their index; with the status there too, SQLite may choose the
    # (status, id) index and read every stored file of the whole history instead.
    rows = session.scalars(
        select(MediaFile)
        .where(MediaFile.observation_id.in_(list(by_id)))
        .order_by(MediaFile.observation_id, MediaFile.id)
    ).all()
    photos: list[Photo] = []
    for row in rows:
        if row.kind != "photo" or len(photos) >= MAX_PHOTOS:
            continue
        if row.status in UNFETCHED:
            thumbnail: tuple[str, int, int] | None = ("", 0, 0)
        elif row.status != "stored" or not row.path or root is None:
            continue
        else:
            path = (root / row.path).resolve()
            if root not in path.parents or not path.is_file():
                continue
            thumbnail = _thumbnail(path)
        if thumbnail is None:
            continue
        observation = by_id[row.observation_id]
        uri, width, height = thumbnail
        photos.append(
            Photo(
                data_uri=uri,
                width=width,
                height=height,
                kind=observation.kind,
                caption=clip(observation.text, 120),
                wijk=_wijk_name(observation.wijk_code, language),
                day=_local_day(observation.created_at, tz),
                unfetched=row.status in UNFETCHED,
            )
        )
    return tuple(photos)


def _thumbnail(path: Path) -> tuple[str, int, int] | None:
    """Return (data URI, width, height) of a small JPEG of an image, or None if unreadable.

    JPEGs are decoded at a reduced scale (draft mode), which makes this several times faster;
    the EXIF orientation is applied to the small image.
    """
    from PIL import Image, UnidentifiedImageError

    turns = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }
    try:
        with Image.open(path) as image:
            orientation = image.getexif().get(0x0112, 1)
            image.draft("RGB", (THUMBNAIL_PX * 2, THUMBNAIL_PX * 2))
            image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            small = image.convert("RGB")
        if orientation in turns:
            small = small.transpose(turns[orientation])
        buffer = io.BytesIO()
        small.save(buffer, "JPEG", quality=72, optimize=True)
        width, height = small.size
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/jpeg;base64,{encoded}", width, height


# -- questions for the team meeting ----------------------------------------------------------


def _with_questions(digest: WeeklyDigest, buurt: Sequence[int], current: _Window) -> WeeklyDigest:
    """Return the digest with the questions for the team meeting filled in."""
    return replace(digest, questions=choose_questions(digest, buurt, current.observations))


def choose_questions(
    digest: WeeklyDigest, buurt: Sequence[int], observations: Sequence[Observation]
) -> tuple[Msg, ...]:
    """Pick the method's reading questions that fit this week (METHOD.md, "After fieldwork").

    Up to three questions prompted by what the week shows, most telling first, then always
    "what does this picture tell us?"; a week with little to go on also asks what is still
    missing in our network and in the buurt.
    """
    found: list[Msg] = []
    if digest.is_empty:
        found.append(Msg("digest.q.quiet"))
    missing = digest.missing
    by_theme = Counter(o.theme for o in observations if o.kind == "missing" and o.theme)
    theme, theme_count = by_theme.most_common(1)[0] if by_theme else (None, 0)
    if theme and theme_count >= 2 and theme_count * 3 >= missing.total:
        found.append(
            Msg("digest.q.missing_theme", {"theme": Msg(f"theme.{theme}"), "count": theme_count})
        )
    elif missing.groups and missing.groups[0].count >= 2 and missing.groups[0].text:
        top = missing.groups[0]
        found.append(Msg("digest.q.missing_thing", {"text": top.text, "count": top.count}))
    diary = digest.diary
    leaving = diary.share(diary.met_outside + diary.met_partly)
    if diary.answered >= 3 and leaving >= 40 and diary.top_needs and diary.top_needs[0].label:
        found.append(
            Msg("digest.q.diary_outside", {"share": leaving, "need": diary.top_needs[0].label})
        )
    people = digest.key_persons
    if people.new:
        found.append(Msg("digest.q.networks", {"count": len(people.new)}))
    elif not digest.is_empty:
        found.append(Msg("digest.q.no_key_persons"))
    if people.due:
        found.append(Msg("digest.q.follow_ups", {"count": len(people.due)}))
    encounters = digest.figure("encounters").value
    notes = digest.figure("notes").value
    if notes >= 3 and encounters == 0:
        found.append(Msg("digest.q.own_view"))
    elif notes and encounters:
        found.append(Msg("digest.q.compare_views"))
    visited = {o.wijk_code for o in observations if o.wijk_code is not None}
    unvisited = [code for code in buurt if code not in visited]
    if unvisited and not digest.is_empty:
        names = [_wijk_name(code, digest.language) or str(code) for code in unvisited[:3]]
        found.append(Msg("digest.q.unvisited", {"wijken": ", ".join(names)}))
    chosen = found[: MAX_QUESTIONS - 1]
    if len(chosen) < 2:
        chosen.append(Msg("digest.q.still_missing"))
    return (*chosen, Msg("digest.q.picture"))


__all__ = [
    "ContextSummary",
    "DiarySummary",
    "Figure",
    "FollowUp",
    "IndicatorRow",
    "KeyPerson",
    "KeyPersonSummary",
    "MapArea",
    "MapData",
    "MapPoint",
    "MissingGroup",
    "MissingSummary",
    "Msg",
    "Photo",
    "Tally",
    "ThemeCount",
    "Voice",
    "WeeklyDigest",
    "build_digest",
    "choose_questions",
    "last_full_week",
    "normalise",
    "parse_iso_week",
    "previous_week",
    "week_of",
    "week_start",
]
