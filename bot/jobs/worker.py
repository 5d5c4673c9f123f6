"""The worker process: huey's consumer with a few threads, its scheduler on (periodic jobs), logging to stderr.

``feedbackbot worker`` runs it; ``bot.ops.stack`` starts it with the servers
and sends its output to ``var/log/worker.log``. SIGTERM stops it at once
(a job under way is marked failed, "interrupted"); SIGINT lets running jobs
finish first.
"""
from __future__ import annotations

import logging

from huey.consumer import Consumer

from bot.jobs import heartbeat
from bot.jobs.runner import SQLITE_POLL_MAX_S, Runner
from bot.jobs.schedule import WORKER_HEARTBEAT


class QueueUnavailableError(RuntimeError):
    """The worker cannot reach its queue's storage."""


def consumer(runner: Runner, threads: int) -> Consumer:
    """The consumer of ``runner``'s queue with ``threads`` worker threads."""
    return runner.huey.create_consumer(
        workers=threads, worker_type="thread", periodic=True,
        # An idle consumer polls with a growing delay; capped so a job waits at most this long on SQLite.
        initial_delay=0.05, backoff=1.15, max_delay=SQLITE_POLL_MAX_S, scheduler_interval=1,
        check_worker_health=True, health_check_interval=10)


def run(runner: Runner, threads: int) -> None:
    """Run the worker until a signal stops it.

    Raises:
        QueueUnavailableError: the queue's Redis or SQLite file cannot be reached.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Huey logs a line per task at INFO; keep its own chatter at the same level as ours.
    logging.getLogger("huey").setLevel(logging.INFO)
    heartbeat.mark_started()
    settings = runner.settings
    logging.getLogger(__name__).info("worker on %s queue %s, %d thread(s), jobs: %s", settings.jobs_backend,
                                     settings.jobs_queue, threads, ", ".join(sorted(runner.jobs)))
    # The first heartbeat goes through the queue like every later one: healthy means jobs get run.
    try:
        runner.enqueue(WORKER_HEARTBEAT.name)
    except Exception as exc:  # noqa: BLE001 - Redis or the SQLite file unreachable: say so, do not start
        where = settings.jobs_redis if settings.jobs_backend == "redis" else settings.jobs_sqlite_path
        raise QueueUnavailableError(f"cannot reach the job queue at {where}: {type(exc).__name__}: {exc}") from exc
    consumer(runner, threads).run()

