"""What each kind of observation brings to an export: its own columns, their types, their codes.

The one place the exporter reads a kind's fields from. A new kind is one `ExportKind(...)`
entry in `EXPORT_KINDS` plus its catalog words in `bot/locale/<lang>/export.po`:
`export.kind.<name>` (the value in the `kind` column and the start of a map popup's name),
`export.sheet.<name>` (its Excel sheet), `export.column.<column>` for each new column and
`export.value.<vocabulary>.<code>` for each code (tests/unit/test_export_kinds.py checks them).

A column's type decides how it is written: `datetime` and `date` become real Excel dates in
the organisation's time zone, `boolean` a real TRUE/FALSE, `integer`/`number` numbers (with a
decimal comma in the `--excel` CSV), `code` the label of the code in the reader's language
(the code itself stays in CSV and GeoJSON, and in the workbook's hidden first row for tools),
`list` the items joined with "; ", `records` (a list of objects, such as a focus group's
questions) stays structured in GeoJSON and is spread over numbered columns in CSV and XLSX:
each of its `parts` once per item (`question_1`, `said_1`, `quotes_1`, `question_2` ...), as
many as the longest list in the export, headed "Vraag 1" ... in the reader's language (the
catalog word of the part, `export.column.<part>`, and the number). Details a kind stores
without declaring them are still exported, after the declared ones, as plain values.

A kind not stored as an observation (a hypothesis, say) gives `features`: a function from the
export's scope to its GeoJSON features (geometry null or a Point), read after the observations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from storage.focusgroups import ATTENDANCE, OTHER_CHANNEL
from storage.focusgroups import CHANNELS as FOCUS_GROUP_CHANNELS
from storage.themes import THEMES

ColumnType = Literal[
    "text", "integer", "number", "boolean", "date", "datetime", "code", "list", "records"
]


@dataclass(frozen=True)
class Column:
    """One exported field: its name (the code tools read), its type and, for codes, its values."""

    name: str
    type: ColumnType = "text"
    # For `code` columns: the codes, each labelled `<labels>.<code>` in the catalogs.
    codes: tuple[str, ...] = ()
    vocabulary: str = ""
    # For `records` columns: what each item shows in a table, and how a stored item gives it.
    parts: tuple[Column, ...] = ()
    read: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None

    @property
    def labels(self) -> str:
        """Return the catalog key prefix of this column's code labels."""
        if self.name == "theme" or self.vocabulary == "theme":
            return "theme"  # the life domains keep the words the bot uses everywhere
        if self.name == "kind":
            return "export.kind"
        return f"export.value.{self.vocabulary or self.name}"


@dataclass(frozen=True)
class ExportKind:
    """One kind of observation in the export: its own columns, in the order they are shown."""

    name: str
    columns: tuple[Column, ...] = ()
    # The properties a map popup's name is made of after the kind's label (first one given).
    title: tuple[str, ...] = ("text",)
    # Features of a kind not stored as an observation, given the export's scope.
    features: Callable[[Any], Iterator[dict[str, Any]]] | None = None
    # More lines for a map popup's description, given the properties and the export's words.
    describe: Callable[[dict[str, Any], Any], list[str]] | None = None


# A spoken item of a record (the voice note is among the observation's media).
SPOKEN = "(voice)"


def _focus_group_question(item: Mapping[str, Any]) -> dict[str, Any]:
    """Return a focus group question's cells: its words, what was said, the agreed quotes."""
    said = item.get("said")
    quotes = item.get("quotes")
    return {
        "question": item.get("question") or SPOKEN,
        "said": [text for text in said if isinstance(text, str)] if isinstance(said, list) else [],
        "quotes": [
            quote.get("text") or SPOKEN
            for quote in (quotes if isinstance(quotes, list) else ())
            if isinstance(quote, Mapping) and quote.get("agreed") is True
        ],
    }


FOCUSES = ("meeting", "borders", "shops", "green", "mobility", "missing", "free")
TRANSPORTS = ("foot", "bike", "transit", "car", "lift", "online", "none")
SOURCES = ("location", "typed", "nowhere", "did_without")

