"""Context of the survey page (/surveys/{id}): one survey as staff read it.

The channel and the customer's masked identity, the call, the agent, every
score with why it counts or not (the agent list's rules,
``bot.scoring.agent_feedback.survey_feedback``), the history of each reason
(model, customer, reviewer, appeal) and the redacted transcript. A blind
viewer (an appeal panel member) gets no agent, team, call id or staff names:
they are left out here, before anything reaches the template.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation import transcripts
from bot.db.cases import Case
from bot.db.models import Agent, AuditLog, Flag, Rating, Reason
from bot.db.staff import Appeal, Team
from bot.scoring.agent_feedback import survey_feedback
from bot.web import display, messages
from bot.web.access import SurveyAccess
from bot.web.formatting import local_time

#: Audit actors written as ``role:agent_id`` (a reviewer's label, an appeal's decider, an admin's adjudication).
_STAFF_PREFIXES = ("reviewer:", "admin:", "supervisor:", "staff:", "agent:")


def _who(s: Session, actor: str | None) -> str | None:
    """A staff actor's name (``reviewer:R1`` → 孙审核); None for the customer, the model and the system."""
    if not actor or not actor.startswith(_STAFF_PREFIXES):
        return None
    agent_id = actor.split(":", 1)[1]
    agent = s.get(Agent, agent_id)
    return (agent.name or agent.id) if agent else agent_id


def _reason_history(s: Session, rating_ids: list[int], tz: str, names: bool) -> dict[int, list[dict[str, Any]]]:
    """Every reason of ``rating_ids``, oldest first, with who set it and their note (only when ``names``)."""
    reasons = list(s.scalars(select(Reason).where(Reason.rating_id.in_(rating_ids)).order_by(Reason.id)))
    audits: dict[str, dict[str, AuditLog]] = {}
    if reasons:
        for a in s.scalars(select(AuditLog).where(AuditLog.entity == "reason",
                                                  AuditLog.entity_id.in_([str(r.id) for r in reasons]))
                           .order_by(AuditLog.id)):
            audits.setdefault(a.entity_id, {})[a.action] = a
    history: dict[int, list[dict[str, Any]]] = {}
    for r in reasons:
        created = audits.get(str(r.id), {}).get("created")
        reviewed = audits.get(str(r.id), {}).get("reviewed")
        note = (reviewed.data or {}).get("note") if reviewed else None
        history.setdefault(r.rating_id, []).append({
            "at": local_time(r.created_at, tz), "source": display.REASON_SOURCE_NAMES.get(r.source, r.source),
            "source_code": r.source, "cause": r.cause, "attribution": display.ATTRIBUTION_NAMES.get(r.attribution),
            "confidence": r.confidence, "model_version": r.model_version, "evidence": r.evidence, "text": r.text,
            "needs_review": r.needs_review, "model_cause": r.model_cause if r.model_cause != r.cause else None,
            "by": _who(s, created.actor if created else None) if names else None,
            "note": note if names else None,
        })
    for reasons_of in history.values():
        reasons_of[-1]["current"] = True
    return history


def survey_context(s: Session, access: SurveyAccess, tz: str, *, staff_names: bool) -> dict[str, Any]:
    """Everything the survey page shows of ``access.survey`` (blind: nothing that names the agent or staff).

    ``staff_names``: whether the viewer may see who labelled a reason and their note (not the agent whose
    survey it is: the people who judge them are not named to them, as on the appeal page).
    """
    survey, call, blind = access.survey, access.call, access.blind
    items = survey_feedback(s, survey.id)
    history = _reason_history(s, [i.rating_id for i in items], tz, staff_names and not blind)
    agent = None if blind else s.get(Agent, call.credited_agent_id)
    team = None if blind or call.team_id is None else s.scalar(select(Team.name).where(Team.id == call.team_id))
    appeals = list(s.scalars(select(Appeal).join(Reason, Reason.id == Appeal.reason_id)
                             .join(Rating, Rating.id == Reason.rating_id)
                             .where(Rating.survey_id == survey.id).order_by(Appeal.id)))
    flags = list(s.scalars(select(Flag).where(Flag.survey_id == survey.id).order_by(Flag.id)))
    cases = {c.flag_id: c.id for c in s.scalars(select(Case).where(Case.survey_id == survey.id))}
    transcript = [{"sender": "客户" if m.sender == "customer" else "机器人", "customer": m.sender == "customer",
                   "text": m.text, "at": local_time(m.created_at, tz)} for m in transcripts.history(s, survey)]
    return {
        "survey": survey, "blind": blind,
        "channel": display.channel_name(call.channel), "channel_code": call.channel,
        "masked": call.channel_masked,
        "call_id": None if blind else call.external_id,
        "ended_at": local_time(call.ended_at, tz), "sent_at": local_time(survey.sent_at, tz),
        "status": display.SURVEY_STATUS_NAMES.get(survey.status, survey.status),
        "agent": None if agent is None else {"id": agent.id, "name": agent.name or agent.id}, "team": team,
        "items": [(i, display.RATING_STATUS_NAMES.get(rating_status(i), ""), history.get(i.rating_id, []))
                  for i in items],
        "time": lambda v: local_time(v, tz),
        "appeals": [{"id": a.id, "status": display.APPEAL_STATUS_NAMES.get(a.status, a.status)} for a in appeals],
        "flags": [{"kind": messages.CASE_KIND_NAMES.get(f.kind, f.kind), "text": f.text,
                   "at": local_time(f.created_at, tz), "case_id": cases.get(f.id)} for f in flags],
        "transcript": transcript,
    }


def rating_status(item) -> str:
    """The stored status of a feedback item's rating (``valid`` for every counted or attributable one)."""
    return {"late": "late", "corrected": "corrected", "opted_out": "opted_out"}.get(item.status, "valid")
