"""Leader locks: one holder per role, gone with its process, and migrations one at a time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import make_engine, make_session_factory
from storage.locks import leader_lock, leaders

ROOT = Path(__file__).resolve().parents[2]


def test_one_process_holds_a_role_until_it_lets_go(database_url: str) -> None:
    first = leader_lock(database_url, "intake")
    second = leader_lock(database_url, "intake")
    other_role = leader_lock(database_url, "scheduler")
    try:
        assert first.acquire()
        assert first.held()
        assert not second.acquire()
        assert other_role.acquire()
        first.release()
        assert not first.held()
        assert second.acquire()
    finally:
        for lock in (first, second, other_role):
            lock.release()


def test_a_lock_dies_with_its_process(database_url: str) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from storage.locks import leader_lock\n"
            f"lock = leader_lock({database_url!r}, 'delivery')\n"
            "assert lock.acquire()\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    lock = leader_lock(database_url, "delivery")
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"held"
        assert not lock.acquire()
        holder.kill()
        holder.wait()
        deadline = time.monotonic() + 10
        while not lock.acquire():
            assert time.monotonic() < deadline, "the dead process's lock was never freed"
            time.sleep(0.05)
    finally:
        holder.kill()
        lock.release()


def test_processes_starting_together_migrate_one_after_another(database_url: str) -> None:
    script = f"from storage.db import upgrade; upgrade({database_url!r})"
    processes = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()[-2000:]


def test_a_leader_cut_off_from_the_database_knows_it_lost(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("advisory locks are PostgreSQL's")
    first = leader_lock(database_url, "scheduler")
    second = leader_lock(database_url, "scheduler")
    engine = make_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        assert first.acquire()
        with make_session_factory(engine)() as session:
            found = leaders(session)
        assert found.get("scheduler") == os.getpid()
        with engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name LIKE 'buurtbot:scheduler:%'"
                    " AND datname = current_database()"
                )
            )
        deadline = time.monotonic() + 5
        while first.held():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert second.acquire()
    finally:
        first.release()
        second.release()
        engine.dispose()
