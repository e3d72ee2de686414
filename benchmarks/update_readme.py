"""Keep benchmarks/README.md up to date: one marked section per benchmark script.

Each script owns the text between ``<!-- section:NAME -->`` and ``<!-- /section:NAME -->``;
rewriting a section leaves the rest of the file (other sections, hand-written text) alone.

Usage:
    python benchmarks/update_readme.py geo_lookup [script args]   # run it, store its output
    python benchmarks/update_readme.py memory [script args]       # same as --write-readme
    python benchmarks/pipeline.py --write-readme                  # writes its own section
    python benchmarks/update_readme.py all                        # every section in turn

Sections: pipeline, ingest, geo_lookup, digest_compile, round_report, diary_reminders, memory
(memory_postgresql for a run with a PostgreSQL URL; `all` leaves it out). Each script but
geo_lookup writes its own section with --write-readme, through write_section() and
run_footer() (date, machine, load) below.
"""

from __future__ import annotations

import importlib
import os
import platform
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"

HEADER = """# Benchmarks

Each script in this folder prints its figures; the latest results are kept below. The text
between `<!-- section:NAME -->` markers is rewritten by that benchmark (`--write-readme`, or
`python benchmarks/update_readme.py NAME`); anything outside the markers is left alone.
"""

ORDER = (
    "pipeline",
    "ingest",
    "note_path",
    "deployment",
    "geo_lookup",
    "digest_compile",
    "round_report",
    "diary_reminders",
    "memory",
    "memory_postgresql",
)
# Scripts whose main() writes their own section when given --write-readme.
SELF_WRITING = (
    "pipeline",
    "ingest",
    "digest_compile",
    "round_report",
    "diary_reminders",
    "memory",
)

GEO_LOOKUP_TEXT = """## Point lookup (`geo_lookup.py`)

`python benchmarks/geo_lookup.py [--points 20000] [--seed 7]` drops random points in the
region's bounding box and finds the wijk/municipality of each one, three ways: the STRtree
index (`Gazetteer.locate`), a naive loop over every polygon (`locate_naive`) and the vectorised
bulk lookup (`locate_many`). It prints the time to load the GeoJSON and build the indexes,
lookups per second for each method, the speed-up of the index over the naive loop (also for the
points inside Brussels alone, where the naive loop stops early and the gap is smaller), and how
many results differ between the methods. That last figure must be 0 (the script exits 1
otherwise).
"""


def run_date() -> str:
    """Return the current time as `date -u` prints it."""
    try:
        out = subprocess.run(["date", "-u"], capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return datetime.now(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def cpu_model() -> str:
    """Return the CPU model name, if the platform tells."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """Return one line describing the machine and the Python running the benchmark."""
    return (
        f"{platform.platform()}, {cpu_model()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )


def load_average() -> str:
    """Return the 1-minute load average (other work on the machine skews timings)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        return "unknown"


def run_footer(command: str, load: str | None = None) -> str:
    """Return the 'when, where, how' lines that close a results block."""
    return (
        f"Run: {run_date()} on {machine()}; load average before the run "
        f"{load or load_average()}.\nCommand: `{command}`\n"
    )


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- section:{name} -->", f"<!-- /section:{name} -->"


def write_section(name: str, body: str, readme: Path = README) -> None:
    """Replace (or add) the section NAME of the README, keeping everything else."""
    start, end = _markers(name)
    block = f"{start}\n{body.strip()}\n{end}"
    text = readme.read_text(encoding="utf-8") if readme.exists() else HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text, count=1)
    else:
        # Put known sections in a fixed order; unknown ones go to the end.
        following = list(ORDER[ORDER.index(name) + 1 :]) if name in ORDER else []
        anchor = next((text.find(_markers(n)[0]) for n in following if _markers(n)[0] in text), -1)
        if anchor >= 0:
            text = text[:anchor] + block + "\n\n" + text[anchor:]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")


def update_geo_lookup(args: list[str]) -> int:
    """Run geo_lookup.py, echo its output and store it in the README."""
    command = ["python", "benchmarks/geo_lookup.py", *args]
    load = load_average()
    result = subprocess.run(
        [sys.executable, str(HERE / "geo_lookup.py"), *args],
        capture_output=True,
        text=True,
        cwd=HERE.parent,
    )
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        print(f"geo_lookup.py exited {result.returncode}; README not changed", file=sys.stderr)
        return result.returncode
    body = (
        f"{GEO_LOOKUP_TEXT}\nLatest results:\n\n```\n{result.stdout.strip()}\n```\n\n"
        f"{run_footer(shlex.join(command), load)}"
    )
    write_section("geo_lookup", body)
    print(f"wrote the geo_lookup section of {README}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Regenerate one benchmark's README section."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name == "all":
        # Each in its own process: the scripts start bots, sandboxes and databases of their own.
        failed = 0
        for section in (n for n in ORDER if n != "memory_postgresql"):
            print(f"== {section}", flush=True)
            command = [sys.executable, str(Path(__file__).resolve()), section]
            failed |= subprocess.run(command, check=False).returncode != 0
        return 1 if failed else 0
    if name == "geo_lookup":
        return update_geo_lookup(rest)
    if name in SELF_WRITING:
        sys.path.insert(0, str(HERE))
        module = importlib.import_module(name)
        return module.main([*rest, "--write-readme"])
    print(f"unknown benchmark {name!r}; known: {', '.join(ORDER)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
