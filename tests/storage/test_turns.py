"""The turn service on SQLite and PostgreSQL: the snapshot it loads and the rows its effects leave."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation import calls, turns
from bot.db.connection import engine_for
from bot.db.models import AuditLog, Rating, Reason, Survey
from bot.dialogue.state import AWAITING_REASON, AWAITING_SCORE, AWAITING_SCORE_CONFIRM, DONE, DialogueState
from classifiers import CauseResult

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ATTITUDE = CauseResult("staff.attitude", "staff", 0.97, False, "态度太差", "test-model-1")
PRAISE = CauseResult("none", "none", 0.91, False, "服务很好", "test-model-1")


def fake(readings: dict[str, CauseResult]):
    return lambda text: readings[text]


def new_survey(url: str) -> str:
    with Session(engine_for(url)) as s, s.begin():
        req = calls.CallRequest(call_id="t1", agent_ids=["A1"], ended_at=T0)
        survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v3", now=T0)
        return survey.token


def turn(url: str, token: str, text: str, minute: int, readings=None):
    with Session(engine_for(url)) as s, s.begin():
        return turns.reply_turn(s, token, text, T0 + timedelta(minutes=minute), fake(readings or {}))


def stored_state(url: str, token: str) -> DialogueState:
    with Session(engine_for(url)) as s:
        survey = calls.survey_by_token(s, token)
        return DialogueState(survey.stage, survey.retries, survey.pending_reason)


def put_state(url: str, token: str, state: DialogueState) -> None:
    """Set the survey row's state directly (a conversation that got there another way)."""
    with Session(engine_for(url)) as s, s.begin():
        survey = calls.survey_by_token(s, token)
        survey.stage, survey.retries, survey.pending_reason = state.stage, state.retries, state.pending_reason


def test_start_turn_greets_with_the_survey_version_and_marks_it_in_progress(db_url):
    token = new_survey(db_url)
    with Session(engine_for(db_url)) as s, s.begin():
        out = turns.start_turn(s, token, T0 + timedelta(minutes=1))
    assert out.say == [("utter_greeting_v3", {})]
    assert out.state == stored_state(db_url, token) == DialogueState(stage=AWAITING_SCORE)
    with Session(engine_for(db_url)) as s:
        assert s.scalar(select(Survey.status)) == "in_progress"
        assert [(a.entity, a.action, a.data) for a in s.scalars(select(AuditLog).where(AuditLog.actor == "customer"))] \
            == [("survey", "status_changed", {"old": "pending", "new": "in_progress"})]


def test_confirmed_score_after_a_contradiction_is_the_only_rating_and_takes_the_pending_reason(db_url):
    # The contradicted 5 was never confirmed, so it was never stored.
    token = new_survey(db_url)
    out = turn(db_url, token, "5 态度太差了", 1)
    assert out.state == stored_state(db_url, token) == DialogueState(stage=AWAITING_SCORE_CONFIRM,
                                                                     pending_reason="态度太差了")
    out = turn(db_url, token, "1", 2, {"态度太差了": ATTITUDE})
    assert stored_state(db_url, token) == DialogueState(stage=DONE)
    assert out.say == [("utter_thanks_reason", {"score": 1})]
    with Session(engine_for(db_url)) as s:
        [only] = s.scalars(select(Rating).order_by(Rating.id)).all()
        assert (only.score, only.status, only.supersedes_id) == (1, "valid", None)
        assert [(r.rating_id, r.cause, r.text, r.supersedes_id) for r in s.scalars(select(Reason))] == [
            (only.id, "staff.attitude", "态度太差了", None)]
        assert s.scalar(select(Survey.status)) == "completed"


def test_reason_on_a_rating_that_has_one_supersedes_it(db_url):
    token = new_survey(db_url)
    out = turn(db_url, token, "1", 1)
    assert out.state == stored_state(db_url, token) == DialogueState(stage=AWAITING_REASON)
    out = turn(db_url, token, "非常满意，服务很好", 2, {"非常满意，服务很好": PRAISE})
    assert out.say == [("utter_confirm_score", {"score": 1})]
    # Back at the cause question with the same score: the new reason supersedes.
    put_state(db_url, token, DialogueState(stage="awaiting_cause_choice", pending_reason="等了很久"))
    out = turn(db_url, token, "网络或系统", 3, {"等了很久": PRAISE})
    assert out.state == DialogueState(stage=DONE)
    with Session(engine_for(db_url)) as s:
        first, second = s.scalars(select(Reason).order_by(Reason.id)).all()
        assert (first.cause, second.cause, second.source, second.supersedes_id) == (
            "none", "company.system", "customer", first.id)
