"""Load on the production profile: N concurrent surveys for a bounded time, one instance vs two.

Starts the production profile on loopback (PostgreSQL, Redis lock store,
RabbitMQ broker; HAProxy in front of the Rasa and action servers) once with
one Rasa + one action server and once with two of each, and drives it with
``--surveys`` concurrent customers, each completing surveys one after the
other (open, score 2, reason) through the web app. Every message carries a
message id and is resent unchanged on failure, as chat.js does.

Two customer models, both run on each configuration:

* paced (``--think 3-10``, ``--duration``): "200 concurrent surveys" means 200
  customers in a conversation at once, each reading the bot's answer and
  typing the next message, a random pause between ``--think`` seconds
  (uniform) before each message after the opening; customers arrive spread
  over the first pause. This is the target: 0 errors, 0 lost, 0 doubled,
  p95 < 300 ms.
* hammer (``--hammer-duration``; ``--think 0`` runs only this): every customer
  sends its next message the moment the previous answer arrives, which
  measures the saturation throughput, not what customers see.

Prints per model and configuration: throughput, p50/p95/p99 turn latency,
errors (failed attempts, each resent), lost messages (still failing after
every resend), ratings expected (score messages acknowledged) vs stored and
doubled, and the machine's 1-minute load average before and after.

    .venv/bin/python benchmarks/load.py --surveys 200 --duration 60 --think 3-10 --hammer-duration 30
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The load comes from one address (this machine): lift the per-address chat rate for the servers started here.
os.environ.setdefault("FEEDBACKBOT_CHAT_RATE_PER_ADDRESS", "1000000")

from turn_latency import make_surveys, pct  # noqa: E402

from bot.db.connection import make_engine  # noqa: E402
from bot.ops.production import ProductionStack  # noqa: E402
from tests.production import production_services  # noqa: E402

REASONS = ["等了四十分钟才有人接，排队太久了", "客服一直打断我说话，态度很差", "退款到现在还没到账，规定太死板了"]
RESENDS = 3


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0          # failed attempts (each resent)
        self.error_kinds: Counter[str] = Counter()  # HTTP status or exception name of each failed attempt
        self.lost_turns = 0      # messages still failing after every resend
        self.surveys_done = 0
        self.rated: list[str] = []  # tokens whose score message was acknowledged


async def turn(client: httpx.AsyncClient, url: str, body: dict, tally: Tally) -> bool:
    for _ in range(RESENDS + 1):
        started = time.perf_counter()
        try:
            r = await client.post(url, json=body)
            ok, kind = r.status_code == 200, f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            ok, kind = False, type(exc).__name__
        tally.latencies.append(time.perf_counter() - started)
        if ok:
            return True
        tally.errors += 1
        tally.error_kinds[kind] += 1
        await asyncio.sleep(0.2)
    tally.lost_turns += 1
    return False


class Pace:
    """How long a customer reads and types before each message: uniform in [low, high] seconds (0: no pause)."""

    def __init__(self, low: float, high: float, seed: int) -> None:
        self.low, self.high = low, high
        self.rng = random.Random(seed)

    @property
    def paced(self) -> bool:
        return self.high > 0

    async def think(self, deadline: float, low: float | None = None) -> bool:
        """Pause like a customer typing; False when the run ends first (then the message is not sent)."""
        if not self.paced:
            return time.monotonic() < deadline
        pause = self.rng.uniform(self.low if low is None else low, self.high)
        if time.monotonic() + pause >= deadline:
            return False
        await asyncio.sleep(pause)
        return True


async def customer(client: httpx.AsyncClient, tokens: asyncio.Queue, deadline: float, tally: Tally, i: int,
                   pace: Pace) -> None:
    # Paced customers arrive spread over one pause, not all in the same millisecond.
    if pace.paced and not await pace.think(deadline, low=0.0):
        return
    while time.monotonic() < deadline and not tokens.empty():
        token = tokens.get_nowait()
        if not await turn(client, f"/api/chat/{token}/start", {}, tally):
            continue
        if not await pace.think(deadline):
            return
        if not await turn(client, f"/api/chat/{token}", {"message": "2", "message_id": str(uuid.uuid4())}, tally):
            continue
        tally.rated.append(token)
        if not await pace.think(deadline):
            return
        reason = {"message": REASONS[i % len(REASONS)], "message_id": str(uuid.uuid4())}
        if await turn(client, f"/api/chat/{token}", reason, tally):
            tally.surveys_done += 1


def stored_ratings(url: str, tokens: list[str]) -> tuple[int, int]:
    """(surveys of ``tokens`` with a valid rating, surveys with more than one)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(r.id) FROM surveys s JOIN ratings r ON r.survey_id = s.id "
                                 "AND r.status = 'valid' WHERE s.token = ANY(:t) GROUP BY s.id"),
                            {"t": tokens}).scalars().all()
    engine.dispose()
    return len(rows), sum(1 for n in rows if n > 1)


