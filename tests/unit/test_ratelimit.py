"""The pacer keeps Telegram's limits: 30 messages in any second, 1/s per chat, 20/min per group."""

from __future__ import annotations

from bot.delivery.ratelimit import SendPacer, counts_as_message


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def max_in_any_second(slots: list[float]) -> int:
    slots = sorted(slots)
    best = 0
    start = 0
    for end, slot in enumerate(slots):
        while slots[start] <= slot - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_no_second_holds_more_than_thirty_messages() -> None:
    clock = FakeClock()
    pacer = SendPacer(clock=clock)
    slots = [pacer.reserve(chat) for chat in range(1, 301)]
    assert max_in_any_second(slots) <= 30
    # Evenly spaced a little under the limit: 300 messages take about 299/29 seconds.
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)]
    assert min(gaps) >= 1 / 29 - 1e-9
    assert 10.3 <= slots[-1] - slots[0] < 10.4


def test_one_chat_gets_one_message_per_second() -> None:
    clock = FakeClock()
    pacer = SendPacer(clock=clock)
    slots = [pacer.reserve(7) for _ in range(5)]
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)]
    assert all(gap >= 1.0 for gap in gaps)
    assert pacer.chat_ready_at(7) == slots[-1] + pacer.private_interval


def test_groups_get_twenty_messages_per_minute() -> None:
    pacer = SendPacer(clock=FakeClock())
    slots = [pacer.reserve(-100) for _ in range(21)]
    assert slots[-1] - slots[0] >= 60.0


def test_a_held_chat_waits_while_others_go_on() -> None:
    clock = FakeClock()
    pacer = SendPacer(clock=clock)
    pacer.hold_chat(1, 3)
    assert pacer.chat_ready_at(1) == 103.0
    assert pacer.reserve(2) == 100.0


def test_a_pause_holds_every_chat() -> None:
    clock = FakeClock()
    pacer = SendPacer(clock=clock)
    pacer.pause(5)
    assert pacer.reserve(1) == 105.0
    assert pacer.chat_ready_at(2) == 105.0


def test_free_capacity_is_used_at_once() -> None:
    clock = FakeClock()
    pacer = SendPacer(clock=clock)
    assert pacer.reserve(1) == 100.0
    clock.now = 200.0
    assert pacer.reserve(1) == 200.0


def test_only_message_calls_count() -> None:
    assert counts_as_message("sendMessage") and counts_as_message("sendPhoto")
    assert not counts_as_message("answerCallbackQuery")
    assert not counts_as_message("setMyCommands")


def test_reactions_keep_a_chat_interval_on_a_clock_of_their_own() -> None:
    clock = FakeClock()
    pacer = SendPacer(clock=clock)
    for _ in range(5):
        pacer.reserve(7)  # five messages queued: the chat's next message waits five seconds
    # A reaction does not wait behind them, but two reactions keep the chat's interval.
    assert pacer.reserve_reaction(7) == 100.0
    assert pacer.reserve_reaction(7) == 100.0 + pacer.private_interval
    assert pacer.reaction_ready_at(8) == 0.0
    pacer.pause(30)
    assert pacer.reaction_ready_at(8) == 130.0


def test_tap_answers_and_reactions_jump_the_queue() -> None:
    from bot.delivery.ratelimit import jumps_the_queue

    assert jumps_the_queue("answerCallbackQuery") and jumps_the_queue("setMessageReaction")
    assert not jumps_the_queue("sendMessage") and not jumps_the_queue("editMessageText")


def test_calls_on_the_wire_and_just_answered_fill_the_second() -> None:
    clock = FakeClock()
    pacer = SendPacer(clock=clock)
    for _ in range(29):
        assert pacer.wire_wait() == 0.0
        pacer.sending()
    clock.now = 100.5
    pacer.sent(1)  # answered: it may have arrived any time up to now
    assert pacer.wire_wait() == 0.0
    pacer.sending()  # 30 calls that may share a second at Telegram
    assert pacer.wire_wait() > 0
    # Only when the answered call is a second old may one more start.
    clock.now = 101.49
    assert pacer.wire_wait() > 0
    assert abs(pacer.wire_wait() - 0.01) < 1e-6
    clock.now = 101.5
    assert pacer.wire_wait() == 0.0


def test_a_late_message_pushes_its_chats_next_one_back() -> None:
    clock = FakeClock()
    pacer = SendPacer(clock=clock)
    slot = pacer.reserve(7)
    assert pacer.chat_ready_at(7) == slot + pacer.private_interval
    # The call started late and came back 0.4 s after its slot: the chat's next message keeps
    # a full interval from the answer, so the two cannot arrive less than a second apart.
    clock.now = slot + 0.4
    pacer.sending()
    pacer.sent(7)
    assert pacer.chat_ready_at(7) == slot + 0.4 + pacer.private_interval
    # A group keeps its own, longer interval.
    pacer.sending()
    pacer.sent(-100)
    assert pacer.chat_ready_at(-100) == clock.now + pacer.group_interval
