"""Benchmark: the monthly KPI of every agent, an agent's page and a team page, at 10,000,000 ratings.

Loads a year (December 2025 to November 2026, Beijing time) of synthetic
calls for 1,000 agents in 50 teams (a few move team mid-November), with
every kind of case the scoring knows: no reply, opt-outs, late replies,
corrections, reasons from the model (some awaiting review), the customer,
reviewers and imports, and upheld appeals. Rows are generated and written a
chunk at a time (``executemany`` on SQLite, ``COPY`` on PostgreSQL) straight
into the tables, so memory stays flat; then ``survey_facts`` and the day sums
``survey_fact_days`` are rebuilt from the canonical query (timed separately).
This measures the queries, not the dialogue path (the import rate through
the dialogue core is ``benchmarks/import_ratings.py``).

Timed: ``score_period("2026-11")`` (what ``feedbackbot score``, the
exports and the admin page call, the previous month included for the
change), the same from the fact rows alone (the path before the day sums)
and, with ``--direct``, straight from the source tables, each compared field
by field; the day sums (both tables) against a recount; an agent's page
(``agent_context``: KPI scored for the agent and their team only
(``score_scope``), daily series, feedback list) and a supervisor's team page
(the ``/team?team=`` route's work short of rendering), their rows compared
with the full board's. Targets (issue 22): monthly KPI ≤ 0.5 s on
PostgreSQL, ≤ 2 s on SQLite; each page ≤ 150 ms. The load average is
printed with the figures.

    .venv/bin/python benchmarks/scoring.py [--ratings 10000000] [--agents 1000] [--teams 50] [--direct]
        [--no-pg] [--no-sqlite] [--keep] [--reuse URL ...]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bot.db.migrate import upgrade  # noqa: E402
from bot.domain import ATTRIBUTION, CAUSES  # noqa: E402

TZ = "Asia/Shanghai"
os.environ["FEEDBACKBOT_TIMEZONE"] = TZ  # the zone the migration keys the day sums by
T0 = datetime(2025, 1, 1, tzinfo=UTC)
SCORES = (5,) * 55 + (4,) * 20 + (3,) * 8 + (2,) * 7 + (1,) * 10
SOURCES = ("model",) * 70 + ("customer",) * 15 + ("import",) * 10 + ("reviewer",) * 5
TEXT = "等了很久才接通，问题也没说清楚"
MONTH = "2026-11"  # the month scored: the last of the twelve loaded
FIRST_DAY, STOP_DAY = date(2025, 12, 1), date(2026, 12, 1)  # twelve local months
MOVE_DAY = date(2026, 11, 15)  # a few agents change team mid-month
CHUNK_CALLS = 200_000  # rows are generated and written a chunk at a time: memory stays flat

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


def agent_name(a: int) -> str:
    return f"A{a:04d}"


def generate(n_ratings: int, agents: int, teams: int, seed: int = 8) -> Iterator[dict[str, list[tuple]]]:
    """Chunks of rows per table, with explicit ids, until ``n_ratings`` ratings exist.

    Calls are spread evenly over twelve local months (``FIRST_DAY`` to
    ``STOP_DAY``) and arrive in time order, as in production (ids follow end
    times); the first chunk holds the agents and teams.
    """
    rnd = random.Random(seed)
    zone = ZoneInfo(TZ)
    movers = max(1, agents // 50)
    days = (STOP_DAY - FIRST_DAY).days
    per_day = n_ratings / 0.96 / days  # 0.96 rating rows per call (no reply, late, corrected)
    chunk: dict[str, list[tuple]] = {t: [] for t in TABLE_COLUMNS}
    chunk["teams"] = [(t + 1, f"team-{t + 1:02d}", None, T0) for t in range(teams)]
    chunk["agents"] = [(agent_name(a), f"坐席{a:04d}", "agent", T0) for a in range(agents)]
    call_id = n_ratings_made = n_reasons = n_appeals = 0
    day = FIRST_DAY
    while n_ratings_made < n_ratings:
        start = datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
        n_calls = int(per_day) + (rnd.random() < per_day % 1)
        for offset in sorted(rnd.random() * 86_400 for _ in range(n_calls)):
            if n_ratings_made >= n_ratings:
                break
            ended = start + timedelta(seconds=offset)
            call_id += 1
            agent = rnd.randrange(agents)
            team = agent % teams + 1
            if agent < movers and day >= MOVE_DAY:
                team = team % teams + 1
            name = agent_name(agent)
            # The channel from the call id (half SMS, 30 % web, 20 % WeChat), not the random stream.
            channel = "sms" if call_id % 10 < 5 else "web" if call_id % 10 < 8 else "wechat"
            chunk["calls"].append((call_id, f"bench-{call_id}", ended, None, name, team, ended, channel))
            r = rnd.random()
            status = "opted_out" if 0.06 <= r < 0.08 else "completed" if r >= 0.08 else "expired"
            chunk["surveys"].append((call_id, f"t{call_id}", call_id, "v1", ended, ended + timedelta(hours=1),
                                     status, False, ended))
            if r < 0.08:
                continue
            at = ended + timedelta(minutes=3)
            if r < 0.10:
                n_ratings_made += 1
                chunk["ratings"].append((n_ratings_made, call_id, rnd.choice(SCORES), "3", ended + timedelta(hours=2),
                                         "late", None, ended + timedelta(hours=2)))
                continue
            previous = None
            if r < 0.14:
                n_ratings_made += 1
                previous = n_ratings_made
                chunk["ratings"].append((previous, call_id, rnd.choice(SCORES), "1", at, "corrected", None, at))
            n_ratings_made += 1
            rating_id = n_ratings_made
            score = rnd.choice(SCORES)
            chunk["ratings"].append((rating_id, call_id, score, str(score), at, "valid", previous, at))
            if score <= 3 and rnd.random() < 0.8:
                cause = rnd.choice(CAUSES)
                source = rnd.choice(SOURCES)
                n_reasons += 1
                chunk["reasons"].append((n_reasons, rating_id, TEXT, cause, ATTRIBUTION[cause],
                                         0.8 if source == "model" else None, source,
                                         "bench" if source == "model" else None, None,
                                         source == "model" and rnd.random() < 0.15, None, at))
                if ATTRIBUTION[cause] == "staff" and rnd.random() < 0.02:
                    n_appeals += 1
                    chunk["appeals"].append((n_appeals, n_reasons, name, "不是我的问题",
                                             rnd.choice(("upheld", "rejected")), at, at, "admin", None))
            if len(chunk["calls"]) >= CHUNK_CALLS:
                yield chunk
                chunk = {t: [] for t in TABLE_COLUMNS}
        day += timedelta(days=1)
    yield chunk


def _sqlite_value(v):
    if isinstance(v, datetime):  # SQLAlchemy's SQLite storage format, in UTC
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return v


def load_sqlite(path: Path, chunks: Iterable[dict[str, list[tuple]]]) -> dict[str, int]:
    """Migrate a fresh file and insert every chunk (``executemany``, a transaction per chunk); rows per table."""
    import sqlite3

    upgrade(f"sqlite:///{path}")
    counts = dict.fromkeys(TABLE_COLUMNS, 0)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")
    for chunk in chunks:
        with con:
            for table, cols in TABLE_COLUMNS.items():
                sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                con.executemany(sql, ([_sqlite_value(v) for v in row] for row in chunk[table]))
                counts[table] += len(chunk[table])
    # No ANALYZE: the product never runs it on SQLite, whose planner then guesses from the indexes alone
    # (bot.db.planner). Timed with statistics, the figures were of plans the product does not get.
    con.close()
    return counts


def load_pg(url: str, chunks: Iterable[dict[str, list[tuple]]]) -> dict[str, int]:
    """Migrate and ``COPY`` every chunk (a transaction per chunk); rows per table."""
    import psycopg

    upgrade(url)
    counts = dict.fromkeys(TABLE_COLUMNS, 0)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con, con.cursor() as cur:
        for chunk in chunks:
            for table, cols in TABLE_COLUMNS.items():
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in chunk[table]:
                        copy.write_row(row)
                counts[table] += len(chunk[table])
            con.commit()
        for table, cols in TABLE_COLUMNS.items():
            if "id" in cols and table != "agents":
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {table}))")
        con.commit()
        cur.execute("ANALYZE")
        con.commit()
    return counts


def fill_facts(url: str) -> float:
    """Materialise ``survey_facts`` and the day sums after the bulk load (it bypasses the application); seconds."""
    from bot.db.session import open_session
    from bot.ledger.fact_table import refresh_facts

    t = time.perf_counter()
    with open_session(url) as s, s.begin():
        refresh_facts(s, None)  # the facts, then survey_fact_days from them (the migration recorded the zone)
    if not url.startswith("sqlite"):
        with open_session(url) as s, s.begin():  # fresh statistics, as autovacuum keeps them in production
            s.execute(text("ANALYZE"))
    return time.perf_counter() - t


def _timed(fn: Callable[[], object], runs: int) -> tuple[list[float], object]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return times, out


def _fmt(times: list[float]) -> str:
    return (f"best {min(times) * 1000:,.0f} ms, median {statistics.median(times) * 1000:,.0f} ms, "
            f"first {times[0] * 1000:,.0f} ms ({len(times)} runs)")


def measure(url: str, name: str, *, runs: int, direct: bool) -> dict:
    """Time the monthly KPI, an agent's page and a supervisor's team page; compare with the direct query."""
    from bot.db.models import Agent
    from bot.db.session import open_session
    from bot.ledger import day_counts
    from bot.scoring.board import _score_direct, _score_facts, score_period, score_scope
    from bot.settings import Settings
    from bot.web.auth import StaffUser
    from bot.web.views.common import choose_period
    from bot.web.views.pages import agent_context, cause_scope, causes_context, team_blocks

    settings = Settings.from_env({**os.environ, "DATABASE_URL": url, "FEEDBACKBOT_TIMEZONE": TZ})
    choice = choose_period(TZ, kind="month", month=MONTH)
    out: dict = {"name": name}
    with open_session(url) as s:
        out["day_rows"] = s.scalar(text("SELECT count(*) FROM survey_fact_days"))
        out["facts"] = s.scalar(text("SELECT count(*) FROM survey_facts"))
        out["ratings"] = s.scalar(text("SELECT count(*) FROM ratings"))
        n_teams = int(s.scalar(text("SELECT count(*) FROM teams")) or 0)
        assert day_counts.built_zone(s) == TZ

    def monthly() -> object:
        with open_session(url) as s:
            return score_period(s, MONTH, tz=TZ, min_sample=settings.min_sample)

    out["monthly"], board = _timed(monthly, runs)
    out["agents"] = len(board.agents)  # type: ignore[attr-defined]
    served = [k.to_dict() for k in board.rows()]  # type: ignore[attr-defined]
    with open_session(url) as s:
        t = time.perf_counter()
        from_facts = [k.to_dict() for k in _score_facts(s, MONTH, tz=TZ, min_sample=settings.min_sample).rows()]
        out["monthly_facts"] = time.perf_counter() - t
        out["same_as_facts"] = served == from_facts
        if direct:
            t = time.perf_counter()
            from_source = [k.to_dict() for k in _score_direct(s, MONTH, tz=TZ, min_sample=settings.min_sample).rows()]
            out["monthly_direct"] = time.perf_counter() - t
            out["same_as_direct"] = served == from_source
        t = time.perf_counter()
        out["verify_problems"] = len(day_counts.verify(s))
        out["verify_s"] = time.perf_counter() - t
    out["centre"] = served[-1]

    rnd = random.Random(5)
    sample = [agent_name(rnd.randrange(out["agents"])) for _ in range(runs)]

    def agent_page(agent_id: str) -> Callable[[], object]:
        def run() -> object:
            with open_session(url) as s:
                return agent_context(s, settings, s.get_one(Agent, agent_id), choice, None, own=True)
        return run

    agent_times = [_timed(agent_page(a), 1)[0][0] for a in sample]
    out["agent_page"] = agent_times
    supervisor = StaffUser(agent_id="S1", name=None, role="supervisor", csrf_token="x")

    def team_page(team: str) -> Callable[[], object]:
        def run() -> object:  # what the /team?team= route does for one team, short of rendering the template
            with open_session(url) as s:
                board = score_scope(s, choice.period, tz=TZ, min_sample=settings.min_sample, teams=[team])
                return (team_blocks(s, settings, supervisor, board, choice, [team]),
                        causes_context(s, settings, choice, [team], scope=cause_scope([team])))
        return run

    team_sample = [f"team-{rnd.randrange(1, n_teams + 1):02d}" for _ in range(runs)]
    out["team_page"] = [_timed(team_page(team), 1)[0][0] for team in team_sample]
    # The pages score only their agent or team (score_scope): every row they show equals the full board's.
    full = board  # type: ignore[assignment]
    with open_session(url) as s:
        same = all(
            [k.to_dict() for k in score_scope(s, MONTH, tz=TZ, min_sample=settings.min_sample, agent_id=a)
             .rows(agent_id=a)] == [k.to_dict() for k in full.rows(agent_id=a)] for a in sample)  # type: ignore
        same &= all(
            [k.to_dict() for k in score_scope(s, MONTH, tz=TZ, min_sample=settings.min_sample, teams=[t])
             .rows(team=t)] == [k.to_dict() for k in full.rows(team=t)] for t in team_sample)  # type: ignore
    out["pages_same"] = same
    return out


def report(out: dict, load_s: float | None, facts_s: float | None, counts: dict[str, int] | None,
           targets: tuple[float, float]) -> None:
    print(f"\n== {out['name']}: {out['ratings']:,} ratings, {out['facts']:,} surveys, "
          f"{out['day_rows']:,} day rows ==")
    if load_s is not None and counts is not None and facts_s is not None:
        n = sum(counts.values())
        print(f"load: {n:,} rows in {load_s:.0f} s = {n / load_s:,.0f} rows/s; survey_facts + day sums "
              f"rebuilt in {facts_s:.0f} s")
    kpi, page = targets
    ok = "OK" if min(out["monthly"]) <= kpi else "SLOWER THAN TARGET"
    print(f"monthly KPI of every agent ({out['agents']} agents, {MONTH} and the month before): "
          f"{_fmt(out['monthly'])} (target ≤ {kpi} s: {ok})")
    print(f"  same month from the fact rows alone (the former path): {out['monthly_facts'] * 1000:,.0f} ms; "
          f"figures identical: {out['same_as_facts']}")
    if "monthly_direct" in out:
        print(f"  same month straight from the source tables: {out['monthly_direct'] * 1000:,.0f} ms; "
              f"figures identical: {out['same_as_direct']}")
    print(f"  day rows vs a recount of the facts: {out['verify_problems']} differences "
          f"({out['verify_s']:.1f} s)")
    for key, label in (("agent_page", "agent's page (KPI, daily series, feedback list)"),
                       ("team_page", "supervisor's team page (KPI, team table, cause report)")):
        ok = "OK" if statistics.median(out[key]) <= page else "SLOWER THAN TARGET"
        print(f"{label}: {_fmt(out[key])} over different agents/teams (target ≤ {page * 1000:.0f} ms: {ok})")
    print(f"  the pages' rows (scored for their agent or team only) identical to the full board's: {out['pages_same']}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    c = out["centre"]
    keep = ("invited", "responses", "response_rate", "raw_csat", "attributed_csat", "staff_low", "non_staff_low",
            "unattributed_low", "staff_low_rate", "excluded", "change")
    print("centre:", json.dumps({k: c[k] for k in keep}, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ratings", type=int, default=10_000_000)
    ap.add_argument("--agents", type=int, default=1000)
    ap.add_argument("--teams", type=int, default=50)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test",
                    help="an existing database to connect to; a fresh database is created next to it")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the loaded databases (prints where)")
    ap.add_argument("--reuse", action="append", default=[], metavar="URL",
                    help="time an already loaded database (from --keep) instead of loading one")
    ap.add_argument("--direct", action="store_true", help="also score the month straight from the source tables")
    args = ap.parse_args(argv)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")

    for url in args.reuse:
        name = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        report(measure(url, name, runs=args.runs, direct=args.direct), None, None, None,
               (0.5, 0.15) if name == "PostgreSQL" else (2.0, 0.15))
    if args.reuse:
        return 0

    def chunks():
        return generate(args.ratings, args.agents, args.teams)

    if not args.no_sqlite:
        tmp = Path(tempfile.mkdtemp(prefix="bench_scoring_"))
        path = tmp / "bench.db"
        try:
            t = time.perf_counter()
            counts = load_sqlite(path, chunks())
            load_s = time.perf_counter() - t
            print(f"SQLite loaded: {counts} in {load_s:.0f} s", flush=True)
            facts_s = fill_facts(f"sqlite:///{path}")
            report(measure(f"sqlite:///{path}", "SQLite", runs=args.runs, direct=args.direct), load_s, facts_s,
                   counts, (2.0, 0.15))
        finally:
            if args.keep:
                print(f"kept sqlite:///{path}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)

    if not args.no_pg:
        import psycopg

        name = f"bench_scoring_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = args.pg_url.rsplit("/", 1)[0] + f"/{name}"
        try:
            t = time.perf_counter()
            counts = load_pg(url, chunks())
            load_s = time.perf_counter() - t
            print(f"PostgreSQL loaded: {counts} in {load_s:.0f} s", flush=True)
            facts_s = fill_facts(url)
            report(measure(url, "PostgreSQL", runs=args.runs, direct=args.direct), load_s, facts_s, counts,
                   (0.5, 0.15))
        finally:
            from bot.db.connection import engine_for

            engine_for.cache_clear()
            if args.keep:
                print(f"kept {url}")
            else:
                with psycopg.connect(args.pg_url, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
