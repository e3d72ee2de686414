"""The composition root: build every part from settings, run them together, stop cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, Defaults, Job

from bot.delivery.media import MediaDownloader
from bot.delivery.outbox import OutboxSender
from bot.delivery.ratelimit import SendPacer
from bot.dispatch.dispatcher import Clock, Dispatcher, utc_now
from bot.dispatch.i18n import LANGUAGES, load_translator
from bot.dispatch.render import Renderer
from bot.intake.polling import poll_updates
from bot.intake.updates import ALLOWED_UPDATES
from bot.reporting import ReportFiles
from bot.runtime.feed import FEED_INTERVAL, feed_job
from bot.runtime.filejobs import FileWorker
from bot.runtime.jobs import geocode_job, sweep_job
from bot.runtime.leadership import ROLES, Role, lead
from bot.runtime.logs import protect_logs
from bot.runtime.memory import releasing_after_long_jobs
from bot.runtime.settings import Settings
from bot.runtime.waiting import pause
from flows import diary, digest, keyperson, rounds, walk
from flows.engine import FlowConfig
from flows.roles import STRANGER
from geo import Geocoder, NominatimGeocoder
from storage import deployment, filejobs, organisations, pipeline, retention
from storage.db import make_engine, make_session_factory
from storage.geocache import DatabaseGeocodeCache
from storage.locks import LeaderLock, leader_lock, worker_name
from storage.notify import INBOX_CHANNEL, OUTBOX_CHANNEL, Listener

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger("buurtbot")

KEEP_PROCESSED = timedelta(days=2)
# How long an idle dispatcher waits before looking at the inbox again without a wake-up.
IDLE_CHECK = 0.5

# Scheduled sweeps (function, seconds between runs): what is due is derived from the tables.
SWEEPS = (
    (walk.sweep, 60),
    (keyperson.due_follow_ups, 300),
    (diary.due_reminders, 30),
    (diary.due_summaries, 600),
    (digest.due_digests, 300),
    (rounds.due_round_reports, 600),
)


class ConfigurationError(RuntimeError):
    """The bot cannot start with these settings."""


def prepare_media_dir(path: Path) -> Path:
    """Create the media folder readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    return path


def deployment_secret(factory: sessionmaker[Session], configured: str, key: str) -> str:
    """Return the configured secret, or the one generated and kept in the database."""
    if configured:
        return configured
    with factory.begin() as session:
        return deployment.get_or_create_secret(session, key)


