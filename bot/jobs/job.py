"""What a background job is: a named function of the settings, with its retry policy and schedule."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.settings import Settings

#: ``every(datetime) -> bool`` — huey's ``crontab(...)`` returns one.
Schedule = Callable[[datetime], bool]
MAX_SUMMARY = 300


class JobError(RuntimeError):
    """A job failure whose message our code wrote and an admin may read (never customer text).

    Any other exception is recorded in the job log only by its type and
    where it was raised, because its message may quote what a customer wrote.
    """


@dataclass(frozen=True)
class Job:
    """A background job as the runner registers it and an admin sees it.

    Attributes:
        name: Stable identifier, stored in ``job_runs.job`` and in queued messages.
        title: What the job does, in a few words, for the admin's list.
        run: ``run(settings, *args, **kwargs)``; its return value is not stored.
        retries: Further attempts after a failure.
        retry_delay_s: Seconds between attempts.
        every: Periodic schedule (``huey.crontab``), or None for a job run on demand.
        logged: Whether runs get a ``job_runs`` row (the per-minute heartbeat does not).
        enqueues: ``run`` also takes ``enqueue=`` (the runner's own :meth:`bot.jobs.runner.Runner.enqueue`),
            for a job that queues further jobs; the runner passes it, so no job module imports the runner.
    """

    name: str
    title: str
    run: Callable[..., Any]
    retries: int = 0
    retry_delay_s: int = 0
    every: Schedule | None = None
    logged: bool = True
    enqueues: bool = False


def summarise_args(args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    """A short account of a job's arguments that never repeats free text.

    Numbers, booleans, dates and durations are shown; a string is shown only
    by its length, since it could be something a customer wrote.
    """
    def one(value: Any) -> str:
        if value is None or isinstance(value, bool | int | float):
            return repr(value)
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, timedelta):
            return f"{value.total_seconds():g}s"
        if isinstance(value, str):
            return f"<text, {len(value)} chars>"
        if isinstance(value, list | tuple | set | frozenset | dict):
            return f"<{type(value).__name__} of {len(value)}>"
        return f"<{type(value).__name__}>"

    parts = [one(v) for v in args] + [f"{k}={one(v)}" for k, v in sorted(kwargs.items())]
    text = ", ".join(parts)
    return text if len(text) <= MAX_SUMMARY else text[:MAX_SUMMARY - 1] + "…"


def bind(job: Job, settings: Settings, enqueue: Callable[..., str] | None = None) -> Callable[..., Any]:
    """The function the queue runs for ``job``: ``job.run`` with the process's settings first.

    Named after the job, because the queue registers a task under its function's name.

    Args:
        job: The job.
        settings: The process's settings.
        enqueue: Passed on as ``enqueue=`` to a job whose ``enqueues`` is set.
    """
    if job.enqueues and enqueue is None:
        raise ValueError(f"job {job.name!r} queues further jobs: bind it with the runner's enqueue")

    def run(*args: Any, **kwargs: Any) -> Any:
        if job.enqueues:
            kwargs["enqueue"] = enqueue
        return job.run(settings, *args, **kwargs)

    run.__name__ = run.__qualname__ = job.name
    return run
