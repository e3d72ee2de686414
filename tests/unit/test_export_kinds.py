"""Each kind's export columns come from one registry (reports/export_kinds.py) with its words."""

from __future__ import annotations

import typing

import pytest

from bot.dispatch.i18n import LANGUAGES, load_translator
from flows import diary, encounter, missing, walk
from reports import export as exports
from reports import export_kinds as fields
from storage import focusgroups, kinds

TRANSLATOR = load_translator()


def every_column() -> list[fields.Column]:
    return [
        *fields.COMMON,
        *(column for entry in fields.EXPORT_KINDS for column in entry.columns),
        *(
            part
            for entry in fields.EXPORT_KINDS
            for column in entry.columns
            for part in column.parts
        ),
        *fields.WALK_COLUMNS,
        *fields.TRACK_POINT_COLUMNS,
        *exports.CODE_COLUMNS,
    ]


def test_every_stored_kind_has_an_export_entry() -> None:
    names = [entry.name for entry in fields.EXPORT_KINDS]
    assert len(names) == len(set(names))
    assert set(kinds.NAMES) <= set(names)


def test_columns_are_declared_once_per_kind_with_a_known_type() -> None:
    types = set(typing.get_args(fields.ColumnType))
    common = {column.name for column in fields.COMMON}
    for entry in fields.EXPORT_KINDS:
        own = [column.name for column in entry.columns]
        assert len(own) == len(set(own)), entry.name
        assert not set(own) & common, entry.name  # never overwriting a common column
        assert not set(own) & exports.PRIVATE_DETAIL_KEYS, entry.name
    for column in every_column():
        assert column.type in types, column.name
        assert bool(column.codes) <= (column.type == "code"), column.name


def test_the_same_name_means_the_same_thing_in_every_kind() -> None:
    seen: dict[str, fields.Column] = {}
    for entry in fields.EXPORT_KINDS:
        for column in entry.columns:
            earlier = seen.setdefault(column.name, column)
            assert (earlier.type, earlier.labels) == (column.type, column.labels), column.name


def test_the_registry_knows_every_code_the_flows_store() -> None:
    declared = {
        (entry.name, column.name): set(column.codes)
        for entry in fields.EXPORT_KINDS
        for column in entry.columns
    }
    stored = {
        ("walk_note", "focus"): set(walk.FOCUSES),
        ("encounter", "who"): set(encounter.WHO.values),  # type: ignore[arg-type]
        ("encounter", "channel"): set(encounter.CHANNEL.values),  # type: ignore[arg-type]
        ("missing", "status"): {status for status, _ in missing.STATUSES.values()},
        ("missing", "since"): {since for _, since in missing.STATUSES.values() if since},
        ("missing", "transport"): set(missing.TRANSPORTS),
        ("focus_group", "channel"): {*focusgroups.CHANNELS, focusgroups.OTHER_CHANNEL},
        ("diary_entry", "met"): set(diary.MET),
        ("diary_entry", "transport"): set(diary.TRANSPORTS),
        ("diary_entry", "duration"): set(diary.DURATIONS),
    }
    for key, codes in stored.items():
        assert codes <= declared[key], key
    assert set(fields.WALK_BY_NAME["focus"].codes) == set(walk.FOCUSES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_export_word_is_in_every_catalog(language: str) -> None:
    keys = TRANSLATOR.keys(language)
    wanted = {"export.track.name", "export.track.description", "export.destinations"}
    for entry in fields.EXPORT_KINDS:
        wanted |= {f"export.kind.{entry.name}", f"export.sheet.{entry.name}"}
    wanted |= {f"export.sheet.{name}" for name in ("walks", "track_points", "codes")}
    for column in every_column():
        wanted.add(f"export.column.{column.name}")
        wanted |= {f"{column.labels}.{code}" for code in column.codes}
    assert sorted(wanted - set(keys)) == []
    labels = exports.Labels(language, lambda key: TRANSLATOR.raw(language, key))
    for column in every_column():
        for code in column.codes:
            label = labels.value(column, code)
            assert "<" not in label and "&amp;" not in label, (column.name, code)
