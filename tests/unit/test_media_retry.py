"""Media survive outages of Telegram's file server: back-off over hours, then an honest "missing".

The downloader runs against the real sandbox over HTTP, with a simulated clock shared by the
downloader and the sandbox (refusal windows and file link lifetimes), so hours pass at once.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot

from bot.delivery import media as media_module
from bot.delivery.media import MediaDownloader
from bot.dispatch.i18n import LANGUAGES, load_translator
from bot.dispatch.render import Renderer
from bot.reporting import catalog_for
from reports.digest import build_digest
from reports.export import open_export, write_csv
from reports.render import render_digest_html
from sandbox import SandboxServer
from storage import observations as obs
from storage import organisations as orgs
from storage.models import MediaFile, OutboxMessage

pytestmark = pytest.mark.storage

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"
GRAND_PLACE = obs.Place(
    50.8467,
    4.3525,
    8,
    "message",
    wijk_code=1,
    municipality_nis=21004,
    in_brussels=True,
    in_buurt=True,
)
TRANSLATOR = load_translator()


class Clock:
    """A simulated UTC clock; the sandbox reads the same time as monotonic seconds."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.start = start

    def __call__(self) -> datetime:
        return self.now

    def seconds(self) -> float:
        return (self.now - self.start).total_seconds() + 1000.0

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(now: datetime) -> Clock:
    return Clock(now)


@pytest.fixture
def sandbox(clock: Clock) -> Iterator[SandboxServer]:
    # Links expire after an hour of simulated time, like Telegram's.
    server = SandboxServer(monotonic=clock.seconds, file_link_ttl=3600).start()
    yield server
    server.stop()
    assert server.violations == []


class Setup:
    def __init__(self, factory, sandbox, clock, media_dir: Path) -> None:
        self.factory = factory
        self.sandbox = sandbox
        self.clock = clock
        self.media_dir = media_dir
        self.bot = Bot(
            sandbox.token,
            base_url=f"{sandbox.url}/bot",
            base_file_url=f"{sandbox.url}/file/bot",
        )
        self.downloader = self.new_downloader()
        with factory.begin() as session:
            self.org_id = orgs.create_organisation(
                session, "Buurtwerk Noord", clock(), "nl", [1, 2]
            ).id

    def new_downloader(self) -> MediaDownloader:
        """A downloader as a (re)started bot makes it: nothing kept in memory."""
        renderer = Renderer(load_translator())
        return MediaDownloader(self.bot, self.factory, self.media_dir, renderer, "en", self.clock)

    def photo_note(self, size: int | None = None, data: bytes = JPEG) -> int:
        """A walker sends a photo; the bot stores the note; return the media row id."""
        user = self.sandbox.user(1001, "Amina")
        message = user.send_photo(data, caption="closed bakery")
        largest = message["photo"][-1]
        with self.factory.begin() as session:
            note = obs.add_observation(
                session,
                organisation_id=self.org_id,
                member_id=None,
                author="walker-1",
                kind="walk_note",
                now=self.clock(),
                text="closed bakery",
                place=GRAND_PLACE,
                chat_id=1001,
                message_id=message["message_id"],
                media=[
                    obs.NewMedia(
                        "photo", largest["file_id"], largest["file_unique_id"], file_size=size
                    )
                ],
            )
            return note.media[0].id

    def row(self, media_id: int) -> MediaFile:
        with self.factory() as session:
            return session.get(MediaFile, media_id)

    async def sweep(self) -> int:
        return await self.downloader.download_pending()

    async def retry_until_settled(self, media_id: int, limit: int = 200) -> list[datetime]:
        """Let simulated time run from one due try to the next; return the times of the tries."""
        tries: list[datetime] = []
        for _ in range(limit):
            row = self.row(media_id)
            if row.status != "pending":
                return tries
            if row.next_try_at is not None:
                # Nothing is tried a second early (a restarted bot keeps the schedule too).
                self.clock.now = row.next_try_at - timedelta(seconds=1)
                assert await self.new_downloader().download_pending() == 0
                self.clock.now = row.next_try_at
            tries.append(self.clock())
            assert await self.sweep() == 1
        raise AssertionError("the download never settled")


def run(setup: Setup, body) -> None:
    """Run a test body in one event loop, with the bot's HTTP client open."""

    async def main() -> None:
        async with setup.bot:
            await body()

    asyncio.run(main())


@pytest.fixture
def setup(
    session_factory: sessionmaker[Session], sandbox: SandboxServer, clock: Clock, tmp_path: Path
) -> Setup:
    return Setup(session_factory, sandbox, clock, tmp_path / "media")


def gaps(times: list[datetime]) -> list[float]:
    return [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]


def test_the_back_off_grows_to_half_an_hour_and_gives_up_after_a_day() -> None:
    steps = [media_module.retry_gap(n).total_seconds() for n in range(1, 14)]
    assert steps == [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1800, 1800, 1800]
    total = sum(
        (media_module.retry_gap(n) for n in range(1, media_module.MAX_ATTEMPTS)), timedelta(0)
    )
    assert timedelta(hours=24) <= total < timedelta(hours=24, minutes=30)
    assert media_module.MAX_ATTEMPTS == 58


