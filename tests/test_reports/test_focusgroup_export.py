"""A focus group in the export: a column per kind of person, its channel in words, its
questions for tools, and never a name or a Telegram id."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook

from bot.reporting import catalog_for
from flows.focusgroup import FocusGroupDraft, GroupQuestion, GroupQuote, details_of
from reports import export as exports
from storage import observations as obs
from storage import organisations as orgs
from storage.privacy import pseudonym
from tests.test_reports.test_digest_builder import DANSAERT, make_member, place

NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
DRAFT = FocusGroupDraft(
    held_on=date(2026, 11, 25),
    counts=(8, 3, 2, 1),
    channel="partner",
    questions=(
        GroupQuestion(
            "Where do you meet?",
            ("At the laundrette",),
            1,
            (GroupQuote("We cross every day but never talk."),),
        ),
    ),
    missing_voices="The young people themselves",
)


def stored(session_factory) -> int:
    """Store a focus group as the flow does; return the organisation's id."""
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "Groep", NOW - timedelta(days=9), "nl", [1])
        member = make_member(session, org.id, 901, "staff", "nl", NOW - timedelta(days=8))
        obs.add_observation(
            session,
            organisation_id=org.id,
            member_id=member.id,
            author=pseudonym("k", member.id),
            kind="focus_group",
            now=NOW,
            text="Where do you meet?",
            theme="welfare",
            place=place(*DANSAERT),
            details=details_of(DRAFT),
        )
        return org.id


def test_the_workbook_has_a_focus_group_sheet_with_a_column_per_kind_of_person(
    session_factory, tmp_path
) -> None:
    org_id = stored(session_factory)
    with session_factory() as session:
        labels = exports.Labels("nl", catalog_for("nl"))
        data = exports.open_export(session, org_id, labels=labels)
        path = exports.write_xlsx(data, tmp_path / "groep.xlsx")
    sheet = load_workbook(path)["Focusgroepen"]
    codes = [cell.value for cell in sheet[1]]
    headers = dict(zip(codes, (cell.value for cell in sheet[2]), strict=True))
    assert headers["residents"] == "Bewoners (aantal)" and headers["others"] == "Anderen (aantal)"
    [row] = [dict(zip(codes, cells, strict=True)) for cells in sheet.iter_rows(min_row=3)]
    assert [row[name].value for name in ("residents", "users", "partners", "others")] == [
        8,
        3,
        2,
        1,
    ]
    assert row["people"].value == 14 and row["people"].data_type == "n"
    assert row["held_on"].is_date and row["held_on"].value == datetime(2026, 11, 25)
    assert row["channel"].value == "Activiteit van een partner"
    assert row["kind"].value == "Focusgroep"
    assert row["missing_voices"].value == "The young people themselves"
    [question] = json.loads(row["questions"].value)
    assert question["quotes"] == [
        {"agreed": True, "text": "We cross every day but never talk.", "voice": False}
    ]


def test_csv_and_geojson_carry_the_codes_and_no_ids(session_factory, tmp_path) -> None:
    org_id = stored(session_factory)
    with session_factory() as session:
        data = exports.open_export(session, org_id)
        [csv_path, *_] = exports.write_csv(data, tmp_path / "groep.csv")
        geojson = exports.write_geojson(data, tmp_path / "groep.geojson")
    with csv_path.open(encoding="utf-8-sig") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["kind"], row["channel"], row["residents"], row["people"]) == (
        "focus_group",
        "partner",
        "8",
        "14",
    )
    [feature] = json.loads(geojson.read_text(encoding="utf-8"))["features"]
    assert feature["geometry"]["type"] == "Point"
    properties = feature["properties"]
    assert properties["held_on"] == "2026-11-25" and properties["others"] == 1
    text = geojson.read_text(encoding="utf-8") + csv_path.read_text(encoding="utf-8-sig")
    assert "901" not in text  # the member's Telegram id is nowhere
