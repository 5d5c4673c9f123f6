"""Agents' appeals against a staff attribution: filing one (once per reason, audited) and listing open ones.

Deciding an appeal is the admin's (a later issue); an upheld appeal removes
the reason from the agent's attributed KPI (``bot.ledger.per_survey``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from bot.db.audit import audit
from bot.db.models import Agent, Call, Rating, Reason, Survey
from bot.db.staff import Appeal
from bot.domain import AppealStatus
from bot.ledger.counting import is_counted_rating, is_current_reason
from bot.ledger.per_survey import is_low, is_staff_attributed
from zhtext.clean import clean_text, has_forbidden
from zhtext.redact import redact

MAX_APPEAL_CHARS = 1000


class AppealRefusal(StrEnum):
    """Why an appeal was not stored."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_FOUND = "not_found"  # no such reason among the agent's own standing staff attributions
    DUPLICATE = "duplicate"  # this reason already has an appeal
    CONTROL_CHARACTERS = "control_characters"  # NUL or another control character (tab and line breaks are fine)


@dataclass(frozen=True)
class AppealResult:
    """The stored appeal, or why none was stored."""

    appeal: Appeal | None
    refusal: AppealRefusal | None = None


def _appealable_reason(s: Session, agent_id: str, reason_id: int) -> Reason | None:
    """The reason if it is the current reason of a counted 1–3 of one of the agent's calls and blames staff.

    Locks the reason row (PostgreSQL) so two simultaneous appeals on it queue up.
    """
    stmt = (select(Reason)
            .join(Rating, and_(Rating.id == Reason.rating_id, is_counted_rating()))
            .join(Survey, Survey.id == Rating.survey_id)
            .join(Call, Call.id == Survey.call_id)
            .where(Reason.id == reason_id, Call.credited_agent_id == agent_id, is_current_reason(),
                   is_low(), is_staff_attributed())
            .with_for_update(of=Reason))
    return s.scalar(stmt)


def file_appeal(s: Session, *, agent_id: str, reason_id: int, text: str, now: datetime) -> AppealResult:
    """Store an open appeal of ``agent_id`` against staff reason ``reason_id``, with an audit row.

    Refused when the text holds a control character other than tab and
    line breaks (PostgreSQL cannot store NUL; none belongs in an appeal),
    when it is empty or too long, when the reason is not a standing staff
    attribution of one of the agent's own counted ratings (the same answer
    whether it exists or not), or when it already has an appeal (any status:
    an agent appeals a reason once). Line breaks are stored as ``\n``.
    Runs in the caller's transaction.
    """
    if has_forbidden(text, multiline=True):
        return AppealResult(None, AppealRefusal.CONTROL_CHARACTERS)
    text = clean_text(text, multiline=True).strip()
    if not text:
        return AppealResult(None, AppealRefusal.EMPTY)
    if len(text) > MAX_APPEAL_CHARS:
        return AppealResult(None, AppealRefusal.TOO_LONG)
    reason = _appealable_reason(s, agent_id, reason_id)
    if reason is None:
        return AppealResult(None, AppealRefusal.NOT_FOUND)
    if s.scalar(select(Appeal.id).where(Appeal.reason_id == reason_id).limit(1)) is not None:
        return AppealResult(None, AppealRefusal.DUPLICATE)
    appeal = Appeal(reason_id=reason_id, agent_id=agent_id, text=redact(text), status=AppealStatus.OPEN,
                    created_at=now)
    s.add(appeal)
    s.flush()
    audit(s, at=now, actor=f"agent:{agent_id}", entity="appeal", entity_id=appeal.id, action="created",
          reason=reason_id, status=AppealStatus.OPEN.value)
    return AppealResult(appeal)


def do_file_appeal(s: Session, *, agent_id: str, reason_id: int, text: str, now: datetime) -> AppealResult:
    """:func:`file_appeal` in a transaction of its own.

    Transaction contract: ``s`` must have no transaction open; this commits
    one (the appeal and its audit row together), or commits nothing stored
    when the appeal is refused.
    """
    with s.begin():
        return file_appeal(s, agent_id=agent_id, reason_id=reason_id, text=text, now=now)


@dataclass(frozen=True)
class OpenAppeal:
    """One open appeal for the admin's list."""

    id: int
    created_at: datetime
    agent_id: str
    agent_name: str | None
    score: int
    reason: str
    cause: str
    text: str


def open_appeals(s: Session, limit: int = 500) -> list[OpenAppeal]:
    """Open appeals, oldest first (the queue to decide)."""
    stmt = (select(Appeal.id, Appeal.created_at, Appeal.agent_id, Agent.name, Rating.score, Reason.text,
                   Reason.cause, Appeal.text)
            .join(Reason, Reason.id == Appeal.reason_id)
            .join(Rating, Rating.id == Reason.rating_id)
            .join(Agent, Agent.id == Appeal.agent_id)
            .where(Appeal.status == AppealStatus.OPEN)
            .order_by(Appeal.created_at, Appeal.id)
            .limit(limit))
    return [OpenAppeal(*row) for row in s.execute(stmt)]
