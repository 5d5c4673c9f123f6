"""A survey's rows held in memory, and the one code that turns the dialogue core's effects into rows.

The dialogue core (``bot.dialogue.engine``) decides from a ``SurveyView`` and
returns effects (``bot.dialogue.effects``). :class:`SurveyRecord` holds the
survey's rows in memory; :func:`apply` applies effects to it exactly once, in
one place: supersession of ratings and reasons, late ratings, redaction of
what is stored, flags, status changes, the opt-out list, and the audit rows
with their payloads. Nothing else in the code base writes ratings, reasons,
flags or survey statuses.

Two serialisers write a record:

* the live turn (``bot.conversation.turns``) loads and locks a snapshot of
  one survey into a record (:meth:`SurveyRecord.loaded`: only the rows the
  core needs, with their ids), applies, and writes the new rows and the
  changed columns with prebuilt statements (:func:`bot.conversation.turns.write_changes`);
* the import (``bot.importing.bulk_store.write_records``) builds whole new
  records (:func:`new_survey`) and inserts thousands at once.

Rows that are not written yet have no id: records refer to each other by
object, and an audit payload that names another row holds a :class:`Ref`
resolved at write time.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.clock import as_utc, has_passed
from bot.dialogue import engine
from bot.dialogue.effects import Effect, OptBackIn, RaiseFlag, RecordRating, RecordReason, SetStatus
from bot.dialogue.state import DialogueState, Outcome
from bot.dialogue.turn import Classify, CountedRating, SurveyView
from bot.domain import FlagKind, RatingStatus, ReasonSource, SurveyStatus
from bot.ledger.counting import counted_of
from zhtext.redact import redact

MAX_STORED_CHARS = 2000


def stored_text(text: str | None) -> str:
    """A customer's words as stored: personal data redacted, at most 2,000 characters."""
    return redact(text or "")[:MAX_STORED_CHARS]


@dataclass(eq=False)
class Row:
    """A row of a record; ``id`` is None until the row is written (loaded rows have theirs)."""

    id: int | None = field(default=None, init=False)

    def with_id(self, row_id: int | None):
        """This row, as loaded from the database with ``row_id``."""
        self.id = row_id
        return self


@dataclass(frozen=True)
class Ref:
    """The id of ``row``, in an audit payload, known only once the row is written."""

    row: Row | None


@dataclass(eq=False)
class RecordedReason(Row):
    rating: RecordedRating
    text: str
    cause: str
    attribution: str
    confidence: float | None
    source: str
    model_version: str | None
    evidence: str | None
    needs_review: bool
    supersedes: RecordedReason | None
    created_at: datetime
    model_cause: str | None = None  # the model's reading beside a person's cause
    model_confidence: float | None = None

    @property
    def supersedes_id(self) -> int | None:
        return self.supersedes.id if self.supersedes else None


@dataclass(eq=False)
class RecordedRating(Row):
    score: int
    raw_reply: str
    received_at: datetime
    status: str
    supersedes: RecordedRating | None
    created_at: datetime
    reasons: list[RecordedReason] = field(default_factory=list)
    status_changed: bool = False  # a loaded rating whose status the turn changed (corrected)

    @property
    def supersedes_id(self) -> int | None:
        return self.supersedes.id if self.supersedes else None


@dataclass(eq=False)
class RecordedFlag(Row):
    kind: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class RecordedAudit:
    """One audit row; ``row`` is the row it is about (or a literal entity id), payload values may be :class:`Ref`."""

    at: datetime
    actor: str
    entity: str
    row: Row | str
    action: str
    data: dict[str, Any]


