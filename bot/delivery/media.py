"""Download the photos, voice notes and videos of saved observations into the media folder.

Telegram's file server has hiccups, so a failed download is tried again after a growing pause
(2 s, 4 s, 8 s ... at most 30 min apart) for about a day: MAX_ATTEMPTS tries (58) spread over a
little more than GIVE_UP_AFTER (24 h), after which the file is marked "failed" and exports and
the weekly picture say it could not be fetched. The time of the next try is kept in the
database (`media_files.next_try_at`), so a restart keeps the schedule. Each try calls getFile
again: Telegram's download links only last about an hour. Files over the 20 MB download limit
are marked "too_big" at once and never tried.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot.dispatch.dispatcher import utc_now
from bot.dispatch.render import Renderer, RenderTarget
from bot.reporting import EXPORTS
from bot.runtime.waiting import pause
from flows.digest import DIGEST_FOLDER
from flows.engine import reply
from flows.rounds import ROUND_FOLDER
from storage import media as stored_media
from storage import observations as obs
from storage import organisations as orgs
from storage import pipeline
from storage.db import reading
from storage.models import MediaFile
from storage.privacy import MEMBER_DATA_PREFIX, files_still_to_send

log = logging.getLogger("buurtbot.media")

EXTENSIONS = {"photo": ".jpg", "voice": ".ogg", "video": ".mp4"}
ORPHAN_AGE = timedelta(hours=1)
EXPORT_AGE = timedelta(days=1)
# /mydata files are deleted once sent (bot/delivery/outbox.py); one never sent goes after this long.
MEMBER_DATA_AGE = timedelta(minutes=10)
MEMBER_DATA_SWEEP = 60.0
MEDIA_FOLDERS = ("photo", "voice", "video")
# Files the bot makes: they are in the team's chats once sent, so the server keeps them a day.
MADE_FOLDERS = (EXPORTS, DIGEST_FOLDER, ROUND_FOLDER)
MEDIA_SWEEP_GAP = 0.5
# However far off the next try is, look at the table this often (a missed wake-up costs no more).
MEDIA_IDLE_CHECK = 5.0
# The pause after the first failed try, doubled after each further one up to LONGEST_GAP.
FIRST_GAP = timedelta(seconds=2)
LONGEST_GAP = timedelta(minutes=30)
GIVE_UP_AFTER = timedelta(hours=24)


def retry_gap(failures: int) -> timedelta:
    """Return the pause after a file's n-th failed try: 2 s, 4 s, 8 s ... at most 30 min."""
    if failures < 1:
        return timedelta(0)
    return min(FIRST_GAP * 2 ** min(failures - 1, 20), LONGEST_GAP)


def tries_within(horizon: timedelta) -> int:
    """Return how many tries the back-off makes before its last try is `horizon` after the first."""
    tries, waited = 1, timedelta(0)
    while waited < horizon:
        waited += retry_gap(tries)
        tries += 1
    return tries


# 58: gaps of 2 s ... 1024 s (34 min in all), then 47 of 30 min; the last try ~24 h 4 min in.
MAX_ATTEMPTS = tries_within(GIVE_UP_AFTER)


def _retry_after(error: Exception) -> timedelta:
    """Return how long Telegram asked us to wait (429), or nothing."""
    if not isinstance(error, RetryAfter):
        return timedelta(0)
    value = error.retry_after
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


class RefusedPath(ValueError):
    """getFile named a file_path Buurtbot will not fetch (a local file, an absolute path)."""


