"""SMS callback acknowledgement under load: p50/p95 of the provider's wait at a steady rate, nothing lost or doubled.

Starts the web app alone (SQLite by default, ``DATABASE_URL`` for PostgreSQL) with a fresh database and job
queue, posts Tencent Cloud reply callbacks (the documented JSON) at ``--rate`` per second for ``--seconds``,
one in ten a repeated delivery of an earlier one, and prints the acknowledgement latency percentiles, the
answers that were not ``{"result": 0}``, and the inbound rows stored against the distinct replies sent
(processing is the worker's, not measured here: the acknowledgement is what the provider waits for).

Usage: .venv/bin/python benchmarks/sms_callbacks.py [--rate 200] [--seconds 10] [--jobs sqlite|redis]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.db.channels import InboundMessage  # noqa: E402
from bot.db.session import open_session  # noqa: E402
from bot.ops.stack import Stack  # noqa: E402

SECRET = "benchmark-sms-callback-secret"


async def run(url: str, rate: float, seconds: float) -> tuple[list[float], int, int]:
    latencies: list[float] = []
    failures = 0
    sent: list[dict] = []
    rng = random.Random(7)
    async with aiohttp.ClientSession() as http:
        async def one(body: dict) -> None:
            nonlocal failures
            started = time.perf_counter()
            async with http.post(f"{url}/callbacks/sms/tencent/{SECRET}", json=body) as r:
                answer = await r.json(content_type=None)
            latencies.append((time.perf_counter() - started) * 1000)
            if r.status != 200 or answer.get("result") != 0:
                failures += 1

        tasks = []
        start = time.perf_counter()
        n = int(rate * seconds)
        for i in range(n):
            if sent and rng.random() < 0.1:
                body = rng.choice(sent)  # the provider's repeated delivery of a reply already sent
            else:
                body = {"mobile": f"139{i:08d}", "nationcode": "86", "text": str(rng.randint(1, 5)),
                        "time": int(time.time()), "sign": "客服中心", "extend": ""}
                sent.append(body)
            tasks.append(asyncio.create_task(one(body)))
            await asyncio.sleep(max(0.0, start + (i + 1) / rate - time.perf_counter()))
        await asyncio.gather(*tasks)
    return latencies, failures, len(sent)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2, help="web app processes")
    ap.add_argument("--jobs", choices=("sqlite", "redis"), default="sqlite",
                    help="job queue backend: sqlite (development) or redis (the production profile's; local Redis)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sms-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    jobs_env = ({"FEEDBACKBOT_JOBS_SQLITE_PATH": str(tmp / "jobs.sqlite3")} if args.jobs == "sqlite" else
                {"FEEDBACKBOT_JOBS_BACKEND": "redis", "FEEDBACKBOT_JOBS_QUEUE": f"sms-bench-{tmp.name}"})
    stack = Stack(database_url=url, log_dir=tmp / "log",
                  extra_env={"FEEDBACKBOT_SMS_CALLBACK_SECRET": SECRET, **jobs_env}).start_web_only(workers=args.workers)
    try:
        load = os.getloadavg()[0]
        latencies, failures, distinct = asyncio.run(run(stack.web_url, args.rate, args.seconds))
        with open_session(url) as s:
            stored = s.scalar(select(func.count()).select_from(InboundMessage))
        q = statistics.quantiles(latencies, n=100)
        print(f"database {url.split(':')[0]}, job queue {args.jobs}, {args.workers} web processes, {args.rate:.0f} callbacks/s for "
              f"{args.seconds:.0f} s ({len(latencies)} posted, {len(latencies) - distinct} repeats), "
              f"load {load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"acknowledgement ms: p50 {q[49]:.1f}  p95 {q[94]:.1f}  p99 {q[98]:.1f}  max {max(latencies):.1f}"
              f"   (target p95 < 50 ms)")
        print(f"answers other than result 0: {failures}; inbound rows stored {stored} for {distinct} distinct "
              f"replies: lost {max(0, distinct - stored)}, doubled {max(0, stored - distinct)}")
    finally:
        stack.stop()
        if args.jobs == "redis":  # the queued jobs of this run (no worker ran them) leave the shared Redis
            from bot.jobs.runner import build_huey
            from bot.settings import Settings

            build_huey(Settings.from_env(stack.env())).storage.flush_all()


if __name__ == "__main__":
    main()