def test_a_long_refusal_is_outlasted_with_growing_gaps_and_fresh_links(setup: Setup) -> None:
    media_id = setup.photo_note()
    # Telegram's file server drops every download for an hour and a half of simulated time.
    setup.sandbox.refuse_files(90 * 60, how="drop")
    tries: list[datetime] = []

    async def body() -> None:
        tries.extend(await setup.retry_until_settled(media_id))

    run(setup, body)

    row = setup.row(media_id)
    assert row.status == "stored" and row.next_try_at is None
    assert (setup.media_dir / row.path).read_bytes() == JPEG
    assert gaps(tries) == [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1800, 1800]
    assert row.attempts == len(tries) == 13
    assert setup.sandbox.refused_file_requests == 12
    # getFile is asked again before every try, and each answer is a new link: the early ones
    # had expired (an hour) by the time the server came back.
    links = [call for call in setup.sandbox.calls("getFile") if call["status"] == 200]
    assert len(links) == len(tries)


def test_the_downloader_sleeps_until_the_next_try_and_new_media_wakes_it(setup: Setup) -> None:
    media_id = setup.photo_note()
    setup.sandbox.refuse_files(60, how="503", get_file=True)

    async def body() -> None:
        assert await setup.sweep() == 1
        assert setup.row(media_id).next_try_at == setup.clock() + timedelta(seconds=2)
        # It sleeps until the next try is due (looking anyway every few seconds).
        assert await setup.downloader.seconds_to_next_try() == 2
        setup.clock.advance(timedelta(seconds=1.5))
        assert await setup.downloader.seconds_to_next_try() == 0.5
        setup.sandbox.restore_files()
        setup.clock.advance(timedelta(minutes=10))
        loop = asyncio.get_running_loop()
        stop, wake = asyncio.Event(), asyncio.Event()
        # Seen from here, the downloader is asleep once it has asked how long to sleep and heard
        # "as long as you like" (nothing runs between that answer and its wait).
        idle = asyncio.Event()
        asked = setup.downloader.seconds_to_next_try

        async def seconds_to_next_try() -> float:
            seconds = await asked()
            if seconds >= media_module.MEDIA_IDLE_CHECK:
                idle.set()
            return seconds

        setup.downloader.seconds_to_next_try = seconds_to_next_try  # type: ignore[method-assign]
        task = asyncio.create_task(setup.downloader.run(stop, wake))

        async def stored(media: int) -> float:
            started = loop.time()
            while setup.row(media).status != "stored":
                assert loop.time() - started < 10, setup.row(media).status
                await asyncio.sleep(0.02)
            return loop.time() - started

        await stored(media_id)
        await asyncio.wait_for(idle.wait(), 10)  # nothing pending: it sleeps its longest
        second = setup.photo_note()
        wake.set()
        assert await stored(second) < media_module.MEDIA_IDLE_CHECK / 2
        stop.set()
        await task

    run(setup, body)


def test_a_file_over_the_download_limit_is_too_big_at_once_without_retries(setup: Setup) -> None:
    big = JPEG[:-2] + b"\x00" * (20 * 1024 * 1024) + JPEG[-2:]
    media_id = setup.photo_note(size=None, data=big)  # the size was not in the message

    async def body() -> None:
        assert await setup.sweep() == 1
        row = setup.row(media_id)
        assert (row.status, row.attempts, row.next_try_at) == ("too_big", 1, None)
        setup.clock.advance(timedelta(hours=2))
        assert await setup.sweep() == 0

    run(setup, body)
    assert len(setup.sandbox.calls("getFile")) == 1
    with setup.factory() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_after_a_day_of_refusals_the_note_says_its_photo_is_missing(
    setup: Setup, tmp_path: Path
) -> None:
    media_id = setup.photo_note()
    setup.sandbox.refuse_files(get_file=True, how="503")  # until further notice
    tries: list[datetime] = []

    async def body() -> None:
        tries.extend(await setup.retry_until_settled(media_id))
        # Once given up, nothing more is asked of Telegram.
        setup.sandbox.restore_files()
        setup.clock.advance(timedelta(days=1))
        assert await setup.sweep() == 0

    run(setup, body)
    row = setup.row(media_id)
    assert row.status == "failed" and row.path is None and row.next_try_at is None
    assert row.attempts == len(tries) == media_module.MAX_ATTEMPTS
    assert timedelta(hours=24) <= tries[-1] - tries[0] < timedelta(hours=25)
    assert max(gaps(tries)) == 1800
    assert len(setup.sandbox.calls("getFile")) == len(tries)

    with setup.factory() as session:
        export = open_export(session, setup.org_id)
        [feature] = export.observation_features()
        [csv_path, *_] = write_csv(export, tmp_path / "out.csv")
    assert feature["properties"]["media"] == []
    assert feature["properties"]["media_missing"] == ["photo"]
    header, line = csv_path.read_text(encoding="utf-8").splitlines()[:2]
    assert "media_missing" in header.split(",") and "photo" in line.split(",")

    for language in LANGUAGES:
        with setup.factory() as session:
            digest = build_digest(
                session, setup.org_id, 2026, 48, language, media_dir=setup.media_dir
            )
        [photo] = digest.photos
        assert photo.unfetched and photo.caption == "closed bakery"
        page = render_digest_html(digest, catalog_for(language))
        photos = page.split('id="list"')[1].split("</section>")[0]
        assert TRANSLATOR.raw(language, "digest.photos.unfetched") in html.unescape(photos)
        assert "<img" not in photos
