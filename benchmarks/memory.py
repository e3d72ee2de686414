"""Peak memory of the running bot over a history of a million observations.

    python benchmarks/memory.py [--observations 1000000] [--database-url URL] [--reset]
                                [--write-readme]

1. Fill: a database (by default a SQLite file in a temporary folder; a PostgreSQL URL works
   too, empty or with --reset) is migrated with storage.db.upgrade and filled with bulk core
   inserts (executemany in chunks, no ORM objects): four organisations with their buurt, their
   members (coordinators, staff, volunteers, residents), N observations of every kind spread over
   25 months (texts, themes, details, positions in Brussels with their wijk), closed walks with
   track points, photo rows (a few files on disk), key-person follow-ups (sent) and 30-day
   diaries with their entries; some diaries are due a reminder, some a summary.
2. Run: the real bot process (`python -m bot.runtime.cli run`) against the local Bot API sandbox.
   Its
   scheduled work starts at once: the weekly picture of every organisation (each is due), diary
   reminders and summaries, and housekeeping with retention (the history is older than every
   organisation's retention period, so its first run clears months of text and photos). Then
   volunteers walk (live location, notes, a photo, /endwalk) while coordinators ask /digest,
   /export (CSV of everything, GeoJSON of four weeks, XLSX of the week) and /team.
3. Measure: the bot process's resident memory, VmRSS sampled every 0.2 s per phase, and its
   peak VmHWM from /proc/<pid>/status at the end. Goal: peak < 150 MB. Then a bot started on
   an empty database, idle for a while: goal < 100 MB.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from PIL import Image  # noqa: E402
from sqlalchemy import Engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import ArgumentError  # noqa: E402
from update_readme import README, load_average, run_footer, write_section  # noqa: E402

from flows.diary import CONSENT_VERSION  # noqa: E402
from flows.themes import THEMES as THEME_NAMES  # noqa: E402
from geo import get_gazetteer  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402
from storage.db import READ_ONLY, make_engine, upgrade  # noqa: E402
from storage.models import (  # noqa: E402
    DeploymentValue,
    Diarist,
    Digest,
    InboxUpdate,
    MediaFile,
    Member,
    Observation,
    Organisation,
    OrganisationWijk,
    OutboxMessage,
    TrackPoint,
    Walk,
)
from storage.privacy import pseudonym  # noqa: E402

GOAL_MB = 150
IDLE_GOAL_MB = 100
IDLE_SECONDS = 10
SECTION = "memory"
TIMEZONE = "Europe/Brussels"
SECRET = "memory-benchmark-secret"
HISTORY_DAYS = 760  # about 25 months: older than every organisation's retention period
CHUNK = 10_000
OBSERVATIONS_PER_WALK = 50
POINTS_PER_WALK = 60
PHOTO_SHARE = 20  # one observation in 20 has a photo row
PHOTO_FILES = 40  # photo rows of the last weeks whose file exists (the digest thumbnails them)
FIRST_USER = 300_001
# name, language, retention months, buurt wijken
ORGANISATIONS = (
    ("Buurtwerk Noord", "nl", 24, (1, 2, 3, 4)),
    ("Maison de quartier Midi", "fr", 12, (10, 11, 12)),
    ("Community Centre Flagey", "en", 18, (40, 41, 42, 43)),
    ("Wijkhuis Molenbeek", "nl", 24, (60, 61, 62)),
)
ROLES = (("coordinator", 2), ("staff", 6), ("volunteer", 30), ("resident", 100))
KINDS = (
    ("walk_note", 45),
    ("encounter", 20),
    ("missing", 12),
    ("key_person", 5),
    ("diary_entry", 18),
)
THEMES = (*THEME_NAMES, None)
PHRASES = (
    "the bench by the school is gone",
    "laundrette closed for good, people go to Jette now",
    "new playground, children everywhere after four",
    "bank office replaced by a cash machine that is often empty",
    "the doctor takes no new patients",
    "market on the square is busy, lots of older people",
    "bus stop without shelter, people wait in the rain",
    "youth house open again on Wednesdays",
    "pharmacy moved two streets further",
    "street lights broken along the canal",
)
LANGUAGES = ("nl", "fr", "en")


@dataclass
class Person:
    """A member the sandbox knows, and who they are in the database."""

    member_id: int
    telegram_id: int
    organisation_id: int
    role: str
    language: str


@dataclass
class Population:
    """What the fill made, as far as the run needs to know."""

    organisations: list[int] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


# -- fill --------------------------------------------------------------------------------------


def place_pools(rnd: random.Random) -> tuple[list[list[tuple]], list[tuple]]:
    """Return located points per organisation's buurt and across Brussels (lat, lon, wijk, nis)."""
    gazetteer = get_gazetteer()
    pools: list[list[tuple]] = []
    for _name, _language, _months, wijken in ORGANISATIONS:
        candidates = []
        for code in wijken:
            wijk = gazetteer.wijk(code)
            assert wijk is not None, code
            lat, lon = wijk.label
            candidates += [
                (lat + rnd.uniform(-0.004, 0.004), lon + rnd.uniform(-0.006, 0.006))
                for _ in range(150)
            ]
        pools.append(_located(candidates))
    south, west, north, east = gazetteer.bbox
    spread = [(rnd.uniform(south, north), rnd.uniform(west, east)) for _ in range(4000)]
    region = [p for p in _located(spread) if p[2] is not None]
    return pools, region


