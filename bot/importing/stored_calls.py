"""What the database already holds for a call id, compared with what an import row would store.

A row whose call id is already stored is an exact repeat ("already present")
when it would store the same call and replies: the same agents, end time,
ratings (score, reply as stored, time received) and the file's own cause
codes. Anything else is a conflict, reported with what differs; the stored
call is never changed by the import.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.conversation.records import SurveyRecord
from bot.db.id_lists import in_ids, in_texts
from bot.db.models import Call, CallAgent, Rating, Reason, Survey
from bot.db.planner import NoIndex
from bot.domain import ReasonSource

_CHUNK = 2000  # ids per statement (bound as one value: this bounds each statement, not SQLite's placeholders)


class Footprint(NamedTuple):
    """The part of a call that makes two imports of it the same call (a tuple: sent by the import's workers)."""

    agents: list[str]
    ended_at: datetime | None
    ratings: list[tuple[int, str, datetime]]  # score, stored reply, received
    causes: list[str]  # the file's own cause codes (source "import")


def of_record(d: SurveyRecord) -> Footprint:
    """The footprint of a call decided in memory."""
    return Footprint(agents=list(d.agent_ids), ended_at=as_utc(d.ended_at),
                     ratings=[(r.score, r.raw_reply, as_utc(r.received_at)) for r in d.ratings],
                     causes=[x.cause for r in d.ratings for x in r.reasons if x.source == ReasonSource.IMPORT])


def stored(s: Session, external_ids: Sequence[str]) -> dict[str, Footprint]:
    """The footprints of the calls among ``external_ids`` that are stored (absent ids are not in the result)."""
    out: dict[str, Footprint] = {}
    ids = list(dict.fromkeys(external_ids))
    for i in range(0, len(ids), _CHUNK):
        by_id: dict[int, Footprint] = {}
        for call_id, external_id, ended_at in s.execute(_CALLS, {"texts": ids[i:i + _CHUNK]}):
            by_id[call_id] = out[external_id] = Footprint([], as_utc(ended_at), [], [])
        if not by_id:
            continue
        calls = {"ids": list(by_id)}
        for call_id, agent_id in s.execute(_AGENTS, calls):
            by_id[call_id].agents.append(agent_id)
        for call_id, score, raw, received in s.execute(_RATINGS, calls):
            by_id[call_id].ratings.append((score, raw, as_utc(received)))
        for call_id, cause in s.execute(_CAUSES, calls):
            by_id[call_id].causes.append(cause)
    return out


# The lookups, each built once, with their lists bound as one value (bot.db.id_lists).
_CALLS = select(Call.id, Call.external_id, Call.ended_at).where(in_texts(Call.external_id))
_AGENTS = select(CallAgent.call_id, CallAgent.agent_id).where(in_ids(CallAgent.call_id)).order_by(CallAgent.position)
_RATINGS = (select(Survey.call_id, Rating.score, Rating.raw_reply, Rating.received_at)
            .join(Rating, Rating.survey_id == Survey.id).where(in_ids(Survey.call_id)).order_by(Rating.id))
_CAUSES = (select(Survey.call_id, Reason.cause).join(Rating, Rating.survey_id == Survey.id)
           .join(Reason, Reason.rating_id == Rating.id)
           # Not by the index of sources: without statistics SQLite walked every imported reason for each batch.
           .where(in_ids(Survey.call_id), NoIndex(Reason.source) == ReasonSource.IMPORT).order_by(Reason.id))


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def differences(stored_call: Footprint, row: Footprint) -> list[str]:
    """What differs, in words (empty: an exact repeat)."""
    out = []
    if stored_call.agents != row.agents:
        out.append(f"agent ({', '.join(stored_call.agents)} stored, {', '.join(row.agents)} here)")
    if stored_call.ended_at != row.ended_at:
        out.append(f"end time ({stored_call.ended_at:%Y-%m-%d %H:%M:%S} UTC stored, "
                   f"{row.ended_at:%Y-%m-%d %H:%M:%S} UTC here)")
    a, b = stored_call.ratings, row.ratings
    if [r[0] for r in a] != [r[0] for r in b]:
        out.append(f"score ({_short([r[0] for r in a])} stored, {_short([r[0] for r in b])} here)")
    elif [r[1] for r in a] != [r[1] for r in b]:
        out.append("reply")
    if [r[0] for r in a] == [r[0] for r in b] and [r[2] for r in a] != [r[2] for r in b]:
        out.append("reply time")
    if stored_call.causes != row.causes:
        out.append(f"cause ({_short(stored_call.causes)} stored, {_short(row.causes)} here)")
    return out
