"""Exports: GeoJSON for maps, CSV and XLSX tables, the media zip and the `export` command."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch.i18n import load_translator
from bot.reporting import ReportFiles, catalog_for
from bot.runtime.cli import main
from flows import export as export_flow
from flows.engine import FlowConfig, Input, InputKind, StepContext
from reports import export as exports
from reports import export_kinds as fields
from storage import observations as obs
from storage import organisations as orgs
from storage import walks as walks_db
from storage.models import MediaFile
from storage.observations import Place
from storage.privacy import pseudonym
from tests.test_reports.files import make_waiting_files

TELEGRAM_USER_ID = 987654321
SECRET = "export-test-key"
# 2026-11-24 09:30 UTC is 10:30 in Brussels (CET, +01:00).
GRAND_PLACE = Place(
    lat=50.846678,
    lon=4.351577,
    accuracy_m=12.0,
    wijk_code=1,
    municipality_nis=21004,
    in_brussels=True,
    in_buurt=True,
)
DANSAERT = Place(lat=50.850817, lon=4.345508, wijk_code=2, municipality_nis=21004, in_brussels=True)


@dataclass
class Fixture:
    org_id: int
    member_id: int
    author: str
    walk_id: int
    media_dir: Path


def _media(session: Session, observation, kind: str, path: str | None, now: datetime) -> None:
    observation.media.append(
        MediaFile(
            kind=kind,
            file_id=f"FILE-{kind}-{observation.id}",
            file_unique_id=f"U-{kind}-{observation.id}",
            path=path,
            status="stored" if path else "pending",
            attempts=0,
            created_at=now,
        )
    )
    session.flush()


def populate(factory: sessionmaker[Session], now: datetime, media_dir: Path) -> Fixture:
    """An organisation with one member, every kind of observation and one walk."""
    media_dir.mkdir(parents=True, exist_ok=True)
    (media_dir / "photo/2026-11").mkdir(parents=True)
    (media_dir / "photo/2026-11/a.jpg").write_bytes(b"\xff\xd8jpeg")
    (media_dir / "voice/2026-11").mkdir(parents=True)
    (media_dir / "voice/2026-11/b.ogg").write_bytes(b"OggS")
    with factory.begin() as session:
        org = orgs.create_organisation(session, "Buurtwerk Noord", now, "nl", [1, 2])
        invite = orgs.create_invite(session, org.id, "staff", now, timedelta(days=1), 1)
        member = orgs.join_with_invite(session, invite, TELEGRAM_USER_ID, "nl", "v1", now)
        author = pseudonym(SECRET, member.id)
        common = {"organisation_id": org.id, "member_id": member.id, "author": author}
        walk = walks_db.start_walk(
            session,
            organisation_id=org.id,
            member_id=member.id,
            author=author,
            chat_id=TELEGRAM_USER_ID,
            now=now,
        )
        walk.focus = "green"
        for minute, (lat, lon) in enumerate(
            [(50.8466, 4.3515), (50.8470, 4.3510), (50.8480, 4.35)]
        ):
            walks_db.add_track_point(
                session, walk, now + timedelta(minutes=minute), lat, lon, 5.0, 1
            )
        walk.ended_at = now + timedelta(minutes=40)
        # A walk with a single point is no track.
        lonely = walks_db.start_walk(
            session,
            organisation_id=org.id,
            member_id=member.id,
            author=author,
            chat_id=TELEGRAM_USER_ID,
            now=now + timedelta(hours=1),
        )
        walks_db.add_track_point(session, lonely, now + timedelta(hours=1), 50.85, 4.35, None, 1)
        lonely.ended_at = now + timedelta(hours=2)

        note = obs.add_observation(
            session,
            **common,
            kind="walk_note",
            now=now + timedelta(minutes=1),
            text="=SUM(A1) bench broken near the square",
            theme="public_space",
            place=GRAND_PLACE,
            walk_id=walk.id,
            chat_id=TELEGRAM_USER_ID,
            message_id=11,
            details={"focus": "green", "member_id": member.id, "id": "clash"},
        )
        _media(session, note, "photo", "photo/2026-11/a.jpg", now)
        _media(session, note, "photo", None, now)
        encounter = obs.add_observation(
            session,
            **common,
            kind="encounter",
            now=now + timedelta(minutes=5),
            text="Talked with a mother at the playground",
            theme="youth",
            place=DANSAERT,
            details={"who": "parent", "topics": ["play", "safety"], "age": {"min": 30}},
        )
        _media(session, encounter, "voice", "voice/2026-11/b.ogg", now)
        _media(session, encounter, "video", "video/2026-11/gone.mp4", now)
        obs.add_observation(
            session,
            **common,
            kind="key_person",
            now=now + timedelta(minutes=10),
            text="Shopkeeper who knows everyone",
            details={"role": "shopkeeper", "consented": True, "contact": "0470 12 34 56"},
            follow_up_on=date(2026, 12, 1),
        )
        obs.add_observation(
            session,
            **common,
            kind="missing",
            now=now + timedelta(minutes=20),
            text="No public toilet",
            theme="health",
            place=GRAND_PLACE,
            details={"need": "toilet"},
        )
        obs.add_observation(
            session,
            **common,
            kind="diary_entry",
            now=now + timedelta(minutes=30),
            text="Needed a quiet place to study",
            details={"day": 3, "found": False},
        )
        # Before the period filters of most tests: 2026-11-02 (a Monday, just after midnight).
        obs.add_observation(
            session,
            **common,
            kind="missing",
            now=datetime.fromisoformat("2026-11-01T23:30:00+00:00"),
            text="Old note",
        )
        # Another organisation's notes never leak into this export.
        other = orgs.create_organisation(session, "Elders", now, "fr", [3])
        obs.add_observation(
            session,
            organisation_id=other.id,
            member_id=None,
            author="P-OTHER",
            kind="missing",
            now=now,
            text="elsewhere",
        )
        return Fixture(org.id, member.id, author, walk.id, media_dir)


@pytest.fixture
def data_fixture(session_factory, now, tmp_path) -> Fixture:
    return populate(session_factory, now, tmp_path / "media")


@dataclass
class Snapshot:
    """Everything an export stream yields, read once: the writers take it like the stream."""

    observations: list[dict]
    tracks: list[dict]
    track_points: list[dict]
    destinations: list[dict]
    columns: list[str]
    paths: list[str]
    located: int
    is_empty: bool
    walks: list[dict] = field(default_factory=list)
    sheets: dict[str, list] = field(default_factory=dict)
    labels: exports.Labels = field(default_factory=exports.Labels)

    def observation_features(self, kind=None):
        return iter(f for f in self.observations if kind in (None, f["properties"]["kind"]))

    def kinds(self):
        return list(self.sheets)

    def sheet_columns(self, kind):
        return self.sheets[kind]

    def walk_rows(self):
        return iter(self.walks)

    def track_features(self):
        return iter(self.tracks)

    def destination_features(self):
        return iter(self.destinations)

    def track_point_rows(self):
        return iter(self.track_points)

    def rows(self):
        return (exports.table_row(f, self.columns) for f in self.observations)

    def media_paths(self):
        return list(self.paths)

    @property
    def totals(self):
        return len(self.observations), len(self.tracks), len(self.track_points)


def snapshot(stream: exports.ExportStream) -> Snapshot:
    return Snapshot(
        observations=list(stream.observation_features()),
        tracks=list(stream.track_features()),
        track_points=list(stream.track_point_rows()),
        destinations=list(stream.destination_features()),
        columns=stream.columns,
        paths=list(stream.media_paths()),
        located=stream.located,
        is_empty=stream.is_empty,
        walks=list(stream.walk_rows()),
        sheets={kind: stream.sheet_columns(kind) for kind in stream.kinds()},
        labels=stream.labels,
    )


def build(factory, fx: Fixture, start=None, end=None, language=None) -> Snapshot:
    labels = exports.Labels(language, catalog_for(language)) if language else None
    with factory() as session:
        return snapshot(exports.open_export(session, fx.org_id, start, end, labels=labels))


def record(factory, fx: Fixture, kind: str, now: datetime, **options) -> None:
    """Store one more observation by the fixture's member."""
    with factory.begin() as session:
        obs.add_observation(
            session,
            organisation_id=fx.org_id,
            member_id=fx.member_id,
            author=fx.author,
            kind=kind,
            now=now,
            **options,
        )


