"""Import-rate benchmark of ``feedbackbot import-ratings`` on SQLite and PostgreSQL.

Generates a realistic CSV (default 100,000 calls over 60 agents in 6 teams,
a year of calls; replies drawn from the hand-written sentence pool of
``bot.demo.sentences``, the same generator as the demo centre) and
imports it into a fresh database on each backend, printing rows/s.

    .venv/bin/python benchmarks/history.py [--rows 100000] [--backend sqlite|postgresql|both]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.db.migrate import upgrade  # noqa: E402
from bot.demo import centre
from bot.importing import history  # noqa: E402
from bot.settings import Settings  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write ``rows`` calls to ``path``, sorted by end time."""
    rng = random.Random(seed)
    agents = [(f"B{t:02d}{a:02d}", f"第{t + 1}组", rng.uniform(0.1, 0.6)) for t in range(6) for a in range(10)]
    start = datetime(2025, 12, 1, tzinfo=UTC)
    step = timedelta(days=365) / rows
    out = []
    for i in range(rows):
        agent_id, team, share = rng.choice(agents)
        ended = start + i * step
        out.append(centre.survey_row(rng, f"bench-{i:07d}", agent_id, team, ended, share, 60))
    centre.write_csv(path, history.COLUMNS, out)


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


def bench(url: str, csv_path: Path, rows: int, label: str) -> None:
    upgrade(url)
    t0, c0 = time.perf_counter(), time.process_time()
    summary = history.import_file(Settings(database_url=url), csv_path, progress=True)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{label}: {rows} rows in {wall:.1f} s = {rows / wall:.0f} rows/s "
          f"(this process used {cpu:.1f} s CPU = {rows / cpu:.0f} rows per CPU-second)")
    print(f"  {summary.describe()}")
    t0 = time.perf_counter()
    again = history.import_file(Settings(database_url=url), csv_path, progress=False)
    print(f"  second import (all already present): {time.perf_counter() - t0:.1f} s, imported {again.imported}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = ap.parse_args()
    from classifiers import classify

    classify("预热")  # load the model outside the timing
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "ratings.csv"
        t0 = time.perf_counter()
        generate(csv_path, args.rows)
        print(f"generated {args.rows} rows in {time.perf_counter() - t0:.1f} s")
        if args.backend in ("sqlite", "both"):
            bench(f"sqlite:///{Path(tmp) / 'bench.db'}", csv_path, args.rows, "SQLite")
        if args.backend in ("postgresql", "both"):
            url = pg_database()
            try:
                bench(url, csv_path, args.rows, "PostgreSQL")
            finally:
                drop_pg(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
