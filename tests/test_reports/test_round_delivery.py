"""The round report at a round's end: once per organisation and round, caught up, never twice;
and `buurtbot report` on the command line."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch.i18n import load_translator
from bot.reporting import ReportFiles
from bot.runtime.cli import main
from flows import rounds as round_flows
from flows.engine import FlowConfig, Reply, StepContext
from storage import organisations as orgs
from storage import round as rounds
from storage.models import Member, Organisation, RoundReport
from tests.test_reports.files import make_waiting_files
from tests.test_reports.test_digest_builder import GRAND_PLACE, add, at, make_member, place

ROUND_START = date(2026, 11, 2)  # four weeks: the last day is Sunday 29 November
# The report is due the day after, at the weekly picture's time: Monday 30 November 09:00
# in Brussels (08:00 UTC).
DUE = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def sweep(factory: sessionmaker[Session], now: datetime, media: Path):
    """Run the sweep in one transaction, as the scheduler does, then make the file jobs it
    recorded, as the file worker does; return the messages made."""
    config = FlowConfig(
        media_dir=str(media),
        timezone="Europe/Brussels",
        reports=ReportFiles(load_translator().raw),
    )
    with factory.begin() as session:
        ctx = StepContext(session=session, now=now, config=config, member=None)
        # The sweep only records: the files are made outside its transaction.
        assert round_flows.due_round_reports(ctx) == []
    return make_waiting_files(factory, config, now)


def sent(factory: sessionmaker[Session]) -> list[tuple[int, date, date, str | None]]:
    with factory() as session:
        rows = session.scalars(select(RoundReport).order_by(RoundReport.id)).all()
        return [(r.organisation_id, r.round_start, r.round_end, r.path) for r in rows]


@pytest.fixture
def team(session_factory: sessionmaker[Session], now: datetime) -> dict[str, int]:
    """An organisation with a round set, two coordinators (nl, en), an inactive one and a
    volunteer; and a second organisation with no round."""
    since = now - timedelta(days=90)
    with session_factory.begin() as s:
        org = orgs.create_organisation(s, "Buurtwerk Noord", since, "nl", [1, 2])
        other = orgs.create_organisation(s, "Elders", since, "fr", [50])
        nl = make_member(s, org.id, 501, "coordinator", "nl", since)
        en = make_member(s, org.id, 502, "coordinator", "en", since)
        gone = make_member(s, org.id, 503, "coordinator", "fr", since)
        gone.active = False
        volunteer = make_member(s, org.id, 504, "volunteer", "en", since)
        make_member(s, other.id, 601, "coordinator", "fr", since)
        add(
            s,
            org.id,
            volunteer.id,
            "missing",
            at(date(2026, 11, 10)),
            text="Laundrette",
            theme="shops",
            place=place(*GRAND_PLACE),
        )
        rounds.set_round(s, org.id, ROUND_START, 4)
        return {"org": org.id, "nl": nl.id, "en": en.id}


def test_each_coordinator_gets_the_round_report_once(session_factory, team, tmp_path) -> None:
    media = tmp_path / "media"
    assert sweep(session_factory, DUE - timedelta(minutes=1), media) == []
    results = sweep(session_factory, DUE, media)
    assert sorted((chat, member) for chat, member, _ in results) == [
        (501, team["nl"]),
        (502, team["en"]),
    ]
    documents = {}
    for chat, _member, effects in results:
        [reply] = effects
        assert isinstance(reply, Reply) and reply.key == "round.summary"
        assert reply.document and reply.document.startswith("rounds/")
        documents[chat] = media / reply.document
    assert '<html lang="nl">' in documents[501].read_text()
    assert '<html lang="en">' in documents[502].read_text()
    assert "Laundrette" in documents[502].read_text()
    [(org_id, first, last, path)] = sent(session_factory)
    assert (org_id, first, last) == (team["org"], ROUND_START, date(2026, 11, 29))
    assert path == documents[501].relative_to(media).as_posix()  # the organisation's language
    # Later runs send nothing more.
    assert sweep(session_factory, DUE + timedelta(minutes=10), media) == []
    assert sweep(session_factory, DUE + timedelta(days=3), media) == []
    assert len(sent(session_factory)) == 1


def test_a_round_that_ended_during_downtime_is_caught_up(session_factory, team, tmp_path) -> None:
    results = sweep(session_factory, DUE + timedelta(days=9, hours=5), tmp_path)
    assert {chat for chat, _, _ in results} == {501, 502}
    assert [first for _, first, _, _ in sent(session_factory)] == [ROUND_START]


def test_a_second_worker_that_raced_the_first_sends_nothing(
    session_factory, team, tmp_path, monkeypatch
) -> None:
    assert len(sweep(session_factory, DUE, tmp_path)) == 2
    # Another worker read "not sent" just before the first one committed: the unique row
    # stops it, its transaction stays usable, and nobody gets a second report.
    monkeypatch.setattr(rounds, "was_sent", lambda *args: False)
    assert sweep(session_factory, DUE + timedelta(minutes=1), tmp_path) == []
    assert len(sent(session_factory)) == 1


def test_a_new_round_gets_its_own_report(session_factory, team, tmp_path) -> None:
    assert len(sweep(session_factory, DUE, tmp_path)) == 2
    with session_factory.begin() as s:
        rounds.set_round(s, team["org"], date(2026, 11, 30), 2)
    assert sweep(session_factory, datetime(2026, 12, 14, 7, 59, tzinfo=UTC), tmp_path) == []
    assert len(sweep(session_factory, datetime(2026, 12, 14, 8, 0, tzinfo=UTC), tmp_path)) == 2
    assert [first for _, first, _, _ in sent(session_factory)] == [ROUND_START, date(2026, 11, 30)]


def test_the_time_is_the_organisations_weekly_time_and_dst_safe(
    session_factory, team, tmp_path
) -> None:
    with session_factory.begin() as s:
        s.get(Organisation, team["org"]).digest_time = "14:30"
        rounds.set_round(s, team["org"], date(2026, 3, 2), 4)  # ends Sunday 29 March (summer)
    due = datetime(2026, 3, 30, 12, 30, tzinfo=UTC)  # 14:30 in Brussels, summer time
    assert sweep(session_factory, due - timedelta(seconds=1), tmp_path) == []
    assert len(sweep(session_factory, due, tmp_path)) == 2


def test_no_coordinator_no_report_and_no_record(session_factory, team, tmp_path) -> None:
    with session_factory.begin() as s:
        for member in s.scalars(select(Member).where(Member.role == "coordinator")):
            member.active = False
    assert sweep(session_factory, DUE, tmp_path) == []
    assert sent(session_factory) == []


def test_set_round_checks_its_weeks(session_factory, team) -> None:
    with session_factory.begin() as s:
        with pytest.raises(ValueError):
            rounds.set_round(s, team["org"], ROUND_START, 0)
        with pytest.raises(LookupError):
            rounds.set_round(s, 999, ROUND_START, 4)
        assert rounds.round_of(s, team["org"]) == (ROUND_START, 4)


# -- buurtbot report ---------------------------------------------------------------------------


@pytest.fixture
def cli_env(migrated_database_url: str, monkeypatch, tmp_path) -> str:
    """Point the command line at the test database."""
    monkeypatch.setenv("BUURTBOT_DATABASE_URL", migrated_database_url)
    monkeypatch.setenv("BUURTBOT_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.chdir(tmp_path)
    return migrated_database_url


def test_cli_writes_the_report(session_factory, team, cli_env, tmp_path, capsys) -> None:
    out = tmp_path / "ronde.html"
    code = main(
        [
            "report",
            "--org",
            str(team["org"]),
            "--from",
            "2026-11-02",
            "--to",
            "2026-11-29",
            "--out",
            str(out),
            "--language",
            "fr",
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: 2026-11-02 to 2026-11-29, 1 ")
    page = out.read_text()
    assert '<html lang="fr">' in page and "Laundrette" in page


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--from", "2026-13-01", "--to", "2026-11-29"], "--from wants a date as YYYY-MM-DD"),
        (["--from", "2026-11-02", "--to", "29/11/2026"], "--to wants a date as YYYY-MM-DD"),
        (["--from", "2026-11-29", "--to", "2026-11-02"], "ends (2026-11-02) before it starts"),
        (["--from", "2020-01-01", "--to", "2026-11-02"], "at most 400 days"),
    ],
)
def test_cli_bad_dates_are_one_line(session_factory, team, cli_env, tmp_path, capsys, args, says):
    code = main(["report", "--org", str(team["org"]), *args, "--out", str(tmp_path / "r.html")])
    err = capsys.readouterr().err
    assert code == 1 and says in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "r.html").exists()


def test_cli_unknown_organisation_and_bad_folder(session_factory, team, cli_env, tmp_path, capsys):
    dates = ["--from", "2026-11-02", "--to", "2026-11-29"]
    assert main(["report", "--org", "999", *dates, "--out", str(tmp_path / "r.html")]) == 1
    assert "no organisation with id 999" in capsys.readouterr().err
    target = str(tmp_path / "missing" / "r.html")
    assert main(["report", "--org", str(team["org"]), *dates, "--out", target]) == 1
    err = capsys.readouterr().err
    assert "give a file in an existing folder" in err and err.count("\n") == 1


def test_cli_missing_arguments_are_one_line(capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["report", "--org", "1", "--from", "2026-11-02"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "required" in err and err.count("\n") == 1
    with pytest.raises(SystemExit):
        main(["report", "--org", "x", "--from", "a", "--to", "b", "--out", "r.html"])
    assert capsys.readouterr().err.count("\n") == 1
