"""A SQLite connection held long (an export, a picture) gives its page cache back at check-in;
the short transactions of the hot path keep theirs."""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from storage import db


def _sqlite_library() -> Any:
    """Return the SQLite library Python's sqlite3 module uses, or None."""
    import _sqlite3  # noqa: F401 - loads the library first, so CDLL finds the same copy

    name = ctypes.util.find_library("sqlite3")
    if name is None:
        return None
    library = ctypes.CDLL(name)
    if not hasattr(library, "sqlite3_memory_used"):
        return None
    library.sqlite3_memory_used.restype = ctypes.c_int64
    return library


SQLITE = _sqlite_library()


def _cached_after_a_scan(tmp_path: Path) -> int:
    """Scan a 6 MB table on one connection, return it to the pool, say what SQLite keeps."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'cache.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
        connection.execute(
            text("INSERT INTO notes (body) VALUES (:body)"),
            [{"body": "x" * 1000} for _ in range(6000)],
        )
    engine.dispose()  # the scan below starts from a connection with an empty cache
    with engine.connect() as connection:
        connection.execute(text("SELECT 1")).all()
    before = SQLITE.sqlite3_memory_used()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT sum(length(body)) FROM notes")).scalar() == 6e6
        filled = SQLITE.sqlite3_memory_used()
    kept = SQLITE.sqlite3_memory_used() - before
    engine.dispose()
    assert filled - before > 1_000_000  # the scan did fill the cache (2 MB by default)
    return kept


@pytest.mark.skipif(SQLITE is None, reason="needs the SQLite library's memory counter")
def test_a_long_held_connection_frees_its_page_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Held past SHRINK_AFTER_S (0 here): the cache the scan filled is given back."""
    monkeypatch.setattr(db, "SHRINK_AFTER_S", 0.0)
    assert _cached_after_a_scan(tmp_path) < 500_000


@pytest.mark.skipif(SQLITE is None, reason="needs the SQLite library's memory counter")
def test_a_short_transaction_keeps_its_page_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Returned before SHRINK_AFTER_S: the next transaction finds its pages still cached."""
    monkeypatch.setattr(db, "SHRINK_AFTER_S", 3600.0)
    assert _cached_after_a_scan(tmp_path) > 1_000_000
