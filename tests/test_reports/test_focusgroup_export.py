"""A focus group in the export: a column per kind of person, its channel in words, its
questions structured in GeoJSON and as numbered columns in a table, and never a name or a
Telegram id."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
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


# A second group: two questions, the first asked by voice note, a quote spoken.
LONGER = FocusGroupDraft(
    held_on=date(2026, 11, 26),
    counts=(5, 0, 0, 0),
    channel="activity",
    questions=(
        GroupQuestion(None, ("Nowhere to sit", "=1+1 on the bench"), 3, (GroupQuote(voice=True),)),
        GroupQuestion(
            "What would help?",
            (),
            0,
            (GroupQuote("A bench; in the shade"), GroupQuote("Opening hours")),
        ),
    ),
)


def stored(session_factory, *drafts: FocusGroupDraft) -> int:
    """Store focus groups as the flow does, a minute apart; return the organisation's id."""
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "Groep", NOW - timedelta(days=9), "nl", [1])
        member = make_member(session, org.id, 901, "staff", "nl", NOW - timedelta(days=8))
        for minute, draft in enumerate(drafts or (DRAFT,)):
            obs.add_observation(
                session,
                organisation_id=org.id,
                member_id=member.id,
                author=pseudonym("k", member.id),
                kind="focus_group",
                now=NOW + timedelta(minutes=minute),
                text=draft.questions[0].question,
                theme="welfare",
                place=place(*DANSAERT),
                details=details_of(draft),
            )
        return org.id


def focus_group_sheet(session_factory, tmp_path, *drafts: FocusGroupDraft) -> Any:
    """Store focus groups, export a Dutch workbook and return its focus group sheet."""
    org_id = stored(session_factory, *drafts)
    with session_factory() as session:
        labels = exports.Labels("nl", catalog_for("nl"))
        data = exports.open_export(session, org_id, labels=labels)
        path = exports.write_xlsx(data, tmp_path / "groep.xlsx")
    return load_workbook(path)["Focusgroepen"]


NUMBERED = [f"{part}_{number}" for number in (1, 2) for part in ("question", "said", "quotes")]


def test_each_question_gets_readable_numbered_columns_in_the_workbook(
    session_factory, tmp_path
) -> None:
    sheet = focus_group_sheet(session_factory, tmp_path, DRAFT, LONGER)
    codes = [cell.value for cell in sheet[1]]
    # As many questions as the group that asked most; the codes stay in the hidden row.
    assert [code for code in codes if code in NUMBERED] == NUMBERED
    assert "questions" not in codes and "question_3" not in codes
    headers = dict(zip(codes, (cell.value for cell in sheet[2]), strict=True))
    assert [headers[code] for code in NUMBERED] == [
        "Vraag 1",
        "Wat er gezegd werd 1",
        "Citaten 1",
        "Vraag 2",
        "Wat er gezegd werd 2",
        "Citaten 2",
    ]
    first, second = (
        {code: cell.value for code, cell in zip(codes, cells, strict=True)}
        for cells in sheet.iter_rows(min_row=3)
    )
    assert [first[code] for code in NUMBERED] == [
        "Where do you meet?",
        "At the laundrette",
        "We cross every day but never talk.",
        None,
        None,
        None,
    ]
    assert [second[code] for code in NUMBERED] == [
        "(voice)",
        "Nowhere to sit; =1+1 on the bench",
        "(voice)",
        "What would help?",
        None,
        "A bench; in the shade; Opening hours",
    ]


@pytest.mark.parametrize("excel", [False, True])
def test_csv_spreads_the_questions_and_geojson_keeps_them_structured(
    session_factory, tmp_path, excel
) -> None:
    org_id = stored(session_factory, DRAFT, LONGER)
    with session_factory() as session:
        data = exports.open_export(session, org_id)
        [csv_path, *_] = exports.write_csv(data, tmp_path / "groep.csv", excel=excel)
        geojson = exports.write_geojson(data, tmp_path / "groep.geojson")
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";" if excel else ",")
        first, second = list(reader)
    assert [name for name in reader.fieldnames or () if name in NUMBERED] == NUMBERED
    assert "questions" not in (reader.fieldnames or ())
    assert (first["question_1"], first["quotes_1"], first["question_2"]) == (
        "Where do you meet?",
        "We cross every day but never talk.",
        "",
    )
    # Lists joined with ";"; what starts like a formula is quoted, never run.
    assert second["said_1"] == "Nowhere to sit;'=1+1 on the bench"
    assert second["quotes_2"] == "A bench; in the shade;Opening hours"
    features = json.loads(geojson.read_text(encoding="utf-8"))["features"]
    assert features[1]["properties"]["questions"] == details_of(LONGER)["questions"]
    assert "question_1" not in features[1]["properties"]


def test_the_workbook_has_a_focus_group_sheet_with_a_column_per_kind_of_person(
    session_factory, tmp_path
) -> None:
    sheet = focus_group_sheet(session_factory, tmp_path, DRAFT)
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
    assert row["quotes_1"].value == "We cross every day but never talk."


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
