"""Write a batch of :class:`bot.conversation.records.SurveyRecord` with a few bulk statements, in the caller's transaction.

Ids are given out before the rows are written, so a row that names another
(a superseding rating, an audit payload) is written in the same statement as
everything else and no statement needs ``RETURNING`` (which SQLAlchemy sends
one row at a time on SQLite when the order of the ids matters):

* PostgreSQL: the ids come from each table's own sequence (one
  ``nextval … generate_series`` per table and batch, safe beside other
  writers), and every table is written by ``COPY``;
* SQLite: the ids follow the table's largest id, read after the transaction
  took SQLite's write lock (a no-op ``DELETE`` first), so no other writer can
  take them before the commit; rows go by ``executemany``.

Then ``survey_facts`` is refreshed for the batch's surveys (the session
listener does not see Core inserts).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import DateTime, Table, func, select, text
from sqlalchemy.orm import Session

from bot.conversation.records import RecordedAudit, RecordedRating, RecordedReason, Ref, Row, SurveyRecord
from bot.db.models import Agent, AuditLog, Call, CallAgent, Flag, Rating, Reason, Survey
from bot.db.survey_facts import SurveyFact
from bot.ledger.fact_table import refresh_facts

_sequences: dict[str, str] = {}  # table → its id sequence on PostgreSQL (the same in every database we migrate)


def _table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def _postgresql(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


def _lock(s: Session) -> None:
    """On SQLite, take the database's write lock now (held to the commit), so the ids read next stay ours."""
    if not _postgresql(s):
        s.execute(text(f"DELETE FROM {_table(SurveyFact).name} WHERE 0 = 1"))


def _new_ids(s: Session, model: type, n: int) -> list[int]:
    """``n`` unused ids of ``model``'s table, increasing."""
    if n == 0:
        return []
    table = _table(model)
    if _postgresql(s):
        if table.name not in _sequences:
            _sequences[table.name] = s.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name})
        return list(s.scalars(text("SELECT nextval(CAST(:seq AS regclass)) FROM generate_series(1, :n)"),
                              {"seq": _sequences[table.name], "n": n}))
    last = s.scalar(select(func.max(table.c.id))) or 0
    return list(range(last + 1, last + n + 1))


def _put(s: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (ids included where the table has generated ones): ``COPY`` on PostgreSQL."""
    if not rows:
        return
    table = _table(model)
    names = list(rows[0])
    if not _postgresql(s):
        _executemany(s, table, names, rows)
        return
    json_columns = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
    cursor = s.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[n], ensure_ascii=False) if n in json_columns else row[n]
                            for n in names])


def _remembering(convert: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """``convert`` with its results kept for the statement: a batch repeats the same few times many times."""
    if convert is None:
        return None
    done: dict[Any, Any] = {}

    def remembered(value: Any) -> Any:
        if value not in done:
            done[value] = convert(value)
        return done[value]
    return remembered


def _executemany(s: Session, table: Table, names: list[str], rows: list[dict[str, Any]]) -> None:
    """One DB-API ``executemany``, values converted by the columns' own SQLAlchemy types (as an ORM insert)."""
    dialect = s.get_bind().dialect
    convert = [_remembering(table.c[n].type.dialect_impl(dialect).bind_processor(dialect))
               if isinstance(table.c[n].type, DateTime) else table.c[n].type.dialect_impl(dialect).bind_processor(dialect)
               for n in names]
    values = [tuple(row[n] if c is None else c(row[n]) for n, c in zip(names, convert, strict=True))
              for row in rows]
    s.connection().exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(names)}) "
                                   f"VALUES ({', '.join('?' * len(names))})", values)


def _number(s: Session, model: type, rows: Sequence[Row]) -> None:
    for row, new_id in zip(rows, _new_ids(s, model, len(rows)), strict=True):
        row.id = new_id


