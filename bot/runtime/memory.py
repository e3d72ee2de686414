"""Give memory that long jobs freed back to the system, and keep malloc to a few arenas.

CPython hands every object above 512 bytes (result rows' buffers, a file's text, a picture's
HTML) to the C library's malloc. glibc keeps what is freed for reuse instead of returning it,
and it keeps it per arena: every thread that allocates gets an arena of its own, up to eight
per CPU. A weekly picture made in one worker thread and an export made in another then each
leave their high-water mark behind, and the process's resident memory becomes their sum.
Both helpers are no-ops where glibc is not the C library (macOS, musl).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable
from functools import cache
from time import monotonic
from typing import Any, ParamSpec, TypeVar

# A job that ran this long (an export, a picture, retention) has freed enough to be worth a
# full collection and a trim, which together take about 0.1 s in the bot's process.
LONG_JOB_S = 1.0

# Arenas the bot's threads share. Two keep worker threads from waiting on one malloc lock
# while the freed memory of one job is reused by the next whichever thread runs it.
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h

P = ParamSpec("P")
R = TypeVar("R")


@cache
def _glibc() -> Any:
    """Return the C library when it is glibc (it has malloc_trim), else None."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        library = ctypes.CDLL(name)
    except OSError:
        return None
    return library if hasattr(library, "malloc_trim") and hasattr(library, "mallopt") else None


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas (call before threads start); False where that is unavailable."""
    library = _glibc()
    return bool(library is not None and library.mallopt(_M_ARENA_MAX, arenas) == 1)


def release_freed_memory() -> bool:
    """Collect garbage and return malloc's free pages to the system; False without glibc."""
    gc.collect()
    library = _glibc()
    if library is None:
        return False
    library.malloc_trim(0)
    return True


def releasing_after_long_jobs(work: Callable[P, R]) -> Callable[P, R]:
    """Wrap a job so that a run longer than LONG_JOB_S gives its freed memory back."""

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        started = monotonic()
        try:
            return work(*args, **kwargs)
        finally:
            if monotonic() - started >= LONG_JOB_S:
                release_freed_memory()

    return run
