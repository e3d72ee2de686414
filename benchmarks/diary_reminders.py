"""Benchmark diary reminders: N diarists due at the same minute, found and delivered.

Usage: python benchmarks/diary_reminders.py [--diarists 10000] [--write-readme]

SQLite in a temporary folder. N members join one organisation and enrol in the diary in bulk
(storage functions), all with the reminder at the same local minute, just passed. Then:

1. the sweep alone: due_reminders() in a transaction that is rolled back (finding who is due
   and marking them), timed twice, and a second run after a commit (must find nobody);
2. delivery: the real bot (BotThread) against the local Bot API sandbox with Telegram's rate
   limits on (SandboxServer(strict=False, rate_limits=True)); run_sweep(bot.app, due_reminders)
   once queues the reminders through the outbox; the clock runs until the sandbox has accepted
   N messages. The floor is N / 30 s (Telegram: about 30 messages a second); goal <= 1.1x.
   Duplicates (a chat with more than one reminder) must be 0; 429 answers should be 0.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from sqlalchemy import func, select  # noqa: E402
from update_readme import README, load_average, run_footer, write_section  # noqa: E402

from bot.runtime.jobs import run_sweep  # noqa: E402
from bot.runtime.runner import BotThread  # noqa: E402
from bot.runtime.settings import load_settings  # noqa: E402
from flows.diary import CONSENT_VERSION, due_reminders  # noqa: E402
from flows.engine import FlowConfig, StepContext  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402
from storage import diaries  # noqa: E402
from storage import organisations as orgs  # noqa: E402
from storage.db import make_engine, make_session_factory, upgrade  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402

PER_SECOND = 30
GOAL = 1.10
FIRST_USER_ID = 200_001
SETTLE_SECONDS = 3.0
TIMEZONE = "Europe/Brussels"
LANGUAGES = ("nl", "fr", "en")


def due_minute() -> str:
    """Return the local minute just passed (so everyone is due now), "00:00" just after midnight."""
    now = datetime.now(UTC).astimezone(ZoneInfo(TIMEZONE))
    before = now - timedelta(minutes=1)
    return before.strftime("%H:%M") if before.date() == now.date() else "00:00"


def populate(url: str, count: int) -> tuple[float, str]:
    """Create the organisation, the members and their diaries; return seconds and the minute."""
    started = time.perf_counter()
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    minute = due_minute()
    with factory.begin() as session:
        organisation = orgs.create_organisation(session, "Benchmark", now, "nl", [1, 2])
        invite = orgs.create_invite(
            session, organisation.id, "resident", now, timedelta(days=1), None
        )
        members = [
            orgs.join_with_invite(
                session,
                invite,
                FIRST_USER_ID + i,
                LANGUAGES[i % len(LANGUAGES)],
                "resident-2026-11",
                now,
            )
            for i in range(count)
        ]
        diaries.enrol_many(
            session,
            members,
            consent_version=CONSENT_VERSION,
            started_on=today - timedelta(days=4),
            reminder_time=minute,
            now=now,
        )
    engine.dispose()
    return time.perf_counter() - started, minute


def time_sweep(url: str) -> dict[str, float]:
    """Time due_reminders alone, twice (cold, then warm), each rolled back."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    config = FlowConfig(secret_key="bench", timezone=TIMEZONE)
    figures: dict[str, float] = {}
    for label in ("first", "again"):
        with factory() as session:
            started = time.perf_counter()
            found = due_reminders(StepContext(session, datetime.now(UTC), config, None))
            figures[f"sweep_{label}_s"] = time.perf_counter() - started
            figures["found"] = len(found)
            session.rollback()
    engine.dispose()
    return figures


def outbox_sent(factory) -> int:  # noqa: ANN001 - a sessionmaker
    """Return how many outbox rows are marked sent."""
    with factory() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "sent", OutboxMessage.method == "sendMessage")
            )
            or 0
        )


def deliver(url: str, count: int, workdir: Path) -> dict[str, float]:
    """Run the bot against a rate-limited sandbox, queue the reminders once, time delivery."""
    server = SandboxServer(strict=False, rate_limits=True).start()
    figures: dict[str, float] = {}
    try:
        for i in range(count):
            server.user(user_id=FIRST_USER_ID + i, first_name=f"Buur{i}")
        settings = load_settings(environ={}, dotenv_path=None).with_overrides(
            telegram_token=server.token,
            telegram_api_url=server.url,
            database_url=url,
            media_dir=str(workdir / "media"),
            poll_timeout=2,
            log_level="WARNING",
        )
        runner = BotThread(settings).start()
        engine = make_engine(url)
        factory = make_session_factory(engine)
        try:
            assert runner.app is not None
            started = time.monotonic()
            queued = run_sweep(runner.app, due_reminders)
            figures["queue_s"] = time.monotonic() - started
            # Wake the sender as the scheduled job does after a sweep that queued something.
            if runner._loop is not None:
                runner._loop.call_soon_threadsafe(runner.app.outbox_event.set)
            figures["queued"] = queued
            deadline = started + 3 * count / PER_SECOND + 120
            while outbox_sent(factory) < count and time.monotonic() < deadline:
                time.sleep(1.0)
            time.sleep(SETTLE_SECONDS)
            figures["second_sweep_queued"] = run_sweep(runner.app, due_reminders)
        finally:
            runner.stop()
            engine.dispose()
        accepted = [
            call
            for call in server.calls("sendMessage")
            if call["status"] == 200 and int(call["params"]["chat_id"]) >= FIRST_USER_ID
        ]
        per_chat = Counter(int(call["params"]["chat_id"]) for call in accepted)
        times = sorted(call["time"] for call in accepted)
        figures["accepted"] = len(accepted)
        figures["chats"] = len(per_chat)
        figures["duplicates"] = sum(n - 1 for n in per_chat.values() if n > 1)
        figures["missing"] = count - len(per_chat)
        figures["too_many"] = server.too_many_requests
        figures["delivery_s"] = (times[-1] - started) if times else float("nan")
        figures["first_s"] = (times[0] - started) if times else float("nan")
        figures["send_span_s"] = (times[-1] - times[0]) if times else float("nan")
        figures["bot_error"] = 1.0 if runner.error else 0.0
    finally:
        server.stop()
    return figures


