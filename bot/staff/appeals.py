"""Agents' appeals against a staff attribution: filing, who decides, deadlines, outcomes, the second review.

The life of an appeal (``AppealStatus``)::

    filed ──► open ──(supervisor / panel majority)──► upheld | rejected ──(agent asks once)──► review ──► final
                │                                                                             (admin)
                └──(overdue, split panel, no decider)──► escalated ──(admin, final)──► upheld | rejected

* Filing: within ``window_days`` of the attribution being recorded (the
  reason's ``created_at``: the moment it appeared on the agent's page), once
  per reason, with a reason text.
* Deciding: the supervisor of the call's team (``AppealMode.SUPERVISOR``)
  or a blind panel of reviewers, strict majority (``AppealMode.PANEL``,
  conflicts of interest in ``bot.staff.appeal_panel``); due within
  ``deadline_workdays`` Chinese working days (``bot.staff.workdays``).
* Upheld: the rating leaves the agent's attributed KPI at once
  (``bot.ledger.per_survey.UPHELD_APPEALS``) and the decider's cause (never a
  staff cause) becomes the current reason, written through the one writer
  with source ``appeal``. Rejected: the agent may ask once for the admin's
  review; the admin's answer is final (an escalated appeal's answer is the
  admin's already, so it is final at once).

Every write is a ``do_*`` function that runs in the caller's transaction
and audits each step. Lock order, everywhere: the survey row
(``turns.load_by_id``) before the appeal row, so a vote, a decision and the
escalation job queue up on the same appeal instead of deadlocking.
"""
from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.conversation import turns
from bot.db.audit import audit
from bot.db.models import Agent, Call, Rating, Reason, Survey
from bot.db.staff import Appeal, AppealPanelist, Team
from bot.domain import (
    ATTRIBUTION,
    CAUSES,
    PENDING_APPEAL_STATUSES,
    AppealMode,
    AppealStatus,
    AppealVote,
    Attribution,
    NotificationKind,
    ReasonSource,
    Role,
)
from bot.ledger import fact_table
from bot.ledger.counting import is_counted_rating, is_current_reason
from bot.ledger.per_survey import is_low, is_staff_attributed
from bot.notifications.inbox import do_notify
from bot.settings import Settings
from bot.staff import appeal_panel, workdays
from zhtext.clean import clean_text, has_forbidden
from zhtext.redact import redact

log = logging.getLogger(__name__)

MAX_APPEAL_CHARS = 1000
#: Causes an upheld appeal may give: any but a staff cause (upheld means the agent is not to blame).
UPHOLD_CAUSES: tuple[str, ...] = tuple(c for c in CAUSES if ATTRIBUTION[c] != Attribution.STAFF)


@dataclass(frozen=True)
class AppealPolicy:
    """The centre's appeal rules (``FEEDBACKBOT_APPEAL_*`` settings)."""

    window_days: int = 7
    mode: AppealMode = AppealMode.SUPERVISOR
    panel_size: int = 3
    deadline_workdays: int = 3
    tz: str = "Asia/Shanghai"

    @classmethod
    def from_settings(cls, settings: Settings) -> AppealPolicy:
        """The policy the settings describe."""
        return cls(settings.appeal_window_days, AppealMode(settings.appeal_mode), settings.appeal_panel_size,
                   settings.appeal_deadline_workdays, settings.timezone)


# --- notifications -------------------------------------------------------------------

#: What each notification says (ids only: never the customer's words, nor the agent's name, which a blind
#: panel must not learn from a group chat either).
_TEXTS = {
    NotificationKind.APPEAL_TO_DECIDE: "申诉 #{id} 等待你决定，请在期限内处理",
    NotificationKind.APPEAL_ESCALATED: "申诉 #{id} 已转交管理员决定（{why}）",
    NotificationKind.APPEAL_DECIDED: "你的申诉 #{id} 已有结果：{outcome}",
}
_WHY = {"overdue": "超过决定期限", "split": "评审小组意见不一", "no_decider": "没有可回避利益冲突的决定人"}


def _notify(s: Session, recipients: list[str], kind: NotificationKind, appeal: Appeal, now: datetime,
            **words: str) -> None:
    """Tell ``recipients`` about ``appeal`` through the one notification writer, in the caller's transaction."""
    do_notify(s, kind=kind, recipients=recipients, text=_TEXTS[kind].format(id=appeal.id, **words), now=now,
              link=f"/appeals/{appeal.id}", appeal_id=appeal.id)


