"""A flooding chat keeps its data but gets one 'slow down' and no more replies for a while."""

from __future__ import annotations

from bot.dispatch.flood import FloodGuard


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_replies_pause_after_the_limit_and_resume_after_the_window() -> None:
    clock = Clock()
    guard = FloodGuard(limit=3, window=60, clock=clock)
    assert [guard.check(1) for _ in range(3)] == ["ok", "ok", "ok"]
    assert guard.check(1) == "warn"
    assert guard.check(1) == "quiet"
    assert guard.check(2) == "ok"  # other chats are not affected
    clock.now = 61.0
    assert guard.check(1) == "ok"


def test_a_long_flood_is_warned_once_per_window() -> None:
    clock = Clock()
    guard = FloodGuard(limit=2, window=10, clock=clock)
    answers = []
    for step in range(40):
        clock.now = step * 0.5
        answers.append(guard.check(7))
    assert answers.count("warn") == 2
