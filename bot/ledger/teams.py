"""Which team a call counts for: the credited agent's team on the call's date (``team_memberships``)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.db.staff import TeamMembership


def team_at(s: Session, agent_id: str, at: datetime) -> int | None:
    """The team of ``agent_id`` at ``at``: the membership whose [valid_from, valid_to) holds it, else the open one."""
    m = TeamMembership
    held = s.scalar(select(m.team_id).where(
        m.agent_id == agent_id, m.valid_from <= at, or_(m.valid_to.is_(None), m.valid_to > at),
    ).order_by(m.valid_from.desc()).limit(1))
    if held is not None:
        return held
    return s.scalar(select(m.team_id).where(m.agent_id == agent_id, m.valid_to.is_(None)).limit(1))
