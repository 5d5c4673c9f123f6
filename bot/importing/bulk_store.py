"""Write a batch of :class:`bot.conversation.records.SurveyRecord` with a few bulk statements, in the caller's transaction.

Two steps, so the costly one runs where the records are decided (the
import's worker processes) and the import's one writer only gives out ids:
:func:`flatten` turns a record into :class:`FlatRecord` (the rows as tuples,
values converted for the database, ids local to the record, audit payloads as
JSON text with the places of ids left open); :func:`write_flat` gives out
the ids, fills them in and inserts. :func:`write_records` does both.

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

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

import orjson
from sqlalchemy import JSON, DateTime, Dialect, Table, func, select, text
from sqlalchemy.orm import Session

from bot.conversation.records import Ref, Row, SurveyRecord
from bot.db.models import Agent, AuditLog, Call, CallAgent, Flag, Rating, Reason, Survey
from bot.db.survey_facts import SurveyFact
from bot.dialogue.state import DialogueState
from bot.importing.stored_calls import Footprint, of_record
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
    return _new_id_lists(s, {model: n})[model]


def _new_id_lists(s: Session, wanted: dict[type, int]) -> dict[type, list[int]]:
    """For each table (by model), as many unused ids as ``wanted`` says, increasing.

    PostgreSQL: one statement for all the tables, each table's ids as one array from its own sequence (a row per
    id cost the writer more than the server's ``nextval``). SQLite: after the table's largest id.
    """
    out: dict[type, list[int]] = {model: [] for model in wanted}
    todo = [(model, n) for model, n in wanted.items() if n > 0]
    if not todo:
        return out
    if not _postgresql(s):
        for model, n in todo:
            last = s.scalar(select(func.max(_table(model).c.id))) or 0
            out[model] = list(range(last + 1, last + n + 1))
        return out
    for model, _ in todo:
        name = _table(model).name
        if name not in _sequences:
            _sequences[name] = s.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name})
    arrays = ", ".join(f"ARRAY(SELECT nextval(CAST(:s{i} AS regclass)) FROM generate_series(1, :n{i}))"
                       for i in range(len(todo)))
    params: dict[str, Any] = {}
    for i, (model, n) in enumerate(todo):
        params[f"s{i}"], params[f"n{i}"] = _sequences[_table(model).name], n
    row = s.execute(text(f"SELECT {arrays}"), params).one()
    for (model, _), ids in zip(todo, row, strict=True):
        out[model] = ids
    return out


def _converters(dialect: Dialect, model: type, names: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    """How each column's Python value is sent: SQLAlchemy's bind processors on SQLite (as an ORM insert
    would); on PostgreSQL instants as the text psycopg would send (``COPY`` converts the rest itself); JSON
    as :func:`_json_text` on both."""
    key = (id(dialect), model, tuple(names))
    if key not in _converter_cache:
        table = _table(model)
        if dialect.name == "postgresql":
            out: list[Callable[[Any], Any] | None] = [
                _postgresql_instants if isinstance(table.c[n].type, DateTime) else None for n in names]
        else:
            # A record's few instants recur in many columns of its rows: one memory of their text for all.
            out = [_sqlite_instants if isinstance(table.c[n].type, DateTime)
                   else table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
        out = [_json_text if isinstance(table.c[n].type, JSON)
               else _plain_str if c is None and n in _ENUM_COLUMNS else c
               for n, c in zip(names, out, strict=True)]
        _converter_cache[key] = (dialect, out)  # the dialect is kept so its id is not reused
    return _converter_cache[key][1]


def sqlite_instant(value: datetime | None) -> str | None:
    """An instant as SQLAlchemy's SQLite ``DateTime`` stores it (``2026-12-07 18:32:11.746056``; the
    wall time as given, microseconds always), from the C ``isoformat`` (twice as fast as SQLAlchemy's).
    ``tests/storage/test_bulk_records.py`` holds it to SQLAlchemy's own text."""
    return None if value is None else value.isoformat(" ", "microseconds")[:26]


def postgresql_instant(value: datetime | None) -> str | None:
    """An instant as psycopg's text dumper sends it (``str``: ``2026-12-07 18:32:11.746056+00:00``).

    Made in the import's workers: a ``datetime`` costs the writer (the import's one serial process) a
    constructor call to unpickle and a dumper call to write, the text neither (a batch's rows hold about fifteen
    instants per call). ``tests/storage/test_bulk_records.py`` compares the stored rows with the live path's.
    """
    return None if value is None else str(value)


# Columns whose values are str enums (statuses, sources, kinds): sent as plain str, which the pickler writes
# as text (an enum member costs the receiving end a lookup in its class).
_ENUM_COLUMNS = frozenset({"status", "source", "kind"})


def _plain_str(value: Any) -> Any:
    return value if value is None or type(value) is str else str(value)


def _remembered(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``convert`` with its latest results kept."""
    done: dict[Any, Any] = {}

    def remembered(value: Any) -> Any:
        try:
            return done[value]
        except KeyError:
            if len(done) >= 10_000:
                done.clear()
            done[value] = result = convert(value)
            return result
    return remembered


# Keyed by the instant: equal instants in other zones would share a text, but a record holds UTC instants only
# (``records.new_survey`` and the dialogue core make every instant UTC, as SQLite keeps the wall time).
_sqlite_instants = _remembered(sqlite_instant)
_postgresql_instants = _remembered(postgresql_instant)


_converter_cache: dict[tuple[int, type, tuple[str, ...]], tuple[Dialect, list[Callable[[Any], Any] | None]]] = {}


def _json_text(value: Any) -> str:
    """``value`` as JSON text, the same text object for equal texts (see :data:`_json_texts`).

    orjson, not the standard library: an import's worker spent 17 % of its time writing audit payloads with
    ``json.dumps`` (py-spy, 200,000 rows on PostgreSQL). The text differs from the live path's in spacing and
    in writing non-ASCII characters as they are; both are the same JSON, and every reader parses it
    (``tests/storage/test_bulk_records.py`` compares the payloads parsed).
    """
    text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    found = _json_texts.get(text)
    if found is None:
        if len(_json_texts) >= 10_000:
            _json_texts.clear()
        _json_texts[text] = found = text
    return found


#: The latest payload texts, each kept once: many payloads repeat whole (a status change, a rating), and the
#: same string object goes to the writer once per batch (the pickler writes an object it has seen as a reference).
_json_texts: dict[str, str] = {}


def _put(s: Session, model: type, names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (values in ``names`` order, converted by :func:`_converters`): ``COPY`` on PostgreSQL,
    one DB-API ``executemany`` on SQLite."""
    if not rows:
        return
    table = _table(model)
    if not _postgresql(s):
        s.connection().exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(names)}) "
                                       f"VALUES ({', '.join('?' * len(names))})", rows)
        return
    cursor = s.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)

