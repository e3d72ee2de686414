"""The weekly picture (buurtbeeld) as values: a tree of frozen dataclasses, no HTML.

`reports/digest.py` builds a `WeeklyDigest` from storage rows, one pure builder per section
(`reports/sections/`); `reports/render.py` turns it into one self-contained HTML file and a
short Telegram summary.

Translation. The tree holds catalog *keys*, never sentences: a theme is its code ("food",
shown as `theme.food`), a finding is a `Msg("digest.find.missing", {...})`. A parameter named
`count` picks the plural form (ngettext). What comes translated with the geography itself (wijk
names, indicator captions) is resolved by the builders, in the digest's language.

Privacy. Authors appear only as their pseudonym; encounters are quoted in "Voices" and the
summary only when the person agreed (details.quote_ok); key persons show their description,
never contact details; diary entries are counted and summarised but never listed, put on the
map or shown as photos.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# "At a glance" figures, in display order.
GLANCE = (
    "walks",
    "km",
    "hours",
    "notes",
    "encounters",
    "key_persons",
    "missing",
    "focus_groups",
    "diary_entries",
    "diarists",
    "survey_responses",
)


@dataclass(frozen=True)
class Msg:
    """A catalog key with parameters; values may be text, numbers, dates or another Msg.

    An int parameter named `count` chooses the plural form of the message.
    """

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Quantity:
    """A measured value for a message parameter, written out by the renderer in the reader's
    locale: `unit` is "km" (value in metres), "duration" (hours), "percent" (0-100) or ""."""

    value: float
    unit: str = ""


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


# -- the map ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapArea:
    """A wijk on the map: the buurt's own (in_buurt) or a neighbour, with lon/lat rings.

    `visited`: some observation of the week lies in it (unvisited buurt wijken are shaded).
    """

    code: int
    name: str
    in_buurt: bool
    rings: tuple[tuple[tuple[float, float], ...], ...]
    label: tuple[float, float]
    visited: bool = True


@dataclass(frozen=True)
class MapPoint:
    """A located observation of the week: its number in the list, kind and text (for the
    marker's title)."""

    lat: float
    lon: float
    kind: str
    text: str | None = None
    number: int = 0


@dataclass(frozen=True)
class MapData:
    """What the map shows: its frame (west, south, east, north degrees), wijken, tracks, points.

    The frame is the buurt's wijken plus the week's data close to them; with no buurt, the
    data's own extent. Points beyond the frame are counted in `outside`, observations without a
    location in `unlocated`. Tracks are (lat, lon) sequences; each is drawn with its start
    and end.
    """

    frame: tuple[float, float, float, float]
    areas: tuple[MapArea, ...]
    tracks: tuple[tuple[tuple[float, float], ...], ...]
    points: tuple[MapPoint, ...]
    outside: int
    unlocated: int


# -- the list of the week's observations -------------------------------------------------


@dataclass(frozen=True)
class Photo:
    """A thumbnail of a photo as a data URI (JPEG, at most THUMBNAIL_PX wide).

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
    number: int = 0


@dataclass(frozen=True)
class VoiceNote:
    """A voice note (or audio) of an observation: its length, and the file as a data URI when
    the week's voice notes fit the page's size budget (else "" and the page points to the
    export's media zip). `unfetched`: it never came from Telegram."""

    seconds: int | None
    data_uri: str = ""
    mime_type: str = "audio/ogg"
    unfetched: bool = False


@dataclass(frozen=True)
class Fact:
    """One labelled line of an entry: a catalog key for the label and the value (user text,
    or a Msg for a coded answer)."""

    label: str
    value: Any


@dataclass(frozen=True)
class Entry:
    """One observation of the week in the numbered list (and on the map, under `number`).

    `kind` is the registry kind, or "reflection" for a walk reflection. `text` is what was
    noted (for an encounter: what the person said; for a key person: their description);
    `facts` the kind's other answers. `place` is the street when geocoded, else the wijk.
    `on_map`: a marker with this number is drawn. `quotable` (encounters): whether the person
    agreed to be quoted. `videos` are never embedded: the page points to the media zip.
    """

    number: int
    id: int
    kind: str
    moment: datetime
    author: str
    text: str | None
    facts: tuple[Fact, ...] = ()
    theme: str | None = None
    place: str | None = None
    on_map: bool = False
    photos: tuple[Photo, ...] = ()
    voices: tuple[VoiceNote, ...] = ()
    videos: int = 0
    quotable: bool | None = None
    # Photos past the page's thumbnail limit: they are in the export's media zip.
    photos_in_zip: int = 0
    # The team's replies to the entry's card in the team group, oldest first.
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class Comment:
    """A team member's comment on an observation: their chosen name (else their role), words."""

    author: str | None
    role: str | None
    text: str


@dataclass(frozen=True)
class Media:
    """How the week's media came out: whether the voice notes are on the page, and the sizes."""

    voice_notes: int
    voice_bytes: int
    voices_embedded: bool
    budget_bytes: int


# -- sections ---------------------------------------------------------------------------


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
    numbers: tuple[int, ...] = ()


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
    """An anonymous quote: an encounter that agreed to be quoted, a quote a focus group's
    participant agreed to share, or a walk reflection (`kind` says which)."""

    kind: str
    text: str
    who: str | None
    who_text: str | None
    theme: str | None
    wijk: str | None
    day: date
    number: int = 0


@dataclass(frozen=True)
class FocusGroupLine:
    """A focus group of the week: when and where it met, who came (numbers per kind of person
    in storage.focusgroups.ATTENDANCE order, never names), how it came together (a channel
    code, or typed words), how many questions and agreed quotes, and whose voice was missing.
    """

    number: int
    held_on: date
    wijk: str | None
    attendance: tuple[Tally, ...]
    people: int
    channel: str
    channel_text: str | None
    questions: int
    quotes: int
    missing_voices: str | None
    theme: str | None


@dataclass(frozen=True)
class KeyPerson:
    """A key person recorded this week (their description, never their contact details)."""

    alias: str | None
    role: str | None
    network: str | None
    wijk: str | None
    follow_up_on: date | None
    day: date
    number: int = 0


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
class WijkCoverage:
    """One wijk of the buurt: observations there this week and since the organisation began."""

    code: int
    name: str
    week: int
    since_start: int


@dataclass(frozen=True)
class Coverage:
    """Where the week's located observations are, against the buurt's wijken.

    `located` counts the week's observations with a place (diary entries excluded), `outside`
    those of them outside the buurt's wijken.
    """

    wijken: tuple[WijkCoverage, ...]
    located: int
    outside: int
    since: date

    @property
    def unvisited(self) -> tuple[WijkCoverage, ...]:
        """Return the buurt's wijken where nothing was noted this week."""
        return tuple(w for w in self.wijken if w.week == 0)

    @property
    def mostly_outside(self) -> bool:
        """Say whether most located observations (at least 3) fall outside the buurt."""
        return self.located >= 3 and self.outside * 2 > self.located


@dataclass(frozen=True)
class DiaristProgress:
    """One diary, without a name: which day of its 30 it is at, and days since its last entry
    (None: nothing written yet)."""

    day: int
    days: int
    silent_days: int | None

    @property
    def silent(self) -> bool:
        """Say whether the diarist wrote nothing for 3 days or more."""
        return self.silent_days is None or self.silent_days >= 3


@dataclass(frozen=True)
class Participation:
    """Who the week's observations come from, without names.

    `roles`: observations per member role (label `role.<code>`; None: a member who left).
    `diarists`: each running diary's progress. `channels`: encounters per channel (every
    channel listed, also at 0, so the team sees whose voice it is not hearing); `who`:
    encounters per kind of person; `focus_channels`: focus groups per channel.
    """

    roles: tuple[Tally, ...]
    diarists: tuple[DiaristProgress, ...]
    channels: tuple[Tally, ...]
    who: tuple[Tally, ...]
    encounters: int
    # Observations per team member, by the name they chose (members without one are not named).
    people: tuple[Tally, ...] = ()
    # Focus groups per channel (storage.focusgroups.CHANNELS, label `focusgroup.channel.<code>`),
    # only in a week that had one.
    focus_channels: tuple[Tally, ...] = ()


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
class RetentionNote:
    """What the retention job removed this week: counts only, never content."""

    texts: int
    media: int
    months: int


@dataclass(frozen=True)
class SurveyQuestionResult:
    """What the answers to one survey question add up to.

    `answered` counts respondents who gave an answer (skips and those who stopped before are
    not counted); `counts` holds choices or scale points with how often each was given (every
    choice and point shown, even at 0); `average` is the mean of a scale or number question
    over those `answered`; `samples` a few free answers, newest first, and `quoted` the record
    each one comes from, in the same order (None when the response's record is not known);
    `spoken` how many were voice notes.
    """

    number: int
    text: str
    kind: str
    theme: str | None
    answered: int
    counts: tuple[Tally, ...] = ()
    average: float | None = None
    samples: tuple[str, ...] = ()
    spoken: int = 0
    quoted: tuple[int | None, ...] = ()


@dataclass(frozen=True)
class SurveyResult:
    """One survey's results so far, and who answered: by channel and by wijk.

    `responses` = `complete` + `partial`; `this_week` of them began this week. `channels`
    tallies door to door and self-completed (both always listed); `wijken` the respondents'
    wijk names from a place answer (None: no place given), most first.
    """

    title: str
    status: str
    responses: int
    complete: int
    partial: int
    this_week: int
    channels: tuple[Tally, ...]
    wijken: tuple[Tally, ...]
    questions: tuple[SurveyQuestionResult, ...]


@dataclass(frozen=True)
class HypothesisCandidate:
    """An observation of the week that concerns an open hypothesis and is not marked for it yet.

    `number` is its number in the picture's list (0 when not listed); the links open the bot
    and mark it as supporting or contradicting in one tap (None when the bot's username is not
    known yet).
    """

    observation_id: int
    number: int
    kind: str
    text: str | None
    supports_link: str | None
    contradicts_link: str | None


@dataclass(frozen=True)
class HypothesisSummary:
    """One open hypothesis: its words, what it concerns, its evidence and the week's candidates.

    `supports` and `contradicts` count the marks made by the end of the week, `*_week` those
    made during it;
    `candidates` are the newest unmarked observations of the week that share a theme or wijk
    with it (never diary entries), `more_candidates` how many more there are. `statement` is
    None while a voice note is not written out, or when `cleared`: retention removed its words.
    """

    number: int
    statement: str | None
    themes: tuple[str, ...]
    wijken: tuple[str, ...]
    supports: int
    contradicts: int
    supports_week: int
    contradicts_week: int
    candidates: tuple[HypothesisCandidate, ...]
    more_candidates: int
    cleared: bool = False


@dataclass(frozen=True)
class WeeklyDigest:
    """The picture of one organisation's buurt for one ISO week, compared with the week before.

    Read top to bottom as the page shows it: `findings` (3 to 5 sentences picked from the
    data), `questions` for the team meeting, `glance` (the compact count line), then the map
    and `entries` (every observation, numbered as on the map), `coverage`, `participation` and
    the sections that follow. `as_of` is set when the week is still running: the figures stop
    at that moment and the week before is cut at the same weekday and hour.
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
    findings: tuple[Msg, ...] = ()
    entries: tuple[Entry, ...] = ()
    coverage: Coverage | None = None
    participation: Participation | None = None
    media: Media | None = None
    # Set when the retention job removed old free text or media during this week.
    retention: RetentionNote | None = None
    # The surveys running this week, with their results so far.
    surveys: tuple[SurveyResult, ...] = ()
    # The open hypotheses with their evidence and the week's candidates (round 2 onwards).
    hypotheses: tuple[HypothesisSummary, ...] = ()
    # The week's focus groups, one line each.
    focus_groups: tuple[FocusGroupLine, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Say whether nothing at all was recorded this week (no observation, no walk)."""
        return self.observations == 0 and self.figure("walks").value == 0

    @property
    def week_label(self) -> str:
        """Return the ISO week as "2026-W48"."""
        return f"{self.iso_year}-W{self.iso_week:02d}"

    @property
    def photos(self) -> tuple[Photo, ...]:
        """Return every photo of the listed observations, in list order."""
        return tuple(photo for entry in self.entries for photo in entry.photos)

    def figure(self, key: str) -> Figure:
        """Return one "at a glance" figure by key."""
        return next(f for f in self.glance if f.key == key)


__all__ = [
    "GLANCE",
    "SurveyQuestionResult",
    "SurveyResult",
    "ContextSummary",
    "Coverage",
    "DiaristProgress",
    "DiarySummary",
    "Entry",
    "Fact",
    "Figure",
    "FocusGroupLine",
    "FollowUp",
    "IndicatorRow",
    "KeyPerson",
    "KeyPersonSummary",
    "MapArea",
    "MapData",
    "MapPoint",
    "Media",
    "MissingGroup",
    "MissingSummary",
    "Msg",
    "Participation",
    "Quantity",
    "Photo",
    "RetentionNote",
    "Tally",
    "ThemeCount",
    "Voice",
    "VoiceNote",
    "WeeklyDigest",
    "WijkCoverage",
]
