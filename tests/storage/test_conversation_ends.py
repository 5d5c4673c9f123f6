"""How conversations end, on SQLite and PostgreSQL: opting out and back in inside the turn, and the idle sweep.

* The opt-out list is written in the turn's own transaction: when that write
  fails (a database trigger refuses it), the whole turn rolls back, the
  customer is told to resend, and the resend opts them out for good; the next
  call for their channel is never surveyed.
* A customer who stops answering half-way is finished by the core's "nobody
  answered" rule: a reason whose cause nobody confirmed is stored for review
  (unattributed in the KPI, never the agent's), the survey closes with the
  right status, and the import finishes the same conversations the same way.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bot.conversation import calls, optouts, records, sweep, turns
from bot.db.chat import OptOut
from bot.db.connection import engine_for
from bot.db.models import AuditLog, Reason, Survey
from bot.db.survey_facts import SurveyFact
from bot.domain import SurveyStatus
from bot.settings import DEV_SESSION_SECRET
from classifiers import CauseResult

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
UNSURE = CauseResult("staff.resolution", "staff", 0.41, True, "没解决", "test-model-1")
NO_REASON = CauseResult("none", "none", 0.0, True, "", "test-model-1")
IDLE = timedelta(minutes=90)  # the survey window (60) plus 30 minutes


def classify(text: str) -> CauseResult:
    return UNSURE if "没解决" in text else NO_REASON


def new_survey(url: str, call_id: str, channel: str | None = None, at: datetime = T0) -> str:
    with Session(engine_for(url)) as s, s.begin():
        req = calls.CallRequest(call_id=call_id, agent_ids=["A1"], ended_at=at, customer_channel_id=channel)
        survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=at,
                                        channel_secret=DEV_SESSION_SECRET)
        return survey.token


def say(url: str, token: str, message: str, minute: int, message_id: str | None = None):
    with Session(engine_for(url)) as s, s.begin():
        return turns.reply_turn(s, token, message, T0 + timedelta(minutes=minute), classify, message_id,
                                channel_secret=DEV_SESSION_SECRET)


def survey_of(url: str, token: str) -> Survey:
    with Session(engine_for(url)) as s:
        return calls.survey_by_token(s, token)


def opted_out(url: str, channel: str) -> bool:
    with Session(engine_for(url)) as s:
        return optouts.is_opted_out(s, channel, DEV_SESSION_SECRET)


def _refuse_opt_out_writes(url: str) -> None:
    with engine_for(url).begin() as c:
        if c.dialect.name == "sqlite":
            c.execute(text("CREATE TRIGGER refuse_opt_out BEFORE INSERT ON opt_outs "
                           "BEGIN SELECT RAISE(ABORT, 'opt-out list unavailable'); END"))
        else:
            c.execute(text("CREATE FUNCTION refuse_opt_out() RETURNS trigger AS $$ BEGIN "
                           "RAISE EXCEPTION 'opt-out list unavailable'; END $$ LANGUAGE plpgsql"))
            c.execute(text("CREATE TRIGGER refuse_opt_out BEFORE INSERT ON opt_outs "
                           "FOR EACH ROW EXECUTE FUNCTION refuse_opt_out()"))


def _allow_opt_out_writes(url: str) -> None:
    with engine_for(url).begin() as c:
        c.execute(text("DROP TRIGGER refuse_opt_out" if c.dialect.name == "sqlite"
                       else "DROP TRIGGER refuse_opt_out ON opt_outs"))


def test_a_failed_opt_out_list_write_undoes_the_turn_and_the_resend_opts_out_for_good(db_url):
    token = new_survey(db_url, "o1", channel="13800001111")
    say(db_url, token, "2", 1, "m1")
    _refuse_opt_out_writes(db_url)
    with pytest.raises(DBAPIError):
        say(db_url, token, "以后别再给我发了，退订", 2, "m2")
    # Nothing of the turn stayed: the survey does not claim an opt-out the list does not hold.
    assert survey_of(db_url, token).status == SurveyStatus.IN_PROGRESS
    assert not opted_out(db_url, "13800001111")
    _allow_opt_out_writes(db_url)
    out = say(db_url, token, "以后别再给我发了，退订", 2, "m2")  # the channel resends the same message
    assert out.status == SurveyStatus.OPTED_OUT
    assert survey_of(db_url, token).status == SurveyStatus.OPTED_OUT and opted_out(db_url, "13800001111")
    with Session(engine_for(db_url)) as s, s.begin():
        next_call = calls.CallRequest(call_id="o2", agent_ids=["A1"], ended_at=T0 + timedelta(days=1),
                                      customer_channel_id="13800001111")
        assert optouts.is_opted_out(s, next_call.customer_channel_id, DEV_SESSION_SECRET)


def test_opting_back_in_is_decided_by_the_core_and_written_with_the_turn(db_url):
    token = new_survey(db_url, "o3", channel="wx-opt")
    say(db_url, token, "退订", 1)
    assert opted_out(db_url, "wx-opt")
    out = say(db_url, token, "你好", 2)
    assert out.say == [] and out.status == SurveyStatus.OPTED_OUT and opted_out(db_url, "wx-opt")
    out = say(db_url, token, "重新订阅", 3)
    assert out.say == [("utter_opted_back_in", {})]
    assert out.status == SurveyStatus.OPTED_OUT  # this survey stays closed; the next call is surveyed again
    assert not opted_out(db_url, "wx-opt")
    with Session(engine_for(db_url)) as s:
        row = s.scalar(select(OptOut))
        assert row.opted_in_at is not None
        actions = [a.action for a in s.scalars(select(AuditLog).where(AuditLog.entity == "opt_out"))]
    assert actions == ["opted_out", "opted_in"]


def _facts(url: str, token: str) -> SurveyFact:
    with Session(engine_for(url)) as s:
        sid = calls.survey_by_token(s, token).id
        return s.get(SurveyFact, sid)


def test_the_sweep_finishes_abandoned_conversations_by_the_core_rule(db_url):
    asked = new_survey(db_url, "s1")           # low score, unclear reason, never chose whose fault
    say(db_url, asked, "2", 1)
    assert say(db_url, asked, "问题一直没解决", 2).say == [("utter_ask_cause_choice", {})]
    no_reason = new_survey(db_url, "s2")       # low score, never said why
    say(db_url, no_reason, "1", 1)
    no_score = new_survey(db_url, "s3")        # opened, never scored
    with Session(engine_for(db_url)) as s, s.begin():
        turns.start_turn(s, no_score, T0 + timedelta(minutes=1))
    unopened = new_survey(db_url, "s4")        # never opened
    fresh = new_survey(db_url, "s5", at=T0 + timedelta(minutes=80))  # still inside its window at sweep time

    with Session(engine_for(db_url)) as s, s.begin():
        assert sweep.sweep_idle(s, now=T0 + IDLE + timedelta(minutes=1), idle_after=IDLE, classify=classify) == 4

    assert [survey_of(db_url, t).status for t in (asked, no_reason, no_score, unopened, fresh)] == [
        "completed", "completed", "closed_no_score", "expired", "pending"]
    with Session(engine_for(db_url)) as s:
        sid = calls.survey_by_token(s, asked).id
        reason = s.scalars(select(Reason)).one()
        assert (reason.text, reason.cause, reason.source, reason.needs_review) == (
            "问题一直没解决", "staff.resolution", "model", True)
        audit = s.scalars(select(AuditLog).where(AuditLog.entity == "survey", AuditLog.entity_id == str(sid),
                                                 AuditLog.action == "status_changed").order_by(AuditLog.id)).all()
        assert (audit[-1].actor, audit[-1].data) == ("system", {"old": "in_progress", "new": "completed"})
    # Awaiting review: the agent is not blamed, the rating is unattributed; a low score without reason too.
    assert (_facts(db_url, asked).bucket, _facts(db_url, no_reason).bucket) == ("unattributed_low", "unattributed_low")
    with Session(engine_for(db_url)) as s, s.begin():  # a second sweep finds nothing more to do
        assert sweep.sweep_idle(s, now=T0 + IDLE + timedelta(minutes=2), idle_after=IDLE, classify=classify) == 0


def test_the_import_finishes_the_same_conversation_the_same_way(db_url):
    token = new_survey(db_url, "s6")
    say(db_url, token, "2", 1)
    say(db_url, token, "问题一直没解决", 2)
    with Session(engine_for(db_url)) as s, s.begin():
        sweep.sweep_idle(s, now=T0 + IDLE + timedelta(minutes=1), idle_after=IDLE, classify=classify)
    d = records.new_survey("s7", ["A1"], T0, None, window_minutes=60, template_version="v1", now=T0)
    records.start_turn(d, T0 + timedelta(minutes=1), "v1")
    records.reply_turn(d, "2", T0 + timedelta(minutes=1), classify)
    records.reply_turn(d, "问题一直没解决", T0 + timedelta(minutes=2), classify)
    records.finish_turn(d, T0 + timedelta(minutes=2), classify, actor="import")
    live = survey_of(db_url, token)
    rating = d.counted()
    assert rating is not None and d.status == live.status == "completed"
    assert [(x.text, x.cause, x.source, x.needs_review) for x in rating.reasons] == [
        ("问题一直没解决", "staff.resolution", "model", True)]


def test_a_pending_reason_is_kept_redacted_on_the_survey_row_and_in_the_receipt(db_url):
    """A number written in a way the channel's redaction might miss never rests in the state or the receipt."""
    token = new_survey(db_url, "pii1")
    say(db_url, token, "2", 1, "m1")
    # The customer's reason, unclear, is kept pending while the dialogue asks whose fault it was.
    out = say(db_url, token, "问题一直没解决，打我电话 186  2222  3333", 2, "m2")
    assert out.say == [("utter_ask_cause_choice", {})]
    with Session(engine_for(db_url)) as s:
        survey = calls.survey_by_token(s, token)
        receipts = s.execute(text("SELECT state_before, state_after FROM message_receipts ORDER BY id")).all()
    assert survey.pending_reason and "2222" not in survey.pending_reason and "3333" not in survey.pending_reason
    assert all("2222" not in str(row) and "3333" not in str(row) for row in receipts), receipts
