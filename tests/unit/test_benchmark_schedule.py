"""The benchmarks' ideal sender: its schedule keeps Telegram's limits and always ends."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

PIPELINE = Path(__file__).resolve().parents[2] / "benchmarks" / "pipeline.py"


@pytest.fixture(scope="module")
def ideal_schedule():
    spec = importlib.util.spec_from_file_location("bench_pipeline", PIPELINE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.ideal_schedule


def test_a_full_window_starting_at_an_awkward_float_frees_itself(ideal_schedule) -> None:
    # (x + 1) - 1 < x for this x: a window freed by "slot <= now - 1" never emptied here.
    start = 15.684264619952204
    assert (start + 1.0) - 1.0 < start
    arrivals = [(start, chat) for chat in range(45)]
    slots = ideal_schedule(arrivals)
    assert sorted(slots)[:30] == [start] * 30
    assert min(sorted(slots)[30:]) == start + 1.0


def test_one_chat_waits_its_interval_between_messages(ideal_schedule) -> None:
    slots = ideal_schedule([(0.0, 7), (0.0, 7), (0.0, 7)])
    assert slots[1] - slots[0] >= 0.9 and slots[2] - slots[1] >= 0.9
