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
    # The round the coordinator set with /round, reported next to the weekly pictures.
    [round_report] = [name for name in names if name.startswith("rondeverslag-")]
    report = (tmp_path / round_report).read_text(encoding="utf-8")
    for section in ("trends", "missing", "diaries", "register", "hypotheses", "swot"):
        assert f'<section id="{section}"' in report
    assert report.count('class="quadrant') == 4 and 'href="#obs-' in report
    assert report.count("<script") == 1 and "<script src" not in report
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
    assert {
        "walk_note",
        "encounter",
        "key_person",
        "missing",
        "focus_group",
        "diary_entry",
        "walk_track",
    } <= kinds
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
    import soundfile

    # One on the walk, one in the focus group, two answers spoken on a doorstep.
    voices = list((tmp_path / "media" / "voice").rglob("*.*"))
    assert len(voices) == 4
    for voice in voices:
        data = voice.read_bytes()
        assert data.startswith(b"OggS") and b"OpusHead" in data[:200] and b"OpusTags" in data
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

    # Two hypotheses recorded in week 1; the team marked evidence as the weeks went: a tap, a
    # link from the first week's picture, a tap, and a reply "-1".
    from storage import hypotheses as hyp
    from storage.db import make_engine, make_session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    with make_session_factory(engine)() as session:
        first_h, second_h = hyp.list_hypotheses(session, 1)
        evidence = hyp.evidence_for(session, 1, [first_h.id, second_h.id])
    engine.dispose()
    assert first_h.themes == ("welfare", "shops") and first_h.wijken == (1,)
    verdicts = sorted((e.hypothesis_id, e.verdict) for e in evidence)
    assert verdicts == [
        (first_h.id, "contradicts"),
        (first_h.id, "supports"),
        (first_h.id, "supports"),
        (second_h.id, "supports"),
    ]
    for page in (first, full):
        section = page.split('id="hypotheses"')[1].split("</section>")[0]
        assert "H1" in section and "H2" in section and "https://t.me/" in section
    # The fourth week's focus group: its line, and a quote the tenants agreed to share.
    groups = full.split('id="focus-groups"')[1].split("</section>")[0]
    assert "Bewoners 8" in groups and "Les jeunes eux-mêmes" in groups
    voiced = full.split('id="voices"')[1].split("</section>")[0]
    assert "Ici, on se croise tous les jours mais on ne se parle pas." in voiced
    assert all('id="focus-groups"' not in page for page in (first, quiet, outside))
