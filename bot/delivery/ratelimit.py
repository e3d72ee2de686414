"""Pacing within Telegram's limits: about 30 messages/s overall, 1/s per chat, 20/min per group."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVoice",
        "sendVideo",
        "sendLocation",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
    }
)


# Calls that must not wait behind a chat's queued messages (README, "How it works"):
# answering a tap stops Telegram's spinner and sends nothing to the chat, so it goes at once;
# a reaction acknowledges the member's own message, so it goes in a lane of its own.
JUMPS_THE_QUEUE = frozenset({"answerCallbackQuery", "setMessageReaction"})
# Of those, the calls still paced per chat (on their own clock, not the messages').
PACED_REACTIONS = frozenset({"setMessageReaction"})


def counts_as_message(method: str) -> bool:
    """Say whether a call counts against Telegram's message limits."""
    return method in MESSAGE_METHODS


def jumps_the_queue(method: str) -> bool:
    """Say whether a call goes out without waiting for its chat's earlier calls."""
    return method in JUMPS_THE_QUEUE


# How often a call waiting for room re-checks while every recent call is still on the wire.
WIRE_POLL = 0.01


class SendPacer:
    """Hands out send times so no window of one second holds more than `per_second` messages.

    Sends are also spaced evenly (a little under the limit): a burst of 30 at once followed by
    30 more a second later lands in one second at Telegram as soon as the network jitters.

    Slots are a plan; what Telegram counts is when calls arrive. A send that starts late (a
    busy database or event loop) would land in the same second as the ones planned after it,
    so the sender also asks `wire_wait` just before each call and reports it with `sending`
    and `sent`: a call arrives no sooner than it starts and no later than its answer, which
    bounds what Telegram can have seen in any second.
    """

    def __init__(
        self,
        per_second: int = 30,
        private_interval: float = 1.05,
        group_interval: float = 3.1,
        clock: Callable[[], float] = time.monotonic,
        spacing: float | None = None,
    ) -> None:
        self.per_second = per_second
        self.private_interval = private_interval
        self.group_interval = group_interval
        self.clock = clock
        self.spacing = 1.0 / (per_second - 1) if spacing is None else spacing
        self._recent: deque[float] = deque()
        self._chat_next: dict[int, float] = {}
        self._reaction_next: dict[int, float] = {}
        self._paused_until = 0.0
        # Message calls started and not yet answered, and when recent ones were answered.
        self._on_the_wire = 0
        self._answered: deque[float] = deque()

    def interval(self, chat_id: int) -> float:
        """Return the minimum gap between two messages to this chat."""
        return self.group_interval if chat_id < 0 else self.private_interval

    def chat_ready_at(self, chat_id: int) -> float:
        """Return the earliest moment a message to this chat may go."""
        return max(self._chat_next.get(chat_id, 0.0), self._paused_until)

    def reserve(self, chat_id: int) -> float:
        """Reserve the next free send time for a message to this chat and return it."""
        now = self.clock()
        slot = max(now, self.chat_ready_at(chat_id))
        # Slots are handed out in increasing order, so the window check needs only the oldest.
        if self._recent:
            slot = max(slot, self._recent[-1] + self.spacing)
        while self._recent and self._recent[0] <= slot - 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.per_second:
            slot = max(slot, self._recent[0] + 1.0)
            while self._recent and self._recent[0] <= slot - 1.0:
                self._recent.popleft()
        self._recent.append(slot)
        self._chat_next[chat_id] = slot + self.interval(chat_id)
        if len(self._chat_next) > 50_000:
            self._forget_idle_chats(now)
        return slot

    def wire_wait(self) -> float:
        """Return how long a message call must still wait before it may start."""
        now = self.clock()
        while self._answered and self._answered[0] <= now - 1.0:
            self._answered.popleft()
        # Any call on the wire or answered less than a second ago may have arrived within a
        # second of this one: together they must stay under the limit.
        if self._on_the_wire + len(self._answered) < self.per_second:
            return 0.0
        if self._answered:
            return max(self._answered[0] + 1.0 - now, 0.001)
        return WIRE_POLL

    def sending(self) -> None:
        """Note that a message call is starting now."""
        self._on_the_wire += 1

    def sent(self, chat_id: int) -> None:
        """Note that a message call to this chat was answered (or failed) now.

        The chat's next message waits a full interval from here, not from its planned slot:
        Telegram measures the gap between arrivals, and this one may have arrived late.
        """
        now = self.clock()
        self._on_the_wire = max(self._on_the_wire - 1, 0)
        self._answered.append(now)
        self._chat_next[chat_id] = max(
            self._chat_next.get(chat_id, 0.0), now + self.interval(chat_id)
        )

    def reaction_ready_at(self, chat_id: int) -> float:
        """Return the earliest moment a reaction in this chat may be set."""
        return max(self._reaction_next.get(chat_id, 0.0), self._paused_until)

    def reserve_reaction(self, chat_id: int) -> float:
        """Reserve the next time for a reaction in this chat: one per interval, beside messages.

        Telegram publishes no limit for reactions; they change a message in the chat, so
        they keep the chat's interval, on a clock of their own that messages do not wait on.
        """
        now = self.clock()
        slot = max(now, self.reaction_ready_at(chat_id))
        self._reaction_next[chat_id] = slot + self.interval(chat_id)
        if len(self._reaction_next) > 50_000:
            self._reaction_next = {c: t for c, t in self._reaction_next.items() if t > now}
        return slot

    def pause(self, seconds: float) -> None:
        """Hold every send for a while (after a long 429: a flood warning for the whole bot)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def hold_chat(self, chat_id: int, seconds: float) -> None:
        """Hold one chat for a while (after a 429 on it); other chats go on."""
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), self.clock() + seconds)

    def _forget_idle_chats(self, now: float) -> None:
        self._chat_next = {chat: t for chat, t in self._chat_next.items() if t > now}
