"""Reporting periods in the centre's time zone: a month, an ISO week, a day or an inclusive date range.

A call belongs to the period of its end time in the centre's zone. The
period's bounds are computed here as UTC instants, ``[start, end)``, so the
SQL filter is a plain comparison that means the same on SQLite (which has no
time zones) and PostgreSQL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class PeriodError(ValueError):
    """A period string that is not ``YYYY-MM``, ``YYYY-Www``, ``YYYY-MM-DD`` or ``FROM..TO``."""


PERIOD_HELP = "2026-11 (month), 2026-W47 (ISO week), 2026-11-23 (day) or 2026-11-01..2026-11-15 (inclusive dates)"

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Period:
    """A run of whole local days ``first..last`` (inclusive) of one kind.

    Attributes:
        kind: ``month``, ``week``, ``day`` or ``range``.
        first: First local date.
        last: Last local date (inclusive).
    """

    kind: str
    first: date
    last: date

    @property
    def label(self) -> str:
        """The normalised period string (``2026-11``, ``2026-W47``, ``2026-11-23``, ``FROM..TO``)."""
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year:04d}-W{week:02d}"
        if self.kind == "day":
            return self.first.isoformat()
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    @property
    def days(self) -> int:
        """Number of local days in the period."""
        return (self.last - self.first).days + 1

    def dates(self) -> list[date]:
        """Every local date of the period, in order."""
        return [self.first + timedelta(days=i) for i in range(self.days)]

    def previous(self) -> Period:
        """The period of the same length just before: the previous month, week, day or as many days."""
        if self.kind == "month":
            last = self.first - timedelta(days=1)
            return Period("month", last.replace(day=1), last)
        return Period(self.kind, self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """``[start, end)`` of the period as UTC instants for the centre's zone ``tz``."""
        zone = zone_info(tz)
        return local_midnight_utc(self.first, zone), local_midnight_utc(self.last + timedelta(days=1), zone)

    def day_bounds(self, tz: str) -> list[tuple[date, datetime, datetime]]:
        """``(local date, start, end)`` in UTC for every day of the period (days differ in length under DST)."""
        zone = zone_info(tz)
        return [(d, local_midnight_utc(d, zone), local_midnight_utc(d + timedelta(days=1), zone))
                for d in self.dates()]


def zone_info(tz: str) -> ZoneInfo:
    """The ``ZoneInfo`` named ``tz``.

    Raises:
        PeriodError: unknown zone name.
    """
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PeriodError(f"unknown time zone {tz!r}") from exc


def local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which local date ``day`` begins in ``zone``."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _date(text: str) -> date:
    if not _DAY.match(text):
        raise PeriodError(f"not a date (YYYY-MM-DD): {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise PeriodError(f"not a valid date: {text!r}") from exc


def parse_period(text: str) -> Period:
    """Parse a period string.

    Args:
        text: ``2026-11``, ``2026-W47``, ``2026-11-23`` or ``2026-11-01..2026-11-15``.

    Returns:
        The period.

    Raises:
        PeriodError: with an English message saying what is accepted.
    """
    raw = (text or "").strip()
    try:
        if ".." in raw:
            start, _, end = raw.partition("..")
            first, last = _date(start.strip()), _date(end.strip())
            if last < first:
                raise PeriodError(f"range ends before it starts: {raw!r}")
            return Period("range", first, last)
        if m := _MONTH.match(raw):
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise PeriodError(f"month out of range: {raw!r}")
            first = date(year, month, 1)
            nxt = date(year + month // 12, month % 12 + 1, 1)
            return Period("month", first, nxt - timedelta(days=1))
        if m := _WEEK.match(raw):
            try:
                first = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            except ValueError as exc:
                raise PeriodError(f"no such ISO week: {raw!r}") from exc
            return Period("week", first, first + timedelta(days=6))
        if _DAY.match(raw):
            d = _date(raw)
            return Period("day", d, d)
    except PeriodError as exc:
        raise PeriodError(f"{exc}; expected {PERIOD_HELP}") from None
    raise PeriodError(f"unrecognised period {raw!r}; expected {PERIOD_HELP}")
