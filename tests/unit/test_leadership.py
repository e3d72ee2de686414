"""Elected roles: started on winning the lock, stopped on losing it, undone on a failed start."""

from __future__ import annotations

import asyncio

from bot.runtime.leadership import Role, lead


class ScriptedLock:
    """A lock whose answers are given in advance, one per call."""

    def __init__(self, acquire: list[bool], held: list[bool]) -> None:
        self.role = "intake"
        self.acquire_answers = acquire
        self.held_answers = held
        self.released = 0

    def acquire(self) -> bool:
        return self.acquire_answers.pop(0) if self.acquire_answers else False

    def held(self) -> bool:
        return self.held_answers.pop(0) if self.held_answers else True

    def release(self) -> None:
        self.released += 1


def play(lock: ScriptedLock, wanted: int, fail_start: int = 0) -> list[str]:
    """Run lead() until `wanted` start/stop events happened, then stop it."""
    events: list[str] = []
    failures = [fail_start]

    async def start() -> None:
        events.append("start")
        if failures[0]:
            failures[0] -= 1
            raise OSError("port in use")

    async def stop() -> None:
        events.append("stop")

    async def main() -> None:
        stopping = asyncio.Event()
        changes: list[tuple[str, bool]] = []
        task = asyncio.create_task(
            lead(
                lock,
                Role("intake", start, stop),
                stopping,
                interval=0.01,
                on_change=lambda name, leads: changes.append((name, leads)),
            )
        )
        # Wait for the events, not for a time: the test does not depend on machine speed.
        for _ in range(2000):
            if len(events) >= wanted:
                break
            await asyncio.sleep(0.005)
        stopping.set()
        await task
        events.extend(f"{name}:{'lead' if leads else 'follow'}" for name, leads in changes)

    asyncio.run(main())
    return events


def test_a_follower_starts_the_role_when_it_wins_the_lock() -> None:
    lock = ScriptedLock(acquire=[False, False, True], held=[])
    events = play(lock, wanted=1)
    assert events[:1] == ["start"]
    assert events.count("start") == 1
    assert "intake:lead" in events


def test_a_leader_that_loses_the_lock_stops_the_role_and_may_win_again() -> None:
    lock = ScriptedLock(acquire=[True, True], held=[True, False])
    events = play(lock, wanted=3)
    assert events[:3] == ["start", "stop", "start"]


def test_a_failed_start_is_undone_and_the_lock_let_go() -> None:
    lock = ScriptedLock(acquire=[True, True], held=[])
    events = play(lock, wanted=3, fail_start=1)
    assert events[:3] == ["start", "stop", "start"]
    assert lock.released >= 1
