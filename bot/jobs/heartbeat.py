"""The worker's sign of life: a row per worker process, refreshed every minute through the queue itself.

The heartbeat is a periodic job, so a fresh row means more than "the
process exists": the worker's scheduler enqueued a job and a worker thread
took it from the queue and wrote to the database. ``/healthz`` reads the
newest row (:func:`latest`).
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from bot.db.jobs import WorkerHeartbeat
from bot.db.upsert import insert_or_ignore

_started_at: datetime | None = None


def worker_id() -> str:
    """This process as a worker: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def mark_started(now: datetime | None = None) -> None:
    """Note when this worker process started (shown with its heartbeat)."""
    global _started_at
    _started_at = now or datetime.now(UTC)


def beat(s: Session, *, queue: str, now: datetime) -> None:
    """Record that this worker is alive at ``now`` (in the caller's transaction).

    Two heartbeats of one worker may run at once (the start-up one and the
    first periodic one): the row is inserted by the database's own conflict
    handling, then updated.
    """
    me = worker_id()
    values = {"worker": me, "queue": queue, "started_at": _started_at or now, "beat_at": now}
    if insert_or_ignore(s, WorkerHeartbeat, ["worker"], values, returning=WorkerHeartbeat.worker) is None:
        s.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.worker == me).values(beat_at=now, queue=queue))


@dataclass(frozen=True)
class Beat:
    """The newest heartbeat: which worker, and how long ago."""

    worker: str
    age: timedelta


def _aware(at: datetime) -> datetime:
    # SQLite returns naive datetimes; every timestamp we store is UTC.
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def latest(s: Session, *, now: datetime) -> Beat | None:
    """The newest heartbeat of any worker, or None when no worker ever beat."""
    newest = s.scalar(select(func.max(WorkerHeartbeat.beat_at)))
    if newest is None:
        return None
    worker = s.scalar(select(WorkerHeartbeat.worker).where(WorkerHeartbeat.beat_at == newest).limit(1)) or "?"
    return Beat(worker, now - _aware(newest))


def forget_older_than(s: Session, cutoff: datetime) -> int:
    """Delete the heartbeats of workers silent since before ``cutoff``; returns how many."""
    return cast(CursorResult, s.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < cutoff))).rowcount
