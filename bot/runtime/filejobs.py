"""The file worker: make the files steps and sweeps asked for, outside their transactions.

A step (/export, /digest, /report) or a sweep (the weekly picture, the round report) records
a file job and commits at once. This worker claims the job with a lease, makes the file with
a read session (on SQLite a reader holds no write lock, so the intake, the dispatcher and the
sender go on meanwhile), then in one short write transaction queues the messages that send
it and marks the job done. A worker that stops in the middle leaves the job leased: another
takes it once the lease runs out (a running worker keeps renewing its lease), and only the
claim that still holds the job may finish it, so a file is sent once. A job that keeps
failing ends with a message to whoever was to get the file; its parameters stay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch.dispatcher import Clock, utc_now
from bot.dispatch.render import Renderer
from bot.runtime.jobs import render_messages
from bot.runtime.memory import releasing_after_long_jobs
from bot.runtime.waiting import pause
from flows import digest, export, rounds
from flows.engine import FileMade, FlowConfig, Messages, StepContext, reply
from flows.roles import COORDINATOR
from storage import digests, filejobs, pipeline
from storage.db import reading
from storage.filejobs import ClaimedJob
from storage.models import Member

log = logging.getLogger("buurtbot.files")

Maker = Callable[[StepContext, ClaimedJob], FileMade]

# Each kind of file job: the flow function that makes it, and what its recipients are told
# when it cannot be made.
KINDS: dict[str, tuple[Maker, str]] = {
    export.EXPORT_JOB: (export.make_export_file, "export.failed"),
    digest.PICTURE_JOB: (digest.make_picture_file, "digest.failed"),
    rounds.ROUND_JOB: (rounds.make_round_file, "round.report.failed"),
}

# A claim holds a job this long; a running worker renews it every RENEW_EVERY seconds, so only
# a worker that stopped loses it.
LEASE = timedelta(seconds=60)
RENEW_EVERY = 15.0
# After a failed try the job waits this long before the next (then it is given up).
RETRY_AFTER = (timedelta(seconds=30), timedelta(minutes=5))
MAX_ATTEMPTS = 1 + len(RETRY_AFTER)
# Seconds an idle worker waits before looking for jobs again without a wake-up.
IDLE_CHECK = 1.0


class UnknownKindError(Exception):
    """A file job of a kind this version does not make."""


@dataclass
class FileWorker:
    """Takes file jobs one at a time, makes their files and queues them in the outbox."""

    session_factory: sessionmaker[Session]
    renderer: Renderer
    config: FlowConfig
    media_dir: Path
    clock: Clock = utc_now
    kinds: dict[str, tuple[Maker, str]] = field(default_factory=lambda: dict(KINDS))
    # Called once a transaction that recorded a job has committed (set by run()).
    wake: Callable[[], None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Woken by the commit of a job rather than after every dispatched batch: the ingest's
        # hot path pays a dictionary look-up, not a query.
        event.listen(self.session_factory, "after_commit", self._after_commit)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(filejobs.RECORDED, False) and self.wake is not None:
            # The loop may have closed meanwhile: the job waits for the next start then.
            with contextlib.suppress(RuntimeError):
                self.wake()

    def run_once(self) -> bool:
        """Make the next waiting file, if any; return whether a job was taken."""
        job = self.take()
        if job is None:
            return False
        self.carry_out(job)
        return True

    def take(self) -> ClaimedJob | None:
        """Claim the next job due; a look with a read session first keeps idle checks lock-free."""
        now = self.clock()
        with reading(self.session_factory) as session:
            if not filejobs.has_due_job(session, now):
                return None
        with self.session_factory.begin() as session:
            return filejobs.claim_job(session, now, LEASE)

    def renew(self, job: ClaimedJob) -> bool:
        """Extend a job's lease; False when the job is not this claim's any more."""
        with self.session_factory.begin() as session:
            return filejobs.renew_lease(session, job, self.clock() + LEASE)

    def carry_out(self, job: ClaimedJob) -> int:
        """Make a claimed job's file and queue its messages; return how many calls were queued.

        A failed try puts the job back for later; the last one tells the recipients.
        """
        if job.attempt > MAX_ATTEMPTS:
            # Taken again each time after a worker stopped in its middle: give up, say so.
            return self.give_up(job, "Interrupted")
        try:
            made = self.make(job)
        except Exception as error:  # noqa: BLE001 - recorded on the job, never a traceback
            kind = type(error).__name__
            log.error("file job %s (%s) failed: %s", job.id, job.kind, kind)
            if job.attempt < MAX_ATTEMPTS:
                with self.session_factory.begin() as session:
                    at = self.clock() + RETRY_AFTER[job.attempt - 1]
                    filejobs.retry_job(session, job, at, kind)
                return 0
            return self.give_up(job, kind)
        return self.deliver(job, made)

    def make(self, job: ClaimedJob) -> FileMade:
        """Make a job's file with a read session: no write lock is held while it is made."""
        if job.kind not in self.kinds:
            raise UnknownKindError(job.kind)
        maker, _ = self.kinds[job.kind]
        with reading(self.session_factory) as session:
            member = session.get(Member, job.member_id) if job.member_id is not None else None
            ctx = StepContext(session=session, now=self.clock(), config=self.config, member=member)
            return maker(ctx, job)

    def deliver(self, job: ClaimedJob, made: FileMade) -> int:
        """Queue what a job made and mark it done together, if this claim still holds it."""
        now = self.clock()
        with self.session_factory.begin() as session:
            if not filejobs.finish_job(session, job, now):
                log.warning("file job %s was taken over; its file is not sent twice", job.id)
                return 0
            calls = render_messages(session, self.renderer, self.media_dir, made.messages)
            pipeline.enqueue(session, calls, now)
            if made.record is not None:
                made.record(session)
            return len(calls)

    def give_up(self, job: ClaimedJob, error: str) -> int:
        """Mark a job failed (its parameters stay) and tell whoever was to get the file."""
        now = self.clock()
        with self.session_factory.begin() as session:
            if not filejobs.fail_job(session, job, now, error):
                return 0
            log.error("file job %s (%s) given up after %s tries", job.id, job.kind, job.attempt)
            if job.kind not in self.kinds:
                return 0
            _, key = self.kinds[job.kind]
            messages = _recipients(session, job, key)
            calls = render_messages(session, self.renderer, self.media_dir, messages)
            pipeline.enqueue(session, calls, now)
            return len(calls)

    async def run(
        self, stop: asyncio.Event, wake: asyncio.Event, on_queued: Callable[[], None]
    ) -> None:
        """Make files until `stop` is set; `wake` says a job was recorded, `on_queued` is told
        when messages were queued."""
        loop = asyncio.get_running_loop()
        self.wake = lambda: loop.call_soon_threadsafe(wake.set)
        try:
            await self._work(stop, wake, on_queued)
        finally:
            self.wake = None

    async def _work(
        self, stop: asyncio.Event, wake: asyncio.Event, on_queued: Callable[[], None]
    ) -> None:
        """Take jobs one at a time; between them wait to be woken, or look again after a while."""
        failures = 0
        while not stop.is_set():
            # Cleared before looking: a job recorded during the look wakes the next wait.
            wake.clear()
            try:
                job = await asyncio.to_thread(self.take)
            except Exception as error:  # noqa: BLE001 - the database may be briefly away
                failures += 1
                log.error("file worker could not look for jobs: %s", type(error).__name__)
                await pause(stop, min(5.0, 0.25 * 2**failures))
                continue
            failures = 0
            if job is None:
                await pause(wake, IDLE_CHECK)
                continue
            keeper = asyncio.create_task(self._keep_lease(job), name=f"lease-{job.id}")
            try:
                # A file of a big history frees a lot when it is done: give it back (memory.py).
                queued = await asyncio.to_thread(releasing_after_long_jobs(self.carry_out), job)
            except Exception as error:  # noqa: BLE001 - the job is taken again after its lease
                log.error("file job %s stopped: %s", job.id, type(error).__name__)
                queued = 0
            finally:
                keeper.cancel()
            if queued:
                on_queued()

    async def _keep_lease(self, job: ClaimedJob) -> None:
        """Renew a job's lease while its file is being made."""
        while True:
            await asyncio.sleep(RENEW_EVERY)
            try:
                if not await asyncio.to_thread(self.renew, job):
                    return
            except Exception as error:  # noqa: BLE001 - the next renewal tries again
                log.warning("could not renew file job %s: %s", job.id, type(error).__name__)


def _recipients(session: Session, job: ClaimedJob, key: str) -> Messages:
    """Return a message for the member who asked for a file, or for every active coordinator
    when it was a scheduled one."""
    if job.chat_id is not None and job.member_id is not None:
        return [(job.chat_id, job.member_id, (reply(key),))]
    coordinators = digests.active_members(session, job.organisation_id, COORDINATOR)
    return [(member.telegram_user_id, member.id, (reply(key),)) for member in coordinators]