def test_geojson_follows_the_schema(session_factory, data_fixture, tmp_path) -> None:
    fx = data_fixture
    # A note kept outside any flow and a focus group, so that every kind is in the export.
    moment = datetime(2026, 11, 24, 10, 5, tzinfo=UTC)
    record(session_factory, fx, "note", moment, text="The library opens late", place=DANSAERT)
    # And a survey answer that gave a place: one column per question, a point.
    with session_factory.begin() as session:
        obs.add_observation(
            session,
            organisation_id=fx.org_id,
            member_id=None,
            author="R-0A1B2C3D",
            kind="survey_response",
            now=datetime(2026, 11, 24, 10, 6, tzinfo=UTC),
            place=DANSAERT,
            details={
                "survey_id": 1,
                "survey_channel": "self",
                "survey_status": "complete",
                "s1_q1": "Park",
            },
        )
    record(
        session_factory,
        fx,
        "focus_group",
        moment + timedelta(hours=1),
        text="What would make the square safer?",
        place=DANSAERT,
        details={"residents": 6, "users": 2, "partners": 1, "others": 0, "people": 9},
    )
    data = build(session_factory, fx)
    path = exports.write_geojson(data, tmp_path / "out.geojson")
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    assert "crs" not in collection
    features = collection["features"]
    ids = [feature["id"] for feature in features]
    assert len(ids) == len(set(ids)) == 10  # 9 observations + 1 track (a 1-point walk is none)
    points = [f for f in features if f["properties"]["kind"] != "walk_track"]
    assert {f["properties"]["kind"] for f in points} == set(obs.KINDS)
    for feature in points:
        properties = feature["properties"]
        assert feature["id"] == properties["id"]
        for name in ("id", "kind", "created_at", "author", "text", "theme", "wijk", "wijk_name"):
            assert name in properties
        for name in ("municipality", "in_buurt", "walk_id", "media"):
            assert name in properties
        # A survey answered through its link has a random stand-in, nobody's pseudonym.
        expected = "R-0A1B2C3D" if properties["kind"] == "survey_response" else fx.author
        assert properties["author"] == expected
        assert isinstance(properties["media"], list)
        assert datetime.fromisoformat(properties["created_at"]).utcoffset() is not None

    answer = next(f for f in points if f["properties"]["kind"] == "survey_response")
    assert answer["properties"]["s1_q1"] == "Park"
    assert answer["geometry"]["type"] == "Point"
    note = next(f for f in points if f["properties"]["kind"] == "walk_note")
    assert note["geometry"] == {"type": "Point", "coordinates": [4.351577, 50.846678]}
    props = note["properties"]
    assert props["created_at"] == "2026-11-24T10:31:00+01:00"
    assert props["wijk"] == 1
    assert props["wijk_name"] == "Grand Place / Grote Markt"
    assert props["municipality"] == "Bruxelles / Brussel"
    assert props["in_buurt"] is True
    assert props["walk_id"] == fx.walk_id
    assert props["media"] == ["photo/2026-11/a.jpg"]  # the file not downloaded yet is left out
    assert props["focus"] == "green"  # the kind's own fields, flattened
    assert props["id"] != "clash" and props["detail_id"] == "clash"  # never overwriting
    assert "member_id" not in props

    encounter = next(f for f in points if f["properties"]["kind"] == "encounter")
    assert encounter["properties"]["wijk_name"] == "Dansaert"  # same name in both languages
    assert encounter["properties"]["topics"] == ["play", "safety"]
    assert encounter["properties"]["age"] == '{"min": 30}'

    key_person = next(f for f in points if f["properties"]["kind"] == "key_person")
    assert key_person["geometry"] is None
    assert (
        key_person["properties"]["wijk"] is None and key_person["properties"]["wijk_name"] is None
    )
    assert key_person["properties"]["follow_up_on"] == "2026-12-01"
    assert key_person["properties"]["consented"] is True

    [track] = [f for f in features if f["properties"]["kind"] == "walk_track"]
    assert track["id"] == track["properties"]["id"] == f"walk-{fx.walk_id}"
    assert track["geometry"]["type"] == "LineString"
    assert track["geometry"]["coordinates"][0] == [4.3515, 50.8466]
    assert len(track["geometry"]["coordinates"]) == 3
    assert track["properties"]["author"] == fx.author
    assert track["properties"]["started_at"] == "2026-11-24T10:30:00+01:00"
    assert track["properties"]["ended_at"] == "2026-11-24T11:10:00+01:00"
    assert track["properties"]["focus"] == "green"
    assert track["properties"]["distance_m"] > 100


