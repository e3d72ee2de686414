"""Profile one walk note from inbox to outbox: SQL statements and time per note.

Usage: python benchmarks/note_path.py [--users 60] [--notes 10] [--database-url URL]
           [--database NAME] [--batch N] [--profile [--profile-out FILE]] [--show-statements]
           [--send]

Runs the real Dispatcher in this process (no Telegram, no sandbox): U staff members each start
a walk, then every member's N walk notes are written to the inbox at once and processed. A
SQLAlchemy `before_cursor_execute` listener counts the statements the processing sends to the
database (BEGIN/COMMIT/SAVEPOINT included, as the driver sees them); the wall time and the
CPU time of this process are taken around it. Without --database-url the database is a SQLite
file in a temporary folder; a PostgreSQL URL names a server on which a database
`buurtbot_notepath_<pid>` is created and dropped afterwards.

With --send, the queued replies are then sent by the real OutboxSender with the real pacer
(30 messages/s, about one a second per chat) to a stand-in bot that answers each call after
20 ms, and the statements, commits and CPU time of the sending are counted per message.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from sqlalchemy import event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.delivery.outbox import OutboxSender  # noqa: E402
from bot.dispatch.dispatcher import Dispatcher  # noqa: E402
from bot.dispatch.i18n import load_translator  # noqa: E402
from bot.dispatch.render import Renderer  # noqa: E402
from bot.intake.updates import received  # noqa: E402
from flows.consent import consent_for  # noqa: E402
from flows.engine import FlowConfig  # noqa: E402
from storage import organisations as orgs  # noqa: E402
from storage import pipeline  # noqa: E402
from storage.db import make_engine, make_session_factory, upgrade  # noqa: E402
from storage.models import InboxUpdate, Observation, OutboxMessage  # noqa: E402

FIRST_USER = 8001


def message_update(update_id: int, user_id: int, message_id: int, words: str) -> dict[str, Any]:
    """Return a raw private-chat text update as Telegram sends it."""
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": f"W{user_id}"},
        "from": {
            "id": user_id,
            "is_bot": False,
            "first_name": f"W{user_id}",
            "language_code": "en",
        },
        "text": words,
    }
    if words.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(words)}]
    return {"update_id": update_id, "message": message}


def statement_kind(statement: str) -> str:
    """Return a short name for a statement: its verb and first table."""
    words = statement.strip().split()
    verb = words[0].upper() if words else "?"
    if verb in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
        return verb
    if verb == "WITH":
        return "WITH (claim)"
    match = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", statement, re.IGNORECASE)
    return f"{verb} {match.group(1) if match else ''}".strip()


def main(argv: list[str] | None = None) -> int:
    """Set up, process the notes once, print statements and time per note."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--notes", type=int, default=10, help="notes per user")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--batch", type=int, default=None, help="updates per transaction")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of processing")
    parser.add_argument("--profile-out", type=Path, help="also write the profile to this file")
    parser.add_argument("--show-statements", action="store_true")
    parser.add_argument(
        "--database",
        default=f"buurtbot_notepath_{os.getpid()}",
        help="PostgreSQL database to create and drop on that server (default: one per run)",
    )
    parser.add_argument("--send", action="store_true", help="then send the outbox; count that")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="buurtbot-notepath-") as tmp:
        admin = None
        name = ""
        if args.database_url:
            name = args.database
            admin = make_engine(
                make_url(args.database_url).set(database="postgres").render_as_string(False),
                isolation_level="AUTOCOMMIT",
            )
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(args.database_url).set(database=name).render_as_string(False)
        else:
            url = f"sqlite:///{Path(tmp) / 'notes.db'}"
        try:
            return run(url, args, Path(tmp))
        finally:
            if admin is not None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


