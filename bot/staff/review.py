"""Reviewers' decisions on queue items: label, skip, bulk confirm, adjudicate (each audited).

A label is a ``review_labels`` row. The item is *decided* (a new reason row
with source ``reviewer``, written through the one writer
``bot.conversation.records.SurveyRecord`` with the reviewer and the note in
the audit trail, the KPI facts refreshed in the same transaction) when

* the item is single-review: at its first label;
* the item is double-review (a share of items, ``Settings.review_double_share``,
  chosen by a hash of the item so every process agrees): when a second
  reviewer, who never saw the first label, gives the same cause; two
  different causes send it to the admin's adjudication list.

The caller opens the session and owns the transaction.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from bot.conversation import turns
from bot.conversation.records import SurveyRecord
from bot.db.audit import audit
from bot.db.models import Agent, Call, Rating, Reason, Survey
from bot.db.review import ReviewLabel
from bot.domain import ATTRIBUTION, CAUSES, ReasonSource
from bot.ledger.counting import is_current_reason
from bot.staff.review_queue import QueueItem

MAX_NOTE_CHARS = 500
MAX_EVIDENCE_CHARS = 200


class Outcome(StrEnum):
    """What a label did."""

    DECIDED = "decided"  # the reviewer reason is written
    AWAITING_SECOND = "awaiting_second"  # a double-review item waits for a second, blind label
    ADJUDICATION = "adjudication"  # two labels disagree: the admin decides
    SKIPPED = "skipped"


class Refusal(StrEnum):
    """Why nothing was stored."""

    UNKNOWN_CAUSE = "unknown_cause"
    GONE = "gone"  # not a current reason any more (someone decided it, or the customer changed it)
    ALREADY = "already"  # this reviewer labelled or skipped it before
    NOTE_TOO_LONG = "note_too_long"
    EVIDENCE_NOT_IN_TEXT = "evidence_not_in_text"
    NOT_ADJUDICABLE = "not_adjudicable"


@dataclass(frozen=True)
class LabelResult:
    outcome: Outcome | None = None
    refusal: Refusal | None = None
    reason_id: int | None = None  # the reviewer reason written, when decided


def is_double(item_id: int, share: float) -> bool:
    """Whether item ``item_id`` goes to two reviewers: a stable hash of the id below ``share``."""
    if share <= 0:
        return False
    digest = hashlib.blake2b(str(item_id).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < share


def _survey_of(s: Session, reason_id: int) -> int | None:
    return s.scalar(select(Rating.survey_id).join(Reason, Reason.rating_id == Rating.id)
                    .where(Reason.id == reason_id))


def _clean(note: str | None, evidence: str | None, text: str) -> tuple[str | None, str | None, Refusal | None]:
    note = (note or "").strip() or None
    evidence = (evidence or "").strip() or None
    if note and len(note) > MAX_NOTE_CHARS:
        return None, None, Refusal.NOTE_TOO_LONG
    if evidence and (len(evidence) > MAX_EVIDENCE_CHARS or evidence not in text):
        return None, None, Refusal.EVIDENCE_NOT_IN_TEXT
    return note, evidence, None


def _current(d: SurveyRecord | None, reason_id: int) -> bool:
    """Whether ``reason_id`` is the current reason of the counted rating of the loaded record ``d``."""
    rating = d.counted() if d is not None else None
    return rating is not None and bool(rating.reasons) and rating.reasons[-1].id == reason_id


def _write_reason(s: Session, d: SurveyRecord, original: Reason, *, cause: str, evidence: str | None,
                  note: str | None, actor: str, now: datetime, **audit_data) -> int | None:
    """The decision: a reviewer reason superseding ``original`` through the one writer (``d`` loaded and locked)."""
    rating = d.counted()
    assert rating is not None
    person = original.source != ReasonSource.MODEL
    new = d.record_reason(
        rating, original.text, cause=cause, attribution=ATTRIBUTION[cause], source=ReasonSource.REVIEWER,
        now=now, model_version=original.model_version, evidence=evidence, actor=actor,
        model_cause=original.model_cause if person else original.cause,
        model_confidence=original.model_confidence if person else original.confidence)
    d.audit(now, actor, "reason", new, "reviewed", item=original.id, note=note, **audit_data)
    turns.write_changes(s, d, now, channel_secret=None)
    return new.id


def _labels(s: Session, reason_id: int) -> list[ReviewLabel]:
    return list(s.scalars(select(ReviewLabel).where(ReviewLabel.reason_id == reason_id,
                                                    ReviewLabel.cause.is_not(None)).order_by(ReviewLabel.id)))


def do_label(s: Session, *, reason_id: int, reviewer_id: str, cause: str, now: datetime, double_share: float,
             evidence: str | None = None, note: str | None = None) -> LabelResult:
    """Store ``reviewer_id``'s label of item ``reason_id`` and decide the item when its review is complete.

    Args:
        s: Open session; the caller owns the transaction.
        reason_id: The item (the reason under review).
        reviewer_id: The reviewer (or admin) labelling.
        cause: One of the 11 cause codes.
        now: Time of the label (UTC).
        double_share: ``Settings.review_double_share``.
        evidence: The span of the customer's words that justifies the cause (must occur in them).
        note: The reviewer's note (audited with the decision).
    """
    if cause not in CAUSES:
        return LabelResult(refusal=Refusal.UNKNOWN_CAUSE)
    survey_id = _survey_of(s, reason_id)
    # Locks the survey row first (PostgreSQL): two reviewers of one double item queue up here.
    d = turns.load_by_id(s, survey_id) if survey_id is not None else None
    if d is None or not _current(d, reason_id):
        return LabelResult(refusal=Refusal.GONE)
    original = s.get(Reason, reason_id)
    assert original is not None
    note, evidence, refusal = _clean(note, evidence, original.text)
    if refusal is not None:
        return LabelResult(refusal=refusal)
    existing = list(s.scalars(select(ReviewLabel).where(ReviewLabel.reason_id == reason_id)
                              .order_by(ReviewLabel.id)))
    if any(x.reviewer_id == reviewer_id for x in existing):
        return LabelResult(refusal=Refusal.ALREADY)
    earlier = [x for x in existing if x.cause is not None]
    if len(earlier) >= 2:
        return LabelResult(refusal=Refusal.GONE)  # awaiting adjudication
    label = ReviewLabel(reason_id=reason_id, reviewer_id=reviewer_id, cause=cause, evidence=evidence, note=note,
                        at=now)
    s.add(label)
    s.flush()
    actor = f"reviewer:{reviewer_id}"
    double = is_double(reason_id, double_share)
    if double and not earlier:
        audit(s, at=now, actor=actor, entity="review_label", entity_id=label.id, action="created", item=reason_id,
              cause=cause, outcome=Outcome.AWAITING_SECOND.value)
        return LabelResult(Outcome.AWAITING_SECOND)
    if double and earlier[0].cause != cause:
        audit(s, at=now, actor=actor, entity="review_label", entity_id=label.id, action="created", item=reason_id,
              cause=cause, outcome=Outcome.ADJUDICATION.value, other=earlier[0].id)
        return LabelResult(Outcome.ADJUDICATION)
    labels = [x.id for x in earlier] + [label.id]
    audit(s, at=now, actor=actor, entity="review_label", entity_id=label.id, action="created", item=reason_id,
          cause=cause, outcome=Outcome.DECIDED.value)
    written = _write_reason(s, d, original, cause=cause, evidence=evidence, note=note, actor=actor, now=now,
                            labels=labels, double=double)
    return LabelResult(Outcome.DECIDED, reason_id=written)


def do_skip(s: Session, *, reason_id: int, reviewer_id: str, now: datetime) -> LabelResult:
    """``reviewer_id`` passes on item ``reason_id``: it leaves their queue, stays in everyone else's."""
    if s.get(Reason, reason_id) is None:
        return LabelResult(refusal=Refusal.GONE)
    if s.scalar(select(ReviewLabel.id).where(ReviewLabel.reason_id == reason_id,
                                             ReviewLabel.reviewer_id == reviewer_id)) is not None:
        return LabelResult(refusal=Refusal.ALREADY)
    label = ReviewLabel(reason_id=reason_id, reviewer_id=reviewer_id, cause=None, at=now)
    s.add(label)
    s.flush()
    audit(s, at=now, actor=f"reviewer:{reviewer_id}", entity="review_label", entity_id=label.id, action="skipped",
          item=reason_id)
    return LabelResult(Outcome.SKIPPED)


