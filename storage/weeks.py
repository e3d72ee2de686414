"""ISO weeks in the deployment's time zone: the unit of the weekly picture and its delivery."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)

__all__ = ["WEEK", "last_full_week", "previous_week", "week_of", "week_start"]


def week_of(moment: datetime, timezone: str = "Europe/Brussels") -> tuple[int, int]:
    """Return the ISO (year, week) a moment falls in, in the time zone."""
    iso = moment.astimezone(ZoneInfo(timezone)).date().isocalendar()
    return iso.year, iso.week


def previous_week(iso_year: int, iso_week: int) -> tuple[int, int]:
    """Return the ISO week before this one."""
    iso = (date.fromisocalendar(iso_year, iso_week, 1) - WEEK).isocalendar()
    return iso.year, iso.week


def last_full_week(moment: datetime, timezone: str = "Europe/Brussels") -> tuple[int, int]:
    """Return the most recent ISO week that has ended at this moment."""
    return previous_week(*week_of(moment, timezone))


def week_start(iso_year: int, iso_week: int, timezone: str = "Europe/Brussels") -> datetime:
    """Return Monday 00:00 of an ISO week in the time zone, as an aware UTC datetime."""
    monday = date.fromisocalendar(iso_year, iso_week, 1)
    return datetime.combine(monday, time(0), ZoneInfo(timezone)).astimezone(UTC)