def ensure_agents(s: Session, first_seen: dict[str, datetime]) -> None:
    """Create the agents not known yet, as ``register_call`` does (``created`` audit row at their first call)."""
    known = set(s.scalars(select(Agent.id).where(Agent.id.in_(list(first_seen)))))
    new = [(a, at) for a, at in first_seen.items() if a not in known]
    if not new:
        return
    _lock(s)
    dialect = s.get_bind().dialect
    conv = _converters(dialect, Agent, ("id", "created_at"))
    _put(s, Agent, ("id", "created_at"), [_after((a, at), conv, 0) for a, at in new])
    conv = _converters(dialect, AuditLog, AUDIT_COLUMNS)
    _put(s, AuditLog, AUDIT_COLUMNS, [
        (audit_id, *_after((at, "integration", "agent", a, "created", {}), conv, 1))
        for (a, at), audit_id in zip(new, _new_ids(s, AuditLog, len(new)), strict=True)])


# --- records as rows (built where the records are decided: the import's worker processes) ---------------------

# Tables of the rows a record refers to by position (ids are given out by the writer).
_CALL, _SURVEY, _RATING, _REASON, _FLAG = range(5)
# Columns in the order of the tuples below; ids and references come first.
CALL_COLUMNS = ("id", "team_id", "external_id", "ended_at", "customer_channel_id", "channel_hash",
                "credited_agent_id", "created_at")
