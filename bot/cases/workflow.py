"""Opening, routing, escalating and answering complaint and follow-up cases.

Every function takes an open session whose transaction the caller owns and
the time ``now``; every change writes an ``audit_log`` row (entity ``case``)
in the same transaction, so the case page can show each step with the
deadline it set.

Why cases are opened by a job and not inside the turn: the flag's writers
(``turns.write_changes``, ``importing.bulk_store``) hold no settings, and the
one-writer rule keeps them about the survey's own rows. The job reads every
flag without a case each minute (:func:`do_open_cases_for_new_flags`), so a
flag from any writer gets its case; the unique key on ``cases.flag_id`` makes
a second run, or two workers at once, open nothing twice; and the deadline
counts from the flag's own time, so the minute's lag moves no deadline.

Routing (回避): the first level is the supervisor of the call's team, unless
that supervisor is the credited agent (or the team has none): then the case
starts one level up. Levels above the first are handled by every admin but
the credited agent. The credited agent never sees the case.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.cases import regulators
from bot.cases.policy import Level, parse_levels
from bot.clock import as_utc
from bot.db.audit import audit
from bot.db.cases import RUNNING, Case
from bot.db.models import Agent, Call, Flag, Survey
from bot.db.staff import Team
from bot.domain import FlagKind, NotificationKind, Role
from bot.notifications import inbox
from bot.notifications.inbox import do_notify
from bot.settings import Settings

DEFAULT_LEVELS: tuple[Level, ...] = parse_levels(Settings.model_fields["case_levels"].default)
DEFAULT_TZ = "Asia/Shanghai"
CASE_KINDS = (FlagKind.COMPLAINT.value, FlagKind.FOLLOWUP.value)
MAX_NOTE = 2000
SYSTEM = "system"


@dataclass(frozen=True)
class Refusal:
    """Why a handler's action was not taken (a key of ``bot.web.messages.CASE_REFUSALS``)."""

    code: str


# --- routing -------------------------------------------------------------------------

def route(s: Session, level: int, team_id: int | None, credited: str) -> tuple[int, str | None]:
    """The level and handler a case goes to when it should be at ``level``.

    Returns:
        ``(level, handler_id)``: the team's supervisor at level 0 unless they are
        the credited agent (then level 1); ``None`` above level 0 (every admin
        but the credited agent).
    """
    if level == 0:
        supervisor = s.scalar(select(Team.supervisor_id).where(Team.id == team_id)) if team_id else None
        if supervisor is not None and supervisor != credited:
            return 0, supervisor
        level = 1
    return level, None


def handlers_of(s: Session, case: Case) -> list[str]:
    """Who must act on ``case`` now: its named handler, or every admin but the credited agent."""
    if case.handler_id is not None:
        return [case.handler_id]
    return list(s.scalars(select(Agent.id).where(Agent.role == Role.ADMIN, Agent.id != case.credited_agent_id)
                          .order_by(Agent.id)))


def _regulator_end(case: Case, tz: ZoneInfo) -> datetime | None:
    """The end of the regulator's last day (UTC), if the case has a regulator clock."""
    if case.regulator_due is None:
        return None
    return datetime.combine(case.regulator_due + timedelta(days=1), time(0), tz).astimezone(ZoneInfo("UTC"))


def _deadline(start: datetime, level: Level, regulator_end: datetime | None) -> datetime:
    """The level's deadline from ``start``, never after the regulator's (while that lies ahead)."""
    due = as_utc(start) + level.window
    if regulator_end is not None and as_utc(start) < regulator_end < due:
        return regulator_end
    return due


# --- opening -------------------------------------------------------------------------

def do_open_cases_for_new_flags(s: Session, now: datetime, *, levels: Sequence[Level] = DEFAULT_LEVELS,
                                tz: str = DEFAULT_TZ) -> list[Case]:
    """Open a case for every complaint or follow-up flag that has none; returns the cases opened.

    Idempotent: a flag with a case is skipped, and a case another worker
    opened meanwhile is left to it (the savepoint rolls back only that one).
    """
    zone = ZoneInfo(tz)
    flags = s.execute(
        select(Flag, Call.credited_agent_id, Call.team_id)
        .join(Survey, Survey.id == Flag.survey_id).join(Call, Call.id == Survey.call_id)
        .outerjoin(Case, Case.flag_id == Flag.id)
        .where(Case.id.is_(None), Flag.kind.in_(CASE_KINDS)).order_by(Flag.id)).all()
    opened = []
    for flag, credited, team_id in flags:
        try:
            with s.begin_nested():
                opened.append(_open(s, flag, credited, team_id, now, levels, zone))
        except IntegrityError:
            continue  # another worker opened this flag's case
    return opened


def _open(s: Session, flag: Flag, credited: str, team_id: int | None, now: datetime, levels: Sequence[Level],
          zone: ZoneInfo) -> Case:
    received = as_utc(flag.created_at)
    regulator = regulators.named_regulator(flag.text)
    start = 1 if regulator is not None else 0  # a customer who names a regulator starts one level higher
    level, handler = route(s, min(start, len(levels) - 1), team_id, credited)
    case = Case(flag_id=flag.id, survey_id=flag.survey_id, kind=flag.kind, credited_agent_id=credited,
                team_id=team_id, level=level, handler_id=handler, status="open", opened_at=received,
                due_at=received, regulator=regulator.code if regulator else None,
                regulator_due=regulators.due_date(regulator, received.astimezone(zone).date()) if regulator else None)
    case.due_at = _deadline(received, levels[level], _regulator_end(case, zone))
    s.add(case)
    s.flush()
    audit(s, at=now, actor=SYSTEM, entity="case", entity_id=case.id, action="opened", flag=flag.id,
          level=level, level_name=levels[level].name, handler=handler, due_at=case.due_at.isoformat(),
          regulator=case.regulator, regulator_due=case.regulator_due.isoformat() if case.regulator_due else None,
          why="regulator_named" if regulator else None)
    _notify(s, case, NotificationKind.CASE_ASSIGNED, f"新案件 #{case.id} 已分派到{levels[level].name}，请及时处理", now)
    return case


