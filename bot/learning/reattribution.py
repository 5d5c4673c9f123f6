"""Re-attribution: a new classifier version applied to past ratings, previewed first, applied in one audited step.

Only the model's own attributions are ever re-read: the current reason of a
counted rating whose source is ``model``. A reviewer's, a panel's or appeal
decider's, a customer's or an import's cause is a person's decision and is
never touched (the apply step checks again, under the survey's lock, that the
reason it replaces is still the model's current one).

:func:`preview` reads the period's model-made attributions with the new
version, lists those that would change, and measures each agent's KPI move
by running the very apply step inside a savepoint that it rolls back: the
figures shown are those the apply produces, by construction. The preview's
digest names exactly which changes were shown; :func:`do_apply` refuses when
a fresh reading no longer gives the same digest (a person decided meanwhile,
or other ratings arrived), so nothing is applied that nobody saw.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, text
from sqlalchemy.orm import Session

from bot.conversation import turns
from bot.db.audit import audit
from bot.db.models import Agent, Reason
from bot.db.survey_facts import SurveyFact
from bot.domain import ATTRIBUTION, ReasonSource
from bot.scoring.board import score_period
from bot.scoring.kpi import Counts
from bot.scoring.periods import Period, parse_period

ClassifyMany = Callable[[str, list[str]], Sequence[Any]]
#: The KPI figures a preview shows per agent (``bot.scoring.kpi.Counts`` attributes).
KPI_FIGURES = ("staff_low", "non_staff_low", "unattributed_low", "attributed_csat", "staff_low_rate")


class ReattributionError(ValueError):
    """The confirmation no longer matches what a fresh preview gives (nothing was applied)."""


@dataclass(frozen=True)
class Change:
    """One model-made attribution the new version reads otherwise."""

    reason_id: int
    survey_id: int
    agent_id: str
    score: int
    text: str
    old_cause: str
    old_needs_review: bool
    new_cause: str
    new_needs_review: bool
    new_confidence: float | None
    new_evidence: str | None


@dataclass(frozen=True)
class AgentMove:
    """How one agent's KPI figures of the period move: ``{figure: (before, after)}``, only the ones that move."""

    agent_id: str
    name: str | None
    figures: dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class Preview:
    """What applying ``version`` to ``period`` would change."""

    version: str
    period: str
    read: int  # model-made attributions of the period read by the new version
    changes: list[Change]
    moves: list[AgentMove]
    digest: str


def _model_made(s: Session, period: Period, tz: str) -> list[Any]:
    """The period's counted ratings whose current reason is the model's (with its words), by reason id."""
    start, end = period.bounds(tz)
    return list(s.execute(
        select(Reason.id, Reason.text, Reason.cause, Reason.needs_review, SurveyFact.survey_id, SurveyFact.score,
               SurveyFact.credited_agent_id)
        .select_from(SurveyFact).join(Reason, Reason.id == SurveyFact.reason_id)
        .where(and_(SurveyFact.ended_at >= start, SurveyFact.ended_at < end),
               Reason.source == ReasonSource.MODEL, Reason.text != "")
        .order_by(Reason.id)))


def _changes(s: Session, version: str, period: Period, tz: str,
             classify_many_with: ClassifyMany) -> tuple[int, list[Change]]:
    rows = _model_made(s, period, tz)
    results = classify_many_with(version, [r.text for r in rows]) if rows else []
    out = []
    for r, res in zip(rows, results):
        # A past customer can no longer be asked: a reading that would ask waits for a reviewer instead.
        new_review = bool(res.needs_confirmation)
        if (res.cause, new_review) != (r.cause, bool(r.needs_review)):
            out.append(Change(r.id, r.survey_id, r.credited_agent_id, r.score, r.text, r.cause, bool(r.needs_review),
                              res.cause, new_review, res.confidence, res.evidence or None))
    return len(rows), out


def _remembering(classify_many_with: ClassifyMany) -> ClassifyMany:
    """``classify_many_with`` with its readings kept, so reading the period again classifies only new texts."""
    known: dict[tuple[str, str], Any] = {}

    def classify(version: str, texts: list[str]) -> list[Any]:
        todo = list(dict.fromkeys(t for t in texts if (version, t) not in known))
        if todo:
            known.update(zip([(version, t) for t in todo], classify_many_with(version, todo), strict=True))
        return [known[(version, t)] for t in texts]
    return classify


def _classified_beforehand(s: Session, version: str, period: Period, tz: str,
                           classify_many_with: ClassifyMany) -> ClassifyMany:
    """The period's texts classified by ``version`` in a session of their own (no lock held, nothing written),
    as a classifier that then answers from memory and classifies only texts that arrived since."""
    classify = _remembering(classify_many_with)
    with Session(bind=s.get_bind()) as reader:
        _changes(reader, version, period, tz, classify)
    return classify


def _write_lock(s: Session) -> None:
    """On SQLite, take the database's write lock now (held to the end of the transaction).

    A transaction that reads first and writes later cannot become a writer on SQLite (WAL) once another
    connection committed in between (``database is locked``, at once or after the busy timeout): the
    measurement takes the lock before its first read. The slow part (classifying the period's texts) runs
    before, without it (:func:`_classified_beforehand`), so live conversations wait for the measurement's
    queries, not for the model. On PostgreSQL the surveys' rows are locked one by one as they are written
    (``turns.load_by_id``).
    """
    if s.get_bind().dialect.name == "sqlite":
        s.execute(text("UPDATE reasons SET id = id WHERE 0 = 1"))  # changes nothing; the lock is the point


