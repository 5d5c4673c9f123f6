"""A small centre for the case tests: teams 一组 (supervisor S1: agents A1, A2) and 二组 (supervisor S2, who also
takes calls and is credited on some), admins ADM and ADM2. Calls and complaints go through the real services."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from bot.conversation import calls, turns
from bot.db.connection import engine_for
from bot.staff import roster
from classifiers import CauseResult

ROSTER = """agent_id,name,team,supervisor_id,role
S1,王主管,一组,,supervisor
S2,李主管,二组,,supervisor
A1,张三,一组,S1,agent
A2,李四,一组,S1,agent
ADM,管理员,,,admin
ADM2,质检办,,,admin
"""
# National Day 2026 is 10-01..10-07; a complaint on the morning of Wednesday 09-30 (Beijing 10:00).
COMPLAINT_AT = datetime.fromisoformat("2026-09-30T02:00:00+00:00")
RUDE = CauseResult("staff.attitude", "staff", 0.96, False, "态度", "test-model-1")


def classify(text: str) -> CauseResult:
    """Whatever the reason, a confident staff attitude reading: the tests are about the flag, not the cause."""
    return RUDE


def seed_roster(url: str, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    with Session(engine_for(url)) as s, s.begin():
        assert roster.import_roster(s, path, now=COMPLAINT_AT - timedelta(days=90)).bad == []


def complain(url: str, call_id: str, agent: str, text: str, at: datetime = COMPLAINT_AT) -> str:
    """A call credited to ``agent`` ending five minutes before ``at``, and the customer's one reply ``text``."""
    with Session(engine_for(url)) as s, s.begin():
        req = calls.CallRequest(call_id=call_id, agent_ids=[agent], ended_at=at - timedelta(minutes=5))
        survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=at - timedelta(minutes=5))
        token = survey.token
    with Session(engine_for(url)) as s, s.begin():
        turns.reply_turn(s, token, text, at, classify)
    return token
