"""The sandbox Bot API server driven by python-telegram-bot's real telegram.Bot over HTTP."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    ReactionTypeEmoji,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from sandbox import SandboxServer

TOKEN = "123456:TEST-token"


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    sandbox = SandboxServer(token=TOKEN, self_check=True).start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


def make_bot(server: SandboxServer, token: str = TOKEN) -> Bot:
    return Bot(
        token,
        base_url=f"{server.url}/bot",
        base_file_url=f"{server.url}/file/bot",
        request=HTTPXRequest(connection_pool_size=4),
        get_updates_request=HTTPXRequest(connection_pool_size=2),
    )


def raw_call(
    server: SandboxServer,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    encoding: str = "json",
    token: str = TOKEN,
) -> tuple[int, dict[str, Any]]:
    url = f"{server.url}/bot{token}/{method}"
    data: bytes | None = None
    headers = {}
    if encoding == "json":
        data = json.dumps(params or {}).encode()
        headers["Content-Type"] = "application/json"
    elif encoding == "form":
        data = urllib.parse.urlencode(params or {}).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif params:
        url += "?" + urllib.parse.urlencode(params)
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_get_me_and_url_layout(server: SandboxServer) -> None:
    async def scenario() -> None:
        async with make_bot(server) as bot:
            assert bot.base_url == f"{server.url}/bot{TOKEN}"
            me = await bot.get_me()
            assert me.id == 123456 and me.is_bot and me.username == "buurtbot_sandbox_bot"
        with pytest.raises(InvalidToken):
            async with make_bot(server, token="999:wrong") as other:
                await other.get_me()

    asyncio.run(scenario())
    assert raw_call(server, "GETME", encoding="query")[1]["result"]["id"] == 123456
    status, body = raw_call(server, "getMe", token="1:nope")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    status, body = raw_call(server, "fly")
    assert status == 404 and body["description"] == "Not Found: method not found"


def test_raw_encodings_and_missing_parameters(server: SandboxServer) -> None:
    server.user(1001, "Amina")
    markup = json.dumps({"inline_keyboard": [[{"text": "Ja", "callback_data": "yes"}]]})
    for encoding in ("json", "form", "query"):
        status, body = raw_call(
            server,
            "sendMessage",
            {"chat_id": "1001", "text": "42", "reply_markup": markup},
            encoding=encoding,
        )
        assert status == 200, body
        assert body["result"]["text"] == "42"
        assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"
    status, body = raw_call(server, "sendMessage", {"text": "hi"})
    assert status == 400 and body["description"] == "Bad Request: chat_id is empty"
    status, body = raw_call(server, "sendMessage", {"chat_id": 1001})
    assert body["description"] == "Bad Request: message text is empty"
    status, body = raw_call(server, "sendMessage", {"chat_id": 555, "text": "x"})
    assert status == 400 and body["description"] == "Bad Request: chat not found"
    assert len(server.violations) == 2  # the two missing parameters; chat not found is no bug
    ids = [m["message_id"] for m in server.user(1001).messages()]
    assert ids == sorted(ids) and len(ids) == 3


def test_offset_semantics(server: SandboxServer) -> None:
    user = server.user(1001, "Amina")

    async def scenario() -> None:
        async with make_bot(server) as bot:
            for text in ("one", "two", "three"):
                user.send_text(text)
            first = await bot.get_updates()
            assert [u.message.text for u in first] == ["one", "two", "three"]
            ids = [u.update_id for u in first]
            assert ids == sorted(ids) and len(set(ids)) == 3
            again = await bot.get_updates()  # unconfirmed: delivered again
            assert [u.update_id for u in again] == ids
            partial = await bot.get_updates(offset=ids[1])  # confirms "one" only
            assert [u.message.text for u in partial] == ["two", "three"]
            assert server.pending_updates() == 2
            limited = await bot.get_updates(limit=1)
            assert [u.message.text for u in limited] == ["two"]
            assert await bot.get_updates(offset=ids[-1] + 1) == ()
            assert server.pending_updates() == 0
            for text in ("four", "five", "six"):
                user.send_text(text)
            last = await bot.get_updates(offset=-1)
            assert [u.message.text for u in last] == ["six"]
            assert server.pending_updates() == 1
            assert last[0].update_id > ids[-1]

    asyncio.run(scenario())


def test_long_poll_returns_as_soon_as_an_update_arrives(server: SandboxServer) -> None:
    user = server.user(1001, "Amina")

    async def scenario() -> float:
        async with make_bot(server) as bot:
            timer = threading.Timer(0.2, user.send_text, args=("ping",))
            started = time.monotonic()
            timer.start()
            updates = await bot.get_updates(timeout=30)
            elapsed = time.monotonic() - started
            timer.join()
            assert [u.message.text for u in updates] == ["ping"]
            return elapsed

    assert asyncio.run(scenario()) < 25  # far below the 30 s long-poll timeout


def test_second_poller_terminates_the_first_with_conflict(server: SandboxServer) -> None:
    async def scenario() -> None:
        async with make_bot(server) as first, make_bot(server) as second:
            waiting = asyncio.create_task(first.get_updates(timeout=20))
            await asyncio.to_thread(server.wait_until, lambda: server.calls("getUpdates"))
            assert await second.get_updates(timeout=0) == ()
            with pytest.raises(Conflict, match="terminated by other getUpdates"):
                await waiting

    asyncio.run(scenario())


def test_allowed_updates_is_remembered(server: SandboxServer) -> None:
    user = server.user(1001, "Amina")

    async def scenario() -> None:
        async with make_bot(server) as bot:
            await bot.send_message(
                1001,
                "Kies",
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton("Ja", callback_data="y")]]
                ),
            )
            await bot.get_updates(allowed_updates=["callback_query"])
            assert user.send_text("filtered")["text"] == "filtered"
            user.click("Ja")
            updates = await bot.get_updates()
            assert [u.callback_query.data for u in updates] == ["y"]
            offset = updates[-1].update_id + 1
            user.send_text("still filtered")  # the setting is remembered between calls
            assert await bot.get_updates(offset=offset) == ()
            await bot.get_updates(offset=offset, allowed_updates=[])  # back to the default
            user.send_text("visible")
            user.block()  # my_chat_member is part of the default set
            updates = await bot.get_updates(offset=offset)
            assert [u.message.text for u in updates[:1]] == ["visible"]
            assert updates[1].my_chat_member.new_chat_member.status == "kicked"
            server.push_update({"message_reaction": {"chat": {"id": 1001}}})  # not by default
            assert len(await bot.get_updates(offset=offset)) == 2

    asyncio.run(scenario())


def test_html_messages_and_violations(server: SandboxServer) -> None:
    server.user(1001, "Amina")

    async def scenario() -> None:
        async with make_bot(server) as bot:
            sent = await bot.send_message(
                1001, "<b>Wandeling</b> gestart &lt;3 <i>Marollen</i>", parse_mode="HTML"
            )
            assert sent.text == "Wandeling gestart <3 Marollen"
            assert [(e.type, e.offset, e.length) for e in sent.entities] == [
                ("bold", 0, 9),
                ("italic", 21, 8),
            ]
            with pytest.raises(BadRequest, match="(?i)can't parse entities"):
                await bot.send_message(1001, "Fish & chips <3", parse_mode="HTML")
            with pytest.raises(BadRequest, match="(?i)message is too long"):
                await bot.send_message(1001, "x" * 4097)
            edited = await bot.edit_message_text(
                "<u>Klaar</u>", 1001, sent.message_id, parse_mode="HTML"
            )
            assert edited.text == "Klaar" and edited.edit_date is not None
            with pytest.raises(BadRequest, match="(?i)message is not modified"):
                await bot.edit_message_text(
                    "<u>Klaar</u>", 1001, sent.message_id, parse_mode="HTML"
                )

    asyncio.run(scenario())
    assert len(server.violations) == 2
    assert "can't parse entities" in server.violations[0]
    assert server.violations[1] == "sendMessage: Bad Request: message is too long"
    texts = [m["text"] for m in server.user(1001).messages()]
    assert texts == ["Klaar"]


def test_non_strict_mode_answers_400_without_recording() -> None:
    with SandboxServer(token=TOKEN, strict=False) as sandbox:
        sandbox.user(1001)
        status, body = raw_call(
            sandbox, "sendMessage", {"chat_id": 1001, "text": "<b>x", "parse_mode": "HTML"}
        )
        assert status == 400 and "can't parse entities" in body["description"]
        assert sandbox.violations == []
        assert sandbox.calls("sendMessage")[0]["status"] == 400


def test_callback_data_limits_and_unknown_parameters(server: SandboxServer) -> None:
    server.user(1001, "Amina")

    async def scenario() -> None:
        async with make_bot(server) as bot:
            for data in ("x" * 65, "é" * 33):  # 65 bytes, and 33 characters but 66 bytes
                markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data=data)]])
                with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
                    await bot.send_message(1001, "Kies", reply_markup=markup)
            with pytest.raises(BadRequest, match="(?i)unknown parameter"):
                await bot.send_message(1001, "hi", api_kwargs={"disable_web_page_preview": True})
            with pytest.raises(BadRequest, match="(?i)unknown field"):
                await bot.send_message(
                    1001,
                    "hi",
                    api_kwargs={"reply_markup": {"inline_keyboard": [], "colour": "red"}},
                )
            assert await bot.send_message(
                1001,
                "ok",
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton("Ja", callback_data="é" * 32)]]
                ),
            )

    asyncio.run(scenario())
    assert [v.split(": ", 1)[0] for v in server.violations] == ["sendMessage"] * 4
    assert server.violations[0].endswith("BUTTON_DATA_INVALID")
    assert server.user(1001).messages()[-1]["text"] == "ok"


def test_upload_get_file_download_and_size_limit(server: SandboxServer) -> None:
    user = server.user(1001, "Amina")
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
        + (1600).to_bytes(4, "big")
        + (1200).to_bytes(4, "big")
        + b"\x08\x02\x00\x00\x00"
        + b"\x00" * 64
    )

    async def scenario() -> None:
        async with make_bot(server) as bot:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("Open", callback_data="o")]])
            doc = await bot.send_document(
                1001,
                b"a,b\n1,2\n",
                filename="export.csv",
                caption="<b>CSV</b>",
                parse_mode="HTML",
                reply_markup=markup,
            )
            assert doc.document.file_name == "export.csv" and doc.document.file_size == 8
            assert doc.caption == "CSV" and doc.caption_entities[0].type == "bold"
            assert doc.reply_markup.inline_keyboard[0][0].callback_data == "o"
            photo = await bot.send_photo(1001, png)
            sizes = photo.photo
            assert (sizes[-1].width, sizes[-1].height) == (1600, 1200)
            assert len(sizes) > 1 and sizes[0].width < sizes[-1].width
            again = await bot.send_photo(1001, sizes[-1].file_id)  # resend by file_id
            assert again.photo[-1].file_unique_id == sizes[-1].file_unique_id
            album = await bot.send_media_group(
                1001,
                [
                    InputMediaPhoto(png, caption="<i>een</i>", parse_mode="HTML"),
                    InputMediaPhoto(sizes[0].file_id),
                ],
            )
            assert len({m.media_group_id for m in album}) == 1
            assert album[0].caption == "een" and album[1].photo[-1].width == 1600
            with pytest.raises(BadRequest, match="(?i)type of file mismatch"):
                await bot.send_document(1001, sizes[-1].file_id)
            file = await bot.get_file(doc.document.file_id)
            assert file.file_path.startswith(f"{server.url}/file/bot{TOKEN}/documents/")
            assert bytes(await file.download_as_bytearray()) == b"a,b\n1,2\n"
            incoming = user.send_voice(b"OggS" + b"\x01" * 100, duration=4)
            voice = await bot.get_file(incoming["voice"]["file_id"])
            assert bytes(await voice.download_as_bytearray()) == b"OggS" + b"\x01" * 100
            big = user.send_document(b"\x00" * (20 * 1024 * 1024 + 1), "big.bin", "x/y")
            with pytest.raises(BadRequest, match="(?i)file is too big"):
                await bot.get_file(big["document"]["file_id"])
            with pytest.raises(BadRequest, match="(?i)invalid file_id"):
                await bot.get_file("nonsense")

    asyncio.run(scenario())
    sent = user.messages()
    assert [("document" in m, "photo" in m) for m in sent] == [
        (True, False),
        (False, True),
        (False, True),
        (False, True),
        (False, True),
    ]
    assert server.file_bytes(sent[1]["photo"][-1]["file_id"]) == png
    assert server.violations == []


def test_rate_limits_are_deterministic_with_a_fake_clock() -> None:
    now = [1000.0]
    with SandboxServer(token=TOKEN, rate_limits=True, monotonic=lambda: now[0]) as sandbox:
        users = [sandbox.user(2000 + i) for i in range(32)]

        async def scenario() -> None:
            async with make_bot(sandbox) as bot:
                await bot.send_message(2000, "first")
                with pytest.raises(RetryAfter) as info:
                    await bot.send_message(2000, "same chat too soon")
                assert info.value.retry_after in (1, 1.0) or info.value.retry_after.seconds == 1
                assert sandbox.user(2000).messages()[-1]["text"] == "first"
                await bot.send_chat_action(2000, "typing")  # not a message: not limited
                now[0] = 1000.9
                await bot.send_message(2000, "after 0.9 s")
                now[0] = 1001.0  # "first" leaves the one-second window
                for user in users[1:30]:
                    await bot.send_message(user.user_id, "broadcast")  # 30 in this second
                with pytest.raises(RetryAfter):
                    await bot.send_message(users[30].user_id, "31st within one second")
                now[0] += 1.0
                await bot.send_message(users[30].user_id, "next second")

        asyncio.run(scenario())
        assert sandbox.too_many_requests == 2
        assert sandbox.violations == []
        assert [m["text"] for m in users[0].messages()] == ["first", "after 0.9 s"]
        assert [m["text"] for m in users[30].messages()] == ["next second"]
        owner = users[31]
        group = sandbox.group(-100777, "Buurtteam", user=owner, bot_member=True)
        for minute_second in range(20):
            now[0] = 2000.0 + minute_second * 1.5
            raw_call(sandbox, "sendMessage", {"chat_id": group.chat_id, "text": "x"})
        now[0] = 2040.0
        status, body = raw_call(sandbox, "sendMessage", {"chat_id": group.chat_id, "text": "21st"})
        assert status == 429 and body["parameters"]["retry_after"] == 20  # 2000 + 60 - 2040
        assert len(group.messages()) == 20
        status, body = raw_call(sandbox, "sendMessage", {"chat_id": 2031, "text": "a"})
        status, body = raw_call(sandbox, "sendMessage", {"chat_id": 2031, "text": "b"})
        assert status == 429 and body["parameters"] == {"retry_after": 1}
        assert body["description"] == "Too Many Requests: retry after 1"


def test_injected_faults(server: SandboxServer) -> None:
    user = server.user(1001, "Amina")
    server.inject_faults("sendMessage", ["429:7", "500", "502", "hang:0.1", "delay:1.5"])

    async def scenario() -> None:
        async with make_bot(server) as bot:
            with pytest.raises(RetryAfter) as info:
                await bot.send_message(1001, "a")
            assert "7" in str(info.value)
            with pytest.raises(NetworkError, match="Internal Server Error"):
                await bot.send_message(1001, "b")
            with pytest.raises(NetworkError, match="Bad Gateway"):
                await bot.send_message(1001, "c")
            with pytest.raises(NetworkError, match="Gateway Timeout"):
                await bot.send_message(1001, "d")
            assert user.messages() == []
            with pytest.raises(TimedOut):
                await bot.send_message(1001, "e", read_timeout=0.2)
            # the client gave up, but the message is still delivered
            [delivered] = await asyncio.to_thread(user.wait_for_messages, 1, 15.0)
            assert delivered["text"] == "e"
            assert (await bot.send_message(1001, "f")).text == "f"

    asyncio.run(scenario())
    assert [m["text"] for m in user.messages()] == ["e", "f"]
    assert server.too_many_requests == 1
    assert [c["status"] for c in server.calls("sendMessage")] == [429, 500, 502, 504, 200, 200]
    status, body = raw_call(server, "../nothing/here", encoding="query")
    assert status == 404 and body == {"ok": False, "error_code": 404, "description": "Not Found"}


def test_webhook_delivery_with_secret_and_retries(server: SandboxServer) -> None:
    user = server.user(1001, "Amina")
    received: list[tuple[str | None, dict[str, Any]]] = []
    attempts = [0]

    async def receive(request: web.Request) -> web.Response:
        attempts[0] += 1
        if attempts[0] == 1:
            return web.Response(status=500)  # the sandbox retries until it gets a 2xx
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(text="ok")

    async def scenario() -> None:
        app = web.Application()
        app.router.add_post("/hook", receive)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with make_bot(server) as bot:
                url = f"http://127.0.0.1:{port}/hook"
                assert await bot.set_webhook(url, secret_token="s3cret-token_1")
                with pytest.raises(Conflict, match="webhook is active"):
                    await bot.get_updates()
                for text in ("een", "twee", "drie"):
                    user.send_text(text)
                await asyncio.to_thread(
                    server.wait_until, lambda: len(received) == 3 and not server.pending_updates()
                )
                info = await bot.get_webhook_info()
                assert info.url == url and info.pending_update_count == 0
                assert info.last_error_message.startswith("Wrong response from the webhook: 500")
                assert await bot.delete_webhook()
                user.send_text("vier")
                assert [u.message.text for u in await bot.get_updates()] == ["vier"]
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
    assert [secret for secret, _ in received] == ["s3cret-token_1"] * 3
    assert [body["message"]["text"] for _, body in received] == ["een", "twee", "drie"]
    ids = [body["update_id"] for _, body in received]
    assert ids == sorted(ids)


def test_blocked_user_gets_forbidden(server: SandboxServer) -> None:
    user = server.user(1001, "Amina")
    stranger = server.user(1002, "Bram", started=False)

    async def scenario() -> None:
        async with make_bot(server) as bot:
            await bot.send_message(1001, "hallo")
            user.block()
            with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
                await bot.send_message(1001, "still there?")
            with pytest.raises(Forbidden, match="(?i)can't initiate conversation"):
                await bot.send_message(1002, "hi")
            stranger.send_command("/start")
            await bot.send_message(1002, "welkom")
            user.unblock()
            await bot.send_message(1001, "welcome back")
            statuses = [
                u.my_chat_member.new_chat_member.status
                for u in await bot.get_updates()
                if u.my_chat_member
            ]
            assert statuses == ["kicked", "member"]

    asyncio.run(scenario())
    assert [m["text"] for m in user.messages()] == ["hallo", "welcome back"]


def test_commands_reactions_chat_and_misc(server: SandboxServer) -> None:
    user = server.user(1001, "Amina", language_code="fr")

    async def scenario() -> None:
        async with make_bot(server) as bot:
            await bot.set_my_commands([BotCommand("start", "Begin"), BotCommand("help", "Hulp")])
            await bot.set_my_commands([BotCommand("start", "Commencer")], language_code="fr")
            scope = BotCommandScopeChat(1001)
            await bot.set_my_commands([BotCommand("digest", "Weekbeeld")], scope=scope)
            assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
            assert [c.description for c in await bot.get_my_commands(language_code="fr")] == [
                "Commencer"
            ]
            assert await bot.get_my_commands(language_code="en") == ()
            assert await bot.delete_my_commands(language_code="fr")
            assert await bot.get_my_commands(language_code="fr") == ()
            message = user.send_text("bonjour")
            assert await bot.set_message_reaction(1001, message["message_id"], "👍")
            with pytest.raises(BadRequest, match="(?i)reaction_invalid"):
                await bot.set_message_reaction(
                    1001, message["message_id"], [ReactionTypeEmoji("🚲")]
                )
            chat = await bot.get_chat(1001)
            assert chat.first_name == "Amina" and chat.type == "private"
            assert await bot.send_chat_action(1001, "typing")
            with pytest.raises(BadRequest, match="(?i)wrong parameter action"):
                await bot.send_chat_action(1001, "dancing")
            assert await bot.delete_message(1001, message["message_id"])
            with pytest.raises(BadRequest, match="(?i)message to delete not found"):
                await bot.delete_message(1001, message["message_id"])
            assert await bot.close() and await bot.log_out()

    asyncio.run(scenario())
    assert server.commands() == [
        {"command": "start", "description": "Begin"},
        {"command": "help", "description": "Hulp"},
    ]
    assert server.commands({"type": "chat", "chat_id": 1001})[0]["command"] == "digest"
    assert server.commands(language_code="fr") == []
    assert server.reactions(1001) == {1: [{"type": "emoji", "emoji": "👍"}]}
    assert user.chat_actions() == ["typing"]
    assert len(server.violations) == 2  # the invalid reaction and the invalid chat action