CALL_AGENT_COLUMNS = ("call_id", "agent_id", "position")
SURVEY_COLUMNS = ("id", "call_id", "token", "template_version", "sent_at", "expires_at", "status",
                  "needs_followup", "created_at", *DialogueState().to_dict())
RATING_COLUMNS = ("id", "survey_id", "supersedes_id", "score", "raw_reply", "received_at", "status", "created_at")
REASON_COLUMNS = ("id", "rating_id", "supersedes_id", "text", "cause", "attribution", "confidence", "source",
                  "model_version", "evidence", "needs_review", "model_cause", "model_confidence", "created_at")
FLAG_COLUMNS = ("id", "survey_id", "kind", "text", "created_at")
AUDIT_COLUMNS = ("id", "at", "actor", "entity", "entity_id", "action", "data")

# A reference in an audit payload is written as a marker no real value contains, found and cut out of the
# payload's JSON text once (``_template``); the writer puts the id between the pieces.
_MARK = f"\x00ref-{secrets.token_hex(8)}-"


class FlatRecord(NamedTuple):
    """A new call and its survey (a :class:`SurveyRecord`) as the rows to insert, values already converted
    for the database; ``(table, n)`` stands for the id of the record's ``n``-th row of that table.

    Ratings, reasons and flags are numbered within the record in the order the bulk path writes them; the
    survey and the call are ``n = 0``. Cheap to send between processes: tuples of plain values all the way
    down (a dataclass costs the pickler a state dict per object; a batch of 4,000 rows as plain tuples
    instead: 17.4 → 9.2 µs per row to pickle, 11.7 → 8.4 µs to unpickle, measured once).
    """

    external_id: str
    agent_ids: tuple[str, ...]
    created_at: datetime
    team_id: int | None
    footprint: Footprint
    call: tuple[Any, ...]  # CALL_COLUMNS after id and team_id
    survey: tuple[Any, ...]  # SURVEY_COLUMNS after id and call_id
    ratings: list[tuple[Any, ...]]  # (supersedes n or None, RATING_COLUMNS after supersedes_id)
    reasons: list[tuple[Any, ...]]  # (rating n, supersedes n or None, REASON_COLUMNS after supersedes_id)
    flags: list[tuple[Any, ...]]  # FLAG_COLUMNS after survey_id
    audits: list[tuple[Any, ...]]  # (at, actor, entity, entity id or (table, n), action, data: text or template)


def _after(values: tuple[Any, ...], convert: list[Callable[[Any], Any] | None], skip: int) -> tuple[Any, ...]:
    """``values`` of the columns from ``skip`` on, converted."""
    key = (id(convert), skip, len(values))
    plan = _plans.get(key)
    if plan is None:
        assert skip + len(values) <= len(convert)
        plan = _plans[key] = tuple((i, c) for i, c in enumerate(convert[skip:skip + len(values)]) if c is not None)
    if not plan:
        return values
    out = list(values)
    for i, c in plan:
        out[i] = c(out[i])
    return tuple(out)


# Which values to convert, by converters (cached for good, so their ids stay theirs), offset and length.
_plans: dict[tuple[int, int, int], tuple[tuple[int, Callable[[Any], Any]], ...]] = {}


