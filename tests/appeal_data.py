"""The staff-page centre (``tests/staff_data.py``) plus the people an appeal panel is drawn from.

Added to the roster: reviewers R1, R2, R3 (no team), R5 (a reviewer who sits in 一组, A1's team) and R6
(the reviewer who relabelled A1's attitude reason, so its labeller). For an appeal of A1 (一组, supervisor
S1) the eligible panel is, by hand: ADM, R1, R2, R3, S2 — never A1, the 一组 members A2, A3, R5, the
supervisor S1, nor the labeller R6.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.db.models import Reason
from bot.db.session import open_session
from bot.db.staff import Account
from bot.domain import ATTRIBUTION
from bot.staff import roster
from tests import rows
from tests.staff_data import Built, build, password_hash

REVIEWERS = """agent_id,name,team,supervisor_id,role
R1,质检甲,,,reviewer
R2,质检乙,,,reviewer
R3,质检丙,,,reviewer
R5,组内质检,一组,S1,reviewer
R6,标注人,,,reviewer
"""
ELIGIBLE_FOR_A1 = ["ADM", "R1", "R2", "R3", "S2"]
EXCLUDED_FOR_A1 = {"A1", "A2", "A3", "R5", "S1", "R6"}


def build_with_reviewers(db_url: str, tmp_path: Path, now: datetime) -> tuple[Built, int]:
    """The centre at ``now``, the reviewers, and R6's relabel of A1's attitude reason; returns the relabel's id."""
    built = build(db_url, tmp_path, now)
    path = tmp_path / "reviewers.csv"
    path.write_text(REVIEWERS, encoding="utf-8")
    with open_session(db_url) as s, s.begin():
        assert roster.import_roster(s, path, now=now - timedelta(days=30)).bad == []
        for agent_id in ("R1", "R2", "R3", "R5", "R6"):
            s.add(Account(agent_id=agent_id, password_hash=password_hash(), updated_at=now))
        old = s.get(Reason, built.a1_attitude_reason)
        assert old is not None
        relabel = rows.record_reason(s, old.rating_id, old.text, cause="staff.attitude",
                                     attribution=ATTRIBUTION["staff.attitude"], source="reviewer",
                                     now=now - timedelta(days=2), actor="reviewer:R6")
        assert s.scalar(select(Reason.source).where(Reason.id == relabel.id)) == "reviewer"
        return built, relabel.id
