"""Test data written through the production writer: the one effect applier and the live turn's serialiser.

Fixtures that need a rating, a reason or a status the dialogue would take
several messages to reach set it directly on the survey's record
(``bot.conversation.records.SurveyRecord``), exactly as the live turn, the
sweep and a reviewer's decision do, and write it with
``bot.conversation.turns.write_changes``: the same rows, supersession and
audit entries as production, never a second writer.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation import turns
from bot.conversation.records import RecordedRating, RecordedReason, SurveyRecord
from bot.db.models import Rating, Survey
from bot.settings import DEV_SESSION_SECRET


@contextmanager
def editing(s: Session, survey_id: int, now: datetime, actor: str = "customer") -> Iterator[SurveyRecord]:
    """The survey's record as a turn loads it; what the block records is written when it ends."""
    d = turns.load_by_id(s, survey_id, DEV_SESSION_SECRET)
    assert d is not None, f"no survey {survey_id}"
    yield d
    turns.write_changes(s, d, now, channel_secret=DEV_SESSION_SECRET)
    s.expire_all()  # ORM objects of the session see what the Core writes changed


def _survey_id(survey: Survey | int) -> int:
    return survey if isinstance(survey, int) else survey.id


def record_rating(s: Session, survey: Survey | int, score: int, raw_reply: str, now: datetime) -> RecordedRating:
    """A score as the customer gives it: late after the window, else superseding the counted one."""
    with editing(s, _survey_id(survey), now) as d:
        rating = d.record_rating(score, raw_reply, now)
    return rating


def set_status(s: Session, survey: Survey | int, status: str, now: datetime, actor: str = "customer") -> None:
    """Move the survey to ``status`` (audited; opting out also fills the opt-out list)."""
    with editing(s, _survey_id(survey), now) as d:
        d.set_status(status, now, actor=actor)


def record_reason(s: Session, rating: RecordedRating | int, text: str, *, cause: str, attribution: str,
                  source: str, now: datetime, confidence: float | None = None, model_version: str | None = None,
                  evidence: str | None = None, needs_review: bool = False, actor: str = "customer",
                  model_cause: str | None = None, model_confidence: float | None = None) -> RecordedReason:
    """A reason on the survey's counted rating (``rating`` must be it), superseding its current reason."""
    rating_id = rating if isinstance(rating, int) else rating.id
    survey_id = s.scalar(select(Rating.survey_id).where(Rating.id == rating_id))
    assert survey_id is not None, f"no rating {rating_id}"
    with editing(s, survey_id, now, actor) as d:
        counted = d.counted()
        assert counted is not None and counted.id == rating_id, "reasons are recorded on the counted rating"
        reason = d.record_reason(counted, text, cause=cause, attribution=attribution, source=source, now=now,
                                 confidence=confidence, model_version=model_version, evidence=evidence,
                                 needs_review=needs_review, actor=actor, model_cause=model_cause,
                                 model_confidence=model_confidence)
    if isinstance(rating, RecordedRating) and rating is not counted:
        rating.reasons.append(reason)  # the caller's copy of the rating sees its new reason
    return reason
