"""The round report as values: one frozen dataclass per section, no HTML.

`reports/round/build.py` reads a period through `storage.round`, runs the section builders
listed in `reports/round/sections.py:SECTIONS` (one module each) and assembles a
`RoundReport`; `reports/render.py:render_round_html` turns it into one self-contained HTML
file with `reports/templates/round.html` and one template per section
(`reports/templates/round/<name>.html`).

Like the weekly picture (reports/model.py), the tree holds catalog keys and codes, never
sentences. Observations are referred to by their id: every id a section cites (its `cited()`)
is listed once at the end of the page, under the anchor `obs-<id>`, so a SWOT item or a
hypothesis links to what it stands on.

Privacy. Authors appear only as their pseudonym; key persons by their description, never
their contact details; diaries are summarised per pseudonym and overall, never listed entry
by entry, and never drawn as a point (the buurtkaart counts diary places per wijk).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from reports.model import FocusGroupLine, MapData, MissingGroup, Msg, SurveyResult, Tally
from reports.sections.common import wijk_name
from storage.round import DiaryRow, HypothesisRows, SurveyRows
from storage.weekly import ObservationRow, WalkRow

# -- what every section builder reads -------------------------------------------------------


@dataclass(frozen=True)
class ReportWeek:
    """One week of the period: its Monday and ISO number (the first and last may be partial)."""

    monday: date
    iso_year: int
    iso_week: int

    @property
    def label(self) -> str:
        """Return the ISO week as "2026-W48"."""
        return f"{self.iso_year}-W{self.iso_week:02d}"


@dataclass(frozen=True)
class Period:
    """The period a round report covers, and the rows its sections are built from.

    `observations` and `walks` are the period's ([start, end)), oldest first; `key_persons`
    every key person recorded before `end`; `diaries` the diaries running during the period;
    `hypotheses` what the hypotheses store holds for the organisation (see
    storage/round.py:load_hypotheses); None when it was not read; `surveys` the surveys open
    during the period, each with its responses begun in it (trials never).
    """

    language: str
    tz: ZoneInfo
    buurt: tuple[int, ...]
    first_day: date
    last_day: date
    start: datetime
    end: datetime
    weeks: tuple[ReportWeek, ...]
    observations: tuple[ObservationRow, ...]
    walks: tuple[WalkRow, ...]
    key_persons: tuple[ObservationRow, ...]
    diaries: tuple[DiaryRow, ...]
    hypotheses: HypothesisRows | None = None
    surveys: SurveyRows = ()

    def day(self, moment: datetime) -> date:
        """Return the local day of a moment."""
        return moment.astimezone(self.tz).date()

    def week_index(self, moment: datetime) -> int:
        """Return the index in `weeks` of the week a moment falls in."""
        day = self.day(moment)
        return min(max((day - self.weeks[0].monday).days // 7, 0), len(self.weeks) - 1)

    def wijk(self, code: int | None) -> str | None:
        """Return a wijk's name in the report's language."""
        return wijk_name(code, self.language)


SectionBuilder = Callable[[Period, Mapping[str, Any]], Any]


# -- trends ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One count per week (key as in reports.model.GLANCE; km in kilometres), and its total."""

    key: str
    values: tuple[float, ...]
    total: float


@dataclass(frozen=True)
class HeatRow:
    """One theme's observations per week (label `theme.<code>`; None: no theme given)."""

    theme: str | None
    counts: tuple[int, ...]
    total: int


@dataclass(frozen=True)
class Trends:
    """The counts week by week, and the heat table of weeks by theme (`peak`: its top cell)."""

    weeks: tuple[ReportWeek, ...]
    series: tuple[Series, ...]
    heat: tuple[HeatRow, ...]
    peak: int

    def cited(self) -> tuple[int, ...]:
        """Return the observations this section links to (none: it counts)."""
        return ()


# -- missing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundMissing:
    """Everything reported missing in the period, grouped and ranked by repeated mentions.

    Each group's `numbers` are the ids of its reports (linked to `obs-<id>`).
    """

    total: int
    groups: tuple[MissingGroup, ...]
    more_groups: int
    alternatives: tuple[Tally, ...]
    nowhere: int
    median_distance_m: float | None
    with_distance: int
    disappeared: int

    def cited(self) -> tuple[int, ...]:
        """Return the reports the listed groups link to."""
        return tuple(i for g in self.groups for i in g.numbers[:MAX_REFS])


