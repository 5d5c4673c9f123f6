"""The engine's inputs and output, and the working record of one turn.

``SurveyView`` is the immutable snapshot the engine decides from (loaded by
``bot.conversation.turns``). ``Turn`` accumulates effects, responses and the next
state while keeping its own view of the survey up to date: once the turn has
decided a new score, later logic in the same turn sees that score as counted,
exactly as it would after re-reading the database.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.clock import has_passed
from bot.dialogue.effects import Effect, RaiseFlag, RecordRating, RecordReason, status_change
from bot.dialogue.state import DialogueState, Outcome
from bot.domain import FlagKind, ReasonSource, SurveyStatus
from bot.rating import ParsedReply
from classifiers import CauseResult

Classify = Callable[[str], CauseResult]


@dataclass(frozen=True)
class CountedRating:
    """The rating that counts (``bot.ledger.counting``), as far as the engine needs it.

    Attributes:
        score: 1–5.
        has_reason: Whether it has a reason yet.
        new: Decided in this turn (not stored when the turn began).
        inferred: Decided in this turn from words alone ("满意"), so the closing offers a correction.
    """

    score: int
    has_reason: bool
    new: bool = False
    inferred: bool = False


@dataclass(frozen=True)
class SurveyView:
    """What the engine knows about a survey when a turn begins.

    Attributes:
        id: Primary key (for logs; the engine never queries).
        status: ``SurveyStatus`` value.
        expires_at: End of the validity window.
        template_version: Version of the greeting the survey was sent with.
        counted: The counted rating, if any.
    """

    id: int
    status: str
    expires_at: datetime
    template_version: str
    counted: CountedRating | None = None

    def expired(self, now: datetime) -> bool:
        """True once the validity window has passed."""
        return has_passed(self.expires_at, now)


@dataclass(frozen=True)
class TurnDecision:
    """What one turn decided: effects to store, in order, and what to say next (with the next state)."""

    effects: tuple[Effect, ...]
    outcome: Outcome

    @property
    def say(self) -> list[tuple[str, dict[str, Any]]]:
        """Responses to send, with their template variables."""
        return self.outcome.say

    @property
    def state(self) -> DialogueState:
        """State for the next turn."""
        return self.outcome.state


@dataclass
class Turn:
    """Working record of one reply being handled; guards and stage handlers update it."""

    survey: SurveyView
    text: str
    parsed: ParsedReply
    now: datetime
    classify: Classify
    out: Outcome
    complaint: bool = False
    # The turn's own view, updated by its decisions (initialised from the snapshot).
    effects: list[Effect] = field(default_factory=list, init=False)
    status: str = field(default="", init=False)
    counted: CountedRating | None = field(default=None, init=False)
    expired: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.status = self.survey.status
        self.counted = self.survey.counted
        self.expired = self.survey.expired(self.now)

    # --- what to say -----------------------------------------------------

    def say(self, response: str, **variables: Any) -> None:
        """Queue a response."""
        self.out.add(response, **variables)

    @property
    def state(self) -> DialogueState:
        """The next state (mutable until the turn ends)."""
        return self.out.state

    @state.setter
    def state(self, value: DialogueState) -> None:
        self.out.state = value

    def counted_rating(self) -> CountedRating:
        """The counted rating, for logic that runs only once a score counts."""
        assert self.counted is not None, "no score counts yet"
        return self.counted

    # --- what to store -----------------------------------------------------

    def record_rating(self, score: int, text: str, inferred: bool = False) -> CountedRating | None:
        """Decide to store a score; within the window it becomes the counted rating (late ones never count)."""
        self.effects.append(RecordRating(score=score, text=text))
        if not self.expired:
            self.counted = CountedRating(score=score, has_reason=False, new=True, inferred=inferred)
        return self.counted

    def record_parsed_score(self) -> None:
        """Decide to store the score this reply's parse gave (marked when read from words alone)."""
        assert self.parsed.score is not None, "only for a reply with a score"
        self.record_rating(self.parsed.score, self.text, inferred=self.parsed.inferred)

    def record_reason(
        self,
        text: str,
        *,
        cause: str,
        attribution: str,
        source: ReasonSource,
        confidence: float | None,
        model_version: str | None,
        evidence: str | None,
        needs_review: bool = False,
        model_cause: str | None = None,
        model_confidence: float | None = None,
    ) -> None:
        """Decide to attach a reason to the counted rating."""
        counted = self.counted_rating()
        self.effects.append(RecordReason(
            cause=cause, attribution=attribution, source=source, confidence=confidence,
            model_version=model_version, evidence=evidence, needs_review=needs_review, text=text,
            on="new" if counted.new else "counted", model_cause=model_cause, model_confidence=model_confidence,
        ))
        self.counted = replace(counted, has_reason=True)

    def set_status(self, status: SurveyStatus) -> None:
        """Decide to move the survey to ``status`` (nothing when it is there already)."""
        self.effects.extend(status_change(self.status, status))
        self.status = status

    def flag(self, kind: FlagKind) -> None:
        """Decide to flag the survey for follow-up, keeping the customer's words."""
        self.effects.append(RaiseFlag(kind=kind, text=self.text))

    def decision(self) -> TurnDecision:
        """The turn's result (its outcome carries the survey's status once the effects are stored)."""
        self.out.status = self.status
        return TurnDecision(effects=tuple(self.effects), outcome=self.out)
