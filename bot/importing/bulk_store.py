"""Write a batch of :class:`bot.conversation.records.SurveyRecord` with a few Core statements, in the caller's transaction.

Agents, calls, call agents, surveys, ratings, reasons, flags and audit rows
are inserted with one multi-row ``INSERT … RETURNING id`` per table (ids come
back in parameter order on SQLite and PostgreSQL; rows whose ids nobody needs,
call agents and the audit trail, go by ``COPY`` on PostgreSQL), ratings and reasons in
rounds by their place in the supersession chain so a superseding row can name
the row it supersedes. Then ``survey_facts`` is refreshed for the batch's
surveys (the session listener does not see Core inserts).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from bot.conversation.records import RecordedAudit, RecordedRating, RecordedReason, Ref, Row, SurveyRecord
from bot.db.models import Agent, AuditLog, Call, CallAgent, Flag, Rating, Reason, Survey
from bot.ledger.fact_table import refresh_facts

_CHUNK = 1000  # rows per statement


def _table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def _insert(s: Session, model: type, rows: list[dict[str, Any]]) -> list[Any]:
    """Insert ``rows``; their new ids in the same order.

    Always with RETURNING, also where the ids are not needed: SQLAlchemy then sends multi-row
    ``INSERT … VALUES (…), (…)`` batches, where a plain executemany costs a round trip per row on
    PostgreSQL.
    """
    table, ids = _table(model), list[Any]()
    for i in range(0, len(rows), _CHUNK):
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids.extend(s.scalars(stmt, rows[i:i + _CHUNK]).all())
    return ids


def _append(s: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` whose ids nobody needs: ``COPY`` on PostgreSQL (the audit trail is most of a batch)."""
    if not rows:
        return
    if s.get_bind().dialect.name != "postgresql":
        _insert(s, model, rows)
        return
    table = _table(model)
    names = list(rows[0])
    json_columns = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
    cursor = s.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[n], ensure_ascii=False) if n in json_columns else row[n]
                            for n in names])


def _assign(s: Session, model: type, rows: Sequence[Row], values: list[dict[str, Any]]) -> None:
    for row, new_id in zip(rows, _insert(s, model, values), strict=True):
        row.id = new_id


def _by_depth(rows: list[Any]) -> list[list[Any]]:
    """Rows grouped by how many rows they supersede in a chain (0 first), so each round can name the last."""
    depth: dict[int, int] = {}
    rounds: list[list[Any]] = []
    for row in rows:
        d = depth[id(row)] = 0 if row.supersedes is None else depth[id(row.supersedes)] + 1
        while len(rounds) <= d:
            rounds.append([])
        rounds[d].append(row)
    return rounds


def ensure_agents(s: Session, first_seen: dict[str, datetime]) -> None:
    """Create the agents not known yet, as ``register_call`` does (``created`` audit row at their first call)."""
    known = set(s.scalars(select(Agent.id).where(Agent.id.in_(list(first_seen)))))
    new = [(a, at) for a, at in first_seen.items() if a not in known]
    if not new:
        return
    _insert(s, Agent, [{"id": a, "created_at": at} for a, at in new])
    _append(s, AuditLog, [_audit_values(None, RecordedAudit(at, "integration", "agent", a, "created", {}))
                          for a, at in new])


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
    call_ids = _insert(s, Call, [
        {"external_id": d.external_id, "ended_at": d.ended_at, "customer_channel_id": None, "channel_hash": d.channel_hash,
         "credited_agent_id": d.credited_agent_id, "team_id": d.team_id, "created_at": d.created_at}
        for d in records])
    for d, call_id in zip(records, call_ids, strict=True):
        d.call_id = call_id
    _append(s, CallAgent, [{"call_id": d.call_id, "agent_id": a, "position": i}
                           for d in records for i, a in enumerate(d.agent_ids)])
    _assign(s, Survey, records, [
        {"token": d.token, "call_id": d.call_id, "template_version": d.template_version, "sent_at": d.created_at,
         "expires_at": d.expires_at, "status": d.status, "needs_followup": d.needs_followup,
         "created_at": d.created_at, **d.state.to_dict()} for d in records])
    survey_of: dict[int, SurveyRecord] = {}
    for d in records:
        for r in d.ratings:
            survey_of[id(r)] = d
    ratings: list[RecordedRating] = [r for d in records for r in d.ratings]
    for batch in _by_depth(ratings):
        _assign(s, Rating, batch, [
            {"survey_id": survey_of[id(r)].id, "score": r.score, "raw_reply": r.raw_reply,
             "received_at": r.received_at, "status": r.status,
             "supersedes_id": r.supersedes.id if r.supersedes else None, "created_at": r.created_at}
            for r in batch])
    reasons: list[RecordedReason] = [x for r in ratings for x in r.reasons]
    for batch in _by_depth(reasons):
        _assign(s, Reason, batch, [
            {"rating_id": x.rating.id, "text": x.text, "cause": x.cause, "attribution": x.attribution,
             "confidence": x.confidence, "source": x.source, "model_version": x.model_version,
             "evidence": x.evidence, "needs_review": x.needs_review,
             "supersedes_id": x.supersedes.id if x.supersedes else None, "created_at": x.created_at}
            for x in batch])
    flags = [(d, f) for d in records for f in d.flags]
    _assign(s, Flag, [f for _, f in flags], [
        {"survey_id": d.id, "kind": f.kind, "text": f.text, "created_at": f.created_at} for d, f in flags])
    _append(s, AuditLog, [_audit_values(d, a) for d in records for a in d.audits])
    refresh_facts(s, [d.id for d in records if d.id is not None])
