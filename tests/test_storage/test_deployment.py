"""Deployment values: workers starting together on a new database agree on one secret."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from storage import deployment
from storage.db import upgrade

ROOT = Path(__file__).resolve().parents[2]


def test_workers_starting_together_read_back_one_secret(database_url: str) -> None:
    upgrade(database_url)
    # Every process imports first, then all ask at the same moment.
    moment = time.time() + 3
    script = (
        "import time\n"
        "from storage.db import make_engine, make_session_factory\n"
        "from storage import deployment\n"
        f"factory = make_session_factory(make_engine({database_url!r}))\n"
        "with factory.begin() as session:\n"
        "    session.connection()\n"
        f"    time.sleep(max(0.0, {moment} - time.time()))\n"
        "    print(deployment.get_or_create_secret(session, 'secret_key'))\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(4)
    ]
    secrets = set()
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err.decode()[-2000:]
        secrets.add(out.decode().strip())
    assert len(secrets) == 1 and len(secrets.pop()) == 64


def test_a_value_is_replaced_not_doubled(session_factory) -> None:
    with session_factory.begin() as session:
        deployment.set_value(session, "bot_username", "buurt_bot")
        deployment.set_value(session, "bot_username", "buurtbeeld_bot")
    with session_factory.begin() as session:
        assert deployment.get_value(session, "bot_username") == "buurtbeeld_bot"
        assert deployment.get_or_create_secret(session, "k") == deployment.get_or_create_secret(
            session, "k"
        )
