"""The migrated schema enforces the vocabulary and has the KPI indexes (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from bot.conversation import calls
from bot.db.connection import engine_for
from bot.db.migrate import alembic_config, upgrade
from bot.db.models import Rating
from bot.db.session import open_session
from bot.domain import CAUSES, Attribution, RatingStatus, ReasonSource, SurveyStatus
from bot.ledger import counting
from tests import rows

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _survey(url):
    with open_session(url) as s, s.begin():
        survey, _ = calls.register_call(
            s, calls.CallRequest(call_id="c1", agent_ids=["A1"], ended_at=T0),
            window_minutes=60, template_version="v1", now=T0)
        rating = rows.record_rating(s, survey, 2, "2", T0 + timedelta(minutes=1))
        return survey.id, rating.id


def _raw(url, sql, **params):
    with engine_for(url).begin() as conn:
        conn.execute(text(sql), params)


@pytest.mark.parametrize("status", [s.value for s in SurveyStatus])
def test_every_survey_status_is_accepted(db_url, status):
    sid, _ = _survey(db_url)
    _raw(db_url, "UPDATE surveys SET status = :s WHERE id = :i", s=status, i=sid)


@pytest.mark.parametrize("sql", [
    "UPDATE surveys SET status = 'finished'",
    "UPDATE ratings SET status = 'maybe'",
    "UPDATE ratings SET score = 6",
    "UPDATE ratings SET score = 0",
])
def test_values_outside_the_vocabulary_are_refused(db_url, sql):
    _survey(db_url)
    with pytest.raises(IntegrityError):
        _raw(db_url, sql)


def _reason(url, rid, **over):
    values = {"cause": "company.policy", "attribution": "non_staff", "source": "model"} | over
    with engine_for(url).begin() as conn:
        conn.execute(text(
            "INSERT INTO reasons (rating_id, text, cause, attribution, source, needs_review, created_at) "
            "VALUES (:r, 't', :cause, :attribution, :source, false, :at)"), {"r": rid, "at": T0, **values})


def test_every_cause_source_and_attribution_is_accepted(db_url):
    _, rid = _survey(db_url)
    for cause in CAUSES:
        _reason(db_url, rid, cause=cause)
    for source in ReasonSource:
        _reason(db_url, rid, source=source.value)
    for attribution in Attribution:
        _reason(db_url, rid, attribution=attribution.value)


@pytest.mark.parametrize("over", [{"cause": "staff.rude"}, {"attribution": "agent"}, {"source": "guess"}])
def test_reason_values_outside_the_vocabulary_are_refused(db_url, over):
    _, rid = _survey(db_url)
    with pytest.raises(IntegrityError):
        _reason(db_url, rid, **over)


def test_kpi_indexes_exist(db_url):
    insp = inspect(engine_for(db_url))
    names = {t: {ix["name"] for ix in insp.get_indexes(t)} for t in ("calls", "surveys", "ratings", "reasons")}
    assert {"ix_calls_credited_agent_ended", "ix_calls_ended_at"} <= names["calls"]
    assert "ix_surveys_status" in names["surveys"]
    assert "ix_ratings_survey_status" in names["ratings"]
    assert {"ix_reasons_needs_review", "ix_reasons_rating_current"} <= names["reasons"]


def test_downgrade_to_0001_and_back(db_url):
    from alembic import command

    command.downgrade(alembic_config(db_url), "0001")
    engine_for.cache_clear()
    assert "ix_surveys_status" not in {ix["name"] for ix in inspect(engine_for(db_url)).get_indexes("surveys")}
    _raw(db_url, "SELECT 1")
    upgrade(db_url)
    engine_for.cache_clear()
    assert "ix_surveys_status" in {ix["name"] for ix in inspect(engine_for(db_url)).get_indexes("surveys")}


def test_counted_rating_and_current_reason_in_sql(db_url):
    with open_session(db_url) as s, s.begin():
        survey, _ = calls.register_call(
            s, calls.CallRequest(call_id="c2", agent_ids=["A1"], ended_at=T0),
            window_minutes=60, template_version="v1", now=T0)
        first = rows.record_rating(s, survey, 1, "1", T0 + timedelta(minutes=1))
        second = rows.record_rating(s, survey, 4, "改成4", T0 + timedelta(minutes=2))
        rows.record_rating(s, survey, 2, "2", T0 + timedelta(minutes=90))  # late: never counts
        r1 = rows.record_reason(s, second, "a", cause="company.policy", attribution=Attribution.NON_STAFF,
                                   source=ReasonSource.MODEL, now=T0)
        r2 = rows.record_reason(s, second, "b", cause="staff.attitude", attribution=Attribution.STAFF,
                                   source=ReasonSource.CUSTOMER, now=T0)
        sid, first_id, second_id = survey.id, first.id, second.id
        assert r2.supersedes_id == r1.id
    with open_session(db_url) as s:
        assert counting.counted_rating(s, sid).id == second_id
        assert s.get(Rating, first_id).status == RatingStatus.CORRECTED
        assert counting.current_reason(s, second_id).text == "b"
        assert counting.current_reason(s, first_id) is None


def test_upgrade_to_0009_gives_conversations_under_way_the_stage_their_rows_imply(db_url):
    # Surveys in every life-cycle state, played through the live turn service (which stores the state) ...
    from alembic import command

    from bot.conversation import turns
    from bot.db.models import Survey
    from classifiers import classify

    t0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    plays = {"unopened": [], "greeted": None, "low score": ["2"], "completed": ["5"],
             "no score": ["收到", "👍"], "opted out": ["别再给我发这种短信了"]}
    tokens = {}
    for n, (name, messages) in enumerate(plays.items()):
        with open_session(db_url) as s, s.begin():
            req = calls.CallRequest(call_id=f"m9-{n}", agent_ids=["A1"], ended_at=t0)
            tokens[name] = calls.register_call(s, req, window_minutes=60, template_version="v1", now=t0)[0].token
        if messages is None or messages:
            with open_session(db_url) as s, s.begin():
                turns.start_turn(s, tokens[name], t0 + timedelta(minutes=1))
        for text_ in messages or []:
            with open_session(db_url) as s, s.begin():
                turns.reply_turn(s, tokens[name], text_, t0 + timedelta(minutes=2), classify)

    def stages() -> dict[str, str | None]:
        with open_session(db_url) as s:
            return {name: s.query(Survey.stage).filter(Survey.token == token).scalar()
                    for name, token in tokens.items()}

    live = stages()
    assert live == {"unopened": None, "greeted": "awaiting_score", "low score": "awaiting_reason",
                    "completed": "done", "no score": "done", "opted out": "done"}
    # ... lose their state column (the state was in Rasa's slots before 0009) and get it back from their rows.
    command.downgrade(alembic_config(db_url), "0008_chat_message_ids")
    engine_for.cache_clear()
    assert "stage" not in {c["name"] for c in inspect(engine_for(db_url)).get_columns("surveys")}
    upgrade(db_url)
    engine_for.cache_clear()
    assert stages() == live
