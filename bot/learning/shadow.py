"""Shadow mode: a candidate version reads live reasons beside the promoted model, affecting no one.

While a shadow run is active, the ``shadow_readings`` job (every minute, on the
job runner: never in a customer's turn) classifies each new reason's words with
the candidate and keeps its reading beside the promoted model's. A reading that
disagrees sends the reason to the review queue (``bot.staff.review_queue``,
kind ``shadow``); once a reviewer has decided such an item, the model page shows
how often the candidate was right and how often the promoted model was. The
admin promotes from there, through the gate as always.

Nothing here changes a reason, a rating or a KPI: the readings are a table of
their own that no score reads.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from bot.db.audit import audit
from bot.db.models import Reason
from bot.db.shadow import ShadowReading, ShadowRun
from bot.domain import ReasonSource

#: The job runner's job name (``bot.jobs.schedule``).
READINGS = "shadow_readings"
#: Most reasons one run of the job reads (the next minute's run goes on).
BATCH = 500
#: Reasons whose words a model read: its own reasons, and a customer's choice with the model's reading kept beside.
READ_SOURCES = (ReasonSource.MODEL.value, ReasonSource.CUSTOMER.value)

ClassifyMany = Callable[[str, list[str]], Sequence[Any]]


class ShadowError(ValueError):
    """A shadow run that cannot be started (unknown version, the promoted one) or stopped (none active)."""


def active_run(s: Session) -> ShadowRun | None:
    """The shadow run in progress, if any (at most one)."""
    return s.scalar(select(ShadowRun).where(ShadowRun.stopped_at.is_(None)).order_by(ShadowRun.id.desc()).limit(1))


def do_start_shadow(s: Session, version: str, *, actor: str, now: datetime, current: str | None,
                    known: Sequence[str]) -> ShadowRun:
    """Put ``version`` in the shadow from ``now`` on (a run in progress is stopped first), audited.

    Lock and transaction contract: runs in the caller's transaction; it locks the
    active run's row (PostgreSQL ``FOR UPDATE``; SQLite's write lock serialises
    writers anyway), so two admins starting at once end with one active run.

    Args:
        s: Open session inside a transaction.
        version: A version of the store (``known``) that is not the promoted one (``current``).
        actor: ``admin:<id>``.
        now: UTC time.
        current: The promoted version.
        known: Versions in the model store.

    Raises:
        ShadowError: ``version`` is unknown or is the promoted one.
    """
    if version not in known:
        raise ShadowError(f"{version} is not in the model store")
    if version == current:
        raise ShadowError(f"{version} is the promoted version")
    running = s.scalar(select(ShadowRun).where(ShadowRun.stopped_at.is_(None)).with_for_update())
    if running is not None:
        running.stopped_at, running.stopped_by = now, actor
    run = ShadowRun(version=version, started_at=now, started_by=actor)
    s.add(run)
    s.flush()
    audit(s, at=now, actor=actor, entity="shadow_run", entity_id=run.id, action="started", version=version,
          replaces=running.version if running is not None else None)
    return run


def do_stop_shadow(s: Session, *, actor: str, now: datetime) -> ShadowRun:
    """End the shadow run in progress, audited (its readings stay for the figures).

    Lock and transaction contract: as :func:`do_start_shadow`.

    Raises:
        ShadowError: no run is active.
    """
    running = s.scalar(select(ShadowRun).where(ShadowRun.stopped_at.is_(None)).with_for_update())
    if running is None:
        raise ShadowError("no shadow run is active")
    running.stopped_at, running.stopped_by = now, actor
    audit(s, at=now, actor=actor, entity="shadow_run", entity_id=running.id, action="stopped",
          version=running.version)
    return running


def do_read_new_reasons(s: Session, classify_many_with: ClassifyMany, *, now: datetime,
                        limit: int = BATCH) -> int:
    """Let the active shadow version read the reasons recorded since its run started; returns how many it read.

    Lock and transaction contract: runs in the caller's transaction and locks the
    active run's row first (PostgreSQL ``FOR UPDATE``), so two workers never read
    the same reasons; one reading per reason and version (a unique key). Writes
    only ``shadow_readings``.

    Args:
        s: Open session inside a transaction.
        classify_many_with: ``(version, texts) -> results`` (``classifiers.api.classify_many_with``).
        now: UTC time, stored with each reading.
        limit: Most reasons read in one call.
    """
    run = s.scalar(select(ShadowRun).where(ShadowRun.stopped_at.is_(None)).order_by(ShadowRun.id.desc())
                   .limit(1).with_for_update())
    if run is None:
        return 0
    read = exists().where(ShadowReading.reason_id == Reason.id, ShadowReading.version == run.version)
    rows = s.execute(select(Reason.id, Reason.text, Reason.source, Reason.cause, Reason.model_cause,
                            Reason.model_version)
                     .where(Reason.created_at >= run.started_at, Reason.source.in_(READ_SOURCES), Reason.text != "",
                            ~read)
                     .order_by(Reason.id).limit(limit)).all()
    # A customer's choice is compared through the model's own reading kept beside it (none kept: nothing to compare).
    rows = [r for r in rows if r.source == ReasonSource.MODEL or r.model_cause]
    if not rows:
        return 0
    results = classify_many_with(run.version, [r.text for r in rows])
    for r, res in zip(rows, results):
        live = r.cause if r.source == ReasonSource.MODEL else r.model_cause
        s.add(ShadowReading(reason_id=r.id, version=run.version, cause=res.cause, attribution=res.attribution,
                            confidence=res.confidence, needs_confirmation=res.needs_confirmation, live_cause=live,
                            live_version=r.model_version, disagrees=res.cause != live, created_at=now))
    s.flush()
    return len(rows)


@dataclass(frozen=True)
class ShadowFigures:
    """How a shadow version read live reasons, and who was right where a reviewer decided a disagreement."""

    version: str
    readings: int
    disagreements: int
    reviewed: int  # disagreements a reviewer (or the admin) has decided
    candidate_right: int  # ... where the reviewer's cause is the candidate's
    current_right: int  # ... where it is the promoted model's


def figures(s: Session, version: str) -> ShadowFigures:
    """The shadow version's figures, counted in SQL."""
    decided = aliased(Reason)
    reviewed = and_(decided.id.is_not(None))
    row = s.execute(
        select(func.count(ShadowReading.id),
               func.coalesce(func.sum(case((ShadowReading.disagrees, 1), else_=0)), 0),
               func.coalesce(func.sum(case((and_(ShadowReading.disagrees, reviewed), 1), else_=0)), 0),
               func.coalesce(func.sum(case((and_(ShadowReading.disagrees, reviewed,
                                                 decided.cause == ShadowReading.cause), 1), else_=0)), 0),
               func.coalesce(func.sum(case((and_(ShadowReading.disagrees, reviewed,
                                                 decided.cause == ShadowReading.live_cause), 1), else_=0)), 0))
        .select_from(ShadowReading)
        # The reviewer's decision supersedes the reason the shadow read (bot.staff.review writes it so).
        .outerjoin(decided, and_(decided.supersedes_id == ShadowReading.reason_id,
                                 decided.source == ReasonSource.REVIEWER))
        .where(ShadowReading.version == version)).one()
    return ShadowFigures(version, *(int(x) for x in row))
