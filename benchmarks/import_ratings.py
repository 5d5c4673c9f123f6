"""Import-rate benchmark of ``feedbackbot import-ratings`` on SQLite and PostgreSQL.

Generates a realistic CSV (default 100,000 calls over 60 agents in 6 teams,
a year of calls; replies drawn from the hand-written sentence pool of
``bot.demo.sentences``, the same generator as the demo centre), streamed to
disk, and imports it into a fresh database on each backend. Prints rows/s
(wall clock, both passes: the file check and the write), rows per
CPU-second (this process plus its worker processes; the PostgreSQL server's
own CPU is not counted), the peak resident memory of this process and of the
largest worker, and the load average before and after (the machine is
shared: a load above the number of cores means the import did not have them
to itself). Targets at 1,000,000 rows on the 2-core machine: 6,000 rows/s on
SQLite, 5,000 rows/s on PostgreSQL.

    .venv/bin/python benchmarks/import_ratings.py [--rows 100000] [--backend sqlite|postgresql|both]
        [--workers N] [--again]
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.db.migrate import upgrade  # noqa: E402
from bot.demo import centre  # noqa: E402
from bot.importing import history  # noqa: E402
from bot.settings import Settings  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write ``rows`` calls to ``path``, sorted by end time, streamed (a million rows do not fit in memory)."""
    import csv

    rng = random.Random(seed)
    agents = [(f"B{t:02d}{a:02d}", f"第{t + 1}组", rng.uniform(0.1, 0.6)) for t in range(6) for a in range(10)]
    start = datetime(2025, 12, 1, tzinfo=UTC)
    step = timedelta(days=365) / rows
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=history.COLUMNS)
        w.writeheader()
        for i in range(rows):
            agent_id, team, share = rng.choice(agents)
            w.writerow(centre.survey_row(rng, f"bench-{i:07d}", agent_id, team, start + i * step, share, 60))


def pg_database() -> str:
    import psycopg

    name = f"bench_import_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def drop_pg(url: str) -> None:
    import psycopg

    from bot.db.connection import engine_for

    engine_for.cache_clear()
    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def _cpu() -> tuple[float, float, float]:
    """CPU seconds so far of this process (the writer), of its ended worker processes, and of the machine's
    PostgreSQL server processes (read from ``/proc``; 0 where that cannot be read)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime, _postgres_cpu()


def _postgres_cpu() -> float:
    """CPU seconds of every running process named ``postgres`` (the server's backends and helpers), with those
    of its ended processes (the postmaster's reaped children: the import's writer closes its connection)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile, or not ours to read
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if name == "postgres":
            total += sum(map(int, fields[11:15]))  # utime, stime, cutime, cstime
    return total / tick


def loop_seconds() -> float:
    """CPU seconds of a fixed pure-Python loop (10 million additions): how fast this machine is right now.

    The machine is a shared virtual one whose speed changes by half from one hour to the next; rates
    measured at different times compare only beside this figure."""
    started, total = time.process_time(), 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - started


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def bench(url: str, csv_path: Path, rows: int, label: str, workers: int | None, again: bool) -> None:
    upgrade(url)
    speed_before = loop_seconds()
    load_before = _load()
    t0, c0 = time.perf_counter(), _cpu()
    summary = history.import_file(Settings(database_url=url), csv_path, progress=True, workers=workers)
    wall = time.perf_counter() - t0
    writer, workers, server = (after - before for after, before in zip(_cpu(), c0, strict=True))
    cpu = writer + workers
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{label}: {rows} rows in {wall:.1f} s = {rows / wall:.0f} rows/s; {cpu:.1f} CPU-s in this process "
          f"and its workers = {rows / cpu:.0f} rows per CPU-second")
    print(f"  CPU per row: writer {writer / rows * 1e6:.0f} µs, workers {workers / rows * 1e6:.0f} µs (start-up "
          f"included)" + (f", PostgreSQL server processes {server / rows * 1e6:.0f} µs" if "postgresql" in url else ""))
    print(f"  memory peak: {peak_self:.0f} MiB (this process), {peak_child:.0f} MiB (largest worker); "
          f"load average (1/5/15 min) before {load_before}, after {_load()} on {os.cpu_count()} cores; "
          f"a fixed loop took {speed_before:.2f} s of CPU before, {loop_seconds():.2f} s after")
    print(f"  {summary.describe()}")
    if again:
        t0 = time.perf_counter()
        second = history.import_file(Settings(database_url=url), csv_path, progress=False, workers=workers)
        print(f"  second import (all already present): {time.perf_counter() - t0:.1f} s, "
              f"imported {second.imported}, already present {second.already_present}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    ap.add_argument("--again", action="store_true", help="import the same file a second time (all present)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "ratings.csv"
        t0 = time.perf_counter()
        generate(csv_path, args.rows)
        print(f"generated {args.rows} rows in {time.perf_counter() - t0:.1f} s")
        if args.backend in ("sqlite", "both"):
            bench(f"sqlite:///{Path(tmp) / 'bench.db'}", csv_path, args.rows, "SQLite", args.workers, args.again)
        if args.backend in ("postgresql", "both"):
            url = pg_database()
            try:
                bench(url, csv_path, args.rows, "PostgreSQL", args.workers, args.again)
            finally:
                drop_pg(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
