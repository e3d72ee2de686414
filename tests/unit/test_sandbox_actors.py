"""Simulated users and groups of the sandbox, talking to a tiny PTB-based echo bot."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import Forbidden

from sandbox import SandboxError, SandboxServer

TOKEN = "123456:TEST-token"


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    sandbox = SandboxServer(token=TOKEN, self_check=True).start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


def make_bot(server: SandboxServer) -> Bot:
    return Bot(TOKEN, base_url=f"{server.url}/bot", base_file_url=f"{server.url}/file/bot")


async def handle(bot: Bot, update: Update) -> None:
    """A miniature bot: /start shows buttons, a click edits the message, text is echoed."""
    if update.callback_query:
        query = update.callback_query
        await query.answer(f"gekozen: {query.data}")
        await bot.edit_message_text(
            f"Je koos <b>{query.data}</b>",
            query.message.chat.id,
            query.message.message_id,
            parse_mode="HTML",
        )
        return
    message = update.message or update.edited_message
    if message is None:
        return
    if message.text and message.text.startswith("/start"):
        await bot.send_message(
            message.chat.id,
            "Welkom! Wat wil je doen?",
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton("Wandelen", callback_data="walk"),
                        InlineKeyboardButton("Dagboek", callback_data="diary"),
                    ]
                ]
            ),
        )
        await bot.send_message(
            message.chat.id,
            "Of deel je locatie",
            reply_markup=ReplyKeyboardMarkup(
                [[KeyboardButton("📍 Locatie", request_location=True), "Stop"]]
            ),
        )
    elif message.location:
        kind = "edited" if update.edited_message else "new"
        await bot.send_message(
            message.chat.id,
            f"{kind} {message.location.latitude:.4f},{message.location.longitude:.4f}",
            reply_markup=ReplyKeyboardRemove(),
        )
    elif message.text:
        await bot.send_message(message.chat.id, f"echo: {message.text}")


def run_with_bot(server: SandboxServer, script: Callable[[], None]) -> None:
    """Run the mini bot (long polling) while `script` plays the users in a worker thread."""

    async def main() -> None:
        async with make_bot(server) as bot:
            done = asyncio.get_running_loop().create_future()

            async def poll() -> None:
                offset = 0
                while not done.done():
                    updates = await bot.get_updates(offset=offset, timeout=1)
                    for update in updates:
                        await handle(bot, update)
                        offset = update.update_id + 1
                await bot.get_updates(offset=offset, timeout=0)

            poller = asyncio.create_task(poll())
            try:
                await asyncio.to_thread(script)
            finally:
                done.set_result(None)
                await poller

    asyncio.run(main())


def test_click_and_wait_for_messages(server: SandboxServer) -> None:
    amina = server.user(1001, "Amina", language_code="fr")

    def script() -> None:
        amina.send_command("/start")
        welcome, prompt = amina.wait_for_messages(2)
        assert welcome["text"] == "Welkom! Wat wil je doen?"
        assert prompt["text"] == "Of deel je locatie"
        assert amina.keyboard()["keyboard"][0][1] == {"text": "Stop"}
        query = amina.click("Dagboek")
        assert query["data"] == "diary" and query["message"]["message_id"] == welcome["message_id"]
        server.wait_until(lambda: amina.messages()[0]["text"].startswith("Je koos"))
        edited = amina.messages()[0]
        assert edited["text"] == "Je koos diary" and edited["entities"][0]["type"] == "bold"
        assert "reply_markup" not in edited  # editing without reply_markup removes the keyboard
        assert server.callback_answer(query["id"]) == {"text": "gekozen: diary"}
        with pytest.raises(SandboxError, match="no inline button 'Wandelen'"):
            amina.click("Wandelen")
        amina.send_text("hallo")
        assert amina.wait_for_messages()[0]["text"] == "echo: hallo"
        amina.press("📍 Locatie", 50.8503, 4.3517)
        assert amina.wait_for_messages()[0]["text"] == "new 50.8503,4.3517"
        assert amina.keyboard() is None
        with pytest.raises(SandboxError, match="no reply keyboard"):
            amina.press("Stop")

    run_with_bot(server, script)
    assert server.violations == []
    assert server.pending_updates() == 0


def test_live_location_edits_and_other_message_types(server: SandboxServer) -> None:
    walker = server.user(1002, "Walter")

    def script() -> None:
        live = walker.send_location(50.84, 4.35, live_period=900)
        assert walker.wait_for_messages()[0]["text"] == "new 50.8400,4.3500"
        moved = walker.edit_location(live["message_id"], 50.85, 4.36, horizontal_accuracy=12.5)
        assert moved["location"]["live_period"] == 900 and "edit_date" in moved
        assert walker.wait_for_messages()[0]["text"] == "edited 50.8500,4.3600"
        stopped = walker.stop_live_location(live["message_id"])
        assert "live_period" not in stopped["location"]
        walker.wait_for_messages()
        with pytest.raises(SandboxError, match="not an active live location"):
            walker.edit_location(live["message_id"], 1.0, 2.0)
        for message in (
            walker.send_photo(b"\xff\xd8\xff\xe0" + b"\x00" * 32, caption="gevel"),
            walker.send_voice(b"OggS" + b"\x00" * 16, duration=7),
            walker.send_video(b"\x00" * 64, duration=9),
            walker.send_document(b"%PDF-1.4", "plan.pdf", "application/pdf"),
            walker.send_sticker(),
            walker.send_contact(),
            walker.send_dice(),
            walker.send_poll(),
            walker.send_venue(),
        ):
            assert message["from"]["id"] == 1002
        assert walker.wait_for_messages()[0]["text"] == "new 50.8467,4.3525"  # the venue
        text = walker.send_text("/help https://buurt.brussels")
        assert [e["type"] for e in text["entities"]] == ["bot_command", "url"]
        walker.edit_text(text["message_id"], "typo fixed")
        assert walker.wait_for_messages(2)[1]["text"] == "echo: typo fixed"

    run_with_bot(server, script)
    assert server.violations == []


def test_wait_for_messages_timeout_is_helpful(server: SandboxServer) -> None:
    user = server.user(1003, "Nora")
    with pytest.raises(TimeoutError, match="expected 1 new bot message"):
        user.wait_for_messages(timeout=0.2)


def test_group_privacy_membership_and_leave(server: SandboxServer) -> None:
    owner = server.user(1004, "Olivia")
    member = server.user(1005, "Mo")
    team = server.group(-100123, "Team Marollen", user=owner)
    with pytest.raises(SandboxError, match="add_bot"):
        team.send_text("hello?")

    async def scenario() -> None:
        async with make_bot(server) as bot:
            team.add_bot()
            team.add_member(member)
            team.send_text("just chatting", user=member)  # privacy mode: not delivered
            team.send_command("/digest@buurtbot_sandbox_bot", user=member)
            team.send_text("hey @buurtbot_sandbox_bot")
            updates = await bot.get_updates()
            kinds = [
                "member" if u.my_chat_member else (u.message.text or "service") for u in updates
            ]
            assert kinds == [
                "member",
                "service",
                "service",
                "/digest@buurtbot_sandbox_bot",
                "hey @buurtbot_sandbox_bot",
            ]
            assert updates[0].my_chat_member.chat.type == "supergroup"
            sent = await bot.send_message(-100123, "Weekbeeld volgt")
            assert sent.chat.title == "Team Marollen"
            assert await bot.leave_chat(-100123)
            with pytest.raises(Forbidden, match="(?i)not a member of the supergroup"):
                await bot.send_message(-100123, "nog iets")
            member_status = await bot.get_chat_member(-100123, 1005)
            assert member_status.status == "member"

    asyncio.run(scenario())
    assert [m["text"] for m in team.messages()] == ["Weekbeeld volgt"]
    assert server.violations == []
