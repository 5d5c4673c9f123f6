"""Reading appeals: one case with what each viewer may see, the lists to decide, the agent's own, the KPI effect.

Who may open a case (:func:`viewer_of`): the agent who filed it, the
supervisor who decides it, a member of its panel, an admin. A panel member
is blind: :func:`blind` strips the agent's name and id, the call's id and
the decider's identities before anything reaches a page.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, aliased

from bot.clock import as_utc
from bot.db.models import Agent, Call, Rating, Reason, Survey
from bot.db.staff import Appeal, AppealPanelist
from bot.db.survey_facts import SurveyFact
from bot.domain import PENDING_APPEAL_STATUSES, AppealMode, AppealStatus, Role
from bot.ledger.per_survey import STAFF_LOW
from bot.scoring.board import UnknownEntity, score_period
from bot.scoring.periods import parse_period


class Viewer(StrEnum):
    """How someone sees an appeal."""

    AGENT = "agent"  # the agent who filed it: may ask for a review
    SUPERVISOR = "supervisor"  # the deciding supervisor
    PANELIST = "panelist"  # a member of its blind panel
    ADMIN = "admin"


@dataclass(frozen=True)
class PanelSeat:
    """One panel member's seat (shown to the admin, and to the member their own)."""

    reviewer_id: str
    vote: str | None
    cause: str | None
    note: str | None


@dataclass(frozen=True)
class AppealCase:
    """One appeal with the rating, the customer's words and the decision so far.

    ``agent_id``, ``agent_name`` and ``call_id`` are None in a panel member's copy (:func:`blind`).
    """

    id: int
    status: str
    mode: str
    created_at: datetime
    due_at: datetime | None
    escalation: str | None
    escalated_at: datetime | None
    agent_id: str | None
    agent_name: str | None
    call_id: str | None
    call_ended_at: datetime
    survey_id: int
    score: int
    customer_text: str
    evidence: str | None
    cause: str
    reason_at: datetime
    text: str
    decider_id: str | None
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    decided_cause: str | None
    final: bool
    review_requested_at: datetime | None
    review_text: str | None
    panel: tuple[PanelSeat, ...] = ()

    @property
    def pending(self) -> bool:
        """Still waiting for someone (申诉中)."""
        return self.status in PENDING_APPEAL_STATUSES

    @property
    def reviewable(self) -> bool:
        """The agent may still ask the admin for the second review."""
        return self.status == AppealStatus.REJECTED and not self.final and self.review_requested_at is None


def _cases() -> Select:
    return (select(Appeal, Agent.name, Call.external_id, Call.ended_at, Survey.id, Rating.score, Reason.text,
                   Reason.evidence, Reason.cause, Reason.created_at)
            .join(Reason, Reason.id == Appeal.reason_id)
            .join(Rating, Rating.id == Reason.rating_id)
            .join(Survey, Survey.id == Rating.survey_id)
            .join(Call, Call.id == Survey.call_id)
            .join(Agent, Agent.id == Appeal.agent_id))


def _case(s: Session, row, with_panel: bool = True) -> AppealCase:
    a, name, call_id, ended, survey_id, score, ctext, evidence, cause, reason_at = row
    panel: tuple[PanelSeat, ...] = ()
    if with_panel and a.mode == AppealMode.PANEL:
        panel = tuple(PanelSeat(p.reviewer_id, p.vote, p.cause, p.note) for p in s.scalars(
            select(AppealPanelist).where(AppealPanelist.appeal_id == a.id).order_by(AppealPanelist.id)))
    return AppealCase(a.id, a.status, a.mode, a.created_at, a.due_at, a.escalation, a.escalated_at, a.agent_id, name,
                      call_id, ended, survey_id, score, ctext, evidence, cause, reason_at, a.text, a.decider_id,
                      a.decided_at, a.decided_by, a.decision_note, a.decided_cause, a.final, a.review_requested_at,
                      a.review_text, panel)


def load_case(s: Session, appeal_id: int) -> AppealCase | None:
    """The appeal ``appeal_id`` in full (not blind), or None."""
    row = s.execute(_cases().where(Appeal.id == appeal_id)).first()
    return _case(s, row) if row else None


def viewer_of(case: AppealCase, user_id: str, role: str) -> Viewer | None:
    """How ``user_id`` may see ``case``, or None when they may not see it at all.

    A panel member sees their case blind even when they are also an admin:
    a panel vote must not know whose appeal it is.
    """
    if case.agent_id == user_id:
        return Viewer.AGENT
    if any(seat.reviewer_id == user_id for seat in case.panel):
        return Viewer.PANELIST
    if role == Role.ADMIN:
        return Viewer.ADMIN
    if case.mode == AppealMode.SUPERVISOR and case.decider_id == user_id:
        return Viewer.SUPERVISOR
    return None


