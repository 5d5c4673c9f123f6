"""Shadow mode on SQLite and PostgreSQL: a candidate reads live reasons, disagreements reach the queue, who was right.

The live model and the shadow version are stand-in readers with fixed answers
(the real classifier's versions are compared on the frozen sets elsewhere);
everything else is the product's: turns through the one writer, the review
queue's SQL, a reviewer's decision, the KPI board.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation import calls, turns
from bot.db.connection import engine_for
from bot.db.models import AuditLog, Reason
from bot.db.shadow import ShadowReading
from bot.domain import Role
from bot.learning import shadow
from bot.scoring.board import score_period
from bot.staff import accounts, review, review_queue
from classifiers import ATTRIBUTION, CauseResult

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LIVE, CANDIDATE = "20261101T000000Z-11111111", "20261201T000000Z-22222222"
# words -> (the live model's cause, the shadow version's cause)
WORDS = {
    "那个规定说了也白说，客服也没办法": ("staff.attitude", "company.policy"),
    "排队排了半小时才接通": ("company.system", "company.system"),
    "她说能退，结果根本退不了": ("company.product", "staff.competence"),
}


def reading(cause: str, version: str) -> CauseResult:
    return CauseResult(cause, ATTRIBUTION[cause], 0.97, False, "", version)


def live_model(text: str) -> CauseResult:
    return reading(WORDS.get(text, ("company.system", ""))[0], LIVE)


def shadow_model(version: str, texts: list[str]) -> list[CauseResult]:
    assert version == CANDIDATE
    return [reading(WORDS[t][1], version) for t in texts]


def customer(url: str, call_id: str, words: str, minute: int) -> int:
    """A customer gives a 1 and ``words``; the id of the reason the live model recorded."""
    with Session(engine_for(url)) as s, s.begin():
        req = calls.CallRequest(call_id=call_id, agent_ids=["A1"], ended_at=T0)
        survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=T0)
        token = survey.token
    for n, text in enumerate(("1分", words)):
        with Session(engine_for(url)) as s, s.begin():
            turns.reply_turn(s, token, text, T0 + timedelta(minutes=minute + n), live_model)
    with Session(engine_for(url)) as s:
        return s.scalars(select(Reason.id).where(Reason.text == words)).one()


def board(url: str):
    with Session(engine_for(url)) as s:
        return next(k for k in score_period(s, "2026-11", tz="Asia/Shanghai", min_sample=1).agents
                    if k.id == "A1").counts


def queue_kinds(url: str) -> dict[int, str]:
    with Session(engine_for(url)) as s:
        items, _ = review_queue.queue(s, reviewer_id="R1", threshold=None, margin=0.1)
    return {i.reason_id: i.kind for i in items}


def read(url: str, minutes: int) -> int:
    with Session(engine_for(url)) as s, s.begin():
        return shadow.do_read_new_reasons(s, shadow_model, now=T0 + timedelta(minutes=minutes))


def test_a_shadow_version_reads_beside_the_live_one_and_the_page_figures_say_who_was_right(db_url):
    with Session(engine_for(db_url)) as s, s.begin():
        assert accounts.do_add_staff(s, agent_id="R1", name="孙质检", role=Role.REVIEWER, password="a long password 1",
                                     actor="test", now=T0 - timedelta(days=1)) is None
        with pytest.raises(shadow.ShadowError):
            shadow.do_start_shadow(s, LIVE, actor="admin:ADM", now=T0, current=LIVE, known=[LIVE, CANDIDATE])
        with pytest.raises(shadow.ShadowError):
            shadow.do_start_shadow(s, "20261209T000000Z-33333333", actor="admin:ADM", now=T0, current=LIVE,
                                   known=[LIVE, CANDIDATE])
        shadow.do_start_shadow(s, CANDIDATE, actor="admin:ADM", now=T0 - timedelta(minutes=1), current=LIVE,
                               known=[LIVE, CANDIDATE])
    ids = [customer(db_url, f"shadow-{n}", words, 2 * n) for n, words in enumerate(WORDS)]
    kpi_before = board(db_url)
    assert queue_kinds(db_url) == {}  # the live model was sure of everything

    assert read(db_url, 10) == 3
    assert read(db_url, 11) == 0  # each reason is read once per version
    with Session(engine_for(db_url)) as s:
        readings = {r.reason_id: (r.live_cause, r.cause, r.disagrees, r.live_version)
                    for r in s.scalars(select(ShadowReading))}
        untouched = [(r.source, r.cause, r.model_version) for r in s.scalars(select(Reason).order_by(Reason.id))]
    assert readings == {ids[0]: ("staff.attitude", "company.policy", True, LIVE),
                        ids[1]: ("company.system", "company.system", False, LIVE),
                        ids[2]: ("company.product", "staff.competence", True, LIVE)}
    assert untouched == [("model", WORDS[w][0], LIVE) for w in WORDS]
    assert board(db_url) == kpi_before  # affects no one

    # Where they disagree, the item goes to the review queue.
    assert queue_kinds(db_url) == {ids[0]: "shadow", ids[2]: "shadow"}
    with Session(engine_for(db_url)) as s:
        assert shadow.figures(s, CANDIDATE) == shadow.ShadowFigures(CANDIDATE, 3, 2, 0, 0, 0)

    # The reviewer decides: once for the candidate's reading, once for the live one.
    with Session(engine_for(db_url)) as s, s.begin():
        for reason_id, cause in ((ids[0], "company.policy"), (ids[2], "company.product")):
            result = review.do_label(s, reason_id=reason_id, reviewer_id="R1", cause=cause, now=T0 + timedelta(hours=1),
                                     double_share=0.0)
            assert result.outcome == review.Outcome.DECIDED
    assert queue_kinds(db_url) == {}
    with Session(engine_for(db_url)) as s:
        assert shadow.figures(s, CANDIDATE) == shadow.ShadowFigures(CANDIDATE, 3, 2, 2, 1, 1)
    after = board(db_url)
    assert (after.staff_low, kpi_before.staff_low) == (0, 1)  # the reviewer's decision moved it, not the shadow

    # Stopped: a new disagreement is neither read nor queued; the run is audited.
    with Session(engine_for(db_url)) as s, s.begin():
        shadow.do_stop_shadow(s, actor="admin:ADM", now=T0 + timedelta(hours=2))
        with pytest.raises(shadow.ShadowError):
            shadow.do_stop_shadow(s, actor="admin:ADM", now=T0 + timedelta(hours=2))
    with Session(engine_for(db_url)) as s:
        assert shadow.active_run(s) is None
        assert [(a.action, a.actor) for a in s.scalars(select(AuditLog).where(AuditLog.entity == "shadow_run")
                                                       .order_by(AuditLog.id))] == [("started", "admin:ADM"),
                                                                                     ("stopped", "admin:ADM")]
    assert read(db_url, 200) == 0
