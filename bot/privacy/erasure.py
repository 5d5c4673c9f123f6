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

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.channels.identity import IdentityError, mask_mobile, mask_openid, normalize_mobile
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
    key: str = ""  # the identity's keyed hash (what the audit rows name, by its first 16 characters)


#: The longest identity a call can carry (``calls.customer_channel_id``).
MAX_IDENTITY_CHARS = 128
# Typed like a telephone number: digits with the usual separators, or a leading "+".
_PHONE_LIKE = re.compile(r"^[+\d\s\-().]{5,}$")
_OPENID_LIKE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class CustomerIdentity:
    """A customer's channel identity as an admin or operator typed it, read.

    Attributes:
        value: What calls were registered with: the 11 national digits of a
            mobile number, an openid, or a web messaging id as given.
        kind: ``sms``, ``wechat`` or ``web`` (how it was read; a web call may carry any id).
        masked: The form shown back to staff (``139****0123``), never the value.
    """

    value: str
    kind: str
    masked: str


def read_identity(raw: str) -> CustomerIdentity:
    """Read a typed channel identity: a mobile number in any written form, an openid, or a web messaging id.

    Raises:
        IdentityError: empty, too long, or typed like a telephone number but not
            a valid mainland mobile number (``message_zh`` says which).
    """
    text = (raw or "").strip()
    if not text:
        raise IdentityError("empty identity", "请输入客户的手机号码、微信 openid 或网页会话标识")
    if len(text) > MAX_IDENTITY_CHARS or any(ord(c) < 32 for c in text):
        raise IdentityError("identity too long or with control characters",
                            f"标识不正确：最多 {MAX_IDENTITY_CHARS} 个字符，不能含控制字符")
    if _PHONE_LIKE.match(text) and sum(c.isdigit() for c in text) >= 5:
        mobile = normalize_mobile(text)
        return CustomerIdentity(mobile, "sms", mask_mobile(mobile))
    if _OPENID_LIKE.match(text):
        return CustomerIdentity(text, "wechat", mask_openid(text))
    masked = f"{text[:2]}…{text[-2:]}" if len(text) >= 8 else "*" * len(text)
    return CustomerIdentity(text, "web", masked)


def _calls_of(channel_id: str, secret: str) -> Select:
    key = optouts.channel_hash(channel_id, secret)
    return select(Call.id).where(or_(Call.channel_hash == key, Call.customer_channel_id == channel_id.strip()))


def find(s: Session, channel_id: str, secret: str) -> Found:
    """The surveys of the customer with ``channel_id``."""
    rows = s.execute(select(Survey.id, Survey.token).where(Survey.call_id.in_(_calls_of(channel_id, secret)))).all()
    return Found(surveys=[r.id for r in rows], tokens=[r.token for r in rows],
                 key=optouts.channel_hash(channel_id, secret))


def preview(s: Session, channel_id: str, secret: str) -> Found:
    """What :func:`do_erase` would remove for ``channel_id``, counted per kind (reads only, no content).

    The counts use the same conditions as the erasure, so after an erasure
    every count is 0 while the (anonymous) surveys are still found.
    """
    found = find(s, channel_id, secret)
    key = optouts.channel_hash(channel_id, secret)
    ids = found.surveys or [-1]
    rating_ids = select(Rating.id).where(Rating.survey_id.in_(ids))

    def count(model: Any, *where: Any) -> int:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    found.counts = {
        "ratings": count(Rating, Rating.survey_id.in_(ids), Rating.raw_reply != ERASED),
        "reasons": count(Reason, Reason.rating_id.in_(rating_ids),
                         or_(Reason.text != ERASED, Reason.evidence.is_not(None))),
        "flags": count(Flag, Flag.survey_id.in_(ids), Flag.text != ERASED),
        "surveys": count(Survey, Survey.id.in_(ids), Survey.pending_reason.is_not(None)),
        "transcript_messages": count(ChatMessage, ChatMessage.survey_id.in_(ids)),
        "receipts": count(MessageReceipt, MessageReceipt.survey_id.in_(ids)),
        "channel_messages": count(InboundMessage, InboundMessage.channel_hash == key),
        "outbound_messages": count(OutboundMessage, OutboundMessage.channel_hash == key,
                                   or_(OutboundMessage.text != ERASED, OutboundMessage.channel_masked.is_not(None))),
        "identities": count(Call, Call.id.in_(_calls_of(channel_id, secret)),
                            or_(Call.customer_channel_id.is_not(None), Call.channel_masked.is_not(None))),
    }
    return found


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


def do_export(s: Session, channel_id: str, secret: str, *, now: datetime, actor: str) -> dict[str, Any]:
    """:func:`export`, with an audit row of who read it (counts, never content).

    Runs in the caller's transaction: the audit row commits with it.
    """
    held = export(s, channel_id, secret)
    audit(s, at=now, actor=actor, entity="privacy", entity_id=held["channel_identity_hash"][:16], action="exported",
          survey_count=len(held["surveys"]), channel_messages=len(held["channel_messages"]))
    return held


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


def do_erase(s: Session, channel_id: str, secret: str, *, now: datetime, actor: str, why: str | None = None) -> Found:
    """Erase one customer's words and identity from our tables; audited without content.

    Runs in the caller's transaction. The opt-out list keeps its entry (a
    hash, no content): erasing a customer must not start surveying them
    again. Rasa's tracker store is another database, Rasa's: the caller
    erases ``found.tokens`` there after committing
    (:func:`bot.privacy.tracker.erase_conversations`). The audit row holds
    counts, a prefix of the identity's keyed hash and the actor's ``why``.
    """
    found = find(s, channel_id, secret)
    key = optouts.channel_hash(channel_id, secret)
    _scrub(s, found.surveys, found.counts)
    found.counts["channel_messages"] = int(s.execute(delete(InboundMessage).where(
        InboundMessage.channel_hash == key)).rowcount or 0)  # type: ignore[attr-defined]
    found.counts["outbound_messages"] = int(s.execute(update(OutboundMessage).where(
        OutboundMessage.channel_hash == key,
        or_(OutboundMessage.text != ERASED, OutboundMessage.channel_masked.is_not(None)))
        .values(text=ERASED, channel_masked=None)).rowcount or 0)  # type: ignore[attr-defined]
    found.counts["identities"] = int(s.execute(update(Call).where(
        Call.id.in_(_calls_of(channel_id, secret)),
        or_(Call.customer_channel_id.is_not(None), Call.channel_masked.is_not(None)))
        .values(customer_channel_id=None, channel_masked=None)).rowcount or 0)  # type: ignore[attr-defined]
    extra = {"why": why} if why else {}
    audit(s, at=now, actor=actor, entity="privacy", entity_id=key[:16], action="erased",
          survey_count=len(found.surveys), **found.counts, **extra)
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