@dataclass(eq=False)
class SurveyRecord(Row):
    """A call and its survey with what the conversation stored, new (import) or loaded (a live turn).

    ``changed`` names the survey columns a loaded record's turn changed; a new
    record is written whole. ``opt_out`` is the opt-out list change the turn
    decided (``"out"`` or ``"in"``), for the call's channel (``channel_hash``).
    """

    external_id: str
    agent_ids: list[str]
    credited_agent_id: str
    ended_at: datetime
    team_id: int | None
    channel_hash: str | None  # the customer's channel identity, as the opt-out list keys it
    created_at: datetime
    token: str
    template_version: str
    expires_at: datetime
    status: str = SurveyStatus.PENDING
    needs_followup: bool = False
    state: DialogueState = field(default_factory=DialogueState)  # the conversation's, as the survey row keeps it
    call_id: int | None = None
    ratings: list[RecordedRating] = field(default_factory=list)
    flags: list[RecordedFlag] = field(default_factory=list)
    audits: list[RecordedAudit] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    opt_out: str | None = None

    @classmethod
    def loaded(cls, *, survey_id: int, status: str, expires_at: datetime, template_version: str,
               needs_followup: bool, state: DialogueState, channel_hash: str | None,
               counted: tuple[int, int, str] | None, counted_reason_id: int | None,
               counted_reason_source: str | None = None) -> SurveyRecord:
        """The record of an existing survey as a live turn loads it: the counted rating and its current reason only.

        Args:
            survey_id, status, expires_at, template_version, needs_followup, state, channel_hash:
                The survey row's (and its call's) columns.
            counted: ``(id, score, status)`` of the counted rating, if any.
            counted_reason_id: Id of the counted rating's current reason, if any.
            counted_reason_source: That reason's source (a person's label is never superseded by the model).
        """
        record = cls(external_id="", agent_ids=[], credited_agent_id="", ended_at=expires_at, team_id=None,
                     channel_hash=channel_hash, created_at=expires_at, token="",
                     template_version=template_version, expires_at=expires_at, status=status,
                     needs_followup=needs_followup, state=state).with_id(survey_id)
        if counted is not None:
            rating_id, score, rating_status = counted
            rating = RecordedRating(score=score, raw_reply="", received_at=expires_at, status=rating_status,
                                    supersedes=None, created_at=expires_at).with_id(rating_id)
            if counted_reason_id is not None:
                rating.reasons.append(RecordedReason(
                    rating=rating, text="", cause="none", attribution="none", confidence=None,
                    source=counted_reason_source or "",
                    model_version=None, evidence=None, needs_review=False, supersedes=None,
                    created_at=expires_at).with_id(counted_reason_id))
            record.ratings.append(rating)
        return record

    def audit(self, at: datetime, actor: str, entity: str, row: Row | str, action: str, **data: Any) -> None:
        self.audits.append(RecordedAudit(at, actor, entity, row, action, data))

    # --- reads ------------------------------------------------------------------

    def counted(self) -> RecordedRating | None:
        """The rating that counts (``bot.ledger.counting``)."""
        return counted_of(self.ratings)

    def latest(self) -> RecordedRating | None:
        """The newest rating whatever its status."""
        return self.ratings[-1] if self.ratings else None

    def expired(self, now: datetime) -> bool:
        """True once the validity window has passed."""
        return has_passed(self.expires_at, now)

    def view(self) -> SurveyView:
        """The engine's snapshot of this survey."""
        c = self.counted()
        return SurveyView(id=self.id or 0, status=self.status, expires_at=self.expires_at,
                          template_version=self.template_version,
                          counted=CountedRating(score=c.score, has_reason=bool(c.reasons)) if c else None)

    def new_rows(self) -> tuple[list[RecordedRating], list[RecordedReason], list[RecordedFlag]]:
        """Ratings, reasons and flags not written yet, in the order they were recorded."""
        ratings = [r for r in self.ratings if r.id is None]
        reasons = [x for r in self.ratings for x in r.reasons if x.id is None]
        return ratings, reasons, [f for f in self.flags if f.id is None]

    # --- writes (the only ones) -----------------------------------------------------

    def _set(self, column: str, value: Any) -> None:
        setattr(self, column, value)
        self.changed.add(column)

    def set_status(self, status: str, now: datetime, actor: str = "customer") -> None:
        """Move the survey to ``status`` (audited); nothing when it is there already.

        Opting out also puts the call's channel on the opt-out list, in the same write.
        """
        if self.status == status:
            return
        self.audit(now, actor, "survey", self, "status_changed", old=self.status, new=status)
        self._set("status", status)
        if status == SurveyStatus.OPTED_OUT:
            self.opt_out = "out"

    def opt_back_in(self) -> None:
        """The customer asked for surveys again: take the call's channel off the opt-out list (audited there)."""
        self.opt_out = "in"

    def record_rating(self, score: int, raw_reply: str, now: datetime, actor: str = "customer") -> RecordedRating:
        """Store a score: late after the window, else superseding the counted rating (kept as ``corrected``)."""
        if not 1 <= score <= 5:
            raise ValueError(f"score out of range: {score}")
        late = self.expired(now)
        previous = None if late else self.counted()
        rating = RecordedRating(score=score, raw_reply=stored_text(raw_reply), received_at=now,
                                status=RatingStatus.LATE if late else RatingStatus.VALID, supersedes=previous,
                                created_at=now)
        self.ratings.append(rating)
        self.audit(now, actor, "rating", rating, "created", score=score, status=rating.status,
                   supersedes=Ref(previous) if previous else None)
        if previous is not None:
            self.audit(now, actor, "rating", previous, "status_changed", old=previous.status,
                       new=RatingStatus.CORRECTED, superseded_by=Ref(rating))
            previous.status = RatingStatus.CORRECTED
            previous.status_changed = previous.id is not None
        return rating

    def record_reason(self, rating: RecordedRating, text: str, *, cause: str, attribution: str,
                      source: ReasonSource | str, now: datetime, confidence: float | None = None,
                      model_version: str | None = None, evidence: str | None = None, needs_review: bool = False,
                      actor: str = "customer", model_cause: str | None = None,
                      model_confidence: float | None = None) -> RecordedReason:
        """Attach a cause to ``rating``; a later reason supersedes the current one, both kept."""
        previous = rating.reasons[-1] if rating.reasons else None
        reason = RecordedReason(rating=rating, text=stored_text(text), cause=cause, attribution=attribution,
                                confidence=confidence, source=source, model_version=model_version,
                                evidence=redact(evidence) if evidence else evidence, needs_review=needs_review,
                                supersedes=previous, created_at=now, model_cause=model_cause,
                                model_confidence=model_confidence)
        rating.reasons.append(reason)
        self.audit(now, actor, "reason", reason, "created", rating=Ref(rating), cause=cause,
                   attribution=attribution, source=source, confidence=confidence,
                   supersedes=Ref(previous) if previous else None)
        return reason

    def flag(self, kind: FlagKind | str, text: str, now: datetime, actor: str = "customer") -> RecordedFlag:
        """Flag the survey for follow-up, keeping the customer's words (redacted)."""
        f = RecordedFlag(kind=kind, text=stored_text(text), created_at=now)
        self.flags.append(f)
        self.audit(now, actor, "flag", f, "created", kind=kind, survey=Ref(self))
        if not self.needs_followup:
            self.audit(now, actor, "survey", self, "flagged", kind=kind)
            self._set("needs_followup", True)
        return f

    def set_state(self, state: DialogueState) -> None:
        """Where the conversation is now (written with the turn's other rows)."""
        if state != self.state:
            self.state = state
            self.changed.add("state")


