"""A lighter bot process: heavy modules wait for their first use, freed memory goes back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.runtime import memory
from storage import db
from storage.db import alembic_config, make_engine

ROOT = Path(__file__).resolve().parents[2]

# Each costs megabytes of resident memory for the life of the process, and a bot that makes
# no file, has no webhook or runs on SQLite never needs it.
LAZY = (
    "reports",  # the weekly picture, round report and export writers, with their templates
    "jinja2",
    "openpyxl",
    "PIL",
    "qrcode",
    "aiohttp",  # the webhook server only
    "sandbox.server",  # the sandbox adds its commands to the parser, not its server to the bot
    "psycopg",  # PostgreSQL only
    "sqlalchemy.dialects.postgresql",
)


def test_starting_the_bot_imports_no_heavy_module() -> None:
    """Import what `buurtbot run` imports in a fresh Python: none of the heavy modules come."""
    code = (
        "import sys\n"
        "import bot.runtime.cli, bot.runtime.app, bot.runtime.logs, bot.runtime.memory\n"
        "from bot.runtime.cli import build_parser\n"
        "build_parser()\n"
        "from geo import get_gazetteer\n"
        "get_gazetteer()\n"
        f"lazy = {LAZY!r}\n"
        "print(sorted({n for n in sys.modules for m in lazy if n == m or n.startswith(m + '.')}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_freed_memory_goes_back_on_glibc() -> None:
    """On Linux with glibc, the trim and the arena cap are there and report success."""
    assert memory.release_freed_memory() is True
    assert memory.limit_malloc_arenas(memory.MALLOC_ARENAS) is True


def test_only_long_jobs_give_memory_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """A job over LONG_JOB_S is followed by a release; a quick one is not; results pass on."""
    released: list[bool] = []
    clock = [100.0]
    monkeypatch.setattr(memory, "release_freed_memory", lambda: released.append(True) or True)
    monkeypatch.setattr(memory, "monotonic", lambda: clock[0])

    def job(seconds: float, answer: int) -> int:
        clock[0] += seconds
        return answer

    wrapped = memory.releasing_after_long_jobs(job)
    assert wrapped(memory.LONG_JOB_S / 2, 1) == 1
    assert released == []
    assert wrapped(memory.LONG_JOB_S, 2) == 2
    assert released == [True]


def test_a_failing_long_job_still_gives_memory_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """The release follows a long job that raised, and the error reaches the caller."""
    released: list[bool] = []
    monkeypatch.setattr(memory, "release_freed_memory", lambda: released.append(True) or True)
    monkeypatch.setattr(memory, "LONG_JOB_S", 0.0)

    def job() -> None:
        raise RuntimeError("database away")

    with pytest.raises(RuntimeError):
        memory.releasing_after_long_jobs(job)()
    assert released == [True]


def test_the_head_read_from_the_scripts_is_alembics() -> None:
    """The migrations' head found without Alembic is the one Alembic finds."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert db._head_revisions() == set(scripts.get_heads())


def test_a_bot_restarted_on_an_up_to_date_database_skips_alembic(tmp_path: Path) -> None:
    """Upgrading a database already at head neither imports Alembic nor changes anything."""
    url = f"sqlite:///{tmp_path / 'up.db'}"
    db.upgrade(url)
    code = (
        "import sys\n"
        "from storage.db import upgrade\n"
        f"upgrade({url!r})\n"
        "print(sorted(m for m in sys.modules if m == 'alembic' or m.startswith('alembic.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"
    engine = make_engine(url)
    try:
        assert db.current_revision(engine) in db._head_revisions()
    finally:
        engine.dispose()


def test_a_database_behind_the_head_is_still_upgraded(tmp_path: Path) -> None:
    """The shortcut never skips a migration: a database one step behind reaches the head."""
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    (head,) = db._head_revisions()
    db.upgrade(url)
    engine = make_engine(url)
    try:
        from alembic.script import ScriptDirectory

        previous = ScriptDirectory.from_config(alembic_config(url)).get_revision(head).down_revision
        db.downgrade(url, str(previous))
        assert db.current_revision(engine) == previous
        db.upgrade(url)
        assert db.current_revision(engine) == head
    finally:
        engine.dispose()