def blind(case: AppealCase, user_id: str) -> AppealCase:
    """A panel member's copy: no agent, no call id, no decider, only their own seat."""
    return replace(case, agent_id=None, agent_name=None, call_id=None, decider_id=None, decided_by=None,
                   panel=tuple(p for p in case.panel if p.reviewer_id == user_id))


def to_decide(s: Session, user_id: str, role: str) -> list[AppealCase]:
    """The appeals waiting for ``user_id``: as supervisor, as panel member (not yet voted), as admin; oldest first.

    Panel members' cases are blind.
    """
    seat = aliased(AppealPanelist)
    mine = [Appeal.decider_id == user_id]
    stmt = (_cases().outerjoin(seat, (seat.appeal_id == Appeal.id) & (seat.reviewer_id == user_id))
            .where(Appeal.status == AppealStatus.OPEN,
                   or_(*mine, (seat.id.is_not(None)) & seat.vote.is_(None)))
            .order_by(Appeal.due_at, Appeal.id))
    cases = []
    for row in s.execute(stmt):
        case = _case(s, row)
        cases.append(blind(case, user_id) if viewer_of(case, user_id, role) == Viewer.PANELIST else case)
    if role == Role.ADMIN:
        cases += [c for c in admin_queue(s) if c.id not in {x.id for x in cases} and c.agent_id != user_id]
    return cases


def admin_queue(s: Session) -> list[AppealCase]:
    """Escalated appeals and second reviews, the admin's to decide; oldest first."""
    stmt = (_cases().where(Appeal.status.in_((AppealStatus.ESCALATED, AppealStatus.REVIEW)))
            .order_by(Appeal.escalated_at.is_(None), Appeal.escalated_at, Appeal.review_requested_at, Appeal.id))
    return [_case(s, row) for row in s.execute(stmt)]


def agent_appeals(s: Session, agent_id: str, limit: int = 200) -> list[AppealCase]:
    """The agent's own appeals, newest first (without the panel's seats)."""
    stmt = _cases().where(Appeal.agent_id == agent_id).order_by(Appeal.created_at.desc(), Appeal.id.desc()).limit(limit)
    return [replace(_case(s, row, with_panel=False), decider_id=None) for row in s.execute(stmt)]


def open_appeals(s: Session, limit: int = 500) -> list[AppealCase]:
    """Every appeal still waiting (open, escalated, in review), oldest first: the admin's overview."""
    stmt = (_cases().where(Appeal.status.in_(PENDING_APPEAL_STATUSES)).order_by(Appeal.created_at, Appeal.id)
            .limit(limit))
    return [_case(s, row, with_panel=False) for row in s.execute(stmt)]


@dataclass(frozen=True)
class KpiEffect:
    """The agent's attributed CSAT in the month of the appealed call, with and without the rating.

    ``with_rating`` counts it as the agent's (staff_low); ``without_rating`` does not. ``counted`` says which
    one holds now. None ratios: no satisfied or staff-low ratings at all.
    """

    period: str
    with_rating: float | None
    without_rating: float | None
    counted: bool


def kpi_effect(s: Session, case: AppealCase, *, tz: str, min_sample: int) -> KpiEffect | None:
    """The KPI before/after of ``case`` for its agent (None for a blind copy or an unknown agent)."""
    if case.agent_id is None:
        return None
    label = as_utc(case.call_ended_at).astimezone(ZoneInfo(tz)).strftime("%Y-%m")
    try:
        counts = score_period(s, parse_period(label), tz=tz, min_sample=min_sample).rows(agent_id=case.agent_id)[0].counts
    except UnknownEntity:
        return None
    bucket = s.scalar(select(SurveyFact.bucket).where(SurveyFact.survey_id == case.survey_id))
    counted = bucket == STAFF_LOW
    if counted:
        with_it, without = counts, counts.replace(staff_low=counts.staff_low - 1)
    else:
        with_it, without = counts.replace(staff_low=counts.staff_low + 1), counts
    return KpiEffect(label, with_it.attributed_csat, without.attributed_csat, counted)


def sits_on_panel_of_survey(s: Session, user_id: str, survey_id: int) -> bool:
    """Whether ``user_id`` was drawn for the panel of an appeal on any reason of survey ``survey_id``.

    Such a person sees the survey blind wherever it is shown (no agent, no call id), as on the appeal page.
    """
    stmt = (select(AppealPanelist.id).join(Appeal, Appeal.id == AppealPanelist.appeal_id)
            .join(Reason, Reason.id == Appeal.reason_id).join(Rating, Rating.id == Reason.rating_id)
            .where(AppealPanelist.reviewer_id == user_id, Rating.survey_id == survey_id).limit(1))
    return s.scalar(stmt) is not None