def _template(data_json: Callable[[Any], Any], data: dict[str, Any], refs: list[Any]) -> str | tuple[Any, ...]:
    """The payload's JSON text, or its pieces around the references ``refs`` (``(text, ref, text, …)``)."""
    if not refs:
        return data_json(data)
    marked = data_json({k: (f"{_MARK}{refs.index(v)}" if isinstance(v, _Pending) else v) for k, v in data.items()})
    pieces: list[Any] = []
    rest = marked
    for i, ref in enumerate(refs):
        quoted = data_json(f"{_MARK}{i}")
        before, found, rest = rest.partition(quoted)
        if not found or quoted in rest:
            raise ValueError("an audit payload holds the reference marker")  # cannot happen: it is random
        pieces += [before, ref.target]
    pieces.append(rest)
    return tuple(pieces)


@dataclass(frozen=True)
class _Pending:
    """A reference to a row of the record, known once ids are given out."""

    target: tuple[int, int]


def flatten(d: SurveyRecord, dialect: Dialect) -> FlatRecord:
    """``d`` (a new record) as rows for :func:`write_flat`, converted for ``dialect``."""
    where: dict[int, tuple[int, int]] = {id(d): (_SURVEY, 0)}
    ratings = d.ratings
    reasons = [x for r in ratings for x in r.reasons]
    for table, rows in ((_RATING, ratings), (_REASON, reasons), (_FLAG, d.flags)):
        for n, row in enumerate(rows):
            where[id(row)] = (table, n)

    def ref(row: Row | None) -> Any:
        """A row of the record as ``(table, n)``; a row already stored by its id."""
        if row is None:
            return None
        return where[id(row)] if row.id is None else row.id

    def n_of(row: Row | None) -> int | None:
        return None if row is None else where[id(row)][1]

    conv = _converters(dialect, Call, CALL_COLUMNS)
    call = _after((d.external_id, d.ended_at, None, d.channel_hash, d.credited_agent_id, d.created_at), conv, 2)
    conv = _converters(dialect, Survey, SURVEY_COLUMNS)
    survey = _after((d.token, d.template_version, d.created_at, d.expires_at, d.status, d.needs_followup,
                     d.created_at, *d.state.to_dict().values()), conv, 2)
    conv = _converters(dialect, Rating, RATING_COLUMNS)
    flat_ratings = [(n_of(r.supersedes), *_after((r.score, r.raw_reply, r.received_at, r.status, r.created_at),
                                                 conv, 3)) for r in ratings]
    conv = _converters(dialect, Reason, REASON_COLUMNS)
    flat_reasons = [(n_of(x.rating), n_of(x.supersedes),
                     *_after((x.text, x.cause, x.attribution, x.confidence, x.source, x.model_version, x.evidence,
                              x.needs_review, x.model_cause, x.model_confidence, x.created_at), conv, 3))
                    for x in reasons]
    conv = _converters(dialect, Flag, FLAG_COLUMNS)
    flat_flags = [_after((f.kind, f.text, f.created_at), conv, 2) for f in d.flags]
    conv = _converters(dialect, AuditLog, AUDIT_COLUMNS)
    data_json = conv[6] or (lambda v: v)
    audits = []
    for a in d.audits:
        if isinstance(a.row, Row):
            entity = ref(a.row)
            entity_id: Any = entity if isinstance(entity, tuple) else str(entity)
        else:
            entity_id = (_CALL, 0) if a.row == "call" else a.row  # the call's own id
        data: dict[str, Any] = {}
        refs: list[_Pending] = []
        for k, v in a.data.items():
            if isinstance(v, Ref):
                target = ref(v.row)
                if isinstance(target, tuple):
                    v = _Pending(target)
                    refs.append(v)
                else:
                    v = target
            data[k] = v
        audits.append((*_after((a.at, a.actor, a.entity), conv, 1), entity_id, a.action,
                       _template(data_json, data, refs)))
    return FlatRecord(external_id=d.external_id, agent_ids=tuple(d.agent_ids), created_at=d.created_at,
                      team_id=d.team_id, footprint=of_record(d), call=call, survey=survey, ratings=flat_ratings,
                      reasons=flat_reasons, flags=flat_flags, audits=audits)


def write_records(s: Session, records: Sequence[SurveyRecord]) -> None:
    """Insert every row of ``records`` (their calls must be new) and refresh their facts."""
    dialect = s.get_bind().dialect
    write_flat(s, [flatten(d, dialect) for d in records])


