"""/mydata files do not stay on the bot's disk: swept after minutes when never sent."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from bot.delivery.media import MEMBER_DATA_AGE, MediaDownloader
from bot.dispatch.i18n import load_translator
from bot.reporting import ReportFiles
from storage.privacy import MEMBER_DATA_PREFIX, is_member_data


def test_the_files_mydata_writes_are_recognised_as_member_data(tmp_path) -> None:
    media = tmp_path / "photo" / "a.jpg"
    media.parent.mkdir()
    media.write_bytes(b"x")
    files = ReportFiles(load_translator().raw).write_member_data(
        {"about_you": {}}, ["photo/a.jpg"], str(tmp_path)
    )
    assert files.data.startswith(MEMBER_DATA_PREFIX) and is_member_data(files.data)
    assert files.media is not None and is_member_data(files.media)
    assert not is_member_data("exports/buurtbeeld-2026-W48.html")
    assert not is_member_data("exports/mydata-x/../../photo/a.jpg")


def test_unsent_mydata_files_are_swept_after_ten_minutes(tmp_path) -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    exports = tmp_path / "exports"
    exports.mkdir()
    old, fresh, other = exports / "mydata-old.json", exports / "mydata-new.json", exports / "x.csv"
    for path, age in ((old, MEMBER_DATA_AGE + timedelta(seconds=5)), (fresh, timedelta(0))):
        path.write_text("{}")
        moment = (now - age).timestamp()
        os.utime(path, (moment, moment))
    other.write_text("a,b")
    os.utime(other, (now.timestamp() - 3600,) * 2)
    downloader = MediaDownloader(None, None, tmp_path, None, "nl", clock=lambda: now)
    assert downloader.remove_member_data(now) == 1
    assert not old.exists() and fresh.exists() and other.exists()
