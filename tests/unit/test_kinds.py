"""Observation kinds come from one registry (storage/kinds.py) that every part reads."""

from __future__ import annotations

import pytest

from bot.dispatch.i18n import LANGUAGES, load_translator
from reports import digest as digest_builder
from reports import render, svg
from storage import kinds
from storage import observations as obs

TRANSLATOR = load_translator()


def test_kind_names_are_unique_and_storage_accepts_exactly_them() -> None:
    assert len(kinds.NAMES) == len(set(kinds.NAMES)) == len(kinds.KINDS)
    assert obs.KINDS == kinds.NAMES


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_kind_has_its_catalog_entries(language: str) -> None:
    keys = TRANSLATOR.keys(language)
    for kind in kinds.KINDS:
        assert f"kind.{kind.name}" in keys, (language, kind.name)
        if kind.on_map:
            assert f"digest.map.kind.{kind.name}" in keys, (language, kind.name)
        if not kind.private:
            # Listed in the picture's numbered list under this label.
            assert f"digest.kind.{kind.name}" in keys, (language, kind.name)


def test_the_map_and_the_picture_read_the_registry() -> None:
    on_map = {kind.name for kind in kinds.KINDS if kind.on_map}
    assert set(svg.KIND_COLOURS) == on_map
    assert set(kinds.MAP_KINDS) == on_map
    # Private kinds (a resident's diary) are never points on the map nor photos.
    for kind in kinds.KINDS:
        if kind.private:
            assert not kind.on_map and not kind.photos, kind.name
    # Every glance figure a kind counts in is one the picture shows.
    assert {kind.tally for kind in kinds.KINDS} <= set(digest_builder.GLANCE)
    assert render.MAP_KINDS is kinds.MAP_KINDS
    # A listed kind's number badge takes its colour from the registry too.
    listed = {kind.name: kind.colour for kind in kinds.KINDS if not kind.private}
    assert render.ENV.globals["entry_colours"] == listed


def test_map_symbols_differ_per_kind() -> None:
    drawn = {(kind.colour, kind.shape) for kind in kinds.KINDS if kind.on_map}
    assert len(drawn) == len(kinds.MAP_KINDS)
    for kind in kinds.KINDS:
        if kind.on_map:
            assert kind.colour in svg.symbol(kind.name, 10, 10)
