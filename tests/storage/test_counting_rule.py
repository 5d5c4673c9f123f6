"""The counted rating is one rule in two renderings (SQL for scoring, Python for the in-memory records): they agree."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from bot.conversation import calls
from bot.db.connection import engine_for
from bot.db.models import Rating
from bot.domain import RatingStatus
from bot.ledger import counting

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@dataclass
class _Row:
    id: int
    status: str


def test_sql_and_python_pick_the_same_counted_rating_for_every_sequence_of_statuses(db_url):
    with Session(engine_for(db_url)) as s, s.begin():
        req = calls.CallRequest(call_id="c1", agent_ids=["A1"], ended_at=T0)
        survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=T0)
        sid = survey.id
    statuses = list(RatingStatus)
    sequences = [seq for n in range(4) for seq in itertools.product(statuses, repeat=n)]
    with Session(engine_for(db_url)) as s, s.begin():
        for seq in sequences:
            s.execute(delete(Rating).where(Rating.survey_id == sid))
            rows = []
            for status in seq:
                rid = s.execute(insert(Rating).returning(Rating.id), {
                    "survey_id": sid, "score": 3, "raw_reply": "3", "received_at": T0, "status": status,
                    "supersedes_id": None, "created_at": T0}).scalar_one()
                rows.append(_Row(rid, status))
            in_sql = counting.counted_rating(s, sid)
            in_memory = counting.counted_of(rows)
            assert (in_sql.id if in_sql else None) == (in_memory.id if in_memory else None), seq
    assert len(sequences) == 1 + 4 + 16 + 64