def run(url: str, args: argparse.Namespace, tmp: Path) -> int:
    """Process /walk for every user, then their notes, counting statements."""
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    users = [FIRST_USER + i for i in range(args.users)]
    with factory.begin() as session:
        organisation = orgs.create_organisation(session, "Profile", now, "nl", [1, 2])
        invite = orgs.create_invite(session, organisation.id, "staff", now, timedelta(days=1))
        for user_id in users:
            orgs.join_with_invite(session, invite, user_id, "en", consent_for("staff").version, now)
    config = FlowConfig(default_language="en", secret_key="profile", media_dir=str(tmp))
    dispatcher = Dispatcher(factory, Renderer(load_translator()), config, tmp)
    update_id = 1
    with factory.begin() as session:
        pipeline.store_updates(
            session,
            [
                received(message_update(update_id + i, uid, 1, "/walk"))
                for i, uid in enumerate(users)
            ],
            now,
        )
    update_id += len(users)
    while dispatcher.process_pending():
        pass

    notes = []
    for number in range(args.notes):
        for user_id in users:
            words = f"note {number} from {user_id}: the bench by the school is gone"
            notes.append(message_update(update_id, user_id, 2 + number, words))
            update_id += 1
    with factory.begin() as session:
        pipeline.store_updates(session, [received(note) for note in notes], now)

    statements: Counter[str] = Counter()
    texts: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(_conn, _cursor, statement, _params, _context, _executemany) -> None:  # noqa: ANN001
        kind = statement_kind(statement)
        if kind != "BEGIN":  # counted by the begin event, also where the driver sends it
            statements[kind] += 1
        if args.show_statements and len(texts) < 60:
            texts.append(" ".join(statement.split())[:300])

    @event.listens_for(engine, "begin")
    def begin(_conn) -> None:  # noqa: ANN001
        statements["BEGIN"] += 1

    @event.listens_for(engine, "commit")
    def commit(_conn) -> None:  # noqa: ANN001
        statements["COMMIT"] += 1

    checkouts = Counter()

    @event.listens_for(engine, "engine_connect")
    def checkout(_conn) -> None:  # noqa: ANN001
        checkouts["connections"] += 1

    profiler = cProfile.Profile() if args.profile else None
    if args.batch is not None:
        dispatcher.batch_size = args.batch
    started = time.perf_counter()
    cpu = time.process_time()
    if profiler:
        profiler.enable()
    while dispatcher.process_pending():
        pass
    if profiler:
        profiler.disable()
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", count)

    with factory() as session:
        stored = session.scalar(
            select(func.count()).select_from(Observation).where(Observation.kind == "walk_note")
        )
        left = session.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status != "done")
        )
        queued = session.scalar(select(func.count()).select_from(OutboxMessage))
    total = len(notes)
    per_note = sum(statements.values()) / total
    print(f"database: {engine.dialect.name}; {args.users} users x {args.notes} notes = {total}")
    print(f"stored {stored} notes, inbox left {left}, outbox rows {queued}")
    print(f"statements per note: {per_note:.2f}")
    for kind, number in statements.most_common():
        print(f"  {number / total:6.2f}  {kind}")
    pings = " (a round trip each with pool_pre_ping)" if engine.pool._pre_ping else ""
    print(f"connection checkouts per note: {checkouts['connections'] / total:.2f}{pings}")
    print(f"time per note: {wall / total * 1000:.2f} ms wall, {cpu / total * 1000:.2f} ms CPU")
    if args.show_statements:
        for line in texts:
            print("   ", line)
    if profiler:
        if args.profile_out:
            profiler.dump_stats(str(args.profile_out))
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    sent_ok = send_all(url, engine, factory, tmp, queued) if args.send else True
    engine.dispose()
    return 0 if stored == total and left == 0 and sent_ok else 1


class AnsweringBot:
    """Stands in for Telegram: answers every call after CALL_TIME, as a fast network would."""

    CALL_TIME = 0.02

    def __init__(self) -> None:
        self.calls = 0

    async def do_api_request(self, method: str, api_kwargs: dict, read_timeout: float) -> dict:
        """Answer a call with a new message id."""
        self.calls += 1
        number = self.calls
        await asyncio.sleep(self.CALL_TIME)
        return {"message_id": number}


def send_all(url: str, engine: Any, factory: Any, tmp: Path, queued: int) -> bool:
    """Send the outbox with the real sender and pacer; print statements and CPU per message."""
    statements: Counter[str] = Counter()

    def count(_conn, _cursor, statement, _params, _context, _executemany) -> None:  # noqa: ANN001
        kind = statement_kind(statement)
        if kind != "BEGIN":
            statements[kind] += 1

    def begin(_conn) -> None:  # noqa: ANN001
        statements["BEGIN"] += 1

    def commit(_conn) -> None:  # noqa: ANN001
        statements["COMMIT"] += 1

    # The watcher asks on an engine of its own: its looks are not the sender's work.
    watcher = make_session_factory(make_engine(url))

    def pending() -> int:
        with watcher() as session:
            return session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "pending")
            )

    async def deliver() -> float:
        bot = AnsweringBot()
        sender = OutboxSender(bot, factory, tmp)  # type: ignore[arg-type]
        stop, wake = asyncio.Event(), asyncio.Event()
        started = time.perf_counter()
        task = asyncio.create_task(sender.run(stop, wake))
        while await asyncio.to_thread(pending):
            await asyncio.sleep(0.5)
        stop.set()
        await task
        return time.perf_counter() - started

    for name, listener in (("before_cursor_execute", count), ("begin", begin), ("commit", commit)):
        event.listen(engine, name, listener)
    cpu = time.process_time()
    wall = asyncio.run(deliver())
    cpu = time.process_time() - cpu
    for name, listener in (("before_cursor_execute", count), ("begin", begin), ("commit", commit)):
        event.remove(engine, name, listener)
    print(f"sent {queued} messages in {wall:.1f} s (the pacer's pace)")
    print(f"sender statements per message: {sum(statements.values()) / queued:.2f}")
    for kind, number in statements.most_common():
        print(f"  {number / queued:6.2f}  {kind}")
    print(
        f"sender CPU per message: {cpu / queued * 1000:.2f} ms (process, the stand-in bot included)"
    )
    return pending() == 0


if __name__ == "__main__":
    raise SystemExit(main())
