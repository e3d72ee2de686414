"""Engines, sessions and migrations for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import ast
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, bindparam, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.selectable import TextualSelect

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
READ_ONLY = "buurtbot_read_only"


def normalise_url(url: str) -> str:
    """Return the URL with the psycopg 3 driver chosen for plain postgresql:// URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sqlite_file(url: str) -> Path | None:
    """Return the file of a SQLite database; None for other databases or one in memory."""
    parsed = make_url(normalise_url(url))
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else Path(database)


def upsert_insert(session: Session) -> Any:
    """Return the session's dialect's INSERT construct, which knows ON CONFLICT."""
    # Imported here: SQLAlchemy's PostgreSQL dialect costs 2 MB in a bot that runs on SQLite.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


@cache
def insert_skipping_conflicts(
    table: Table, columns: tuple[str, ...], conflict: tuple[str, ...], returning: str
) -> TextualSelect:
    """Return a cached INSERT that skips a row conflicting on `conflict` and returns a column.

    The same SQL as the dialects' insert(...).on_conflict_do_nothing(), which SQLAlchemy
    compiles anew on every execution (it has no cache key): about 1 ms on every walk note and
    live-location point. As text with typed parameters it is compiled once. SQLite (3.35 and
    later) and PostgreSQL both read it; the result has one row when the row was inserted.
    """
    names = ", ".join(f'"{name}"' for name in columns)
    values = ", ".join(f":{name}" for name in columns)
    keys = ", ".join(f'"{name}"' for name in conflict)
    statement = text(
        f'INSERT INTO "{table.name}" ({names}) VALUES ({values}) '
        f'ON CONFLICT ({keys}) DO NOTHING RETURNING "{returning}"'
    )
    typed = [bindparam(name, type_=table.c[name].type) for name in columns]
    return statement.bindparams(*typed).columns(table.c[returning])


def _prepare_sqlite_file(url: str) -> None:
    """Create the SQLite file readable by its owner only, before SQLite creates it."""
    path = sqlite_file(url)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


# PostgreSQL connections are replaced after this many seconds instead of being tested before
# each use (pool_pre_ping costs a round trip per transaction on the hot path). A connection
# the server dropped fails its transaction once; that error makes the pool replace every
# connection it had opened before, and the caller retries (the dispatcher, the sender, the
# poller and the webhook all do). The leader locks check their own connections every second.
POOL_RECYCLE = 300


# A SQLite connection keeps up to 2 MB of page cache inside the process, and the pool keeps a
# connection per worker thread. A connection held this long (an export, a picture, retention:
# reads of many pages) gives its cache back when it returns to the pool; the short transactions
# of the hot path keep theirs.
SHRINK_AFTER_S = 1.0
_CHECKED_OUT_AT = "buurtbot_checked_out_at"


