"""The review queue end to end on SQLite and PostgreSQL: real dialogue turns, the idle sweep, a reviewer's label, the KPI.

Scoring contract (docs/scoring.md, ``bot.ledger.per_survey``): a counted 1–3 whose
current reason is the model's reading awaiting review is ``unattributed_low``;
once a reviewer labels it a staff cause it is ``staff_low``.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation import calls, turns
from bot.conversation.sweep import sweep_idle
from bot.db.connection import engine_for
from bot.db.models import AuditLog, Reason, Survey
from bot.db.review import ReviewLabel
from bot.domain import Role
from bot.scoring.board import score_period
from bot.staff import accounts, review, review_queue
from bot.staff.review_queue import QueueFilter
from classifiers import CauseResult

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TZ = "Asia/Shanghai"
# The model cannot tell whose fault "等了好久也没个说法" is: it asks the customer.
UNSURE = CauseResult("company.system", "non_staff", 0.41, True, "", "test-model-1")
# It leans to the agent for "人家说的我听不懂", not enough to book it.
LEANS_STAFF = CauseResult("staff.competence", "staff", 0.52, True, "听不懂", "test-model-1")


def fake(result: CauseResult):
    return lambda text: result


def survey(url: str, call_id: str, agent: str = "A1") -> str:
    with Session(engine_for(url)) as s, s.begin():
        req = calls.CallRequest(call_id=call_id, agent_ids=[agent], ended_at=T0)
        made, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=T0)
        return made.token


def say(url: str, token: str, text: str, minute: int, result: CauseResult):
    with Session(engine_for(url)) as s, s.begin():
        return turns.reply_turn(s, token, text, T0 + timedelta(minutes=minute), fake(result))


def reviewers(url: str, *ids: str) -> None:
    with Session(engine_for(url)) as s, s.begin():
        for rid in ids:
            assert accounts.do_add_staff(s, agent_id=rid, name=f"质检{rid}", role=Role.REVIEWER,
                                         password="a long password 1", actor="test", now=T0) is None


def a1(url: str):
    with Session(engine_for(url)) as s:
        board = score_period(s, "2026-11", tz=TZ, min_sample=1)
        return next(k for k in board.agents if k.id == "A1").counts


def queue(url: str, reviewer: str, **f):
    with Session(engine_for(url)) as s:
        return review_queue.queue(s, reviewer_id=reviewer, threshold=None, margin=0.1, f=QueueFilter(**f))


def test_an_unanswered_cause_question_reaches_the_queue_and_a_label_moves_the_kpi(db_url):
    token = survey(db_url, "q1")
    say(db_url, token, "2分", 1, UNSURE)
    out = say(db_url, token, "等了好久也没个说法", 2, UNSURE)
    assert out.say[-1][0] == "utter_ask_cause_choice"  # the customer is asked, and never answers
    with Session(engine_for(db_url)) as s, s.begin():
        assert sweep_idle(s, now=T0 + timedelta(hours=3), idle_after=timedelta(minutes=90), classify=fake(UNSURE)) == 1
    before = a1(db_url)
    assert (before.responses, before.dissatisfied, before.staff_low, before.unattributed_low) == (1, 1, 0, 1)

    reviewers(db_url, "R1")
    items, total = queue(db_url, "R1")
    assert total == 1 and len(items) == 1
    item = items[0]
    assert (item.kind, item.score, item.text, item.guess, item.agent_id, item.consequential) == \
        ("uncertain", 2, "等了好久也没个说法", "company.system", "A1", True)

    with Session(engine_for(db_url)) as s, s.begin():
        result = review.do_label(s, reason_id=item.reason_id, reviewer_id="R1", cause="staff.resolution",
                                 now=T0 + timedelta(hours=4), double_share=0.0, evidence="没个说法",
                                 note="客户等的是客服的答复")
    assert result.outcome == review.Outcome.DECIDED
    after = a1(db_url)
    # The same 2 moves from unattributed_low to staff_low: nothing else changes.
    assert (after.responses, after.dissatisfied, after.staff_low, after.unattributed_low) == (1, 1, 1, 0)
    assert queue(db_url, "R1") == ([], 0)
    with Session(engine_for(db_url)) as s:
        current = s.get(Reason, result.reason_id)
        assert (current.source, current.cause, current.attribution, current.evidence, current.text,
                current.model_cause, current.supersedes_id) == \
            ("reviewer", "staff.resolution", "staff", "没个说法", "等了好久也没个说法", "company.system", item.reason_id)
        audit = s.scalars(select(AuditLog).where(AuditLog.actor == "reviewer:R1").order_by(AuditLog.id)).all()
        assert sorted((a.entity, a.action) for a in audit) == [("reason", "created"), ("reason", "reviewed"),
                                                               ("review_label", "created")]
        assert next(a for a in audit if a.action == "reviewed").data["note"] == "客户等的是客服的答复"


def test_a_customer_choice_the_model_read_otherwise_is_queued_and_a_later_model_reading_never_overwrites(db_url):
    token = survey(db_url, "q2")
    say(db_url, token, "1分", 1, LEANS_STAFF)
    say(db_url, token, "人家说的我听不懂", 2, LEANS_STAFF)
    say(db_url, token, "网络或系统", 3, LEANS_STAFF)  # the customer blames the system
    with Session(engine_for(db_url)) as s:
        reason = s.scalars(select(Reason)).one()
        assert (reason.source, reason.cause, reason.model_cause, reason.model_confidence) == \
            ("customer", "company.system", "staff.competence", 0.52)
    reviewers(db_url, "R1")
    [item], total = queue(db_url, "R1")
    assert (total, item.kind, item.cause, item.guess, item.consequential) == \
        (1, "disagreement", "company.system", "staff.competence", True)
    assert queue(db_url, "R1", source="model") == ([], 0)
    assert queue(db_url, "R1", team="没有这个组")[1] == 0
    with Session(engine_for(db_url)) as s, s.begin():
        result = review.do_label(s, reason_id=item.reason_id, reviewer_id="R1", cause="company.system",
                                 now=T0 + timedelta(hours=1), double_share=0.0)
    assert result.outcome == review.Outcome.DECIDED
    # A later turn that tries to store the model's reading on the same rating leaves the reviewer's label.
    with Session(engine_for(db_url)) as s, s.begin():
        d = turns.load_by_id(s, s.scalar(select(Survey.id)))
        from bot.conversation.records import apply
        from bot.dialogue.effects import RecordReason
        from bot.dialogue.state import DialogueState

        apply(d, (RecordReason(cause="staff.attitude", attribution="staff", source="model", confidence=0.99,
                               model_version="m2", evidence=None, needs_review=False, text="x", on="counted"),),
              DialogueState(stage="done"), T0 + timedelta(hours=2))
        turns.write_changes(s, d, T0 + timedelta(hours=2), channel_secret=None)
    with Session(engine_for(db_url)) as s:
        newest = s.scalars(select(Reason).order_by(Reason.id.desc())).first()
        assert (newest.id, newest.source, newest.cause) == (result.reason_id, "reviewer", "company.system")
        refused = s.scalars(select(AuditLog).where(AuditLog.action == "model_label_refused")).one()
        assert refused.entity_id == str(result.reason_id)


def test_double_review_decides_on_agreement_and_sends_disagreement_to_the_admin(db_url):
    tokens = [survey(db_url, f"d{i}") for i in range(2)]
    for token in tokens:
        say(db_url, token, "2分", 1, UNSURE)
        say(db_url, token, "等了好久也没个说法", 2, UNSURE)
    with Session(engine_for(db_url)) as s, s.begin():
        sweep_idle(s, now=T0 + timedelta(hours=3), idle_after=timedelta(minutes=90), classify=fake(UNSURE))
    reviewers(db_url, "R1", "R2")
    items, _ = queue(db_url, "R1")
    first, second = sorted(i.reason_id for i in items)
    now = T0 + timedelta(hours=4)
    with Session(engine_for(db_url)) as s, s.begin():
        assert review.do_label(s, reason_id=first, reviewer_id="R1", cause="company.system", now=now,
                               double_share=1.0).outcome == review.Outcome.AWAITING_SECOND
        assert review.do_label(s, reason_id=second, reviewer_id="R1", cause="company.system", now=now,
                               double_share=1.0).outcome == review.Outcome.AWAITING_SECOND
        assert review.do_label(s, reason_id=first, reviewer_id="R1", cause="company.policy", now=now,
                               double_share=1.0).refusal == review.Refusal.ALREADY
    assert queue(db_url, "R1")[1] == 0  # R1 labelled both
    assert queue(db_url, "R2")[1] == 2  # R2 gets both, blind
    with Session(engine_for(db_url)) as s, s.begin():
        assert review.do_label(s, reason_id=first, reviewer_id="R2", cause="company.system", now=now,
                               double_share=1.0).outcome == review.Outcome.DECIDED
        assert review.do_label(s, reason_id=second, reviewer_id="R2", cause="staff.attitude", now=now,
                               double_share=1.0).outcome == review.Outcome.ADJUDICATION
    with Session(engine_for(db_url)) as s:
        [d] = review.adjudication_list(s)
        assert d.reason_id == second and [c for _, _, c, _, _ in d.labels] == ["company.system", "staff.attitude"]
        assert len(s.scalars(select(ReviewLabel)).all()) == 4
    assert queue(db_url, "R2")[1] == 0
    with Session(engine_for(db_url)) as s, s.begin():
        assert review.do_adjudicate(s, reason_id=second, admin_id="R1", cause="staff.attitude", now=now,
                                    note="客户明确提到客服").outcome == review.Outcome.DECIDED
    with Session(engine_for(db_url)) as s:
        assert review.adjudication_list(s) == []
    counts = a1(db_url)
    assert (counts.staff_low, counts.non_staff_low, counts.unattributed_low) == (1, 1, 0)


def test_skip_leaves_only_the_skipper_s_queue_and_bulk_confirm_writes_one_audited_label_per_item(db_url):
    tokens = [survey(db_url, f"b{i}") for i in range(3)]
    for token in tokens:
        say(db_url, token, "3分", 1, UNSURE)
        say(db_url, token, "等了好久也没个说法", 2, UNSURE)
    with Session(engine_for(db_url)) as s, s.begin():
        sweep_idle(s, now=T0 + timedelta(hours=3), idle_after=timedelta(minutes=90), classify=fake(UNSURE))
    reviewers(db_url, "R1", "R2")
    items, _ = queue(db_url, "R1")
    with Session(engine_for(db_url)) as s, s.begin():
        assert review.do_skip(s, reason_id=items[0].reason_id, reviewer_id="R1", now=T0).outcome == \
            review.Outcome.SKIPPED
    assert queue(db_url, "R1")[1] == 2 and queue(db_url, "R2")[1] == 3
    with Session(engine_for(db_url)) as s, s.begin():
        listed, _ = review_queue.reason_items(s, reviewer_id="R2", threshold=None, margin=0.1)
        counts = review.do_bulk_confirm(s, listed, reviewer_id="R2", now=T0 + timedelta(hours=5), double_share=0.0)
    assert counts == {"decided": 3}
    assert queue(db_url, "R1")[1] == 0
    with Session(engine_for(db_url)) as s:
        reviewed = s.scalars(select(AuditLog).where(AuditLog.action == "reviewed")).all()
        assert len(reviewed) == 3 and all(a.actor == "reviewer:R2" for a in reviewed)
        assert {r.cause for r in s.scalars(select(Reason).where(Reason.source == "reviewer"))} == {"company.system"}
    assert a1(db_url).non_staff_low == 3


def test_near_threshold_staff_attributions_are_queued_within_the_margin(db_url):
    from tests import rows

    with Session(engine_for(db_url)) as s, s.begin():
        reasons = []
        for n, confidence in enumerate((0.60, 0.95)):
            req = calls.CallRequest(call_id=f"n{n}", agent_ids=["A1"], ended_at=T0)
            made, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=T0)
            rating = rows.record_rating(s, made, 2, "2分", T0 + timedelta(minutes=2))
            reasons.append(rows.record_reason(s, rating, "那个客服说话爱答不理的", cause="staff.attitude",
                                              attribution="staff", source="model", confidence=confidence,
                                              now=T0 + timedelta(minutes=3)).id)
    with Session(engine_for(db_url)) as s:
        items, total = review_queue.queue(s, reviewer_id="R1", threshold=0.57, margin=0.1)
        assert (total, [(i.reason_id, i.kind, i.consequential) for i in items]) == \
            (1, [(reasons[0], "near_threshold", True)])
        assert review_queue.queue(s, reviewer_id="R1", threshold=0.57, margin=0.0)[1] == 0
        assert review_queue.queue(s, reviewer_id="R1", threshold=None, margin=0.1)[1] == 0


def test_migration_0013_on_a_database_with_calls(db_url):
    """SQLite cannot alter a CHECK and refuses to copy ``agents`` once calls refer to it: the schema text is edited."""
    from alembic import command
    from sqlalchemy import text

    from bot.db.migrate import alembic_config, upgrade

    command.downgrade(alembic_config(db_url), "0009_survey_dialogue_state")
    with Session(engine_for(db_url)) as s, s.begin():
        s.execute(text("INSERT INTO agents (id, name, role, created_at) VALUES ('A1', '张三', 'agent', :t)"), {"t": T0})
        s.execute(text("INSERT INTO calls (external_id, ended_at, credited_agent_id, created_at) "
                       "VALUES ('m1', :t, 'A1', :t)"), {"t": T0})
    engine_for.cache_clear()
    upgrade(db_url)
    with Session(engine_for(db_url)) as s, s.begin():
        s.execute(text("INSERT INTO agents (id, name, role, created_at) VALUES ('R1', '质检', 'reviewer', :t)"),
                  {"t": T0})
    with Session(engine_for(db_url)) as s:
        try:
            with s.begin():
                s.execute(text("INSERT INTO agents (id, role, created_at) VALUES ('X', 'boss', :t)"), {"t": T0})
        except Exception as exc:  # noqa: BLE001 - either backend's CHECK violation
            assert "ck_agents_role" in str(exc) or "CHECK" in str(exc)
        else:
            raise AssertionError("a role outside the vocabulary was stored")
        assert s.execute(text("SELECT count(*) FROM calls")).scalar_one() == 1