def _admins(s: Session) -> list[str]:
    return list(s.scalars(select(Agent.id).where(Agent.role == Role.ADMIN).order_by(Agent.id)))


# --- filing -------------------------------------------------------------------------

class AppealRefusal(StrEnum):
    """Why an appeal (or a request for review) was not stored."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_FOUND = "not_found"  # no such reason among the agent's own standing staff attributions
    DUPLICATE = "duplicate"  # this reason already has an appeal
    CONTROL_CHARACTERS = "control_characters"  # NUL or another control character (tab and line breaks are fine)
    WINDOW_CLOSED = "window_closed"  # more than window_days since the attribution was recorded
    NOT_REVIEWABLE = "not_reviewable"  # not a first-instance rejection, or a review was already asked


@dataclass(frozen=True)
class AppealResult:
    """The stored appeal, or why none was stored."""

    appeal: Appeal | None
    refusal: AppealRefusal | None = None


def window_closes(recorded_at: datetime, policy: AppealPolicy) -> datetime:
    """When the filing window of an attribution recorded at ``recorded_at`` closes."""
    return as_utc(recorded_at) + timedelta(days=policy.window_days)


def _appealable_reason(s: Session, agent_id: str, reason_id: int) -> tuple[Reason, int | None] | None:
    """The reason and its call's team, if it is the current reason of a counted 1–3 of one of the agent's calls
    and blames staff.

    Locks the reason row (PostgreSQL) so two simultaneous appeals on it queue up.
    """
    stmt = (select(Reason, Call.team_id).select_from(Reason)
            .join(Rating, and_(Rating.id == Reason.rating_id, is_counted_rating()))
            .join(Survey, Survey.id == Rating.survey_id)
            .join(Call, Call.id == Survey.call_id)
            .where(Reason.id == reason_id, Call.credited_agent_id == agent_id, is_current_reason(),
                   is_low(), is_staff_attributed())
            .with_for_update(of=Reason))
    row = s.execute(stmt).first()
    return (row[0], row[1]) if row else None


def _text_refusal(text: str) -> AppealRefusal | None:
    if not text:
        return AppealRefusal.EMPTY
    return AppealRefusal.TOO_LONG if len(text) > MAX_APPEAL_CHARS else None


def do_file_appeal(s: Session, *, agent_id: str, reason_id: int, text: str, now: datetime, policy: AppealPolicy,
                   rng: random.Random | None = None) -> AppealResult:
    """Store an open appeal of ``agent_id`` against staff reason ``reason_id`` and give it its decider.

    Transaction: the caller's; locks the reason row (PostgreSQL), adds the
    appeal, its panel rows and audit rows. Refused when the text holds a
    control character other than tab and line breaks, when it is empty or
    too long, when the reason is not a standing staff attribution of one of
    the agent's own counted ratings (the same answer whether it exists or
    not), when the window has closed, or when the reason already has an
    appeal (any status: an agent appeals a reason once).

    The decider: in supervisor mode the supervisor of the call's team; in
    panel mode ``policy.panel_size`` reviewers drawn without conflicts. With
    nobody to decide (no supervisor, the supervisor labelled it, too few
    eligible reviewers) the appeal goes to the admin at once.
    """
    if has_forbidden(text, multiline=True):
        return AppealResult(None, AppealRefusal.CONTROL_CHARACTERS)
    text = clean_text(text or "", multiline=True).strip()  # line breaks stored as \n
    refusal = _text_refusal(text)
    if refusal:
        return AppealResult(None, refusal)
    found = _appealable_reason(s, agent_id, reason_id)
    if found is None:
        return AppealResult(None, AppealRefusal.NOT_FOUND)
    reason, call_team_id = found
    if now >= window_closes(reason.created_at, policy):
        return AppealResult(None, AppealRefusal.WINDOW_CLOSED)
    if s.scalar(select(Appeal.id).where(Appeal.reason_id == reason_id).limit(1)) is not None:
        return AppealResult(None, AppealRefusal.DUPLICATE)
    due_at = workdays.deadline(now, policy.deadline_workdays, policy.tz)
    appeal = Appeal(reason_id=reason_id, agent_id=agent_id, text=redact(text), status=AppealStatus.OPEN,
                    created_at=now, mode=policy.mode, due_at=due_at)
    s.add(appeal)
    s.flush()
    audit(s, at=now, actor=f"agent:{agent_id}", entity="appeal", entity_id=appeal.id, action="created",
          reason=reason_id, status=AppealStatus.OPEN.value, mode=policy.mode.value, due_at=due_at.isoformat())
    labelled_by = appeal_panel.labeller(s, reason.id, reason.source)
    c = appeal_panel.conflicts(s, agent_id=agent_id, call_team_id=call_team_id, labelled_by=labelled_by)
    _ASSIGN[policy.mode](s, appeal, c, now, policy, rng)
    fact_table.refresh_facts(s, s.scalars(select(Rating.survey_id).where(Rating.id == reason.rating_id)))
    return AppealResult(appeal)


def _assign_supervisor(s: Session, appeal: Appeal, c: appeal_panel.Conflicts, now: datetime,
                       _policy: AppealPolicy, _rng: random.Random | None) -> None:
    call_team = s.scalar(select(Team.supervisor_id).join(Call, Call.team_id == Team.id)
                         .join(Survey, Survey.call_id == Call.id).join(Rating, Rating.survey_id == Survey.id)
                         .join(Reason, Reason.rating_id == Rating.id).where(Reason.id == appeal.reason_id))
    supervisor = call_team or next(iter(sorted(c.supervisors)), None)
    if supervisor is None or supervisor in (c.labeller, c.agent_id):
        _escalate(s, appeal, "no_decider", now)
        return
    appeal.decider_id = supervisor
    audit(s, at=now, actor="system", entity="appeal", entity_id=appeal.id, action="assigned", decider=supervisor)
    _notify(s, [supervisor], NotificationKind.APPEAL_TO_DECIDE, appeal, now)


def _assign_panel(s: Session, appeal: Appeal, c: appeal_panel.Conflicts, now: datetime, policy: AppealPolicy,
                  rng: random.Random | None) -> None:
    members = appeal_panel.draw(appeal_panel.eligible(s, c), policy.panel_size, rng)
    if members is None:
        _escalate(s, appeal, "no_decider", now)
        return
    for member in members:
        s.add(AppealPanelist(appeal_id=appeal.id, reviewer_id=member, drawn_at=now))
    audit(s, at=now, actor="system", entity="appeal", entity_id=appeal.id, action="panel_drawn", panel=members,
          excluded=sorted(c.excluded()))
    _notify(s, members, NotificationKind.APPEAL_TO_DECIDE, appeal, now)


_ASSIGN: dict[AppealMode, Callable[..., None]] = {AppealMode.SUPERVISOR: _assign_supervisor,
                                                   AppealMode.PANEL: _assign_panel}


# --- deciding -------------------------------------------------------------------------

class DecisionRefusal(StrEnum):
    """Why a decision or vote was not taken."""

    NOT_ALLOWED = "not_allowed"  # not this person's appeal to decide (now)
    BAD_CAUSE = "bad_cause"  # upholding needs a non-staff cause
    ALREADY = "already"  # this panel member has voted
    TOO_LONG = "too_long"


def _lock(s: Session, appeal_id: int) -> tuple[Appeal, int] | None:
    """Lock the appeal's survey row, then the appeal row (the module's lock order); the appeal and survey id."""
    survey_id = s.scalar(select(Rating.survey_id).join(Reason, Reason.rating_id == Rating.id)
                         .join(Appeal, Appeal.reason_id == Reason.id).where(Appeal.id == appeal_id))
    if survey_id is None:
        return None
    turns.load_by_id(s, survey_id)  # takes the survey row lock
    appeal = s.scalar(select(Appeal).where(Appeal.id == appeal_id).with_for_update())
    return (appeal, survey_id) if appeal is not None else None


def _check_outcome(upheld: bool, cause: str | None, note: str | None) -> DecisionRefusal | None:
    if upheld and cause not in UPHOLD_CAUSES:
        return DecisionRefusal.BAD_CAUSE
    if note and len(note) > MAX_APPEAL_CHARS:
        return DecisionRefusal.TOO_LONG
    return None


def _apply(s: Session, appeal: Appeal, survey_id: int, *, upheld: bool, cause: str | None, note: str | None,
           actor: str, now: datetime, final: bool) -> None:
    """Record the outcome on the locked appeal; on upholding, the decider's cause as the current reason."""
    appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
    appeal.decided_at, appeal.decided_by = now, actor
    appeal.decision_note = redact(note.strip()) if note and note.strip() else None
    appeal.decided_cause = cause if upheld else None
    appeal.final = final
    s.flush()
    audit(s, at=now, actor=actor, entity="appeal", entity_id=appeal.id, action=appeal.status,
          cause=appeal.decided_cause, final=final, stage="review" if appeal.review_requested_at else "first")
    if upheld and cause is not None:
        _write_cause(s, appeal, survey_id, cause, actor, now)
    fact_table.refresh_facts(s, [survey_id])
    outcome = "申诉成立" if upheld else "申诉未成立"
    _notify(s, [appeal.agent_id], NotificationKind.APPEAL_DECIDED, appeal, now,
            outcome=outcome + ("（最终决定）" if final else ""))


