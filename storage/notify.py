"""Wake other worker processes on PostgreSQL (LISTEN/NOTIFY) when work arrives for them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from storage.db import normalise_url, postgres_connect_args

log = logging.getLogger("buurtbot.notify")

INBOX_CHANNEL = "buurtbot_inbox"
OUTBOX_CHANNEL = "buurtbot_outbox"


def notify(session: Session, channel: str) -> None:
    """Tell listening workers about new work; it is delivered only if the transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(channel, "")))


class Listener:
    """A thread that turns notifications into wake-up calls; a missed one costs only latency."""

    def __init__(self, url: str, wake: Mapping[str, Callable[[], None]]) -> None:
        parsed = make_url(normalise_url(url)).set(drivername="postgresql")
        self.conninfo = parsed.render_as_string(hide_password=False)
        self.wake = dict(wake)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="buurtbot-listen", daemon=True)

    @staticmethod
    def wanted(url: str) -> bool:
        """Say whether this database can carry notifications."""
        return make_url(normalise_url(url)).get_backend_name() == "postgresql"

    def start(self) -> None:
        """Start listening in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and wait for the thread."""
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        import psycopg  # the listener runs on PostgreSQL only: SQLite never loads the driver

        failures = 0
        while not self._stop.is_set():
            try:
                options: dict[str, Any] = postgres_connect_args("buurtbot:listen")
                with psycopg.connect(self.conninfo, autocommit=True, **options) as connection:
                    for channel in self.wake:
                        connection.execute(f"LISTEN {channel}")
                    failures = 0
                    # Work may have arrived while we were not listening.
                    for wake in self.wake.values():
                        wake()
                    while not self._stop.is_set():
                        for note in connection.notifies(timeout=1.0):
                            self.wake[note.channel]()
            except psycopg.Error as error:
                failures += 1
                log.warning("listening for work failed (%s); retrying", type(error).__name__)
                self._stop.wait(min(10.0, 0.5 * 2**failures))
