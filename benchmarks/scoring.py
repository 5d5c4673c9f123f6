"""Benchmark: the monthly KPI of every agent over 1,000,000 ratings, on SQLite and PostgreSQL.

Loads two months (October and November 2026) of synthetic calls for 300
agents in 20 teams (a few move team mid-November) into a fresh SQLite file
and a fresh PostgreSQL database, with every kind of case the scoring knows:
no reply, opt-outs, late replies, corrections, reasons from the model (some
awaiting review), the customer, reviewers and imports, and upheld appeals.
Then it times ``score_period`` for ``2026-11`` (the call ``feedbackbot
score`` makes, including the previous month for the change) and prints the
load rate, the timings and the centre's figures. Targets: ≤ 1 s on
PostgreSQL, ≤ 3 s on SQLite.

The rows are written in bulk (``executemany`` on SQLite, ``COPY`` on
PostgreSQL) straight into the tables, then ``survey_facts`` is rebuilt from
the canonical query (``refresh_facts(s, None)``, timed separately); this
measures the query, not the dialogue path. The import rate of ``feedbackbot
import-ratings`` through the dialogue core is measured by
``benchmarks/import_ratings.py``.

    .venv/bin/python benchmarks/scoring.py [--ratings 1000000] [--pg-url URL] [--no-pg] [--no-sqlite]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bot.db.migrate import upgrade  # noqa: E402
from bot.domain import ATTRIBUTION, CAUSES  # noqa: E402

TZ = "Asia/Shanghai"
AGENTS, TEAMS, MOVERS = 300, 20, 10
T0 = datetime(2026, 1, 1, tzinfo=UTC)
SCORES = (5,) * 55 + (4,) * 20 + (3,) * 8 + (2,) * 7 + (1,) * 10
SOURCES = ("model",) * 70 + ("customer",) * 15 + ("import",) * 10 + ("reviewer",) * 5
TEXT = "等了很久才接通，问题也没说清楚"

TABLE_COLUMNS = {
    "agents": ("id", "name", "role", "created_at"),
    "teams": ("id", "name", "supervisor_id", "created_at"),
    "calls": ("id", "external_id", "ended_at", "customer_channel_id", "credited_agent_id", "team_id", "created_at",
              "channel"),
    "surveys": ("id", "token", "call_id", "template_version", "sent_at", "expires_at", "status", "needs_followup",
                "created_at"),
    "ratings": ("id", "survey_id", "score", "raw_reply", "received_at", "status", "supersedes_id", "created_at"),
    "reasons": ("id", "rating_id", "text", "cause", "attribution", "confidence", "source", "model_version",
                "evidence", "needs_review", "supersedes_id", "created_at"),
    "appeals": ("id", "reason_id", "agent_id", "text", "status", "created_at", "decided_at", "decided_by",
                "decision_note"),
}


def generate(n_ratings: int, seed: int = 8) -> dict[str, list[tuple]]:
    """Rows per table, with explicit ids, until ``n_ratings`` ratings exist."""
    rnd = random.Random(seed)
    zone = ZoneInfo(TZ)
    start = datetime(2026, 10, 1, tzinfo=zone).astimezone(UTC)
    span = (datetime(2026, 12, 1, tzinfo=zone).astimezone(UTC) - start).total_seconds()
    move_at = datetime(2026, 11, 15, tzinfo=zone).astimezone(UTC)
    rows: dict[str, list[tuple]] = {t: [] for t in TABLE_COLUMNS}
    rows["teams"] = [(t + 1, f"team-{t + 1:02d}", None, T0) for t in range(TEAMS)]
    rows["agents"] = [(f"A{a:03d}", f"坐席{a:03d}", "agent", T0) for a in range(AGENTS)]
    calls, surveys, ratings, reasons, appeals = (rows[t] for t in ("calls", "surveys", "ratings", "reasons", "appeals"))
    # Calls arrive in time order, as in production (ids follow end times).
    ends = sorted(start + timedelta(seconds=rnd.random() * span) for _ in range(int(n_ratings * 1.1) + 10))
    call_id = 0
    while len(ratings) < n_ratings:
        ended = ends[call_id]
        call_id += 1
        agent = rnd.randrange(AGENTS)
        team = agent % TEAMS + 1
        if agent < MOVERS and ended >= move_at:
            team = (team % TEAMS) + 1
        # The channel from the call id (half SMS, 30 % web, 20 % WeChat), not the random stream: the other
        # figures stay those of earlier runs.
        channel = "sms" if call_id % 10 < 5 else "web" if call_id % 10 < 8 else "wechat"
        calls.append((call_id, f"bench-{call_id}", ended, None, f"A{agent:03d}", team, ended, channel))
        r = rnd.random()
        status = "opted_out" if 0.06 <= r < 0.08 else "completed" if r >= 0.08 else "expired"
        surveys.append((call_id, f"t{call_id}", call_id, "v1", ended, ended + timedelta(hours=1), status, False,
                        ended))
        if r < 0.08:
            continue
        at = ended + timedelta(minutes=3)
        if r < 0.10:
            ratings.append((len(ratings) + 1, call_id, rnd.choice(SCORES), "3", ended + timedelta(hours=2), "late",
                            None, ended + timedelta(hours=2)))
            continue
        previous = None
        if r < 0.14:
            previous = len(ratings) + 1
            ratings.append((previous, call_id, rnd.choice(SCORES), "1", at, "corrected", None, at))
        rating_id = len(ratings) + 1
        score = rnd.choice(SCORES)
        ratings.append((rating_id, call_id, score, str(score), at, "valid", previous, at))
        if score <= 3 and rnd.random() < 0.8:
            cause = rnd.choice(CAUSES)
            source = rnd.choice(SOURCES)
            reason_id = len(reasons) + 1
            reasons.append((reason_id, rating_id, TEXT, cause, ATTRIBUTION[cause], 0.8 if source == "model" else None,
                            source, "bench" if source == "model" else None, None,
                            source == "model" and rnd.random() < 0.15, None, at))
            if ATTRIBUTION[cause] == "staff" and rnd.random() < 0.02:
                appeals.append((len(appeals) + 1, reason_id, f"A{agent:03d}", "不是我的问题",
                                rnd.choice(("upheld", "rejected")), at, at, "admin", None))
    return rows


def _sqlite_value(v):
    if isinstance(v, datetime):  # SQLAlchemy's SQLite storage format, in UTC
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return v


def load_sqlite(path: Path, rows: dict[str, list[tuple]]) -> None:
    import sqlite3

    upgrade(f"sqlite:///{path}")
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    with con:
        for table, cols in TABLE_COLUMNS.items():
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            con.executemany(sql, ([_sqlite_value(v) for v in row] for row in rows[table]))
    con.execute("ANALYZE")
    con.close()


def load_pg(url: str, rows: dict[str, list[tuple]]) -> None:
    import psycopg

    upgrade(url)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con, con.cursor() as cur:
        for table, cols in TABLE_COLUMNS.items():
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows[table]:
                    copy.write_row(row)
            if "id" in cols and table != "agents":
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {table}))")
        con.commit()
        cur.execute("ANALYZE")
        con.commit()


def fill_facts(url: str) -> float:
    """Materialise ``survey_facts`` after the bulk load (the load bypasses the ORM listener); seconds taken."""
    from bot.db.session import open_session
    from bot.ledger.fact_table import refresh_facts

    t = time.perf_counter()
    with open_session(url) as s, s.begin():
        refresh_facts(s, None)
    with open_session(url) as s, s.begin():  # fresh statistics for the planner
        s.execute(text("ANALYZE"))
    return time.perf_counter() - t


def time_scoring(url: str, runs: int = 3) -> tuple[list[float], dict]:
    from bot.db.session import open_session
    from bot.scoring.board import score_period

    times, cpu, board = [], [], None
    for _ in range(runs):
        with open_session(url) as s:
            t, c = time.perf_counter(), time.process_time()
            board = score_period(s, "2026-11", tz=TZ, min_sample=10)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
    assert board is not None
    # This process's CPU time: the whole query on SQLite, only the client side on PostgreSQL.
    return times, {"agents": len(board.agents), "teams": len(board.teams), "centre": board.centre.to_dict(),
                   "client_cpu": min(cpu)}


def time_team_page_parts(url: str, runs: int = 3) -> dict[str, float]:
    """Best-of-``runs`` seconds of what the team and admin pages run besides the scoreboard: the response rate per
    channel (admin: the centre; team page: per team), the cause report (admin: the centre; team page: the team's,
    with the centre's non-staff counts beside it)."""
    from sqlalchemy import select

    from bot.db.session import open_session
    from bot.db.staff import Team
    from bot.scoring.cause_report import cause_report, non_staff_counts
    from bot.scoring.channels import response_by_channel

    best: dict[str, float] = {}
    with open_session(url) as s:
        team = s.scalar(select(Team.id).where(Team.name == "team-01"))
        parts = {
            "channels, centre": lambda: response_by_channel(s, "2026-11", tz=TZ),
            "channels, one team": lambda: response_by_channel(s, "2026-11", tz=TZ, team_ids=[team]),
            "cause report, centre": lambda: cause_report(s, "2026-11", tz=TZ),
            "cause report, one team": lambda: cause_report(s, "2026-11", tz=TZ, team_ids=[team]),
            "non-staff counts, centre": lambda: non_staff_counts(s, "2026-11", tz=TZ),
        }
        for name, part in parts.items():
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                result = part()
                times.append(time.perf_counter() - t)
            best[name] = min(times)
            if name.startswith("channels, centre"):
                print("channels:", [r.to_dict() for r in result])  # type: ignore[union-attr]
    return best


def report(name: str, n_rows: int, n_ratings: int, load_s: float, facts_s: float, times: list[float],
           figures: dict, target: float) -> None:
    print(f"\n== {name} ==")
    print(f"load: {n_rows:,} rows ({n_ratings:,} ratings) in {load_s:.1f} s = {n_rows / load_s:,.0f} rows/s, "
          f"{n_ratings / load_s:,.0f} ratings/s; survey_facts rebuilt in {facts_s:.1f} s")
    verdict = "OK" if min(times) <= target else "SLOWER THAN TARGET"
    print(f"score_period('2026-11') for {figures['agents']} agents and {figures['teams']} teams: "
          f"first {times[0]:.3f} s, best {min(times):.3f} s of {len(times)} (target ≤ {target} s: {verdict}); "
          f"CPU of this process {figures['client_cpu']:.3f} s; load average {os.getloadavg()[0]:.1f}")
    c = figures["centre"]
    keep = ("invited", "responses", "response_rate", "raw_csat", "attributed_csat", "staff_low", "non_staff_low",
            "unattributed_low", "staff_low_rate", "staff_low_rate_ci", "excluded", "change")
    print("centre:", json.dumps({k: c[k] for k in keep}, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ratings", type=int, default=1_000_000)
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test",
                    help="an existing database to connect to; a fresh database is created next to it and dropped")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--keep-pg", action="store_true", help="keep the loaded PostgreSQL database (prints its URL)")
    args = ap.parse_args(argv)

    t = time.perf_counter()
    rows = generate(args.ratings)
    n_rows = sum(len(v) for v in rows.values())
    print(f"generated {n_rows:,} rows in {time.perf_counter() - t:.1f} s: "
          + ", ".join(f"{k} {len(v):,}" for k, v in rows.items()))
    n_ratings = len(rows["ratings"])

    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.db"
            t = time.perf_counter()
            load_sqlite(path, rows)
            load_s = time.perf_counter() - t
            facts_s = fill_facts(f"sqlite:///{path}")
            times, figures = time_scoring(f"sqlite:///{path}")
            report("SQLite", n_rows, n_ratings, load_s, facts_s, times, figures, 3.0)
            print("team/admin page parts (best of 3):", {k: round(v, 3) for k, v in
                                                        time_team_page_parts(f"sqlite:///{path}").items()})

    if not args.no_pg:
        import psycopg

        name = f"bench_scoring_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = args.pg_url.rsplit("/", 1)[0] + f"/{name}"
        try:
            t = time.perf_counter()
            load_pg(url, rows)
            load_s = time.perf_counter() - t
            facts_s = fill_facts(url)
            times, figures = time_scoring(url)
            report("PostgreSQL", n_rows, n_ratings, load_s, facts_s, times, figures, 1.0)
            print("team/admin page parts (best of 3):", {k: round(v, 3) for k, v in time_team_page_parts(url).items()})
        finally:
            from bot.db.connection import engine_for

            engine_for.cache_clear()
            if args.keep_pg:
                print(f"kept {url}")
            else:
                with psycopg.connect(args.pg_url, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