def _write_cause(s: Session, appeal: Appeal, survey_id: int, cause: str, actor: str, now: datetime) -> None:
    """The decider's cause as a new reason of the appealed rating, through the one writer (when it still counts)."""
    d = turns.load_by_id(s, survey_id)
    rating = d.counted() if d is not None else None
    appealed_rating = s.scalar(select(Reason.rating_id).where(Reason.id == appeal.reason_id))
    if d is None or rating is None or rating.id != appealed_rating or not rating.reasons:
        # The customer changed their score since: the upheld appeal still keeps the old rating out.
        return
    d.record_reason(rating, rating.reasons[-1].text, cause=cause, attribution=ATTRIBUTION[cause],
                    source=ReasonSource.APPEAL, now=now, actor=actor)
    turns.write_changes(s, d, now, channel_secret=None)


def do_decide_appeal(s: Session, *, appeal_id: int, decider_id: str, role: str, upheld: bool, cause: str | None,
                     note: str | None, now: datetime) -> DecisionRefusal | None:
    """The supervisor's decision on an open appeal, or the admin's on an escalated one or a second review.

    Transaction: the caller's; locks the survey row then the appeal row
    (see the module), writes the outcome, the new reason (upheld) and audit
    rows, refreshes the survey's KPI facts. The admin's decision is final.

    Returns:
        None when decided, else why not.
    """
    locked = _lock(s, appeal_id)
    if locked is None:
        return DecisionRefusal.NOT_ALLOWED
    appeal, survey_id = locked
    stage = decision_stage(appeal, decider_id, role)
    if stage is None:
        return DecisionRefusal.NOT_ALLOWED
    refusal = _check_outcome(upheld, cause, note)
    if refusal:
        return refusal
    actor = f"{'admin' if stage != 'supervisor' else 'supervisor'}:{decider_id}"
    _apply(s, appeal, survey_id, upheld=upheld, cause=cause, note=note, actor=actor, now=now,
           final=stage != "supervisor")
    return None


