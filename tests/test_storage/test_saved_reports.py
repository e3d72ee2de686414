"""Saved weekly pictures and round reports: gone from the server a day after they were sent,
and at once when a member of the organisation uses /forget; never before their send."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.media import EXPORT_AGE, MediaDownloader
from storage import organisations as orgs
from storage import pipeline
from storage.models import Digest, RoundReport
from storage.privacy import forget_member
from tests.test_reports.test_digest_builder import make_member

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def saved(media_dir: Path, relative: str, age: timedelta) -> Path:
    """Write a made file under the media folder, last changed `age` ago."""
    path = media_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<html>P-AB12CD34 wrote: the bench is gone</html>")
    stamp = (NOW - age).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def queue_document(session: Session, chat_id: int, relative: str) -> None:
    """Queue a sendDocument of a made file, as the digest job does (not sent yet)."""
    call = pipeline.OutgoingCall(chat_id, "sendDocument", {"document": {"path": relative}})
    pipeline.enqueue(session, [call], NOW)


def test_the_daily_sweep_takes_made_files_after_a_day_unless_still_to_send(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    old = EXPORT_AGE + timedelta(minutes=5)
    gone = [
        saved(tmp_path, "digests/week-aaaa.html", old),
        saved(tmp_path, "rounds/round-bbbb.html", old),
        saved(tmp_path, "exports/export-cccc.csv", old),
    ]
    kept = [
        saved(tmp_path, "digests/week-dddd.html", timedelta(hours=2)),
        # Telegram was away for a day: the call still waits, and so does its file.
        saved(tmp_path, "rounds/round-eeee.html", old),
    ]
    with session_factory.begin() as session:
        queue_document(session, 77, "rounds/round-eeee.html")
    sweeper = MediaDownloader(None, session_factory, tmp_path, None, "nl", clock=lambda: NOW)
    assert sweeper.remove_orphans(NOW) == len(gone)
    assert [path.exists() for path in gone] == [False] * len(gone)
    assert [path.exists() for path in kept] == [True] * len(kept)


def test_forget_lets_go_of_the_organisations_sent_pictures_and_reports(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    since = NOW - timedelta(days=60)
    with session_factory.begin() as session:
        org = orgs.create_organisation(session, "Buurtwerk Noord", since, "nl", [1, 2])
        other = orgs.create_organisation(session, "Elders", since, "nl", [3])
        leaver = make_member(session, org.id, 901, "staff", "nl", since)
        make_member(session, org.id, 902, "coordinator", "nl", since)
        session.add_all(
            [
                Digest(
                    organisation_id=org.id,
                    iso_year=2026,
                    iso_week=46,
                    created_at=since,
                    sent_at=since,
                    path="digests/week-1111.html",
                ),
                Digest(
                    organisation_id=org.id,
                    iso_year=2026,
                    iso_week=47,
                    created_at=NOW,
                    path="digests/week-2222.html",
                ),
                Digest(
                    organisation_id=other.id,
                    iso_year=2026,
                    iso_week=46,
                    created_at=since,
                    sent_at=since,
                    path="digests/week-3333.html",
                ),
                RoundReport(
                    organisation_id=org.id,
                    round_start=date(2026, 10, 1),
                    round_end=date(2026, 10, 28),
                    created_at=since,
                    sent_at=since,
                    path="rounds/round-4444.html",
                ),
            ]
        )
        # This week's picture is still on its way to the coordinator.
        queue_document(session, 902, "digests/week-2222.html")
        leaver_id = leaver.id
    with session_factory.begin() as session:
        paths = forget_member(session, session.get(type(leaver), leaver_id))
    assert sorted(paths) == ["digests/week-1111.html", "rounds/round-4444.html"]
    with session_factory() as session:
        left = session.scalars(select(Digest.path).order_by(Digest.iso_week, Digest.id)).all()
        assert left == [None, "digests/week-3333.html", "digests/week-2222.html"]
        assert session.scalars(select(RoundReport.path)).all() == [None]
