"""Leader locks across processes: PostgreSQL advisory locks, or a file lock beside SQLite."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from storage.db import normalise_url, postgres_connect_args, sqlite_file

log = logging.getLogger("buurtbot.locks")

# The first key of every two-key advisory lock Buurtbot takes ("BUUR"); chat locks use the
# one-key form, whose key space PostgreSQL keeps apart from the two-key form.
LOCK_NAMESPACE = 0x42555552
ROLE_KEYS = {"intake": 1, "scheduler": 2, "delivery": 3, "migrate": 4}


class LeaderLock(Protocol):
    """A lock at most one process holds; the holder leads one role."""

    role: str
    # True when winning the lock proves the previous holder has stopped: it was released, or
    # its process died. False where a holder cut off from the database may still be running.
    predecessor_stopped: bool

    def acquire(self) -> bool:
        """Try to take the lock without waiting; say whether this process holds it now."""
        ...

    def held(self) -> bool:
        """Say whether this process still holds the lock (False once the database lost us)."""
        ...

    def release(self) -> None:
        """Give the lock up, if held."""
        ...


def application_name(role: str) -> str:
    """Name this process's lock connection so operators and tests can see who leads."""
    return f"buurtbot:{role}:{os.getpid()}"


# The connections of a running bot process (a worker) are named this plus its pid.
WORKER_PREFIX = "buurtbot:worker:"


def worker_name(pid: int | None = None) -> str:
    """Name a worker process's database connections, so the workers can count each other."""
    return f"{WORKER_PREFIX}{os.getpid() if pid is None else pid}"


class PostgresLeaderLock:
    """A session-level advisory lock on a connection of its own: it dies with the process."""

    predecessor_stopped = False

    def __init__(self, url: str, role: str) -> None:
        self.role = role
        self.key = ROLE_KEYS[role]
        self.engine = create_engine(
            normalise_url(url),
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={
                **postgres_connect_args(application_name(role)),
                "options": "-c statement_timeout=5000",
            },
        )
        self.connection: Connection | None = None

    def acquire(self) -> bool:
        """Try to take the lock without waiting; say whether this process holds it now."""
        try:
            if self.connection is None:
                self.connection = self.engine.connect()
            taken = self.connection.execute(
                text("SELECT pg_try_advisory_lock(:namespace, :key)"),
                {"namespace": LOCK_NAMESPACE, "key": self.key},
            ).scalar()
        except SQLAlchemyError as error:
            log.warning("cannot reach the database for the %s lock: %s", self.role, error.code)
            self._drop()
            return False
        return bool(taken)

    def held(self) -> bool:
        """Say whether this process still holds the lock (False once the database lost us)."""
        if self.connection is None:
            return False
        try:
            holds = self.connection.execute(
                text(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                    " AND pid = pg_backend_pid() AND granted AND objsubid = 2"
                    " AND classid::bigint = :namespace AND objid::bigint = :key)"
                ),
                {"namespace": LOCK_NAMESPACE, "key": self.key},
            ).scalar()
        except SQLAlchemyError:
            self._drop()
            return False
        if not holds:
            self._drop()
        return bool(holds)

    def release(self) -> None:
        """Give the lock up, if held."""
        if self.connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                self.connection.execute(
                    text("SELECT pg_advisory_unlock(:namespace, :key)"),
                    {"namespace": LOCK_NAMESPACE, "key": self.key},
                )
        self._drop()
        self.engine.dispose()

    def _drop(self) -> None:
        # Closing the connection ends the session, and with it any lock it still had.
        if self.connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                self.connection.invalidate()
                self.connection.close()
            self.connection = None


class FileLeaderLock:
    """An exclusive flock on a file beside the SQLite database: it dies with the process."""

    predecessor_stopped = True

    def __init__(self, path: Path, role: str) -> None:
        self.role = role
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Try to take the lock without waiting; say whether this process holds it now."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def held(self) -> bool:
        """Say whether this process still holds the lock."""
        return self._fd is not None

    def release(self) -> None:
        """Give the lock up, if held."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class SoleLeaderLock:
    """For an in-memory database only one process can see: it always leads."""

    predecessor_stopped = True

    def __init__(self, role: str) -> None:
        self.role = role
        self._held = False

    def acquire(self) -> bool:
        """Take the lock."""
        self._held = True
        return True

    def held(self) -> bool:
        """Say whether the lock is held."""
        return self._held

    def release(self) -> None:
        """Give the lock up."""
        self._held = False


def leader_lock(url: str, role: str) -> LeaderLock:
    """Return the right kind of leader lock for this database."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "postgresql":
        return PostgresLeaderLock(url, role)
    database = sqlite_file(url)
    if database is not None:
        return FileLeaderLock(Path(f"{database}.{role}.lock"), role)
    return SoleLeaderLock(role)


@contextlib.contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Hold the migration lock so processes starting together migrate one after another."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "postgresql":
        with _advisory_migration_lock(url):
            yield
        return
    database = sqlite_file(url)
    if database is None:
        yield
        return
    path = Path(f"{database}.migrate.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _advisory_migration_lock(url: str) -> Iterator[None]:
    engine = create_engine(normalise_url(url), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    keys = {"namespace": LOCK_NAMESPACE, "key": ROLE_KEYS["migrate"]}
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:namespace, :key)"), keys)
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:namespace, :key)"), keys)
    finally:
        engine.dispose()


def leaders(session: Session) -> dict[str, int]:
    """Return which process (by pid) leads each role on this PostgreSQL database."""
    if session.get_bind().dialect.name != "postgresql":
        return {}
    names = session.scalars(
        text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2"
            " AND l.classid::bigint = :namespace"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"namespace": LOCK_NAMESPACE},
    )
    found: dict[str, int] = {}
    for name in names:
        parts = (name or "").split(":")
        if len(parts) == 3 and parts[0] == "buurtbot" and parts[1] in ROLE_KEYS:
            found[parts[1]] = int(parts[2])
    return found


def live_workers(session: Session) -> list[int]:
    """Return the pids of the worker processes connected to this PostgreSQL database, sorted.

    A worker keeps its pooled connections open while it runs, and they close when it dies.
    """
    if session.get_bind().dialect.name != "postgresql":
        return []
    names = session.scalars(
        text(
            "SELECT DISTINCT application_name FROM pg_stat_activity"
            " WHERE datname = current_database() AND starts_with(application_name, :prefix)"
        ),
        {"prefix": WORKER_PREFIX},
    )
    pids = {name.removeprefix(WORKER_PREFIX) for name in names}
    return sorted(int(pid) for pid in pids if pid.isdigit())