def report(count: int, setup_s: float, minute: str, sweep: dict, run: dict) -> str:
    """Return the figures as a Markdown table."""
    floor = count / PER_SECOND
    ratio = run["delivery_s"] / floor if floor else float("nan")
    verdict = "met" if ratio <= GOAL else "MISSED"
    rows = [
        ("Diarists due at the same minute", f"{count}", f"reminder at {minute} local, SQLite"),
        ("Setup (members + diaries)", f"{setup_s:.1f} s", "join_with_invite x N, enrol_many"),
        (
            "due_reminders sweep",
            f"{sweep['sweep_first_s']:.2f} s",
            f"finds and marks {int(sweep['found'])}; again (warm) {sweep['sweep_again_s']:.2f} s",
        ),
        (
            "run_sweep (sweep + render + outbox)",
            f"{run['queue_s']:.2f} s",
            f"{int(run['queued'])} messages queued in one transaction",
        ),
        (
            "Delivery time",
            f"{run['delivery_s']:.1f} s",
            f"run_sweep start -> last reminder accepted; first after {run['first_s']:.2f} s",
        ),
        (
            "Sending alone",
            f"{run['send_span_s']:.1f} s",
            f"first -> last reminder accepted: {run['send_span_s'] / floor:.3f}x the floor",
        ),
        ("Floor", f"{floor:.1f} s", f"{count} / {PER_SECOND} per second"),
        ("Delivery / floor", f"{ratio:.3f}x", f"goal <= {GOAL}x: {verdict}"),
        (
            "Reminders accepted",
            f"{int(run['accepted'])}",
            f"{int(run['chats'])} chats; missing {int(run['missing'])} (must be 0)",
        ),
        ("Duplicates", f"{int(run['duplicates'])}", "must be 0"),
        (
            "Second sweep after delivery",
            f"{int(run['second_sweep_queued'])} queued",
            "must be 0 (last_reminded_on)",
        ),
        ("429 answers", f"{int(run['too_many'])}", "should be 0"),
    ]
    lines = ["| Figure | Value | Detail |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


SECTION_TEXT = """## Diary reminders (`diary_reminders.py`)

`python benchmarks/diary_reminders.py [--diarists 10000] [--write-readme]`: N diarists (SQLite
in a temporary folder, made with the storage functions) all have their reminder at the same
local minute, just passed. It times `flows.diary.due_reminders` alone (finding who is due and
marking them; rolled back), then starts the real bot (`BotThread`) against the sandbox with
Telegram's limits on (`SandboxServer(strict=False, rate_limits=True)`), runs
`run_sweep(bot.app, due_reminders)` once and measures until the sandbox has accepted N
reminders. Floor: N / 30 s; goal: delivery <= 1.1x the floor. Duplicates and missing reminders
must be 0 (the script exits 1 otherwise); 429 answers should be 0.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--diarists", type=int, default=10_000)
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    for name in ("httpx", "telegram", "apscheduler", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
    load = load_average()
    with tempfile.TemporaryDirectory(prefix="diary-bench-") as folder:
        workdir = Path(folder)
        url = f"sqlite:///{workdir / 'buurtbot.db'}"
        setup_s, minute = populate(url, args.diarists)
        print(f"setup: {args.diarists} members and diaries in {setup_s:.1f} s", flush=True)
        sweep = time_sweep(url)
        print(
            f"due_reminders: {int(sweep['found'])} due, {sweep['sweep_first_s']:.2f} s "
            f"(again {sweep['sweep_again_s']:.2f} s)",
            flush=True,
        )
        run = deliver(url, args.diarists, workdir)
    table = report(args.diarists, setup_s, minute, sweep, run)
    print(table)
    failed = run["duplicates"] or run["missing"] or run["second_sweep_queued"] or run["bot_error"]
    if args.write_readme:
        if README.exists():
            command = shlex.join(["python", "benchmarks/diary_reminders.py", *sys.argv[1:]])
            body = f"{SECTION_TEXT}\nLatest results:\n\n{table}\n\n{run_footer(command, load)}"
            write_section("diary_reminders", body)
            print(f"wrote the diary_reminders section of {README}")
        else:
            print(f"{README} does not exist; not written")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
