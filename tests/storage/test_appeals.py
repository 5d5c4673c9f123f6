"""Appeals decided, on SQLite and PostgreSQL: panels without conflicts of interest, majorities and splits,
the KPI effect of an upheld appeal, the final second review, the filing window and the working-day deadline.

Data: ``tests/appeal_data.py`` on ``tests/staff_data.py`` with the clock frozen at ``NOW`` (every call in
December 2026, Beijing time). A1's December figures by hand (staff_data docstring): satisfied 8, staff_low 2
→ attributed CSAT 8/10; without the appealed attitude rating 8/9.
"""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db.models import AuditLog, Reason
from bot.db.session import open_session
from bot.db.staff import Appeal, AppealPanelist
from bot.domain import AppealMode, AppealStatus, AppealVote
from bot.ledger import fact_table
from bot.scoring.board import _score_direct, score_period
from bot.staff import appeal_cases, appeal_panel, appeals, workdays
from bot.staff.appeals import AppealPolicy, AppealRefusal, DecisionRefusal
from tests.appeal_data import ELIGIBLE_FOR_A1, EXCLUDED_FOR_A1, build_with_reviewers

NOW = datetime(2026, 12, 20, 4, 0, tzinfo=UTC)  # 12:00 in Beijing, a Sunday
TZ = "Asia/Shanghai"
PANEL = AppealPolicy(mode=AppealMode.PANEL, tz=TZ)
SUPERVISOR = AppealPolicy(mode=AppealMode.SUPERVISOR, tz=TZ)
WHY = "客户说的是退款要等十五天，这是公司规定，我按流程解释了"


@pytest.fixture()
def centre(db_url, tmp_path):
    fact_table.install()
    built, relabel_id = build_with_reviewers(db_url, tmp_path, NOW)
    return db_url, built, relabel_id


def a1_counts(s, month: str = "2026-12"):
    return score_period(s, month, tz=TZ, min_sample=10).rows(agent_id="A1")[0].counts


def file(s, reason_id, policy, now=NOW, seed=7, text=WHY):
    return appeals.do_file_appeal(s, agent_id="A1", reason_id=reason_id, text=text, now=now, policy=policy,
                                  rng=random.Random(seed))


def test_the_panel_never_holds_anyone_with_a_conflict(centre):
    db_url, built, relabel_id = centre
    with open_session(db_url) as s, s.begin():
        c = appeal_panel.conflicts(s, agent_id="A1", call_team_id=_team_id(s, "一组"),
                                   labelled_by=appeal_panel.labeller(s, relabel_id, "reviewer"))
        assert c.labeller == "R6"
        assert appeal_panel.eligible(s, c) == ELIGIBLE_FOR_A1
        drawn: set[str] = set()
        for seed in range(60):
            panel = appeal_panel.draw(appeal_panel.eligible(s, c), 3, random.Random(seed))
            assert panel is not None and len(set(panel)) == 3
            drawn.update(panel)
        assert drawn == set(ELIGIBLE_FOR_A1)  # everyone eligible gets drawn some time, nobody else ever
        assert appeal_panel.draw(appeal_panel.eligible(s, c), 6) is None  # 5 eligible: no panel of 6


def _team_id(s, name):
    from bot.db.staff import Team
    return s.scalar(select(Team.id).where(Team.name == name))


