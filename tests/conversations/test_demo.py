"""`buurtbot demo` plays four weeks through the real bot and writes pictures and exports."""

from __future__ import annotations

import json

from bot.runtime.settings import load_settings
from sandbox.demo import run_demo


def test_demo_writes_four_weekly_pictures_and_the_exports(tmp_path) -> None:
    written = run_demo(
        load_settings(environ={}, dotenv_path=None), tmp_path, progress=lambda _: None
    )
    names = sorted(path.name for path in written)
    pictures = [name for name in names if name.startswith("buurtbeeld-")]
    assert len(pictures) == 4
    assert {"observations.geojson", "observations.csv", "observations.xlsx"} <= set(names)
    collection = json.loads((tmp_path / "observations.geojson").read_text())
    kinds = {feature["properties"]["kind"] for feature in collection["features"]}
    assert {"walk_note", "encounter", "key_person", "missing", "diary_entry", "walk_track"} <= kinds
    for name in pictures:
        page = (tmp_path / name).read_text()
        assert "<svg" in page and 'id="list"' in page
        assert page.count("<script") == 1 and "<script src" not in page
