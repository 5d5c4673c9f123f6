"""The job log an admin reads: one ``job_runs`` row per job, following it from queued to its end.

The rows are written by handlers of the queue's signals, connected in one
place (:func:`connect`, called by :func:`bot.jobs.runner.build_runner`):

====================  ==========================================================
signal                row
====================  ==========================================================
enqueued              created ``queued`` (a retry's re-enqueue leaves it alone)
executing             ``running``, one more attempt, started now
complete              ``succeeded``, progress 1
error / timeout       ``retrying`` while attempts remain, else ``failed``; error
retrying              ``retrying``
canceled, revoked,    ``failed`` with the signal's name as the error
expired, interrupted,
locked
====================  ==========================================================

A long job reports how far it got with :func:`report_progress`. Each write
is its own short transaction, so the admin sees it at once; a failure to
write the log is logged and never fails the job.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Collection
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from huey import Huey
from huey import signals as S
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from bot.db.jobs import JobRun
from bot.db.session import open_session
from bot.domain import JobStatus
from bot.jobs.job import JobError, summarise_args
from bot.settings import ROOT

log = logging.getLogger(__name__)
MAX_ERROR = 500
MAX_NOTE = 200


@dataclass(frozen=True)
class _Current:
    database_url: str
    run_id: str


# The run the current worker thread is executing (set on "executing", cleared when it ends).
_current: ContextVar[_Current | None] = ContextVar("bot_jobs_current_run", default=None)


def _is_ours(filename: str) -> bool:
    return filename.startswith(str(ROOT) + "/") and not filename.startswith(tuple(str(ROOT / d) for d in (".venv", ".venv-rasa")))


def describe_error(exc: BaseException) -> str:
    """What the log keeps of a failure: a :class:`JobError`'s own message, else only type and place.

    Another exception's message may quote customer text (a reason, a
    transcript line), so only its type and the innermost frames of our code
    (file, line, function) are kept.
    """
    if isinstance(exc, JobError):
        text = f"JobError: {exc}"
    else:
        ours = [f for f in traceback.extract_tb(exc.__traceback__) if _is_ours(f.filename)]
        # Innermost first: where it was raised, then who called it.
        where = "; ".join(f"{f.filename.removeprefix(str(ROOT) + '/')}:{f.lineno} in {f.name}" for f in ours[::-1][:3])
        text = f"{type(exc).__qualname__}" + (f" at {where}" if where else "")
    return text if len(text) <= MAX_ERROR else text[:MAX_ERROR - 1] + "…"


def _now() -> datetime:
    return datetime.now(UTC)


class RunLog:
    """Signal handlers writing ``job_runs`` on ``database_url`` for the jobs named in ``logged``."""

    def __init__(self, database_url: str, logged: Collection[str]) -> None:
        self.database_url = database_url
        self.logged = frozenset(logged)

    def _write(self, task: Any, change: Callable[[JobRun], None]) -> None:
        if task.name not in self.logged:
            return
        try:
            with open_session(self.database_url) as s, s.begin():
                row = s.get(JobRun, task.id)
                if row is None:  # enqueued by a process without the log connected: start the row now
                    row = JobRun(id=task.id, job=task.name, args_summary=summarise_args(task.args, task.kwargs),
                                 status=JobStatus.QUEUED, attempts=0, enqueued_at=_now(), progress=0.0)
                    s.add(row)
                change(row)
        except Exception:  # noqa: BLE001 - the log must never fail the job it describes
            log.exception("could not write job_runs for %s %s", task.name, task.id)

    def enqueued(self, signal: str, task: Any) -> None:
        self._write(task, lambda row: None)  # creates the row; a retry's re-enqueue keeps its state

    def executing(self, signal: str, task: Any) -> None:
        def change(row: JobRun) -> None:
            row.status, row.started_at, row.finished_at = JobStatus.RUNNING, _now(), None
            row.attempts += 1

        _current.set(_Current(self.database_url, task.id) if task.name in self.logged else None)
        self._write(task, change)

    def complete(self, signal: str, task: Any) -> None:
        def change(row: JobRun) -> None:
            row.status, row.finished_at, row.progress = JobStatus.SUCCEEDED, _now(), 1.0

        _current.set(None)
        self._write(task, change)

    def error(self, signal: str, task: Any, exc: BaseException | None = None) -> None:
        # Same rule as huey: the run is over when no retries remain.
        final = not task.retries or signal in (S.SIGNAL_REVOKED, S.SIGNAL_EXPIRED, S.SIGNAL_INTERRUPTED)
        text = describe_error(exc) if exc is not None else signal

        def change(row: JobRun) -> None:
            row.error = text
            row.status = JobStatus.FAILED if final else JobStatus.RETRYING
            row.finished_at = _now() if final else None

        _current.set(None)
        self._write(task, change)

    def retrying(self, signal: str, task: Any) -> None:
        def change(row: JobRun) -> None:
            row.status, row.finished_at = JobStatus.RETRYING, None

        self._write(task, change)


def connect(huey: Huey, database_url: str, logged: Collection[str]) -> RunLog:
    """Connect the job log's handlers to ``huey``'s signals (the one place this happens)."""
    run_log = RunLog(database_url, logged)
    for handler, signals in (
        (run_log.enqueued, (S.SIGNAL_ENQUEUED,)),
        (run_log.executing, (S.SIGNAL_EXECUTING,)),
        (run_log.complete, (S.SIGNAL_COMPLETE,)),
        (run_log.error, (S.SIGNAL_ERROR, S.SIGNAL_TIMEOUT, S.SIGNAL_CANCELED, S.SIGNAL_REVOKED, S.SIGNAL_EXPIRED,
                         S.SIGNAL_INTERRUPTED, S.SIGNAL_LOCKED)),
        (run_log.retrying, (S.SIGNAL_RETRYING,)),
    ):
        huey.signal(*signals)(handler)
    return run_log


def report_progress(fraction: float, note: str | None = None) -> bool:
    """Record how far the running job got (0–1) and a short note of ours (never customer text).

    Call it from inside a job; it writes at once, in its own transaction.

    Returns:
        True when written; False outside a logged job run (the job was called directly).
    """
    current = _current.get()
    if current is None:
        return False
    fraction = min(max(float(fraction), 0.0), 1.0)
    try:
        with open_session(current.database_url) as s, s.begin():
            row = s.get(JobRun, current.run_id)
            if row is None:
                return False
            row.progress = fraction
            row.progress_note = note[:MAX_NOTE] if note else None
    except Exception:  # noqa: BLE001 - progress is advisory; the job goes on
        log.exception("could not record progress of %s", current.run_id)
        return False
    return True


@dataclass(frozen=True)
class JobRunView:
    """One job run as the admin's list shows it."""

    id: str
    job: str
    title: str
    args_summary: str
    status: str
    attempts: int
    enqueued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    progress: float
    progress_note: str | None

    @property
    def duration(self) -> timedelta | None:
        """Time of the last attempt, when it has ended."""
        return self.finished_at - self.started_at if self.started_at and self.finished_at else None


