"""Time helpers shared by the services and the database-free dialogue core."""
from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(dt: datetime) -> datetime:
    """Treat naive datetimes (SQLite drops the zone) as UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def has_passed(deadline: datetime, now: datetime) -> bool:
    """True once ``now`` is after ``deadline`` (a survey's validity window, for instance)."""
    return now > as_utc(deadline)