def new_survey(call_id: str, agent_ids: list[str], ended_at: datetime, team_id: int | None, *,
               window_minutes: int, template_version: str, now: datetime,
               channel_hash: str | None = None, token_prefix: str = "") -> SurveyRecord:
    """A call and its survey as ``bot.conversation.calls.register_call`` opens them (the caller knows the call is new).

    ``token_prefix`` goes before the survey token's 128 random bits (the import's order key: see
    ``bot.importing.history.token_prefix``).
    """
    credited = agent_ids[-1]
    now = as_utc(now)  # SQLite keeps the wall time and drops the zone: every stored instant is UTC
    d = SurveyRecord(external_id=call_id, agent_ids=list(agent_ids), credited_agent_id=credited,
                     ended_at=as_utc(ended_at), team_id=team_id, channel_hash=channel_hash,
                     created_at=now, token=token_prefix + secrets.token_urlsafe(16), template_version=template_version,
                     expires_at=now + timedelta(minutes=window_minutes))
    d.audit(now, "integration", "call", "call", "created", external_id=call_id, agents=list(agent_ids),
            credited=credited)
    d.audit(now, "integration", "survey", d, "created", token=d.token, expires_at=d.expires_at.isoformat())
    return d


# --- effects → rows ---------------------------------------------------------------------