def _utc(at: datetime) -> datetime:
    # SQLite returns naive datetimes; every timestamp we store is UTC.
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _aware(at: datetime | None) -> datetime | None:
    return None if at is None else _utc(at)


def recent_runs(s: Session, *, limit: int = 50, job: str | None = None, status: str | None = None,
                titles: Callable[[str], str] | None = None) -> list[JobRunView]:
    """The newest job runs first, optionally of one job or in one status.

    Args:
        s: Open session.
        limit: At most this many rows.
        job: Only runs of this job name.
        status: Only runs in this status (:class:`bot.domain.JobStatus`).
        titles: Job name → title (callers pass :func:`bot.jobs.catalog.title`); default: the name.
    """
    title_of = titles or str
    q = select(JobRun).order_by(JobRun.enqueued_at.desc(), JobRun.id).limit(limit)
    if job is not None:
        q = q.where(JobRun.job == job)
    if status is not None:
        q = q.where(JobRun.status == status)
    return [JobRunView(r.id, r.job, title_of(r.job), r.args_summary, r.status, r.attempts, _utc(r.enqueued_at),
                       _aware(r.started_at), _aware(r.finished_at), r.error, r.progress, r.progress_note)
            for r in s.scalars(q)]


def forget_older_than(s: Session, cutoff: datetime) -> int:
    """Delete the runs enqueued before ``cutoff``, whatever became of them; returns how many."""
    return cast(CursorResult, s.execute(delete(JobRun).where(JobRun.enqueued_at < cutoff))).rowcount
