"""One customer's words and identity: found, exported, erased; and every customer's, past the retention period.

China's PIPL (and the GDPR abroad) give a customer the right to see what we
hold about them and to have it erased, and oblige a centre to keep personal
data no longer than needed. What is personal here is free text (replies,
reasons, flags, transcripts, receipts' pending reasons, channel messages)
and channel identities. What the KPIs need is not: scores, causes,
attributions, statuses and the audit trail (which never holds content) stay,
so every scoring figure of any period is the same before and after.

A customer is found by their channel identity: the keyed hash of
``customer_channel_id`` that calls, the opt-out list and channel messages
keep (and the raw id of calls from before channels existed).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, or_, select, update
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from bot.conversation import optouts
from bot.db.audit import audit
from bot.db.channels import InboundMessage, OutboundMessage
from bot.db.chat import ChatMessage
from bot.db.models import Call, Flag, Rating, Reason, Survey
from bot.db.receipts import MessageReceipt

ERASED = ""  # what a removed free text becomes (the columns are NOT NULL)


@dataclass
class Found:
    """What one customer's identity leads to (counts only, never content, in what is printed or audited)."""

    surveys: list[int] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _calls_of(channel_id: str, secret: str) -> Select:
    key = optouts.channel_hash(channel_id, secret)
    return select(Call.id).where(or_(Call.channel_hash == key, Call.customer_channel_id == channel_id.strip()))


def find(s: Session, channel_id: str, secret: str) -> Found:
    """The surveys of the customer with ``channel_id``."""
    rows = s.execute(select(Survey.id, Survey.token).where(Survey.call_id.in_(_calls_of(channel_id, secret)))).all()
    return Found(surveys=[r.id for r in rows], tokens=[r.token for r in rows])


def export(s: Session, channel_id: str, secret: str) -> dict[str, Any]:
    """Everything we hold about one customer (the right of access), as JSON-ready values."""
    found = find(s, channel_id, secret)
    key = optouts.channel_hash(channel_id, secret)
    out: dict[str, Any] = {"channel_identity_hash": key, "surveys": []}
    for sid in found.surveys:
        survey = s.get_one(Survey, sid)
        ratings = s.scalars(select(Rating).where(Rating.survey_id == sid).order_by(Rating.id)).all()
        out["surveys"].append({
            "call": survey.call.external_id, "call_ended_at": survey.call.ended_at.isoformat(),
            "channel": survey.call.channel, "status": survey.status,
            "ratings": [{"score": r.score, "reply": r.raw_reply, "at": r.received_at.isoformat(), "status": r.status,
                         "reasons": [{"text": x.text, "cause": x.cause, "source": x.source}
                                     for x in s.scalars(select(Reason).where(Reason.rating_id == r.id)
                                                        .order_by(Reason.id))]}
                        for r in ratings],
            "transcript": [{"sender": m.sender, "text": m.text, "at": m.created_at.isoformat()}
                           for m in s.scalars(select(ChatMessage).where(ChatMessage.survey_id == sid)
                                              .order_by(ChatMessage.id))],
        })
    out["channel_messages"] = [{"text": m.text, "at": m.received_at.isoformat()} for m in s.scalars(
        select(InboundMessage).where(InboundMessage.channel_hash == key).order_by(InboundMessage.id))]
    out["opted_out"] = optouts.is_opted_out(s, channel_id, secret)
    return out


def _scrub(s: Session, survey_ids: list[int], counts: dict[str, int]) -> None:
    """Remove the free text of ``survey_ids`` (scores, causes, statuses and the audit trail stay)."""
    if not survey_ids:
        return
    rating_ids = select(Rating.id).where(Rating.survey_id.in_(survey_ids))
    steps = {
        "ratings": update(Rating).where(Rating.survey_id.in_(survey_ids), Rating.raw_reply != ERASED)
        .values(raw_reply=ERASED),
        "reasons": update(Reason).where(Reason.rating_id.in_(rating_ids), or_(Reason.text != ERASED,
                                                                              Reason.evidence.is_not(None)))
        .values(text=ERASED, evidence=None),
        "flags": update(Flag).where(Flag.survey_id.in_(survey_ids), Flag.text != ERASED).values(text=ERASED),
        "surveys": update(Survey).where(Survey.id.in_(survey_ids), Survey.pending_reason.is_not(None))
        .values(pending_reason=None),
        "transcript_messages": delete(ChatMessage).where(ChatMessage.survey_id.in_(survey_ids)),
        "receipts": delete(MessageReceipt).where(MessageReceipt.survey_id.in_(survey_ids)),
    }
    for name, statement in steps.items():
        counts[name] = counts.get(name, 0) + int(s.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def do_erase(s: Session, channel_id: str, secret: str, *, now: datetime, actor: str,
             tracker: Session | None = None) -> Found:
    """Erase one customer's words and identity everywhere we store them; audited without content.

    Runs in the caller's transaction (and ``tracker``'s, Rasa's SQL tracker
    store, when given: its events of the customer's conversations are
    deleted). The opt-out list keeps its entry (a hash, no content): erasing
    a customer must not start surveying them again.
    """
    found = find(s, channel_id, secret)
    key = optouts.channel_hash(channel_id, secret)
    _scrub(s, found.surveys, found.counts)
    found.counts["channel_messages"] = int(s.execute(delete(InboundMessage).where(
        InboundMessage.channel_hash == key)).rowcount or 0)  # type: ignore[attr-defined]
    found.counts["outbound_messages"] = int(s.execute(update(OutboundMessage).where(
        OutboundMessage.channel_hash == key).values(text=ERASED, channel_masked=None)).rowcount or 0)  # type: ignore[attr-defined]
    found.counts["identities"] = int(s.execute(update(Call).where(Call.id.in_(_calls_of(channel_id, secret)))
                                      .values(customer_channel_id=None, channel_masked=None)).rowcount or 0)  # type: ignore[attr-defined]
    if tracker is not None and found.tokens:
        statement = sql("DELETE FROM events WHERE sender_id IN :tokens").bindparams(
            bindparam("tokens", expanding=True))
        found.counts["tracker_events"] = int(tracker.execute(statement, {"tokens": found.tokens}).rowcount or 0)  # type: ignore[attr-defined]
    audit(s, at=now, actor=actor, entity="privacy", entity_id=key[:16], action="erased",
          survey_count=len(found.surveys), **found.counts)
    return found


def do_purge_older_than(s: Session, cutoff: datetime, *, now: datetime) -> dict[str, int]:
    """Remove the free text of every call that ended before ``cutoff`` (the retention job); audited with counts."""
    survey_ids = list(s.scalars(select(Survey.id).join(Call, Call.id == Survey.call_id)
                                .where(Call.ended_at < cutoff)))
    counts: dict[str, int] = {}
    for i in range(0, len(survey_ids), 500):
        _scrub(s, survey_ids[i:i + 500], counts)
    counts["channel_messages"] = int(s.execute(delete(InboundMessage).where(
        InboundMessage.received_at < cutoff)).rowcount or 0)  # type: ignore[attr-defined]
    audit(s, at=now, actor="system", entity="privacy", entity_id="retention", action="purged",
          cutoff=cutoff.isoformat(), survey_count=len(survey_ids), **counts)
    return counts