def write_flat(s: Session, records: Sequence[FlatRecord], team_ids: Sequence[int | None] | None = None) -> None:
    """Insert every row of ``records`` (their calls must be new, flattened for this database's dialect) and
    refresh their facts; ``team_ids``: each call's team, where the records' own ``team_id`` is not it (the
    import's workers decide a call before the writer knows its team).

    Runs in the caller's transaction; on SQLite it takes the database's write lock first (held to the
    caller's commit), so the ids it reads stay its own.
    """
    if not records:
        return
    first_seen: dict[str, datetime] = {}
    for d in records:
        for a in d.agent_ids:
            first_seen.setdefault(a, d.created_at)
    ensure_agents(s, first_seen)
    _lock(s)
    n = len(records)
    ids_of = _new_id_lists(s, {Call: n, Survey: n, Rating: sum(len(d.ratings) for d in records),
                               Reason: sum(len(d.reasons) for d in records), Flag: sum(len(d.flags) for d in records),
                               AuditLog: sum(len(d.audits) for d in records)})
    calls, surveys, ratings = ids_of[Call], ids_of[Survey], ids_of[Rating]
    reasons, flags, audits = ids_of[Reason], ids_of[Flag], ids_of[AuditLog]
    Rows = list[tuple[Any, ...]]
    call_rows: Rows = []
    agent_rows: Rows = []
    survey_rows: Rows = []
    rating_rows: Rows = []
    reason_rows: Rows = []
    flag_rows: Rows = []
    audit_rows: Rows = []
    at_rating = at_reason = at_flag = at_audit = 0
    for i, d in enumerate(records):
        cid, sid = calls[i], surveys[i]
        ids = {_CALL: calls[i:i + 1], _SURVEY: surveys[i:i + 1], _RATING: ratings[at_rating:at_rating + len(d.ratings)],
               _REASON: reasons[at_reason:at_reason + len(d.reasons)], _FLAG: flags[at_flag:at_flag + len(d.flags)]}
        mine = ids[_RATING]
        call_rows.append((cid, d.team_id if team_ids is None else team_ids[i], *d.call))
        agent_rows.extend((cid, a, p) for p, a in enumerate(d.agent_ids))
        survey_rows.append((sid, cid, *d.survey))
        rating_rows.extend((mine[k], sid, None if r[0] is None else mine[r[0]], *r[1:])
                           for k, r in enumerate(d.ratings))
        theirs = ids[_REASON]
        reason_rows.extend((theirs[k], mine[x[0]], None if x[1] is None else theirs[x[1]], *x[2:])
                           for k, x in enumerate(d.reasons))
        flag_rows.extend((fid, sid, *f) for fid, f in zip(ids[_FLAG], d.flags))
        for audit in d.audits:
            entity_id: Any = audit[3]
            data: Any = audit[5]
            if type(entity_id) is tuple:
                entity_id = str(ids[entity_id[0]][entity_id[1]])
            if type(data) is tuple:
                data = "".join(p if type(p) is str else str(ids[p[0]][p[1]]) for p in data)
            audit_rows.append((audits[at_audit], audit[0], audit[1], audit[2], entity_id, audit[4], data))
            at_audit += 1
        at_rating += len(d.ratings)
        at_reason += len(d.reasons)
        at_flag += len(d.flags)
    _put(s, Call, CALL_COLUMNS, call_rows)
    _put(s, CallAgent, CALL_AGENT_COLUMNS, agent_rows)
    _put(s, Survey, SURVEY_COLUMNS, survey_rows)
    _put(s, Rating, RATING_COLUMNS, rating_rows)
    _put(s, Reason, REASON_COLUMNS, reason_rows)
    _put(s, Flag, FLAG_COLUMNS, flag_rows)
    _put(s, AuditLog, AUDIT_COLUMNS, audit_rows)
    refresh_facts(s, surveys, new=True)
