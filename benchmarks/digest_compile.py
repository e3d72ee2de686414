"""How long one weekly picture takes to compile as the history grows (the week stays the same).

    python benchmarks/digest_compile.py [--sizes 1000,10000,100000] [--runs 5] [--write-readme]

One organisation (wijken 1 and 2) on SQLite in a temporary folder. The pictured week (ISO
2026-W48) always holds the same fieldwork: 300 observations of every kind, 10 walks of 120 track
points and 20 stored photos; the week before it, which it is compared with, 150 observations and
5 walks. Before those, history is added in steps until it holds each of the given sizes of
observations, spread over 200 weeks (one walk per 30 observations, a stored photo row for one in
ten). After each step the script times `build_digest` (queries and
thumbnails), the same without a media folder (queries and computing only), and
`render_digest_html`, best and median of --runs, and counts the SELECTs.

Queries read through the (organisation, moment) indexes, so the time should stay flat while the
history grows a hundredfold. The one table without such an index is media_files (no index on
observation_id): the last line repeats the largest size with that index added, to show what it
would change.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from sqlalchemy import event, insert, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from bot.i18n import load_translator  # noqa: E402
from reports.digest import build_digest, week_start  # noqa: E402
from reports.render import render_digest_html  # noqa: E402
from storage import organisations as orgs  # noqa: E402
from storage.db import make_engine, make_session_factory, upgrade  # noqa: E402
from storage.models import MediaFile, Observation, TrackPoint, Walk  # noqa: E402

WEEK = (2026, 48)
KINDS = ("walk_note", "encounter", "key_person", "missing", "diary_entry")
THEMES = ("food", "shops", "health", "youth", "green", "mobility", "safety", None)
SECTION = "digest_compile"


def _observation(rnd: random.Random, org_id: int, member_id: int, when: datetime) -> dict:
    kind = rnd.choice(KINDS)
    details: dict[str, Any] = {}
    text_value = rnd.choice(("laundrette", "bank office", "bench", "playground", "doctor"))
    if kind == "encounter":
        details = {"who": "resident", "experience": f"I like {text_value}", "quote_ok": True}
    elif kind == "missing":
        details = {
            "status": "disappeared",
            "alternative": rnd.choice(("Molenbeek", "Jette", None)),
            "alternative_source": "typed",
            "distance_m": rnd.randint(300, 5000),
            "transport": rnd.choice(("foot", "transit", "car")),
            "affected": "older people",
        }
    elif kind == "diary_entry":
        details = {"need": text_value, "met": rnd.choice(("yes", "partly", "no"))}
    elif kind == "key_person":
        details = {"alias": "someone", "network": "parents"}
    lat = 50.8467 + rnd.uniform(-0.006, 0.006)
    lon = 4.3516 + rnd.uniform(-0.008, 0.008)
    return {
        "organisation_id": org_id,
        "member_id": member_id,
        "author": "P-BENCH",
        "kind": kind,
        "created_at": when,
        "text": text_value,
        "theme": rnd.choice(THEMES),
        "lat": lat,
        "lon": lon,
        "wijk_code": rnd.choice((1, 2)),
        "details": details,
    }


def _walks(
    session: Session, rnd: random.Random, org_id: int, member_id: int, starts: list[datetime]
) -> None:
    ids = []
    for start in starts:
        walk = Walk(
            organisation_id=org_id,
            member_id=member_id,
            author="P-BENCH",
            chat_id=1,
            started_at=start,
            ended_at=start + timedelta(hours=1),
            closed_reason="ended",
            distance_m=2000.0,
            prompts_sent=0,
        )
        session.add(walk)
        session.flush()
        ids.append((walk.id, start))
    points = []
    for walk_id, start in ids:
        lat, lon = 50.8467, 4.3516
        for step in range(120):
            lat += rnd.uniform(-0.0003, 0.0003)
            lon += rnd.uniform(-0.0003, 0.0003)
            points.append(
                {
                    "walk_id": walk_id,
                    "recorded_at": start + timedelta(seconds=30 * step),
                    "lat": lat,
                    "lon": lon,
                    "accuracy_m": 5.0,
                    "wijk_code": 1,
                }
            )
    if points:
        session.execute(insert(TrackPoint), points)


def _media_rows(session: Session, observation_ids: list[int], when: datetime, paths) -> None:
    rows = [
        {
            "observation_id": observation_id,
            "kind": "photo",
            "file_id": f"F{observation_id}",
            "file_unique_id": f"U{observation_id}",
            "path": path,
            "status": "stored",
            "attempts": 0,
            "created_at": when,
        }
        for observation_id, path in zip(observation_ids, paths, strict=True)
    ]
    if rows:
        session.execute(insert(MediaFile), rows)


def _insert_observations(session: Session, rows: list[dict]) -> list[int]:
    first = session.execute(text("SELECT COALESCE(MAX(id), 0) FROM observations")).scalar_one()
    session.execute(insert(Observation), rows)
    return list(range(first + 1, first + 1 + len(rows)))


def setup_week(factory: sessionmaker[Session], media: Path, rnd: random.Random) -> tuple[int, int]:
    """Create the organisation and the pictured week's fieldwork; return (org id, member id)."""
    now = datetime(2022, 1, 1, tzinfo=UTC)
    start = week_start(*WEEK)
    (media / "photo").mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(20):
        name = f"photo/p{index}.jpg"
        Image.new("RGB", (1280, 960), (40 + index * 9, 120, 160)).save(media / name, quality=85)
        paths.append(name)
    with factory.begin() as session:
        org = orgs.create_organisation(session, "Benchmark", now, "nl", [1, 2])
        invite = orgs.create_invite(session, org.id, "staff", now, timedelta(days=9999), 1)
        member = orgs.join_with_invite(session, invite, 1, "nl", "v1", now)
        rows = [
            _observation(rnd, org.id, member.id, start + timedelta(seconds=rnd.randint(0, 604799)))
            for _ in range(300)
        ]
        ids = _insert_observations(session, rows)
        _media_rows(session, ids[:20], start, paths)
        walk_starts = [start + timedelta(hours=9 + 12 * i) for i in range(10)]
        _walks(session, rnd, org.id, member.id, walk_starts)
        # The week before, compared with: 150 observations and 5 walks, also constant.
        before = start - timedelta(weeks=1)
        _insert_observations(
            session,
            [
                _observation(
                    rnd, org.id, member.id, before + timedelta(seconds=rnd.randint(0, 604799))
                )
                for _ in range(150)
            ],
        )
        _walks(
            session,
            rnd,
            org.id,
            member.id,
            [before + timedelta(hours=10 + 24 * i) for i in range(5)],
        )
        return org.id, member.id