@dataclass
class Buurtbot:
    """Every long-lived part of one running bot."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    renderer: Renderer
    flow_config: FlowConfig
    application: Application
    dispatcher: Dispatcher
    sender: OutboxSender
    downloader: MediaDownloader
    files: FileWorker
    geocoder: Geocoder | None = None
    clock: Clock = utc_now
    inbox_event: asyncio.Event = field(default_factory=asyncio.Event)
    files_event: asyncio.Event = field(default_factory=asyncio.Event)
    outbox_event: asyncio.Event = field(default_factory=asyncio.Event)
    media_event: asyncio.Event = field(default_factory=asyncio.Event)
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def bot(self):  # noqa: ANN201 - telegram.Bot; kept untyped to avoid an import cycle in hints
        """Return the PTB bot."""
        return self.application.bot


def make_geocoder(settings: Settings, factory: sessionmaker[Session]) -> Geocoder | None:
    """Return the configured online geocoder, or None (offline matching only)."""
    if settings.geocoder != "nominatim":
        return None
    if not settings.geocoder_user_agent:
        raise ConfigurationError(
            "BUURTBOT_GEOCODER=nominatim needs BUURTBOT_GEOCODER_USER_AGENT (Nominatim's policy)"
        )
    return NominatimGeocoder(
        settings.geocoder_user_agent,
        DatabaseGeocodeCache(factory),
        language=settings.default_language,
    )


def build_app(
    settings: Settings, clock: Clock = utc_now, pacer: SendPacer | None = None
) -> Buurtbot:
    """Build the bot from settings; tests, chat and demo use this same builder."""
    if not settings.telegram_token:
        raise ConfigurationError("BUURTBOT_TELEGRAM_TOKEN is not set (get one from @BotFather)")
    protect_logs(settings.telegram_token)
    # Named so the workers can count each other and share the chats out (storage/locks.py).
    engine = make_engine(settings.database_url, application_name=worker_name())
    factory = make_session_factory(engine)
    media_dir = prepare_media_dir(settings.media_path)
    with factory() as session:
        stored_username = deployment.get_value(session, "bot_username")
    renderer = Renderer(load_translator())
    config = FlowConfig(
        default_language=settings.default_language,
        invite_valid_days=settings.invite_days,
        bot_username=settings.bot_username or stored_username,
        secret_key=deployment_secret(factory, settings.secret_key, "secret_key"),
        timezone=settings.timezone,
        media_dir=str(media_dir),
        reports=ReportFiles(renderer.translator.raw, settings.bot_username),
    )
    root = settings.telegram_api_url.rstrip("/")
    application = (
        Application.builder()
        .token(settings.telegram_token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .defaults(Defaults(tzinfo=ZoneInfo(settings.timezone)))
        .updater(None)
        .build()
    )
    dispatcher = Dispatcher(factory, renderer, config, media_dir, clock)
    sender = OutboxSender(
        application.bot,
        factory,
        media_dir,
        pacer=pacer,
        clock=clock,
        read_timeout=float(settings.send_timeout),
    )
    downloader = MediaDownloader(
        application.bot, factory, media_dir, renderer, settings.default_language, clock
    )
    return Buurtbot(
        settings=settings,
        engine=engine,
        session_factory=factory,
        renderer=renderer,
        flow_config=config,
        application=application,
        dispatcher=dispatcher,
        sender=sender,
        downloader=downloader,
        files=FileWorker(factory, renderer, config, media_dir, clock),
        geocoder=make_geocoder(settings, factory),
        clock=clock,
    )


async def _set_default_commands(app: Buurtbot) -> None:
    """Give strangers a short command menu in every language."""
    for language in (None, *LANGUAGES):
        commands = app.renderer.command_list(STRANGER, language or app.settings.default_language)
        params: dict = {"commands": commands}
        if language:
            params["language_code"] = language
        try:
            await app.sender.call("setMyCommands", params)
        except TelegramError as error:
            log.warning("could not set the command menu: %s", type(error).__name__)


async def _learn_username(app: Buurtbot) -> None:
    username = app.bot.username
    # A configured username wins (the sandbox chat sets its own and must not store it).
    if not username or app.settings.bot_username:
        return

    def store() -> None:
        with app.session_factory.begin() as session:
            deployment.set_value(session, "bot_username", username)

    await asyncio.to_thread(store)
    app.flow_config = replace(app.flow_config, bot_username=username)
    app.dispatcher.config = app.flow_config
    app.files.config = app.flow_config


async def _housekeeping(context: ContextTypes.DEFAULT_TYPE) -> None:
    app: Buurtbot = context.job.data
    now = app.clock()

    def purge() -> None:
        with app.session_factory.begin() as session:
            pipeline.purge_processed(
                session, now - KEEP_PROCESSED, failed_before=now - pipeline.KEEP_FAILED
            )
            organisations.purge_code_attempts(session, now, timedelta(hours=1))
            filejobs.purge_finished(
                session, now - KEEP_PROCESSED, failed_before=now - pipeline.KEEP_FAILED
            )
            removed = retention.apply_retention(session, now)
            for result in removed:
                deployment.set_value(
                    session,
                    f"retention:{result.organisation_id}",
                    json.dumps(
                        {"at": now.isoformat(), "texts": result.texts, "media": result.media}
                    ),
                )
        for result in removed:
            for relative in result.paths:
                (app.dispatcher.media_dir / relative).unlink(missing_ok=True)
        app.downloader.remove_orphans(now)

    await asyncio.to_thread(purge)


async def _dispatch_loop(app: Buurtbot) -> None:
    loop = asyncio.get_running_loop()

    def wake_sender() -> None:
        loop.call_soon_threadsafe(app.outbox_event.set)
        loop.call_soon_threadsafe(app.media_event.set)

    # A long batch (a burst, /mydata's files) gives the memory it freed back; exports and
    # pictures are made by the file worker, which does the same.
    process_pending = releasing_after_long_jobs(app.dispatcher.process_pending)
    failures = 0
    while not app.stop_event.is_set():
        # Cleared before looking: an update stored while the dispatcher looks (after its
        # query, say) wakes the wait below at once instead of waiting out IDLE_CHECK.
        app.inbox_event.clear()
        try:
            handled = await asyncio.to_thread(process_pending, 200, wake_sender)
            failures = 0
        except Exception as error:  # noqa: BLE001 - the database may be briefly away
            failures += 1
            log.error("dispatch sweep failed: %s", type(error).__name__)
            await pause(app.stop_event, min(5.0, 0.25 * 2**failures))
            continue
        if handled:
            continue
        # Until new updates are stored (the event is set), or a look anyway after a while.
        await pause(app.inbox_event, IDLE_CHECK)


class IntakeRole:
    """Receive updates: long polling, or a webhook server Telegram calls."""

    def __init__(self, app: Buurtbot, webhook_url: str | None, port: int | None) -> None:
        self.app = app
        self.webhook_url = webhook_url
        self.port = port
        self.runner: web.AppRunner | None = None
        self.polling: asyncio.Task[None] | None = None
        self.stop_event = asyncio.Event()

    async def start(self) -> None:
        """Start receiving updates and set the command menus."""
        app = self.app
        self.stop_event = asyncio.Event()
        if self.webhook_url:
            # aiohttp only for a webhook: a polling bot never loads it.
            from bot.intake.webhook import make_webhook_app, start_webhook_server, webhook_path

            secret = app.settings.webhook_secret or deployment_secret(
                app.session_factory, "", "webhook_secret"
            )
            webapp = make_webhook_app(
                app.session_factory, webhook_path(self.webhook_url), secret, app.inbox_event.set
            )
            self.runner = await start_webhook_server(
                webapp, app.settings.webhook_listen, self.port or 8080
            )
            await app.sender.call(
                "setWebhook",
                {
                    "url": self.webhook_url,
                    "secret_token": secret,
                    "allowed_updates": ALLOWED_UPDATES,
                },
            )
        else:
            with contextlib.suppress(TelegramError):
                await app.sender.call("deleteWebhook", {"drop_pending_updates": False})
            self.polling = asyncio.create_task(
                poll_updates(
                    app.bot,
                    app.session_factory,
                    self.stop_event,
                    app.inbox_event.set,
                    app.settings.poll_timeout,
                ),
                name="polling",
            )
        await _set_default_commands(app)

    async def stop(self) -> None:
        """Stop receiving updates; what was stored stays stored."""
        self.stop_event.set()
        if self.polling is not None:
            self.polling.cancel()
            await asyncio.gather(self.polling, return_exceptions=True)
            self.polling = None
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


class SchedulerRole:
    """Run the scheduled sweeps and housekeeping on PTB's JobQueue."""

    def __init__(self, app: Buurtbot) -> None:
        self.app = app
        self.jobs: list[Job] = []

    async def start(self) -> None:
        """Schedule every job."""
        app = self.app
        queue = app.application.job_queue
        assert queue is not None
        self.jobs = [
            queue.run_repeating(
                _housekeeping, interval=3600, first=5, data=app, name="housekeeping"
            )
        ]
        self.jobs.append(
            queue.run_repeating(
                feed_job, interval=FEED_INTERVAL, first=2, data=app, name="team_feed"
            )
        )
        if app.geocoder is not None:
            self.jobs.append(
                queue.run_repeating(geocode_job, interval=30, first=10, data=app, name="geocode")
            )
        for sweep, interval in SWEEPS:
            self.jobs.append(
                queue.run_repeating(
                    sweep_job(sweep), interval=interval, first=1, data=app, name=sweep.__name__
                )
            )

    async def stop(self) -> None:
        """Unschedule every job; one already running finishes its transaction."""
        for job in self.jobs:
            job.schedule_removal()
        self.jobs = []