MAX_REFS = 12


# -- diaries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiaristRound:
    """One diary over the period, by pseudonym: how far it got and what it shows.

    `day` is the day of its 30 reached by the period's end; `answered` the days with an
    entry; `status` "running", "finished", "stopped" or "paused".
    """

    pseudonym: str
    started_on: date
    ends_on: date
    day: int
    days: int
    answered: int
    needs: int
    met_inside: int
    met_partly: int
    met_outside: int
    top_needs: tuple[Tally, ...]
    status: str

    @property
    def progress(self) -> int:
        """Return the answered days as a whole percentage of the diary's days."""
        return round(100 * self.answered / self.days) if self.days else 0


@dataclass(frozen=True)
class RoundDiaries:
    """The diaries of the period, per diarist and overall (never entry by entry)."""

    diarists: tuple[DiaristRound, ...]
    needs: int
    nothing_days: int
    met_inside: int
    met_partly: int
    met_outside: int
    top_needs: tuple[Tally, ...]
    where_instead: tuple[Tally, ...]
    transports: tuple[Tally, ...]
    median_distance_m: float | None

    @property
    def answered(self) -> int:
        """Return how many needs say whether they were met."""
        return self.met_inside + self.met_partly + self.met_outside

    def share(self, part: int) -> int:
        """Return a count as a whole percentage of the answered needs."""
        return round(100 * part / self.answered) if self.answered else 0

    def cited(self) -> tuple[int, ...]:
        """Return the observations this section links to (none: diaries stay aggregated)."""
        return ()


# -- key persons ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterEntry:
    """One key person met (records with the same description are one person).

    `last_contact` is the latest day the team was in touch: a record of them, or a planned
    follow-up day that has come. `dormant`: no contact in the DORMANT_DAYS before the period's
    end. `next_follow_up`: a follow-up planned after the period. `new`: first met in the
    period. `records` are the observation ids.
    """

    alias: str | None
    role: str | None
    networks: tuple[str, ...]
    wijk: str | None
    first_met: date
    last_contact: date
    last_follow_up: date | None
    next_follow_up: date | None
    dormant: bool
    new: bool
    records: tuple[int, ...]


@dataclass(frozen=True)
class Register:
    """The key-person register: everyone met up to the period's end, dormant ones flagged."""

    people: tuple[RegisterEntry, ...]
    networks: tuple[Tally, ...]
    dormant_days: int

    @property
    def dormant(self) -> tuple[RegisterEntry, ...]:
        """Return the dormant contacts."""
        return tuple(p for p in self.people if p.dormant)

    def cited(self) -> tuple[int, ...]:
        """Return the records of the people listed."""
        return tuple(i for p in self.people for i in p.records[-3:])


