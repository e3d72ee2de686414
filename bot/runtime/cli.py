"""The `buurtbot` command line: run, chat, organisations, invites and the database."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import NoReturn

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from bot.runtime import survey_cli
from bot.runtime.settings import Settings, SettingsError, load_settings
from flows.invite import invite_link
from storage import deployment, organisations, pipeline
from storage.db import make_engine, make_session_factory, upgrade


class CliError(Exception):
    """A problem to report to the user in one line."""


class Parser(argparse.ArgumentParser):
    """An argument parser that reports mistakes in one line."""

    def error(self, message: str) -> NoReturn:
        """Print one clear line and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _wijken(value: str) -> list[int]:
    codes: list[int] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise argparse.ArgumentTypeError(f"wijk codes are numbers, not {part!r}")
        codes.append(int(part))
    return codes


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, not {value!r}")
    return int(value)


def build_parser() -> Parser:
    """Describe every command and option."""
    parser = Parser(prog="buurtbot", description="Buurtbot: fieldwork for a neighbourhood analysis")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    run = commands.add_parser("run", help="run the bot (migrates the database first)")
    run.add_argument("--webhook", metavar="URL", help="receive updates at this public HTTPS URL")
    run.add_argument("--port", type=_positive, help="local port for the webhook server")
    run.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="worker processes sharing the load (PostgreSQL only; default 1)",
    )

    for plugin in plugin_commands():
        plugin.add_arguments(commands.add_parser(plugin.name, help=plugin.help))

    org = commands.add_parser("org", help="manage organisations")
    org_commands = org.add_subparsers(dest="org_command", required=True, parser_class=Parser)
    create = org_commands.add_parser("create", help="create an organisation; prints its id")
    create.add_argument("--name", required=True)
    create.add_argument("--wijken", type=_wijken, default=[], help="monitoring wijk codes: 1,2,37")
    create.add_argument("--language", choices=("nl", "fr", "en"), default=None)
    org_commands.add_parser("list", help="list organisations")

    invite = commands.add_parser("invite", help="create an invite code and link")
    invite.add_argument("--org", type=_positive, required=True, help="organisation id")
    invite.add_argument(
        "--role", required=True, choices=("coordinator", "staff", "volunteer", "resident")
    )
    invite.add_argument("--uses", type=_positive, default=1, help="how many people (default 1)")
    invite.add_argument("--multi", action="store_true", help="anyone with the code may join")
    invite.add_argument("--days", type=_positive, default=None, help="valid for N days")
    invite.add_argument("--qr", metavar="FILE.png", type=Path, help="also write a QR code PNG")

    export = commands.add_parser(
        "export",
        help="export observations and walk tracks",
        description=EXPORT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("--org", type=_positive, required=True, help="organisation id")
    export.add_argument(
        "--format", choices=("xlsx", "geojson", "csv"), help="default: from the --out extension"
    )
    export.add_argument("--out", metavar="FILE", type=Path, required=True)
    export.add_argument("--from", dest="start", metavar="DATE", help="first day, YYYY-MM-DD")
    export.add_argument("--to", dest="end", metavar="DATE", help="last day (included), YYYY-MM-DD")
    export.add_argument("--media", metavar="ZIP", type=Path, help="also zip the media files")
    export.add_argument(
        "--split",
        action="store_true",
        help="GeoJSON: write FILE-points, FILE-tracks and FILE-no-location, one geometry type "
        "each (QGIS opens each as one layer)",
    )
    export.add_argument(
        "--excel",
        action="store_true",
        help="CSV: ';' between cells and a decimal comma, for Excel in Belgium (nl-BE, fr-BE)",
    )
    export.add_argument(
        "--language",
        choices=("nl", "fr", "en"),
        help="words of the workbook and map popups (default: the organisation's)",
    )

    digest = commands.add_parser("digest", help="compile one weekly picture as an HTML file")
    digest.add_argument("--org", type=_positive, required=True, help="organisation id")
    digest.add_argument("--week", required=True, help="ISO week, e.g. 2026-W48")
    digest.add_argument("--out", metavar="FILE.html", type=Path, required=True)
    digest.add_argument("--language", choices=("nl", "fr", "en"), help="default: the org's")

    report = commands.add_parser("report", help="compile the round report of a period as HTML")
    report.add_argument("--org", type=_positive, required=True, help="organisation id")
    report.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD")
    report.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD")
    report.add_argument("--out", metavar="FILE.html", type=Path, required=True)
    report.add_argument("--language", choices=("nl", "fr", "en"), help="default: the org's")

    inbox = commands.add_parser(
        "inbox",
        help="updates whose step failed: list them (--failed) or replay them (retry)",
        description=INBOX_HELP,
    )
    inbox.add_argument(
        "--failed", action="store_true", help="list failed updates (never their content)"
    )
    inbox_commands = inbox.add_subparsers(dest="inbox_command", parser_class=Parser)
    retry = inbox_commands.add_parser(
        "retry",
        help="put failed updates back in line once the cause is fixed",
        description=INBOX_HELP,
    )
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "id", metavar="ID", nargs="?", type=_positive, help="an id from: buurtbot inbox --failed"
    )
    which.add_argument("--all", action="store_true", help="every failed update")

    survey_cli.add_parsers(commands, _positive)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, parser_class=Parser)
    db_commands.add_parser("upgrade", help="apply migrations")
    copy = db_commands.add_parser(
        "copy", help="copy everything into an empty database (e.g. from SQLite to PostgreSQL)"
    )
    copy.add_argument("--to", required=True, metavar="URL", help="the target database URL")
    return parser


