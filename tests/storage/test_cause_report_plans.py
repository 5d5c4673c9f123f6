"""A team's cause report quotes its newest non-staff reasons through the partial index made for it, on both
databases; the centre's through the index over every team.

At 10,000,000 ratings the team page's quotes walked the team's month of fact rows once per non-staff cause
(SQLite: 20 ms each, 140 of the page's 190 ms). ``ix_survey_facts_team_quotes`` holds only the non-staff low
rows, so a query reaches it only if its own condition names that bucket as the index does: a bound value is
not enough for a plan made without it (PostgreSQL's generic plan of a prepared statement). The plans are read
on an empty database: SQLite plans without statistics either way; PostgreSQL is told not to scan whole tables,
so the check is whether the index can serve the statement at all.
"""
from __future__ import annotations

from sqlalchemy import text

from bot.db.session import open_session
from bot.scoring.cause_report import cause_report
from bot.scoring.periods import parse_period
from tests.statements import statements_of

PERIOD = parse_period("2026-11")


def _quote_statements(url: str, team_ids: list[int] | None) -> list[tuple[str, object]]:
    found = [(sql, params) for sql, params in statements_of(
        url, lambda s: cause_report(s, PERIOD, tz="Asia/Shanghai", team_ids=team_ids))
        if "reasons.text" in sql and "ORDER BY" in sql]
    assert len(found) == 7  # one per non-staff cause
    return found


def _plans(url: str, statements: list[tuple[str, object]]) -> list[str]:
    """Each statement's plan as one text: generic on PostgreSQL (``$n`` placeholders, no values)."""
    out = []
    with open_session(url) as s:
        c = s.connection()
        if url.startswith("sqlite"):
            for sql, params in statements:
                out.append(" | ".join(r[-1] for r in c.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)))
            return out
        c.execute(text("SET enable_seqscan = off"))
        c.execute(text("SET plan_cache_mode = force_generic_plan"))
        for n, (sql, params) in enumerate(statements):
            # A generic plan: prepared with its parameters untyped, explained without their values.
            values = dict(params) if isinstance(params, dict) else {}
            numbered = sql
            for i, name in enumerate(values, start=1):
                numbered = numbered.replace(f"%({name})s", f"${i}")
            c.exec_driver_sql(f"PREPARE quotes_{n} AS {numbered}")
            args = ", ".join("NULL" for _ in values)
            out.append(" | ".join(r[0] for r in c.exec_driver_sql(
                f"EXPLAIN EXECUTE quotes_{n}" + (f"({args})" if values else ""))))
    return out


def test_a_team_report_quotes_through_the_team_quotes_index(db_url):
    for plan in _plans(db_url, _quote_statements(db_url, [3])):
        assert "ix_survey_facts_team_quotes" in plan, plan


def test_the_centre_report_quotes_through_the_quotes_index(db_url):
    for plan in _plans(db_url, _quote_statements(db_url, None)):
        assert "ix_survey_facts_quotes" in plan and "team_quotes" not in plan, plan
