"""The downloader fetches only from Telegram's file server, never a file of this machine.

python-telegram-bot copies a local file when getFile's file_path names one (a feature for a
local Bot API server); an API answering "/srv/buurtbot/.env" or "pyproject.toml" would have
had that file stored as the member's photo, and /mydata would hand it back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Bot

from bot.delivery.media import MediaDownloader, RefusedPath, remote_file_path
from bot.dispatch.i18n import load_translator
from bot.dispatch.render import Renderer
from sandbox import SandboxServer
from storage import observations as obs
from storage import organisations as orgs
from storage.models import MediaFile

pytestmark = pytest.mark.storage

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
BASE = "http://api.example/file/bot123:abc"


@pytest.mark.parametrize(
    "path",
    [
        None,
        "",
        "/etc/passwd",
        "pyproject.toml",
        f"{BASE}",
        f"{BASE}/",
        f"{BASE}//etc/passwd",
        f"{BASE}/../../bot123:other/photos/x.jpg",
        f"{BASE}/photos/../../x.jpg",
        f"{BASE}/C:/secret.jpg",
        f"{BASE}/photos\\..\\..\\x.jpg",
        f"{BASE}/~/x.jpg",
        "http://elsewhere.example/file/bot123:abc/photos/x.jpg",
    ],
)
def test_paths_that_are_not_on_telegrams_file_server_are_refused(path) -> None:
    with pytest.raises(RefusedPath):
        remote_file_path(path, BASE)


def test_telegrams_own_paths_pass() -> None:
    assert remote_file_path(f"{BASE}/photos/file_1.jpg", BASE) == "photos/file_1.jpg"
    assert remote_file_path(f"{BASE}/voice/file_2.oga", BASE) == "voice/file_2.oga"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer().start()
    yield server
    server.stop()


def photo_row(factory, sandbox: SandboxServer) -> tuple[int, str]:
    """A member's photo note waiting for its download; return the media row id and file id."""
    message = sandbox.user(1001, "Amina").send_photo(JPEG, caption="closed bakery")
    largest = message["photo"][-1]
    with factory.begin() as session:
        org = orgs.create_organisation(session, "Buurtwerk Noord", NOW, "nl", [1, 2])
        note = obs.add_observation(
            session,
            organisation_id=org.id,
            member_id=None,
            author="walker-1",
            kind="walk_note",
            now=NOW,
            text="closed bakery",
            chat_id=1001,
            message_id=message["message_id"],
            media=[obs.NewMedia("photo", largest["file_id"], largest["file_unique_id"])],
        )
        return note.media[0].id, largest["file_id"]


@pytest.mark.parametrize("kind", ["absolute local file", "relative local file", "absolute"])
def test_a_file_path_naming_a_local_file_is_never_fetched(
    session_factory, sandbox, tmp_path: Path, kind: str
) -> None:
    secret = tmp_path / "secret.env"
    secret.write_text("BUURTBOT_TELEGRAM_TOKEN=123:very-secret")
    media_id, file_id = photo_row(session_factory, sandbox)
    named = {
        "absolute local file": str(secret),
        "relative local file": "pyproject.toml",  # relative to the bot's working directory
        "absolute": "/nonexistent/photos/file_9.jpg",
    }[kind]
    # The Bot API stand-in answers getFile with that path (as a hostile API could).
    with sandbox._lock:
        sandbox._files[file_id].file_path = named
    bot = Bot(sandbox.token, base_url=f"{sandbox.url}/bot", base_file_url=f"{sandbox.url}/file/bot")
    media_dir = tmp_path / "media"
    downloader = MediaDownloader(
        bot, session_factory, media_dir, Renderer(load_translator()), "en", lambda: NOW
    )
    status = asyncio.run(downloader.download(media_id, "photo", file_id))
    assert status == "failed"
    with session_factory() as session:
        row = session.get(MediaFile, media_id)
        assert (row.status, row.path) == ("failed", None)
    stored = [p for p in media_dir.rglob("*") if p.is_file()] if media_dir.exists() else []
    assert stored == []


def test_a_normal_photo_is_still_fetched(session_factory, sandbox, tmp_path: Path) -> None:
    media_id, file_id = photo_row(session_factory, sandbox)
    bot = Bot(sandbox.token, base_url=f"{sandbox.url}/bot", base_file_url=f"{sandbox.url}/file/bot")
    downloader = MediaDownloader(
        bot, session_factory, tmp_path, Renderer(load_translator()), "en", lambda: NOW
    )
    assert asyncio.run(downloader.download(media_id, "photo", file_id)) == "stored"
    with session_factory() as session:
        assert (tmp_path / session.get(MediaFile, media_id).path).read_bytes() == JPEG