def _release_page_cache_after_long_use(engine: Engine) -> None:
    """Make a SQLite connection that was checked out long free its page cache at check-in."""

    @event.listens_for(engine, "checkout")
    def _checked_out(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        record.info[_CHECKED_OUT_AT] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        started = record.info.pop(_CHECKED_OUT_AT, None)
        if dbapi_connection is None or started is None:
            return
        if time.monotonic() - started >= SHRINK_AFTER_S:
            dbapi_connection.execute("PRAGMA shrink_memory")


def make_engine(url: str, *, application_name: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys.

    On PostgreSQL the connections carry `application_name` (default `buurtbot:<pid>`).
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, decide where transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers take the lock up front (IMMEDIATE), so two never deadlock on upgrade;
            # readers (see reading()) begin deferred and never wait for or block a writer.
            if conn.get_execution_options().get(READ_ONLY):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        _release_page_cache_after_long_use(engine)
        return engine
    name = application_name or f"buurtbot:{os.getpid()}"
    kwargs.setdefault("connect_args", postgres_connect_args(name))
    kwargs.setdefault("pool_recycle", POOL_RECYCLE)
    return create_engine(url, **kwargs)


def postgres_connect_args(name: str) -> dict[str, object]:
    """Return connection options that name the process and notice a vanished peer quickly."""
    return {
        "application_name": name,
        "connect_timeout": 5,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 2,
    }


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory used everywhere; objects stay usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session for reads only: on SQLite it takes no write lock."""
    bind = factory.kw["bind"]
    with factory(bind=bind.execution_options(**{READ_ONLY: True})) as session:
        yield session


def ping(factory: sessionmaker[Session]) -> None:
    """Run a trivial query; raise if the database cannot be reached."""
    with reading(factory) as session:
        session.execute(select(1))


def check_database(factory: sessionmaker[Session], timeout: float) -> None:
    """Raise unless the database would take a write within `timeout` seconds (/healthz).

    SQLite: take the write lock (BEGIN IMMEDIATE) with a busy timeout of `timeout`, then let
    it go; a reader would pass while another process holds the lock. PostgreSQL: a query
    under a statement timeout. A connection the pool cannot hand out in time also fails.
    """
    engine = factory.kw["bind"]
    milliseconds = max(1, int(timeout * 1000))
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            connection = raw.driver_connection
            (previous,) = connection.execute("PRAGMA busy_timeout").fetchone()
            connection.execute(f"PRAGMA busy_timeout={milliseconds}")
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("ROLLBACK")
            finally:
                connection.execute(f"PRAGMA busy_timeout={int(previous)}")
        finally:
            raw.close()
        return
    with engine.connect() as connection:
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {milliseconds}")
        connection.exec_driver_sql("SELECT 1")
        connection.rollback()


# wal_checkpoint(TRUNCATE) holds writers back while it waits for readers: briefly, a few times.
CHECKPOINT_WAIT_MS = 200
CHECKPOINT_TRIES = 20


def checkpoint_sqlite(engine: Engine) -> bool:
    """Fold SQLite's write-ahead log into the database file and empty it (after an erasure).

    Erased values otherwise stay readable in the `-wal` file until SQLite reuses it. Returns
    whether the log was emptied (False: a reader kept part of it; nothing to do elsewhere).
    """
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()
    connection = raw.driver_connection
    assert connection is not None  # a fresh pooled connection always has its sqlite3 handle
    try:
        (previous,) = connection.execute("PRAGMA busy_timeout").fetchone()
        # A checkpoint that waits holds every writer back: wait briefly, several times.
        connection.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
        try:
            for attempt in range(CHECKPOINT_TRIES):
                busy, _frames, _done = connection.execute(
                    "PRAGMA wal_checkpoint(TRUNCATE)"
                ).fetchone()
                if busy == 0:
                    return True
                time.sleep(0.01 * (attempt + 1))
        finally:
            connection.execute(f"PRAGMA busy_timeout={int(previous)}")
    finally:
        raw.close()
    return False


def alembic_config(url: str) -> Any:
    """Build an Alembic configuration for the packaged migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def _head_revisions() -> set[str]:
    """Return the revision ids no migration builds on, read from the scripts without Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in MIGRATIONS_DIR.joinpath("versions").glob("*.py"):
        values: dict[str, Any] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.AnnAssign | ast.Assign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and target.id in REVISION_NAMES:
                        values[target.id] = ast.literal_eval(node.value)
        if isinstance(values.get("revision"), str):
            revisions.add(values["revision"])
            down = values.get("down_revision")
            parents.update([down] if isinstance(down, str) else down or ())
    return revisions - parents


def _at_head(url: str) -> bool:
    """Return whether the database's revision is the migrations' only head (False if unsure)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            stamped = {row[0] for row in connection.execute(text(VERSION_QUERY))}
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()
    heads = _head_revisions()
    return len(heads) == 1 and stamped == heads


# The revision ids a migration script declares, and where Alembic stamps the database.
REVISION_NAMES = ("revision", "down_revision")
VERSION_QUERY = "SELECT version_num FROM alembic_version"


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to the given revision."""
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
    # Importing Alembic costs the process 10 MB for good (it brings its autogenerate, Mako
    # and every dialect's DDL); a bot restarted on an up-to-date database does not need it.
    if revision == "head" and _at_head(url):
        return
    from alembic import command

    from storage.locks import migration_lock

    with migration_lock(url):
        command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Revert migrations down to the given revision."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    """Return the database's current migration revision."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
