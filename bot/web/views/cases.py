"""Context of the case pages: a case as a handler reads it (Chinese labels, local times, the two clocks)."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases import workflow
from bot.cases.policy import Level
from bot.clock import as_utc
from bot.conversation import transcripts
from bot.db.cases import RUNNING, Case
from bot.db.models import Agent, AuditLog, Flag, Survey
from bot.db.staff import Team
from bot.web import display, messages
from bot.web.formatting import local_time


def _span(delta_s: float) -> str:
    """A duration in words: ``2天3小时``, ``5小时``, ``40分钟``."""
    minutes = int(abs(delta_s) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    return f"{hours}小时" if hours else f"{mins}分钟"


def _name(s: Session, agent_id: str | None) -> str:
    if agent_id is None:
        return messages.CASE_POOL_HANDLER
    agent = s.get(Agent, agent_id)
    return (agent.name or agent.id) if agent else agent_id


def case_row(s: Session, case: Case, levels: tuple[Level, ...], now: datetime, tz: str) -> dict[str, Any]:
    """One case as the list and the details show it."""
    due = as_utc(case.due_at)
    running = case.status in RUNNING
    left = (due - now).total_seconds()
    row: dict[str, Any] = {
        "id": case.id, "kind": messages.CASE_KIND_NAMES.get(case.kind, case.kind),
        "level": case.level, "level_name": levels[min(case.level, len(levels) - 1)].name,
        "handler": _name(s, case.handler_id), "status": case.status,
        "status_name": messages.CASE_STATUS_NAMES[case.status], "agent": _name(s, case.credited_agent_id),
        "team": s.scalar(select(Team.name).where(Team.id == case.team_id)) if case.team_id else "—",
        "opened": local_time(case.opened_at, tz), "due": local_time(due, tz), "running": running,
        "overdue": running and left <= 0,
        "left": (f"已超时{_span(left)}" if left <= 0 else f"还剩{_span(left)}") if running else "",
        "regulator": None,
    }
    clock = workflow.regulator_clock(case, now.astimezone(ZoneInfo(tz)).date())
    if clock is not None:
        reg, due_day, days_left, known = clock
        when = f"{due_day.year}年{due_day.month}月{due_day.day}日"
        unit = "个工作日" if reg.working_days else "天（自然日）"
        if days_left > 0:
            state = f"还剩{days_left}个工作日"
        elif days_left == 0:
            state = "今天到期"
        else:
            state = f"已超期{-days_left}个工作日"
        row["regulator"] = {"name": reg.name, "due": when, "state": state, "rule": reg.rule,
                            "clock": f"{reg.days}{unit}", "late": days_left < 0,
                            "calendar_note": None if known else f"{due_day.year}年放假安排尚未收录，暂按周一至周五计算"}
    return row


def case_details(s: Session, case: Case, levels: tuple[Level, ...], now: datetime, tz: str) -> dict[str, Any]:
    """The case page: the row, the customer's words, the conversation and every step."""
    flag = s.get(Flag, case.flag_id)
    survey = s.get(Survey, case.survey_id)
    steps = []
    for a in s.scalars(select(AuditLog).where(AuditLog.entity == "case", AuditLog.entity_id == str(case.id))
                       .order_by(AuditLog.id)):
        data = a.data or {}
        detail = []
        if "level_name" in data:
            detail.append(f"级别：{data['level_name']}")
        if data.get("due_at"):
            detail.append(f"回复期限：{local_time(datetime.fromisoformat(data['due_at']), tz)}")
        if a.action in ("opened", "escalated"):
            detail.append(f"处理人：{_name(s, data.get('handler'))}")
        if data.get("why") == "regulator_named":
            detail.append("客户提到监管部门，提高一级立案")
        if data.get("note"):
            detail.append(f"说明：{data['note']}")
        actor = "系统" if a.actor == workflow.SYSTEM else _name(s, a.actor.removeprefix("staff:"))
        steps.append({"at": local_time(a.at, tz), "action": messages.CASE_ACTION_NAMES.get(a.action, a.action),
                      "actor": actor, "detail": "；".join(detail)})
    transcript = [{"sender": "客户" if m.sender == "customer" else "机器人", "text": m.text,
                   "at": local_time(m.created_at, tz)} for m in (transcripts.history(s, survey) if survey else [])]
    call = survey.call if survey else None
    return {"case": case_row(s, case, levels, now, tz), "words": flag.text if flag else "",
            "channel": display.channel_name(call.channel) if call else "—",
            "masked": call.channel_masked if call else None, "survey_id": survey.id if survey else None,
            "flag_at": local_time(flag.created_at, tz) if flag else "", "note": case.answer_note,
            "transcript": transcript, "steps": steps}