class _Decidable(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def decider_id(self) -> str | None: ...
    @property
    def agent_id(self) -> str | None: ...


def decision_stage(appeal: _Decidable, user_id: str, role: str) -> str | None:
    """Which decision ``user_id`` may take on ``appeal`` now: ``supervisor``, ``escalated``, ``review`` or None."""
    if appeal.status == AppealStatus.OPEN and appeal.mode == AppealMode.SUPERVISOR and appeal.decider_id == user_id:
        return "supervisor"
    if role == Role.ADMIN and appeal.agent_id != user_id:
        return {AppealStatus.ESCALATED: "escalated", AppealStatus.REVIEW: "review"}.get(AppealStatus(appeal.status))
    return None


def do_vote(s: Session, *, appeal_id: int, reviewer_id: str, vote: AppealVote, cause: str | None,
            note: str | None, now: datetime) -> DecisionRefusal | None:
    """A panel member's vote; decides the appeal on a strict majority, escalates a split panel to the admin.

    Transaction: the caller's; locks the survey row then the appeal row, so
    two members voting at once are counted one after the other.
    """
    locked = _lock(s, appeal_id)
    if locked is None:
        return DecisionRefusal.NOT_ALLOWED
    appeal, survey_id = locked
    panel = list(s.scalars(select(AppealPanelist).where(AppealPanelist.appeal_id == appeal_id)
                           .order_by(AppealPanelist.id)))
    seat = next((p for p in panel if p.reviewer_id == reviewer_id), None)
    if seat is None or appeal.status != AppealStatus.OPEN:
        return DecisionRefusal.NOT_ALLOWED
    if seat.vote is not None:
        return DecisionRefusal.ALREADY
    uphold = vote == AppealVote.UPHOLD
    refusal = _check_outcome(uphold, cause, note)
    if refusal:
        return refusal
    seat.vote, seat.cause, seat.voted_at = vote, cause if uphold else None, now
    seat.note = redact(note.strip()) if note and note.strip() else None
    s.flush()
    audit(s, at=now, actor=f"reviewer:{reviewer_id}", entity="appeal", entity_id=appeal.id, action="voted",
          vote=vote.value, cause=seat.cause)
    result = appeal_panel.tally(panel)
    if result.outcome is not None:
        upheld, chosen = result.outcome
        _apply(s, appeal, survey_id, upheld=upheld, cause=chosen, note=None, actor="panel", now=now, final=False)
    elif result.split:
        _escalate(s, appeal, "split", now)
    return None


def do_request_review(s: Session, *, appeal_id: int, agent_id: str, text: str, now: datetime) -> AppealRefusal | None:
    """The agent asks the admin to review a rejection, once; the admin's answer will be final.

    Transaction: the caller's; locks the survey row then the appeal row.
    Only the appeal's own agent, only a first-instance rejection (not one
    already final), only once.
    """
    text = (text or "").strip()
    refusal = _text_refusal(text)
    if refusal:
        return refusal
    locked = _lock(s, appeal_id)
    if locked is None or locked[0].agent_id != agent_id:
        return AppealRefusal.NOT_FOUND
    appeal, survey_id = locked
    if appeal.status != AppealStatus.REJECTED or appeal.final or appeal.review_requested_at is not None:
        return AppealRefusal.NOT_REVIEWABLE
    appeal.status, appeal.review_requested_at, appeal.review_text = AppealStatus.REVIEW, now, redact(text)
    s.flush()
    audit(s, at=now, actor=f"agent:{agent_id}", entity="appeal", entity_id=appeal.id, action="review_requested")
    fact_table.refresh_facts(s, [survey_id])
    _notify(s, _admins(s), NotificationKind.APPEAL_TO_DECIDE, appeal, now)
    return None


# --- escalation -------------------------------------------------------------------------

def _escalate(s: Session, appeal: Appeal, why: str, now: datetime) -> None:
    appeal.status, appeal.escalated_at, appeal.escalation = AppealStatus.ESCALATED, now, why
    s.flush()
    audit(s, at=now, actor="system", entity="appeal", entity_id=appeal.id, action="escalated", why=why)
    _notify(s, _admins(s), NotificationKind.APPEAL_ESCALATED, appeal, now, why=_WHY.get(why, why))


def do_escalate_overdue_appeals(s: Session, now: datetime) -> int:
    """Send every open appeal past its deadline to the admin; returns how many.

    Transaction: the caller's; each appeal is locked (survey row, then
    appeal row) and re-checked, so a decision taken meanwhile wins.
    """
    ids = list(s.scalars(select(Appeal.id).where(Appeal.status == AppealStatus.OPEN, Appeal.due_at < now)
                         .order_by(Appeal.id)))
    done = 0
    for appeal_id in ids:
        locked = _lock(s, appeal_id)
        if locked is None:
            continue
        appeal, _survey = locked
        if appeal.status == AppealStatus.OPEN and appeal.due_at is not None and as_utc(appeal.due_at) < now:
            _escalate(s, appeal, "overdue", now)
            done += 1
    return done


#: Periodic work, registered with the job runner at merge: (name, every_minutes, function(s, now)).
PERIODIC = [("escalate_overdue_appeals", 15, do_escalate_overdue_appeals)]


def is_pending(status: str) -> bool:
    """The appeal still waits for someone (申诉中)."""
    return status in PENDING_APPEAL_STATUSES