def test_no_member_or_telegram_ids_anywhere(session_factory, data_fixture, tmp_path) -> None:
    data = build(session_factory, data_fixture, language="nl")
    written = [
        exports.write_geojson(data, tmp_path / "out.geojson"),
        *exports.write_csv(data, tmp_path / "out.csv"),
        *exports.write_export(data, "geojson", tmp_path / "split.geojson", split=True),
        *exports.write_export(data, "csv", tmp_path / "excel.csv", excel=True),
    ]
    for path in written:
        text = path.read_text(encoding="utf-8-sig")
        assert str(TELEGRAM_USER_ID) not in text
        assert "FILE-" not in text and "member_id" not in text
        assert "0470 12 34 56" not in text  # a key person's contact stays in the bot
        assert "elsewhere" not in text
    exports.write_xlsx(data, tmp_path / "out.xlsx")
    workbook = load_workbook(tmp_path / "out.xlsx")
    for sheet in workbook:
        for row in sheet.iter_rows(values_only=True):
            assert all(str(TELEGRAM_USER_ID) not in str(value) for value in row)


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_csv_has_the_geojson_properties_as_columns(session_factory, data_fixture, tmp_path):
    data = build(session_factory, data_fixture)
    main_csv, tracks_csv = exports.write_csv(data, tmp_path / "fieldwork.csv")
    assert tracks_csv == tmp_path / "fieldwork_tracks.csv"

    table = read_csv(main_csv)
    header = table[0]
    assert header[:8] == ["id", "kind", "created_at", "author", "text", "theme", "lat", "lon"]
    assert "geometry" not in header
    geojson_names = {name for f in data.observations for name in f["properties"]}
    assert set(header) == geojson_names | {"lat", "lon"}
    # The kind-specific columns come after the common ones, grouped by kind.
    assert header.index("focus") < header.index("who") < header.index("role") < header.index("day")
    assert len(table) == 1 + 6

    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in table[1:]}
    note = next(row for row in by_id.values() if row["kind"] == "walk_note")
    assert note["lat"] == "50.846678" and note["lon"] == "4.351577"
    assert note["in_buurt"] == "true"
    assert note["text"].startswith("'=SUM")  # no formula when opened in a spreadsheet
    encounter = next(row for row in by_id.values() if row["kind"] == "encounter")
    assert encounter["media"] == "voice/2026-11/b.ogg;video/2026-11/gone.mp4"
    assert encounter["topics"] == "play;safety"
    key_person = next(row for row in by_id.values() if row["kind"] == "key_person")
    assert key_person["lat"] == "" and key_person["wijk"] == ""
    assert key_person["name"] == "key_person: shopkeeper"  # no catalog: the codes

    tracks = read_csv(tracks_csv)
    assert tracks[0] == ["walk_id", "recorded_at", "lat", "lon", "accuracy_m"]
    assert len(tracks) == 1 + 3
    assert tracks[1][1] == "2026-11-24T10:30:00+01:00"


def test_date_filters_are_inclusive_local_days(session_factory, data_fixture) -> None:
    fx = data_fixture
    everything = build(session_factory, fx)
    assert len(everything.observations) == 6
    # The old note is 2026-11-01 23:30 UTC = 2026-11-02 00:30 in Brussels.
    only_old = build(session_factory, fx, date(2026, 11, 2), date(2026, 11, 2))
    assert [f["properties"]["text"] for f in only_old.observations] == ["Old note"]
    assert only_old.tracks == [] and only_old.track_points == []
    assert build(session_factory, fx, date(2026, 11, 1), date(2026, 11, 1)).is_empty
    day = build(session_factory, fx, date(2026, 11, 24), date(2026, 11, 24))
    assert len(day.observations) == 5 and len(day.tracks) == 1
    assert len(build(session_factory, fx, end=date(2026, 11, 23)).observations) == 1
    assert len(build(session_factory, fx, start=date(2026, 11, 25)).observations) == 0
    with pytest.raises(ValueError):
        build(session_factory, fx, date(2026, 11, 25), date(2026, 11, 24))
    with session_factory() as session, pytest.raises(exports.UnknownOrganisation):
        exports.open_export(session, 999, None, None)


