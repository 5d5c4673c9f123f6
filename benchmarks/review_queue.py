"""Benchmark: the review queue page and one decision with 1,000,000 ratings and 10,000 open items.

Builds the scoring benchmark's two months of synthetic calls
(``benchmarks/scoring.py``: 300 agents, 20 teams, every kind of case), then
reshapes the reasons so that exactly ``--open`` items wait for review:

* 60 % the model's reading awaiting review (``needs_review``),
* 20 % a customer's choice the model read otherwise (``model_cause`` ≠ cause),
* 20 % automatic staff attributions within the margin of the staff threshold;

every other model staff attribution is confident (0.95), and 20,000 earlier
items were already decided (a reviewer reason superseding a model reason
awaiting review, with its label), so the query meets what a year of use
leaves behind. Rows go in bulk (``executemany`` / ``COPY``), as in the
scoring benchmark; ``survey_facts`` is rebuilt from the canonical query.

Then, in-process through the web application (FastAPI's TestClient: the
figure is the server's time plus the in-process client's, an upper bound),
it times ``GET /review`` (the queue, its count, the open appeals and the
item in focus re-read by the classifier when one is installed) and
``POST /review/label`` (a decision through the one writer, with the facts
refresh), and prints the figures. Target: under 100 ms each.

    .venv/bin/python benchmarks/review_queue.py [--ratings 1000000] [--open 10000] [--no-pg] [--no-sqlite]
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import scoring  # noqa: E402
from bot.domain import ATTRIBUTION, CAUSES  # noqa: E402

MARGIN = 0.1
DECIDED_BEFORE = 20_000
PASSWORD = "benchmark password 1"
RANKED = '<ol class="ranked">'  # the model's top causes, re-read for the item in focus
REASON_COLUMNS = scoring.TABLE_COLUMNS["reasons"] + ("model_cause", "model_confidence")
STAFF = tuple(c for c in CAUSES if ATTRIBUTION[c] == "staff")
NON_STAFF = tuple(c for c in CAUSES if ATTRIBUTION[c] == "non_staff")


def reshape(rows: dict[str, list[tuple]], n_open: int, threshold: float, seed: int = 18) -> dict[str, int]:
    """Rewrite the reasons so that ``n_open`` are review items; add decided items and their labels."""
    rnd = random.Random(seed)
    col = {c: i for i, c in enumerate(scoring.TABLE_COLUMNS["reasons"])}
    reasons = [list(r) + [None, None] for r in rows["reasons"]]
    appealed = {a[1] for a in rows["appeals"]}
    for r in reasons:  # nothing waits yet; confident model readings
        r[col["needs_review"]] = False
        if r[col["source"]] == "model":
            r[col["confidence"]] = 0.95
    free = [r for r in reasons if r[col["id"]] not in appealed]
    rnd.shuffle(free)
    n_uncertain, n_disagree = n_open * 6 // 10, n_open * 2 // 10
    n_near = n_open - n_uncertain - n_disagree
    picked = iter(free)
    for _ in range(n_uncertain):
        r = next(picked)
        r[col["source"]], r[col["needs_review"]] = "model", True
        r[col["confidence"]], r[col["model_version"]] = round(rnd.uniform(0.2, 0.6), 3), "bench"
    for _ in range(n_disagree):
        r = next(picked)
        cause = rnd.choice(NON_STAFF)
        r[col["source"]], r[col["cause"]], r[col["attribution"]] = "customer", cause, ATTRIBUTION[cause]
        r[col["confidence"]] = None
        r[-2] = rnd.choice(STAFF + tuple(c for c in NON_STAFF if c != cause))
        r[-1] = round(rnd.uniform(0.3, 0.7), 3)
    for _ in range(n_near):
        r = next(picked)
        cause = rnd.choice(STAFF)
        r[col["source"]], r[col["cause"]], r[col["attribution"]] = "model", cause, "staff"
        r[col["confidence"]] = round(rnd.uniform(threshold - 0.05, threshold + MARGIN - 0.001), 3)
    # Items decided before: a model reason awaiting review superseded by a reviewer's, with the label.
    next_id = max(r[col["id"]] for r in reasons) + 1
    labels, decided = [], []
    for label_id in range(1, DECIDED_BEFORE + 1):
        r = next(picked)
        r[col["source"]], r[col["needs_review"]], r[col["confidence"]] = "model", True, 0.4
        cause = rnd.choice(CAUSES)
        at = r[col["created_at"]] + timedelta(days=1)
        new = [None] * len(r)
        new[col["id"]], new[col["rating_id"]], new[col["text"]] = next_id, r[col["rating_id"]], r[col["text"]]
        new[col["cause"]], new[col["attribution"]], new[col["source"]] = cause, ATTRIBUTION[cause], "reviewer"
        new[col["needs_review"]], new[col["supersedes_id"]], new[col["created_at"]] = False, r[col["id"]], at
        new[-2] = r[col["cause"]]
        decided.append(new)
        labels.append((label_id, r[col["id"]], "R0", cause, None, None, at))
        next_id += 1
    rows["reasons"] = [tuple(r) for r in reasons + decided]
    rows["review_labels"] = labels
    return {"uncertain": n_uncertain, "disagreement": n_disagree, "near_threshold": n_near}


TABLES = {**scoring.TABLE_COLUMNS, "reasons": REASON_COLUMNS,
          "review_labels": ("id", "reason_id", "reviewer_id", "cause", "evidence", "note", "at")}


def load(url: str, rows: dict[str, list[tuple]]) -> None:
    """Bulk-load the rows (the scoring benchmark's loaders, over the extended column lists)."""
    rows["agents"] = rows["agents"] + [("R0", "质检甲", "reviewer", scoring.T0)]
    saved = dict(scoring.TABLE_COLUMNS)
    scoring.TABLE_COLUMNS.clear()
    scoring.TABLE_COLUMNS.update(TABLES)
    try:
        if url.startswith("sqlite"):
            scoring.load_sqlite(Path(url.removeprefix("sqlite:///")), rows)
        else:
            scoring.load_pg(url, rows)
    finally:
        scoring.TABLE_COLUMNS.clear()
        scoring.TABLE_COLUMNS.update(saved)
    scoring.fill_facts(url)
    from bot.db.session import open_session
    from bot.staff import accounts

    with open_session(url) as s, s.begin():
        assert accounts.do_add_staff(s, agent_id="R1", name="质检乙", role="reviewer", password=PASSWORD,
                                     actor="benchmark", now=datetime.now(UTC)) is None


def measure(url: str, decisions: int) -> dict[str, list[float]]:
    from fastapi.testclient import TestClient

    from bot.settings import Settings
    from bot.web.app import create_app

    try:  # a running web process has the classifier loaded (the first queue view starts loading it)
        from classifiers import current_model_version

        current_model_version()
    except Exception as exc:  # noqa: BLE001 - measured without the classifier then
        print(f"  no classifier: {exc}")
    app = create_app(Settings(database_url=url, env="development", review_double_share=0.0))
    c = TestClient(app)
    page = c.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert c.post("/login", data={"login_id": "R1", "password": PASSWORD, "csrf_token": token},
                  follow_redirects=False).status_code == 303
    pages, labels, filtered = [], [], []
    for i in range(decisions):
        t = time.perf_counter()
        r = c.get("/review")
        pages.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text[:300]
        html = r.text
        if i == 0:
            total = re.search(r"共 (\d+) 条待处理", html).group(1)
            print(f"  queue shows {total} open items; classifier re-read: "
                  f"{'yes' if RANKED in html else 'no'}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        reason_id = re.search(r'name="reason_id" value="(\d+)"', html).group(1)
        t = time.perf_counter()
        r = c.post("/review/label", data={"reason_id": reason_id, "cause": "staff.attitude", "csrf_token": token},
                   follow_redirects=False)
        labels.append(time.perf_counter() - t)
        assert r.headers["location"].endswith("done=decided"), r.headers["location"]
        t = time.perf_counter()
        c.get("/review?team=team-07&source=customer")
        filtered.append(time.perf_counter() - t)
    from bot.db.session import open_session
    from bot.staff import review_queue
    from bot.web.views.review import threshold

    queries = []  # the queue's own queries, without the page around them (template, classifier re-read, session)
    for _ in range(decisions):
        with open_session(url) as s:
            t = time.perf_counter()
            review_queue.queue(s, reviewer_id="R1", threshold=threshold(), margin=MARGIN)
            queries.append(time.perf_counter() - t)
    return {"GET /review": pages, "POST /review/label": labels, "GET /review (team + source filter)": filtered,
            "queue queries alone (review_queue.queue)": queries}


def report(name: str, figures: dict[str, list[float]]) -> None:
    import os

    print(f"\n== {name} == (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    for what, times in figures.items():
        ms = sorted(t * 1000 for t in times)
        first, rest = times[0] * 1000, ms[1:] or ms
        verdict = "OK" if statistics.median(rest) < 100 else "SLOWER THAN TARGET"
        print(f"{what}: first {first:.1f} ms, then median {statistics.median(rest):.1f} ms, "
              f"max {max(rest):.1f} ms over {len(rest)} (target < 100 ms: {verdict})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ratings", type=int, default=1_000_000)
    ap.add_argument("--open", type=int, default=10_000)
    ap.add_argument("--decisions", type=int, default=21)
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true")
    args = ap.parse_args(argv)
    from classifiers import staff_threshold

    threshold = staff_threshold()
    print(f"model staff threshold: {threshold} (margin {MARGIN})")
    t = time.perf_counter()
    rows = scoring.generate(args.ratings)
    kinds = reshape(rows, args.open, threshold if threshold is not None else 0.57)
    print(f"generated {sum(len(v) for v in rows.values()):,} rows in {time.perf_counter() - t:.1f} s "
          f"({len(rows['ratings']):,} ratings, {len(rows['reasons']):,} reasons; open items {kinds}, "
          f"{DECIDED_BEFORE:,} decided before)")
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            t = time.perf_counter()
            load(url, {k: list(v) for k, v in rows.items()})
            print(f"SQLite loaded in {time.perf_counter() - t:.1f} s")
            report("SQLite", measure(url, args.decisions))
    if not args.no_pg:
        import psycopg

        name = f"bench_review_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = args.pg_url.rsplit("/", 1)[0] + f"/{name}"
        try:
            t = time.perf_counter()
            load(url, {k: list(v) for k, v in rows.items()})
            print(f"PostgreSQL loaded in {time.perf_counter() - t:.1f} s")
            report("PostgreSQL", measure(url, args.decisions))
        finally:
            from bot.db.connection import engine_for

            engine_for.cache_clear()
            with psycopg.connect(args.pg_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
