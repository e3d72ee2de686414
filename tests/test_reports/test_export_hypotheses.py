"""Hypotheses in the export: features without geometry, with their evidence, in every format."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from bot.reporting import catalog_for
from reports import export as exports
from storage import deployment
from storage import hypotheses as hyp
from storage import observations as obs
from storage import organisations as orgs
from storage.models import Member, Observation
from storage.privacy import forget_member, pseudonym
from tests.test_reports.test_export import read_csv, sheet_rows

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def scene(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "Buurtwerk Zuid", T0, "nl", [1, 2]).id
        other = orgs.create_organisation(session, "Elders", T0, "fr", [3]).id
        invite = orgs.create_invite(session, org, "staff", T0, timedelta(days=30))
        staff = orgs.join_with_invite(session, invite, 1, "nl", "v1", T0)

        def note(when: datetime, theme: str) -> Observation:
            return obs.add_observation(
                session,
                organisation_id=org,
                member_id=staff.id,
                author="P-STAFF",
                kind="walk_note",
                now=when,
                text=f"{theme} note",
                theme=theme,
            )

        first = hyp.create_hypothesis(
            session,
            org,
            staff.id,
            T0,
            "Older residents have nowhere to meet",
            themes=["welfare", "shops"],
            wijken=[1],
        )
        second = hyp.create_hypothesis(
            session, org, staff.id, T0 + timedelta(days=1), "", themes=["youth"]
        )
        early = note(T0 + timedelta(days=1), "welfare")
        late = note(T0 + timedelta(days=20), "welfare")
        against = note(T0 + timedelta(days=2), "shops")
        for observation, verdict, day in (
            (early, hyp.SUPPORTS, 3),
            (against, hyp.CONTRADICTS, 4),
            (late, hyp.SUPPORTS, 21),
        ):
            moment = T0 + timedelta(days=day)
            hyp.set_verdict(session, first, observation, verdict, staff.id, moment)
        hyp.close_hypothesis(second, T0 + timedelta(days=5))
        hyp.create_hypothesis(session, other, None, T0, "Not ours", themes=["food"])
        return {
            "org": org,
            "first": first.id,
            "second": second.id,
            "early": early.id,
            "late": late.id,
            "against": against.id,
        }


def hypothesis_features(collection: dict) -> list[dict]:
    return [f for f in collection["features"] if f["properties"]["kind"] == "hypothesis"]


def test_geojson_has_each_hypothesis_without_geometry_with_its_evidence(
    session_factory, scene, tmp_path
) -> None:
    labels = exports.Labels("en", catalog_for("en"))
    with session_factory() as session:
        stream = exports.open_export(session, scene["org"], labels=labels)
        [path] = exports.write_export(stream, "geojson", tmp_path / "all.geojson")
    first, second = hypothesis_features(json.loads(path.read_text()))
    assert first["geometry"] is None and first["id"] == first["properties"]["id"]
    p = first["properties"]
    assert p["id"] == f"hypothesis-{scene['first']}" and p["number"] == 1
    assert p["text"] == "Older residents have nowhere to meet"
    assert p["themes"] == ["welfare", "shops"] and p["wijken"] == [1]
    assert p["hypothesis_status"] == "open" and p["closed_at"] is None
    assert p["observations"] == [scene["early"], scene["against"], scene["late"]]
    assert p["verdicts"] == ["supports", "contradicts", "supports"]
    assert (p["supports"], p["contradicts"]) == (2, 1)
    assert p["created_at"] == "2026-11-02T10:00:00+01:00"
    assert p["name"] == "Hypothesis: Older residents have nowhere to meet"
    assert "Supporting: 2 · Contradicting: 1" in p["description"]
    assert p["description"].splitlines()[:3] == [
        "Older residents have nowhere to meet",
        "Themes: Welfare; Shops & services",
        "Supporting: 2 · Contradicting: 1",
    ]
    q = second["properties"]
    assert q["number"] == 2 and q["hypothesis_status"] == "closed" and q["text"] is None
    assert q["closed_at"] == "2026-11-07T10:00:00+01:00"
    assert q["observations"] == [] and q["name"] == "Hypothesis"
    # Another organisation's hypothesis never shows.
    assert "Not ours" not in path.read_text()


def test_a_period_keeps_the_evidence_inside_it(session_factory, scene, tmp_path) -> None:
    with session_factory() as session:
        stream = exports.open_export(session, scene["org"], date(2026, 11, 1), date(2026, 11, 10))
        first, _ = hypothesis_features(
            json.loads(
                exports.write_export(stream, "geojson", tmp_path / "p.geojson")[0].read_text()
            )
        )
        assert first["properties"]["observations"] == [scene["early"], scene["against"]]
        # Before any hypothesis was recorded: none.
        stream = exports.open_export(session, scene["org"], date(2026, 10, 1), date(2026, 10, 31))
        assert [
            f for f in stream.observation_features() if f["properties"]["kind"] == "hypothesis"
        ] == []


def test_split_geojson_puts_hypotheses_with_the_features_without_a_place(
    session_factory, scene, tmp_path
) -> None:
    with session_factory() as session:
        stream = exports.open_export(session, scene["org"])
        points, tracks, unplaced = exports.write_export(
            stream, "geojson", tmp_path / "m.geojson", split=True
        )
    assert "hypothesis" not in points.read_text() and "hypothesis" not in tracks.read_text()
    assert len(hypothesis_features(json.loads(unplaced.read_text()))) == 2


def test_csv_and_excel_csv_carry_the_hypotheses(session_factory, scene, tmp_path) -> None:
    with session_factory() as session:
        stream = exports.open_export(session, scene["org"])
        plain, _ = exports.write_csv(stream, tmp_path / "h.csv")
        excel, _ = exports.write_csv(stream, tmp_path / "x.csv", excel=True)
    header, *rows = read_csv(plain)
    row = dict(zip(header, next(r for r in rows if r[1] == "hypothesis"), strict=True))
    assert row["observations"] == f"{scene['early']};{scene['against']};{scene['late']}"
    assert row["verdicts"] == "supports;contradicts;supports"
    assert row["lat"] == row["lon"] == ""
    text = excel.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("id;kind;") and "hypothesis-" in text


def test_the_workbook_has_a_hypotheses_sheet_in_the_teams_words(
    session_factory, scene, tmp_path
) -> None:
    labels = exports.Labels("nl", catalog_for("nl"))
    with session_factory() as session:
        stream = exports.open_export(session, scene["org"], labels=labels)
        exports.write_xlsx(stream, tmp_path / "h.xlsx")
    book = load_workbook(tmp_path / "h.xlsx")
    sheet = book["Hypotheses"]
    first, second = sheet_rows(sheet)
    assert first["themes"].value == "Welzijn; Winkels & diensten"
    assert first["verdicts"].value == "ondersteunt; spreekt tegen; ondersteunt"
    assert first["hypothesis_status"].value == "open"
    assert first["created_at"].value == datetime(2026, 11, 2, 10, 0)
    assert second["hypothesis_status"].value == "gesloten"
    assert second["closed_at"].value == datetime(2026, 11, 7, 10, 0)
    headers = [cell.value for cell in sheet[2]]
    assert "Gemarkeerde observaties (nummers)" in headers and "Open of gesloten" in headers


def test_a_hypothesis_carries_its_authors_pseudonym_until_they_forget(
    session_factory, scene, tmp_path
) -> None:
    with session_factory.begin() as session:
        deployment.set_value(session, "secret_key", "deployment-key")
        invite = orgs.create_invite(session, scene["org"], "coordinator", T0, timedelta(days=30))
        coordinator = orgs.join_with_invite(session, invite, 777001, "nl", "v1", T0)
        coordinator.display_name = "Fatima Coördinator"
        # A coordinator who recorded nothing else: the pseudonym the deployment's key makes.
        hyp.create_hypothesis(session, scene["org"], coordinator.id, T0, "More tenants here")
        coordinator_id = coordinator.id

    def authors() -> dict[str | None, str | None]:
        with session_factory() as session:
            stream = exports.open_export(session, scene["org"])
            [path] = exports.write_export(stream, "geojson", tmp_path / "a.geojson")
        text = path.read_text()
        # Never a name or a Telegram id.
        assert "777001" not in text and "Fatima" not in text
        features = hypothesis_features(json.loads(text))
        return {f["properties"]["text"]: f["properties"]["author"] for f in features}

    # The staff member's hypotheses carry the pseudonym their observations carry.
    assert authors() == {
        "Older residents have nowhere to meet": "P-STAFF",
        None: "P-STAFF",
        "More tenants here": pseudonym("deployment-key", coordinator_id),
    }
    with session_factory.begin() as session:
        forget_member(session, session.get(Member, coordinator_id))
    # The hypothesis stays the team's, words and all, without its author.
    assert authors()["More tenants here"] is None