def do_bulk_confirm(s: Session, items: list[QueueItem], *, reviewer_id: str, now: datetime, double_share: float,
                    note: str = "批量确认模型判断") -> dict[str, int]:
    """Label every item of a filtered list with the model's guess: one audited label (and decision) per item.

    Appeals in the list are left alone (they are decided on their own page).

    Returns:
        How many items ended in each outcome (and ``refused``).
    """
    counts: dict[str, int] = {}
    for i in items:
        if i.appeal_id is not None:
            continue
        result = do_label(s, reason_id=i.reason_id, reviewer_id=reviewer_id, cause=i.guess, now=now,
                          double_share=double_share, note=note)
        key = result.outcome.value if result.outcome else "refused"
        counts[key] = counts.get(key, 0) + 1
    return counts


@dataclass(frozen=True)
class Disagreement:
    """A double-review item whose two reviewers disagreed, for the admin."""

    reason_id: int
    score: int
    text: str
    model_guess: str | None  # None when a customer chose the cause and the model's reading was not kept
    source: str
    agent_id: str
    agent_name: str | None
    ended_at: datetime
    labels: list[tuple[str, str | None, str, str | None, str | None]]  # reviewer id, name, cause, evidence, note


def adjudication_list(s: Session, limit: int = 200) -> list[Disagreement]:
    """Current reasons with two different reviewer labels, oldest first."""
    pairs = (select(ReviewLabel.reason_id).where(ReviewLabel.cause.is_not(None))
             .group_by(ReviewLabel.reason_id)
             .having(and_(func.count() >= 2, func.count(func.distinct(ReviewLabel.cause)) >= 2)).subquery())
    rows = s.execute(
        select(Reason.id, Rating.score, Reason.text,
               case((Reason.source == ReasonSource.MODEL, Reason.cause), else_=Reason.model_cause), Reason.source,
               Call.credited_agent_id, Agent.name, Call.ended_at)
        .join(pairs, pairs.c.reason_id == Reason.id)
        .join(Rating, Rating.id == Reason.rating_id)
        .join(Survey, Survey.id == Rating.survey_id)
        .join(Call, Call.id == Survey.call_id)
        .join(Agent, Agent.id == Call.credited_agent_id)
        .where(is_current_reason()).order_by(Reason.id).limit(limit)).all()
    labels: dict[int, list] = {}
    if rows:
        for label, name in s.execute(select(ReviewLabel, Agent.name).join(Agent, Agent.id == ReviewLabel.reviewer_id)
                                     .where(ReviewLabel.reason_id.in_([r[0] for r in rows]),
                                            ReviewLabel.cause.is_not(None)).order_by(ReviewLabel.id)):
            labels.setdefault(label.reason_id, []).append(
                (label.reviewer_id, name, label.cause, label.evidence, label.note))
    return [Disagreement(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], labels.get(r[0], [])) for r in rows]


def do_adjudicate(s: Session, *, reason_id: int, admin_id: str, cause: str, now: datetime,
                  note: str | None = None) -> LabelResult:
    """The admin settles a disagreement: the reviewer reason is written with the admin's cause (audited)."""
    if cause not in CAUSES:
        return LabelResult(refusal=Refusal.UNKNOWN_CAUSE)
    if not any(d.reason_id == reason_id for d in adjudication_list(s)):
        return LabelResult(refusal=Refusal.NOT_ADJUDICABLE)
    survey_id = _survey_of(s, reason_id)
    d = turns.load_by_id(s, survey_id) if survey_id is not None else None
    original = s.get(Reason, reason_id)
    if d is None or original is None or not _current(d, reason_id):
        return LabelResult(refusal=Refusal.GONE)
    note, _, refusal = _clean(note, None, original.text)
    if refusal is not None:
        return LabelResult(refusal=refusal)
    written = _write_reason(s, d, original, cause=cause, evidence=None, note=note, actor=f"admin:{admin_id}",
                            now=now, labels=[x.id for x in _labels(s, reason_id)], adjudicated=True)
    return LabelResult(Outcome.DECIDED, reason_id=written)
