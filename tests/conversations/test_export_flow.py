"""/export in Telegram: coordinators get a file for maps or spreadsheets; others are refused."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from storage import observations as obs
from storage import walks as walks_db
from storage.db import reading
from storage.models import Observation
from storage.observations import Place
from tests.conversations.helpers import TRANSLATOR, button_texts, join, says, start_walk, tap

pytestmark = pytest.mark.pipeline

COORDINATOR_ID = 700
AUTHOR = "P-FIELDWK1"


def record_fieldwork(world, organisation_id: int, member_id: int) -> None:
    """Two observations and a walk with a track, stored as the flows would store them."""
    now = datetime.now(UTC)
    place = Place(lat=50.8467, lon=4.3516, wijk_code=1, municipality_nis=21004, in_brussels=True)
    with world.factory.begin() as session:
        walk = walks_db.start_walk(
            session,
            organisation_id=organisation_id,
            member_id=member_id,
            author=AUTHOR,
            chat_id=COORDINATOR_ID,
            now=now,
        )
        walks_db.add_track_point(session, walk, now, 50.8466, 4.3515, 5.0, 1)
        walks_db.add_track_point(session, walk, now + timedelta(minutes=1), 50.8470, 4.351, None, 1)
        common = {"organisation_id": organisation_id, "member_id": member_id, "author": AUTHOR}
        obs.add_observation(
            session,
            **common,
            kind="walk_note",
            now=now,
            text="Bench broken",
            place=place,
            walk_id=walk.id,
            chat_id=COORDINATOR_ID,
            message_id=1,
        )
        obs.add_observation(session, **common, kind="missing", now=now, text="No toilet")


def choose(user, language: str, format_key: str, period_key: str) -> list[dict]:
    user.send_command("/export")
    [ask_format] = user.wait_for_messages(1)
    assert says(ask_format, "export.choose_format", language)
    tap(user, ask_format, TRANSLATOR.raw(language, format_key))
    [ask_period] = user.wait_for_messages(1)
    assert says(ask_period, "export.choose_period", language)
    tap(user, ask_period, TRANSLATOR.raw(language, period_key))


def made(user, language: str, count: int) -> list[dict]:
    """Wait for the line saying the export is coming, then the `count` messages that follow."""
    coming, *rest = user.wait_for_messages(1 + count)
    assert says(coming, "export.coming", language)
    return rest


def test_excel_comes_first_and_speaks_the_coordinator_language(sandbox, world, join_member):
    coordinator, member = join_member(COORDINATOR_ID, "coordinator", "fr")
    record_fieldwork(world, member.organisation_id, member.id)
    coordinator.send_command("/export")
    [ask_format] = coordinator.wait_for_messages(1)
    offered = [TRANSLATOR.raw("fr", f"export.format.{fmt}") for fmt in ("xlsx", "geojson", "csv")]
    assert button_texts(ask_format) == offered
    tap(coordinator, ask_format, offered[0])
    [ask_period] = coordinator.wait_for_messages(1)
    tap(coordinator, ask_period, TRANSLATOR.raw("fr", "export.period.week"))
    ready, document = made(coordinator, "fr", 2)
    assert says(ready, "export.ready", "fr")
    assert document["document"]["file_name"].endswith(".xlsx")
    content = sandbox.file_bytes(document["document"]["file_id"])
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == [
        "Notes de balade",
        "Manques",
        "Balades",
        "Points des parcours",
        "Codes",
    ]
    sheet = workbook["Notes de balade"]
    assert [cell.value for cell in sheet[1]][:3] == ["id", "kind", "created_at"]
    assert [cell.value for cell in sheet[2]][:3] == ["Numéro", "Type", "Date et heure"]
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref.startswith("A2:")
    note = sheet[3]
    assert note[1].value == "Note de balade"
    assert note[2].is_date and note[2].value.tzinfo is None
    for each in workbook:
        for row in each.iter_rows(values_only=True):
            assert str(COORDINATOR_ID) not in " ".join(str(value) for value in row)


def test_coordinator_gets_a_geojson_document(sandbox, world, join_member) -> None:
    coordinator, member = join_member(COORDINATOR_ID, "coordinator", "en")
    record_fieldwork(world, member.organisation_id, member.id)
    choose(coordinator, "en", "export.format.geojson", "export.period.week")
    ready, document = made(coordinator, "en", 2)
    assert says(ready, "export.ready", "en")
    assert "Observations: 2 (with a location: 1)" in ready["text"]
    assert document["document"]["file_name"].endswith(".geojson")
    content = sandbox.file_bytes(document["document"]["file_id"])
    collection = json.loads(content)
    assert collection["type"] == "FeatureCollection"
    kinds = sorted(feature["properties"]["kind"] for feature in collection["features"])
    assert kinds == ["missing", "walk_note", "walk_track"]
    names = {feature["properties"]["name"] for feature in collection["features"]}
    assert {"Missing thing: No toilet", "Walk note: Bench broken"} <= names  # popups
    assert all(feature["properties"]["description"] for feature in collection["features"])
    assert {feature["properties"]["author"] for feature in collection["features"]} == {AUTHOR}
    assert str(COORDINATOR_ID) not in content.decode()


def test_csv_comes_with_its_track_file(sandbox, world, join_member) -> None:
    coordinator, member = join_member(COORDINATOR_ID, "coordinator", "fr")
    record_fieldwork(world, member.organisation_id, member.id)
    choose(coordinator, "fr", "export.format.csv", "export.period.all")
    ready, table, tracks_text, tracks = made(coordinator, "fr", 4)
    assert says(ready, "export.ready", "fr")
    assert says(tracks_text, "export.tracks_file", "fr", points=2)
    rows = list(csv.reader(io.StringIO(sandbox.file_bytes(table["document"]["file_id"]).decode())))
    assert rows[0][:3] == ["\ufeffid", "kind", "created_at"] and len(rows) == 3
    points = sandbox.file_bytes(tracks["document"]["file_id"]).decode("utf-8-sig").splitlines()
    assert points[0] == "walk_id,recorded_at,lat,lon,accuracy_m" and len(points) == 3


def test_an_empty_period_sends_no_file(sandbox, world, join_member) -> None:
    coordinator, _member = join_member(COORDINATOR_ID, "coordinator", "nl")
    choose(coordinator, "nl", "export.format.xlsx", "export.period.four_weeks")
    [answer] = made(coordinator, "nl", 1)
    assert says(answer, "export.empty", "nl")
    assert not sandbox.calls("sendDocument")


def test_staff_are_refused(sandbox, world, join_member) -> None:
    staff, _member = join_member(701, "staff", "nl")
    staff.send_command("/export")
    [refused] = staff.wait_for_messages(1)
    # The refusal names the command in the member's own word.
    assert says(refused, "error.not_allowed", "nl", command="exporteren")
    assert not sandbox.calls("sendDocument")


def test_a_walk_note_is_stored_and_answered_while_an_export_is_made(
    sandbox, bot, world, join_member, monkeypatch
) -> None:
    coordinator, member = join_member(COORDINATOR_ID, "coordinator", "en")
    walker, _walker = join_member(702, "staff", "nl")
    record_fieldwork(world, member.organisation_id, member.id)
    # The file worker stops in the middle of writing the export until the test lets it go.
    reports = bot.app.files.config.reports
    writing, release = threading.Event(), threading.Event()
    write_export = reports.write_export

    def held_export(*args, **kwargs):
        writing.set()
        release.wait(60)
        return write_export(*args, **kwargs)

    monkeypatch.setattr(reports, "write_export", held_export)
    try:
        choose(coordinator, "en", "export.format.geojson", "export.period.all")
        [coming] = coordinator.wait_for_messages(1)
        assert says(coming, "export.coming", "en")
        assert writing.wait(30), "the file worker never began the export"
        # Meanwhile the intake stores another member's walk note and the dispatcher answers it.
        start_walk(walker)
        walker.send_text("Geen bank meer aan de bushalte")
        saved, _where = walker.wait_for_messages(2)
        assert saved["text"].startswith("✓")
        with reading(world.factory) as session:
            texts = session.scalars(select(Observation.text)).all()
        assert "Geen bank meer aan de bushalte" in texts
        assert not release.is_set() and not sandbox.calls("sendDocument")
    finally:
        release.set()
    ready, document = coordinator.wait_for_messages(2, timeout=30)
    assert says(ready, "export.ready", "en")
    assert document["document"]["file_name"].endswith(".geojson")
    assert len(sandbox.calls("sendDocument")) == 1


@pytest.fixture
def join_member(sandbox, world):
    """Return a helper that makes a member with a role through onboarding."""
    organisation_id = world.organisation()

    def make(user_id: int, role: str, language: str):
        user = sandbox.user(user_id=user_id, language_code=language)
        join(user, world.invite(organisation_id, role), language)
        return user, world.member(user_id)

    return make
