"""The statements that keep ``survey_facts``, its day sums and ``review_items`` up to date for some surveys reach
those surveys' rows by index, however long the history; and an id list bound as one value selects what
``IN`` would.

Every dialogue turn and every import batch runs these statements. SQLite has no statistics, so its planner
guesses from the indexes alone: the canonical query's appeals subquery was grouped by walking an index of
every reason (ordered by rating) and so read the whole of ``reasons`` for each refresh. The plans are the
planner's choice on an empty database already (no statistics either way), so the check needs no history.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from bot.db.connection import engine_for
from bot.db.id_lists import in_ids
from bot.db.models import AuditLog
from bot.db.session import open_session
from bot.ledger import day_counts, fact_table
from tests.statements import statements_of

# What a refresh of some surveys may read whole: the appeals (a few rows), the id list itself.
WHOLE_READS_ALLOWED = {"appeals", "json_each"}


def _whole_table_reads(url: str, statements: list[tuple[str, object]]) -> list[str]:
    found = []
    with open_session(url) as s:
        c = s.connection()
        for statement, parameters in statements:
            for *_, detail in c.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters):
                words = detail.split()
                if words[0] == "SCAN" and words[1].split("_")[0] not in WHOLE_READS_ALLOWED \
                        and not words[1].startswith("json_each"):
                    found.append(f"{detail}  ←  {statement.split()[0]} {statement.split()[2]}")
    return found


def test_refreshing_some_surveys_reads_no_whole_table_on_sqlite(migrated, tmp_path):
    url = migrated.sqlite(tmp_path / "plans.db")
    with open_session(url) as s, s.begin():
        day_counts.set_zone(s, "Asia/Shanghai")  # the day sums are kept too

    def refresh(s):
        fact_table.refresh_facts(s, [1, 2, 3])
        fact_table.refresh_facts(s, [4, 5], new=True)
        fact_table.refresh_survey_facts(s, 6)

    statements = statements_of(url, refresh)
    assert len(statements) >= 10, statements  # the facts, the day sums and the review items were all refreshed
    assert _whole_table_reads(url, statements) == []


@pytest.mark.parametrize("ids", [[], [7], [3, 3, 9, 4_000], list(range(1, 3_001, 2)), [10_000]])
def test_an_id_list_selects_what_in_would_on_both_databases(db_url, ids):
    at = datetime(2026, 12, 1, tzinfo=UTC)
    with open_session(db_url) as s, s.begin():
        s.execute(insert(AuditLog), [{"at": at, "actor": "t", "entity": "x", "entity_id": str(n), "action": "a",
                                      "data": {}} for n in range(3_000)])
    with open_session(db_url) as s:
        all_ids = sorted(s.scalars(select(AuditLog.id)))
        chosen = [all_ids[i - 1] for i in ids if i <= len(all_ids)] + [i for i in ids if i > len(all_ids)]
        got = sorted(s.scalars(select(AuditLog.id).where(in_ids(AuditLog.id)), {"ids": chosen}))
        assert got == sorted({i for i in chosen if i in set(all_ids)})
        # More ids than SQLite allows placeholders (999 in old builds) in one statement: one value here.
        outside = s.scalar(select(AuditLog.id).where(~in_ids(AuditLog.id)).order_by(AuditLog.id).limit(1),
                           {"ids": all_ids[:2_000]})
        assert outside == all_ids[2_000]


def test_an_id_list_takes_only_integers(sqlite_url):
    engine_for(sqlite_url)
    from bot.db.migrate import upgrade

    upgrade(sqlite_url)
    with open_session(sqlite_url) as s, pytest.raises(Exception, match="invalid literal for int"):
        s.execute(select(AuditLog.id).where(in_ids(AuditLog.id)), {"ids": ["1) OR (1=1"]})


def test_a_text_list_selects_what_in_would_on_both_databases(db_url):
    """External call ids are anything a centre's system gives: quotes, commas, brackets, Chinese, SQL-looking."""
    from bot.db.id_lists import in_texts

    odd = ["a'b", 'c"d', "e,f", "[g]", "工单-0001", "x) OR (1=1", "\\n", " lead", "trail ", "ÄÖ", "1", "01"]
    at = datetime(2026, 12, 1, tzinfo=UTC)
    with open_session(db_url) as s, s.begin():
        s.execute(insert(AuditLog), [{"at": at, "actor": "t", "entity": "x", "entity_id": e, "action": "a",
                                      "data": {}} for e in [*odd, *(f"n{n}" for n in range(2_500))]])
    with open_session(db_url) as s:
        def found(texts: list[str]) -> list[str]:
            return sorted(s.scalars(select(AuditLog.entity_id).where(in_texts(AuditLog.entity_id)), {"texts": texts}))

        assert found(odd) == sorted(odd)
        assert found(["1", "lead", "trail", "n7", "absent", "x"]) == ["1", "n7"]  # no trimming, no number matching
        assert found([]) == []
        assert len(found([f"n{n}" for n in range(2_500)])) == 2_500
        with pytest.raises(Exception, match="texts only"):
            found([1])  # type: ignore[list-item]


def test_the_imports_stored_call_lookup_starts_from_its_ids_on_sqlite(migrated, tmp_path):
    """Each import batch looks its call ids up (a resumed import finds most of them stored); the causes' lookup
    had walked SQLite's index of reason sources, every imported reason of the history, for each batch."""
    from bot.importing import stored_calls

    url = migrated.sqlite(tmp_path / "stored.db")
    with open_session(url) as s, s.begin():
        c = s.connection()
        c.exec_driver_sql("INSERT INTO agents (id, created_at) VALUES ('A1', '2026-12-01 00:00:00.000000')")
        c.exec_driver_sql("INSERT INTO calls (id, external_id, ended_at, credited_agent_id, created_at) VALUES "
                          "(1, 'c1', '2026-12-01 00:00:00.000000', 'A1', '2026-12-01 00:00:00.000000')")
    statements = statements_of(url, lambda s: stored_calls.stored(s, ["c1", "c2"]))
    assert len(statements) == 4, statements  # the calls, then their agents, ratings and causes
    assert _whole_table_reads(url, statements) == []
    with open_session(url) as s:
        plans = [detail for statement, parameters in statements
                 for *_, detail in s.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    assert not [p for p in plans if "(source=?)" in p], plans