def ensure_agents(s: Session, first_seen: dict[str, datetime]) -> None:
    """Create the agents not known yet, as ``register_call`` does (``created`` audit row at their first call)."""
    known = set(s.scalars(select(Agent.id).where(Agent.id.in_(list(first_seen)))))
    new = [(a, at) for a, at in first_seen.items() if a not in known]
    if not new:
        return
    _lock(s)
    _put(s, Agent, [{"id": a, "created_at": at} for a, at in new])
    audits = [_audit_values(None, RecordedAudit(at, "integration", "agent", a, "created", {})) for a, at in new]
    for values, audit_id in zip(audits, _new_ids(s, AuditLog, len(audits)), strict=True):
        values["id"] = audit_id
    _put(s, AuditLog, audits)


def _resolve(value: Any) -> Any:
    if isinstance(value, Ref):
        return value.row.id if value.row is not None else None
    return value


def _audit_values(d: SurveyRecord | None, a: RecordedAudit) -> dict[str, Any]:
    if isinstance(a.row, Row):
        entity_id: Any = a.row.id
    else:
        entity_id = d.call_id if d is not None and a.row == "call" else a.row
    return {"at": a.at, "actor": a.actor, "entity": a.entity, "entity_id": str(entity_id), "action": a.action,
            "data": {k: _resolve(v) for k, v in a.data.items()}}


def write_records(s: Session, records: Sequence[SurveyRecord]) -> None:
    """Insert every row of ``records`` (their calls must be new) and refresh their facts."""
    if not records:
        return
    first_seen: dict[str, datetime] = {}
    for d in records:
        for a in d.agent_ids:
            first_seen.setdefault(a, d.created_at)
    ensure_agents(s, first_seen)
    _lock(s)
    for d, call_id in zip(records, _new_ids(s, Call, len(records)), strict=True):
        d.call_id = call_id
    _number(s, Survey, records)
    ratings: list[tuple[SurveyRecord, RecordedRating]] = [(d, r) for d in records for r in d.ratings]
    _number(s, Rating, [r for _, r in ratings])
    reasons: list[RecordedReason] = [x for _, r in ratings for x in r.reasons]
    _number(s, Reason, reasons)
    flags = [(d, f) for d in records for f in d.flags]
    _number(s, Flag, [f for _, f in flags])
    audits = [_audit_values(d, a) for d in records for a in d.audits]
    for values, audit_id in zip(audits, _new_ids(s, AuditLog, len(audits)), strict=True):
        values["id"] = audit_id
    _put(s, Call, [
        {"id": d.call_id, "external_id": d.external_id, "ended_at": d.ended_at,
         "customer_channel_id": None, "channel_hash": d.channel_hash, "credited_agent_id": d.credited_agent_id,
         "team_id": d.team_id, "created_at": d.created_at} for d in records])
    _put(s, CallAgent, [{"call_id": d.call_id, "agent_id": a, "position": i}
                        for d in records for i, a in enumerate(d.agent_ids)])
    _put(s, Survey, [
        {"id": d.id, "token": d.token, "call_id": d.call_id, "template_version": d.template_version,
         "sent_at": d.created_at, "expires_at": d.expires_at, "status": d.status,
         "needs_followup": d.needs_followup, "created_at": d.created_at, **d.state.to_dict()} for d in records])
    _put(s, Rating, [
        {"id": r.id, "survey_id": d.id, "score": r.score, "raw_reply": r.raw_reply, "received_at": r.received_at,
         "status": r.status, "supersedes_id": r.supersedes.id if r.supersedes else None, "created_at": r.created_at}
        for d, r in ratings])
    _put(s, Reason, [
        {"id": x.id, "rating_id": x.rating.id, "text": x.text, "cause": x.cause, "attribution": x.attribution,
         "confidence": x.confidence, "source": x.source, "model_version": x.model_version,
         "evidence": x.evidence, "needs_review": x.needs_review, "model_cause": x.model_cause,
         "model_confidence": x.model_confidence,
         "supersedes_id": x.supersedes.id if x.supersedes else None, "created_at": x.created_at}
        for x in reasons])
    _put(s, Flag, [{"id": f.id, "survey_id": d.id, "kind": f.kind, "text": f.text, "created_at": f.created_at}
                   for d, f in flags])
    _put(s, AuditLog, audits)
    refresh_facts(s, [d.id for d in records if d.id is not None])
