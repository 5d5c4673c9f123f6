"""The periodic sweep: live surveys whose customer stopped answering are finished by the dialogue core's rule.

A survey left half-way (the customer never chose whose fault it was, never
confirmed a contradicted score, or never answered at all) would otherwise
stay open for ever, and its uncertain reason would never reach a reviewer.
The job runner calls :func:`sweep_idle` every few minutes; each survey idle
past the bound is locked, loaded and finished exactly as the import finishes
a row (``bot.dialogue.engine.finish``), with actor ``system`` in the audit trail.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation import turns
from bot.conversation.records import finish_turn
from bot.db.models import Survey
from bot.dialogue.turn import Classify
from bot.domain import OPEN_SURVEY_STATUSES

ACTOR = "system"


def idle_surveys(s: Session, *, now: datetime, idle_after: timedelta, limit: int) -> list[int]:
    """Ids of open surveys sent more than ``idle_after`` before ``now``, oldest first (at most ``limit``)."""
    return list(s.scalars(select(Survey.id).where(Survey.status.in_(OPEN_SURVEY_STATUSES),
                                                  Survey.sent_at <= now - idle_after)
                          .order_by(Survey.sent_at, Survey.id).limit(limit)))


def sweep_idle(s: Session, *, now: datetime, idle_after: timedelta, classify: Classify, limit: int = 500) -> int:
    """Finish every open survey idle past ``idle_after``; returns how many were finished.

    Runs in the caller's transaction. Each survey row is locked before it is
    loaded (PostgreSQL), so a customer's turn arriving at the same moment
    waits and then sees the survey closed; a survey a turn closed meanwhile
    is skipped.

    Args:
        s: Open session; the caller owns the transaction.
        now: The sweep's time (UTC).
        idle_after: How long after it was sent a survey still open counts as abandoned
            (default setting: the survey window plus 30 minutes).
        classify: Cause classifier, for a reason still awaiting the customer's choice.
        limit: Most surveys finished in one call (the job runs again soon).
    """
    finished = 0
    for survey_id in idle_surveys(s, now=now, idle_after=idle_after, limit=limit):
        d = turns.load_by_id(s, survey_id)
        if d is None or d.status not in OPEN_SURVEY_STATUSES:
            continue
        finish_turn(d, now, classify, actor=ACTOR)
        turns.write_changes(s, d, now, channel_secret=None)
        finished += 1
    return finished
