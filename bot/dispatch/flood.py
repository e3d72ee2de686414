"""Flood guard: a chat that sends too much gets its data kept but fewer replies."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class FloodGuard:
    """Counts updates per chat in a sliding window and says when replies should pause.

    Nothing is dropped: a flooding chat's updates are still processed and stored; only the
    replies are held back (one "slow down" per window), so one chat cannot fill the outbox.
    """

    def __init__(
        self,
        limit: int = 40,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    def check(self, chat_id: int) -> str:
        """Record one update; return "ok", "warn" (first over the limit) or "quiet"."""
        now = self.clock()
        seen = self._seen.setdefault(chat_id, deque())
        seen.append(now)
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(self._seen) > 10_000:
            self._forget(now)
        if len(seen) <= self.limit:
            return "ok"
        if self._warned.get(chat_id, -self.window) <= now - self.window:
            self._warned[chat_id] = now
            return "warn"
        return "quiet"

    def _forget(self, now: float) -> None:
        self._seen = {c: s for c, s in self._seen.items() if s and s[-1] > now - self.window}
        self._warned = {c: t for c, t in self._warned.items() if t > now - self.window}