# -- the buurtkaart -------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A place that matters, numbered as on the map: `kind` "meeting" (where an encounter
    happened, with the places the person named), "instead" (where people go for something
    missing) or "key_person" (where a key person was met)."""

    number: int
    kind: str
    text: str | None
    wijk: str | None
    observation_id: int


@dataclass(frozen=True)
class WijkCount:
    """How often a wijk came up (diaries: where diarists went; never a person's point)."""

    code: int
    name: str
    count: int
    lat: float
    lon: float


@dataclass(frozen=True)
class Buurtkaart:
    """The map of the period: places that matter, and the diaries' places counted per wijk."""

    map: MapData | None
    places: tuple[Place, ...]
    named: tuple[Tally, ...]
    diary_wijken: tuple[WijkCount, ...]

    def cited(self) -> tuple[int, ...]:
        """Return the observations the places come from."""
        return ()


# -- hypotheses -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceLine:
    """An observation marked as supporting or contradicting a hypothesis."""

    observation_id: int
    verdict: str
    kind: str
    day: date
    text: str | None


@dataclass(frozen=True)
class HypothesisResult:
    """One hypothesis with its evidence, and the candidates nobody has marked yet.

    `statement` is None while a voice note is not written out, or when `cleared`: retention
    removed its words and voice note after the organisation's period.
    """

    id: int
    statement: str | None
    themes: tuple[str, ...]
    wijken: tuple[str, ...]
    status: str
    created_on: date
    supports: tuple[EvidenceLine, ...]
    contradicts: tuple[EvidenceLine, ...]
    candidates: tuple[int, ...]
    cleared: bool = False


@dataclass(frozen=True)
class Hypotheses:
    """Every hypothesis of the organisation with what fieldwork found for or against it."""

    items: tuple[HypothesisResult, ...]
    available: bool

    def cited(self) -> tuple[int, ...]:
        """Return the evidence and the candidates."""
        return tuple(
            i
            for h in self.items
            for i in (
                *(e.observation_id for e in h.supports),
                *(e.observation_id for e in h.contradicts),
                *h.candidates[:MAX_REFS],
            )
        )


# -- focus groups ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundFocusGroup:
    """One focus group of the period: its line as in the weekly picture (`line.number` is the
    record's id), the questions it asked, and the typed quotes participants agreed to share
    (at most a few; `more_quotes` the rest)."""

    line: FocusGroupLine
    questions: tuple[str, ...]
    quotes: tuple[str, ...]
    more_quotes: int


@dataclass(frozen=True)
class RoundFocusGroups:
    """The period's focus groups, and over all of them: how many people of each kind came
    (storage.focusgroups.ATTENDANCE order, never names), the groups per channel, and whose
    voice was missing (distinct, as noted), a question for the end-of-round meeting."""

    groups: tuple[RoundFocusGroup, ...]
    attendance: tuple[Tally, ...]
    people: int
    channels: tuple[Tally, ...]
    missing_voices: tuple[str, ...]

    def cited(self) -> tuple[int, ...]:
        """Return the ids of the focus groups, listed at the end of the page."""
        return tuple(group.line.number for group in self.groups)


# -- surveys ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundSurveys:
    """The surveys open during the period, each with the results of the responses begun in
    it (as in the weekly picture: counts per choice and scale point, averages with n, a few
    free answers, who answered per channel and per wijk); `respondents` and `partial` over all
    of them, and `channels` (door to door, self-completed) summed, to see whom the round
    reached. Each free answer quoted links to the response it comes from (its `quoted` id)."""

    surveys: tuple[SurveyResult, ...]
    respondents: int
    partial: int
    channels: tuple[Tally, ...]

    def cited(self) -> tuple[int, ...]:
        """Return the responses whose free answers are quoted."""
        return tuple(
            source
            for survey in self.surveys
            for question in survey.questions
            for source in question.quoted
            if source is not None
        )


# -- the closing page -----------------------------------------------------------------------


@dataclass(frozen=True)
class SwotItem:
    """One seeded SWOT item: a message and the observations it stands on."""

    text: Msg
    refs: tuple[int, ...]


@dataclass(frozen=True)
class Swot:
    """The closing page: a SWOT grid seeded with evidence, and questions for an action plan."""

    strengths: tuple[SwotItem, ...]
    weaknesses: tuple[SwotItem, ...]
    opportunities: tuple[SwotItem, ...]
    threats: tuple[SwotItem, ...]
    questions: tuple[Msg, ...]

    @property
    def quadrants(self) -> tuple[tuple[str, tuple[SwotItem, ...]], ...]:
        """Return the four quadrants in reading order, with their codes."""
        return (
            ("strengths", self.strengths),
            ("weaknesses", self.weaknesses),
            ("opportunities", self.opportunities),
            ("threats", self.threats),
        )

    def cited(self) -> tuple[int, ...]:
        """Return every observation an item links to."""
        return tuple(i for _, items in self.quadrants for item in items for i in item.refs)


# -- the cited observations -----------------------------------------------------------------


@dataclass(frozen=True)
class CitedObservation:
    """An observation a section links to, listed once at the end under `obs-<id>`."""

    id: int
    kind: str
    moment: datetime
    author: str
    text: str | None
    theme: str | None
    wijk: str | None


# -- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundReport:
    """The round report of one organisation for one period.

    `sections` holds each section's value under its name, in the order of
    reports/round/sections.py:SECTIONS (the page shows them in that order); `cited` the
    observations they link to, oldest first.
    """

    organisation_id: int
    organisation_name: str
    language: str
    timezone: str
    first_day: date
    last_day: date
    observations: int
    sections: tuple[tuple[str, Any], ...]
    cited: tuple[CitedObservation, ...] = field(default=())

    def section(self, name: str) -> Any:
        """Return one section's value by name."""
        return dict(self.sections)[name]

    @property
    def names(self) -> tuple[str, ...]:
        """Return the section names in page order."""
        return tuple(name for name, _ in self.sections)
