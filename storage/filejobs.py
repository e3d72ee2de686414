"""File jobs: a step records what file to make; a worker claims it with a lease and makes it.

A job is made and sent once: the worker's last transaction marks it done and queues its
messages together, and only while the claim it took is still its own (`attempts` is the
claim's token). A worker that stops in the middle leaves the job leased; once the lease runs
out another worker takes it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from storage.models import FileJob, Member

PENDING = "pending"
MAKING = "making"
DONE = "done"
FAILED = "failed"
# The session's info key saying that its transaction recorded a job.
RECORDED = "file_job_recorded"


@dataclass(frozen=True)
class ClaimedJob:
    """A file job taken by a worker: what to make, and the claim (`attempt`) it holds."""

    id: int
    kind: str
    organisation_id: int
    member_id: int | None
    chat_id: int | None
    params: dict[str, Any]
    attempt: int


def add_job(
    session: Session,
    kind: str,
    organisation_id: int,
    params: dict[str, Any],
    now: datetime,
    *,
    member_id: int | None = None,
    chat_id: int | None = None,
) -> FileJob:
    """Record a file to make, in the caller's transaction."""
    job = FileJob(
        kind=kind,
        organisation_id=organisation_id,
        member_id=member_id,
        chat_id=chat_id,
        params=params,
        status=PENDING,
        attempts=0,
        not_before=now,
        created_at=now,
    )
    session.add(job)
    session.flush()
    # Read after the commit: a worker in this process is woken then (bot/runtime/filejobs.py).
    session.info[RECORDED] = True
    return job


def add_member_job(
    session: Session, kind: str, member: Member, chat_id: int, params: dict[str, Any], now: datetime
) -> FileJob:
    """Record a file a member asked for, to be sent to their chat."""
    return add_job(
        session, kind, member.organisation_id, params, now, member_id=member.id, chat_id=chat_id
    )


def has_due_job(session: Session, now: datetime) -> bool:
    """Say whether a job waits to be made now (or one's lease ran out)."""
    found = session.scalar(select(FileJob.id).where(_due(now)).limit(1))
    return found is not None


def _due(now: datetime) -> Any:
    return or_(
        (FileJob.status == PENDING) & (FileJob.not_before <= now),
        (FileJob.status == MAKING) & (FileJob.lease_until < now),
    )


def claim_job(session: Session, now: datetime, lease: timedelta) -> ClaimedJob | None:
    """Take the oldest job due (or whose lease ran out) until now + lease; None when none is.

    On PostgreSQL the row is locked and rows other workers hold are skipped, so one job is
    taken by one worker; on SQLite the caller's transaction holds the write lock.
    """
    statement = select(FileJob).where(_due(now)).order_by(FileJob.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    job = session.scalars(statement).first()
    if job is None:
        return None
    job.status = MAKING
    job.attempts = (job.attempts or 0) + 1
    job.lease_until = now + lease
    session.flush()
    return ClaimedJob(
        id=job.id,
        kind=job.kind,
        organisation_id=job.organisation_id,
        member_id=job.member_id,
        chat_id=job.chat_id,
        params=dict(job.params or {}),
        attempt=job.attempts,
    )


def _held(job: ClaimedJob) -> Any:
    return (FileJob.id == job.id) & (FileJob.status == MAKING) & (FileJob.attempts == job.attempt)


def _update_held(session: Session, job: ClaimedJob, **values: Any) -> bool:
    """Update a job this claim still holds; False (nothing changed) when it does not."""
    result = session.execute(update(FileJob).where(_held(job)).values(**values))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def renew_lease(session: Session, job: ClaimedJob, until: datetime) -> bool:
    """Extend the lease of a job still held by this claim; False when it is not any more."""
    return _update_held(session, job, lease_until=until)


def finish_job(session: Session, job: ClaimedJob, now: datetime) -> bool:
    """Mark a job done if this claim still holds it; False (queue nothing) when it does not."""
    return _update_held(session, job, status=DONE, lease_until=None, finished_at=now, error=None)


def retry_job(session: Session, job: ClaimedJob, at: datetime, error: str) -> bool:
    """Put a job that failed back in line for `at`; False when this claim no longer holds it."""
    return _update_held(
        session, job, status=PENDING, lease_until=None, not_before=at, error=error[:100]
    )


def fail_job(session: Session, job: ClaimedJob, now: datetime, error: str) -> bool:
    """Give a job up, keeping its parameters; False when this claim no longer holds it."""
    return _update_held(
        session, job, status=FAILED, lease_until=None, finished_at=now, error=error[:100]
    )


def forget_member_jobs(session: Session, member_id: int, chat_id: int) -> int:
    """Delete every file job a member asked for or that goes to their chat (/forget)."""
    result = session.execute(
        delete(FileJob).where(or_(FileJob.member_id == member_id, FileJob.chat_id == chat_id))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_finished(session: Session, done_before: datetime, failed_before: datetime) -> int:
    """Delete jobs done before one moment and jobs given up before another."""
    result = session.execute(
        delete(FileJob).where(
            or_(
                (FileJob.status == DONE) & (FileJob.finished_at < done_before),
                (FileJob.status == FAILED) & (FileJob.finished_at < failed_before),
            )
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