class DeliveryRole:
    """Send the outbox and download media: the only process that talks to Telegram at pace."""

    def __init__(self, app: Buurtbot, predecessor_stopped: bool) -> None:
        self.app = app
        self.predecessor_stopped = predecessor_stopped
        self.tasks: list[asyncio.Task[None]] = []
        self.stop_event = asyncio.Event()

    async def start(self) -> None:
        """Start the sender and the downloader."""
        app = self.app
        self.stop_event = asyncio.Event()
        if self.predecessor_stopped:
            # Calls the previous sender had leased are not in flight any more: send them now
            # rather than when their lease runs out (after a crash of a single process, say).
            def release() -> None:
                with app.session_factory.begin() as session:
                    pipeline.release_leases(session, app.clock())

            await asyncio.to_thread(release)
        self.tasks = [
            asyncio.create_task(app.sender.run(self.stop_event, app.outbox_event), name="outbox"),
            asyncio.create_task(app.downloader.run(self.stop_event, app.media_event), name="media"),
        ]

    async def stop(self) -> None:
        """Stop after the calls in flight are answered."""
        self.stop_event.set()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []


def _roles(
    app: Buurtbot, webhook_url: str | None, port: int | None
) -> list[tuple[Role, LeaderLock]]:
    """Return each elected role with the lock that elects it."""
    locks = {name: leader_lock(app.settings.database_url, name) for name in ROLES}
    parts = {
        "intake": IntakeRole(app, webhook_url, port),
        "scheduler": SchedulerRole(app),
        "delivery": DeliveryRole(app, locks["delivery"].predecessor_stopped),
    }
    return [(Role(name, parts[name].start, parts[name].stop), locks[name]) for name in ROLES]