def test_a_panel_majority_upholds_and_the_rating_leaves_the_kpi_at_once(centre):
    db_url, built, relabel_id = centre
    with open_session(db_url) as s, s.begin():
        before = a1_counts(s)
        assert (before.satisfied, before.staff_low, before.appeal_open) == (8, 2, 0)
        result = file(s, relabel_id, PANEL)
        assert result.refusal is None and result.appeal is not None
        appeal_id = result.appeal.id
        panel = [p.reviewer_id for p in s.scalars(select(AppealPanelist).where(AppealPanelist.appeal_id == appeal_id))]
        assert len(panel) == 3 and not set(panel) & EXCLUDED_FOR_A1
        assert a1_counts(s).appeal_open == 1 and a1_counts(s).staff_low == 2  # 申诉中: still counted meanwhile
        outsider = next(r for r in ELIGIBLE_FOR_A1 if r not in panel)
        assert appeals.do_vote(s, appeal_id=appeal_id, reviewer_id=outsider, vote=AppealVote.REJECT, cause=None,
                               note=None, now=NOW) == DecisionRefusal.NOT_ALLOWED
        assert appeals.do_vote(s, appeal_id=appeal_id, reviewer_id=panel[0], vote=AppealVote.UPHOLD,
                               cause="staff.competence", note=None, now=NOW) == DecisionRefusal.BAD_CAUSE
        assert appeals.do_vote(s, appeal_id=appeal_id, reviewer_id=panel[0], vote=AppealVote.UPHOLD,
                               cause="company.policy", note="客户原话是退款规定", now=NOW) is None
        assert s.get(Appeal, appeal_id).status == AppealStatus.OPEN  # 1 of 3: no majority yet
        assert appeals.do_vote(s, appeal_id=appeal_id, reviewer_id=panel[0], vote=AppealVote.REJECT, cause=None,
                               note=None, now=NOW) == DecisionRefusal.ALREADY
        assert appeals.do_vote(s, appeal_id=appeal_id, reviewer_id=panel[1], vote=AppealVote.UPHOLD,
                               cause="company.policy", note=None, now=NOW + timedelta(hours=1)) is None
    with open_session(db_url) as s:
        appeal = s.get(Appeal, appeal_id)
        assert (appeal.status, appeal.decided_cause, appeal.decided_by, appeal.final) == (
            "upheld", "company.policy", "panel", False)
        current = s.scalars(select(Reason).where(Reason.rating_id == s.get(Reason, relabel_id).rating_id)
                            .order_by(Reason.id.desc())).first()
        assert (current.source, current.cause, current.attribution) == ("appeal", "company.policy", "non_staff")
        after = a1_counts(s)
        # By hand: staff_low 2 → 1, the rating now a non-staff low (company.policy 1 → 2); attributed 8/9.
        assert (after.satisfied, after.staff_low, after.non_staff_low, after.appeal_open) == (8, 1, 3, 0)
        assert after.by_cause()["company.policy"] == 2
        assert after.attributed_csat == pytest.approx(8 / 9)
        direct = _score_direct(s, "2026-12", tz=TZ, min_sample=10).rows(agent_id="A1")[0].counts
        assert direct == after  # the fact table followed in the decision's transaction
        effect = appeal_cases.kpi_effect(s, appeal_cases.load_case(s, appeal_id), tz=TZ, min_sample=10)
        assert (effect.period, effect.counted) == ("2026-12", False)
        assert effect.with_rating == pytest.approx(8 / 10) and effect.without_rating == pytest.approx(8 / 9)
        actions = [(a.actor, a.action) for a in s.scalars(
            select(AuditLog).where(AuditLog.entity == "appeal", AuditLog.entity_id == str(appeal_id))
            .order_by(AuditLog.id))]
        assert actions == [("agent:A1", "created"), ("system", "panel_drawn"), (f"reviewer:{panel[0]}", "voted"),
                           (f"reviewer:{panel[1]}", "voted"), ("panel", "upheld")]
        assert s.scalar(select(AuditLog.actor).where(AuditLog.entity == "reason",
                                                     AuditLog.entity_id == str(current.id))) == "panel"


