"""The bulk path (``records`` + ``bulk_store``, used by the import) stores exactly what the live turn path stores.

The same conversations are played once through ``register_call`` +
``turns.start_turn`` / ``turns.reply_turn`` (the live chat) and once through
``records.new_survey`` + ``records.start_turn`` / ``reply_turn`` +
``bulk_store.write_records``, into one database under different call and agent
ids. Every stored row of each call (survey, ratings, reasons, flags, audit
rows with their payloads, the agents' audit rows and the fact rows) must be
identical once the ids are replaced by their place in the conversation.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.conversation import calls, records, turns
from bot.db.models import AuditLog, Call, Flag, Rating, Reason, Survey
from bot.db.session import open_session
from bot.db.survey_facts import SurveyFact
from bot.importing import bulk_store
from classifiers import classify

T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
WINDOW = 60
# (agent, minutes after the call ended that the customer writes, messages)
CONVERSATIONS: list[tuple[str, int, list[str]]] = [
    ("1", 3, ["5"]),
    ("1", 4, ["1分，客服态度太差了，一直打断我说话"]),
    ("2", 2, ["2", "套餐太贵了，每个月都乱扣费"]),
    ("2", 5, ["2", "问题没解决"]),
    ("2", 5, ["2", "问题没解决", "1"]),
    ("1", 1, ["1", "刚才按错了，应该是5分"]),
    ("3", 150, ["1分，快递三天了还没送到"]),
    ("3", 2, ["别再给我发这种短信了"]),
    ("1", 6, ["我要投诉，你们的客服把我的账户弄错了，1分"]),
    ("2", 3, ["5分，太差劲了，等了四十分钟"]),
    ("3", 3, ["嗯", "3", "理赔材料交了两次还说没收到"]),
    ("1", 2, ["4", "网点人挺好的，就是航班改签的规定太死板"]),
]


def _live(url: str) -> None:
    for n, (agent, after, messages) in enumerate(CONVERSATIONS):
        ended = T0 + timedelta(minutes=7 * n)
        with open_session(url) as s, s.begin():
            req = calls.CallRequest(call_id=f"live-{n}", agent_ids=[f"L{agent}"], ended_at=ended)
            survey, _ = calls.register_call(s, req, window_minutes=WINDOW, template_version="v1", now=ended)
            token = survey.token
        at = ended + timedelta(minutes=after)
        with open_session(url) as s, s.begin():
            turns.start_turn(s, token, at, "v1")
        for text in messages:
            with open_session(url) as s, s.begin():
                turns.reply_turn(s, token, text, at, classify)


def _bulk(url: str) -> None:
    batch = []
    for n, (agent, after, messages) in enumerate(CONVERSATIONS):
        ended = T0 + timedelta(minutes=7 * n)
        d = records.new_survey(f"bulk-{n}", [f"B{agent}"], ended, None, window_minutes=WINDOW,
                              template_version="v1", now=ended)
        at = ended + timedelta(minutes=after)
        records.start_turn(d, at, "v1")
        for text in messages:
            records.reply_turn(d, text, at, classify)
        batch.append(d)
    with open_session(url) as s, s.begin():
        bulk_store.write_records(s, batch)


def _stored(url: str, prefix: str) -> dict[str, Any]:
    """Every row of the ``prefix`` calls, with ids replaced by names that do not depend on insertion order."""
    out: dict[str, Any] = {}
    with open_session(url) as s:
        names: dict[tuple[str, str], str] = {}
        calls = s.scalars(select(Call).where(Call.external_id.like(f"{prefix}-%")).order_by(Call.id)).all()
        for call in calls:
            key = call.external_id.split("-", 1)[1]
            survey = s.scalar(select(Survey).where(Survey.call_id == call.id))
            names[("call", str(call.id))] = f"call {key}"
            names[("survey", str(survey.id))] = f"survey {key}"
            ratings = s.scalars(select(Rating).where(Rating.survey_id == survey.id).order_by(Rating.id)).all()
            flags = s.scalars(select(Flag).where(Flag.survey_id == survey.id).order_by(Flag.id)).all()
            for i, r in enumerate(ratings):
                names[("rating", str(r.id))] = f"rating {key}.{i}"
                for j, x in enumerate(s.scalars(select(Reason).where(Reason.rating_id == r.id).order_by(Reason.id))):
                    names[("reason", str(x.id))] = f"reason {key}.{i}.{j}"
            for i, f in enumerate(flags):
                names[("flag", str(f.id))] = f"flag {key}.{i}"

            def ref(entity: str, value: Any) -> Any:
                return None if value is None else names[(entity, str(value))]

            fact = s.get(SurveyFact, survey.id)
            out[key] = {
                "call": (call.ended_at, call.team_id, call.credited_agent_id[1:], [a.agent_id[1:] for a in call.agents]),
                "survey": (survey.status, survey.needs_followup, survey.template_version, survey.sent_at,
                           survey.expires_at, survey.stage, survey.retries, survey.pending_reason),
                "ratings": [(r.score, r.raw_reply, r.received_at, r.status, ref("rating", r.supersedes_id),
                             [(x.text, x.cause, x.attribution, x.confidence, x.source, x.model_version, x.evidence,
                               x.needs_review, ref("reason", x.supersedes_id), x.created_at) for x in r.reasons])
                            for r in ratings],
                "flags": [(f.kind, f.text, f.created_at) for f in flags],
                "fact": (fact.score, fact.bucket, fact.cause, fact.late, fact.corrected, fact.survey_status),
            }
        data_refs = {"supersedes": None, "superseded_by": "rating", "rating": "rating", "survey": "survey"}
        audits = []
        for a in s.scalars(select(AuditLog).order_by(AuditLog.id)):
            if a.entity == "agent":
                if a.entity_id.startswith(prefix[0].upper()):
                    audits.append(("agent", a.entity_id[1:], a.action, a.actor, a.at))
                continue
            name = names.get((a.entity, a.entity_id))
            if name is None:
                continue
            data = dict(a.data)
            data.pop("token", None)  # random per survey
            data.pop("external_id", None)  # the prefix
            data["agents"] = [x[1:] for x in data.get("agents", [])]
            if "credited" in data:
                data["credited"] = data["credited"][1:]
            for k, entity in data_refs.items():
                if data.get(k) is not None:
                    data[k] = names[(entity or a.entity, str(data[k]))]
            audits.append((name, a.action, a.actor, a.at, sorted(data.items())))
        out["audit"] = audits
    return out


def _per_call(audits: list[tuple]) -> dict[str, list[tuple]]:
    """Each call's audit rows in the order written (the bulk path writes a batch's after all its other rows)."""
    by_call: dict[str, list[tuple]] = {}
    for t in audits:
        if t[0] != "agent":
            by_call.setdefault(t[0].split()[-1].split(".")[0], []).append(t)
    return by_call


def test_bulk_path_stores_what_the_live_turns_store(db_url):
    _live(db_url)
    _bulk(db_url)
    live, bulk = _stored(db_url, "live"), _stored(db_url, "bulk")
    assert len([k for k in live if k.isdigit()]) == len(CONVERSATIONS)
    for key in live:
        if key.startswith("audit"):
            continue
        assert bulk[key] == live[key], key
    assert _per_call(bulk["audit"]) == _per_call(live["audit"])
    agents = [t for t in live["audit"] if t[0] == "agent"]
    assert sorted(agents) == sorted(t for t in bulk["audit"] if t[0] == "agent")
    # The conversations reach every kind of outcome (so the comparison is not vacuous).
    statuses = {live[k]["survey"][0] for k in live if k.isdigit()}
    rating_statuses = {r[3] for k in live if k.isdigit() for r in live[k]["ratings"]}
    assert {"completed", "opted_out", "expired"} <= statuses, statuses
    assert {"valid", "corrected", "late"} <= rating_statuses, rating_statuses
    assert any(live[k]["flags"] for k in live if k.isdigit())
    sources = {x[4] for k in live if k.isdigit() for r in live[k]["ratings"] for x in r[5]}
    assert {"model", "customer"} <= sources, sources  # a model reading and a cause the customer chose


def test_the_bulk_paths_sqlite_instants_are_sqlalchemys_text():
    """``sqlite_instant`` (the import's fast path) writes the very text SQLAlchemy's SQLite ``DateTime`` would:
    SQLite compares instants as text, so one differing character would move rows in and out of periods."""
    from datetime import timezone

    from sqlalchemy import DateTime
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    theirs = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    beijing = timezone(timedelta(hours=8))
    instants = [T0, T0.replace(microsecond=1), T0.replace(microsecond=999_999), datetime(1000, 1, 1, tzinfo=UTC),
                datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), datetime(2026, 3, 5, 7, 8, 9, tzinfo=beijing),
                datetime(2026, 3, 5, 7, 8, 9, 120), None]
    instants += [T0 + timedelta(seconds=n * 3_601.000_37) for n in range(500)]
    assert [bulk_store.sqlite_instant(t) for t in instants] == [theirs(t) for t in instants]


def test_the_bulk_paths_postgresql_instants_are_psycopgs_text():
    """``postgresql_instant`` (made in the import's workers for ``COPY``) is the very text psycopg's own dumper
    would send for the same ``datetime``, with a zone or without."""
    from datetime import timezone

    from psycopg.adapt import PyFormat, Transformer

    beijing = timezone(timedelta(hours=8))
    instants = [T0, T0.replace(microsecond=1), T0.replace(microsecond=999_999), datetime(1000, 1, 1, tzinfo=UTC),
                datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), datetime(2026, 3, 5, 7, 8, 9, tzinfo=beijing),
                datetime(2026, 3, 5, 7, 8, 9, 120)]
    instants += [T0 + timedelta(seconds=n * 3_601.000_37) for n in range(500)]
    transformer = Transformer()
    theirs = [bytes(transformer.get_dumper(t, PyFormat.TEXT).dump(t)).decode() for t in instants]
    assert [bulk_store.postgresql_instant(t) for t in instants] == theirs
    assert bulk_store.postgresql_instant(None) is None
