"""Surveys decided in memory: the dialogue core's effects applied to plain records, written later in bulk.

The historical import decides thousands of conversations per batch. Going to
the database for every turn (load the snapshot, insert, flush, audit) made it
crawl, yet the dialogue core (``bot.dialogue.engine``) needs no database: it
decides from a ``SurveyView``. Here a :class:`SurveyDraft` is that survey held
in memory; :func:`start_turn` / :func:`reply_turn` run the engine on it and
apply the effects exactly as ``bot.conversation.turns`` + ``bot.conversation.calls``
do on the ORM (same statuses, supersession, redaction, audit rows and
payloads), and ``bot.importing.bulk_store.write_drafts`` inserts a batch of
drafts with a few Core statements. ``tests/storage/test_bulk_drafts.py``
checks that both paths store the same rows for the same conversations.

Ids do not exist until the write: records refer to each other by object, and
an audit payload that names another row holds a :class:`Ref` resolved then.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.clock import as_utc, has_passed
from bot.conversation.calls import stored_text
from bot.dialogue import engine
from bot.dialogue.effects import Effect, RaiseFlag, RecordRating, RecordReason, SetStatus
from bot.dialogue.state import DialogueState, Outcome
from bot.dialogue.turn import Classify, CountedRating, SurveyView
from bot.domain import FlagKind, RatingStatus, ReasonSource, SurveyStatus
from zhtext.redact import redact


@dataclass(eq=False)
class Row:
    """A row to insert; ``id`` is filled in by the bulk writer."""

    id: int | None = field(default=None, init=False)


@dataclass(frozen=True)
class Ref:
    """The id of ``row``, in an audit payload, known only once the row is written."""

    row: Row | None


@dataclass(eq=False)
class DraftReason(Row):
    rating: DraftRating
    text: str
    cause: str
    attribution: str
    confidence: float | None
    source: str
    model_version: str | None
    evidence: str | None
    needs_review: bool
    supersedes: DraftReason | None
    created_at: datetime


@dataclass(eq=False)
class DraftRating(Row):
    score: int
    raw_reply: str
    received_at: datetime
    status: str
    supersedes: DraftRating | None
    created_at: datetime
    reasons: list[DraftReason] = field(default_factory=list)


@dataclass(eq=False)
class DraftFlag(Row):
    kind: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class DraftAudit:
    """One audit row; ``entity`` is the row it is about, payload values may be :class:`Ref`."""

    at: datetime
    actor: str
    entity: str
    row: Row | str
    action: str
    data: dict[str, Any]


@dataclass(eq=False)
class SurveyDraft(Row):
    """A call and its survey, with everything the conversation stored, as ``register_call`` would open it."""

    external_id: str
    agent_ids: list[str]
    credited_agent_id: str
    ended_at: datetime
    team_id: int | None
    customer_channel_id: str | None
    created_at: datetime
    token: str
    template_version: str
    expires_at: datetime
    status: str = SurveyStatus.PENDING
    needs_followup: bool = False
    state: DialogueState = field(default_factory=DialogueState)  # the conversation's, as the survey row keeps it
    call_id: int | None = None
    ratings: list[DraftRating] = field(default_factory=list)
    flags: list[DraftFlag] = field(default_factory=list)
    audits: list[DraftAudit] = field(default_factory=list)

    def audit(self, at: datetime, actor: str, entity: str, row: Row | str, action: str, **data: Any) -> None:
        self.audits.append(DraftAudit(at, actor, entity, row, action, data))

    # --- what bot.ledger.counting defines, on the draft -----------------------

    def counted(self) -> DraftRating | None:
        """The newest valid rating."""
        return next((r for r in reversed(self.ratings) if r.status == RatingStatus.VALID), None)

    def latest(self) -> DraftRating | None:
        """The newest rating whatever its status."""
        return self.ratings[-1] if self.ratings else None

    def expired(self, now: datetime) -> bool:
        """True once the validity window has passed."""
        return has_passed(self.expires_at, now)

    def view(self) -> SurveyView:
        """The engine's snapshot, as ``bot.conversation.turns`` loads it."""
        c = self.counted()
        return SurveyView(id=self.id or 0, status=self.status, expires_at=self.expires_at,
                          template_version=self.template_version,
                          counted=CountedRating(score=c.score, has_reason=bool(c.reasons)) if c else None)

    # --- what bot.conversation.calls does, on the draft ---------------------------

    def set_status(self, status: str, now: datetime, actor: str = "customer") -> None:
        """As ``surveys.set_status``."""
        if self.status == status:
            return
        self.audit(now, actor, "survey", self, "status_changed", old=self.status, new=status)
        self.status = status

    def record_rating(self, score: int, raw_reply: str, now: datetime) -> DraftRating:
        """As ``surveys.record_rating``: late after the window, else superseding the counted rating."""
        if not 1 <= score <= 5:
            raise ValueError(f"score out of range: {score}")
        late = self.expired(now)
        previous = None if late else self.counted()
        rating = DraftRating(score=score, raw_reply=stored_text(raw_reply), received_at=now,
                             status=RatingStatus.LATE if late else RatingStatus.VALID, supersedes=previous,
                             created_at=now)
        self.ratings.append(rating)
        self.audit(now, "customer", "rating", rating, "created", score=score, status=rating.status,
                   supersedes=Ref(previous) if previous else None)
        if previous is not None:
            self.audit(now, "customer", "rating", previous, "status_changed", old=previous.status,
                       new=RatingStatus.CORRECTED, superseded_by=Ref(rating))
            previous.status = RatingStatus.CORRECTED
        return rating

    def record_reason(self, rating: DraftRating, text: str, *, cause: str, attribution: str, source: ReasonSource,
                      now: datetime, confidence: float | None = None, model_version: str | None = None,
                      evidence: str | None = None, needs_review: bool = False, actor: str = "customer"
                      ) -> DraftReason:
        """As ``surveys.record_reason``: a later reason supersedes the current one."""
        previous = rating.reasons[-1] if rating.reasons else None
        reason = DraftReason(rating=rating, text=stored_text(text), cause=cause, attribution=attribution,
                             confidence=confidence, source=source, model_version=model_version,
                             evidence=redact(evidence) if evidence else evidence, needs_review=needs_review,
                             supersedes=previous, created_at=now)
        rating.reasons.append(reason)
        self.audit(now, actor, "reason", reason, "created", rating=Ref(rating), cause=cause,
                   attribution=attribution, source=source, confidence=confidence,
                   supersedes=Ref(previous) if previous else None)
        return reason

    def flag(self, kind: FlagKind, text: str, now: datetime) -> None:
        """As ``surveys.flag``."""
        f = DraftFlag(kind=kind, text=stored_text(text), created_at=now)
        self.flags.append(f)
        self.audit(now, "customer", "flag", f, "created", kind=kind, survey=Ref(self))
        if not self.needs_followup:
            self.audit(now, "customer", "survey", self, "flagged", kind=kind)
            self.needs_followup = True


