"""The files flows send, made with reports/ and the bot's catalogs (the ReportMaker port)."""

from __future__ import annotations

import json
import os
import secrets
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.dispatch.i18n import Translator, load_translator, plural_index
from flows.engine import (
    ExportTooBigError,
    ExportWritten,
    MemberFiles,
    RoundPicture,
    Text,
    WeeklyPicture,
)

# reports/ (jinja2, the picture's maps, the export writers) is imported on the first file made:
# a bot that makes none stays lighter.


def as_text(value: Any) -> Any:
    """Turn the renderer's Msg tree into the engine's Text values (the bot translates them)."""
    from reports.digest import Msg

    if isinstance(value, Msg):
        return Text(value.key, {name: as_text(item) for name, item in value.params.items()})
    if isinstance(value, tuple | list):
        return tuple(as_text(item) for item in value)
    return value


class BotCatalog:
    """The bot's catalogs in one language, as reports.render reads them (with plural forms)."""

    def __init__(self, translator: Translator, language: str) -> None:
        self.translator = translator
        self.language = language

    def __call__(self, key: str, /) -> str:
        """Return a message's text (the first form of a plural entry)."""
        return self.translator.raw(self.language, key)

    def plural(self, key: str, count: int) -> str:
        """Return the form of a plural entry for a count (ngettext); other entries as they are."""
        forms = self.translator.plurals.get(self.language, {}).get(key)
        if not forms:
            return self(key)
        return forms[min(plural_index(self.language, count), len(forms) - 1)]


def catalog_for(language: str, translator: Translator | None = None) -> BotCatalog:
    """Return the catalog of one language for the picture (the packaged catalogs by default)."""
    return BotCatalog(translator or load_translator(), language)


# Files asked for in a chat (exports, /mydata) go here and are swept after a day.
EXPORTS = "exports"


def folder_under(media_dir: str, folder: str) -> Path:
    """Return a folder under the media folder, made (private to the bot) when missing."""
    target = Path(media_dir) / folder
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    return target


def write_html(page: str, media_dir: str, folder: str, stem: str) -> str:
    """Write an HTML page under the media folder with a name nobody guesses; return its path."""
    target = folder_under(media_dir, folder)
    name = f"{stem}-{secrets.token_hex(4)}.html"
    # Written aside and renamed: the sender never picks up half a file.
    temporary = target / f".{name}.part"
    temporary.write_text(page, encoding="utf-8")
    os.replace(temporary, target / name)
    return f"{folder}/{name}"


class ReportFiles:
    """Make weekly pictures and exports for flows; built once by the composition root."""

    @property
    def export_formats(self) -> tuple[str, ...]:
        """Return the export formats reports/export.py writes."""
        from reports import export as exports

        return tuple(exports.FORMATS)

    def __init__(self, catalog: Callable[[str, str], str], bot_username: str | None = None) -> None:
        self.catalog = catalog
        # A configured username for the picture's links; else the one the bot learnt (stored).
        self.bot_username = bot_username
        # The plural forms come from the translator the catalog belongs to (its `raw`).
        owner = getattr(catalog, "__self__", None)
        self.translator = owner if isinstance(owner, Translator) else load_translator()

    def export_extension(self, fmt: str) -> str:
        """Return the file extension of an export format, with its dot."""
        from reports import export as exports

        return exports.EXTENSIONS[fmt]

    def write_export(
        self,
        session: Session,
        organisation_id: int,
        start: date | None,
        end: date | None,
        timezone: str,
        fmt: str,
        path: Path,
        limit: int,
        *,
        language: str = "nl",
    ) -> ExportWritten | None:
        """Write an export of a period to path, its words in `language`; None when empty."""
        from reports import export as exports

        labels = exports.Labels(language, catalog_for(language, self.translator))
        # Read while writing: "everything" over years of fieldwork never sits in memory at once.
        data = exports.open_export(session, organisation_id, start, end, timezone, labels)
        if data.is_empty:
            return None
        try:
            exports.write_export(data, fmt, path, limit=limit)
        except exports.ExportTooBig as error:
            raise ExportTooBigError(error.size) from None
        tracks = fmt == "csv" and data.track_point_count > 0
        return ExportWritten(
            observations=data.observation_count,
            located=data.located,
            tracks=data.track_count,
            track_points=data.track_point_count,
            tracks_path=exports.tracks_csv_path(path) if tracks else None,
        )

    def weekly_picture(
        self,
        session: Session,
        organisation_id: int,
        iso_year: int,
        iso_week: int,
        language: str,
        timezone: str,
        media_dir: str,
        as_of: datetime | None = None,
    ) -> WeeklyPicture:
        """Build and render one week's picture (up to `as_of` for the week running)."""
        from reports.digest import build_digest
        from reports.render import render_digest_html, summary_message

        digest = build_digest(
            session,
            organisation_id,
            iso_year,
            iso_week,
            language,
            timezone,
            media_dir=media_dir,
            as_of=as_of,
            bot_username=self.bot_username,
        )
        return WeeklyPicture(
            week_label=digest.week_label,
            language=digest.language,
            summary=as_text(summary_message(digest)),
            html=render_digest_html(digest, catalog_for(language, self.translator)),
        )

    def write_picture(self, picture: WeeklyPicture, media_dir: str, folder: str, tag: str) -> str:
        """Write a picture's HTML into a folder under the media folder; return its path."""
        name = f"buurtbeeld-{picture.week_label}-{tag}-{picture.language}"
        return write_html(picture.html, media_dir, folder, name)

    def round_report(
        self,
        session: Session,
        organisation_id: int,
        first_day: date,
        last_day: date,
        language: str,
        timezone: str,
    ) -> RoundPicture:
        """Build and render the round report of a period (both days included)."""
        from reports.render import render_round_html, round_summary
        from reports.round.build import build_round_report

        report = build_round_report(
            session, organisation_id, first_day, last_day, language, timezone
        )
        return RoundPicture(
            first_day=first_day,
            last_day=last_day,
            language=report.language,
            summary=as_text(round_summary(report)),
            html=render_round_html(report, catalog_for(report.language, self.translator)),
        )

    def write_round_report(self, report: RoundPicture, media_dir: str, folder: str) -> str:
        """Write a round report's HTML into a folder under the media folder; return its path."""
        name = f"ronde-{report.first_day}-{report.last_day}-{report.language}"
        return write_html(report.html, media_dir, folder, name)

    def write_member_data(
        self, data: Mapping[str, Any], media: Sequence[str], media_dir: str
    ) -> MemberFiles:
        """Write a member's data as JSON, and the media files named (when present) as a ZIP."""
        folder = folder_under(media_dir, EXPORTS)
        name = f"mydata-{uuid.uuid4().hex[:12]}"
        text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
        (folder / f"{name}.json").write_text(text)
        existing = [p for p in media if (Path(media_dir) / p).is_file()]
        if not existing:
            return MemberFiles(f"{EXPORTS}/{name}.json")
        with zipfile.ZipFile(folder / f"{name}-media.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for relative in existing:
                archive.write(Path(media_dir) / relative, arcname=relative)
        return MemberFiles(f"{EXPORTS}/{name}.json", f"{EXPORTS}/{name}-media.zip")

    def delete_media(self, media_dir: str, paths: Iterable[str]) -> None:
        """Delete files under the media folder (those of a forgotten member)."""
        for relative in paths:
            (Path(media_dir) / relative).unlink(missing_ok=True)
