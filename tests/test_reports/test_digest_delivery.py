"""Weekly delivery: once per organisation and week, caught up after downtime; the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch.i18n import load_translator
from bot.dispatch.render import Renderer
from bot.reporting import ReportFiles
from bot.runtime import filejobs as file_worker
from bot.runtime.cli import main
from flows.digest import PICTURE_JOB, due_digests, due_week
from flows.engine import FlowConfig, Reply, StepContext
from storage import organisations as orgs
from storage.models import Digest, Organisation, OutboxMessage
from tests.test_reports.files import make_waiting_files
from tests.test_reports.test_digest_builder import GRAND_PLACE, TUE, add, at, make_member, place

# Monday 30 November 2026 (week 49): the picture of week 48 is due at 09:00 Brussels (08:00 UTC).
MONDAY_AFTER = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


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
        assert due_digests(ctx) == []
    return make_waiting_files(factory, config, now)


def digests(factory: sessionmaker[Session]) -> list[tuple[int, int, int, str | None]]:
    with factory() as session:
        rows = session.scalars(select(Digest).order_by(Digest.id)).all()
        return [(r.organisation_id, r.iso_year, r.iso_week, r.path) for r in rows]


@pytest.fixture
def team(session_factory: sessionmaker[Session], now: datetime) -> dict[str, int]:
    """An organisation with two coordinators (nl, fr), an inactive one and a volunteer."""
    with session_factory.begin() as s:
        org = orgs.create_organisation(s, "Buurtwerk Noord", now - timedelta(days=90), "nl", [1, 2])
        nl = make_member(s, org.id, 501, "coordinator", "nl", now - timedelta(days=90))
        fr = make_member(s, org.id, 502, "coordinator", "fr", now - timedelta(days=90))
        gone = make_member(s, org.id, 503, "coordinator", "en", now - timedelta(days=90))
        gone.active = False
        volunteer = make_member(s, org.id, 504, "volunteer", "en", now - timedelta(days=90))
        add(s, org.id, volunteer.id, "walk_note", at(TUE), text="Note", place=place(*GRAND_PLACE))
        return {"org": org.id, "nl": nl.id, "fr": fr.id, "volunteer": volunteer.id}


def test_each_coordinator_gets_the_picture_once(session_factory, team, tmp_path) -> None:
    media = tmp_path / "media"
    assert sweep(session_factory, MONDAY_AFTER - timedelta(minutes=1), media) == []
    results = sweep(session_factory, MONDAY_AFTER, media)
    assert sorted((chat, member) for chat, member, _ in results) == [
        (501, team["nl"]),
        (502, team["fr"]),
    ]
    documents = {}
    for chat, _member, effects in results:
        [reply] = effects
        assert isinstance(reply, Reply) and reply.key == "digest.summary"
        assert reply.document and reply.document.startswith("digests/")
        documents[chat] = media / reply.document
    assert documents[501] != documents[502]
    assert '<html lang="nl">' in documents[501].read_text()
    assert '<html lang="fr">' in documents[502].read_text()
    [(org_id, year, week, path)] = digests(session_factory)
    assert (org_id, year, week) == (team["org"], 2026, 48)
    assert path == documents[501].relative_to(media).as_posix()  # the organisation's language
    # Later runs, and a run that has to skip an existing row, send nothing more.
    assert sweep(session_factory, MONDAY_AFTER + timedelta(minutes=5), media) == []
    assert sweep(session_factory, MONDAY_AFTER + timedelta(days=2), media) == []
    assert len(digests(session_factory)) == 1


def test_after_downtime_only_the_last_full_week_is_caught_up(session_factory, team, tmp_path):
    # Nothing ran for two weeks: weeks 47 and 48 were both missed.
    results = sweep(session_factory, MONDAY_AFTER + timedelta(days=1, hours=3), tmp_path)
    assert {chat for chat, _, _ in results} == {501, 502}
    assert [(year, week) for _, year, week, _ in digests(session_factory)] == [(2026, 48)]


def test_the_weekly_moment_is_the_organisations_own(session_factory, team, tmp_path) -> None:
    with session_factory.begin() as s:
        organisation = s.get(Organisation, team["org"])
        organisation.digest_weekday = 3  # Wednesday
        organisation.digest_time = "14:30"
    wednesday = datetime(2026, 12, 2, 13, 30, tzinfo=UTC)  # 14:30 in Brussels
    assert sweep(session_factory, wednesday - timedelta(seconds=1), tmp_path) == []
    assert len(sweep(session_factory, wednesday, tmp_path)) == 2


def test_due_week_is_dst_safe_and_skips_weeks_before_the_organisation() -> None:
    organisation = Organisation(
        name="x", language="nl", created_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    organisation.digest_weekday, organisation.digest_time = 1, "09:00"
    # Monday 30 March 2026 is in summer time: 09:00 Brussels is 07:00 UTC.
    assert (
        due_week(organisation, datetime(2026, 3, 30, 6, 59, tzinfo=UTC), "Europe/Brussels") is None
    )
    assert due_week(organisation, datetime(2026, 3, 30, 7, 0, tzinfo=UTC), "Europe/Brussels") == (
        2026,
        13,
    )
    organisation.digest_time = "bad"  # unreadable: Monday 09:00
    assert due_week(organisation, datetime(2026, 3, 30, 7, 0, tzinfo=UTC), "Europe/Brussels")
    organisation.created_at = datetime(2026, 3, 30, 0, 0, tzinfo=UTC)  # created this week
    assert (
        due_week(organisation, datetime(2026, 3, 30, 9, 0, tzinfo=UTC), "Europe/Brussels") is None
    )


def test_without_an_active_coordinator_nothing_is_made(session_factory, now, tmp_path) -> None:
    with session_factory.begin() as s:
        org = orgs.create_organisation(s, "Alleen", now - timedelta(days=30), "nl", [1])
        make_member(s, org.id, 601, "staff", "nl", now - timedelta(days=30))
    assert sweep(session_factory, MONDAY_AFTER, tmp_path) == []
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Digest)) == 0


def test_the_cli_writes_one_file(
    session_factory, team, database_url, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("BUURTBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("BUURTBOT_MEDIA_DIR", str(tmp_path / "media"))
    out = tmp_path / "week48.html"
    org = str(team["org"])
    assert main(["digest", "--org", org, "--week", "2026-W48", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert '<html lang="nl">' in out.read_text()
    args = ["digest", "--org", org, "--week", "2026-W48", "--out", str(out), "--language", "en"]
    assert main(args) == 0
    assert '<html lang="en">' in out.read_text()

    assert main(["digest", "--org", org, "--week", "48", "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "not an ISO week" in error
    assert main(["digest", "--org", "999", "--week", "2026-W48", "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "no organisation with id 999" in error
    missing = tmp_path / "nowhere" / "x.html"
    assert main(["digest", "--org", org, "--week", "2026-W48", "--out", str(missing)]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_a_picture_that_cannot_be_made_is_announced_to_every_coordinator(
    session_factory, team, tmp_path, monkeypatch
) -> None:
    def broken(ctx, job):
        raise OSError("the disk is full")

    monkeypatch.setitem(file_worker.KINDS, PICTURE_JOB, (broken, "digest.failed"))
    translator = load_translator()
    config = FlowConfig(
        media_dir=str(tmp_path), timezone="Europe/Brussels", reports=ReportFiles(translator.raw)
    )
    with session_factory.begin() as session:
        ctx = StepContext(session=session, now=MONDAY_AFTER, config=config, member=None)
        assert due_digests(ctx) == []
    now = MONDAY_AFTER
    for _ in range(file_worker.MAX_ATTEMPTS):
        worker = file_worker.FileWorker(
            session_factory, Renderer(translator), config, tmp_path, clock=lambda at=now: at
        )
        assert worker.run_once()
        now += timedelta(minutes=10)
    with session_factory() as session:
        told = session.scalars(select(OutboxMessage).order_by(OutboxMessage.chat_id)).all()
        texts = [(row.chat_id, row.payload["text"]) for row in told]
    assert texts == [
        (501, translator.text("nl", "digest.failed", {})),
        (502, translator.text("fr", "digest.failed", {})),
    ]
    # The week stays recorded: the next sweeps do not make it again.
    assert sweep(session_factory, now, tmp_path) == []