def new_survey(call_id: str, agent_ids: list[str], ended_at: datetime, team_id: int | None, *,
               window_minutes: int, template_version: str, now: datetime) -> SurveyDraft:
    """A call and its survey as ``surveys.register_call`` opens them (the caller knows the call is new)."""
    credited = agent_ids[-1]
    d = SurveyDraft(external_id=call_id, agent_ids=list(agent_ids), credited_agent_id=credited,
                    ended_at=as_utc(ended_at), team_id=team_id, customer_channel_id=None, created_at=now,
                    token=secrets.token_urlsafe(16), template_version=template_version,
                    expires_at=now + timedelta(minutes=window_minutes))
    d.audit(now, "integration", "call", "call", "created", external_id=call_id, agents=list(agent_ids),
            credited=credited)
    d.audit(now, "integration", "survey", d, "created", token=d.token, expires_at=d.expires_at.isoformat())
    return d


# --- the turn, as bot.conversation.turns applies it ------------------------------------

@dataclass
class _TurnRatings:
    counted: DraftRating | None
    new: DraftRating | None = None


def _apply_rating(d: SurveyDraft, t: _TurnRatings, e: RecordRating, now: datetime) -> None:
    t.new = d.record_rating(e.score, e.text, now)
    if t.new.status == RatingStatus.VALID:
        t.counted = t.new


def _apply_reason(d: SurveyDraft, t: _TurnRatings, e: RecordReason, now: datetime) -> None:
    rating = t.new if e.on == "new" else t.counted
    assert rating is not None, f"no {e.on} rating to attach a reason to"
    d.record_reason(rating, e.text, cause=e.cause, attribution=e.attribution, source=e.source, now=now,
                    confidence=e.confidence, model_version=e.model_version, evidence=e.evidence,
                    needs_review=e.needs_review)


_APPLY: dict[type, Callable[[SurveyDraft, _TurnRatings, Any, datetime], None]] = {
    RecordRating: _apply_rating,
    RecordReason: _apply_reason,
    SetStatus: lambda d, t, e, now: d.set_status(e.status, now),
    RaiseFlag: lambda d, t, e, now: d.flag(e.kind, e.text, now),
}


def _apply(d: SurveyDraft, effects: tuple[Effect, ...], now: datetime) -> None:
    t = _TurnRatings(counted=d.counted())
    for effect in effects:
        _APPLY[type(effect)](d, t, effect, now)


def start_turn(d: SurveyDraft, now: datetime, greeting: str) -> Outcome:
    """The customer opened the chat (``turns.start_turn`` on the draft)."""
    decision = engine.start(d.view(), d.state, now, greeting)
    _apply(d, decision.effects, now)
    d.state = decision.outcome.state
    return decision.outcome


def reply_turn(d: SurveyDraft, text: str, now: datetime, classify: Classify) -> Outcome:
    """One customer message (``turns.reply_turn`` on the draft)."""
    decision = engine.handle_reply(d.view(), d.state, text, now, classify)
    _apply(d, decision.effects, now)
    d.state = decision.outcome.state
    return decision.outcome