def add_history(
    factory: sessionmaker[Session], org_id: int, member_id: int, count: int, rnd: random.Random
) -> None:
    """Add observations (and walks, photo rows) over the 200 weeks before the compared week.

    The week before the pictured one is what the figures are compared with, so it is read in
    full too: history stays out of it (setup_week gives it its own constant data).
    """
    end = week_start(*WEEK) - timedelta(weeks=1)
    span = int(timedelta(weeks=200).total_seconds())
    batch = 5000
    with factory.begin() as session:
        for offset in range(0, count, batch):
            size = min(batch, count - offset)
            moments = [end - timedelta(seconds=rnd.randint(1, span)) for _ in range(size)]
            ids = _insert_observations(
                session, [_observation(rnd, org_id, member_id, m) for m in moments]
            )
            photo_ids = ids[::10]
            _media_rows(
                session, photo_ids, end - timedelta(weeks=100), ["photo/p0.jpg"] * len(photo_ids)
            )
            _walks(session, rnd, org_id, member_id, sorted(moments[::30]))


def measure(factory: sessionmaker[Session], org_id: int, media: Path, runs: int) -> dict:
    """Time build and render; return best/median milliseconds and the SELECT count."""
    engine = factory.kw["bind"]
    selects = 0

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        nonlocal selects
        if statement.lstrip().upper().startswith("SELECT"):
            selects += 1

    catalog = partial(load_translator().raw, "nl")
    builds: list[float] = []
    plain: list[float] = []
    renders: list[float] = []
    size = 0
    for run in range(runs + 1):
        if run == 1:
            event.listen(engine, "before_cursor_execute", count)
        with factory() as session:
            started = time.perf_counter()
            digest = build_digest(session, org_id, *WEEK, "nl", media_dir=media)
            built = time.perf_counter()
        page = render_digest_html(digest, catalog)
        rendered = time.perf_counter()
        size = len(page.encode())
        if run == 0:
            continue  # warm-up: gazetteer, templates, catalogs
        if run == 1:
            event.remove(engine, "before_cursor_execute", count)
        builds.append((built - started) * 1000)
        renders.append((rendered - built) * 1000)
        with factory() as session:
            started = time.perf_counter()
            build_digest(session, org_id, *WEEK, "nl")  # no media folder: no thumbnails
            plain.append((time.perf_counter() - started) * 1000)
    return {
        "build_best": min(builds),
        "build_median": statistics.median(builds),
        "queries_median": statistics.median(plain),
        "render_median": statistics.median(renders),
        "selects": selects,
        "kb": size / 1024,
        "week_observations": digest.observations,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args(argv)
    sizes = sorted(int(part) for part in args.sizes.split(",") if part.strip())
    rnd = random.Random(args.seed)
    load = os.getloadavg()[0]
    lines = [
        "| history (observations) | build best / median | no photos | render | SELECTs | HTML |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        media = Path(folder) / "media"
        org_id, member_id = setup_week(factory, media, rnd)
        have = 0
        result: dict = {}
        for size in sizes:
            add_history(factory, org_id, member_id, size - have, rnd)
            have = size
            result = measure(factory, org_id, media, args.runs)
            lines.append(_row(f"{size:,}", result))
            print(lines[-1], flush=True)
        with engine.begin() as connection:
            connection.execute(
                text("CREATE INDEX bench_media_observation ON media_files (observation_id)")
            )
        result = measure(factory, org_id, media, args.runs)
        lines.append(_row(f"{have:,} + index on media_files.observation_id", result))
        print(lines[-1], flush=True)
        engine.dispose()
    week = result["week_observations"]
    header = (
        f"The pictured week: {week} observations, 10 walks x 120 track points, 20 photos "
        f"(thumbnails made each run); the week before: 150 observations, 5 walks. "
        f"SQLite, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        f"{load:.2f} at the start (other processes add noise), median of "
        f"{args.runs} runs after a warm-up."
    )
    print(header)
    if args.write_readme:
        write_readme("\n".join([header, "", *lines]))
    return 0


def _row(label: str, result: dict) -> str:
    return (
        f"| {label} | {result['build_best']:.0f} / {result['build_median']:.0f} ms | "
        f"{result['queries_median']:.0f} ms | {result['render_median']:.0f} ms | "
        f"{result['selects']} | {result['kb']:.0f} KB |"
    )


def write_readme(figures: str) -> None:
    """Replace (or append) this script's section of benchmarks/README.md, if it exists."""
    readme = ROOT / "benchmarks" / "README.md"
    if not readme.exists():
        return
    body = (
        f"<!-- section:{SECTION} -->\n## Weekly picture (`digest_compile.py`)\n\n"
        "`python benchmarks/digest_compile.py [--sizes 1000,10000,100000] [--runs 5] "
        "[--write-readme]` compiles the same week of one organisation while its history grows "
        "(observations spread over 200 weeks before the two compared weeks, with walks and "
        "photo rows), and "
        "times the builder (queries and thumbnails) and the HTML renderer. The week's queries "
        "read through the (organisation, moment) indexes, so the time should not grow with the "
        "history; the last row adds the index on media_files.observation_id that the schema "
        "lacks.\n\n"
        f"{figures}\n<!-- /section:{SECTION} -->"
    )
    current = readme.read_text()
    start = current.find(f"<!-- section:{SECTION} -->")
    end_marker = f"<!-- /section:{SECTION} -->"
    end = current.find(end_marker)
    if start >= 0 and end > start:
        current = current[:start] + body + current[end + len(end_marker) :]
    else:
        current = current.rstrip("\n") + "\n\n" + body + "\n"
    readme.write_text(current)


if __name__ == "__main__":
    sys.exit(main())
