"""Benchmark: the job worker's memory and enqueue→start latency, on SQLite (SqliteHuey) and on Redis.

For each queue backend it starts a real ``feedbackbot worker`` (two
threads, as ``make run`` starts it) on a fresh SQLite database, reads its
resident memory once it is idle, then enqueues a trivial job ``--jobs``
times, one at a time, pausing ``--pause`` seconds before each so the
consumer is idle (an idle SQLite consumer polls with a growing delay, capped
by ``bot.jobs.runner.SQLITE_POLL_MAX_S``; Redis blocks on the queue). The
latency is ``started_at - enqueued_at`` of each job's ``job_runs`` row
(written by the enqueuing process and by the worker, same clock).

    .venv/bin/python benchmarks/jobs.py [--jobs 40] [--pause 1.0] [--no-redis]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain import JobStatus  # noqa: E402
from bot.ledger import fact_table  # noqa: E402
from tests.jobs.worker_process import WorkerProcess  # noqa: E402


def measure(backend: str, jobs: int, pause: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        worker = WorkerProcess(Path(tmp), backend, threads=2)
        t0 = time.monotonic()
        worker.start()
        started_s = time.monotonic() - t0
        time.sleep(2.0)
        idle_rss = worker.rss_kib()
        latencies = []
        try:
            for _ in range(jobs):
                time.sleep(pause)
                run_id = worker.runner.enqueue("test_nothing")
                row = worker.wait_for(run_id, JobStatus.SUCCEEDED)
                latencies.append((row.started_at - row.enqueued_at).total_seconds() * 1000)
            busy_rss = worker.rss_kib()
        finally:
            worker.stop()
    latencies.sort()
    return {"start_s": started_s, "idle_rss_mib": idle_rss / 1024, "rss_after_mib": busy_rss / 1024,
            "p50_ms": statistics.median(latencies), "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
            "max_ms": latencies[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--pause", type=float, default=1.0)
    parser.add_argument("--no-redis", action="store_true")
    args = parser.parse_args()
    fact_table.install()
    print(f"{'backend':8} {'start s':>8} {'idle RSS MiB':>13} {'RSS after MiB':>14} "
          f"{'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}   ({args.jobs} jobs, {args.pause}s apart)")
    for backend in ("sqlite",) + (() if args.no_redis else ("redis",)):
        r = measure(backend, args.jobs, args.pause)
        print(f"{backend:8} {r['start_s']:>8.1f} {r['idle_rss_mib']:>13.1f} {r['rss_after_mib']:>14.1f} "
              f"{r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['max_ms']:>8.1f}")


if __name__ == "__main__":
    main()
