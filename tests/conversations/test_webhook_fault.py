"""Fault test: `buurtbot run --webhook` under systemd's usual limit of 1,024 open files, with
1,100 half-open connections held to its port, still takes and answers a real update within 5 s
and keeps its log small (it used to log ~200 MB of accept() tracebacks in 50 s).

The bot runs as a process of its own (RLIMIT_NOFILE set in the child before it starts), with
the shipped time limits; every loop here is bounded in count and time.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conversations.helpers import ROOT, free_port, http_status, says, wait_until

resource = pytest.importorskip("resource")

pytestmark = pytest.mark.pipeline

FILE_LIMIT = 1024
HALF_OPEN = 1100
# The test process holds the half-open connections itself: it needs that many files and more.
OWN_FILES_NEEDED = HALF_OPEN + 400


def limit_files() -> None:
    """Run in the child before exec: the file limit systemd gives a service by default."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (FILE_LIMIT, FILE_LIMIT))


@pytest.fixture
def enough_files():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < OWN_FILES_NEEDED:
        if hard != resource.RLIM_INFINITY and hard < OWN_FILES_NEEDED:
            pytest.skip(f"the test process may open only {hard} files")
        resource.setrlimit(resource.RLIMIT_NOFILE, (OWN_FILES_NEEDED, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def open_half_requests(port: int, count: int, within: float) -> list[socket.socket]:
    """Open `count` connections and send half a request head on each that connects in time.

    Non-blocking: connections the server does not accept yet wait in its backlog (or retry
    their SYN); they are held all the same. No secret is needed for any of this.
    """
    sockets: list[socket.socket] = []
    selector = selectors.DefaultSelector()
    half = b"POST /tg HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl"
    try:
        for _ in range(count):
            connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            connection.setblocking(False)
            code = connection.connect_ex(("127.0.0.1", port))
            assert code in (0, errno.EINPROGRESS, errno.EAGAIN), os.strerror(code)
            sockets.append(connection)
            selector.register(connection, selectors.EVENT_WRITE)
        deadline = time.monotonic() + within
        waiting = len(sockets)
        while waiting and time.monotonic() < deadline:
            for key, _events in selector.select(timeout=0.1):
                connection = key.fileobj
                selector.unregister(connection)
                waiting -= 1
                if connection.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    # Already shed by the server: it stays open on this side all the same.
                    with contextlib.suppress(OSError):
                        connection.send(half)
    finally:
        selector.close()
    return sockets


def test_half_open_connections_under_a_1024_file_limit(sandbox, settings, enough_files) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg"
    log = Path(settings.media_dir).parent / "bot.log"
    env = {
        **os.environ,
        "BUURTBOT_TELEGRAM_TOKEN": sandbox.token,
        "BUURTBOT_TELEGRAM_API_URL": sandbox.url,
        "BUURTBOT_DATABASE_URL": settings.database_url,
        "BUURTBOT_MEDIA_DIR": settings.media_dir,
        "BUURTBOT_LOG_LEVEL": "INFO",
    }
    env.pop("BUURTBOT_WEBHOOK_LISTEN", None)
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.conversations.webhook_bot", url, str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            preexec_fn=limit_files,  # noqa: PLW1509 - only sets a limit, no threads involved
        )
    held: list[socket.socket] = []
    try:
        wait_until(
            lambda: (
                process.poll() is not None
                or sandbox.webhook_info().get("url") == url
                and http_status(f"http://127.0.0.1:{port}/healthz", timeout=1) == 200
            ),
            timeout=60,
            message=lambda: "the bot did not start:\n" + log.read_text(errors="replace")[-3000:],
        )
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        attack_started = time.monotonic()
        held = open_half_requests(port, HALF_OPEN, within=3.0)
        assert len(held) == HALF_OPEN

        # Telegram pushes a real update (through the sandbox's webhook client).
        user = sandbox.user(user_id=4400, language_code="en")
        sent = time.monotonic()
        user.send_text("hello")
        [answer] = user.wait_for_messages(1, timeout=5)
        assert says(answer, "stranger.how_to_join", "en")
        answered_in = time.monotonic() - sent
        print(f"answered in {answered_in:.2f} s")
        assert answered_in < 5, answered_in

        # The health check answers too, within its second.
        started = time.monotonic()
        assert http_status(f"http://127.0.0.1:{port}/healthz", timeout=5) == 200
        assert time.monotonic() - started < 1.0

        # Keep the connections held a while longer (past the 5 s idle limit): still answered.
        while time.monotonic() - attack_started < 7:
            time.sleep(0.1)
        user.send_text("still there?")
        [again] = user.wait_for_messages(1, timeout=5)
        assert says(again, "stranger.how_to_join", "en")
        assert process.poll() is None, "the bot died"
    finally:
        for connection in held:
            connection.close()
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    size = log.stat().st_size
    assert size < 1_000_000, f"the log grew to {size} bytes"
