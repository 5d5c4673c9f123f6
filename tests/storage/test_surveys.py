"""Storage and domain operations on SQLite and PostgreSQL (migrated by Alembic)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.conversation import calls
from bot.db.connection import engine_for
from bot.db.migrate import alembic_config
from bot.db.models import AuditLog, Rating, Survey
from bot.ledger import counting
from tests import rows as writer

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def call(call_id="c1", agents=("A1",), **kw) -> calls.CallRequest:
    return calls.CallRequest(call_id=call_id, agent_ids=list(agents), ended_at=T0, **kw)


def open_survey(url, req=None, now=T0):
    with Session(engine_for(url), expire_on_commit=False) as s, s.begin():
        survey, created = calls.register_call(s, req or call(), window_minutes=60, template_version="v1", now=now)
    return survey, created


def test_register_call_is_idempotent_and_one_survey_per_call(db_url):
    first, created = open_survey(db_url)
    again, created_again = open_survey(db_url)
    assert (created, created_again) == (True, False)
    assert first.token == again.token
    with Session(engine_for(db_url)) as s:
        assert s.scalar(select(func.count()).select_from(Survey)) == 1
        survey = s.get(Survey, first.id)
        assert as_utc(survey.expires_at) == T0 + timedelta(minutes=60)


def test_transfers_record_all_agents_and_credit_the_last(db_url):
    survey, _ = open_survey(db_url, call("c2", ("A1", "A2")))
    with Session(engine_for(db_url)) as s:
        c = s.get(Survey, survey.id).call
        assert [a.agent_id for a in c.agents] == ["A1", "A2"]
        assert c.credited_agent_id == "A2"


def test_conflicting_repeat_and_foreign_credit_are_refused(db_url):
    open_survey(db_url, call("c3", ("A1",)))
    with pytest.raises(calls.CallConflict):
        open_survey(db_url, call("c3", ("A9",)))
    with pytest.raises(calls.CallConflict):
        open_survey(db_url, call("c4", ("A1",), credited_agent_id="A5"))


def test_new_score_supersedes_and_late_score_is_kept_apart(db_url):
    survey, _ = open_survey(db_url)
    with Session(engine_for(db_url)) as s, s.begin():
        sv = s.get(Survey, survey.id)
        first = writer.record_rating(s, sv, 1, "1", T0 + timedelta(minutes=1))
        second = writer.record_rating(s, sv, 5, "回错了 应该是5", T0 + timedelta(minutes=2))
        late = writer.record_rating(s, sv, 3, "3", T0 + timedelta(minutes=61))
        ids = first.id, second.id, late.id
    with Session(engine_for(db_url)) as s:
        rows = {r.id: r for r in s.scalars(select(Rating))}
        assert (rows[ids[0]].status, rows[ids[1]].status, rows[ids[2]].status) == ("corrected", "valid", "late")
        assert rows[ids[1]].supersedes_id == ids[0]
        assert rows[ids[2]].supersedes_id is None
        assert counting.counted_rating(s, survey.id).id == ids[1]
        actions = [(a.entity, a.action) for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
        assert actions.count(("rating", "created")) == 3
        assert ("rating", "status_changed") in actions


def test_reasons_are_redacted_and_superseded_not_overwritten(db_url):
    survey, _ = open_survey(db_url)
    with Session(engine_for(db_url)) as s, s.begin():
        sv = s.get(Survey, survey.id)
        rating = writer.record_rating(s, sv, 2, "2", T0)
        a = writer.record_reason(s, rating, "客服让我打13912345678问", cause="staff.resolution",
                                  attribution="staff", source="model", now=T0, confidence=0.9)
        b = writer.record_reason(s, rating, "客服让我打13912345678问", cause="company.policy",
                                  attribution="non_staff", source="reviewer", now=T0, actor="reviewer:li")
        assert "13912345678" not in a.text
        assert b.supersedes_id == a.id
        assert [r.id for r in rating.reasons] == [a.id, b.id]


def test_migrations_downgrade_and_upgrade_cleanly(db_url):
    from alembic import command

    cfg = alembic_config(db_url)
    command.downgrade(cfg, "base")
    engine_for.cache_clear()
    assert "surveys" not in inspect(engine_for(db_url)).get_table_names()
    command.upgrade(cfg, "head")
    engine_for.cache_clear()
    assert {"agents", "calls", "call_agents", "surveys", "ratings", "reasons", "flags", "audit_log"} <= set(
        inspect(engine_for(db_url)).get_table_names())