def test_a_split_panel_escalates_to_the_admin_whose_answer_is_final(centre):
    db_url, built, relabel_id = centre
    with open_session(db_url) as s, s.begin():
        appeal_id = file(s, relabel_id, PANEL).appeal.id
        panel = [p.reviewer_id for p in s.scalars(select(AppealPanelist).where(AppealPanelist.appeal_id == appeal_id))]
        votes = [(AppealVote.UPHOLD, "company.policy"), (AppealVote.UPHOLD, "company.system"), (AppealVote.REJECT, None)]
        for member, (vote, cause) in zip(panel, votes, strict=True):
            assert appeals.do_vote(s, appeal_id=appeal_id, reviewer_id=member, vote=vote, cause=cause, note=None,
                                   now=NOW) is None
        appeal = s.get(Appeal, appeal_id)
        assert (appeal.status, appeal.escalation) == ("escalated", "split")  # 2 uphold but 1-1 on the cause, 1 reject
        assert a1_counts(s).staff_low == 2 and a1_counts(s).appeal_open == 1
        # A supervisor cannot take the admin's decision; the admin can.
        assert appeals.do_decide_appeal(s, appeal_id=appeal_id, decider_id="S1", role="supervisor", upheld=False,
                                        cause=None, note=None, now=NOW) == DecisionRefusal.NOT_ALLOWED
        assert appeals.do_decide_appeal(s, appeal_id=appeal_id, decider_id="ADM", role="admin", upheld=False,
                                        cause=None, note="客户说的就是态度", now=NOW) is None
        appeal = s.get(Appeal, appeal_id)
        assert (appeal.status, appeal.final, appeal.decided_by) == ("rejected", True, "admin:ADM")
        assert appeals.do_request_review(s, appeal_id=appeal_id, agent_id="A1", text="请再看看",
                                         now=NOW) == AppealRefusal.NOT_REVIEWABLE
        assert a1_counts(s).staff_low == 2 and a1_counts(s).appeal_open == 0


def test_a_rejection_may_go_once_to_the_admin_and_the_second_answer_is_final(centre):
    db_url, built, relabel_id = centre
    with open_session(db_url) as s, s.begin():
        appeal = file(s, built.a1_script_reason, SUPERVISOR).appeal
        assert appeal.decider_id == "S1" and appeal.status == "open"
        appeal_id = appeal.id
        assert appeals.do_decide_appeal(s, appeal_id=appeal_id, decider_id="S2", role="supervisor", upheld=True,
                                        cause="company.policy", note=None, now=NOW) == DecisionRefusal.NOT_ALLOWED
        assert appeals.do_decide_appeal(s, appeal_id=appeal_id, decider_id="S1", role="supervisor", upheld=False,
                                        cause=None, note="客户说的是没回电话", now=NOW) is None
        assert (s.get(Appeal, appeal_id).status, s.get(Appeal, appeal_id).final) == ("rejected", False)
        assert appeals.do_request_review(s, appeal_id=appeal_id, agent_id="A2", text="x",
                                         now=NOW) == AppealRefusal.NOT_FOUND  # not A2's appeal
        assert appeals.do_request_review(s, appeal_id=appeal_id, agent_id="A1", text="我当天确实回过电话，有通话记录",
                                         now=NOW) is None
        assert s.get(Appeal, appeal_id).status == "review" and a1_counts(s).appeal_open == 1
        assert appeals.do_request_review(s, appeal_id=appeal_id, agent_id="A1", text="再来一次",
                                         now=NOW) == AppealRefusal.NOT_REVIEWABLE
        assert appeals.do_decide_appeal(s, appeal_id=appeal_id, decider_id="ADM", role="admin", upheld=True,
                                        cause="customer.other", note="有回电记录", now=NOW) is None
        appeal = s.get(Appeal, appeal_id)
        assert (appeal.status, appeal.final, appeal.decided_cause) == ("upheld", True, "customer.other")
        # Final: nobody decides again, the agent cannot ask again.
        assert appeals.do_decide_appeal(s, appeal_id=appeal_id, decider_id="ADM", role="admin", upheld=False,
                                        cause=None, note=None, now=NOW) == DecisionRefusal.NOT_ALLOWED
        assert appeals.do_request_review(s, appeal_id=appeal_id, agent_id="A1", text="x",
                                         now=NOW) == AppealRefusal.NOT_REVIEWABLE
        counts = a1_counts(s)
        assert (counts.staff_low, counts.appeal_open) == (1, 0)  # the script reason's rating left the KPI
        actions = [a.action for a in s.scalars(select(AuditLog).where(
            AuditLog.entity == "appeal", AuditLog.entity_id == str(appeal_id)).order_by(AuditLog.id))]
        assert actions == ["created", "assigned", "rejected", "review_requested", "upheld"]


