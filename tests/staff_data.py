"""A small centre for the staff-page tests, built through the real services; every figure counted by hand.

Teams 一组 (supervisor S1: agents A1, A2, A3) and 二组 (supervisor S2: agent B1), admin ADM.
All calls end 1–12 days before now, so the pages' default period (近30天) holds them.

A1 (一组), 16 ratings of 15 surveys:
  * 6 × score 5 without reason, 1 × 4 with reason ``none``, 1 survey corrected 1 → 5  → satisfied 8
  * staff_low 2: a confident model ``staff.attitude`` (evidence 态度很差) and a customer-chosen
    ``staff.resolution`` whose text carries a ``<script>``
  * non_staff_low 2: ``company.policy`` 1 (evidence 退款规定), ``company.network`` 1 (a text starting with ``=`` and carrying an ``<img onerror>``)
  * unattributed_low 2: a model staff reason awaiting review, a 2 without reason
  * excluded: 1 late rating, 1 corrected rating
  responses 14, raw CSAT 8/14 = 57.1%, attributed 8/10 = 80.0%
A2: 3 × 5 (样本不足). A3: 9 × 5 + 1 staff.attitude = 9/10 = 90.0%, rank 1 (A1 rank 2).
B1 (二组): one 5 and one 1 whose reason only B1's supervisor and the admin may read.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.conversation import calls
from bot.db.models import Call
from bot.db.session import open_session
from bot.db.staff import Account, Team
from bot.domain import ATTRIBUTION, SurveyStatus
from bot.staff import accounts, roster
from tests import rows

PASSWORD = "correct horse 42"
ROSTER = """agent_id,name,team,supervisor_id,role
S1,王主管,一组,,supervisor
S2,李主管,二组,,supervisor
A1,张三,一组,S1,agent
A2,李四,一组,S1,agent
A3,王五,一组,S1,agent
B1,赵六,二组,S2,agent
ADM,管理员,,,admin
"""
SCRIPT_REASON = "<script>alert('x')</script>答应回电话一直没回"
FORMULA_REASON = "=1+1 <img src=x onerror=alert(1)>家里宽带三天两头断网"
FORMULA_REPLY = "@SUM(A1) 2分"
B1_SECRET = "乙组客户说赵六挂了我电话"


@functools.cache
def password_hash() -> str:
    """Argon2 is slow on purpose: hash once for every seeded account."""
    return accounts.hash_password(PASSWORD)


@dataclass
class Built:
    """Ids the tests need: A1's staff reasons (appealable) and B1's reason."""

    a1_attitude_reason: int
    a1_script_reason: int
    a1_review_reason: int
    a1_policy_reason: int
    b1_reason: int
    days: list[datetime]


class _Builder:
    def __init__(self, s, now: datetime):
        self.s, self.n, self.now = s, 0, now
        self.teams = {t.name: t.id for t in s.scalars(select(Team))}

    def survey(self, agent: str, ended: datetime, team: str):
        self.n += 1
        req = calls.CallRequest(call_id=f"web-{self.n:03d}", agent_ids=[agent], ended_at=ended)
        survey, _ = calls.register_call(self.s, req, window_minutes=60, template_version="v1", now=ended)
        self.s.get(Call, survey.call_id).team_id = self.teams[team]
        self.s.flush()
        return survey

    def rated(self, agent, ended, score, team, text="", cause=None, source="model", needs_review=False,
              evidence=None, reply=None):
        survey = self.survey(agent, ended, team)
        rating = rows.record_rating(self.s, survey, score, reply or f"{score}分", ended + timedelta(minutes=5))
        rows.set_status(self.s, survey, SurveyStatus.COMPLETED, ended + timedelta(minutes=5))
        if cause:
            return rows.record_reason(self.s, rating, text, cause=cause, attribution=ATTRIBUTION[cause],
                                         source=source, now=ended + timedelta(minutes=6),
                                         confidence=0.9 if source == "model" else None, evidence=evidence,
                                         needs_review=needs_review)
        return rating


def build(db_url: str, tmp_path: Path, now: datetime | None = None) -> Built:
    """Roster, accounts and the calls above; returns the ids the tests use."""
    now = now or datetime.now(UTC)
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    with open_session(db_url) as s, s.begin():
        assert roster.import_roster(s, path, now=now - timedelta(days=60)).bad == []
        for agent_id in ("S1", "S2", "A1", "A2", "A3", "B1", "ADM"):
            s.add(Account(agent_id=agent_id, password_hash=password_hash(), updated_at=now))
        b = _Builder(s, now)
        day = [now - timedelta(days=d, hours=1) for d in range(13)]
        for i in range(6):
            b.rated("A1", day[2 + i], 5, "一组")
        b.rated("A1", day[3], 4, "一组", "处理得挺快的", "none")
        attitude = b.rated("A1", day[4], 1, "一组", "客服态度很差，一直打断我", "staff.attitude", evidence="态度很差")
        script = b.rated("A1", day[5], 2, "一组", SCRIPT_REASON, "staff.resolution", source="customer")
        policy = b.rated("A1", day[6], 1, "一组", "退款规定要等十五个工作日，太久了", "company.policy",
                         evidence="退款规定")
        b.rated("A1", day[7], 3, "一组", FORMULA_REASON, "company.network", reply=FORMULA_REPLY)
        review = b.rated("A1", day[8], 2, "一组", "不太满意", "staff.resolution", needs_review=True)
        b.rated("A1", day[9], 2, "一组")
        corrected = b.survey("A1", day[10], "一组")
        rows.record_rating(s, corrected, 1, "1", day[10] + timedelta(minutes=2))
        rows.record_rating(s, corrected, 5, "按错了，应该是5", day[10] + timedelta(minutes=3))
        late = b.survey("A1", day[11], "一组")
        rows.record_rating(s, late, 1, "1", day[11] + timedelta(hours=3))
        for _ in range(3):
            b.rated("A2", day[2], 5, "一组")
        for _ in range(9):
            b.rated("A3", day[3], 5, "一组")
        b.rated("A3", day[3], 2, "一组", "接电话的人很敷衍", "staff.attitude")
        b.rated("B1", day[2], 5, "二组")
        secret = b.rated("B1", day[2], 1, "二组", B1_SECRET, "staff.attitude", source="customer")
        return Built(attitude.id, script.id, review.id, policy.id, secret.id, day)


#: A customer of the erasure-on-request page (tests/web/test_privacy_page.py, the browser test): an SMS survey
#: of A1 with a 2 and this reason, written through the production writer (turns, transcripts).
CUSTOMER_PHONE = "13955550123"
CUSTOMER_WORDS = "客服小王说会回电给我却一直没有回"


def add_customer(db_url: str) -> str:
    """The customer above; returns the survey's token."""
    from bot.conversation import transcripts, turns
    from bot.settings import DEV_SESSION_SECRET
    from classifiers import CauseResult

    staff = CauseResult("staff.resolution", "staff", 0.95, False, "一直没有回", "test-model")
    at = datetime.now(UTC) - timedelta(hours=2)
    with open_session(db_url) as s, s.begin():
        req = calls.CallRequest(call_id="privacy-1", agent_ids=["A1"], ended_at=at,
                                customer_channel_id=CUSTOMER_PHONE, channel="sms", channel_masked="139****0123")
        survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=at,
                                        channel_secret=DEV_SESSION_SECRET)
        token = survey.token
    for said in ("2", CUSTOMER_WORDS):
        with open_session(db_url) as s, s.begin():
            turns.reply_turn(s, token, said, at + timedelta(minutes=1), lambda t: staff,
                             channel_secret=DEV_SESSION_SECRET)
        with open_session(db_url) as s, s.begin():
            transcripts.append(s, calls.survey_by_token(s, token), at, customer=said)
    return token