# --- escalation ----------------------------------------------------------------------

def do_escalate_overdue_cases(s: Session, now: datetime, *, levels: Sequence[Level] = DEFAULT_LEVELS,
                              tz: str = DEFAULT_TZ) -> list[Case]:
    """Move every unanswered case past its deadline up the levels; returns the cases moved.

    A case late by more than one level's window (the worker was down) climbs
    as many levels as it would have, each step audited with the deadline that
    passed; each new deadline counts from the one before, so the chain keeps
    its timing. A case at the last level stays there, shown as overdue.
    """
    zone = ZoneInfo(tz)
    last = len(levels) - 1
    moved = []
    for case in s.scalars(select(Case).where(Case.status.in_(RUNNING), Case.due_at <= now, Case.level < last)
                          .order_by(Case.id).with_for_update(skip_locked=True)):
        while case.level < last and as_utc(case.due_at) <= now:
            passed, old_level = as_utc(case.due_at), case.level
            case.level, case.handler_id = route(s, case.level + 1, case.team_id, case.credited_agent_id)
            case.due_at = _deadline(passed, levels[case.level], _regulator_end(case, zone))
            audit(s, at=now, actor=SYSTEM, entity="case", entity_id=case.id, action="escalated",
                  from_level=old_level, level=case.level, level_name=levels[case.level].name,
                  missed_due_at=passed.isoformat(), due_at=case.due_at.isoformat(), handler=case.handler_id)
            _notify(s, case, NotificationKind.CASE_ESCALATED,
                    f"案件 #{case.id} 超时未回复，已升级到{levels[case.level].name}", now)
        moved.append(case)
    s.flush()
    return moved


# --- a handler's actions -------------------------------------------------------------

def may_handle(s: Session, case: Case, agent_id: str, role: str) -> bool:
    """Whether this staff member may act on ``case``: never its credited agent; its handler or an admin."""
    if agent_id == case.credited_agent_id:
        return False
    return role == Role.ADMIN or case.handler_id == agent_id


def may_see(s: Session, case: Case, agent_id: str, role: str) -> bool:
    """Whether this staff member may see ``case``: admins all, supervisors their teams' and their own."""
    if agent_id == case.credited_agent_id:
        return False
    if role == Role.ADMIN or case.handler_id == agent_id:
        return True
    return role == Role.SUPERVISOR and case.team_id is not None and s.scalar(
        select(Team.supervisor_id).where(Team.id == case.team_id)) == agent_id


#: action -> statuses it may be taken from, and the status it leaves.
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "acknowledge": (("open",), "acknowledged"),
    "answer": (("open", "acknowledged", "answered"), "answered"),
    "resolve": (("open", "acknowledged", "answered"), "resolved"),
}


def act(s: Session, case: Case, action: str, *, actor: str, role: str, now: datetime,
        note: str = "") -> Refusal | None:
    """Acknowledge, answer (with a note) or resolve ``case``; returns why not, or None when done.

    Acknowledging says someone has it; only an answer (or resolving) stops the
    deadline, so an acknowledged case still escalates when nobody answers.
    """
    if action not in ACTIONS:
        return Refusal("unknown_action")
    if not may_handle(s, case, actor, role):
        return Refusal("not_handler")
    allowed_from, new_status = ACTIONS[action]
    if case.status not in allowed_from:
        return Refusal("wrong_status")
    note = (note or "").strip()
    if action == "answer" and not note:
        return Refusal("empty_note")
    if len(note) > MAX_NOTE:
        return Refusal("note_too_long")
    old = case.status
    case.status = new_status
    if action == "acknowledge":
        case.acknowledged_at, case.acknowledged_by = now, actor
    elif action == "answer":
        case.answered_at, case.answered_by, case.answer_note = now, actor, note
    else:
        case.resolved_at, case.resolved_by = now, actor
    audit(s, at=now, actor=f"staff:{actor}", entity="case", entity_id=case.id, action=action, old=old,
          new=new_status, note=note or None)
    s.flush()
    return None


# --- notifications -------------------------------------------------------------------

def _notify(s: Session, case: Case, kind: NotificationKind, text: str, now: datetime) -> None:
    """Tell every person who must act on ``case`` (our own words only, never the customer's)."""
    do_notify(s, kind=kind, recipients=handlers_of(s, case), text=text, now=now, link=f"/cases/{case.id}",
              case_id=case.id)


def unread_count(s: Session, agent_id: str) -> int:
    """Unread inbox entries of ``agent_id`` (every kind, not only cases)."""
    return inbox.unread_count(s, agent_id)


def mark_read(s: Session, agent_id: str, case_id: int, now: datetime) -> None:
    """Mark ``agent_id``'s entries about ``case_id`` read (they opened the case)."""
    inbox.do_mark_read(s, agent_id, now, case_id=case_id)


def regulator_clock(case: Case, today: date) -> tuple[regulators.Regulator, date, int, bool] | None:
    """The case's regulator, due date, working days left and whether the calendar knows the year."""
    if case.regulator is None or case.regulator_due is None:
        return None
    reg = regulators.BY_CODE[case.regulator]
    return (reg, case.regulator_due, regulators.working_days_left(today, case.regulator_due),
            regulators.calendar_knows(case.regulator_due.year))
