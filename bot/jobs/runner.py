"""The job queue built from ``Settings``: SqliteHuey on a file under ``var/`` or RedisHuey, every job registered.

Producers (the web app, the CLI, tests) and the worker build the same
:class:`Runner`: the same queue name (one per database, see
``Settings.jobs_queue``) and the same jobs, so a job enqueued by one process
is run by the worker with the same settings and logged in the same
database.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from huey import Huey, RedisHuey
from huey.api import Task, TaskWrapper
from huey.storage import SqliteStorage

from bot.jobs import catalog, run_log
from bot.jobs.job import Job, bind
from bot.settings import Settings

# How long an idle SQLite consumer may sleep between polls of its queue: bounds the
# enqueue→start latency on SQLite (Redis blocks on the queue and starts at once; docs/jobs.md).
SQLITE_POLL_MAX_S = 0.5


class WalNormalSqliteStorage(SqliteStorage):
    """huey's SQLite queue with ``synchronous=NORMAL``, as our own SQLite database runs (bot.db.connection).

    huey offers only FULL (an fsync per enqueue: 16 ms each here, which made an SMS callback's
    acknowledgement wait on the disk) or OFF (a power loss may corrupt the file). NORMAL with WAL is
    durable against a crash of the process and loses at most the last commits on a power loss.
    """

    def _create_connection(self) -> Any:
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


class UnknownJobError(KeyError):
    """A job name that no registered job has."""


def build_huey(settings: Settings, *, immediate: bool = False) -> Huey:
    """The bare queue (no jobs) on the backend ``settings`` choose.

    Args:
        settings: ``jobs_backend``, ``jobs_queue``, ``jobs_sqlite_path``, ``jobs_redis``.
        immediate: Run each job inside ``enqueue`` (huey's immediate mode, in memory) —
            only for a test that asks for it explicitly; never from the environment.
    """
    # results=False: what became of a job is in job_runs, not in the queue's result store.
    common: dict[str, Any] = {"name": settings.jobs_queue, "results": False, "utc": True, "immediate": immediate}
    if settings.jobs_backend == "redis":
        return RedisHuey(url=settings.jobs_redis, **common)
    path = settings.jobs_sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return Huey(storage_class=WalNormalSqliteStorage, filename=str(path), **common)


@dataclass
class Runner:
    """The queue with its jobs: enqueue by name, build the worker's consumer."""

    huey: Huey
    settings: Settings
    jobs: dict[str, Job]
    tasks: dict[str, TaskWrapper] = field(default_factory=dict)

    def enqueue(self, job: str, *args: Any, **kwargs: Any) -> str:
        """Queue one run of ``job`` and return its id (the ``job_runs`` row's id).

        Raises:
            UnknownJobError: no job of that name is registered.
        """
        wrapper = self.tasks.get(job)
        if wrapper is None:
            raise UnknownJobError(f"no job named {job!r}; known: {', '.join(sorted(self.tasks))}")
        task: Task = wrapper.s(*args, **kwargs)
        self.huey.enqueue(task)
        return str(task.id)

    def pending(self) -> int:
        """Jobs waiting in the queue (not counting those scheduled for a retry)."""
        return int(self.huey.pending_count())


def build_runner(settings: Settings, *, immediate: bool = False, extra: Iterable[Job] = ()) -> Runner:
    """The queue with every known job registered and the job log connected.

    Args:
        settings: The process's settings (the jobs run with them).
        immediate: See :func:`build_huey`.
        extra: Further jobs (a test's, an extension's); producer and worker must pass the same.
    """
    huey = build_huey(settings, immediate=immediate)
    jobs: dict[str, Job] = {}
    for job in (*catalog.known_jobs(), *extra):
        if job.name in jobs:
            raise ValueError(f"two jobs named {job.name!r}")
        jobs[job.name] = job
    runner = Runner(huey, settings, jobs)
    for job in jobs.values():
        options = {"retries": job.retries, "retry_delay": job.retry_delay_s, "name": job.name}
        decorate = huey.periodic_task(job.every, **options) if job.every else huey.task(**options)
        runner.tasks[job.name] = decorate(bind(job, settings, runner.enqueue))
    run_log.connect(huey, settings.database_url, [j.name for j in jobs.values() if j.logged])
    return runner