def remote_file_path(file_path: str | None, base_file_url: str) -> str:
    """Return the path on Telegram's file server that getFile named; refuse anything else.

    The hosted Bot API names a relative path such as "photos/file_1.jpg". python-telegram-bot
    turns it into a download link, unless the path names a file on this machine: then it copies
    that file (meant for a local Bot API server), so an API that answers "/srv/buurtbot/.env"
    or "buurtbot.db" would have the bot store its own secrets as the member's photo.
    """
    prefix = f"{base_file_url}/"
    if not file_path or not file_path.startswith(prefix):
        raise RefusedPath("not a link to Telegram's file server")
    relative = file_path[len(prefix) :]
    parts = relative.replace("\\", "/").split("/")
    if (
        not relative
        or relative.startswith(("/", "\\", "~"))
        or re.match(r"^[A-Za-z]:", relative)
        or "\x00" in relative
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise RefusedPath("not a relative path on Telegram's file server")
    return relative


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
            due = stored_media.due_media(session, self.clock(), 10)
            return [(m.id, m.kind, m.file_id) for m in due]

    def _next_due(self) -> datetime | None:
        with reading(self.session_factory) as session:
            return stored_media.next_media_due(session)

    def _finish(
        self,
        media_id: int,
        status: str,
        path: str | None,
        notify: bool,
        wait: timedelta = timedelta(0),
    ) -> None:
        with self.session_factory.begin() as session:
            row = session.get(MediaFile, media_id)
            if row is None or row.status != "pending":
                return
            row.attempts += 1
            if status == "retry":
                if row.attempts >= MAX_ATTEMPTS:
                    log.warning("gave up on a %s after %d tries", row.kind, row.attempts)
                    row.status = "failed"
                    row.next_try_at = None
                else:
                    row.next_try_at = self.clock() + max(retry_gap(row.attempts), wait)
                return
            row.status = status
            row.path = path
            row.next_try_at = None
            observation = row.observation
            if notify and observation is not None and observation.chat_id:
                member = orgs.get_member(session, observation.chat_id)
                language = member.language if member else self.default_language
                target = RenderTarget(observation.chat_id, language, 0, self.media_dir)
                calls = self.renderer.render([reply("observe.file_too_big")], target)
                pipeline.enqueue(session, calls, self.clock())

    async def download(self, media_id: int, kind: str, file_id: str) -> str:
        """Try one file once; return the status it ended with ("retry": tried again later)."""
        target: Path | None = None
        try:
            # Always a fresh getFile: a file_path from an earlier try may have expired.
            remote = await self.bot.get_file(file_id)
            try:
                remote_file_path(remote.file_path, self.bot.base_file_url)
            except RefusedPath as refused:
                log.warning("getFile named a path that is refused (%s); not fetched", refused)
                await asyncio.to_thread(self._finish, media_id, "failed", None, False)
                return "failed"
            suffix = Path(remote.file_path or "").suffix.lower() or None
            relative = media_path_for(kind, self.clock(), suffix)
            target = self.media_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            await remote.download_to_drive(target)
            os.chmod(target, 0o600)
        except (NetworkError, TelegramError, OSError) as error:
            if target is not None:
                target.unlink(missing_ok=True)  # no half-written file left behind
            if isinstance(error, BadRequest) and "too big" in error.message.lower():
                await asyncio.to_thread(self._finish, media_id, "too_big", None, True)
                return "too_big"
            # Anything else may pass: Telegram itself answers "wrong file_id or the file is
            # temporarily unavailable", and a 404 on an expired link is cured by a new getFile.
            log.warning("download failed (%s); will retry", type(error).__name__)
            wait = _retry_after(error)
            await asyncio.to_thread(self._finish, media_id, "retry", None, False, wait)
            return "retry"
        await asyncio.to_thread(self._finish, media_id, "stored", relative, False)
        return "stored"

    async def download_pending(self) -> int:
        """Download what is pending now; return how many files were handled."""
        rows = await asyncio.to_thread(self._pending)
        for media_id, kind, file_id in rows:
            await self.download(media_id, kind, file_id)
        return len(rows)

    async def seconds_to_next_try(self) -> float:
        """Return how long to sleep: until the next retry is due, at most MEDIA_IDLE_CHECK."""
        due = await asyncio.to_thread(self._next_due)
        if due is None:
            return MEDIA_IDLE_CHECK
        return min(MEDIA_IDLE_CHECK, max(0.0, (due - self.clock()).total_seconds()))

    def remove_member_data(self, now: datetime) -> int:
        """Delete /mydata files older than MEMBER_DATA_AGE (sent ones are gone already)."""
        folder, _, stem = MEMBER_DATA_PREFIX.rpartition("/")
        removed = 0
        for path in (self.media_dir / folder).glob(f"{stem}*"):
            try:
                if now.timestamp() - path.stat().st_mtime > MEMBER_DATA_AGE.total_seconds():
                    path.unlink(missing_ok=True)
                    removed += 1
            except OSError:
                continue  # deleted meanwhile (sent, or /forget)
        return removed

    async def _sweep_member_data(self) -> None:
        try:
            await asyncio.to_thread(self.remove_member_data, self.clock())
        except OSError as error:
            log.error("could not sweep /mydata files: %s", type(error).__name__)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        """Download until stopped; sleep until the next retry is due, or new media wakes us.

        Every MEMBER_DATA_SWEEP seconds it also deletes /mydata files that were never sent.
        """
        loop = asyncio.get_running_loop()
        swept = loop.time()
        while not stop.is_set():
            if loop.time() - swept >= MEMBER_DATA_SWEEP:
                swept = loop.time()
                await self._sweep_member_data()
            # Cleared before looking: media saved after this moment wakes the wait below.
            wake.clear()
            try:
                handled = await self.download_pending()
            except Exception as error:  # noqa: BLE001 - the database may be briefly away
                log.error("media sweep failed: %s", type(error).__name__)
                handled = 0
            if handled:
                continue
            # Every processed update wakes us; looking at most twice a second is plenty.
            await pause(stop, MEDIA_SWEEP_GAP)
            if wake.is_set():
                continue
            try:
                sleep = await self.seconds_to_next_try()
            except Exception as error:  # noqa: BLE001 - the database may be briefly away
                log.error("media sweep failed: %s", type(error).__name__)
                sleep = MEDIA_IDLE_CHECK
            if sleep <= 0:
                continue
            waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=sleep, return_when="FIRST_COMPLETED")
            for waiter in waiters:
                waiter.cancel()

    def remove_orphans(self, now: datetime) -> int:
        """Delete media files no observation refers to any more, and made files a day old.

        Made files (exports, pictures, round reports) stay as long as a call waiting in the
        outbox is to send them, however old they are (Telegram may be away for hours).
        """
        with reading(self.session_factory) as session:
            referenced = obs.referenced_media_paths(session)
            waiting = files_still_to_send(session)
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
        for folder in MADE_FOLDERS:
            for path in (self.media_dir / folder).glob("*"):
                relative = path.relative_to(self.media_dir).as_posix()
                if (
                    path.is_file()
                    and relative not in waiting
                    and now.timestamp() - path.stat().st_mtime > EXPORT_AGE.total_seconds()
                ):
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed
