"""Background jobs: ``feedbackbot worker`` runs the queue's consumer; ``feedbackbot jobs`` lists and enqueues."""
from __future__ import annotations

import argparse
import importlib
import sys

from bot.jobs.job import Job


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``worker`` and ``jobs list|enqueue|health`` to the CLI."""
    p = sub.add_parser("worker", help="run the background-job worker (periodic jobs included) until stopped")
    p.add_argument("--threads", type=int, default=None,
                   help="worker threads (default FEEDBACKBOT_WORKER_THREADS, 2)")
    p.add_argument("--jobs", action="append", default=[], metavar="MODULE",
                   help="also register the jobs listed in MODULE.JOBS (tests, extensions); repeatable")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("jobs", help="background jobs: list recent runs, enqueue one, check the worker")
    jobs_sub = p.add_subparsers(dest="jobs_command", required=True)
    q = jobs_sub.add_parser("list", help="print the most recent job runs, newest first")
    q.add_argument("--limit", type=int, default=20)
    q.add_argument("--job", help="only runs of this job")
    q.add_argument("--status", choices=["queued", "running", "succeeded", "failed", "retrying"])
    q.set_defaults(func=cmd_jobs_list)
    q = jobs_sub.add_parser("enqueue", help="queue one run of a job (the worker runs it)")
    q.add_argument("job", help="job name, e.g. sweep_idle_surveys")
    q.set_defaults(func=cmd_jobs_enqueue)
    q = jobs_sub.add_parser("health", help="exit 1 unless a worker's heartbeat is recent (container health check)")
    q.set_defaults(func=cmd_jobs_health)


def extra_jobs(modules: list[str]) -> tuple[Job, ...]:
    """The jobs listed in each module's ``JOBS``.

    Raises:
        SystemExit: a module cannot be imported or has no ``JOBS``.
    """
    found: list[Job] = []
    for name in modules:
        try:
            found.extend(importlib.import_module(name).JOBS)
        except (ImportError, AttributeError) as exc:
            raise SystemExit(f"--jobs {name}: {exc}") from exc
    return tuple(found)


def cmd_worker(args: argparse.Namespace) -> int:
    from bot.jobs import worker
    from bot.jobs.runner import build_runner
    from bot.settings import Settings

    settings = Settings.from_env()
    threads = args.threads or settings.worker_threads
    if not 1 <= threads <= 16:
        print("worker: --threads must be between 1 and 16", file=sys.stderr)
        return 2
    try:
        worker.run(build_runner(settings, extra=extra_jobs(args.jobs)), threads)
    except worker.QueueUnavailableError as exc:
        print(f"worker: {exc}", file=sys.stderr)
        return 1
    return 0


def _when(at) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S") if at else "-"


def cmd_jobs_list(args: argparse.Namespace) -> int:
    from bot.db.session import open_session
    from bot.jobs.catalog import title
    from bot.jobs.run_log import recent_runs
    from bot.settings import Settings

    settings = Settings.from_env()
    with open_session(settings.database_url) as s:
        runs = recent_runs(s, limit=args.limit, job=args.job, status=args.status, titles=title)
    if not runs:
        print("no job runs recorded")
        return 0
    print(f"{'enqueued (UTC)':19}  {'job':22} {'status':9} {'tries':>5} {'took':>7} {'progress':>8}  detail")
    for r in runs:
        took = f"{r.duration.total_seconds():.1f}s" if r.duration else "-"
        detail = r.error or r.progress_note or r.args_summary
        print(f"{_when(r.enqueued_at):19}  {r.job:22} {r.status:9} {r.attempts:>5} {took:>7} "
              f"{r.progress:>8.0%}  {detail}")
    return 0


def cmd_jobs_health(args: argparse.Namespace) -> int:
    from bot.ops import health
    from bot.settings import Settings

    settings = Settings.from_env()
    check = health.worker(settings.database_url, settings.worker_heartbeat_max_age)
    print(f"worker {'ok' if check.ok else 'FAILING'}: {check.detail}")
    return 0 if check.ok else 1


def cmd_jobs_enqueue(args: argparse.Namespace) -> int:
    from bot.jobs.runner import UnknownJobError, build_runner
    from bot.settings import Settings

    runner = build_runner(Settings.from_env())
    try:
        run_id = runner.enqueue(args.job)
    except UnknownJobError as exc:
        print(f"jobs enqueue: {exc.args[0]}", file=sys.stderr)
        return 2
    print(run_id)
    return 0