@dataclass
class _TurnRatings:
    """The ratings a turn's ``RecordReason`` effects may name (``on="new"`` / ``on="counted"``)."""

    counted: RecordedRating | None
    new: RecordedRating | None = None


def _apply_rating(d: SurveyRecord, t: _TurnRatings, e: RecordRating, now: datetime, actor: str) -> None:
    t.new = d.record_rating(e.score, e.text, now, actor=actor)
    if t.new.status == RatingStatus.VALID:
        t.counted = t.new


#: Sources of a label a person gave in the review queue: no model reading ever supersedes one.
PERSON_LABELS = frozenset({ReasonSource.REVIEWER.value})


def _apply_reason(d: SurveyRecord, t: _TurnRatings, e: RecordReason, now: datetime, actor: str) -> None:
    rating = t.new if e.on == "new" else t.counted
    assert rating is not None, f"no {e.on} rating to attach a reason to"
    current = rating.reasons[-1] if rating.reasons else None
    if e.source == ReasonSource.MODEL and current is not None and current.source in PERSON_LABELS:
        # A reviewer decided this rating's cause: the model's reading is noted, never stored over it.
        d.audit(now, actor, "reason", current, "model_label_refused", cause=e.cause, confidence=e.confidence,
                model_version=e.model_version)
        return
    d.record_reason(rating, e.text, cause=e.cause, attribution=e.attribution, source=e.source, now=now,
                    confidence=e.confidence, model_version=e.model_version, evidence=e.evidence,
                    needs_review=e.needs_review, actor=actor, model_cause=e.model_cause,
                    model_confidence=e.model_confidence)


def _apply_flag(d: SurveyRecord, t: _TurnRatings, e: RaiseFlag, now: datetime, actor: str) -> None:
    d.flag(e.kind, e.text, now, actor=actor)


_APPLY: dict[type, Callable[[SurveyRecord, _TurnRatings, Any, datetime, str], None]] = {
    RecordRating: _apply_rating,
    RecordReason: _apply_reason,
    SetStatus: lambda d, t, e, now, actor: d.set_status(e.status, now, actor=actor),
    RaiseFlag: _apply_flag,
    OptBackIn: lambda d, t, e, now, actor: d.opt_back_in(),
}


def apply(d: SurveyRecord, effects: tuple[Effect, ...], state: DialogueState, now: datetime,
          actor: str = "customer") -> None:
    """Apply a turn's effects to ``d`` in order, then its new dialogue state.

    Args:
        d: The survey's record (new or loaded).
        effects: What the core decided to store.
        state: The conversation's next state.
        now: When the turn happened (UTC): the time of every row and audit entry.
        actor: Who the audit trail names (``customer`` for a conversation, ``import``, ``system`` for the sweep).
    """
    t = _TurnRatings(counted=d.counted())
    for effect in effects:
        _APPLY[type(effect)](d, t, effect, now, actor)
    d.set_state(state)


def start_turn(d: SurveyRecord, now: datetime, greeting: str) -> Outcome:
    """The customer opened the chat (the core's ``start``, applied to the record)."""
    decision = engine.start(d.view(), d.state, now, greeting)
    apply(d, decision.effects, decision.state, now)
    return decision.outcome


def reply_turn(d: SurveyRecord, text: str, now: datetime, classify: Classify) -> Outcome:
    """One customer message (the core's ``handle_reply``, applied to the record)."""
    decision = engine.handle_reply(d.view(), d.state, text, now, classify)
    apply(d, decision.effects, decision.state, now)
    return decision.outcome


def finish_turn(d: SurveyRecord, now: datetime, classify: Classify, actor: str) -> Outcome:
    """Nobody answered any more (the core's ``finish``, applied to the record)."""
    decision = engine.finish(d.view(), d.state, now, classify)
    apply(d, decision.effects, decision.state, now, actor=actor)
    return decision.outcome