def _session_factory(settings: Settings):  # noqa: ANN202 - sessionmaker[Session]
    upgrade(settings.database_url)
    return make_session_factory(make_engine(settings.database_url))


def cmd_org_create(settings: Settings, args: argparse.Namespace) -> str:
    """Create an organisation and return its id."""
    _check_wijken(args.wijken)
    factory = _session_factory(settings)
    with factory.begin() as session:
        organisation = organisations.create_organisation(
            session,
            args.name,
            datetime.now(UTC),
            language=args.language or settings.default_language,
            wijken=args.wijken,
        )
        return str(organisation.id)


def _check_wijken(codes: list[int]) -> None:
    from geo import get_gazetteer

    known = {wijk.code for wijk in get_gazetteer().wijken()}
    unknown = sorted(set(codes) - known)
    if unknown:
        raise CliError(
            f"unknown wijk code(s): {', '.join(map(str, unknown))} (Brussels monitoring codes)"
        )


def cmd_org_list(settings: Settings, _args: argparse.Namespace) -> str:
    """List organisations with their member counts."""
    from sqlalchemy import select

    from storage.models import Organisation

    factory = _session_factory(settings)
    with factory() as session:
        rows = session.scalars(select(Organisation).order_by(Organisation.id)).all()
        if not rows:
            return "no organisations yet: buurtbot org create --name NAME"
        return "\n".join(
            f"{org.id}\t{org.name}\t{org.language}\t"
            f"{organisations.count_members(session, org.id)} members"
            for org in rows
        )


