"""Latency and throughput of a full survey turn versus a bare Rasa parse, in one run.

A full turn is what a customer's "2 客服态度太差" costs: Rasa NLU + policy,
one call to the action server, which parses the score, classifies the reason,
and writes the rating, reason and audit rows. The bare parse is Rasa's
``/model/parse`` on the same text. Prints p50/p95 of both, their ratio, and
full turns/s with concurrent clients.

Usage: .venv/bin/python benchmarks/turn_latency.py [--turns 300] [--clients 16]
(DATABASE_URL selects the database; default a fresh SQLite file.)
"""
from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.db.engine import make_engine  # noqa: E402
from bot.services import surveys  # noqa: E402
from bot.stack import Stack  # noqa: E402

TEXT = "2 客服态度太差了，一直打断我"


def make_surveys(url: str, n: int) -> list[str]:
    engine = make_engine(url)
    tokens = []
    with Session(engine) as s, s.begin():
        for i in range(n):
            req = surveys.CallRequest(call_id=f"bench-{time.time_ns()}-{i}", agent_ids=["B1"],
                                      ended_at=datetime.now(UTC))
            survey, _ = surveys.register_call(s, req, window_minutes=60, template_version="v1")
            tokens.append(survey.token)
    engine.dispose()
    return tokens


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


async def sequential(client: httpx.AsyncClient, stack: Stack, tokens: list[str]) -> tuple[list[float], list[float]]:
    parse, turn = [], []
    for token in tokens:
        t0 = time.perf_counter()
        r = await client.post(f"{stack.rasa_url}/model/parse", json={"text": TEXT},
                              params={"token": stack.rasa_api_token})
        parse.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
        t0 = time.perf_counter()
        r = await client.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": token, "message": TEXT})
        turn.append((time.perf_counter() - t0) * 1000)
        assert r.json(), "the bot did not answer"
    return parse, turn


async def concurrent(stack: Stack, tokens: list[str], clients: int) -> float:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for t in tokens:
        queue.put_nowait(t)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            token = queue.get_nowait()
            r = await client.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": token, "message": TEXT})
            r.raise_for_status()

    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=clients)) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        return len(tokens) / (time.perf_counter() - t0)


async def main_async(args) -> None:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    # /model/parse is Rasa's HTTP API: on for the benchmark, behind a throwaway token.
    with Stack(database_url=url, log_dir=Path(tempfile.mkdtemp()) / "log",
               extra_env={"RASA_API_TOKEN": secrets.token_urlsafe(24)}) as stack:
        warm = make_surveys(url, 20)
        async with httpx.AsyncClient(timeout=60) as client:
            await sequential(client, stack, warm)
            parse, turn = await sequential(client, stack, make_surveys(url, args.turns))
        throughput = await concurrent(stack, make_surveys(url, args.turns), args.clients)
    p50p, p95p = statistics.median(parse), pct(parse, 0.95)
    p50t, p95t = statistics.median(turn), pct(turn, 0.95)
    print(f"database: {url.split('://')[0]}   turns: {args.turns} sequential, {args.clients} concurrent clients")
    print(f"bare Rasa parse   p50 {p50p:7.2f} ms   p95 {p95p:7.2f} ms")
    print(f"full survey turn  p50 {p50t:7.2f} ms   p95 {p95t:7.2f} ms")
    print(f"ratio (full/parse) p50 {p50t / p50p:5.2f}   p95 {p95t / p95p:5.2f}   (target ≤ 2)")
    print(f"throughput        {throughput:7.1f} full turns/s   (target ≥ 200 on 2 cores)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=300)
    ap.add_argument("--clients", type=int, default=16)
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
