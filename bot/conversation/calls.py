"""Calls and their surveys: registering an ended call (which opens its survey) and finding a survey.

Every function takes an open session from the caller (``with Session(engine)
as s, s.begin():``) and writes an audit row for each change it makes. What a
conversation stores (ratings, reasons, flags, statuses) is written only by the
one effect applier, ``bot.conversation.records``.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import as_utc, utcnow
from bot.conversation import optouts
from bot.db.audit import audit
from bot.db.models import Agent, Call, CallAgent, Survey
from bot.db.upsert import insert_or_ignore
from bot.domain import SurveyStatus
from bot.ledger.teams import team_at


class CallConflict(ValueError):
    """The same call id was posted again with different details.

    Attributes:
        field: The request field that differs (``agent_ids``, ``ended_at``,
            ``credited_agent_id``, ``customer_channel_id``).
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CallRequest:
    """What the telephony integration tells us when a call ends."""

    call_id: str
    agent_ids: list[str]
    ended_at: datetime
    customer_channel_id: str | None = None
    credited_agent_id: str | None = None
    channel: str = "web"
    channel_masked: str | None = None  # the identity as staff may see it (the channel adapter masks it)

    @property
    def credited(self) -> str:
        """The agent whose KPI the survey touches: the override, else the last agent."""
        return self.credited_agent_id or self.agent_ids[-1]


def _ensure_agent(s: Session, agent_id: str, now: datetime) -> None:
    if insert_or_ignore(s, Agent, ["id"], {"id": agent_id, "created_at": now}, Agent.id) is not None:
        audit(s, at=now, actor="integration", entity="agent", entity_id=agent_id, action="created")


def _hash(req: CallRequest, secret: str | None) -> str | None:
    """The keyed hash under which the call keeps the customer's channel identity (the opt-out list's key)."""
    if not req.customer_channel_id:
        return None
    if secret is None:
        raise ValueError("a call with a customer channel id needs the channel secret (Settings.session_secret)")
    return optouts.channel_hash(req.customer_channel_id, secret)


def call_channel_hash(call: Call, secret: str | None) -> str | None:
    """The call's identity hash; calls registered before channels kept the raw id, hashed here."""
    if call.channel_hash or not call.customer_channel_id:
        return call.channel_hash
    return optouts.channel_hash(call.customer_channel_id, secret) if secret is not None else None


def _differing_field(call: Call, req: CallRequest, secret: str | None) -> str | None:
    """The first detail of ``req`` that differs from the registered ``call``, or None."""
    known = {
        "agent_ids": [ca.agent_id for ca in call.agents],
        "ended_at": as_utc(call.ended_at),
        "credited_agent_id": call.credited_agent_id,
        "customer_channel_id": call_channel_hash(call, secret),
        "channel": call.channel,
    }
    asked = {"agent_ids": list(req.agent_ids), "ended_at": as_utc(req.ended_at), "credited_agent_id": req.credited,
             "customer_channel_id": _hash(req, secret), "channel": req.channel}
    return next((name for name, value in known.items() if asked[name] != value), None)


def register_call(
    s: Session, req: CallRequest, *, window_minutes: int, template_version: str, now: datetime | None = None,
    channel_secret: str | None = None,
) -> tuple[Survey, bool]:
    """Record an ended call and open its survey; idempotent on the call id, safe under concurrency.

    The call row is inserted with ``ON CONFLICT DO NOTHING`` (``bot.db.upsert``),
    so simultaneous registrations of one call id yield one call, and every
    other request gets that call's survey.

    Args:
        s: Open session.
        req: The call as reported by the integration.
        window_minutes: How long the survey accepts replies, from when it is sent.
        template_version: Version of the greeting shown to the customer.
        now: Clock override for tests.
        channel_secret: Key of the identity hash (``Settings.session_secret``); needed when the request
            names a customer channel id, which is stored only as that hash.

    Returns:
        ``(survey, created)``; ``created`` is False when the call was already known.

    Raises:
        CallConflict: the credited agent is not on the call, or the call id
            exists with different details (``CallConflict.field`` names which).
    """
    now = as_utc(now or utcnow())  # SQLite keeps the wall time and drops the zone: store UTC
    credited = req.credited
    if credited not in req.agent_ids:
        raise CallConflict("credited_agent_id", f"credited agent {credited} did not take part in call {req.call_id}")
    existing = s.scalar(select(Call).where(Call.external_id == req.call_id))
    if existing is None:
        survey = _insert_call(s, req, window_minutes=window_minutes, template_version=template_version, now=now,
                              channel_hash=_hash(req, channel_secret))
        if survey is not None:
            return survey, True
        existing = s.scalar(select(Call).where(Call.external_id == req.call_id))  # inserted concurrently
        assert existing is not None, "ON CONFLICT skipped the insert, so the call exists"
    field = _differing_field(existing, req, channel_secret)
    if field is not None:
        raise CallConflict(field, f"call {req.call_id} is already registered with a different {field}")
    assert existing.survey is not None, "every registered call has a survey"
    return existing.survey, False


def _insert_call(s: Session, req: CallRequest, *, window_minutes: int, template_version: str,
                 now: datetime, channel_hash: str | None) -> Survey | None:
    """Insert the call, its agents and its survey; None when another request inserted the call first."""
    for agent_id in dict.fromkeys(req.agent_ids):
        _ensure_agent(s, agent_id, now)
    call_pk = insert_or_ignore(s, Call, ["external_id"], {
        # SQLite keeps the wall time and drops the zone: store UTC so period bounds compare right.
        "external_id": req.call_id, "ended_at": as_utc(req.ended_at), "customer_channel_id": None,
        "channel": req.channel, "channel_hash": channel_hash, "channel_masked": req.channel_masked,
        "credited_agent_id": req.credited, "team_id": team_at(s, req.credited, req.ended_at),
        "created_at": now}, Call.id)
    if call_pk is None:
        return None
    call = s.get_one(Call, call_pk)
    call.agents = [CallAgent(agent_id=a, position=i) for i, a in enumerate(req.agent_ids)]
    s.flush()
    audit(s, at=now, actor="integration", entity="call", entity_id=call.id, action="created",
          external_id=req.call_id, agents=list(req.agent_ids), credited=req.credited)
    survey = Survey(
        token=secrets.token_urlsafe(16),
        call_id=call.id,
        template_version=template_version,
        sent_at=now,
        expires_at=now + timedelta(minutes=window_minutes),
        status=SurveyStatus.PENDING,
        created_at=now,
    )
    s.add(survey)
    s.flush()
    audit(s, at=now, actor="integration", entity="survey", entity_id=survey.id, action="created",
          token=survey.token, expires_at=survey.expires_at.isoformat())
    return survey


MAX_TOKEN_CHARS = 64
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_TOKEN_CHARS}}}")  # secrets.token_urlsafe's alphabet


def is_token(token: str) -> bool:
    """True when ``token`` could be a survey token (anything else, NUL included, is unknown without a query)."""
    return bool(_TOKEN.fullmatch(token))


def survey_by_token(s: Session, token: str) -> Survey | None:
    """The survey with chat token ``token``, or None."""
    return s.scalar(select(Survey).where(Survey.token == token))