def cmd_invite(settings: Settings, args: argparse.Namespace) -> str:
    """Create an invite and return the lines to print."""
    factory = _session_factory(settings)
    days = args.days or settings.invite_days
    with factory.begin() as session:
        if organisations.get_organisation(session, args.org) is None:
            raise CliError(f"there is no organisation with id {args.org} (see: buurtbot org list)")
        invite = organisations.create_invite(
            session,
            args.org,
            args.role,
            datetime.now(UTC),
            valid_for=timedelta(days=days),
            max_uses=None if args.multi else args.uses,
        )
        username = settings.bot_username or deployment.get_value(session, "bot_username")
        code, expires = invite.code, invite.expires_at
    uses = "anyone with the code" if args.multi else f"{args.uses} use(s)"
    lines = [
        f"code: {code}",
        f"role: {args.role}, {uses}, valid until {expires:%Y-%m-%d %H:%M} UTC",
    ]
    link = invite_link(username, code)
    if link:
        lines.append(f"link: {link}")
    else:
        lines.append(
            "link: unknown until the bot has run once or BUURTBOT_BOT_USERNAME is set; "
            f"meanwhile people send /start {code}"
        )
    if args.qr:
        from bot.runtime.qr import write_qr

        write_qr(link or f"/start {code}", args.qr)
        lines.append(f"qr: {args.qr}")
    return "\n".join(lines)


def _every(delay: timedelta) -> str:
    minutes = int(delay.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes >= 60 and not minutes % 60 else f"{minutes} min"


EXPORT_HELP = """\
Export an organisation's observations (DESIGN.md schema; authors are pseudonyms, diary
entries never have a place of their own).

  xlsx     a sheet per kind, the walks, the track points and the codes; headers and coded
           values in --language, the codes in each sheet's hidden first row; real dates
  geojson  for uMap and QGIS; every feature has a `name` and `description` for popups.
           --split writes FILE-points.geojson, FILE-tracks.geojson and
           FILE-no-location.geojson (one geometry type each: QGIS asks nothing)
  csv      RFC 4180, comma, UTF-8 with BOM, plus FILE_tracks.csv with the track points;
           --excel uses ';' and a decimal comma for Excel in Belgium (nl-BE, fr-BE)
"""

INBOX_HELP = (
    "When a step fails, the update (what someone sent, and their chat) stays in the inbox, "
    "marked failed; only the kind of error is recorded. The bot tries it again by itself "
    f"after {', '.join(_every(d) for d in pipeline.RETRY_AFTER)}, then tells the sender it "
    "could not be processed and keeps it for you. `retry` puts failed updates back in line "
    "as waiting: the running bot processes them within seconds, before the chat's later "
    "updates and as the chat stands then; with no bot running they wait until it starts "
    "(retry never contacts Telegram, so it is safe to run at any time). A failed update is "
    f"deleted with its content {pipeline.KEEP_FAILED.days} days after its last try, or at "
    "once when its sender uses /forget."
)


def _masked(number: int) -> str:
    return "***" + str(abs(number))[-3:]


def _sender(session, row, secret: str) -> str:  # noqa: ANN001 - Session, InboxUpdate
    """Name who sent a failed update by pseudonym, or by a masked id: never the raw id."""
    from storage.privacy import pseudonym

    sender = pipeline.update_sender_id(row.payload) or row.chat_id
    member = organisations.get_member(session, sender) if sender is not None else None
    who = pseudonym(secret, member.id) if member else f"user {_masked(sender or 0)}"
    if row.chat_id is not None and row.chat_id < 0:
        who += f" in group {_masked(row.chat_id)}"
    return who


def cmd_inbox(settings: Settings, args: argparse.Namespace) -> str:
    """List failed updates: when, who (pseudonym), what kind, which error, tries, next try."""
    from zoneinfo import ZoneInfo

    from bot.intake.updates import update_kind

    if not args.failed:
        raise CliError("say what to do: buurtbot inbox --failed, or buurtbot inbox retry ID|--all")
    zone = ZoneInfo(settings.timezone)
    factory = _session_factory(settings)
    with factory.begin() as session:
        rows = pipeline.failed_updates(session)
        if not rows:
            return "no failed updates"
        secret = settings.secret_key or deployment.get_or_create_secret(session, "secret_key")
        table = [("id", "received", "from", "kind", "error", "tries", "next try")]
        for row in rows:
            retry_at = pipeline.next_try(row)
            table.append(
                (
                    str(row.id),
                    f"{row.received_at.astimezone(zone):%Y-%m-%d %H:%M}",
                    _sender(session, row, secret),
                    update_kind(row.payload),
                    row.error or "?",
                    str(row.attempts),
                    f"{retry_at.astimezone(zone):%Y-%m-%d %H:%M}" if retry_at else "none (retry)",
                )
            )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in table
    )


