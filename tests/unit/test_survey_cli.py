"""`buurtbot survey list` and `buurtbot survey qr`: output, the QR file, and one-line mistakes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.runtime.cli import main
from storage import organisations as orgs
from storage import surveys as surveys_db
from storage.db import make_engine, make_session_factory

QUESTIONS = [{"kind": "scale", "base": "nl", "text": {"nl": "Hoe veilig?"}}]


@pytest.fixture
def database(monkeypatch, tmp_path):
    for name in ("BUURTBOT_TELEGRAM_TOKEN", "BUURTBOT_TELEGRAM_API_URL"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("BUURTBOT_DATABASE_URL", url)
    monkeypatch.setenv("BUURTBOT_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("BUURTBOT_BOT_USERNAME", "buurt_test_bot")
    monkeypatch.chdir(tmp_path)
    assert main(["db", "upgrade"]) == 0
    return make_session_factory(make_engine(url))


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("buurtbot") and "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


def test_list_shows_each_survey_with_its_answers(database, capsys) -> None:
    now = datetime.now(UTC)
    with database.begin() as session:
        org = orgs.create_organisation(session, "Buurtwerk", now)
        survey = surveys_db.create_survey(session, org.id, "Veilig wonen", QUESTIONS, now)
        surveys_db.open_survey(session, survey, now)
        done = surveys_db.start_response(session, survey, "a", "door", now, language="nl")
        surveys_db.put_answer(session, done, survey, 0, 4, now)
        surveys_db.start_response(session, survey, "b", "self", now, language="nl")
        surveys_db.create_survey(session, org.id, "Ontwerp", QUESTIONS, now)
        org_id, survey_id = org.id, survey.id
    capsys.readouterr()
    assert main(["survey", "list", "--org", str(org_id)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].endswith("Ontwerp") and "\tdraft\t" in lines[0]
    assert lines[1] == f"{survey_id}\topen\t1 questions\t1 complete, 1 partial\tVeilig wonen"


def test_qr_writes_the_link_of_the_survey(database, capsys, tmp_path) -> None:
    now = datetime.now(UTC)
    with database.begin() as session:
        org = orgs.create_organisation(session, "Buurtwerk", now)
        survey = surveys_db.create_survey(session, org.id, "Veilig wonen", QUESTIONS, now)
        org_id, survey_id, code = org.id, survey.id, survey.code
    capsys.readouterr()
    out = tmp_path / "poster.png"
    assert (
        main(["survey", "qr", "--org", str(org_id), "--survey", str(survey_id), "--out", str(out)])
        == 0
    )
    printed = capsys.readouterr().out
    assert f"https://t.me/buurt_test_bot?start=s_{code}" in printed
    assert "not open" in printed  # still a draft: said so
    assert out.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["survey", "list", "--org", "9"], "no organisation with id 9"),
        (["survey", "qr", "--org", "1", "--survey", "5", "--out", "x.png"], "no survey with id 5"),
        (
            ["survey", "qr", "--org", "1", "--survey", "1", "--out", "nofolder/x.png"],
            "existing folder",
        ),
    ],
)
def test_mistakes_are_one_line(database, capsys, argv, words) -> None:
    now = datetime.now(UTC)
    with database.begin() as session:
        org = orgs.create_organisation(session, "Buurtwerk", now)
        surveys_db.create_survey(session, org.id, "Veilig wonen", QUESTIONS, now)
    capsys.readouterr()
    assert main(argv) == 1
    assert words in one_line_error(capsys)


def test_a_missing_argument_is_a_usage_error(database, capsys) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["survey", "qr", "--org", "1"])
    assert raised.value.code == 2