COMMON = (
    Column("id", "integer"),
    Column("kind", "code", vocabulary="kind"),
    Column("created_at", "datetime"),
    Column("author"),
    Column("text"),
    Column("theme", "code", THEMES),
    Column("lat", "number"),
    Column("lon", "number"),
    Column("accuracy_m", "number"),
    Column("location_source"),
    Column("wijk", "integer"),
    Column("wijk_name"),
    Column("municipality"),
    Column("municipality_nis", "integer"),
    Column("in_brussels", "boolean"),
    Column("in_buurt", "boolean"),
    Column("walk_id", "integer"),
    Column("follow_up_on", "date"),
    Column("media", "list"),
    Column("media_missing", "list"),
    Column("name"),
    Column("description"),
)
# Columns about where something was: left out of a private kind's sheet (always empty there).
PLACE_COLUMNS = frozenset(
    {
        "lat",
        "lon",
        "accuracy_m",
        "location_source",
        "wijk",
        "wijk_name",
        "municipality",
        "municipality_nis",
        "in_brussels",
        "in_buurt",
    }
)

EXPORT_KINDS: tuple[ExportKind, ...] = (
    ExportKind(
        "walk_note",
        (
            Column("focus", "code", FOCUSES),
            Column("reflection", "boolean"),
        ),
    ),
    ExportKind("note", (Column("content"),)),
    ExportKind(
        "encounter",
        (
            Column(
                "who",
                "code",
                ("resident", "user", "shopkeeper", "professional", "passerby", "other"),
            ),
            Column("who_text"),
            Column("channel", "code", ("street", "event", "visit", "focus", "activity", "other")),
            Column("channel_text"),
            Column("experience"),
            Column("places"),
            Column("place_text"),
            Column("needs"),
            Column("quote_ok", "boolean"),
            Column("voice", "list"),
        ),
    ),
    ExportKind(
        "key_person",
        (
            Column("alias"),
            Column("role"),
            Column("network"),
            Column("follow_up"),
            Column("contact_consent", "boolean"),
            Column("place_text"),
        ),
        title=("alias", "role", "text"),
    ),
    ExportKind(
        "missing",
        (
            Column("status", "code", ("never", "disappeared")),
            Column("since", "code", ("this_year", "1_5_years", "longer", "unknown")),
            Column("alternative"),
            Column("alternative_source", "code", SOURCES, vocabulary="source"),
            Column("alternative_lat", "number"),
            Column("alternative_lon", "number"),
            Column("alternative_wijk", "integer"),
            Column("distance_m", "integer"),
            Column("distance_from", "code", ("place", "buurt", "home"), vocabulary="origin"),
            Column("transport", "code", TRANSPORTS),
            Column("affected"),
            Column("impact"),
            Column("media_roles", "list"),
        ),
    ),
    ExportKind(
        "focus_group",
        (
            Column("held_on", "date"),
            *(Column(group, "integer") for group in ATTENDANCE),
            Column("people", "integer"),
            Column("channel", "code", (*FOCUS_GROUP_CHANNELS, OTHER_CHANNEL)),
            Column("channel_text"),
            Column("place_text"),
            # Each question with what was said and the agreed quotes: structured in GeoJSON,
            # "Vraag 1", "Wat er gezegd werd 1", "Citaten 1" ... in a table.
            Column(
                "questions",
                "records",
                parts=(Column("question"), Column("said", "list"), Column("quotes", "list")),
                read=_focus_group_question,
            ),
            Column("missing_voices"),
            Column("media_roles", "list"),
        ),
        title=("text", "missing_voices"),
    ),
    ExportKind(
        "diary_entry",
        (
            Column("day_number", "integer"),
            Column("for_date", "date"),
            Column("need"),
            Column("met", "code", ("yes", "partly", "no")),
            Column("nothing", "boolean"),
            Column("where_source", "code", SOURCES, vocabulary="source"),
            Column("transport", "code", TRANSPORTS),
            Column("duration", "code", ("lt15", "15to30", "30to60", "gt60")),
            Column("distance_m", "integer"),
            Column("home_wijk", "integer"),
        ),
        title=("need", "text"),
    ),
    # One person's answers to a survey; then one column per question, `s<survey>_q<n>`, as
    # stored (storage/surveys.py), after these.
    ExportKind(
        "survey_response",
        (
            Column("survey_id", "integer"),
            Column("survey"),
            Column("survey_channel", "code", ("door", "self", "trial")),
            Column("survey_status", "code", ("partial", "complete")),
            Column("survey_language"),
            Column("survey_progress", "integer"),
        ),
        title=("survey",),
    ),
)