def cmd_inbox_retry(settings: Settings, args: argparse.Namespace) -> str:
    """Put one failed update, or all, back in line for the dispatcher."""
    factory = _session_factory(settings)
    with factory.begin() as session:
        if args.all:
            count = pipeline.requeue(session)
            if not count:
                return "no failed updates to retry"
        elif not pipeline.requeue(session, [args.id]):
            raise CliError(
                f"there is no failed update with id {args.id} (see: buurtbot inbox --failed)"
            )
        else:
            count = 1
    return (
        f"{count} update(s) waiting again: a running bot processes them within seconds, "
        "otherwise they wait until it starts"
    )


def cmd_db_upgrade(settings: Settings, _args: argparse.Namespace) -> str:
    """Apply migrations."""
    upgrade(settings.database_url)
    return "database is up to date"


def cmd_db_copy(settings: Settings, args: argparse.Namespace) -> str:
    """Copy the configured database into an empty one."""
    from storage.copy import CopyError, copy_database, shown

    try:
        copied = copy_database(settings.database_url, args.to)
    except CopyError as error:
        raise CliError(str(error)) from None
    rows = sum(copied.values())
    return (
        f"copied {rows} rows in {len(copied)} tables to {shown(args.to)}; "
        "point BUURTBOT_DATABASE_URL there and keep BUURTBOT_MEDIA_DIR as it is"
    )


def cmd_run(settings: Settings, args: argparse.Namespace) -> str:
    """Migrate, then run the bot until interrupted."""
    from telegram.error import InvalidToken, NetworkError

    from bot.runtime.app import ConfigurationError, build_app, run_bot
    from bot.runtime.logs import configure_logging
    from bot.runtime.memory import limit_malloc_arenas

    if bool(args.webhook) != bool(args.port):
        raise CliError("--webhook URL and --port N go together")
    if args.webhook and not args.webhook.startswith("https://"):
        raise CliError("the webhook URL must start with https:// (Telegram requires it)")
    if not settings.telegram_token:
        raise CliError("BUURTBOT_TELEGRAM_TOKEN is not set (get one from @BotFather)")
    configure_logging(settings.log_level, [settings.telegram_token])
    if args.workers > 1:
        return _run_workers(settings, args)
    limit_malloc_arenas()
    upgrade(settings.database_url)
    try:
        app = build_app(settings)
    except ConfigurationError as error:
        raise CliError(str(error)) from None

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: app.stop_event.set())
        await run_bot(app, webhook_url=args.webhook, port=args.port)

    try:
        asyncio.run(main())
    except InvalidToken:
        raise CliError("Telegram rejected the bot token (check BUURTBOT_TELEGRAM_TOKEN)") from None
    except NetworkError as error:
        raise CliError(
            f"cannot reach the Bot API at {settings.telegram_api_url}: {error.message}"
        ) from None
    return "stopped"


def _run_workers(settings: Settings, args: argparse.Namespace) -> str:
    """Run several worker processes under one supervisor."""
    from bot.runtime.workers import Supervisor, worker_command

    if not settings.database_url.startswith(("postgresql", "postgres")):
        raise CliError(
            "--workers needs PostgreSQL (BUURTBOT_DATABASE_URL=postgresql://...): "
            "SQLite lets one process write at a time"
        )
    upgrade(settings.database_url)
    Supervisor(args.workers, worker_command(args.webhook, args.port)).run()
    return "stopped"


