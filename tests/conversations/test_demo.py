"""`buurtbot demo` plays four weeks through the real bot and writes pictures and exports."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from openpyxl import load_workbook
from PIL import Image

from bot.dispatch.i18n import load_translator
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
    assert {"observations-points.geojson", "observations-tracks.geojson"} <= set(names)
    assert "observations-excel.csv" in names
    workbook = load_workbook(tmp_path / "observations.xlsx")
    assert workbook.sheetnames[:2] == ["Wandelnotities", "Gesprekken"]
    assert "Wandelingen" in workbook.sheetnames and "Dagboeken" in workbook.sheetnames
    walks = workbook["Wandelingen"]
    assert walks.max_row > 2 and walks["C3"].is_date  # started_at, a real date
    for part in ("points", "tracks", "no-location"):
        split = json.loads((tmp_path / f"observations-{part}.geojson").read_text())
        assert len({str(f["geometry"] and f["geometry"]["type"]) for f in split["features"]}) == 1
        assert all(f["properties"]["name"] for f in split["features"])
    collection = json.loads((tmp_path / "observations.geojson").read_text())
    kinds = {feature["properties"]["kind"] for feature in collection["features"]}
    assert {"walk_note", "encounter", "key_person", "missing", "diary_entry", "walk_track"} <= kinds
    for name in pictures:
        page = (tmp_path / name).read_text()
        assert "<svg" in page and 'id="list"' in page
        assert page.count("<script") == 1 and "<script src" not in page
    # The survey: 12 people answered (6 at the door, 6 through the link, one stopped halfway).
    answers = [
        f["properties"]
        for f in collection["features"]
        if f["properties"]["kind"] == "survey_response"
    ]
    assert len(answers) == 12
    assert sorted(a["survey_channel"] for a in answers) == ["door"] * 6 + ["self"] * 6
    assert [a["survey_status"] for a in answers].count("partial") == 1
    assert all(a.get("s1_q1") for a in answers)  # one column per question
    last = (tmp_path / pictures[-1]).read_text()
    assert 'class="survey"' in last and "Aan de deur gevraagd" in last
    for feature in collection["features"]:
        if feature["properties"]["kind"] == "diary_entry":
            assert feature["geometry"] is None  # where a resident went stays private
    # Walks last: the clock moves on while the walker notes things.
    for track in (f for f in collection["features"] if f["properties"]["kind"] == "walk_track"):
        started = datetime.fromisoformat(track["properties"]["started_at"])
        ended = datetime.fromisoformat(track["properties"]["ended_at"])
        assert timedelta(minutes=45) <= ended - started <= timedelta(hours=3)

    # Real media made here: small JPEGs drawn with Pillow, a valid Ogg/Opus voice note.
    # One spoken walk note and two answers spoken on a doorstep.
    voices = sorted((tmp_path / "media" / "voice").rglob("*.*"))
    assert len(voices) == 3
    voice = voices[0]
    data = voice.read_bytes()
    assert data.startswith(b"OggS") and b"OpusHead" in data[:200] and b"OpusTags" in data
    import soundfile

    assert soundfile.info(str(voice)).duration > 2
    photos = list((tmp_path / "media" / "photo").rglob("*.jpg"))
    assert len(photos) == 3
    for photo in photos:
        with Image.open(photo) as image:
            assert image.format == "JPEG" and image.size == (480, 360)

    # The weeks differ: a new key person, a quiet week, a walk mostly outside, a full week.
    first, quiet, outside, full = (
        (tmp_path / name).read_text(encoding="utf-8") for name in pictures
    )
    translator = load_translator()

    def said(key: str) -> str:
        return translator.raw("nl", key).split("{")[0][:30]

    assert said("digest.find.key_person") in first
    assert said("digest.find.no_fieldwork") in quiet and 'class="entry' not in quiet
    assert "/area" in outside.split('id="questions"')[1].split("</section>")[0]
    assert "<audio" in full and full.count("data:image/jpeg") >= 1
    assert said("digest.find.key_person") in full
