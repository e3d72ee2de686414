"""The kinds of observation: the one registry that storage, exports, the picture and its map read.

A new kind is one `Kind(...)` line here plus its catalog entries (`kind.<name>`, and
`digest.map.kind.<name>` when it is drawn on the map); tests/unit/test_kinds.py checks both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Shape = Literal["circle", "square", "diamond", "triangle"]


@dataclass(frozen=True)
class Kind:
    """One kind of observation and how each part of Buurtbot treats it."""

    name: str
    # The weekly picture's "at a glance" figure it is counted in.
    tally: str
    # Drawn on the picture's map, with its own colour and shape; `layer` orders the drawing
    # (higher on top).
    on_map: bool = False
    colour: str = "#57606a"
    shape: Shape = "circle"
    layer: int = 0
    # Its photos may be shown in the picture.
    photos: bool = False
    # Counted in the picture's themes chart; with `asks_theme`, one without a theme counts as
    # "no theme given" (the record's flow asked for one).
    themed: bool = False
    asks_theme: bool = False
    # About a person's own days (a diary): shown only aggregated, never as a point or a photo.
    private: bool = False
    # A record made of several answers rather than one message: /undo asks before removing it.
    record: bool = False
    # Shown only in a section of its own (a survey's results), never in the list of entries.
    summarised: bool = False


WALK_NOTE = "walk_note"
NOTE = "note"
ENCOUNTER = "encounter"
KEY_PERSON = "key_person"
MISSING = "missing"
DIARY_ENTRY = "diary_entry"
SURVEY_RESPONSE = "survey_response"
FOCUS_GROUP = "focus_group"

KINDS: tuple[Kind, ...] = (
    Kind(WALK_NOTE, "notes", on_map=True, colour="#1f6feb", photos=True, themed=True),
    # What a member sent outside any flow; it may later become one of the records below.
    Kind(NOTE, "notes", on_map=True, colour="#0a7ea4", photos=True, themed=True),
    Kind(
        ENCOUNTER,
        "encounters",
        on_map=True,
        colour="#1a7f37",
        shape="square",
        layer=1,
        photos=True,
        themed=True,
        asks_theme=True,
        record=True,
    ),
    Kind(
        KEY_PERSON,
        "key_persons",
        on_map=True,
        colour="#8250df",
        shape="diamond",
        layer=3,
        photos=True,
        record=True,
    ),
    Kind(
        MISSING,
        "missing",
        on_map=True,
        colour="#cf222e",
        shape="triangle",
        layer=2,
        photos=True,
        themed=True,
        asks_theme=True,
        record=True,
    ),
    Kind(DIARY_ENTRY, "diary_entries", themed=True, asks_theme=True, private=True, record=True),
    # One person's answers to a survey; shown as the survey's results, not one by one.
    Kind(SURVEY_RESPONSE, "survey_responses", record=True, summarised=True),
    # A group conversation the team ran: counts of who came, questions, what was said, quotes.
    Kind(
        FOCUS_GROUP,
        "focus_groups",
        on_map=True,
        colour="#9a6700",
        shape="square",
        layer=2,
        photos=True,
        themed=True,
        asks_theme=True,
        record=True,
    ),
)

BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
MAP_KINDS: tuple[str, ...] = tuple(kind.name for kind in KINDS if kind.on_map)
PHOTO_KINDS: tuple[str, ...] = tuple(kind.name for kind in KINDS if kind.photos)
RECORD_KINDS: frozenset[str] = frozenset(kind.name for kind in KINDS if kind.record)
# An unknown kind (a row written by a newer version) is counted nowhere and drawn on top.
UNKNOWN = Kind("", "", layer=9)


def kind_of(name: str) -> Kind:
    """Return the registry entry of a kind name (a neutral one for an unknown name)."""
    return BY_NAME.get(name, UNKNOWN)