@dataclass(frozen=True)
class PluginCommand:
    """A command that a tool outside the product adds to `buurtbot` (the sandbox's demo, chat)."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Settings, argparse.Namespace], str]


# Tools register their commands under this entry-point group (pyproject.toml), so bot/ never
# imports them: the sandbox uses the bot, the bot does not use the sandbox.
PLUGIN_GROUP = "buurtbot.commands"


def plugin_commands() -> list[PluginCommand]:
    """Return the commands installed tools add, by name."""
    found = [entry.load() for entry in entry_points(group=PLUGIN_GROUP)]
    return sorted(
        (plugin for plugin in found if isinstance(plugin, PluginCommand)), key=lambda p: p.name
    )


def _export_date(value: str | None, option: str):  # noqa: ANN202 - datetime.date | None
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise CliError(f"{option} {value!r} is not a date: use YYYY-MM-DD") from None


def _export_target(path: Path, option: str) -> None:
    import os

    if path.is_dir():
        raise CliError(f"{option} {path} is a folder; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CliError(f"cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise CliError(f"cannot write {path}: the folder {folder} is not writable")


def cmd_export(settings: Settings, args: argparse.Namespace) -> str:
    """Export an organisation's observations and walk tracks; return what was written."""
    from bot.reporting import catalog_for
    from reports import export as exports

    start = _export_date(args.start, "--from")
    end = _export_date(args.end, "--to")
    if start and end and start > end:
        raise CliError(f"--from {start} is after --to {end}")
    _export_target(args.out, "--out")
    if args.media:
        _export_target(args.media, "--media")
    fmt = args.format
    if fmt is None:
        suffix = args.out.suffix.lower().lstrip(".")
        fmt = {"json": "geojson", "geojson": "geojson", "csv": "csv", "xlsx": "xlsx"}.get(suffix)
        if fmt is None:
            raise CliError("say which --format: xlsx, geojson or csv")
    if args.split and fmt != "geojson":
        raise CliError("--split is for --format geojson")
    if args.excel and fmt != "csv":
        raise CliError("--excel is for --format csv")
    factory = _session_factory(settings)
    lines: list[str] = []
    # Read while writing: an export of years of fieldwork never sits in memory at once.
    with factory() as session:
        organisation = organisations.get_organisation(session, args.org)
        if organisation is None:
            raise CliError(f"there is no organisation with id {args.org} (see: buurtbot org list)")
        language = args.language or organisation.language or settings.default_language
        labels = exports.Labels(language, catalog_for(language))
        data = exports.open_export(session, args.org, start, end, settings.timezone, labels)
        try:
            written = exports.write_export(data, fmt, args.out, split=args.split, excel=args.excel)
            counts = (
                f"{data.observation_count} observations ({data.located} with a location), "
                f"{data.track_count} walk tracks"
            )
            if args.split:
                lines.extend(f"wrote {path}" for path in written)
                lines.append(f"in all: {counts}")
            else:
                lines.append(f"wrote {written[0]}: {counts}")
                for extra in written[1:]:
                    lines.append(f"wrote {extra}: {data.track_point_count} track points")
            if args.media:
                result = exports.write_media_zip(data, settings.media_path, args.media)
                missing = f", {len(result.missing)} not on disk" if result.missing else ""
                lines.append(f"wrote {args.media}: {len(result.stored)} media files{missing}")
        except OSError as error:
            raise CliError(f"cannot write {error.filename or args.out}: {error.strerror}") from None
        if data.is_empty:
            lines.append("nothing was recorded in this period")
    return "\n".join(lines)