def test_media_zip_holds_the_files_that_exist(session_factory, data_fixture, tmp_path) -> None:
    fx = data_fixture
    data = build(session_factory, fx)
    assert data.media_paths() == [
        "photo/2026-11/a.jpg",
        "voice/2026-11/b.ogg",
        "video/2026-11/gone.mp4",
    ]
    result = exports.write_media_zip(data, fx.media_dir, tmp_path / "media.zip")
    assert result.stored == ["photo/2026-11/a.jpg", "voice/2026-11/b.ogg"]
    assert result.missing == ["video/2026-11/gone.mp4"]
    with zipfile.ZipFile(tmp_path / "media.zip") as archive:
        assert archive.namelist() == ["photo/2026-11/a.jpg", "voice/2026-11/b.ogg"]
        assert archive.read("voice/2026-11/b.ogg") == b"OggS"


def test_media_zip_never_reaches_outside_the_media_folder(tmp_path) -> None:
    (tmp_path / "secret.txt").write_text("no")
    media_dir = tmp_path / "media"
    media_dir.mkdir()
    data = Snapshot([], [], [], [], [], ["../secret.txt", "/etc/hostname"], 0, False)
    result = exports.write_media_zip(data, media_dir, tmp_path / "m.zip")
    assert result.stored == [] and len(result.missing) == 2


def test_empty_export_is_a_valid_empty_collection(session_factory, now, tmp_path) -> None:
    with session_factory.begin() as session:
        org_id = orgs.create_organisation(session, "Empty", now).id
    with session_factory() as session:
        data = snapshot(exports.open_export(session, org_id))
    assert data.is_empty
    collection = json.loads(exports.write_geojson(data, tmp_path / "e.geojson").read_text())
    assert collection == {"type": "FeatureCollection", "features": []}
    main_csv, _ = exports.write_csv(data, tmp_path / "e.csv")
    assert read_csv(main_csv) == [list(exports.COMMON_COLUMNS)]
    exports.write_xlsx(data, tmp_path / "e.xlsx")
    workbook = load_workbook(tmp_path / "e.xlsx")
    assert workbook.sheetnames == ["walks", "track_points", "codes"]
    assert workbook["walks"].max_row == 2  # the codes and the headers


