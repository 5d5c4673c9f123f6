"""Chinese working days: official holidays off, make-up workdays (调休) on, from the kept ``chinese-calendar``.

Used for the deadlines of appeal decisions. The calendar package knows the
years the State Council has announced; for a later year it raises, and we
fall back to Monday–Friday (logged once per year) rather than refuse to set
a deadline.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)


@cache
def _warn_unknown_year(year: int) -> None:
    log.warning("chinese-calendar has no data for %d: counting Monday-Friday as working days", year)


def is_workday(day: date) -> bool:
    """Whether ``day`` is a working day in mainland China (holidays off, make-up Saturdays/Sundays on)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        _warn_unknown_year(day.year)
        return day.weekday() < 5


def nth_workday_after(day: date, n: int) -> date:
    """The ``n``-th working day strictly after ``day`` (n ≥ 1)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    found = 0
    while found < n:
        day += timedelta(days=1)
        if is_workday(day):
            found += 1
    return day


def deadline(start: datetime, workdays: int, tz: str) -> datetime:
    """The end (24:00 local time) of the ``workdays``-th working day after the local day of ``start``.

    Something filed on a Friday afternoon with 3 working days is due at the
    end of Wednesday; the filing day itself never counts, whatever the hour,
    so every filer gets the same number of whole working days.

    Returns:
        The deadline as an aware UTC datetime.
    """
    zone = ZoneInfo(tz)
    last = nth_workday_after(start.astimezone(zone).date(), workdays)
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))