def cmd_digest(settings: Settings, args: argparse.Namespace) -> str:
    """Compile one organisation's weekly picture into an HTML file."""
    from bot.reporting import catalog_for
    from reports.digest import build_digest, parse_iso_week
    from reports.render import render_digest_html

    year, week = parse_iso_week(args.week)
    _html_target(args.out)
    with _session_factory(settings)() as session:
        organisation = organisations.get_organisation(session, args.org)
        if organisation is None:
            raise CliError(f"there is no organisation with id {args.org} (see: buurtbot org list)")
        language = args.language or organisation.language
        digest = build_digest(
            session,
            args.org,
            year,
            week,
            language,
            settings.timezone,
            settings.media_path,
            bot_username=settings.bot_username,
        )
    page = render_digest_html(digest, catalog_for(language))
    try:
        args.out.write_text(page, encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot write {args.out}: {error.strerror}") from None
    return f"wrote {args.out}: week {digest.week_label}, {digest.observations} observations"


def cmd_survey_list(settings: Settings, args: argparse.Namespace) -> str:
    """List an organisation's surveys."""
    try:
        return survey_cli.survey_list(_session_factory(settings), settings, args)
    except survey_cli.SurveyCliError as error:
        raise CliError(str(error)) from None


def cmd_survey_qr(settings: Settings, args: argparse.Namespace) -> str:
    """Write a survey's QR code."""
    try:
        return survey_cli.survey_qr(_session_factory(settings), settings, args)
    except survey_cli.SurveyCliError as error:
        raise CliError(str(error)) from None


def _iso_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CliError(f"{option} wants a date as YYYY-MM-DD, not {text!r}") from None


def _html_target(out: Path) -> None:
    if out.is_dir() or not (out.parent if str(out.parent) else Path(".")).is_dir():
        raise CliError(f"cannot write {out}: give a file in an existing folder")


def cmd_report(settings: Settings, args: argparse.Namespace) -> str:
    """Compile one organisation's round report of a period into an HTML file."""
    from bot.reporting import catalog_for
    from reports.render import render_round_html
    from reports.round.build import build_round_report, check_period

    first, last = _iso_day(args.start, "--from"), _iso_day(args.end, "--to")
    check_period(first, last)
    _html_target(args.out)
    with _session_factory(settings)() as session:
        organisation = organisations.get_organisation(session, args.org)
        if organisation is None:
            raise CliError(f"there is no organisation with id {args.org} (see: buurtbot org list)")
        language = args.language or organisation.language
        report = build_round_report(session, args.org, first, last, language, settings.timezone)
    page = render_round_html(report, catalog_for(language))
    try:
        args.out.write_text(page, encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot write {args.out}: {error.strerror}") from None
    return f"wrote {args.out}: {first} to {last}, {report.observations} observations"


HANDLERS = {
    ("run", None): cmd_run,
    ("org", "create"): cmd_org_create,
    ("org", "list"): cmd_org_list,
    ("invite", None): cmd_invite,
    ("db", "upgrade"): cmd_db_upgrade,
    ("db", "copy"): cmd_db_copy,
    ("export", None): cmd_export,
    ("digest", None): cmd_digest,
    ("report", None): cmd_report,
    ("inbox", None): cmd_inbox,
    ("inbox", "retry"): cmd_inbox_retry,
    ("survey", "list"): cmd_survey_list,
    ("survey", "qr"): cmd_survey_qr,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; problems are one line on stderr and a non-zero exit."""
    args = build_parser().parse_args(argv)
    sub = next(
        (
            getattr(args, name, None)
            for name in ("org_command", "db_command", "inbox_command", "survey_command")
            if getattr(args, name, None)
        ),
        None,
    )
    plugins = {plugin.name: plugin.run for plugin in plugin_commands()}
    handler = HANDLERS.get((args.command, sub)) or plugins[args.command]
    try:
        settings = load_settings()
        output = handler(settings, args)
    except (CliError, SettingsError, ValueError) as error:
        print(f"buurtbot: error: {error}", file=sys.stderr)
        return 1
    except OperationalError as error:
        reason = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
        print(f"buurtbot: error: cannot use the database: {reason}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        print(f"buurtbot: error: database problem: {type(error).__name__}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - never a traceback on the command line
        print(f"buurtbot: error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    if output:
        print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