def test_the_filing_window_counts_from_when_the_attribution_was_recorded(centre):
    db_url, built, _ = centre
    with open_session(db_url) as s, s.begin():
        recorded = s.get(Reason, built.a1_script_reason).created_at
    recorded = recorded if recorded.tzinfo else recorded.replace(tzinfo=UTC)
    closes = recorded + timedelta(days=7)
    with open_session(db_url) as s, s.begin():
        assert file(s, built.a1_script_reason, SUPERVISOR, now=closes).refusal == AppealRefusal.WINDOW_CLOSED
        assert file(s, built.a1_script_reason, SUPERVISOR, now=closes - timedelta(minutes=1)).refusal is None
        assert file(s, built.a1_script_reason, SUPERVISOR, now=closes - timedelta(minutes=1)
                    ).refusal == AppealRefusal.DUPLICATE


# --- the deadline: Chinese working days ----------------------------------------------------

@pytest.mark.parametrize(("filed", "due"), [
    # Thu 2026-02-12: Fri 13 (1), Sat 14 make-up workday (2), Spring Festival 15–23 off, Tue 24 (3).
    (datetime(2026, 2, 12, 7, 0, tzinfo=UTC), datetime(2026, 2, 24, 16, 0, tzinfo=UTC)),
    # Fri 2026-09-18: Sat 19 off, Sun 20 make-up workday (1), Mon 21 (2), Tue 22 (3).
    (datetime(2026, 9, 18, 9, 0, tzinfo=UTC), datetime(2026, 9, 22, 16, 0, tzinfo=UTC)),
    # Wed 2026-09-30: National Day 1–7 Oct off, Thu 8 (1), Fri 9 (2), Sat 10 make-up workday (3).
    (datetime(2026, 9, 30, 2, 0, tzinfo=UTC), datetime(2026, 10, 10, 16, 0, tzinfo=UTC)),
    # 23:30 on Thu 2026-02-12 in Beijing is still the 12th there (15:30 UTC): same deadline as above.
    (datetime(2026, 2, 12, 15, 30, tzinfo=UTC), datetime(2026, 2, 24, 16, 0, tzinfo=UTC)),
])
def test_the_deadline_is_counted_in_chinese_working_days(filed, due):
    assert workdays.deadline(filed, 3, TZ) == due


def test_an_overdue_appeal_escalates_with_a_frozen_clock_across_the_spring_festival(db_url, tmp_path):
    fact_table.install()
    filed = datetime(2026, 2, 12, 7, 0, tzinfo=UTC)  # Thu 15:00 in Beijing
    built, relabel_id = build_with_reviewers(db_url, tmp_path, filed)
    with open_session(db_url) as s, s.begin():
        appeal = file(s, built.a1_script_reason, SUPERVISOR, now=filed).appeal
        due = appeal.due_at if appeal.due_at.tzinfo else appeal.due_at.replace(tzinfo=UTC)
        assert due == datetime(2026, 2, 24, 16, 0, tzinfo=UTC)
        appeal_id = appeal.id
    with open_session(db_url) as s, s.begin():
        # Monday 16 and Friday 20 are Spring Festival days: nothing is overdue on them, nor on the 24th itself.
        for now in (datetime(2026, 2, 16, 4, tzinfo=UTC), datetime(2026, 2, 20, 4, tzinfo=UTC),
                    datetime(2026, 2, 24, 15, 59, tzinfo=UTC)):
            assert appeals.do_escalate_overdue_appeals(s, now) == 0
        assert appeals.do_escalate_overdue_appeals(s, datetime(2026, 2, 24, 16, 1, tzinfo=UTC)) == 1
        assert appeals.do_escalate_overdue_appeals(s, datetime(2026, 2, 24, 16, 2, tzinfo=UTC)) == 0
    with open_session(db_url) as s:
        appeal = s.get(Appeal, appeal_id)
        assert (appeal.status, appeal.escalation) == ("escalated", "overdue")
        assert [c.id for c in appeal_cases.admin_queue(s)] == [appeal_id]
    assert ("escalate_overdue_appeals", 15, appeals.do_escalate_overdue_appeals) in appeals.PERIODIC


def test_a_centre_without_enough_reviewers_sends_the_appeal_to_the_admin(centre):
    db_url, built, relabel_id = centre
    with open_session(db_url) as s, s.begin():
        appeal = file(s, relabel_id, AppealPolicy(mode=AppealMode.PANEL, panel_size=7, tz=TZ)).appeal
        assert (appeal.status, appeal.escalation) == ("escalated", "no_decider")
