"""Latency and throughput of a full survey turn against Rasa's own floor, in one run.

Three kinds of request, interleaved so that they meet the same machine:

* full turn: what a customer's "2 客服态度太差" costs: Rasa NLU + policy, one
  call to our action server, which parses the score, classifies the reason
  and writes the rating, reason and audit rows;
* no-op-action turn: the same REST webhook, model, rules and endpoints file
  on a second Rasa server whose action server (``benchmarks/noop_actions.py``,
  minimal rasa-sdk) answers both actions with nothing: the floor of any Rasa
  bot with one custom action on this machine;
* bare parse: Rasa's ``/model/parse`` on the same text.

Prints p50/p95 of each, turns/s of full and no-op turns with concurrent
clients (and the load generator's own CPU per turn: it shares the machine's
cores with the servers, so it is an aiohttp client, a fifth of httpx's CPU
per request), and the targets as ratios: full/no-op p50 and p95 ≤ 1.3, full/no-op
throughput ≥ 0.85, full/parse p50 ≤ 2. With ``--scale-out`` it then starts the
production profile (PostgreSQL tracker store, Redis locks, RabbitMQ, HAProxy)
with 1 and with 2 Rasa + action servers and prints turns/s and p95 of each.

Usage: .venv/bin/python benchmarks/turn_latency.py [--turns 300] [--clients 16] [--scale-out]
(DATABASE_URL selects the database; default a fresh SQLite file.)
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The load comes from one address (this machine): lift the per-address chat rate for the servers started here.
os.environ.setdefault("FEEDBACKBOT_CHAT_RATE_PER_ADDRESS", "1000000")

from bot.conversation import calls  # noqa: E402
from bot.db.connection import make_engine  # noqa: E402
from bot.ops.stack import Stack, free_port, train_rasa  # noqa: E402

NOOP_SERVER = Path(__file__).resolve().parent / "noop_actions.py"

TEXT = "2 客服态度太差了，一直打断我"


def make_surveys(url: str, n: int) -> list[str]:
    engine = make_engine(url)
    tokens = []
    with Session(engine) as s, s.begin():
        for i in range(n):
            req = calls.CallRequest(call_id=f"bench-{time.time_ns()}-{i}", agent_ids=["B1"],
                                      ended_at=datetime.now(UTC))
            survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1")
            tokens.append(survey.token)
    engine.dispose()
    return tokens


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def webhook(rasa_url: str) -> str:
    return f"{rasa_url}/webhooks/rest/webhook"


async def post(client: aiohttp.ClientSession, url: str, body: dict, **params: str) -> list | dict:
    """POST ``body`` as JSON and return the parsed answer (raises on an HTTP error)."""
    async with client.post(url, json=body, params=params or None) as r:
        r.raise_for_status()
        return await r.json()


async def sequential(client: aiohttp.ClientSession, stack: Stack, noop_url: str,
                     tokens: list[str]) -> dict[str, list[float]]:
    """One parse, one no-op turn and one full turn per token, interleaved (milliseconds)."""
    times: dict[str, list[float]] = {"parse": [], "noop": [], "full": []}
    for token in tokens:
        t0 = time.perf_counter()
        await post(client, f"{stack.rasa_url}/model/parse", {"text": TEXT}, token=stack.rasa_api_token or "")
        times["parse"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        await post(client, webhook(noop_url), {"sender": f"noop-{token}", "message": TEXT})
        times["noop"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        answer = await post(client, webhook(stack.rasa_url), {"sender": token, "message": TEXT})
        times["full"].append((time.perf_counter() - t0) * 1000)
        assert answer, "the bot did not answer"
    return times


def client_cpu() -> float:
    """CPU seconds this process (the load generator) has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def concurrent(rasa_url: str, senders: list[str], clients: int) -> tuple[float, list[float]]:
    """Turns/s and per-turn latencies (ms) of ``clients`` clients sending back to back."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for sender in senders:
        queue.put_nowait(sender)
    latencies: list[float] = []

    async def worker(client: aiohttp.ClientSession) -> None:
        while not queue.empty():
            sender = queue.get_nowait()
            t0 = time.perf_counter()
            await post(client, webhook(rasa_url), {"sender": sender, "message": TEXT})
            latencies.append((time.perf_counter() - t0) * 1000)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients),
                                     timeout=aiohttp.ClientTimeout(total=60)) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        return len(senders) / (time.perf_counter() - t0), latencies


def start_floor(stack: Stack) -> str:
    """Start the no-op action server and a second Rasa server (same model and endpoints) calling it."""
    action_port, rasa_port = free_port(), free_port()
    env = {**stack.env(), "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook"}
    stack._spawn("noop-actions", [sys.executable, str(NOOP_SERVER), "-p", str(action_port)], env)
    stack.spawn_rasa("rasa-noop", rasa_port, train_rasa(), env)
    stack._wait(f"http://127.0.0.1:{action_port}/health", "noop-actions", 120)
    stack._wait(f"http://127.0.0.1:{rasa_port}/webhooks/rest/", "rasa-noop", 180)
    return f"http://127.0.0.1:{rasa_port}"


async def scale_out(args) -> dict[int, tuple[float, float]]:
    """Production profile with 1 and with 2 Rasa + action servers: (turns/s, p95 ms) each."""
    import uuid

    import psycopg

    from bot.ops.production import ProductionStack
    from tests.conftest import PG_ADMIN_URL
    from tests.production import production_services

    out = {}
    for n in (1, 2):
        name = f"feedbackbot_turns_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        try:
            with production_services() as env:
                stack = ProductionStack(database_url=url, log_dir=Path(tempfile.mkdtemp()) / "log", extra_env=env,
                                        rasa_count=n, action_count=n).start()
                try:
                    await concurrent(stack.rasa_url, make_surveys(url, 40), args.clients)  # warm every server
                    rate, lat = await concurrent(stack.rasa_url, make_surveys(url, args.turns), args.clients)
                    out[n] = (rate, pct(lat, 0.95))
                finally:
                    stack.stop()
        finally:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return out


def ratio_line(name: str, value: float, target: str, ok: bool) -> str:
    return f"  {name:<34} {value:6.2f}   target {target:<7} {'met' if ok else 'NOT met'}"


async def main_async(args) -> None:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    # /model/parse is Rasa's HTTP API: on for the benchmark, behind a throwaway token.
    with Stack(database_url=url, log_dir=Path(tempfile.mkdtemp()) / "log",
               extra_env={"RASA_API_TOKEN": secrets.token_urlsafe(24)}) as stack:
        noop_url = start_floor(stack)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as client:
            await sequential(client, stack, noop_url, make_surveys(url, 30))  # warm up every path
            times = await sequential(client, stack, noop_url, make_surveys(url, args.turns))
        load_before = os.getloadavg()[0]
        noop_senders = [f"noop-c-{i}-{time.time_ns()}" for i in range(args.turns)]
        full_senders = make_surveys(url, args.turns)
        cpu0 = client_cpu()
        noop_rate, noop_lat = await concurrent(noop_url, noop_senders, args.clients)
        cpu1 = client_cpu()
        full_rate, full_lat = await concurrent(stack.rasa_url, full_senders, args.clients)
        cpu2 = client_cpu()
        load_after = os.getloadavg()[0]
    p50 = {k: statistics.median(v) for k, v in times.items()}
    p95 = {k: pct(v, 0.95) for k, v in times.items()}
    print(f"database: {url.split('://')[0]}   turns: {args.turns} sequential (interleaved), "
          f"{args.clients} concurrent clients   load 1m {load_before:.1f}->{load_after:.1f} on {os.cpu_count()} CPUs")
    print(f"{'':<24} {'p50 ms':>8} {'p95 ms':>8} {'turns/s':>8} {'p95 ms under load':>18}")
    print(f"{'bare Rasa parse':<24} {p50['parse']:8.2f} {p95['parse']:8.2f}")
    print(f"{'no-op-action turn':<24} {p50['noop']:8.2f} {p95['noop']:8.2f} {noop_rate:8.1f} {pct(noop_lat, 0.95):18.1f}")
    print(f"{'full survey turn':<24} {p50['full']:8.2f} {p95['full']:8.2f} {full_rate:8.1f} {pct(full_lat, 0.95):18.1f}")
    print(f"load generator CPU per turn: no-op {(cpu1 - cpu0) / args.turns * 1000:.2f} ms, "
          f"full {(cpu2 - cpu1) / args.turns * 1000:.2f} ms")
    print("ratios:")
    r50, r95, rt, rp = p50["full"] / p50["noop"], p95["full"] / p95["noop"], full_rate / noop_rate, p50["full"] / p50["parse"]
    print(ratio_line("full / no-op turn, p50", r50, "≤ 1.3", r50 <= 1.3))
    print(ratio_line("full / no-op turn, p95", r95, "≤ 1.3", r95 <= 1.3))
    print(ratio_line("full / no-op throughput", rt, "≥ 0.85", rt >= 0.85))
    print(ratio_line("full turn / bare parse, p50", rp, "≤ 2", rp <= 2))
    print(ratio_line("full turn / bare parse, p95", p95["full"] / p95["parse"], "(info)", True))
    if args.scale_out:
        figures = await scale_out(args)
        print(f"production profile (PostgreSQL, Redis, RabbitMQ, HAProxy), {args.clients} clients, {args.turns} turns:")
        for n, (rate, p95_ms) in figures.items():
            print(f"  {n} Rasa + {n} action server(s): {rate:7.1f} full turns/s   p95 {p95_ms:7.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=300)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--scale-out", action="store_true",
                    help="also run the production profile with 1 and 2 Rasa + action servers")
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
