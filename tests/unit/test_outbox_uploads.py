"""The sender streams a stored file to the Bot API from disk instead of reading it whole."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker
from telegram import InputFile

from bot.delivery.outbox import OutboxSender


class UploadReader:
    """Reads the upload of each call as the network layer would, and notes what it was."""

    def __init__(self) -> None:
        self.contents: list[Any] = []
        self.received: list[bytes] = []

    async def do_api_request(
        self, method: str, api_kwargs: dict[str, Any], read_timeout: float
    ) -> dict:
        upload = api_kwargs["document"]
        assert isinstance(upload, InputFile)
        self.contents.append(upload.input_file_content)
        content = upload.input_file_content
        self.received.append(content if isinstance(content, bytes) else content.read())
        return {"message_id": 1}


def test_a_document_goes_out_as_an_open_file_read_while_sent(tmp_path: Path) -> None:
    """The file is handed on as a handle (not its bytes) and closed once the call is done."""
    exports = tmp_path / "exports"
    exports.mkdir()
    body = b"id,kind\n" + b"1,walk_note\n" * 50_000
    (exports / "export.csv").write_bytes(body)
    bot = UploadReader()
    sender = OutboxSender(bot, sessionmaker(), tmp_path)  # type: ignore[arg-type]

    payload = {"chat_id": 7, "document": {"path": "exports/export.csv"}}
    asyncio.run(sender.call("sendDocument", payload))

    (content,) = bot.contents
    assert not isinstance(content, bytes)
    assert content.closed
    assert bot.received == [body]