def _hypothesis_features(scope: Any) -> Iterator[dict[str, Any]]:
    """Yield the hypotheses of an export (reports/export_hypotheses.py reads them)."""
    from reports.export_hypotheses import hypothesis_features

    return hypothesis_features(scope)


def _describe_hypothesis(properties: dict[str, Any], labels: Any) -> list[str]:
    """Return a hypothesis's popup lines (reports/export_hypotheses.py words them)."""
    from reports.export_hypotheses import describe

    return describe(properties, labels)


# Not an observation: the team's hypotheses, without geometry, with the evidence marked.
EXPORT_KINDS = (
    *EXPORT_KINDS,
    ExportKind(
        "hypothesis",
        (
            Column("number", "integer"),
            Column("themes", "code", THEMES, vocabulary="theme"),
            Column("wijken", "list"),
            Column("hypothesis_status", "code", ("open", "closed")),
            Column("closed_at", "datetime"),
            Column("observations", "list"),
            Column("verdicts", "code", ("supports", "contradicts"), vocabulary="verdict"),
            Column("supports", "integer"),
            Column("contradicts", "integer"),
        ),
        features=_hypothesis_features,
        describe=_describe_hypothesis,
    ),
)

BY_NAME: dict[str, ExportKind] = {kind.name: kind for kind in EXPORT_KINDS}
COMMON_BY_NAME: dict[str, Column] = {column.name: column for column in COMMON}
# Each kind's `records` columns, and the names of their parts (headers of numbered columns).
RECORDS: dict[str, tuple[Column, ...]] = {
    kind.name: records
    for kind in EXPORT_KINDS
    if (records := tuple(column for column in kind.columns if column.type == "records"))
}
PART_NAMES = frozenset(
    part.name for columns in RECORDS.values() for c in columns for part in c.parts
)


def numbered(column: Column, count: int) -> list[Column]:
    """Return a records column as table columns: each part once per item, numbered from 1."""
    return [
        Column(f"{part.name}_{number}", part.type, part.codes, part.vocabulary)
        for number in range(1, count + 1)
        for part in column.parts
    ]


def numbered_name(name: str) -> tuple[str, int] | None:
    """Return the part and item number of a numbered column name ("said_2"), or None."""
    part, _, number = name.rpartition("_")
    return (part, int(number)) if part in PART_NAMES and number.isdigit() else None


def spread(kind: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """Return the numbered table cells of a feature's records columns."""
    cells: dict[str, Any] = {}
    for column in RECORDS.get(kind, ()):
        items = properties.get(column.name)
        for number, item in enumerate(items if isinstance(items, list) else (), start=1):
            if isinstance(item, Mapping) and column.read is not None:
                cells.update(
                    (f"{name}_{number}", value) for name, value in column.read(item).items()
                )
    return cells


def export_kind(name: str) -> ExportKind:
    """Return a kind's export entry (one without columns of its own for an unknown kind)."""
    return BY_NAME.get(name) or ExportKind(name)


def column_of(name: str, kind: str | None = None) -> Column | None:
    """Return the declared column a property name is, for a kind (common ones first)."""
    if name in COMMON_BY_NAME:
        return COMMON_BY_NAME[name]
    kinds = [export_kind(kind)] if kind is not None else EXPORT_KINDS
    for entry in kinds:
        for column in entry.columns:
            if column.name == name:
                return column
    return None


# The walks sheet and the track points sheet of a workbook.
WALK_COLUMNS = (
    Column("walk_id", "integer"),
    Column("author"),
    Column("started_at", "datetime"),
    Column("ended_at", "datetime"),
    Column("duration_min", "integer"),
    Column("distance_m", "number"),
    Column("focus", "code", FOCUSES),
    Column("points", "integer"),
)
WALK_BY_NAME: dict[str, Column] = {column.name: column for column in WALK_COLUMNS}
TRACK_POINT_COLUMNS = (
    Column("walk_id", "integer"),
    Column("recorded_at", "datetime"),
    Column("lat", "number"),
    Column("lon", "number"),
    Column("accuracy_m", "number"),
)
TRACK_POINT_BY_NAME: dict[str, Column] = {column.name: column for column in TRACK_POINT_COLUMNS}
