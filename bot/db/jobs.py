"""Background jobs as an admin reads them: one row per job run, and the workers' heartbeats."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, one_of
from bot.domain import JobStatus


class JobRun(Base):
    """One enqueued job and what became of it, written by the job runner's signal handlers.

    ``id`` is the queue's task id, kept across retries, so one row follows a
    job through all its attempts. ``error`` never holds customer text: only
    an exception's type and where it was raised, or a message our own code
    declared safe (:class:`bot.jobs.catalog.JobError`).
    """

    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint(one_of("status", JobStatus), name="ck_job_runs_status"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="ck_job_runs_progress"),
        Index("ix_job_runs_enqueued_at", "enqueued_at"),
        Index("ix_job_runs_job_enqueued_at", "job", "enqueued_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    args_summary: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    enqueued_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    progress_note: Mapped[str | None] = mapped_column(String(200))


class WorkerHeartbeat(Base):
    """The last sign of life of one worker process (``host:pid``), refreshed by a periodic job."""

    __tablename__ = "worker_heartbeats"
    __table_args__ = (Index("ix_worker_heartbeats_beat_at", "beat_at"),)

    worker: Mapped[str] = mapped_column(String(128), primary_key=True)
    queue: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]
