"""Where a survey turn's CPU goes: py-spy samples of the Rasa server and the action server under load.

Starts the development stack (SQLite by default, ``DATABASE_URL`` for
another database), sends full survey turns ("2 客服态度太差了，一直打断我")
from ``--clients`` concurrent clients for ``--seconds`` seconds while
``py-spy record`` samples both servers, then prints for each process the
share of samples per area (inclusive: a sample counts for every area on its
stack) and the heaviest functions (self time). The collapsed stacks are kept
in ``--out`` for a flame graph (``flamegraph.pl`` or speedscope).

Needs py-spy (``.venv/bin/pip install py-spy``) and permission to ptrace.

Usage: .venv/bin/python benchmarks/profile_turns.py [--seconds 20] [--clients 16] [--out /tmp/turn-profile]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The load comes from one address (this machine): lift the per-address chat rate for the servers started here.
os.environ.setdefault("FEEDBACKBOT_CHAT_RATE_PER_ADDRESS", "1000000")

from turn_latency import TEXT, make_surveys, webhook  # noqa: E402

from bot.ops.stack import Stack  # noqa: E402

# Areas, matched against "function (file)" frames; first match names the frame.
AREAS: list[tuple[str, str]] = [
    ("jsonschema (Rasa's action-result check)", r"\(jsonschema/"),
    ("SQLAlchemy", r"\(sqlalchemy/"),
    ("sqlite3 / psycopg driver", r"\(sqlite3/|\(psycopg/"),
    ("spaCy + thinc", r"\(spacy/|\(thinc/"),
    ("scikit-learn + scipy", r"\(sklearn/|\(scipy/"),
    ("jieba", r"\(jieba/"),
    ("our classifier", r"\(classifiers/"),
    ("our dialogue core + services", r"\(bot/"),
    ("our action adapters", r"\(actions/"),
    ("rasa-sdk", r"\(rasa_sdk/"),
    ("Rasa NLU graph", r"\(rasa/(engine|nlu)/|\(dask/"),
    ("Rasa core (processor, policies, tracker)", r"\(rasa/(core|shared)/"),
    ("Rasa other", r"\(rasa/"),
    ("sanic + HTTP", r"\(sanic|\(aiohttp/|\(httptools|\(websockets/"),
]


def summarise(collapsed: Path, top: int = 12, turns: int = 0, rate: int = 250) -> str:
    """Area shares and top self-time functions of one py-spy collapsed-stack file (and CPU per turn, given turns)."""
    total = 0
    inclusive: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue  # a frame name holding a newline (SQL text) splits its line
        n = int(count)
        frames = stack.split(";")
        total += n
        seen = set()
        for frame in frames:
            for area, pattern in AREAS:
                if re.search(pattern, frame):
                    seen.add(area)
                    break
        for area in seen:
            inclusive[area] += n
        self_time[re.sub(r":\d+\)", ")", frames[-1])] += n
    if total == 0:
        return "  (no samples)"
    lines = [f"  samples: {total}" + (f"   CPU per turn ≈ {1000 * total / rate / turns:.2f} ms" if turns else "")]
    lines += [f"  {100 * n / total:5.1f} %  {area}" for area, n in inclusive.most_common()]
    lines.append("  heaviest functions (self):")
    lines += [f"  {100 * n / total:5.1f} %  {frame[:140]}" for frame, n in self_time.most_common(top)]
    return "\n".join(lines)


async def hammer(rasa_url: str, tokens: list[str], clients: int, seconds: float) -> int:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for t in tokens:
        queue.put_nowait(t)
    deadline = time.monotonic() + seconds
    done = [0]

    async def worker(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline and not queue.empty():
            r = await client.post(webhook(rasa_url), json={"sender": queue.get_nowait(), "message": TEXT})
            r.raise_for_status()
            done[0] += 1

    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=clients)) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    return done[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    ap.add_argument("--out", type=Path, default=Path(tempfile.mkdtemp()) / "turn-profile")
    args = ap.parse_args()
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not os.access(pyspy, os.X_OK):
        raise SystemExit("py-spy not found: .venv/bin/pip install py-spy")
    args.out.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/profile.db"
    with Stack(database_url=url, log_dir=args.out / "log") as stack:
        asyncio.run(hammer(stack.rasa_url, make_surveys(url, 100), args.clients, 60))  # warm up
        tokens = make_surveys(url, int(args.seconds * 400))
        spies = {name: subprocess.Popen(
            [pyspy, "record", "--pid", str(stack.procs[name].pid), "--rate", str(args.rate), "--format", "raw",
             "--duration", str(int(args.seconds)), "--nonblocking", "--subprocesses", "--output", str(args.out / f"{name}.txt")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name in ("rasa", "actions")}
        time.sleep(1.0)
        turns = asyncio.run(hammer(stack.rasa_url, tokens, args.clients, args.seconds))
        for spy in spies.values():
            spy.wait(timeout=args.seconds + 60)
    print(f"{turns} full turns in {args.seconds:.0f} s ({turns / args.seconds:.1f}/s), {args.clients} clients, "
          f"database {url.split('://')[0]}; collapsed stacks in {args.out}")
    for name in ("rasa", "actions"):
        print(f"\n{name} server")
        print(summarise(args.out / f"{name}.txt", turns=turns, rate=args.rate))


if __name__ == "__main__":
    main()