def _start_listener(app: Buurtbot) -> Listener | None:
    if not Listener.wanted(app.settings.database_url):
        return None
    loop = asyncio.get_running_loop()

    def waker(*events: asyncio.Event) -> Callable[[], None]:
        def wake() -> None:
            for event in events:
                loop.call_soon_threadsafe(event.set)

        return wake

    listener = Listener(
        app.settings.database_url,
        {
            INBOX_CHANNEL: waker(app.inbox_event),
            OUTBOX_CHANNEL: waker(app.outbox_event, app.media_event),
        },
    )
    listener.start()
    return listener


async def run_bot(
    app: Buurtbot,
    webhook_url: str | None = None,
    port: int | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Dispatch updates and play the elected roles until stop_event is set."""
    app.stop_event = asyncio.Event()
    app.inbox_event = asyncio.Event()
    app.outbox_event = asyncio.Event()
    app.media_event = asyncio.Event()
    app.files_event = asyncio.Event()
    await app.application.initialize()
    await _learn_username(app)
    await app.application.start()
    listener = _start_listener(app)
    tasks = [
        asyncio.create_task(_dispatch_loop(app), name="dispatch"),
        # Every worker makes files too: a lease keeps each job to one of them.
        asyncio.create_task(
            app.files.run(app.stop_event, app.files_event, app.outbox_event.set), name="files"
        ),
    ]
    first_round: dict[str, asyncio.Event] = {name: asyncio.Event() for name in ROLES}

    def tried(name: str, _leads: bool) -> None:
        first_round[name].set()

    for role, lock in _roles(app, webhook_url, port):
        tasks.append(
            asyncio.create_task(
                lead(lock, role, app.stop_event, on_first_try=tried),
                name=f"lead-{role.name}",
            )
        )
    # Ready once every role has been tried: led here, or known to be led elsewhere.
    await asyncio.wait(
        [asyncio.create_task(event.wait()) for event in first_round.values()], timeout=10
    )
    log.info("Buurtbot is running (%s)", "webhook" if webhook_url else "long polling")
    if ready is not None:
        ready.set()
    try:
        await app.stop_event.wait()
    finally:
        app.stop_event.set()
        app.files_event.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        if listener is not None:
            await asyncio.to_thread(listener.stop)
        await app.application.stop()
        await app.application.shutdown()
        app.engine.dispose()