async def drive(stack: ProductionStack, concurrency: int, duration: float, pool: int, pace: Pace) -> dict:
    tokens: asyncio.Queue = asyncio.Queue()
    for token in make_surveys(stack.database_url, pool):
        tokens.put_nowait(token)
    tally = Tally()
    load_before = os.getloadavg()[0]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=stack.web_url, timeout=60, limits=limits) as client:
        started = time.monotonic()
        deadline = started + duration
        await asyncio.gather(*(customer(client, tokens, deadline, tally, i, pace) for i in range(concurrency)))
        elapsed = time.monotonic() - started
    stored, doubled = stored_ratings(stack.database_url, tally.rated)
    lat = tally.latencies or [0.0]
    return {"turns": len(tally.latencies), "turns_per_s": len(tally.latencies) / elapsed,
            "surveys_per_s": tally.surveys_done / elapsed, "p50": pct(lat, 0.50) * 1000,
            "p95": pct(lat, 0.95) * 1000, "p99": pct(lat, 0.99) * 1000, "errors": tally.errors,
            "lost": tally.lost_turns, "expected": len(tally.rated), "stored": stored, "doubled": doubled,
            "elapsed": elapsed, "error_kinds": dict(tally.error_kinds), "load_before": load_before, "load_after": os.getloadavg()[0]}


def modes(args) -> list[tuple[str, float, Pace]]:
    """(name, seconds, pace) of each customer model to run: paced then hammer, or only hammer for ``--think 0``."""
    low, _, high = args.think.partition("-")
    low_s, high_s = float(low), float(high or low)
    if low_s < 0 or high_s < low_s:
        raise SystemExit(f"--think wants LOW-HIGH seconds with 0 <= LOW <= HIGH, not {args.think!r}")
    hammer = ("hammer", args.hammer_duration if high_s > 0 else args.duration, Pace(0, 0, args.seed))
    if high_s == 0:
        return [hammer]
    paced = (f"paced {args.think} s", args.duration, Pace(low_s, high_s, args.seed))
    return [paced] + ([hammer] if args.hammer_duration > 0 else [])


def run(instances: int, args, pg_url: str, base: Path) -> dict[str, dict]:
    """Every customer model on one started configuration (the surveys of each model are fresh)."""
    with production_services() as env:
        stack = ProductionStack(database_url=pg_url, log_dir=base / f"log-{instances}", extra_env=env,
                                rasa_count=instances, action_count=instances).start(workers=args.web_workers)
        try:
            return {name: asyncio.run(drive(stack, args.surveys, seconds, args.pool, pace))
                    for name, seconds, pace in modes(args)}
        finally:
            stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surveys", type=int, default=200, help="concurrent surveys (customers)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of paced load per configuration")
    parser.add_argument("--think", default="3-10",
                        help="customer's pause before each message, LOW-HIGH seconds (uniform); 0: hammer only")
    parser.add_argument("--hammer-duration", type=float, default=30.0,
                        help="seconds of back-to-back load per configuration after the paced run (0: skip)")
    parser.add_argument("--seed", type=int, default=11, help="seed of the customers' pauses")
    parser.add_argument("--pool", type=int, default=3000, help="surveys prepared (upper bound of surveys run)")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--instances", default="1,2", help="Rasa+action server counts to compare")
    parser.add_argument("--log-dir", type=Path, default=None, help="keep the servers' logs here")
    args = parser.parse_args()
    import psycopg

    from tests.conftest import PG_ADMIN_URL

    modes(args)  # refuse a bad --think before starting anything
    results: dict[int, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = str(args.log_dir or tmp_dir)
        for instances in [int(x) for x in args.instances.split(",")]:
            name = f"feedbackbot_load_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            try:
                results[instances] = run(instances, args, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", Path(tmp))
            finally:
                with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"\n{args.surveys} concurrent surveys, web workers {args.web_workers}, loopback, "
          f"{os.cpu_count()} CPUs (shared)")
    print(f"{'customers':<16} {'inst':>4} {'secs':>5} {'turns':>6} {'turns/s':>8} {'surveys/s':>9} {'p50 ms':>7} "
          f"{'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'lost':>5} {'expected':>8} {'stored':>6} {'doubled':>7} "
          f"{'load 1m':>11}")
    for n, per_mode in results.items():
        for name, r in per_mode.items():
            print(f"{name:<16} {n:>4} {r['elapsed']:>5.0f} {r['turns']:>6} {r['turns_per_s']:>8.1f} "
                  f"{r['surveys_per_s']:>9.1f} {r['p50']:>7.0f} {r['p95']:>7.0f} {r['p99']:>7.0f} {r['errors']:>6} "
                  f"{r['lost']:>5} {r['expected']:>8} {r['stored']:>6} {r['doubled']:>7} "
                  f"{r['load_before']:>5.1f}->{r['load_after']:<4.1f}")
    for n, per_mode in results.items():
        for name, r in per_mode.items():
            if r["error_kinds"]:
                print(f"failed attempts, {name}, {n} instance(s): {r['error_kinds']}")


if __name__ == "__main__":
    main()
