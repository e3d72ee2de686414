"""Download the photos, voice notes and videos of saved observations into the media folder."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.error import BadRequest, NetworkError, TelegramError

from bot.dispatcher import utc_now
from bot.render import Renderer, RenderTarget
from bot.waiting import pause
from flows.engine import reply
from storage import observations as obs
from storage import organisations as orgs
from storage import pipeline
from storage.db import reading
from storage.models import MediaFile

log = logging.getLogger("buurtbot.media")

EXTENSIONS = {"photo": ".jpg", "voice": ".ogg", "video": ".mp4"}
MAX_ATTEMPTS = 5
ORPHAN_AGE = timedelta(hours=1)
EXPORT_AGE = timedelta(days=1)
MEDIA_FOLDERS = ("photo", "voice", "video")
MEDIA_SWEEP_GAP = 0.5


def media_path_for(kind: str, now: datetime, suffix: str | None = None) -> str:
    """Return a generated relative path for a new file: never a name the user chose."""
    extension = suffix if suffix in (".jpg", ".jpeg", ".png", ".ogg", ".oga", ".mp4") else None
    extension = extension or EXTENSIONS.get(kind, ".bin")
    return f"{kind}/{now:%Y-%m}/{uuid.uuid4().hex}{extension}"


class MediaDownloader:
    """Fetches pending media with getFile and stores it under a generated name."""

    def __init__(
        self,
        bot: Bot,
        session_factory: sessionmaker[Session],
        media_dir: Path,
        renderer: Renderer,
        default_language: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.media_dir = media_dir
        self.renderer = renderer
        self.default_language = default_language
        self.clock = clock

    def _pending(self) -> list[tuple[int, str, str]]:
        with reading(self.session_factory) as session:
            return [(m.id, m.kind, m.file_id) for m in obs.pending_media(session, 10, MAX_ATTEMPTS)]

    def _finish(self, media_id: int, status: str, path: str | None, notify: bool) -> None:
        with self.session_factory.begin() as session:
            row = session.get(MediaFile, media_id)
            if row is None:
                return
            row.attempts += 1
            if status == "retry":
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = "failed"
                return
            row.status = status
            row.path = path
            observation = row.observation
            if notify and observation.chat_id:
                member = orgs.get_member(session, observation.chat_id)
                language = member.language if member else self.default_language
                target = RenderTarget(observation.chat_id, language, 0, self.media_dir)
                calls = self.renderer.render([reply("observe.file_too_big")], target)
                pipeline.enqueue(session, calls, self.clock())

    async def download(self, media_id: int, kind: str, file_id: str) -> str:
        """Download one file; return the status it ended with."""
        try:
            remote = await self.bot.get_file(file_id)
            suffix = Path(remote.file_path or "").suffix.lower() or None
            relative = media_path_for(kind, self.clock(), suffix)
            target = self.media_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            await remote.download_to_drive(target)
            os.chmod(target, 0o600)
        except BadRequest as error:
            too_big = "too big" in error.message.lower()
            status = "too_big" if too_big else "failed"
            await asyncio.to_thread(self._finish, media_id, status, None, too_big)
            return status
        except (NetworkError, TelegramError, OSError) as error:
            log.warning("download failed (%s); will retry", type(error).__name__)
            await asyncio.to_thread(self._finish, media_id, "retry", None, False)
            return "retry"
        await asyncio.to_thread(self._finish, media_id, "stored", relative, False)
        return "stored"

    async def download_pending(self) -> int:
        """Download what is pending now; return how many files were handled."""
        rows = await asyncio.to_thread(self._pending)
        for media_id, kind, file_id in rows:
            await self.download(media_id, kind, file_id)
        return len(rows)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        """Download until stopped; wake early when the dispatcher saved media."""
        while not stop.is_set():
            try:
                handled = await self.download_pending()
            except Exception as error:  # noqa: BLE001 - the database may be briefly away
                log.error("media sweep failed: %s", type(error).__name__)
                handled = 0
            if handled:
                continue
            # Every processed update wakes us; looking at most twice a second is plenty.
            await pause(stop, MEDIA_SWEEP_GAP)
            wake.clear()
            waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=5, return_when="FIRST_COMPLETED")
            for waiter in waiters:
                waiter.cancel()

    def remove_orphans(self, now: datetime) -> int:
        """Delete media files no observation refers to any more, and old exports."""
        with reading(self.session_factory) as session:
            referenced = obs.referenced_media_paths(session)
        removed = 0
        for folder in MEDIA_FOLDERS:
            for path in (self.media_dir / folder).rglob("*"):
                if not path.is_file():
                    continue
                relative = path.relative_to(self.media_dir).as_posix()
                age = now.timestamp() - path.stat().st_mtime
                if relative not in referenced and age > ORPHAN_AGE.total_seconds():
                    path.unlink(missing_ok=True)
                    removed += 1
        for path in (self.media_dir / "exports").glob("*"):
            if (
                path.is_file()
                and now.timestamp() - path.stat().st_mtime > EXPORT_AGE.total_seconds()
            ):
                path.unlink(missing_ok=True)
                removed += 1
        return removed
