"""What the appeal pages show: the decision page of one appeal, the lists to decide, the agent's own appeals.

A panel member's context is built from the blind copy of the case
(``bot.staff.appeal_cases.blind``): the agent's name and id never reach the template.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.domain import AppealMode
from bot.settings import Settings
from bot.staff import appeal_cases
from bot.staff.appeal_cases import AppealCase, Viewer
from bot.staff.appeals import UPHOLD_CAUSES, AppealPolicy, decision_stage, window_closes
from bot.web import display
from bot.web.formatting import local_time


def stage_text(case: AppealCase) -> str:
    """The state of ``case`` in words (等待主管决定, 已升级至管理员 …)."""
    text = display.APPEAL_STAGE_NAMES.get(case.status, case.status)
    return text.format(who=display.APPEAL_DECIDERS.get(case.mode, ""))


def appeal_context(s: Session, settings: Settings, case: AppealCase, viewer: Viewer, user_id: str,
                   role: str) -> dict[str, Any]:
    """The decision page of ``case`` as ``viewer`` sees it (a panel member: blind)."""
    tz = settings.timezone
    shown = appeal_cases.blind(case, user_id) if viewer == Viewer.PANELIST else case
    seat = next((p for p in shown.panel if p.reviewer_id == user_id), None) if viewer == Viewer.PANELIST else None
    # The decision form: the deciding supervisor, the admin on an escalated appeal or a second review.
    can_decide = viewer != Viewer.PANELIST and decision_stage(case, user_id, role) is not None
    can_vote = (viewer == Viewer.PANELIST and seat is not None and seat.vote is None
                and case.status == "open" and case.mode == AppealMode.PANEL)
    effect = (appeal_cases.kpi_effect(s, case, tz=tz, min_sample=settings.min_sample)
              if viewer != Viewer.PANELIST else None)
    return {
        "case": shown, "viewer": viewer.value, "stage": stage_text(case), "can_decide": can_decide,
        "can_vote": can_vote, "seat": seat, "can_review": viewer == Viewer.AGENT and case.reviewable,
        "uphold_causes": UPHOLD_CAUSES, "effect": effect, "time": lambda v: local_time(v, tz) if v else "—",
        "due": lambda v: deadline_time(v, tz), "workdays": settings.appeal_deadline_workdays,
    }


def deadline_time(value, tz: str) -> str:
    """A deadline at midnight shown as the last minute of the day it closes (``2026-12-10 23:59``)."""
    return local_time(as_utc(value) - timedelta(minutes=1), tz) if value else "—"


def my_appeals_context(s: Session, settings: Settings, agent_id: str) -> dict[str, Any]:
    """The agent's own appeals for /me, with their state and KPI before/after."""
    tz = settings.timezone
    cases = appeal_cases.agent_appeals(s, agent_id)
    return {"my_appeals": [(c, stage_text(c), appeal_cases.kpi_effect(s, c, tz=tz, min_sample=settings.min_sample))
                           for c in cases],
            "due": lambda v: deadline_time(v, tz)}


def within_window(item_reason_at, settings: Settings, now) -> bool:
    """Whether an attribution recorded at ``item_reason_at`` may still be appealed at ``now``."""
    return item_reason_at is not None and now < window_closes(item_reason_at, AppealPolicy.from_settings(settings))
