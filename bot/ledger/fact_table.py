"""Keep ``survey_facts`` equal to the canonical per-survey query, and read it back for scoring.

``survey_facts`` is a materialisation, never a second definition: every row
is written by :func:`refresh_facts`, one ``DELETE`` and one ``INSERT …
SELECT`` from :func:`bot.ledger.per_survey.per_survey`.

Who calls it:

* every ORM write, once :func:`install` ran (each process's entry point
  calls it): a session listener notes the surveys
  whose calls, surveys, ratings, reasons, appeals, review labels or shadow readings a flush touched and
  refreshes them just before the outermost transaction commits, so a
  dialogue turn, ``register_call``, a reviewer's relabel or an appeal
  decision can never leave the table stale, whoever writes them;
* Core writes, which the listener cannot see, call it explicitly: the
  import's batches, the benchmarks' loads, and every dialogue turn
  (``bot.conversation.turns``, through :func:`refresh_survey_facts`);
* ``refresh_facts(s, None)`` rebuilds everything (migration 0007,
  ``feedbackbot facts rebuild``).
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from sqlalchemy import Delete, Insert, Select, Subquery, bindparam, delete, event, insert, select, union
from sqlalchemy.orm import Session

from bot.db.id_lists import in_ids
from bot.db.models import Call, Rating, Reason, Survey
from bot.db.review import ReviewLabel
from bot.db.shadow import ShadowReading
from bot.db.staff import Appeal
from bot.ledger import day_counts, review_items
from bot.ledger.per_survey import FACT_COLUMNS, FACTS, per_survey

F = FACTS
_CHUNK = 2000  # survey ids per statement (bound as one value: any number would do; this bounds each statement)

_COLUMNS = FACT_COLUMNS


def refresh_facts(s: Session, survey_ids: Iterable[int] | None, *, new: bool = False) -> None:
    """Delete and re-insert the fact rows of ``survey_ids`` (all surveys when None) from the canonical query.

    Runs in the caller's transaction; the surveys' ``review_items`` rows follow
    (:mod:`bot.ledger.review_items` reads the facts). The day sums of ``survey_fact_days`` (when
    built) follow in the same transaction: the replaced rows are taken away from their days before
    the delete and the new ones added after the insert, and the team day sums ``survey_fact_team_days`` get the
    net difference at the end (``bot.ledger.day_counts.DayChange``).

    ``new``: the surveys were inserted in this transaction (the import's batches), so they have no fact rows
    yet (their foreign key to ``surveys`` guarantees it): nothing to take away or delete first.
    """
    source, pick = _canonical()
    target = list(_COLUMNS)
    zone = day_counts.built_zone(s)
    if survey_ids is None:
        s.execute(delete(F))
        s.execute(insert(F).from_select(target, pick))
        if zone is not None:
            day_counts.rebuild(s, zone)
        review_items.refresh_review_items(s, None)
        return
    ids = sorted(set(survey_ids))
    remove, add = _some_surveys()
    days = day_counts.DayChange(s, zone) if zone is not None else None
    c = s.connection()
    for i in range(0, len(ids), _CHUNK):
        chunk = {"ids": ids[i:i + _CHUNK]}
        if not new:
            if days is not None:
                days.before(chunk["ids"])
            c.execute(remove, chunk)
        c.execute(add, chunk)
        if days is not None:
            days.after(chunk["ids"])
    if days is not None:
        days.finish()
    review_items.refresh_review_items(s, ids)


@cache
def _some_surveys() -> tuple[Delete, Insert]:
    """The delete and the insert of the fact rows of the surveys bound to ``:ids``, built once."""
    source, pick = _canonical()
    return (delete(F).where(in_ids(F.c.survey_id)),
            insert(F).from_select(list(_COLUMNS), pick.where(in_ids(source.c.survey_id))))


@cache  # built once: constructing the canonical query costs more than running it for one survey
def _canonical() -> tuple[Subquery, Select]:
    """:func:`per_survey` as a subquery, and the selection of its columns in fact-table order."""
    source = per_survey().subquery()
    return source, select(*(source.c[_COLUMNS[name]] for name in _COLUMNS))


@cache
def _one_survey() -> tuple[Delete, Insert]:
    source, pick = _canonical()
    return (delete(F).where(F.c.survey_id == bindparam("sid")),
            insert(F).from_select(list(_COLUMNS), pick.where(source.c.survey_id == bindparam("sid"))))


def refresh_survey_facts(s: Session, survey_id: int) -> None:
    """:func:`refresh_facts` for one survey, with statements built once (a dialogue turn's Core writes)."""
    remove, add = _one_survey()
    zone = day_counts.built_zone(s)
    days = day_counts.DayChange(s, zone) if zone is not None else None
    if days is not None:
        days.before([survey_id])
    c = s.connection()
    c.execute(remove, {"sid": survey_id})
    c.execute(add, {"sid": survey_id})
    if days is not None:
        days.after([survey_id])
        days.finish()
    review_items.refresh_survey_items(s, survey_id)


# --- the listener ---------------------------------------------------------------------

_PENDING = "survey_facts_pending"
# Which id of a changed object leads to its survey, by mapped class.
_KEYS = {Survey: ("survey", "id"), Call: ("call", "id"), Rating: ("survey", "survey_id"),
         Reason: ("rating", "rating_id"), Appeal: ("reason", "reason_id"),
         ReviewLabel: ("reason", "reason_id"),  # a second label sends an item to adjudication
         ShadowReading: ("reason", "reason_id")}  # a shadow version's reading may make it an item


def _affected_surveys(s: Session, keys: dict[str, set[int]]) -> set[int]:
    found = set(keys.get("survey", ()))
    parts = []
    if keys.get("call"):
        parts.append(select(Survey.id).where(Survey.call_id.in_(keys["call"])))
    if keys.get("rating"):
        parts.append(select(Rating.survey_id).where(Rating.id.in_(keys["rating"])))
    if keys.get("reason"):
        parts.append(select(Rating.survey_id).join(Reason, Reason.rating_id == Rating.id)
                     .where(Reason.id.in_(keys["reason"])))
    if parts:
        found.update(s.scalars(union(*parts)) if len(parts) > 1 else s.scalars(parts[0]))
    return found


def _loaded(obj: object, relation: str) -> object | None:
    """The related object when already loaded (no query), else None."""
    return obj.__dict__.get(relation)


def _note_changes(s: Session, _flush) -> None:
    pending: dict[str, set[int]] = s.info.setdefault(_PENDING, {})
    for obj in (*s.new, *s.dirty, *s.deleted):
        # Resolve to the survey through relations already in memory where possible (saves a query per turn).
        if isinstance(obj, Reason) and isinstance(rating := _loaded(obj, "rating"), Rating):
            obj = rating
        key = _KEYS.get(type(obj))
        if key is not None and (value := getattr(obj, key[1], None)) is not None:
            pending.setdefault(key[0], set()).add(value)


def _refresh_before_commit(s: Session) -> None:
    if s.in_nested_transaction():
        return  # a savepoint: the outermost commit refreshes everything noted
    s.flush()
    pending = s.info.pop(_PENDING, None)
    if pending:
        refresh_facts(s, _affected_surveys(s, pending))


def _forget(s: Session, transaction) -> None:
    if transaction.parent is None:  # outermost ended (committed or rolled back): nothing left to refresh
        s.info.pop(_PENDING, None)


_LISTENERS = (("after_flush", _note_changes), ("before_commit", _refresh_before_commit),
              ("after_transaction_end", _forget))


def install() -> None:
    """Keep ``survey_facts`` in step with every ORM write of this process (idempotent).

    Called explicitly by each process's entry point (the CLI, the web app, the
    action server, the job worker) and by the test suite, never as a side
    effect of an import.
    """
    for name, listener in _LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def installed() -> bool:
    """True once :func:`install` ran in this process (health checks and tests say so)."""
    return all(event.contains(Session, name, listener) for name, listener in _LISTENERS)
