"""File jobs: made once and sent once, also after a worker stopped mid-way; a job that keeps
failing ends with a message; /forget takes a member's jobs with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch.i18n import load_translator
from bot.dispatch.render import Renderer
from bot.reporting import ReportFiles
from bot.runtime import filejobs as worker_module
from bot.runtime.filejobs import LEASE, MAX_ATTEMPTS, RETRY_AFTER, FileWorker
from flows import export as export_flow
from flows.engine import FlowConfig, Input, InputKind, StepContext
from storage import filejobs
from storage import organisations as orgs
from storage.models import FileJob, OutboxMessage
from storage.privacy import forget_member
from tests.test_reports.test_digest_builder import GRAND_PLACE, TUE, add, at, make_member, place

TRANSLATOR = load_translator()
COORDINATOR = 801
ASKED = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path) -> FlowConfig:
    """Return the flows' settings with the real report maker and a media folder of its own."""
    return FlowConfig(
        media_dir=str(tmp_path / "media"),
        timezone="Europe/Brussels",
        reports=ReportFiles(TRANSLATOR.raw),
    )


@pytest.fixture
def asked(session_factory: sessionmaker[Session], config: FlowConfig) -> int:
    """A coordinator with a week of fieldwork asks for a CSV export of everything."""
    since = ASKED - timedelta(days=60)
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "Buurtwerk Noord", since, "nl", [1, 2])
        member = make_member(session, org.id, COORDINATOR, "coordinator", "fr", since)
        add(
            session, org.id, member.id, "walk_note", at(TUE), text="Banc", place=place(*GRAND_PLACE)
        )
        tap = Input(InputKind.CALLBACK, COORDINATOR, COORDINATOR, ASKED)
        ctx = StepContext(session=session, now=ASKED, config=config, member=member)
        outcome = export_flow.make_export(ctx, tap, export_flow.ExportDraft(format="csv"), "all")
        assert [effect.key for effect in outcome.effects] == ["export.coming"]
        return member.id


def worker(factory: sessionmaker[Session], config: FlowConfig, now: datetime) -> FileWorker:
    """Return a file worker whose clock stands at `now`."""
    renderer = Renderer(TRANSLATOR)
    return FileWorker(factory, renderer, config, Path(config.media_dir), clock=lambda: now)


def sent_calls(factory: sessionmaker[Session]) -> list[tuple[str, dict]]:
    with factory() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [(row.method, row.payload) for row in rows]


def jobs(factory: sessionmaker[Session]) -> list[FileJob]:
    with factory() as session:
        return list(session.scalars(select(FileJob).order_by(FileJob.id)))


def test_a_job_interrupted_midway_is_made_once_and_sent_once(
    session_factory, config, asked
) -> None:
    first = worker(session_factory, config, ASKED)
    job = first.take()
    assert job is not None and job.attempt == 1
    # The first worker makes the file, then stops before its last transaction (killed, say).
    first.make(job)
    assert sent_calls(session_factory) == []
    # While its lease runs nobody else takes the job.
    assert worker(session_factory, config, ASKED + LEASE - timedelta(seconds=1)).take() is None
    # Once it ran out, another worker makes and sends it.
    later = worker(session_factory, config, ASKED + LEASE + timedelta(seconds=1))
    assert later.run_once()
    calls = sent_calls(session_factory)
    methods = [method for method, _ in calls]
    assert methods == ["sendMessage", "sendDocument"]
    assert calls[0][1]["chat_id"] == COORDINATOR
    assert calls[0][1]["text"].startswith("Voici votre export")  # in the member's language
    [row] = jobs(session_factory)
    assert row.status == "done" and row.attempts == 2
    # The first worker comes back and finishes: its claim is gone, nothing is sent twice.
    assert first.deliver(job, first.make(job)) == 0
    assert not later.run_once()
    assert [method for method, _ in sent_calls(session_factory)] == methods


def test_two_workers_never_hold_one_job(session_factory, config, asked) -> None:
    if session_factory.kw["bind"].dialect.name != "postgresql":
        pytest.skip("SQLite runs one process: its write lock already keeps claims apart")
    with session_factory.begin() as holding:
        claimed = filejobs.claim_job(holding, ASKED, LEASE)
        assert claimed is not None
        # A second worker looks while the first one's claim is not committed yet.
        with session_factory.begin() as other:
            assert filejobs.claim_job(other, ASKED, LEASE) is None
    assert worker(session_factory, config, ASKED).take() is None


def test_a_job_that_keeps_failing_ends_with_a_message(
    session_factory, config, asked, monkeypatch
) -> None:
    def broken(ctx, job):
        raise RuntimeError("the disk is full")

    monkeypatch.setitem(worker_module.KINDS, export_flow.EXPORT_JOB, (broken, "export.failed"))
    now = ASKED
    for attempt in range(1, MAX_ATTEMPTS):
        assert worker(session_factory, config, now).run_once()
        [row] = jobs(session_factory)
        assert (row.status, row.attempts, row.error) == ("pending", attempt, "RuntimeError")
        # Not tried again before its time; nobody is told yet.
        assert not worker(session_factory, config, now + timedelta(seconds=1)).run_once()
        assert sent_calls(session_factory) == []
        now += RETRY_AFTER[attempt - 1] + timedelta(seconds=1)
    assert worker(session_factory, config, now).run_once()
    [(method, payload)] = sent_calls(session_factory)
    assert method == "sendMessage" and payload["chat_id"] == COORDINATOR
    assert payload["text"] == TRANSLATOR.text("fr", "export.failed", {})
    assert "Traceback" not in payload["text"] and "RuntimeError" not in payload["text"]
    [row] = jobs(session_factory)
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS
    assert row.params == {"format": "csv", "period": "all", "start": None, "end": None}
    # A failed job is never taken again.
    assert not worker(session_factory, config, now + timedelta(days=1)).run_once()


def test_a_job_whose_workers_keep_stopping_ends_with_a_message(
    session_factory, config, asked
) -> None:
    now = ASKED
    for _ in range(MAX_ATTEMPTS):
        assert worker(session_factory, config, now).take() is not None  # and then it stops
        now += LEASE + timedelta(seconds=1)
    assert worker(session_factory, config, now).run_once()
    [(method, payload)] = sent_calls(session_factory)
    assert payload["text"] == TRANSLATOR.text("fr", "export.failed", {})
    [row] = jobs(session_factory)
    assert (row.status, row.error) == ("failed", "Interrupted")


def test_forget_removes_the_members_file_jobs(session_factory, asked) -> None:
    with session_factory.begin() as session:
        member = orgs.get_member(session, COORDINATOR)
        forget_member(session, member)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(FileJob)) == 0


def test_finished_jobs_are_purged_and_failed_ones_kept_longer(
    session_factory, config, asked
) -> None:
    assert worker(session_factory, config, ASKED).run_once()
    with session_factory.begin() as session:
        assert filejobs.purge_finished(session, ASKED, ASKED) == 0
        later = ASKED + timedelta(minutes=1)
        assert filejobs.purge_finished(session, later, later) == 1
    assert jobs(session_factory) == []


def test_a_member_no_longer_coordinator_gets_no_file(session_factory, config, asked) -> None:
    with session_factory.begin() as session:
        orgs.get_member(session, COORDINATOR).role = "staff"
    assert worker(session_factory, config, ASKED).run_once()
    [(method, payload)] = sent_calls(session_factory)
    assert method == "sendMessage"
    assert payload["text"] == TRANSLATOR.text("fr", "error.not_allowed", {"command": "export"})
    assert not (Path(config.media_dir) / "exports").exists()