def _located(points: list[tuple[float, float]]) -> list[tuple]:
    found = get_gazetteer().locate_many(points)
    return [(loc.lat, loc.lon, loc.wijk_code, loc.municipality_nis) for loc in found]


def _chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _bulk(engine: Engine, table: Any, rows: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> int:
    """Insert rows with executemany, a chunk per statement, one transaction; return how many."""
    count = 0
    with engine.begin() as connection:
        for chunk in _chunks(iter(rows)):
            connection.execute(insert(table.__table__), chunk)
            count += len(chunk)
    return count


def _details(rnd: random.Random, kind: str, when: datetime, phrase: str) -> dict[str, Any]:
    if kind == "encounter":
        return {
            "who": rnd.choice(("resident", "user", "shopkeeper", "passerby")),
            "experience": f"I like {phrase}",
            "quote_ok": rnd.random() < 0.5,
            "topics": rnd.sample(["play", "safety", "food", "care"], 2),
        }
    if kind == "missing":
        return {
            "status": rnd.choice(("disappeared", "never")),
            "alternative": rnd.choice(("Molenbeek", "Jette", "Anderlecht", None)),
            "alternative_source": "typed",
            "distance_m": rnd.randint(300, 5000),
            "transport": rnd.choice(("foot", "transit", "car")),
            "affected": "older people",
        }
    if kind == "key_person":
        return {
            "alias": rnd.choice(("the baker", "Fatima from the school", "the caretaker")),
            "role": "shopkeeper",
            "network": "parents of the primary school",
            "contact": "0470 00 00 00",
            "follow_up": "ask about the summer activities",
        }
    if kind == "diary_entry":
        return {
            "for_date": when.astimezone(ZoneInfo(TIMEZONE)).date().isoformat(),
            "need": phrase,
            "met": rnd.choice(("yes", "partly", "no")),
            "where_instead": rnd.choice(("Jette", "city centre", None)),
            "transport": rnd.choice(("foot", "transit", "car")),
        }
    return {"reflection": rnd.random() < 0.05}


def fill(url: str, count: int, media: Path, seed: int) -> Population:
    """Migrate and fill the database; return who is in it."""
    rnd = random.Random(seed)
    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    start = now - timedelta(days=HISTORY_DAYS)
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    population = Population()
    pools, region = place_pools(rnd)

    with engine.begin() as connection:
        for name, language, months, wijken in ORGANISATIONS:
            organisation_id = connection.execute(
                insert(Organisation.__table__)
                .values(
                    name=name,
                    language=language,
                    created_at=start - timedelta(days=30),
                    digest_weekday=1,
                    digest_time="00:00",
                    retention_months=months,
                )
                .returning(Organisation.__table__.c.id)
            ).scalar_one()
            population.organisations.append(organisation_id)
            connection.execute(
                insert(OrganisationWijk.__table__),
                [{"organisation_id": organisation_id, "wijk_code": code} for code in wijken],
            )
        telegram_id = FIRST_USER
        for organisation_id in population.organisations:
            for role, how_many in ROLES:
                for _ in range(how_many):
                    language = LANGUAGES[telegram_id % 3]
                    member_id = connection.execute(
                        insert(Member.__table__)
                        .values(
                            telegram_user_id=telegram_id,
                            organisation_id=organisation_id,
                            role=role,
                            language=language,
                            consent_version="2026-11",
                            consent_at=start,
                            joined_at=start + timedelta(days=rnd.randint(0, 60)),
                            active=True,
                        )
                        .returning(Member.__table__.c.id)
                    ).scalar_one()
                    population.people.append(
                        Person(member_id, telegram_id, organisation_id, role, language)
                    )
                    telegram_id += 1

    by_org: dict[int, dict[str, list[Person]]] = {}
    for person in population.people:
        by_org.setdefault(person.organisation_id, {}).setdefault(person.role, []).append(person)

    # Walks (closed) with their track points; ids are handed out here so rows can refer to them.
    # History stops 36 hours ago: no diary entry is about today, so every running diary is due.
    span = int((now - start).total_seconds()) - 36 * 3600
    walk_count = max(count // OBSERVATIONS_PER_WALK, 1)
    walks: list[dict[str, Any]] = []
    walks_of_org: dict[int, list[tuple[int, datetime]]] = {}
    walk_id = _next_id(engine, Walk)
    for _ in range(walk_count):
        org_index = rnd.randrange(len(population.organisations))
        organisation_id = population.organisations[org_index]
        walker = rnd.choice(by_org[organisation_id]["volunteer"])
        started = start + timedelta(seconds=rnd.randint(0, span))
        walks.append(
            {
                "id": walk_id,
                "organisation_id": organisation_id,
                "member_id": walker.member_id,
                "author": pseudonym(SECRET, walker.member_id),
                "chat_id": walker.telegram_id,
                "started_at": started,
                "ended_at": started + timedelta(minutes=POINTS_PER_WALK),
                "closed_reason": "ended",
                "last_point_at": started + timedelta(minutes=POINTS_PER_WALK - 1),
                "distance_m": round(rnd.uniform(800, 4000), 1),
                "prompts_sent": 0,
            }
        )
        walks_of_org.setdefault(organisation_id, []).append((walk_id, started))
        walk_id += 1
    population.counts["walks"] = _bulk(engine, Walk, walks)

    def points() -> Iterator[dict[str, Any]]:
        for walk in walks:
            org_index = population.organisations.index(walk["organisation_id"])
            lat, lon, wijk, _nis = rnd.choice(pools[org_index])
            for step in range(POINTS_PER_WALK):
                lat += rnd.uniform(-0.0003, 0.0003)
                lon += rnd.uniform(-0.0003, 0.0003)
                yield {
                    "walk_id": walk["id"],
                    "recorded_at": walk["started_at"] + timedelta(minutes=step),
                    "lat": lat,
                    "lon": lon,
                    "accuracy_m": 8.0,
                    "wijk_code": wijk,
                }

    population.counts["track_points"] = _bulk(engine, TrackPoint, points())

    # Observations, with photo rows for one in PHOTO_SHARE.
    kinds = [kind for kind, weight in KINDS for _ in range(weight)]
    first_id = _next_id(engine, Observation)
    photos: list[dict[str, Any]] = []
    recent = now - timedelta(days=10)

    def observations() -> Iterator[dict[str, Any]]:
        for index in range(count):
            org_index = index % len(population.organisations)
            organisation_id = population.organisations[org_index]
            people = by_org[organisation_id]
            kind = rnd.choice(kinds)
            author = rnd.choice(people["resident" if kind == "diary_entry" else "volunteer"])
            when = start + timedelta(seconds=rnd.randint(0, span))
            phrase = rnd.choice(PHRASES)
            lat, lon, wijk, nis = rnd.choice(pools[org_index] if rnd.random() < 0.85 else region)
            follow_up = None
            sent = None
            if kind == "key_person" and rnd.random() < 0.3:
                follow_up = (when + timedelta(days=14)).date()
                sent = when + timedelta(days=14) if follow_up < today else None
            walk_id = None
            if kind == "walk_note" and walks_of_org.get(organisation_id):
                walk_id = rnd.choice(walks_of_org[organisation_id])[0]
            observation_id = first_id + index
            if rnd.randrange(PHOTO_SHARE) == 0:
                photos.append(
                    {
                        "observation_id": observation_id,
                        "kind": "photo",
                        "file_id": f"F{observation_id}",
                        "file_unique_id": f"U{observation_id}",
                        "file_size": 120_000,
                        "mime_type": "image/jpeg",
                        "path": f"photo/{when:%Y-%m}/{observation_id:08x}.jpg",
                        "status": "stored",
                        "attempts": 1,
                        "created_at": when,
                    }
                )
            yield {
                "id": observation_id,
                "organisation_id": organisation_id,
                "member_id": author.member_id,
                "author": pseudonym(SECRET, author.member_id),
                "kind": kind,
                "created_at": when,
                "text": f"{phrase} ({index})",
                "theme": rnd.choice(THEMES),
                "lat": lat + rnd.uniform(-0.0002, 0.0002),
                "lon": lon + rnd.uniform(-0.0002, 0.0002),
                "accuracy_m": rnd.choice((5.0, 12.0, 30.0)),
                "location_source": "message",
                "wijk_code": wijk,
                "municipality_nis": nis,
                "in_brussels": wijk is not None,
                "in_buurt": wijk in ORGANISATIONS[org_index][3],
                "walk_id": walk_id,
                "details": _details(rnd, kind, when, phrase),
                "follow_up_on": follow_up,
                "follow_up_sent_at": sent,
            }

    population.counts["observations"] = _bulk(engine, Observation, observations())
    population.counts["media_files"] = _bulk(engine, MediaFile, photos)
    # The newest photos exist on disk: the weekly pictures make thumbnails of them.
    fresh = sorted((p for p in photos if p["created_at"] >= recent), key=lambda p: p["path"])
    for row in fresh[:PHOTO_FILES]:
        target = media / row["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shade = row["observation_id"] % 200
        Image.new("RGB", (1280, 960), (40 + shade // 2, 120, 160)).save(target, quality=85)
    population.counts["photo_files"] = min(len(fresh), PHOTO_FILES)

    # Diaries: every resident kept one. Most ended long ago (summary sent); per organisation 60
    # run now (reminder due: 00:00) and 10 ended three days ago, their summary due.
    diarists = []
    for organisation_id, roles in by_org.items():
        for number, person in enumerate(roles["resident"]):
            if number < 60:
                started = today - timedelta(days=5)
                summary = None
            elif number < 70:
                started = today - timedelta(days=33)
                summary = None
            else:
                started = today - timedelta(days=rnd.randint(60, HISTORY_DAYS - 40))
                summary = now - timedelta(days=1)
            diarists.append(
                {
                    "member_id": person.member_id,
                    "organisation_id": organisation_id,
                    "consent_version": CONSENT_VERSION,
                    "started_on": started,
                    "ends_on": started + timedelta(days=29),
                    "reminder_time": "00:00",
                    "home_wijk": ORGANISATIONS[population.organisations.index(organisation_id)][3][
                        0
                    ],
                    "summary_sent_at": summary,
                    "created_at": now - timedelta(days=(today - started).days),
                }
            )
    population.counts["diarists"] = _bulk(engine, Diarist, diarists)
    _advance_sequences(engine)
    engine.dispose()
    return population


def _next_id(engine: Engine, model: Any) -> int:
    with engine.connect() as connection:
        return (connection.scalar(select(func.max(model.id))) or 0) + 1


def _advance_sequences(engine: Engine) -> None:
    """After rows with explicit ids, move PostgreSQL's sequences past them; gather statistics.

    A database that has lived has its planner statistics (autovacuum); a fresh bulk load has
    none until ANALYZE.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
    with engine.begin() as connection:
        for table in ("walks", "track_points", "observations", "media_files", "diarists"):
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            )


def reset_postgres(url: str) -> None:
    """Drop everything in the database's public schema (only with --reset)."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def database_size(url: str, engine: Engine) -> str:
    """Return the database's size on disk, as far as it can be told."""
    if engine.dialect.name == "sqlite":
        database = Path(make_url(url).database or "")
        total = sum(
            p.stat().st_size for p in database.parent.glob(database.name + "*") if p.is_file()
        )
        return f"{total / 1e6:.0f} MB"
    with engine.connect() as connection:
        size = connection.scalar(text("SELECT pg_database_size(current_database())")) or 0
    return f"{size / 1e6:.0f} MB"


# -- run ---------------------------------------------------------------------------------------


class MemoryProbe:
    """Sample a process's VmRSS in a thread, per phase; read its VmHWM."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.pid = pid
        self.every = every
        self.phase = "start"
        self.peaks: dict[str, int] = {}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def status(self, field_name: str) -> int | None:
        """Return a /proc/<pid>/status field in kB, or None once the process is gone."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
        except (OSError, ValueError):
            return None
        return None

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = self.status("VmRSS")
            if rss is not None:
                self.samples += 1
                self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), rss)
            self._stop.wait(self.every)

    def start(self) -> MemoryProbe:
        """Begin sampling."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join()


# What `buurtbot run` imports before any work (the parser loads the commands tools add);
# reports/, openpyxl, Pillow and qrcode come only with the first file made.
BASELINE_CODE = """
import bot.runtime.app, bot.runtime.cli
bot.runtime.cli.build_parser()
from geo import get_gazetteer
get_gazetteer()
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(line.split()[1])
"""


def baseline_kb() -> int:
    """Return the RSS of a Python that imported what the bot imports and loaded the map."""
    result = subprocess.run(
        [sys.executable, "-c", BASELINE_CODE], capture_output=True, text=True, cwd=ROOT
    )
    return int(result.stdout.strip() or 0)


def idle_kb(workdir: Path) -> int:
    """Return the VmRSS of a bot process started on an empty database, after a quiet while."""
    url = f"sqlite:///{workdir / 'idle.db'}"
    upgrade(url)
    server = SandboxServer(strict=False, rate_limits=False).start()
    env = {
        **os.environ,
        "BUURTBOT_TELEGRAM_TOKEN": server.token,
        "BUURTBOT_TELEGRAM_API_URL": server.url,
        "BUURTBOT_DATABASE_URL": url,
        "BUURTBOT_MEDIA_DIR": str(workdir / "idle-media"),
        "BUURTBOT_POLL_TIMEOUT": "2",
        "BUURTBOT_LOG_LEVEL": "WARNING",
        "BUURTBOT_GEOCODER": "off",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.runtime.cli", "run"],
        env=env,
        stdout=(workdir / "idle.log").open("ab"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    probe = MemoryProbe(process.pid)
    try:
        deadline = time.monotonic() + 120
        while not server.calls("setMyCommands") and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(IDLE_SECONDS)
        return probe.status("VmRSS") or 0
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        server.stop()


class BotGone(RuntimeError):
    """The bot process ended while the benchmark waited for it."""


WATCHED: list[subprocess.Popen[bytes]] = []


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll a condition; return the seconds it took.

    Raises TimeoutError past the timeout, and BotGone as soon as the bot process has ended.
    """
    started = time.monotonic()
    while not condition():
        for process in WATCHED:
            if process.poll() is not None:
                raise BotGone(f"{what}: the bot process ended (exit code {process.returncode})")
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not done after {timeout:.0f} s")
        time.sleep(0.5)
    return time.monotonic() - started


def _count(engine: Engine, statement: Any) -> int:
    # A reader (deferred BEGIN on SQLite): it never waits for the bot's long housekeeping.
    with engine.execution_options(**{READ_ONLY: True}).connect() as connection:
        return connection.scalar(statement) or 0


def jpeg() -> bytes:
    """Return a small JPEG, as a phone would send a photo."""
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 140, 60)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def walker(user: Any, seed: int, errors: list[str]) -> None:
    """Walk: live location, notes, moving, a photo, end the walk."""
    rnd = random.Random(seed)
    try:
        lat, lon = 50.8467 + rnd.uniform(-0.01, 0.01), 4.3516 + rnd.uniform(-0.01, 0.01)
        user.send_command("/walk")
        user.wait_for_messages(1, timeout=120)
        live = user.send_location(lat, lon, live_period=3600, horizontal_accuracy=8)
        user.wait_for_messages(1, timeout=120)
        for note in range(8):
            lat += rnd.uniform(-0.0005, 0.0005)
            lon += rnd.uniform(-0.0005, 0.0005)
            user.edit_location(live["message_id"], lat, lon)
            user.send_text(f"{rnd.choice(PHRASES)} (walk note {note})")
            user.wait_for_messages(1, timeout=120)
        user.send_photo(jpeg(), caption="the empty shop window")
        user.wait_for_messages(1, timeout=120)
        user.send_command("/endwalk")
        user.wait_for_messages(1, timeout=120)
    except Exception as error:  # noqa: BLE001 - reported with the figures
        errors.append(f"walker {user.chat_id}: {type(error).__name__}: {error}"[:300])


def _button(user: Any, data: str, after: int, timeout: float) -> str:
    """Wait for a bot message after the first `after` with a button for `data`; return it.

    Buttons carry the chat's version before their data ("17|fmt:csv"): the full value is
    returned, to be clicked.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in reversed(user.messages()[after:]):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard") or []:
                for button in row:
                    value = button.get("callback_data") or ""
                    if value == data or value.endswith("|" + data):
                        return value
        time.sleep(0.2)
    raise TimeoutError(f"no button {data!r} after {timeout:.0f} s")


def _answered(
    user: Any, after: int, timeout: float, quiet: float = 3.0, at_least: int = 1
) -> float:
    """Wait for `at_least` bot messages after the first `after`, then until none came for `quiet` s.

    Returns the monotonic time the last of those messages was seen.
    """
    deadline = time.monotonic() + timeout
    count = after
    changed = time.monotonic()
    while time.monotonic() < deadline:
        now_count = len(user.messages())
        if now_count != count:
            count, changed = now_count, time.monotonic()
        elif count >= after + at_least and time.monotonic() - changed >= quiet:
            return changed
        time.sleep(0.2)
    raise TimeoutError(f"no answer after {timeout:.0f} s")


def _ask(user: Any, command: str, *taps: str, timeout: float = 900, messages: int = 1) -> float:
    """Send a command, tap the given buttons (by callback data); return when it was answered.

    `messages`: how many messages the answer has at least (a file is announced, then sent by
    the file worker: the step is answered when the file, or its refusal, comes).
    """
    seen = len(user.messages())
    user.send_command(command)
    for data in taps:
        value = _button(user, data, seen, 120)
        seen = len(user.messages())
        user.click(value)
    return _answered(user, seen, timeout, at_least=messages)


def coordinator(user: Any, errors: list[str], timings: dict[str, float]) -> None:
    """Ask for the weekly picture, three exports and the team."""
    steps = (
        ("/digest (this week)", "/digest", ("week:current",), 2),
        ("/export CSV, everything", "/export", ("fmt:csv", "period:all"), 2),
        ("/export GeoJSON, four weeks", "/export", ("fmt:geojson", "period:four_weeks"), 2),
        ("/export XLSX, this week", "/export", ("fmt:xlsx", "period:week"), 2),
        ("/team", "/team", ("done",), 1),
    )
    for label, command, taps, messages in steps:
        started = time.monotonic()
        try:
            timings[f"{label} [{user.chat_id}]"] = (
                _ask(user, command, *taps, messages=messages) - started
            )
        except Exception as error:  # noqa: BLE001 - reported with the figures
            errors.append(f"{label} ({user.chat_id}): {type(error).__name__}: {error}"[:300])


@dataclass
class RunResult:
    """What the run measured."""

    peaks_kb: dict[str, int]
    hwm_kb: int
    samples: int
    phase_seconds: dict[str, float]
    timings: dict[str, float]
    errors: list[str]
    replies: int
    documents: int
    exit_code: int | None


def run_bot(url: str, workdir: Path, media: Path, population: Population) -> RunResult:
    """Start the bot process, drive it, and sample its memory."""
    server = SandboxServer(strict=False, rate_limits=False).start()
    engine = make_engine(url)
    for person in population.people:
        server.user(user_id=person.telegram_id, first_name="Buur", language_code=person.language)
    env = {
        **os.environ,
        "BUURTBOT_TELEGRAM_TOKEN": server.token,
        "BUURTBOT_TELEGRAM_API_URL": server.url,
        "BUURTBOT_DATABASE_URL": url,
        "BUURTBOT_MEDIA_DIR": str(media),
        "BUURTBOT_SECRET_KEY": SECRET,
        "BUURTBOT_TIMEZONE": TIMEZONE,
        "BUURTBOT_POLL_TIMEOUT": "2",
        "BUURTBOT_LOG_LEVEL": "WARNING",
        "BUURTBOT_GEOCODER": "off",
    }
    log_path = workdir / "bot.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.runtime.cli", "run"],
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    WATCHED.append(process)
    probe = MemoryProbe(process.pid).start()
    errors: list[str] = []
    timings: dict[str, float] = {}
    phases: dict[str, float] = {}
    organisations = len(population.organisations)
    today = datetime.now(UTC).astimezone(ZoneInfo(TIMEZONE)).date()
    due_reminders = sum(1 for p in population.people if p.role == "resident") * 60 // 100
    try:
        # Phase 1: the scheduled work that starts with the bot.
        probe.phase = "startup + scheduled sweeps"
        started = time.monotonic()
        wait_for(lambda: server.calls("setMyCommands") != [], 120, "bot start")
        wait_for(
            lambda: _count(engine, select(func.count()).select_from(Digest)) >= organisations,
            900,
            "weekly pictures",
        )
        wait_for(
            lambda: (
                _count(
                    engine,
                    select(func.count())
                    .select_from(DeploymentValue)
                    .where(DeploymentValue.key.like("retention:%")),
                )
                >= organisations
            ),
            900,
            "retention",
        )
        wait_for(
            lambda: (
                _count(
                    engine,
                    select(func.count())
                    .select_from(Diarist)
                    .where(Diarist.last_reminded_on == today),
                )
                >= due_reminders
            ),
            300,
            "diary reminders",
        )
        _settle(engine, server, 300)
        phases[probe.phase] = time.monotonic() - started

        # Phase 2: volunteers walk while coordinators ask for pictures, exports and the team.
        probe.phase = "walks + /digest /export /team"
        started = time.monotonic()
        volunteers = [p for p in population.people if p.role == "volunteer"]
        walkers = [volunteers[i * 30 + j] for i in range(organisations) for j in range(5)]
        coordinators = [
            next(p for p in population.people if p.role == "coordinator" and p.organisation_id == o)
            for o in population.organisations[:2]
        ]
        threads = [
            threading.Thread(target=walker, args=(server.user(p.telegram_id), n, errors))
            for n, p in enumerate(walkers)
        ] + [
            threading.Thread(target=coordinator, args=(server.user(p.telegram_id), errors, timings))
            for p in coordinators
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(1800)
        _settle(engine, server, 300)
        phases[probe.phase] = time.monotonic() - started

        # Phase 3: quiet; the sweeps keep running.
        probe.phase = "idle after the work"
        started = time.monotonic()
        time.sleep(10)
        phases[probe.phase] = time.monotonic() - started
        hwm = probe.status("VmHWM") or 0
    finally:
        probe.stop()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        engine.dispose()
        server.stop()
    sent = [c for c in server.calls() if c["method"].startswith("send") and c["status"] == 200]
    if process.returncode not in (0, -signal.SIGTERM):
        errors.append(f"bot exited {process.returncode}: {log_path.read_text()[-1500:]}")
    logged = log_path.read_text(errors="replace").splitlines()
    errors += [f"bot log: {line}"[:300] for line in logged if " ERROR " in line]
    return RunResult(
        peaks_kb=probe.peaks,
        hwm_kb=hwm,
        samples=probe.samples,
        phase_seconds=phases,
        timings=timings,
        errors=errors,
        replies=len(sent),
        documents=sum(1 for c in sent if c["method"] == "sendDocument"),
        exit_code=process.returncode,
    )


def _settle(engine: Engine, server: SandboxServer, timeout: float) -> None:
    """Wait until every update is processed and every message sent."""

    def quiet() -> bool:
        waiting = _count(
            engine, select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "new")
        ) + _count(
            engine,
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == "pending"),
        )
        return waiting == 0 and server.pending_updates() == 0

    wait_for(quiet, timeout, "settling")
    time.sleep(2)


# -- report ------------------------------------------------------------------------------------


def report(
    args: argparse.Namespace,
    dialect: str,
    fill_s: float,
    size: str,
    population: Population,
    run: RunResult,
    idle_mb: float,
) -> str:
    """Return the figures as Markdown."""
    peak_mb = run.hwm_kb / 1024
    base_mb = baseline_kb() / 1024
    verdict = "met" if peak_mb < GOAL_MB else "MISSED"
    idle_verdict = "met" if idle_mb < IDLE_GOAL_MB else "MISSED"
    counts = population.counts
    lines = [
        "| Figure | Value | Detail |",
        "| --- | --- | --- |",
        f"| Peak RSS of the bot process (VmHWM) | {peak_mb:.0f} MB | goal < {GOAL_MB} MB: "
        f"{verdict} |",
    ]
    lines.append(
        f"| Idle bot process | {idle_mb:.0f} MB | goal < {IDLE_GOAL_MB} MB: {idle_verdict}; "
        f"`buurtbot run` on an empty, migrated database, {IDLE_SECONDS} s after it started |"
    )
    lines.append(
        f"| For scale: imports alone | {base_mb:.0f} MB | a Python that imported what "
        "`buurtbot run` imports, built its parser and loaded the wijk map, no work done |"
    )
    for phase, peak in run.peaks_kb.items():
        if phase == "start":
            continue
        seconds = run.phase_seconds.get(phase)
        took = f", {seconds:.0f} s" if seconds is not None else ""
        lines.append(f"| Peak VmRSS: {phase} | {peak / 1024:.0f} MB | sampled every 0.2 s{took} |")
    lines += [
        f"| History | {counts['observations']:,} observations | {dialect}, {size} on disk; "
        f"{counts['walks']:,} walks, {counts['track_points']:,} track points, "
        f"{counts['media_files']:,} photo rows ({counts['photo_files']} files), "
        f"{counts['diarists']:,} diarists, {len(population.people)} members in "
        f"{len(population.organisations)} organisations, over {HISTORY_DAYS} days |",
        f"| Fill | {fill_s:.0f} s | migrate + bulk inserts (executemany, {CHUNK:,} rows a "
        "statement) |",
    ]
    for label, seconds in run.timings.items():
        lines.append(f"| {label} | {seconds:.1f} s | command -> last message of the answer |")
    lines += [
        f"| Messages sent by the bot | {run.replies} | of which documents: {run.documents} |",
        f"| Errors | {len(run.errors)} | must be 0 |",
    ]
    return "\n".join(lines)


SECTION_TEXT = """## Memory (`memory.py`)

`python benchmarks/memory.py [--observations 1000000] [--database-url URL] [--write-readme]`
fills a database (a temporary SQLite file unless a URL is given; PostgreSQL works too, with
`--reset` to empty it first) with bulk inserts: four organisations over 25 months of fieldwork
(observations of every kind with texts, themes, positions and wijken; closed walks with track
points; photo rows; key-person follow-ups; 30-day diaries with entries). Then it starts the real
bot process (`python -m bot.runtime.cli run`) against the local Bot API sandbox and samples the
process's VmRSS every 0.2 s (peak per phase) and its VmHWM at the end:

1. *startup + scheduled sweeps*: the weekly picture of every organisation (all due), diary
   reminders and summaries, and housekeeping whose retention clears every organisation's text
   and photo rows older than its period (12, 18 or 24 months: the first run meets a lot);
2. *walks + /digest /export /team*: 20 volunteers walk (live location, 8 notes, a photo,
   /endwalk) while two coordinators ask /digest, /export as CSV of everything (over Telegram's
   50 MB, so refused with its estimated size), as GeoJSON of four weeks and as XLSX of the
   week, and /team;
3. *idle after the work*: ten quiet seconds.

Goals: peak resident memory below 150 MB, and below 100 MB for a bot that has just started on
an empty database and waits (the "idle" row: measured after the run, in a process of its
own). The bot imports what it needs to start (python-telegram-bot, SQLAlchemy, shapely; the
wijk map is loaded on first use, a located note or a picture, each polygon made a shapely
geometry as it is parsed);
reports/ with jinja2, openpyxl, Pillow and qrcode are imported only when a file is made (or a
walk's route drawn), aiohttp only for a webhook (the sandbox's commands on the parser do not
bring its server), psycopg and SQLAlchemy's PostgreSQL dialect only on PostgreSQL, and Alembic
only when a migration is due (a bot restarted on an up-to-date database skips it; a first start
that migrates keeps about 10 MB more). Nothing reads the history whole: retention, /export
(written while it is read, and given up as soon as the file passes Telegram's 50 MB), the
weekly picture, /team and the orphan sweep page through the tables or read one week (compare
with `--observations 20000`). On SQLite each pooled connection also keeps up to 2 MB of page
cache inside the bot's process (SQLite's default; with 512 KiB, tried once under load, the
first retention run over a million rows did not end within 900 s); a connection that was
held a second or more (an export, a picture, retention) gives that cache back with `PRAGMA
shrink_memory` when it returns to the pool, while the short transactions of the hot path keep
theirs (`storage/db.py`). PostgreSQL keeps its cache in the server (see the next section).
glibc's malloc is held to two arenas, and a dispatcher batch, sweep or file job that ran over a
second is followed by a garbage collection and `malloc_trim(0)` (`bot/runtime/memory.py`):
without them the memory one job freed stays with its thread's arena, and jobs in different
threads add up. The sender hands a document to python-telegram-bot as the open file
(`read_file_handle=False`), which httpx streams in 64 KB chunks.

What holds the memory (Dec 3; the bot's own `/proc/self/smaps`, `sys._debugmallocstats()`,
glibc's `mallinfo2`, SQLite's `sqlite3_memory_used` and where each thread was, sampled every
0.1 s inside the process over the same history): about 30 MB are mapped libraries (Python,
numpy, shapely's GEOS, OpenSSL, SQLite, Pillow); 66 to 72 MiB of pymalloc arenas hold 56 to
60 MB of live small Python objects, mostly modules and classes (the imports; reports/ with
jinja2, openpyxl and Pillow once the first file is made, openpyxl alone about 3 MB; Babel's
locale data once a date is formatted, 5 to 7 MB), then SQLAlchemy's 75 to 90 compiled
statements (about 36 KB each); the malloc heap (35 to 50 MB) holds SQLite's page caches (5 to
9 MB over the six pooled connections), the larger Python objects and GEOS's geometries. A
picture, an export page or retention adds a few MB while it runs and gives most of it back.
The one big jump was the sender: `InputFile` read a document whole and the request copied it,
so sending the 10 MB GeoJSON of four weeks added 9 to 20 MB at once, and the heap it grew
stayed (161 to 167 MB in three runs). Streamed, six runs (the one below included) peak at 146
to 148 MB, now at the end of the second phase, with no single step standing out: the margin
under 150 MB is small, and the rest is mostly code and data the bot uses. Tried without a
gain: fixed glibc mmap and trim thresholds (146 against 147 MB), one malloc arena (151 MB, and
slower under load), and a trim after every file job however short (147 MB).
"""


DIALECT_TEXT = """## Memory on {dialect} (`memory.py --database-url ...`)

The same run as above with the bot on {dialect} (a server on this machine) instead of SQLite.
"""


def _hide_password(word: str) -> str:
    """Return a command-line word with the password of a database URL masked."""
    if "://" not in word:
        return word
    try:
        return make_url(word).render_as_string(hide_password=True)
    except ArgumentError:
        return word


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp folder")
    parser.add_argument("--reset", action="store_true", help="empty a PostgreSQL database first")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args(argv)
    load = load_average()
    with tempfile.TemporaryDirectory(prefix="memory-bench-") as folder:
        workdir = Path(folder)
        url = args.database_url or f"sqlite:///{workdir / 'buurtbot.db'}"
        if args.reset and url.startswith("postgres"):
            reset_postgres(url)
        engine = make_engine(url)
        dialect = engine.dialect.name
        if dialect != "sqlite" or args.database_url:
            with engine.connect() as connection:
                has_tables = connection.dialect.has_table(connection, "observations")
            if has_tables and _count(engine, select(func.count()).select_from(Observation)):
                print("the database holds observations already; use an empty one (or --reset)")
                return 2
        media = workdir / "media"
        media.mkdir()
        started = time.perf_counter()
        population = fill(url, args.observations, media, args.seed)
        fill_s = time.perf_counter() - started
        size = database_size(url, engine)
        engine.dispose()
        print(
            f"fill: {population.counts['observations']:,} observations in {fill_s:.0f} s ({size})",
            flush=True,
        )
        run = run_bot(url, workdir, media, population)
        idle_mb = idle_kb(workdir) / 1024
    table = report(args, dialect, fill_s, size, population, run, idle_mb)
    print(table)
    for error in run.errors:
        print("error:", error)
    if args.write_readme:
        words = [_hide_password(word) for word in (argv or sys.argv[1:])]
        command = shlex.join(["python", "benchmarks/memory.py", *words])
        footer = run_footer(command, load)
        if dialect == "sqlite":
            section = SECTION
            body = f"{SECTION_TEXT}\nLatest results:\n\n{table}\n\n{footer}"
        else:
            section = f"{SECTION}_{dialect}"
            name = {"postgresql": "PostgreSQL"}.get(dialect, dialect)
            body = f"{DIALECT_TEXT.format(dialect=name)}\n{table}\n\n{footer}"
        write_section(section, body)
        print(f"wrote the {section} section of {README}")
    return 1 if run.errors else 0


if __name__ == "__main__":
    sys.exit(main())
