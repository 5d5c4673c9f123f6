"""``survey_facts`` is a faithful materialisation of the canonical per-survey query, kept exact by every write.

The scores read from the fact table must equal the scores computed straight
from calls/surveys/ratings/reasons/appeals (``_score_direct``) on a data set
with every bucket and exclusion (the hand-computed centre of
``test_scoring``), after later changes (relabel, appeal decided, savepoint
rolled back) and after a full rebuild. The non-staff reason awaiting review
is the scoring contract: awaiting review is ``unattributed_low``
whatever the provisional attribution.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.db.connection import engine_for
from bot.db.models import Reason
from bot.db.staff import Appeal
from bot.db.survey_facts import SurveyFact
from bot.ledger.fact_table import refresh_facts
from bot.scoring.board import _score_direct, score_period
from tests.storage.test_scoring import TZ, Centre, bj, build


def _both(url: str, period: str = "2026-11") -> tuple[list[dict], list[dict]]:
    with Session(engine_for(url)) as s:
        stored = [k.to_dict() for k in score_period(s, period, tz=TZ, min_sample=10).rows()]
        direct = [k.to_dict() for k in _score_direct(s, period, tz=TZ, min_sample=10).rows()]
    return stored, direct


def _agent(rows: list[dict], agent: str) -> dict:
    return next(r for r in rows if r["level"] == "agent" and r["id"] == agent)


def test_scores_from_the_fact_table_equal_the_direct_query(db_url):
    build(db_url)
    for period in ("2026-11", "2026-10", "2026-W47", "2026-11-30", "2026-10-31..2026-11-01"):
        stored, direct = _both(db_url, period)
        assert stored == direct, period
    with Session(engine_for(db_url)) as s:
        n_facts = s.scalar(select(func.count()).select_from(SurveyFact))
    # 16 + 3 (A1) + 20 (A2, A3) + 3 (A5) + 3 (A6) + 10 (A7) + 4 (A8) surveys, one fact row each.
    assert n_facts == 59


def test_a_non_staff_reason_awaiting_review_is_unattributed(db_url):
    with Session(engine_for(db_url)) as s, s.begin():
        c = Centre(s)
        c.team("east")
        d = bj(11, 12)
        c.rated("B1", d, 2, "east", "网络老是断，不知道是不是你们的问题", "company.network", needs_review=True)
        c.rated("B1", d, 1, "east", "扣费规定太不合理了", "company.policy")
        c.rated("B1", d, 3, "east", "客服一直不耐烦", "staff.attitude", needs_review=True)
        c.rated("B1", d, 5, "east")
    stored, direct = _both(db_url)
    b1 = _agent(stored, "B1")
    # Hand count: 4 responses; 1 satisfied; the network reason awaits review → unattributed, the policy one is
    # confirmed non-staff, the staff one awaits review → unattributed.
    assert (b1["responses"], b1["satisfied"]) == (4, 1)
    assert (b1["staff_low"], b1["non_staff_low"], b1["unattributed_low"]) == (0, 1, 2)
    assert b1["non_staff_by_cause"]["company.network"] == 0
    assert b1["non_staff_by_cause"]["company.policy"] == 1
    assert stored == direct


def test_later_writes_keep_the_facts_exact(db_url):
    with Session(engine_for(db_url)) as s, s.begin():
        c = Centre(s)
        c.team("west")
        d = bj(11, 3)
        r1 = c.rated("C1", d, 1, "west", "客服态度恶劣", "staff.attitude", source="customer")
        c.rated("C1", d, 2, "west", "他不专业", "staff.competence", source="customer")
        c.appeal(r1.reasons[-1], "C1", "open")
        reason2 = c.s.scalar(select(Reason.id).order_by(Reason.id.desc()).limit(1))
    before, _ = _both(db_url)
    assert _agent(before, "C1")["staff_low"] == 2

    with Session(engine_for(db_url)) as s, s.begin():  # the admin upholds the appeal
        s.execute(update(Appeal).values(status="upheld"))  # Core: the listener cannot see it ...
        refresh_facts(s, [1])  # ... so the writer refreshes (survey 1 is the appealed one)
    with Session(engine_for(db_url)) as s, s.begin():  # a reviewer relabels reason 2 through the ORM
        rating = s.get(Reason, reason2).rating
        Centre(s).reason(rating, "他不专业", "company.product", "reviewer", d + timedelta(days=2))
    # A savepoint rolled back leaves the facts alone.
    with Session(engine_for(db_url)) as s, s.begin(), s.begin_nested() as sp:
        Centre(s).reason(s.get(Reason, reason2).rating, "x", "staff.attitude", "reviewer", d + timedelta(days=3))
        sp.rollback()
    after, direct = _both(db_url)
    c1 = _agent(after, "C1")
    assert (c1["staff_low"], c1["non_staff_low"], c1["unattributed_low"]) == (0, 1, 1)
    assert c1["excluded"]["appeal_upheld"] == 1
    assert after == direct


def test_rebuild_gives_the_same_rows(db_url):
    build(db_url)
    columns = [c for c in SurveyFact.__table__.columns]
    with Session(engine_for(db_url)) as s, s.begin():
        incremental = s.execute(select(*columns).order_by(SurveyFact.survey_id)).all()
        refresh_facts(s, None)
        rebuilt = s.execute(select(*columns).order_by(SurveyFact.survey_id)).all()
    assert len(rebuilt) == 59
    assert incremental == rebuilt


def test_facts_cli_rebuild_and_verify(db_url, monkeypatch, capsys):
    from bot.cli.main import main

    build(db_url)
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["facts", "verify", "--period", "2026-11"]) == 0
    with Session(engine_for(db_url)) as s, s.begin():  # a stale fact row, as after SQL written behind our back
        s.execute(update(SurveyFact).where(SurveyFact.bucket == "staff_low").values(bucket="non_staff_low"))
    assert main(["facts", "verify", "--period", "2026-11"]) == 1
    assert "staff_low table=" in capsys.readouterr().out
    assert main(["facts", "rebuild"]) == 0
    assert "59 surveys" in capsys.readouterr().out
    assert main(["facts", "verify", "--period", "2026-11"]) == 0
    assert main(["facts", "verify", "--period", "2026-13"]) == 2