def _digest(version: str, period: str, changes: Sequence[Change]) -> str:
    shown = [version, period, *[[c.reason_id, c.new_cause, c.new_needs_review] for c in changes]]
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()[:32]


def _write(s: Session, changes: Sequence[Change], *, version: str, actor: str, now: datetime) -> list[int]:
    """The new model reasons, through the one writer; returns the reason ids left alone (no longer the model's)."""
    skipped = []
    for c in changes:
        d = turns.load_by_id(s, c.survey_id)  # locks the survey row (PostgreSQL)
        rating = d.counted() if d is not None else None
        current = rating.reasons[-1] if rating is not None and rating.reasons else None
        if (d is None or rating is None or current is None or current.id != c.reason_id
                or current.source != ReasonSource.MODEL):
            skipped.append(c.reason_id)  # a person decided since: never overwritten
            continue
        new = d.record_reason(rating, c.text, cause=c.new_cause, attribution=ATTRIBUTION[c.new_cause],
                              source=ReasonSource.MODEL, now=now, confidence=c.new_confidence, model_version=version,
                              evidence=c.new_evidence, needs_review=c.new_needs_review, actor=actor)
        d.audit(now, actor, "reason", new, "reattributed", replaces=c.reason_id, from_cause=c.old_cause,
                version=version)
        turns.write_changes(s, d, now, channel_secret=None)
    return skipped


def _kpi(s: Session, period: Period, tz: str) -> dict[str, tuple[str | None, Counts]]:
    board = score_period(s, period, tz=tz, min_sample=1)
    return {k.id: (k.name, k.counts) for k in board.agents}


def _moves(before: dict[str, tuple[str | None, Counts]], after: dict[str, tuple[str | None, Counts]]
           ) -> list[AgentMove]:
    moves = []
    for agent_id in sorted(set(before) | set(after)):
        name = (after.get(agent_id) or before[agent_id])[0]
        a, b = before.get(agent_id, (None, Counts()))[1], after.get(agent_id, (None, Counts()))[1]
        figures = {f: (getattr(a, f), getattr(b, f)) for f in KPI_FIGURES if getattr(a, f) != getattr(b, f)}
        if figures:
            moves.append(AgentMove(agent_id, name, figures))
    return moves


def preview(s: Session, version: str, period: str, *, tz: str, classify_many_with: ClassifyMany,
            now: datetime) -> Preview:
    """What applying ``version`` to the model-made attributions of ``period`` would change; nothing is kept.

    Transaction contract: the caller's session must not be inside a
    transaction it wants to keep: the measurement writes inside a savepoint
    (locking the surveys it touches on PostgreSQL) and rolls it back.

    Raises:
        bot.scoring.periods.PeriodError: malformed period.
    """
    p = parse_period(period)
    classify = _classified_beforehand(s, version, p, tz, classify_many_with)
    try:
        s.rollback()  # a read transaction of the caller's could not become a writer (see _write_lock)
        _write_lock(s)
        read, changes = _changes(s, version, p, tz, classify)  # again under the lock: only new texts classified
        before = _kpi(s, p, tz)
        savepoint = s.begin_nested()
        _write(s, changes, version=version, actor="preview", now=now)
        after = _kpi(s, p, tz)
        savepoint.rollback()
    finally:
        s.rollback()  # nothing of the measurement is kept
    names: dict[str, str | None] = {a: n for a, n in s.execute(select(Agent.id, Agent.name))}
    moves = [AgentMove(m.agent_id, m.name or names.get(m.agent_id), m.figures) for m in _moves(before, after)]
    return Preview(version, p.label, read, changes, moves, _digest(version, p.label, changes))


def do_apply(s: Session, version: str, period: str, digest: str, *, tz: str, classify_many_with: ClassifyMany,
             actor: str, now: datetime) -> Preview:
    """Apply ``version`` to the model-made attributions of ``period``, as previewed under ``digest``.

    Lock and transaction contract: runs in the caller's transaction (``with
    open_session(url) as s, s.begin()``); it reads the period afresh, refuses
    unless the changes are exactly those the admin confirmed (``digest``),
    then writes every new model reason through the one writer, locking each
    survey's row (PostgreSQL) and refreshing its KPI facts in the same
    transaction, and adds one ``reattribution`` audit row naming them all.
    A reason that is no longer the model's current one is left alone.

    Returns:
        The preview that was applied (its moves are the KPI moves of this step).

    Raises:
        ReattributionError: the digest does not match a fresh reading (nothing written).
    """
    p = parse_period(period)
    classify = _classified_beforehand(s, version, p, tz, classify_many_with)
    _write_lock(s)
    read, changes = _changes(s, version, p, tz, classify)
    if _digest(version, p.label, changes) != digest:
        raise ReattributionError("the attributions changed since the preview; preview again")
    before = _kpi(s, p, tz)
    skipped = _write(s, changes, version=version, actor=actor, now=now)
    after = _kpi(s, p, tz)
    audit(s, at=now, actor=actor, entity="reattribution", entity_id=f"{p.label}:{version}"[:64], action="applied",
          version=version, period=p.label, reasons=[c.reason_id for c in changes], skipped=skipped)
    return Preview(version, p.label, read, changes, _moves(before, after), digest)
