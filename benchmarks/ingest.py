"""Benchmark ingest and latency of walk notes on SQLite and PostgreSQL against a PTB echo bot.

Issue 7: several configurations (SQLite with one worker, PostgreSQL with 1, 2 and 4 worker
processes) and the baseline, in one run.

Usage: python benchmarks/ingest.py [--users 60] [--messages 10] [--rate 10] [--seconds 20]
           [--configs sqlite:1,postgresql:1,postgresql:2,postgresql:4]
           [--postgres-url postgresql://postgres@127.0.0.1:5432/test] [--write-readme]

Every Buurtbot configuration runs as N separate `python -m bot.runtime.cli run` processes against a
fresh database and a fresh local Bot API sandbox in this process (no rate limits at the sandbox:
the bot paces itself). U staff members each start a walk (/walk, reply awaited), then:

- Phase A (throughput): each sends M walk notes, round-robin, as fast as the sandbox takes them.
- Phase B (latency): notes at a steady --rate across the users for --seconds.

The baseline is benchmarks/echo_bot.py, a PTB echo bot in its own process, sent the same burst.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import telegram  # noqa: E402
from pipeline import ideal_schedule, pair_latencies, percentile, status_counts  # noqa: E402
from sqlalchemy import Engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402
from update_readme import load_average, run_footer, write_section  # noqa: E402

from bot.dispatch.flood import FloodGuard  # noqa: E402
from flows.consent import consent_for  # noqa: E402
from sandbox.server import SandboxServer, SandboxUser  # noqa: E402
from storage import organisations as orgs  # noqa: E402
from storage.db import make_engine, make_session_factory, upgrade  # noqa: E402
from storage.models import InboxUpdate, Member, Observation, OutboxMessage  # noqa: E402

INGEST_GOAL = 0.5  # Buurtbot processes at least half as many notes/s as a bare echo bot
FIRST_USER_ID = 6001
# One database per run: two runs at once must not drop each other's database.
BENCH_DATABASE = f"buurtbot_bench_{os.getpid()}"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_CONFIGS = "sqlite:1,postgresql:1,postgresql:2,postgresql:4"
SAVED_BUTTON = re.compile(r"g\|obs\|(\d+)\|undo")
READY_LINE = "Buurtbot is running"
STOP_GRACE = 30.0
SETTLE_SECONDS = 1.0  # keep watching after everything arrived, to catch late duplicates
POLL = 0.2  # polling the sandbox takes the GIL the sandbox itself needs


# ------------------------------------------------------------------------------ configurations


@dataclass(frozen=True)
class Config:
    """One way to run the bot: a database kind and a number of worker processes."""

    backend: str
    workers: int

    @property
    def label(self) -> str:
        """Return a short human name, e.g. 'PostgreSQL, 2 workers'."""
        kind = "SQLite" if self.backend == "sqlite" else "PostgreSQL"
        return f"{kind}, {self.workers} worker{'s' if self.workers > 1 else ''}"

    @property
    def slug(self) -> str:
        """Return a name usable in file names."""
        return f"{self.backend}-{self.workers}"


def parse_configs(value: str) -> list[Config]:
    """Parse 'sqlite:1,postgresql:2' into configurations; raise ValueError when malformed."""
    configs: list[Config] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        backend, _, count = part.partition(":")
        backend = {"pg": "postgresql", "postgres": "postgresql"}.get(backend, backend)
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"unknown database {backend!r} in {part!r} (sqlite or postgresql)")
        if not (count or "1").isdigit() or int(count or "1") < 1:
            raise ValueError(f"bad worker count in {part!r}")
        workers = int(count or "1")
        if backend == "sqlite" and workers != 1:
            raise ValueError("several workers share the inbox on PostgreSQL only (sqlite:1)")
        configs.append(Config(backend, workers))
    if not configs:
        raise ValueError("no configurations given")
    return configs


def postgres_admin_engine(postgres_url: str) -> Engine:
    """Return an autocommit engine on the server's maintenance database."""
    admin = make_url(postgres_url).set(database="postgres")
    return make_engine(admin.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")


def reset_postgres_database(postgres_url: str, name: str) -> str:
    """Drop and recreate database NAME on the server of postgres_url; return its URL."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"unsafe database name {name!r}")
    admin = postgres_admin_engine(postgres_url)
    try:
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(postgres_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(postgres_url: str, name: str) -> None:
    """Drop database NAME if it exists (after the run)."""
    admin = postgres_admin_engine(postgres_url)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def make_staff(factory: sessionmaker[Session], user_ids: list[int]) -> None:
    """Make every user a staff member who accepted the current consent text."""
    now = datetime.now(UTC)
    version = consent_for("staff").version
    with factory.begin() as session:
        organisation = orgs.create_organisation(session, "Benchmark", now, "nl", [1, 2])
        invite = orgs.create_invite(session, organisation.id, "staff", now, timedelta(days=1), None)
        for user_id in user_ids:
            orgs.join_with_invite(session, invite, user_id, "en", version, now)


# ------------------------------------------------------------------------------ processes


class Fleet:
    """N `python -m bot.runtime.cli run` processes against one database and one sandbox."""

    def __init__(
        self, server: SandboxServer, database_url: str, workdir: Path, config: Config
    ) -> None:
        """Prepare the environment and log files; nothing runs until start()."""
        self.env = {
            **os.environ,
            "BUURTBOT_TELEGRAM_TOKEN": server.token,
            "BUURTBOT_TELEGRAM_API_URL": server.url,
            "BUURTBOT_DATABASE_URL": database_url,
            "BUURTBOT_MEDIA_DIR": str(workdir / "media"),
            "BUURTBOT_POLL_TIMEOUT": "2",
            "BUURTBOT_SEND_TIMEOUT": "5",
            "BUURTBOT_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        self.logs = [workdir / f"{config.slug}-worker{n + 1}.log" for n in range(config.workers)]
        self.processes: list[subprocess.Popen[bytes]] = []
        self.exit_codes: list[int | None] = []

    def start(self) -> None:
        """Start every worker process at once, as a supervisor or systemd would."""
        for log in self.logs:
            with log.open("ab") as out:
                self.processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "bot.runtime.cli", "run"],
                        env=self.env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        cwd=ROOT,
                    )
                )

    def dead(self) -> list[int]:
        """Return the pids of workers that exited."""
        return [p.pid for p in self.processes if p.poll() is not None]

    def describe_deaths(self) -> str:
        """Say which workers exited and how (exit code, or the signal that ended them)."""
        parts = []
        for process in self.processes:
            code = process.poll()
            if code is None:
                continue
            how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
            parts.append(f"worker pid {process.pid} ended by {how}")
        return "; ".join(parts) or "no worker died"

    def wait_ready(self, timeout: float = 90) -> None:
        """Wait until every worker logged that it runs; raise if one died or it took too long."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.dead():
                raise RuntimeError(f"{self.describe_deaths()} at start; logs:\n{self.tail()}")
            if all(READY_LINE in log.read_text(errors="replace") for log in self.logs):
                return
            time.sleep(POLL)
        raise RuntimeError(f"the workers did not start within {timeout:g} s; logs:\n{self.tail()}")

    def stop(self) -> None:
        """Ask every worker to stop (SIGTERM), wait, and record the exit codes."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.exit_codes = [p.returncode for p in self.processes]

    def problems(self) -> list[str]:
        """Return error lines and tracebacks from the worker logs."""
        found: list[str] = []
        for log in self.logs:
            for line in log.read_text(errors="replace").splitlines():
                if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback"):
                    found.append(f"{log.name}: {line.strip()}")
        return found

    def tail(self, chars: int = 3000) -> str:
        """Return the end of every worker log."""
        parts = [
            f"--- {log.name}\n{log.read_text(errors='replace')[-chars:]}"
            for log in self.logs
            if log.exists()
        ]
        return "\n".join(parts)


# ------------------------------------------------------------------------------ measuring


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) a process used so far; 0 when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def database_backends(factory: sessionmaker[Session]) -> list[int]:
    """Return the pids of the PostgreSQL backends serving the bot (none on SQLite)."""
    with factory() as session:
        if session.get_bind().dialect.name != "postgresql":
            return []
        return list(
            session.scalars(
                text(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        )


@dataclass
class CpuUse:
    """CPU seconds used in a stretch of wall time, by who used them."""

    workers: float = 0.0
    database: float = 0.0
    sandbox: float = 0.0
    wall: float = 0.0

    def __str__(self) -> str:
        """Return e.g. '2.1 / 1.0 / 0.6 s in 4.6 s'."""
        return (
            f"{self.workers:.1f} / {self.database:.1f} / {self.sandbox:.1f} s in {self.wall:.1f} s"
        )


class CpuMeter:
    """Measures the CPU the workers, the database server and this process use meanwhile."""

    def __init__(self, pids: list[int], factory: sessionmaker[Session] | None = None) -> None:
        """Take the starting readings of these processes and of the database's backends."""
        self.factory = factory
        self.workers = {pid: cpu_seconds(pid) for pid in pids}
        self.backends = {pid: cpu_seconds(pid) for pid in self._backends()}
        self.own = time.process_time()
        self.started = time.monotonic()

    def stop(self) -> CpuUse:
        """Return what was used since the meter was made (backends that came later in full)."""
        wall = time.monotonic() - self.started
        own = time.process_time() - self.own
        workers = sum(cpu_seconds(pid) - before for pid, before in self.workers.items())
        backends = sum(cpu_seconds(pid) - self.backends.get(pid, 0.0) for pid in self._backends())
        return CpuUse(workers, backends, own, wall)

    def _backends(self) -> list[int]:
        """Return the database backends to watch (none without a factory)."""
        return database_backends(self.factory) if self.factory is not None else []


@dataclass
class Sent:
    """The notes one phase sent: send time by (chat, message_id), and texts by user."""

    times: dict[tuple[int, int], float] = field(default_factory=dict)
    texts: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    started: float = 0.0
    span_s: float = 0.0

    def record(self, user: SandboxUser, note: str) -> None:
        """Send one note as this user and remember when."""
        message = user.send_text(note)
        self.times[(user.chat_id, int(message["message_id"]))] = time.monotonic()
        self.texts[user.user_id].append(note)

    @property
    def count(self) -> int:
        """Return how many notes were sent."""
        return len(self.times)


def note_text(phase: str, number: int, user_id: int) -> str:
    """Return the unique text of one note."""
    return f"note {phase}{number} from {user_id}: the bench by the school is gone"


def send_burst(users: list[SandboxUser], messages: int, phase: str = "A") -> Sent:
    """Let every user send `messages` notes, round-robin, as fast as the sandbox takes them."""
    sent = Sent(started=time.monotonic())
    for number in range(1, messages + 1):
        for user in users:
            sent.record(user, note_text(phase, number, user.user_id))
    sent.span_s = time.monotonic() - sent.started
    return sent


def send_steady(users: list[SandboxUser], rate: float, seconds: float) -> Sent:
    """Send notes at `rate` per second across the users (round-robin) for `seconds`."""
    total = max(1, round(rate * seconds))
    sent = Sent(started=time.monotonic())
    for index in range(total):
        delay = sent.started + index / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        user = users[index % len(users)]
        sent.record(user, note_text("B", index // len(users) + 1, user.user_id))
    sent.span_s = time.monotonic() - sent.started
    return sent


def saved_obs_id(call: dict[str, Any]) -> int | None:
    """Return the observation id of a saved line's undo button, or None for other messages."""
    markup = call["params"].get("reply_markup")
    if markup is None:
        return None
    raw = markup if isinstance(markup, str) else json.dumps(markup)
    match = SAVED_BUTTON.search(raw)
    return int(match.group(1)) if match else None


def saved_lines(server: SandboxServer) -> list[tuple[float, int, int]]:
    """Return (arrival time, chat, observation id) of every accepted saved line."""
    found: list[tuple[float, int, int]] = []
    for call in server.calls("sendMessage"):
        if call["status"] == 200 and (obs_id := saved_obs_id(call)) is not None:
            found.append((call["time"], int(call["params"]["chat_id"]), obs_id))
    return found


def count_where(factory: sessionmaker[Session], *criteria: Any) -> int:
    """Return how many inbox rows (or outbox rows) match."""
    with factory() as session:
        return int(session.scalar(select(func.count()).where(*criteria)) or 0)


def max_inbox_id(factory: sessionmaker[Session]) -> int:
    """Return the highest inbox row id so far (0 when empty)."""
    with factory() as session:
        return int(session.scalar(select(func.max(InboxUpdate.id))) or 0)


def wait_for(
    condition: Callable[[], bool], timeout: float, fleet: Fleet, what: str
) -> float | None:
    """Poll until condition() holds; return when (monotonic), None on timeout; raise on a crash."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        if fleet.dead():
            raise RuntimeError(f"{fleet.describe_deaths()} while waiting for {what}")
        time.sleep(POLL)
    print(f"  ! timed out after {timeout:.0f} s waiting for {what}", flush=True)
    return None


@dataclass
class PhaseResult:
    """What one phase of one configuration measured."""

    notes: int
    send_span_s: float
    offered_rate: float
    processed: int = 0
    failed: int = 0
    process_span_s: float = float("nan")
    inbox_wait: list[float] = field(default_factory=list)
    outbox_wait: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    ideal_latencies: list[float] = field(default_factory=list)
    delivery_s: float = float("nan")
    ideal_delivery_s: float = float("nan")
    complete: bool = False
    cpu: CpuUse | None = None

    @property
    def notes_per_s(self) -> float:
        """Return inbox rows done per second, first received_at -> last processed_at."""
        return self.processed / self.process_span_s if self.process_span_s > 0 else float("nan")


@dataclass
class ConfigResult:
    """What one configuration measured, and what went wrong."""

    config: Config
    burst: PhaseResult | None = None
    steady: PhaseResult | None = None
    expected_notes: int = 0
    stored_notes: int = 0
    lost_notes: int = 0
    doubled_notes: int = 0
    lost_replies: int = 0
    doubled_replies: int = 0
    inbox_status: dict[str, int] = field(default_factory=dict)
    outbox_status: dict[str, int] = field(default_factory=dict)
    pending_updates: int = 0
    exit_codes: list[int | None] = field(default_factory=list)
    log_problems: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def broken(self) -> bool:
        """Say whether anything was lost, doubled, left undone or crashed."""
        not_done = {k: v for k, v in self.inbox_status.items() if k != "done"}
        not_sent = {k: v for k, v in self.outbox_status.items() if k != "sent"}
        return bool(
            self.error
            or self.lost_notes
            or self.doubled_notes
            or self.lost_replies
            or self.doubled_replies
            or not_done
            or not_sent
            or self.pending_updates
            or any(code != 0 for code in self.exit_codes)
        )


def phase_figures(
    factory: sessionmaker[Session],
    result: PhaseResult,
    first_id: int,
    last_id: int,
) -> None:
    """Fill in the processing figures of the inbox rows first_id < id <= last_id."""
    with factory() as session:
        rows = session.execute(
            select(InboxUpdate.status, InboxUpdate.received_at, InboxUpdate.processed_at).where(
                InboxUpdate.id > first_id, InboxUpdate.id <= last_id
            )
        ).all()
        sends = session.execute(
            select(OutboxMessage.created_at, OutboxMessage.sent_at).where(
                OutboxMessage.inbox_id > first_id,
                OutboxMessage.inbox_id <= last_id,
                OutboxMessage.method == "sendMessage",
                OutboxMessage.sent_at.is_not(None),
            )
        ).all()
    result.outbox_wait = [(row.sent_at - row.created_at).total_seconds() for row in sends]
    done = [row for row in rows if row.status == "done" and row.processed_at is not None]
    result.processed = len(done)
    result.failed = sum(1 for row in rows if row.status == "failed")
    if done:
        first = min(row.received_at for row in done)
        last = max(row.processed_at for row in done)
        result.process_span_s = (last - first).total_seconds()
        result.inbox_wait = [(row.processed_at - row.received_at).total_seconds() for row in done]


def latency_figures(
    result: PhaseResult,
    sent: Sent,
    calls: list[dict[str, Any]],
    note_of: dict[int, tuple[int, int]],
) -> None:
    """Fill in send -> saved-line latencies, and the same for an ideal sender at the limits.

    `calls` are this phase's accepted sendMessage calls in arrival order; the other messages a
    note causes ("where was this?", prompts) queue right behind its saved line, so the ideal
    sender gets them too, with the arrival time of the note they follow.
    """
    arrivals: list[tuple[float, int]] = []
    saved_index: list[tuple[int, float]] = []  # (index into arrivals, real latency)
    last_note: dict[int, float] = {}
    for call in calls:
        chat = int(call["params"]["chat_id"])
        obs_id = saved_obs_id(call)
        key = note_of.get(obs_id) if obs_id is not None else None
        if key is not None and key in sent.times:
            sent_at = sent.times[key]
            last_note[chat] = sent_at
            saved_index.append((len(arrivals), call["time"] - sent_at))
            arrivals.append((sent_at, chat))
        elif chat in last_note:
            arrivals.append((last_note[chat], chat))
    result.latencies = [latency for _, latency in saved_index]
    if calls:
        result.delivery_s = calls[-1]["time"] - sent.started
    if arrivals:
        slots = ideal_schedule(arrivals)
        result.ideal_latencies = [slots[i] - arrivals[i][0] for i, _ in saved_index]
        result.ideal_delivery_s = max(slots) - sent.started


def check_notes(
    factory: sessionmaker[Session], expected: dict[int, list[str]], result: ConfigResult
) -> dict[int, tuple[int, int]]:
    """Count lost and doubled notes; return each observation's (chat, message_id)."""
    with factory() as session:
        rows = session.execute(
            select(
                Observation.id,
                Observation.chat_id,
                Observation.message_id,
                Observation.text,
                Member.telegram_user_id,
            )
            .join(Member, Member.id == Observation.member_id)
            .where(Observation.kind == "walk_note")
        ).all()
        result.inbox_status, result.outbox_status = status_counts(session)
    stored: dict[int, Counter[str]] = defaultdict(Counter)
    for row in rows:
        stored[row.telegram_user_id][row.text or ""] += 1
    result.expected_notes = sum(len(texts) for texts in expected.values())
    result.stored_notes = len(rows)
    for user_id in set(expected) | set(stored):
        wanted = Counter(expected.get(user_id, []))
        got = stored.get(user_id, Counter())
        result.lost_notes += sum((wanted - got).values())
        result.doubled_notes += sum((got - wanted).values())
    return {row.id: (int(row.chat_id or 0), int(row.message_id or 0)) for row in rows}


def processed_since(
    factory: sessionmaker[Session], server: SandboxServer, first_id: int, count: int
) -> bool:
    """Say whether `count` updates arrived after inbox row first_id and all are processed."""
    return (
        server.pending_updates() == 0
        and count_where(factory, InboxUpdate.id > first_id, InboxUpdate.status == "new") == 0
        and count_where(factory, InboxUpdate.id > first_id) >= count
    )


def drained(factory: sessionmaker[Session], server: SandboxServer, saved_expected: int) -> bool:
    """Say whether every update is processed, every call sent and every saved line arrived."""
    return (
        server.pending_updates() == 0
        and count_where(factory, InboxUpdate.status == "new") == 0
        and count_where(factory, OutboxMessage.status == "pending") == 0
        and len(saved_lines(server)) >= saved_expected
    )


def run_config(config: Config, args: argparse.Namespace, workdir: Path) -> ConfigResult:
    """Run both phases against one configuration and check that nothing was lost or doubled."""
    result = ConfigResult(config)
    if config.backend == "sqlite":
        url = f"sqlite:///{workdir / f'{config.slug}.db'}"
    else:
        url = reset_postgres_database(args.postgres_url, args.database)
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    user_ids = [FIRST_USER_ID + i for i in range(args.users)]
    make_staff(factory, user_ids)
    server = SandboxServer(strict=False, rate_limits=False).start()
    fleet = Fleet(server, url, workdir, config)
    expected: dict[int, list[str]] = defaultdict(list)
    burst: Sent | None = None
    steady: Sent | None = None
    first_id = middle_id = last_id = 0
    middle_time = math.inf
    try:
        fleet.start()
        fleet.wait_ready()
        users = [
            server.user(user_id=uid, first_name=f"W{uid}", language_code="en") for uid in user_ids
        ]
        for user in users:
            user.send_command("/walk")
        for user in users:
            user.wait_for_messages(1, timeout=60)
        if wait_for(lambda: drained(factory, server, 0), 60, fleet, "the walks to start") is None:
            raise RuntimeError("the walks did not start")

        # Phase A: the burst.
        first_id = max_inbox_id(factory)
        meter = CpuMeter([p.pid for p in fleet.processes], factory)
        burst = send_burst(users, args.messages)
        notes = burst.count
        for user_id, texts in burst.texts.items():
            expected[user_id].extend(texts)
        result.burst = PhaseResult(notes, burst.span_s, notes / max(burst.span_s, 1e-9))
        processed = wait_for(
            lambda: processed_since(factory, server, first_id, notes),
            max(60.0, notes / 5),
            fleet,
            "the burst to be processed",
        )
        result.burst.cpu = meter.stop()
        expected_saved = notes
        # Replies: a saved line per note, a prompt every fourth, one question per walk.
        replies = notes * 1.25 + args.users
        result.burst.complete = processed is not None and (
            wait_for(
                lambda: drained(factory, server, expected_saved),
                replies / 20 + args.messages * 1.5 + 60,
                fleet,
                "the burst's replies",
            )
            is not None
        )
        middle_id = max_inbox_id(factory)
        middle_time = time.monotonic()

        # Phase B: a steady load below Telegram's limits.
        steady = send_steady(users, args.rate, args.seconds)
        for user_id, texts in steady.texts.items():
            expected[user_id].extend(texts)
        offered = (steady.count - 1) / steady.span_s if steady.count > 1 else args.rate
        result.steady = PhaseResult(steady.count, steady.span_s, offered)
        expected_saved += steady.count
        result.steady.complete = (
            wait_for(
                lambda: drained(factory, server, expected_saved),
                steady.count / 10 + 60,
                fleet,
                "the steady load's replies",
            )
            is not None
        )
        time.sleep(SETTLE_SECONDS)
        last_id = max_inbox_id(factory)
    except (RuntimeError, TimeoutError) as error:
        result.error = str(error).splitlines()[0]
        print(f"  ! {error}", flush=True)
    finally:
        fleet.stop()
        result.exit_codes = fleet.exit_codes
        result.log_problems = fleet.problems()
        result.pending_updates = server.pending_updates()
        calls = [
            call
            for call in sorted(server.calls("sendMessage"), key=lambda c: c["time"])
            if call["status"] == 200
        ]
        server.stop()

    note_of = check_notes(factory, expected, result)
    check_replies_from_calls(calls, note_of, result)
    middle_id = middle_id or max_inbox_id(factory)
    last_id = last_id or max_inbox_id(factory)
    if burst is not None and result.burst is not None:
        phase_figures(factory, result.burst, first_id, middle_id)
        burst_calls = [c for c in calls if burst.started <= c["time"] < middle_time]
        latency_figures(result.burst, burst, burst_calls, note_of)
    if steady is not None and result.steady is not None:
        phase_figures(factory, result.steady, middle_id, last_id)
        steady_calls = [c for c in calls if c["time"] >= steady.started]
        latency_figures(result.steady, steady, steady_calls, note_of)
    engine.dispose()
    if args.keep_logs:
        args.keep_logs.mkdir(parents=True, exist_ok=True)
        for log in fleet.logs:
            (args.keep_logs / log.name).write_bytes(log.read_bytes())
    return result


def check_replies_from_calls(
    calls: list[dict[str, Any]], note_of: dict[int, tuple[int, int]], result: ConfigResult
) -> None:
    """Count stored notes without a saved line, and saved lines that arrived more than once."""
    seen = Counter(obs_id for call in calls if (obs_id := saved_obs_id(call)) is not None)
    result.lost_replies = sum(1 for obs_id in note_of if obs_id not in seen)
    result.doubled_replies = sum(count - 1 for count in seen.values() if count > 1)


# ------------------------------------------------------------------------------ echo bot


@dataclass
class EchoRound:
    """One burst sent to the echo bot."""

    started: float
    handled: int = 0
    span_s: float = float("nan")
    cpu: CpuUse | None = None

    @property
    def updates_per_s(self) -> float:
        """Return updates handled per second, first handler start -> last reply sent."""
        return self.handled / self.span_s if self.span_s > 0 else float("nan")


@dataclass
class EchoResult:
    """What the echo bot runs measured (the same burst, several rounds)."""

    total: int
    rounds: list[EchoRound] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    lost: int = 0
    duplicates: int = 0
    exit_code: int | None = None
    error: str | None = None

    @property
    def median(self) -> EchoRound | None:
        """Return the round with the median rate (the lower middle one for an even count)."""
        measured = [r for r in self.rounds if not math.isnan(r.updates_per_s)]
        if not measured:
            return None
        return sorted(measured, key=lambda r: r.updates_per_s)[(len(measured) - 1) // 2]

    @property
    def updates_per_s(self) -> float:
        """Return the median round's updates handled per second."""
        median = self.median
        return median.updates_per_s if median else float("nan")


def start_echo_bot(server: SandboxServer, times_file: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start benchmarks/echo_bot.py against the sandbox and wait until it polls."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "echo_bot.py"),
                "--token",
                server.token,
                "--base-url",
                server.base_url,
                "--base-file-url",
                server.base_file_url,
                "--times",
                str(times_file),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    deadline = time.monotonic() + 60
    while not server.calls("getUpdates"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the echo bot did not start: {log.read_text()[-2000:]}")
        time.sleep(POLL)
    return process


def echoes_since(server: SandboxServer, started: float) -> dict[int, list[float]]:
    """Return the arrival times of the echo bot's replies since a moment, by chat."""
    found: dict[int, list[float]] = defaultdict(list)
    for call in server.calls("sendMessage"):
        if call["status"] == 200 and call["time"] >= started:
            found[int(call["params"]["chat_id"])].append(call["time"])
    return found


def run_echo(args: argparse.Namespace, workdir: Path) -> EchoResult:
    """Send the same burst, --echo-rounds times, to the PTB echo bot in its own process."""
    total = args.users * args.messages
    result = EchoResult(total)
    times_file = workdir / "echo-times.json"
    server = SandboxServer(strict=False, rate_limits=False).start()
    process: subprocess.Popen[bytes] | None = None
    try:
        users = [
            server.user(user_id=FIRST_USER_ID + i, first_name=f"E{i}", language_code="en")
            for i in range(args.users)
        ]
        process = start_echo_bot(server, times_file, workdir / "echo.log")
        for number in range(1, args.echo_rounds + 1):
            meter = CpuMeter([process.pid])
            burst = send_burst(users, args.messages, phase=f"E{number}-")
            round_ = EchoRound(burst.started)
            deadline = time.monotonic() + total / 20 + 60
            while time.monotonic() < deadline:
                if sum(map(len, echoes_since(server, burst.started).values())) >= total:
                    break
                time.sleep(POLL)
            round_.cpu = meter.stop()
            time.sleep(SETTLE_SECONDS)
            sent: dict[int, list[float]] = defaultdict(list)
            for (chat, _message_id), at in sorted(burst.times.items(), key=lambda item: item[1]):
                sent[chat].append(at)
            latencies, lost, duplicates = pair_latencies(sent, echoes_since(server, burst.started))
            result.latencies.extend(latencies)
            result.lost += lost
            result.duplicates += duplicates
            result.rounds.append(round_)
    except RuntimeError as error:
        result.error = str(error)
    finally:
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                result.exit_code = process.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                process.kill()
                result.exit_code = process.wait()
        server.stop()
    handled = json.loads(times_file.read_text()) if times_file.exists() else []
    bounds = [r.started for r in result.rounds[1:]] + [math.inf]
    for round_, until in zip(result.rounds, bounds, strict=True):
        mine = [(start, end) for start, end in handled if round_.started <= start < until]
        round_.handled = len(mine)
        if mine:
            round_.span_s = max(end for _, end in mine) - min(start for start, _ in mine)
    return result


# ------------------------------------------------------------------------------ report


def _s(seconds: float) -> str:
    """Format seconds with sensible precision."""
    if math.isnan(seconds):
        return "n/a"
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def _pp(values: list[float]) -> str:
    """Format the p50 / p95 of values."""
    if not values:
        return "n/a"
    return f"{_s(percentile(values, 0.5))} / {_s(percentile(values, 0.95))}"


def echo_processed(echo: EchoResult) -> str:
    """Describe the echo bot's median round and the rates of all rounds."""
    median = echo.median
    if median is None:
        return "n/a"
    rates = ", ".join(f"{r.updates_per_s:,.0f}" for r in echo.rounds)
    return (
        f"{median.handled}/{echo.total} in {_s(median.span_s)} "
        f"(median of {len(echo.rounds)} round{'s' if len(echo.rounds) > 1 else ''}: {rates}/s)"
    )


def throughput_rows(results: list[ConfigResult], echo: EchoResult) -> list[list[str]]:
    """Return the Phase A table: ingest rate, ratio to the echo bot, and integrity."""
    header = [
        "Configuration",
        "Notes processed/s",
        "Ratio to echo",
        "Processed",
        "Notes stored (lost / doubled)",
        "Saved lines (lost / doubled)",
        "Inbox / outbox left",
        "CPU while processing: workers / database / benchmark",
    ]
    rows = [header]
    median = echo.median
    for r in results:
        if r.burst is None:
            rows.append([r.config.label, "failed", "n/a", "n/a", "n/a", "n/a", r.error or "", ""])
            continue
        ratio = r.burst.notes_per_s / echo.updates_per_s
        verdict = "n/a" if math.isnan(ratio) else ("met" if ratio >= INGEST_GOAL else "MISSED")
        left_in = sum(v for k, v in r.inbox_status.items() if k != "done")
        left_out = sum(v for k, v in r.outbox_status.items() if k != "sent")
        rows.append(
            [
                r.config.label,
                f"{r.burst.notes_per_s:,.0f}",
                f"{ratio:.2f} ({verdict})",
                f"{r.burst.processed}/{r.burst.notes} in {_s(r.burst.process_span_s)}",
                f"{r.stored_notes}/{r.expected_notes} ({r.lost_notes} / {r.doubled_notes})",
                f"{r.lost_replies} / {r.doubled_replies}",
                f"{left_in} / {left_out}",
                str(r.burst.cpu) if r.burst.cpu else "n/a",
            ]
        )
    rows.append(
        [
            f"Echo bot (PTB {telegram.__version__})",
            f"{echo.updates_per_s:,.0f}",
            "1",
            echo_processed(echo),
            "stores nothing",
            f"{echo.lost} / {echo.duplicates} (echoes)",
            "-",
            str(median.cpu) if median and median.cpu else "n/a",
        ]
    )
    return rows


def latency_rows(results: list[ConfigResult], echo: EchoResult) -> list[list[str]]:
    """Return the latency table: steady load, and under the Phase A burst."""
    header = [
        "Configuration",
        "Steady p50 / p95",
        "Steady load",
        "Steady stages p50: inbox / outbox",
        "Burst p50 / p95",
        "Ideal sender, burst p50 / p95",
        "Burst delivered in (ideal)",
    ]
    rows = [header]
    for r in results:
        steady, burst = r.steady, r.burst
        rows.append(
            [
                r.config.label,
                _pp(steady.latencies) if steady else "n/a",
                f"{steady.notes} notes, {steady.offered_rate:.1f}/s" if steady else "n/a",
                (
                    f"{_s(percentile(steady.inbox_wait, 0.5))} / "
                    f"{_s(percentile(steady.outbox_wait, 0.5))}"
                    if steady
                    else "n/a"
                ),
                _pp(burst.latencies) if burst else "n/a",
                _pp(burst.ideal_latencies) if burst else "n/a",
                f"{_s(burst.delivery_s)} ({_s(burst.ideal_delivery_s)})" if burst else "n/a",
            ]
        )
    rows.append(
        [
            f"Echo bot (PTB {telegram.__version__})",
            "-",
            "-",
            "-",
            _pp(echo.latencies),
            "no limits kept",
            "-",
        ]
    )
    return rows


def print_table(rows: list[list[str]]) -> None:
    """Print rows as an aligned plain-text table (the first row is the header)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for number, row in enumerate(rows):
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            print("  " + "  ".join("-" * width for width in widths))


def markdown_table(rows: list[list[str]]) -> str:
    """Return rows as a Markdown table (the first row is the header)."""
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * len(rows[0])]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows[1:]]
    return "\n".join(lines)


README_TEXT = """## Ingest and latency of walk notes (`ingest.py`)

`python benchmarks/ingest.py [--users 60] [--messages 10] [--rate 10] [--seconds 20]
[--configs sqlite:1,postgresql:1,postgresql:2,postgresql:4] [--postgres-url URL] [--write-readme]`
runs several configurations of the real bot in one go, each as N separate
`python -m bot.runtime.cli run` processes against a fresh database (SQLite in a temporary folder,
or a
PostgreSQL database `buurtbot_bench_<pid>`, created anew for each configuration and dropped
after the run) and a fresh local Bot API sandbox in the benchmark's process; the workers start
together. The
sandbox enforces no rate limits; the bot paces itself (about 30 messages/s overall, about one a
second per chat). U users, all staff members, first start a walk (`/walk`, reply awaited),
then:

- **Phase A, throughput**: every user sends M walk notes, round-robin, as fast as the sandbox
  takes them. Each note is stored as an observation and answered with a "saved" line (with an
  undo button), plus one "where was this?" question on a walk's first note and a prompt every
  fourth note.
- **Phase B, latency**: notes at a steady rate (default 10/s across all users, so the replies
  stay well under Telegram's 30 messages/s) for S seconds, after the burst's replies are out.

The baseline is `benchmarks/echo_bot.py`, a plain python-telegram-bot `Application` with one
`MessageHandler` echoing every text (long polling, one update at a time, stores nothing, paces
nothing), also in a process of its own, sent the same U x M burst several times (`--echo-rounds`,
default 3: its rate over well under a second of work varies a lot from burst to burst; the
median round counts).

What the figures mean:

- *notes processed/s*: inbox rows of the burst done / (last `processed_at` - first
  `received_at`), from the database. A processed note is stored and its replies are durably
  queued in the outbox (not yet sent).
- *ratio to echo*: notes processed/s divided by the echo bot's updates handled/s (updates /
  first handler start -> last reply sent, median round); **goal >= 0.5**.
- *notes stored (lost / doubled)*: walk-note observations in the database against the notes
  sent, compared text by text per member, over both phases; *saved lines (lost / doubled)*:
  stored notes whose saved line never reached the sandbox, and saved lines that arrived more
  than once (matched by the observation id in the `g|obs|<id>|undo` button); *inbox / outbox
  left*: rows not done / not sent at the end. All of these must be 0 (the script exits 1
  otherwise, and also when a worker crashes or exits non-zero).
- *CPU while processing*: CPU seconds used from the first note of the burst until the benchmark
  saw every note processed (it looks every 0.2 s, so this wall time is a little longer than the
  processing span): by the bot's processes, by the PostgreSQL backends serving them (on SQLite
  that work is inside the bot's processes) and by the benchmark process (the sandbox answering
  getUpdates and sendMessage, the simulated users, the polling). Near 2 CPU-seconds per second
  of wall time the two cores, not the bot's design, set the pace.
- *steady p50 / p95*: a note's sending -> its saved line arriving at the sandbox, under the
  steady load of phase B: the time the bot itself adds (polling, dispatch, sender).
  *Steady stages p50* splits it, from the database: inbox `received_at -> processed_at`
  (waiting for a dispatcher, then storing the note and queueing its replies) and outbox
  `created_at -> sent_at` of the replies (waiting for the sender and its pacing); the rest is
  the long poll handing the update over and the HTTP calls themselves.
- *burst p50 / p95*: the same under the phase A burst. This is mostly queueing behind
  Telegram's limits (30 messages/s overall, 1/s per chat, and each note causes more than one
  message), not processing: the *ideal sender* column is the same figure for a simulated sender
  that needs no time at all and sends the oldest waiting message whenever the limits allow;
  *burst delivered in*: first note sent -> last reply of the burst at the sandbox (the ideal
  sender's in brackets). The echo bot keeps no limits, so its burst latency is no comparison
  for queueing, only for the work per update.

Times come from the database (ingest) and from `time.monotonic()` of the benchmark process,
which records both the users' sends and the sandbox's arrivals (latency). Two CPUs are shared by
the sandbox, the simulated users, the database server and up to four worker processes, so more
workers compete for the same cores. The figures move a lot from run to run (two successive
runs of one version on this quiet 2-CPU machine gave 99 and 196 notes/s with two PostgreSQL
workers), and more with other work on the machine, so the load average before the run and
after each part is recorded with the results; compare several runs on one quiet machine.
"""


def code_version() -> str:
    """Return the git commit the benchmark ran, noting uncommitted changes to tracked files."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return f"commit {commit}" + (" with local changes" if changed else "")


def write_readme(
    throughput: list[list[str]],
    latency: list[list[str]],
    args: argparse.Namespace,
    command: str,
    load: str,
    version: str,
) -> None:
    """Write the 'ingest' section of benchmarks/README.md."""
    body = (
        f"{README_TEXT}\nLatest results ({args.users} users x {args.messages} notes = "
        f"{args.users * args.messages} notes in the burst; steady load {args.rate:g} notes/s for "
        f"{args.seconds:g} s; python-telegram-bot {telegram.__version__}; {version}):\n\n"
        f"Phase A, throughput and integrity:\n\n{markdown_table(throughput)}\n\n"
        f"Latency, note sent -> saved line at the sandbox:\n\n{markdown_table(latency)}\n\n"
        f"{run_footer(command, load)}"
    )
    write_section("ingest", body)


def problems_of(results: list[ConfigResult], echo: EchoResult) -> list[str]:
    """Return one line per thing that went wrong."""
    problems: list[str] = []
    for r in results:
        name = r.config.label
        if r.error:
            problems.append(f"{name}: {r.error}")
        if r.lost_notes or r.doubled_notes:
            problems.append(f"{name}: notes lost {r.lost_notes}, doubled {r.doubled_notes}")
        if r.lost_replies or r.doubled_replies:
            problems.append(
                f"{name}: saved lines lost {r.lost_replies}, doubled {r.doubled_replies}"
            )
        not_done = {k: v for k, v in r.inbox_status.items() if k != "done"}
        if not_done:
            problems.append(f"{name}: inbox rows not done: {not_done}")
        not_sent = {k: v for k, v in r.outbox_status.items() if k != "sent"}
        if not_sent:
            problems.append(f"{name}: outbox rows not sent: {not_sent}")
        if r.pending_updates:
            problems.append(f"{name}: {r.pending_updates} updates never confirmed to the sandbox")
        if any(code != 0 for code in r.exit_codes):
            problems.append(f"{name}: worker exit codes {r.exit_codes}")
        for phase in (r.burst, r.steady):
            if phase is not None and not phase.complete:
                problems.append(f"{name}: not everything arrived before the timeout")
        problems.extend(f"{name}: {line}" for line in r.log_problems[:10])
    if echo.error:
        problems.append(f"echo bot: {echo.error}")
    if echo.lost or echo.duplicates:
        problems.append(f"echo bot: lost {echo.lost}, duplicates {echo.duplicates}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Run every configuration and the echo bot, print the tables, optionally store them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=60, help="users sending at once")
    parser.add_argument("--messages", type=int, default=10, help="burst notes per user")
    parser.add_argument("--rate", type=float, default=10.0, help="steady notes/s, all users")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the steady load")
    parser.add_argument("--configs", default=DEFAULT_CONFIGS, help="backend:workers,...")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BUURTBOT_TEST_DATABASE_URL") or DEFAULT_POSTGRES_URL,
        help="a PostgreSQL server to create the benchmark database on",
    )
    parser.add_argument(
        "--database",
        default=BENCH_DATABASE,
        help="PostgreSQL database to create, drop and create again (default: one per run)",
    )
    parser.add_argument(
        "--echo-rounds", type=int, default=3, help="bursts sent to the echo bot (median taken)"
    )
    parser.add_argument("--keep-logs", type=Path, help="copy the worker logs to this folder")
    parser.add_argument("--write-readme", action="store_true", help="update benchmarks/README.md")
    given = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(given)
    if min(args.users, args.messages, args.echo_rounds, args.rate, args.seconds) <= 0:
        parser.error("--users, --messages, --rate, --seconds and --echo-rounds must be above 0")
    try:
        configs = parse_configs(args.configs)
    except ValueError as error:
        parser.error(str(error))
    per_user = 1 + args.messages + math.ceil(args.rate * min(args.seconds, 60) / args.users)
    if per_user > FloodGuard().limit:
        parser.error(
            f"each user would send {per_user} updates within a minute; above "
            f"{FloodGuard().limit} the flood guard holds replies back by design"
        )
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    load = load_average()
    version = code_version()
    print(
        f"{args.users} users x {args.messages} notes = {args.users * args.messages} in the "
        f"burst; steady {args.rate:g} notes/s for {args.seconds:g} s (load average {load})",
        flush=True,
    )
    results: list[ConfigResult] = []
    loads: list[str] = []  # after each configuration: other work shows up here
    uses_postgres = any(c.backend == "postgresql" for c in configs)
    with tempfile.TemporaryDirectory(prefix="buurtbot-ingest-") as tmp:
        workdir = Path(tmp)
        try:
            for config in configs:
                print(f"{config.label} ...", flush=True)
                started = time.monotonic()
                results.append(run_config(config, args, workdir))
                loads.append(load_average())
                print(
                    f"  done in {time.monotonic() - started:.0f} s (load average {loads[-1]})",
                    flush=True,
                )
        finally:
            if uses_postgres:
                with contextlib.suppress(Exception):
                    drop_postgres_database(args.postgres_url, args.database)
        print(f"python-telegram-bot {telegram.__version__} echo bot ...", flush=True)
        echo = run_echo(args, workdir)
        loads.append(load_average())

    throughput = throughput_rows(results, echo)
    latency = latency_rows(results, echo)
    print("\nPhase A, throughput and integrity:")
    print_table(throughput)
    print("\nLatency, note sent -> saved line at the sandbox:")
    print_table(latency)
    problems = problems_of(results, echo)
    for problem in problems:
        print(f"  ! {problem}")
    if args.write_readme:
        command = shlex.join(["python", "benchmarks/ingest.py", *given])
        load = f"{load} (after each configuration and the echo bot: {', '.join(loads)})"
        write_readme(throughput, latency, args, command, load, version)
        print(f"wrote the ingest section of {HERE / 'README.md'}")
    broken = any(r.broken for r in results) or echo.lost or echo.duplicates or echo.error
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