# --- the command line ----------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch, database_url, data_fixture, tmp_path) -> Fixture:
    monkeypatch.setenv("BUURTBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("BUURTBOT_MEDIA_DIR", str(data_fixture.media_dir))
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return data_fixture


def test_cli_writes_each_format(cli_env, tmp_path, capsys) -> None:
    org = str(cli_env.org_id)
    out = tmp_path / "out.geojson"
    assert main(["export", "--org", org, "--format", "geojson", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}: 6 observations (3 with a location), 1 walk tracks" in printed
    assert len(json.loads(out.read_text())["features"]) == 7

    out_csv = tmp_path / "table.csv"
    args = ["export", "--org", org, "--out", str(out_csv), "--from", "2026-11-24"]
    assert main([*args, "--to", "2026-11-24", "--media", str(tmp_path / "m.zip")]) == 0
    printed = capsys.readouterr().out
    assert "5 observations" in printed
    assert f"wrote {tmp_path / 'table_tracks.csv'}: 3 track points" in printed
    assert f"wrote {tmp_path / 'm.zip'}: 2 media files, 1 not on disk" in printed
    assert len(read_csv(out_csv)) == 6

    out_xlsx = tmp_path / "book.xlsx"
    assert main(["export", "--org", org, "--format", "xlsx", "--out", str(out_xlsx)]) == 0
    assert load_workbook(out_xlsx).sheetnames == NL_SHEETS  # the organisation's language
    french = ["export", "--org", org, "--out", str(out_xlsx), "--language", "fr"]
    assert main(french) == 0
    assert load_workbook(out_xlsx).sheetnames[:2] == ["Notes de balade", "Rencontres"]


def test_cli_empty_period_says_so(cli_env, tmp_path, capsys) -> None:
    out = tmp_path / "out.geojson"
    args = ["export", "--org", str(cli_env.org_id), "--out", str(out)]
    assert main([*args, "--from", "2020-01-01", "--to", "2020-01-31"]) == 0
    assert "nothing was recorded in this period" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--org", "999", "--out", "x.geojson"], "there is no organisation with id 999"),
        (["--org", "{org}", "--out", "x.geojson", "--from", "24/11/2026"], "use YYYY-MM-DD"),
        (["--org", "{org}", "--out", "x.geojson", "--to", "2026-02-30"], "use YYYY-MM-DD"),
        (
            ["--org", "{org}", "--out", "x.geojson", "--from", "2026-11-25", "--to", "2026-11-24"],
            "--from 2026-11-25 is after --to 2026-11-24",
        ),
        (["--org", "{org}", "--out", "no/such/folder/x.csv"], "cannot write"),
        (["--org", "{org}", "--out", "."], "is a folder"),
        (["--org", "{org}", "--out", "x.txt"], "say which --format"),
    ],
)
def test_cli_errors_are_one_line(cli_env, capsys, extra, message) -> None:
    args = [part.replace("{org}", str(cli_env.org_id)) for part in extra]
    assert main(["export", *args]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.err.startswith("buurtbot: error: ") and message in captured.err


def test_cli_bad_format_is_a_usage_error(cli_env, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--org", "1", "--format", "kml", "--out", "x.kml"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice" in err


# --- the /export step itself (the conversation runs in tests/conversations/test_export.py) --


def run_export_step(factory, fx: Fixture, tmp_path, monkeypatch=None, limit=None):
    if limit is not None:
        monkeypatch.setattr(export_flow, "UPLOAD_LIMIT_BYTES", limit)
    config = FlowConfig(
        media_dir=str(tmp_path / "bot-media"),
        timezone="Europe/Brussels",
        reports=ReportFiles(load_translator().raw),
    )
    moment = datetime.fromisoformat("2026-11-24T12:00:00+00:00")
    tap = Input(InputKind.CALLBACK, TELEGRAM_USER_ID, TELEGRAM_USER_ID, moment)
    with factory.begin() as session:
        member = orgs.get_member(session, TELEGRAM_USER_ID)
        member.role = "coordinator"
        ctx = StepContext(session=session, now=moment, config=config, member=member)
        chosen = export_flow.choose_format(ctx, tap, export_flow.ExportDraft(), "xlsx")
        outcome = export_flow.make_export(ctx, tap, chosen.draft, "week")
    # The step only says the file is coming; the file worker makes it afterwards.
    assert outcome.state is None
    assert [effect.key for effect in outcome.effects] == ["export.coming"]
    assert not (tmp_path / "bot-media" / "exports").exists()
    [(chat, _member, effects)] = make_waiting_files(factory, config, moment)
    assert chat == TELEGRAM_USER_ID
    return effects


def replace_data(inp: Input, data: str) -> Input:
    return replace(inp, callback_data=data)


def test_export_step_writes_under_the_media_folder(session_factory, data_fixture, tmp_path):
    [ready] = run_export_step(session_factory, data_fixture, tmp_path)
    assert ready.key == "export.ready"
    assert ready.params["observations"] == 5 and ready.params["tracks"] == 1
    assert ready.document.startswith("exports/") and ready.document.endswith(".xlsx")
    assert (tmp_path / "bot-media" / ready.document).is_file()


def test_export_step_refuses_files_over_the_upload_limit(
    session_factory, data_fixture, tmp_path, monkeypatch
):
    [answer] = run_export_step(session_factory, data_fixture, tmp_path, monkeypatch, limit=100)
    assert answer.key == "export.too_big" and answer.document is None
    assert list((tmp_path / "bot-media" / "exports").iterdir()) == []


# --- streaming: the bot's /export reads while it writes --------------------------------------


def test_a_stream_read_in_small_pages_writes_what_it_holds(
    session_factory, data_fixture, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(exports, "PAGE", 2)  # several pages of observations and of walks
    data = build(session_factory, data_fixture)
    with session_factory() as session:
        stream = exports.open_export(session, data_fixture.org_id)
        assert stream.totals == data.totals
        assert stream.located == data.located and not stream.is_empty
        assert stream.columns == data.columns
        for fmt in ("geojson", "csv"):
            streamed = exports.write_export(stream, fmt, tmp_path / f"stream.{fmt}")
            built = exports.write_export(data, fmt, tmp_path / f"built.{fmt}")
            for left, right in zip(streamed, built, strict=True):
                assert left.read_bytes() == right.read_bytes()
        exports.write_export(stream, "xlsx", tmp_path / "stream.xlsx")
        split = exports.write_export(stream, "geojson", tmp_path / "s.geojson", split=True)
        built = exports.write_export(data, "geojson", tmp_path / "b.geojson", split=True)
        for left, right in zip(split, built, strict=True):
            assert left.read_bytes() == right.read_bytes()
    workbook = load_workbook(tmp_path / "stream.xlsx")
    assert workbook.sheetnames == [*data.sheets, "walks", "track_points", "codes"]
    rows = sum(workbook[kind].max_row - 2 for kind in data.sheets)
    assert rows == len(data.observations)


def test_a_file_over_the_limit_is_given_up_with_its_estimated_size(
    session_factory, data_fixture, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(exports, "SIZE_CHECK_EVERY", 1)
    out = tmp_path / "exports"
    out.mkdir()
    with session_factory() as session:
        stream = exports.open_export(session, data_fixture.org_id)
        with pytest.raises(exports.ExportTooBig) as raised:
            exports.write_export(stream, "csv", out / "big.csv", limit=200)
    assert raised.value.size > 200
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    "text",
    ["x;=2+3;y", "a,=HYPERLINK(1)", "b; +1+1", "c;@SUM(A1);d", "-2+3", " =1", "e\t=1"],
)
def test_no_csv_cell_becomes_a_formula_however_the_line_is_split(
    session_factory, data_fixture, tmp_path, text
) -> None:
    """Belgian Excel splits on ";": a formula hidden after a separator is neutralised too."""
    with session_factory.begin() as session:
        obs.add_observation(
            session,
            organisation_id=data_fixture.org_id,
            member_id=data_fixture.member_id,
            author=data_fixture.author,
            kind="note",
            now=datetime(2026, 11, 24, 10, 5, tzinfo=UTC),
            text=text,
        )
    with session_factory() as session:
        stream = exports.open_export(session, data_fixture.org_id)
        main_csv, _ = exports.write_csv(stream, tmp_path / "out.csv")
    raw = main_csv.read_text(encoding="utf-8-sig")
    for delimiter in (",", ";", "\t"):
        cells = [cell for row in csv.reader(raw.splitlines(), delimiter=delimiter) for cell in row]
        assert delimiter != "," or len(cells) > 20
        for cell in cells:
            assert not cell.lstrip(" ").startswith(("=", "+", "@")), (delimiter, cell)
            assert not re.match(r"\s*-\D", cell), (delimiter, cell)


def test_diary_destinations_appear_only_aggregated(session_factory, data_fixture, tmp_path):
    """A diary entry's place is where a resident went: never a point of its own."""
    fx = data_fixture
    schaerbeek = Place(lat=50.8671, lon=4.3733, municipality_nis=21015, in_brussels=True)
    city = Place(lat=50.8411, lon=4.3601, municipality_nis=21004, in_brussels=True)
    places = [DANSAERT] * 3 + [GRAND_PLACE] + [city] * 2 + [schaerbeek]
    with session_factory.begin() as session:
        for minute, where in enumerate(places):
            obs.add_observation(
                session,
                organisation_id=fx.org_id,
                member_id=fx.member_id,
                author=fx.author,
                kind="diary_entry",
                now=datetime(2026, 11, 25, 19, minute, tzinfo=UTC),
                text=f"need {minute}",
                place=where,
                details={
                    "where_instead": "Rue Secrète 12",
                    "where_wijk": where.wijk_code,
                    "home_wijk": 1,
                    "met": "no",
                    "distance_from": "home",
                },  # fmt: skip
            )
    data = build(session_factory, fx)
    diary = [f for f in data.observations if f["properties"]["kind"] == "diary_entry"]
    assert len(diary) == 1 + len(places)
    for feature in diary:
        properties = feature["properties"]
        assert feature["geometry"] is None
        for name in ("wijk", "wijk_name", "municipality", "municipality_nis", "accuracy_m"):
            assert properties[name] is None
        assert "where_instead" not in properties and "where_wijk" not in properties
        assert "distance_from" not in properties
    destinations = {
        (f["properties"]["level"], f["properties"]["wijk"] or f["properties"]["municipality_nis"]):
            f["properties"]["entries"]
        for f in data.destinations
    }  # fmt: skip
    assert destinations == {("wijk", 2): 3, ("municipality", 21004): 3}
    path = exports.write_geojson(data, tmp_path / "out.geojson")
    text = path.read_text(encoding="utf-8")
    assert "Rue Secrète" not in text and "4.3733" not in text and "4.3601" not in text
    collection = json.loads(text)
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    assert kinds.count("diary_destinations") == 2
    for feature in collection["features"]:
        if feature["properties"]["kind"] == "diary_destinations":
            assert feature["geometry"]["type"] == "Point"
            assert feature["properties"]["entries"] >= exports.MIN_DESTINATION_ENTRIES


# --- the workbook: a sheet per kind, real dates and booleans, the team's words ---------------

NL_SHEETS = [
    "Wandelnotities",
    "Gesprekken",
    "Sleutelfiguren",
    "Gemis",
    "Dagboeken",
    "Wandelingen",
    "Routepunten",
    "Codes",
]


def add_missing_by_transit(factory, fx: Fixture) -> None:
    """A missing thing with its coded answers, as /missing stores them."""
    record(
        factory,
        fx,
        "missing",
        datetime(2026, 11, 24, 13, 0, tzinfo=UTC),
        text="No swimming pool",
        theme="sport",
        place=DANSAERT,
        details={
            "status": "disappeared",
            "since": "1_5_years",
            "alternative_source": "typed",
            "distance_m": 2300,
            "transport": "transit",
        },
    )


def sheet_rows(sheet) -> list[dict]:
    """Return a sheet's data rows keyed by the codes of its hidden first row."""
    codes = [cell.value for cell in sheet[1]]
    return [
        dict(zip(codes, row, strict=True))
        for row in sheet.iter_rows(min_row=3, max_row=sheet.max_row)
    ]


def test_the_workbook_has_a_sheet_per_kind_in_the_team_language(
    session_factory, data_fixture, tmp_path
) -> None:
    add_missing_by_transit(session_factory, data_fixture)
    data = build(session_factory, data_fixture, language="nl")
    path = exports.write_xlsx(data, tmp_path / "buurt.xlsx")
    workbook = load_workbook(path)
    assert workbook.sheetnames == NL_SHEETS
    for sheet in workbook:
        codes = [cell.value for cell in sheet[1]]
        headers = [cell.value for cell in sheet[2]]
        assert sheet.row_dimensions[1].hidden  # the codes, for tools
        assert not sheet.row_dimensions[2].hidden and all(cell.font.bold for cell in sheet[2])
        assert sheet.freeze_panes == "A3"
        last = sheet.cell(row=2, column=len(codes)).column_letter
        assert sheet.auto_filter.ref == f"A2:{last}{sheet.max_row}"
        assert None not in headers and len(headers) == len(codes)

    missing = workbook["Gemis"]
    headers = dict(zip((c.value for c in missing[1]), (c.value for c in missing[2]), strict=True))
    assert headers["created_at"] == "Datum en uur" and headers["transport"] == "Hoe mensen er komen"
    assert headers["theme"] == "Levensdomein"
    pool = next(row for row in sheet_rows(missing) if row["text"].value == "No swimming pool")
    assert pool["kind"].value == "Gemis"
    assert pool["transport"].value == "Met het openbaar vervoer"
    assert pool["since"].value == "1 tot 5 jaar geleden"
    assert pool["theme"].value == "Sport"
    assert pool["alternative_source"].value == "Getypte plek"
    assert pool["distance_m"].value == 2300 and pool["distance_m"].data_type == "n"
    # 13:00 UTC is 14:00 in Brussels: the organisation's wall clock, as a real date.
    assert pool["created_at"].value == datetime(2026, 11, 24, 14, 0)
    assert pool["created_at"].is_date and "dd/mm/yyyy" in pool["created_at"].number_format
    assert pool["in_buurt"].value is False or pool["in_buurt"].value is None
    assert pool["in_brussels"].value is True and pool["in_brussels"].data_type == "b"
    assert pool["lat"].value == pytest.approx(50.850817)

    [note] = sheet_rows(workbook["Wandelnotities"])
    assert note["focus"].value == "Groen en spelen"
    assert note["in_buurt"].value is True
    assert note["text"].value.startswith("=SUM") and note["text"].data_type == "s"
    assert note["media"].value == "photo/2026-11/a.jpg"
    assert note["name"].value.startswith("Wandelnotitie: =SUM")
    assert note["author"].value == data_fixture.author

    [key_person] = sheet_rows(workbook["Sleutelfiguren"])
    assert key_person["follow_up_on"].value == datetime(2026, 12, 1)
    assert key_person["follow_up_on"].number_format == "dd/mm/yyyy"
    assert key_person["consented"].value is True  # a detail no kind declares keeps its type

    diary_codes = [cell.value for cell in workbook["Dagboeken"][1]]
    assert "lat" not in diary_codes and "wijk" not in diary_codes  # no place, ever

    walks = sheet_rows(workbook["Wandelingen"])
    assert len(walks) == 2  # the walk with one point is a walk too, without a track
    walk = next(row for row in walks if row["walk_id"].value == data_fixture.walk_id)
    assert walk["started_at"].value == datetime(2026, 11, 24, 10, 30)
    assert walk["duration_min"].value == 40 and walk["points"].value == 3
    assert walk["focus"].value == "Groen en spelen"
    assert len(sheet_rows(workbook["Routepunten"])) == 3

    codes = {(row["column"].value, row["code"].value): row["label"].value
             for row in sheet_rows(workbook["Codes"])}  # fmt: skip
    assert codes[("transport", "transit")] == "Met het openbaar vervoer"
    assert codes[("kind", "missing")] == "Gemis"


def test_a_workbook_without_a_catalog_uses_the_codes(session_factory, data_fixture, tmp_path):
    data = build(session_factory, data_fixture)
    workbook = load_workbook(exports.write_xlsx(data, tmp_path / "codes.xlsx"))
    assert workbook.sheetnames[0] == "walk_note"
    sheet = workbook["walk_note"]
    assert [c.value for c in sheet[1]] == [c.value for c in sheet[2]]


def test_sheet_names_are_what_excel_accepts() -> None:
    taken: set[str] = set()
    assert exports._sheet_title("Wat: [mist]?/nu*", taken) == "Wat   mist   nu"
    assert exports._sheet_title("x" * 40, taken) == "x" * 31
    assert exports._sheet_title("X" * 40, taken) == "X" * 27 + " (2)"


# --- GeoJSON for uMap and QGIS ------------------------------------------------------------


def test_every_feature_has_a_name_and_a_description(session_factory, data_fixture) -> None:
    fx = data_fixture
    add_missing_by_transit(session_factory, fx)
    for minute in range(3):
        moment = datetime(2026, 11, 25, 19, minute, tzinfo=UTC)
        record(session_factory, fx, "diary_entry", moment, text="bread", place=DANSAERT)
    data = build(session_factory, fx, language="fr")
    features = [*data.observations, *data.tracks, *data.destinations]
    for feature in features:
        properties = feature["properties"]
        assert properties["name"] and properties["description"], properties["kind"]
    pool = next(f for f in data.observations if f["properties"]["text"] == "No swimming pool")
    assert pool["properties"]["name"] == "Manque: No swimming pool"
    description = pool["properties"]["description"].splitlines()
    assert description[0] == "No swimming pool"
    assert "Domaine de vie: Sport" in description
    assert "Quartier: Dansaert, Bruxelles / Brussel" in description
    assert description[-1] == f"24/11/2026 14:00 · {fx.author}"
    key_person = next(f for f in data.observations if f["properties"]["kind"] == "key_person")
    assert key_person["properties"]["name"] == "Personne-relais: shopkeeper"  # its role
    [track] = data.tracks
    assert track["properties"]["name"] == "Balade du 24/11/2026 10:30"
    assert track["properties"]["description"].startswith("0,")  # km with a decimal comma
    assert "en 40 min" in track["properties"]["description"]
    [destination] = data.destinations
    assert destination["properties"]["name"] == "Dansaert"
    assert destination["properties"]["description"].startswith("3 entrées de carnet")
    long = "word " * 30
    name, _ = exports.popup({"kind": "note", "text": long}, data.labels)
    assert name.startswith("Note: word") and name.endswith("…")
    assert len(name) <= len("Note: ") + exports.NAME_LENGTH


def test_split_geojson_has_one_geometry_type_per_file(session_factory, data_fixture, tmp_path):
    data = build(session_factory, data_fixture, language="nl")
    written = exports.write_export(data, "geojson", tmp_path / "buurt.geojson", split=True)
    assert [path.name for path in written] == [
        "buurt-points.geojson",
        "buurt-tracks.geojson",
        "buurt-no-location.geojson",
    ]
    points, tracks, unplaced = (json.loads(path.read_text("utf-8"))["features"] for path in written)
    assert {f["geometry"]["type"] for f in points} == {"Point"}
    assert {f["geometry"]["type"] for f in tracks} == {"LineString"}
    assert {f["geometry"] is None for f in unplaced} == {True}
    assert len(points) + len(unplaced) == len(data.observations)
    assert {f["properties"]["kind"] for f in unplaced} >= {"key_person", "diary_entry"}
    assert "diary_entry" not in {f["properties"]["kind"] for f in points}  # never on a map
    for feature in (*points, *tracks, *unplaced):
        assert feature["properties"]["name"] and feature["properties"]["description"]
        assert feature["properties"]["author"] == data_fixture.author
    assert not (tmp_path / "buurt.geojson").exists()


def test_cli_splits_geojson_and_refuses_options_for_other_formats(cli_env, tmp_path, capsys):
    org = str(cli_env.org_id)
    out = tmp_path / "kaart.geojson"
    assert main(["export", "--org", org, "--out", str(out), "--split"]) == 0
    printed = capsys.readouterr().out
    for part in ("points", "tracks", "no-location"):
        assert f"wrote {tmp_path / f'kaart-{part}.geojson'}" in printed
    assert "in all: 6 observations (3 with a location), 1 walk tracks" in printed
    [track] = json.loads((tmp_path / "kaart-tracks.geojson").read_text())["features"]
    assert track["properties"]["name"].startswith("Wandeling van ")  # the organisation's language
    for extra, message in (
        (["--out", "x.csv", "--split"], "--split is for --format geojson"),
        (["--out", "x.xlsx", "--excel"], "--excel is for --format csv"),
    ):
        assert main(["export", "--org", org, *extra]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err


# --- CSV for tools and for Belgian Excel -------------------------------------------------


def test_both_csv_dialects_open_with_the_right_columns(session_factory, data_fixture, tmp_path):
    data = build(session_factory, data_fixture, language="nl")
    plain, plain_tracks = exports.write_csv(data, tmp_path / "tools.csv")
    excel, excel_tracks = exports.write_export(data, "csv", tmp_path / "excel.csv", excel=True)
    for path in (plain, plain_tracks, excel, excel_tracks):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark

    def rows(path: Path, delimiter: str) -> list[dict[str, str]]:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle, delimiter=delimiter, strict=True))

    tools, belgian = rows(plain, ","), rows(excel, ";")
    assert list(tools[0]) == list(belgian[0]) == data.columns  # the codes, in both
    assert len(tools) == len(belgian) == len(data.observations)
    # Read the wrong way, a file falls apart: the delimiters really differ.
    assert len(rows(excel, ",")[0]) < len(data.columns)
    note = next(row for row in tools if row["kind"] == "walk_note")
    excel_note = next(row for row in belgian if row["kind"] == "walk_note")
    assert note["lat"] == "50.846678" and excel_note["lat"] == "50,846678"
    assert note["accuracy_m"] == "12.0" and excel_note["accuracy_m"] == "12,0"
    assert note["created_at"] == "2026-11-24T10:31:00+01:00"
    assert excel_note["created_at"] == "2026-11-24 10:31:00"  # Excel reads it as a date
    assert excel_note["walk_id"] == note["walk_id"] == str(data_fixture.walk_id)
    assert excel_note["text"] == note["text"] and note["text"].startswith("'=SUM")
    encounter = next(row for row in belgian if row["kind"] == "encounter")
    assert encounter["media"] == "voice/2026-11/b.ogg;video/2026-11/gone.mp4"  # quoted
    for row in belgian:
        for name in ("lat", "lon", "accuracy_m"):
            assert "." not in row[name]
    points = rows(excel_tracks, ";")
    assert list(points[0]) == list(exports.TRACK_POINT_COLUMNS)
    assert points[0]["lat"] == "50,8466" and points[0]["recorded_at"] == "2026-11-24 10:30:00"


def test_cli_writes_the_excel_csv(cli_env, tmp_path, capsys) -> None:
    out = tmp_path / "excel.csv"
    assert main(["export", "--org", str(cli_env.org_id), "--out", str(out), "--excel"]) == 0
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("id;kind;created_at;author;text;theme;lat;lon;")


# --- a kind not stored as an observation: one registry entry ----------------------------------


def test_a_kind_with_its_own_features_is_one_registry_entry(
    session_factory, data_fixture, tmp_path, monkeypatch
) -> None:
    """How `hypothesis` joins the export: features without geometry, their own columns."""

    def hypotheses(scope: exports.ExportStream):
        assert scope.organisation_id == data_fixture.org_id  # the export's own organisation
        yield {
            "type": "Feature",
            "id": "hypothesis-1",
            "geometry": None,
            "properties": {
                "id": "hypothesis-1",
                "kind": "hypothesis",
                "created_at": "2026-11-24T09:00:00+01:00",
                "author": data_fixture.author,
                "text": "Older residents have nowhere to meet",
                "theme": "welfare",
                "observations": [3, 4],
                "verdicts": ["supports", "contradicts"],
            },
        }

    entry = fields.ExportKind(
        "hypothesis",
        (
            fields.Column("observations", "list"),
            fields.Column("verdicts", "code", ("supports", "contradicts")),
        ),
        features=hypotheses,
    )
    monkeypatch.setattr(fields, "EXPORT_KINDS", (*fields.EXPORT_KINDS, entry))
    monkeypatch.setitem(fields.BY_NAME, "hypothesis", entry)
    with session_factory() as session:
        stream = exports.open_export(session, data_fixture.org_id)
        assert stream.kinds()[-1] == "hypothesis"
        assert stream.columns[-2:] == ["observations", "verdicts"]
        [feature] = stream.observation_features("hypothesis")
        assert feature["properties"]["name"] == "hypothesis: Older residents have nowhere to meet"
        assert feature["properties"]["description"].startswith("Older residents")
        everything = list(stream.observation_features())
        assert everything[-1]["id"] == "hypothesis-1"
        points, _, unplaced = exports.write_export(
            stream, "geojson", tmp_path / "m.geojson", split=True
        )
        exports.write_xlsx(stream, tmp_path / "h.xlsx")
        main_csv, _ = exports.write_csv(stream, tmp_path / "h.csv")
    assert "hypothesis" not in points.read_text()
    assert "hypothesis-1" in unplaced.read_text()
    [row] = sheet_rows(load_workbook(tmp_path / "h.xlsx")["hypothesis"])
    assert row["observations"].value == "3; 4" and row["verdicts"].value == "supports; contradicts"
    assert row["created_at"].value == datetime(2026, 11, 24, 9, 0)
    assert read_csv(main_csv)[-1][-2:] == ["3;4", "supports;contradicts"]


def test_cli_help_explains_the_formats(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--help"])
    assert exit_info.value.code == 0
    shown = capsys.readouterr().out
    for words in ("--split", "FILE-points.geojson", "FILE-tracks.geojson", "--excel", "decimal"):
        assert words in shown
