"""The import's writer on PostgreSQL: the server plans each of its statements for the tables as they are, and
looks a batch's surveys up by index however long the history.

Two ways this went wrong before (docs/performance.md): psycopg prepared a statement run five times and the
server kept a generic plan chosen while the tables were empty (a scan of every call per batch); the cure,
``plan_cache_mode = force_custom_plan``, made the server re-plan its own foreign-key check for every row a
``COPY`` inserted. And with the server's default cost of a page read out of order (4), the refresh of a batch's
2,000 new surveys hashed every stored call and rating.
"""
from __future__ import annotations

import pytest
from sqlalchemy import event, text

from bot.importing import history
from bot.ledger.fact_table import _some_surveys

CALLS = 100_000
BATCH = 2_000


def test_the_writer_never_prepares_and_keeps_the_foreign_key_plans_cached(migrated, request):
    url = migrated.postgresql(request)
    with history._writer_sessions(url) as writer, writer() as s, s.begin():
        for _ in range(12):  # psycopg's default prepares a statement on its fifth run
            s.execute(text("SELECT count(*) FROM calls WHERE external_id = :e"), {"e": "x"})
        assert s.scalar(text("SELECT count(*) FROM pg_prepared_statements")) == 0
        assert s.scalar(text("SHOW plan_cache_mode")) == "auto"
        assert float(s.scalar(text("SHOW random_page_cost"))) == history.WRITER_RANDOM_PAGE_COST


def _history(s) -> None:
    """CALLS calls, each with a survey and a rating, one in four with a reason; then fresh statistics."""
    s.execute(text("INSERT INTO agents (id, created_at) VALUES ('A1', now())"))
    s.execute(text("INSERT INTO calls (id, external_id, ended_at, credited_agent_id, created_at) "
                   "SELECT n, 'c' || n, now() - n * interval '1 minute', 'A1', now() "
                   "FROM generate_series(1, :n) AS n"), {"n": CALLS})
    s.execute(text("INSERT INTO surveys (id, token, call_id, template_version, sent_at, expires_at, status, "
                   "needs_followup, created_at) SELECT n, 't' || n, n, 'v1', now(), now(), 'completed', false, now() "
                   "FROM generate_series(1, :n) AS n"), {"n": CALLS})
    s.execute(text("INSERT INTO ratings (id, survey_id, score, raw_reply, received_at, status, created_at) "
                   "SELECT n, n, 1 + n % 5, '1', now(), 'valid', now() FROM generate_series(1, :n) AS n"),
              {"n": CALLS})
    s.execute(text("INSERT INTO reasons (rating_id, text, cause, attribution, confidence, source, needs_review, "
                   "created_at) SELECT n, '太慢', 'company.system', 'non_staff', 0.9, 'model', false, now() "
                   "FROM generate_series(1, :n, 4) AS n"), {"n": CALLS})
    for table in ("calls", "surveys", "ratings", "reasons"):
        s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


def _scans(s, statement, ids) -> set[str]:
    """The tables the plan of ``statement`` (for ``ids``, as the writer sends it) reads whole."""
    plan: list[str] = []

    def explain(_conn, _cursor, sql, parameters, _context, _many):
        return f"EXPLAIN {sql}", parameters

    def keep(_conn, cursor, *_):
        plan.extend(row[0] for row in cursor.fetchall())

    engine = s.get_bind()
    event.listen(engine, "before_cursor_execute", explain, retval=True)
    event.listen(engine, "after_cursor_execute", keep)
    try:
        s.connection().execute(statement, {"ids": ids})
    finally:
        event.remove(engine, "before_cursor_execute", explain)
        event.remove(engine, "after_cursor_execute", keep)
    assert plan, "no plan read"
    return {line.split(" on ")[1].split()[0] for line in plan if "Seq Scan on " in line}


def test_a_batch_refresh_looks_its_surveys_up_by_index_in_a_long_history(migrated, request):
    url = migrated.postgresql(request)
    with history._writer_sessions(url) as writer:
        with writer() as s, s.begin():
            _history(s)
        with writer() as s, s.begin():
            s.execute(text("ANALYZE calls, surveys, ratings, reasons, appeals"))
        _, add = _some_surveys()
        batch = list(range(CALLS - BATCH + 1, CALLS + 1))
        with writer() as s, s.begin():
            whole = _scans(s, add, batch)
            # The premise: with the server's default cost, the planner reads the big tables whole.
            s.execute(text("SET LOCAL random_page_cost = 4"))
            default = _scans(s, add, batch)
    if not default & {"calls", "ratings"}:
        pytest.fail(f"the default planner cost no longer reads calls or ratings whole ({default}): "
                    f"is WRITER_RANDOM_PAGE_COST still needed?")
    assert whole <= {"appeals"}, whole
