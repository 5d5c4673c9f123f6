"""Scoring on SQLite and PostgreSQL: every figure expected here was counted by hand from the data below.

The centre (Asia/Shanghai) has two teams, ``north`` and ``south``:

* A1 (north): one survey per bucket and per exclusion, 16 invited in November, and 3 calls in October;
* A2, A3 (north): 10 responses each, 9 satisfied + 1 staff low (tied attributed CSAT 9/10);
* A5 (north): 3 satisfied responses only (below the minimum sample of 10);
* A6: moves from south to north: Nov 5 two calls with south (5, 1 staff), Nov 20 one with north (4);
* A7 (south): 10 responses, 8 satisfied + 2 staff low;
* A8 (no team): calls around the month's time-zone boundaries.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from bot.cli.main import main
from bot.clock import as_utc
from bot.conversation import calls
from bot.db.connection import engine_for
from bot.db.models import Call, Survey
from bot.db.staff import Appeal, Team
from bot.domain import ATTRIBUTION, SurveyStatus
from bot.scoring.board import Scoreboard, UnknownEntity, score_period
from bot.scoring.cause_report import cause_report, daily_series
from tests import rows as writer

BJ = ZoneInfo("Asia/Shanghai")
TZ = "Asia/Shanghai"


def bj(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BJ)


class Centre:
    """Builds the data through the survey services, plus direct rows for teams, calls.team_id and appeals."""

    def __init__(self, s: Session):
        self.s, self.n, self.teams = s, 0, {}

    def team(self, name: str) -> Team:
        t = Team(name=name, created_at=bj(1, 1))
        self.s.add(t)
        self.s.flush()
        self.teams[name] = t
        return t

    def survey(self, agent: str, ended: datetime, team: str | None) -> Survey:
        self.n += 1
        req = calls.CallRequest(call_id=f"call-{self.n}", agent_ids=[agent], ended_at=ended)
        survey, _ = calls.register_call(self.s, req, window_minutes=60, template_version="v1", now=ended)
        call = self.s.get(Call, survey.call_id)
        call.team_id = self.teams[team].id if team else None
        self.s.flush()
        return survey

    def rated(self, agent, ended, score, team, text="", cause=None, source="model", needs_review=False):
        survey = self.survey(agent, ended, team)
        rating = writer.record_rating(self.s, survey, score, str(score), ended + timedelta(minutes=5))
        writer.set_status(self.s, survey, SurveyStatus.COMPLETED, ended + timedelta(minutes=5))
        if cause:
            self.reason(rating, text, cause, source, ended + timedelta(minutes=6), needs_review=needs_review)
        return rating

    def reason(self, rating, text, cause, source, at, needs_review=False):
        return writer.record_reason(self.s, rating, text, cause=cause, attribution=ATTRIBUTION[cause],
                                     source=source, now=at, confidence=0.9 if source == "model" else None,
                                     needs_review=needs_review)

    def appeal(self, reason, agent, status):
        self.s.add(Appeal(reason_id=reason.id, agent_id=agent, text="客户是对公司规定不满，不是我的问题", status=status,
                          created_at=bj(11, 28), decided_at=bj(11, 29), decided_by="admin1"))
        self.s.flush()


def build(url: str) -> None:
    with Session(engine_for(url)) as s, s.begin():
        c = Centre(s)
        c.team("north")
        c.team("south")
        d = bj(11, 10)
        # A1, November: one survey per case (numbers as in the comments below).
        c.rated("A1", d, 5, "north")                                                          # 1 satisfied
        c.rated("A1", d, 4, "north", "处理得挺快的", "none")                                     # 2 satisfied
        c.rated("A1", d, 1, "north", "客服态度很差，一直打断我", "staff.attitude")                 # 3 staff: model sure
        c.rated("A1", d, 2, "north", "问题没解决", "staff.resolution", source="customer")        # 4 staff: customer chose
        c.rated("A1", d, 3, "north", "说的资费跟账单对不上", "staff.competence", source="import")  # 5 staff: import
        c.rated("A1", d, 2, "north", "不太满意", "staff.resolution", needs_review=True)          # 6 awaiting review
        c.rated("A1", d, 1, "north", "退款规定要等十五个工作日，太久了", "company.policy")          # 7 non-staff
        c.rated("A1", d, 3, "north", "没什么", "none")                                          # 8 attribution none
        c.rated("A1", d, 2, "north")                                                          # 9 no reason
        r10 = c.rated("A1", d, 1, "north", "她推来推去不给办", "staff.resolution", source="customer")
        c.appeal(r10.reasons[-1], "A1", "upheld")                                              # 10 appeal upheld
        s11 = c.survey("A1", d, "north")                                                       # 11 corrected 1 → 5
        writer.record_rating(s, s11, 1, "1", d + timedelta(minutes=2))
        writer.record_rating(s, s11, 5, "按错了，应该是5", d + timedelta(minutes=3))
        s12 = c.survey("A1", d, "north")                                                       # 12 late only
        writer.record_rating(s, s12, 1, "1", d + timedelta(hours=3))
        s13 = c.survey("A1", d, "north")                                                       # 13 opted out
        writer.set_status(s, s13, SurveyStatus.OPTED_OUT, d + timedelta(minutes=1))
        c.survey("A1", d, "north")                                                             # 14 never replied
        r15 = c.rated("A1", d, 2, "north", "转了三次才有人接，等得心烦", "staff.attitude")          # 15 relabelled
        c.reason(r15, "转了三次才有人接，等得心烦", "company.system", "reviewer", d + timedelta(days=1))
        r16 = c.rated("A1", d, 1, "north", "他对我很不耐烦", "staff.attitude")                    # 16 appeal rejected
        c.appeal(r16.reasons[-1], "A1", "rejected")
        # A1, October: 5, 1 staff, 2 network.
        o = bj(10, 20)
        c.rated("A1", o, 5, "north")
        c.rated("A1", o, 1, "north", "客服说话很冲", "staff.attitude")
        c.rated("A1", o, 2, "north", "家里宽带三天两头断", "company.network")
        # A2, A3: 9 × 5 and one staff low each.
        for agent in ("A2", "A3"):
            for _ in range(9):
                c.rated(agent, bj(11, 12), 5, "north")
            c.rated(agent, bj(11, 12), 2, "north", "接电话的人很敷衍", "staff.attitude")
        # A5: 3 × 5 only.
        for _ in range(3):
            c.rated("A5", bj(11, 15), 5, "north")
        # A6 moves from south to north on Nov 15 (calls.team_id fixed at the call).
        c.rated("A6", bj(11, 5), 5, "south")
        c.rated("A6", bj(11, 5), 1, "south", "答应给我回电话，结果一直没回", "staff.resolution", source="customer")
        c.rated("A6", bj(11, 20), 4, "north")
        # A7: 8 × 5 and two staff lows.
        for _ in range(8):
            c.rated("A7", bj(11, 18), 5, "south")
        c.rated("A7", bj(11, 18), 1, "south", "业务一问三不知", "staff.competence")
        c.rated("A7", bj(11, 18), 2, "south", "给我办错了套餐", "staff.competence", source="import")
        # A8, no team: time-zone boundaries. 23:30 Beijing on Nov 30 is 15:30 UTC on Nov 30 → November;
        # 00:30 Beijing on Nov 1 is 16:30 UTC on Oct 31 → November; 23:30 Beijing Oct 31 → October;
        # 00:30 Beijing Dec 1 is 16:30 UTC Nov 30 → December.
        c.rated("A8", bj(11, 30, 23, 30), 5, None)
        c.rated("A8", bj(11, 1, 0, 30), 4, None)
        c.rated("A8", bj(10, 31, 23, 30), 2, None)
        c.rated("A8", bj(12, 1, 0, 30), 1, None)


@pytest.fixture()
def board(db_url) -> Scoreboard:
    build(db_url)
    with Session(engine_for(db_url)) as s:
        return score_period(s, "2026-11", tz=TZ, min_sample=10)


def rows(board: Scoreboard) -> dict[tuple[str, str], dict]:
    return {(r["level"], r["id"]): r for r in (k.to_dict() for k in board.rows())}


def test_every_bucket_and_exclusion_of_one_agent(board):
    a1 = rows(board)[("agent", "A1")]
    # 16 invited; 13 responses (surveys 1-11, 15, 16); 3 satisfied (1, 2, 11); 2 neutral (5, 8);
    # 8 dissatisfied (3, 4, 6, 7, 9, 10, 15, 16).
    assert (a1["invited"], a1["responses"]) == (16, 13)
    assert (a1["satisfied"], a1["neutral"], a1["dissatisfied"]) == (3, 2, 8)
    # staff: 3 (model sure), 4 (customer), 5 (import), 16 (appeal rejected); non-staff: 7, 15 (relabelled);
    # unattributed: 6 (awaiting review), 8 (none), 9 (no reason), 10 (appeal upheld).
    assert (a1["staff_low"], a1["non_staff_low"], a1["unattributed_low"]) == (4, 2, 4)
    assert a1["excluded"] == {"late": 1, "corrected": 1, "opted_out": 1, "appeal_upheld": 1}
    assert a1["non_staff_by_cause"] == {
        "company.policy": 1, "company.product": 0, "company.system": 1, "company.network": 0,
        "survey.issue": 0, "customer.misreply": 0, "customer.other": 0}
    assert a1["response_rate"] == pytest.approx(13 / 16)
    assert a1["raw_csat"] == pytest.approx(3 / 13)
    assert a1["attributed_csat"] == pytest.approx(3 / 7)
    assert a1["staff_low_rate"] == pytest.approx(4 / 13)
    # Wilson, z = 1.96, p = 4/13, n = 13: centre 0.30769 + 3.8415/26 = 0.45544,
    # margin 1.96·sqrt(0.30769·0.69231/13 + 3.8415/676) = 0.29117, denominator 1 + 3.8415/13 = 1.29550.
    assert a1["staff_low_rate_ci"] == pytest.approx([0.12680, 0.57631], abs=1e-4)
    assert (a1["verdict"], a1["team"], a1["period"]) == ("ok", "north", "2026-11")


def test_ranks_ties_and_minimum_sample(board):
    r = rows(board)
    # north: A2 = A3 = 9/10 share rank 1, A1 3/7 is 3rd; A5 (3 responses) and A6 (3) get no rank.
    assert [r[("agent", a)]["rank"] for a in ("A2", "A3", "A1")] == [1, 1, 3]
    for agent in ("A5", "A6"):
        assert (r[("agent", agent)]["verdict"], r[("agent", agent)]["rank"]) == ("insufficient", None)
    assert r[("agent", "A5")]["attributed_csat"] == pytest.approx(1.0)  # figures still shown
    # south: A7 8/10 is the only ranked agent there (A6 now counts as north).
    assert (r[("agent", "A7")]["rank"], r[("agent", "A7")]["attributed_csat"]) == (1, pytest.approx(0.8))
    # A8 has no team: figures, no rank.
    assert (r[("agent", "A8")]["team"], r[("agent", "A8")]["rank"]) == (None, None)


def test_team_move_keeps_past_calls_with_the_old_team(board):
    r = rows(board)
    a6 = r[("agent", "A6")]
    assert (a6["invited"], a6["responses"], a6["satisfied"], a6["staff_low"], a6["team"]) == (3, 3, 2, 1, "north")
    north, south = r[("team", "north")], r[("team", "south")]
    # north: A1 16 + A2 10 + A3 10 + A5 3 + A6's Nov 20 call 1 = 40 invited; 13+10+10+3+1 = 37 responses;
    # satisfied 3+9+9+3+1 = 25; staff low 4+1+1 = 6.
    assert (north["invited"], north["responses"], north["satisfied"], north["staff_low"]) == (40, 37, 25, 6)
    assert (north["neutral"], north["dissatisfied"], north["non_staff_low"], north["unattributed_low"]) == (2, 10, 2, 4)
    assert north["attributed_csat"] == pytest.approx(25 / 31)
    # south: A6's two Nov 5 calls + A7's 10: 12 responses, 9 satisfied, 3 staff low.
    assert (south["invited"], south["responses"], south["satisfied"], south["staff_low"]) == (12, 12, 9, 3)
    assert south["attributed_csat"] == pytest.approx(9 / 12)
    assert (north["rank"], south["rank"], north["verdict"]) == (1, 2, "ok")


def test_centre_row_and_time_zone_boundaries(board):
    r = rows(board)
    a8 = r[("agent", "A8")]
    # Nov 30 23:30 and Nov 1 00:30 Beijing are November; Oct 31 23:30 and Dec 1 00:30 are not.
    assert (a8["invited"], a8["responses"], a8["satisfied"], a8["dissatisfied"]) == (2, 2, 2, 0)
    centre = r[("centre", "centre")]
    # north 40 + south 12 + A8 2 = 54 invited; 37 + 12 + 2 = 51 responses; 25 + 9 + 2 = 36 satisfied.
    assert (centre["invited"], centre["responses"], centre["satisfied"]) == (54, 51, 36)
    assert (centre["staff_low"], centre["non_staff_low"], centre["unattributed_low"]) == (9, 2, 4)
    assert centre["attributed_csat"] == pytest.approx(36 / 45)
    assert centre["raw_csat"] == pytest.approx(36 / 51)
    assert (centre["rank"], centre["verdict"]) == (None, "ok")
    assert len(board.rows()) == 7 + 2 + 1  # agents A1 A2 A3 A5 A6 A7 A8, two teams, the centre


def test_change_against_the_previous_month(board):
    r = rows(board)
    # A1 October: 3 responses (5, 1 staff, 2 network): raw 1/3, attributed 1/2, staff low rate 1/3.
    change = r[("agent", "A1")]["change"]
    assert change["period"] == "2026-10"
    assert change["raw_csat"] == pytest.approx(3 / 13 - 1 / 3)
    assert change["attributed_csat"] == pytest.approx(3 / 7 - 1 / 2)
    assert change["staff_low_rate"] == pytest.approx(4 / 13 - 1 / 3)
    assert change["responses"] == 10
    # A2 had no October calls: no deltas.
    assert set(r[("agent", "A2")]["change"].values()) == {"2026-10", None}
    # Centre October: A1's 3 + A8's Oct 31 23:30 (a 2 without reason) = 4 responses, 1 satisfied.
    assert r[("centre", "centre")]["change"]["responses"] == 51 - 4
    assert r[("centre", "centre")]["change"]["raw_csat"] == pytest.approx(36 / 51 - 1 / 4)


def test_other_periods_and_filters(db_url):
    build(db_url)
    with Session(engine_for(db_url)) as s:
        week = score_period(s, "2026-W47", tz=TZ, min_sample=10)  # Nov 16-22: A6's Nov 20 call, A7's 10
        day = score_period(s, "2026-12-01", tz=TZ, min_sample=10)
        span = score_period(s, "2026-10-31..2026-11-01", tz=TZ, min_sample=10)
        empty = score_period(s, "2025-01", tz=TZ, min_sample=10)
        nov = score_period(s, "2026-11", tz=TZ, min_sample=10)
    assert {k.id: k.counts.responses for k in week.agents} == {"A6": 1, "A7": 10}
    assert week.centre.change.period == "2026-W46"
    assert {k.id: k.counts.dissatisfied for k in day.agents} == {"A8": 1}
    # Oct 31 (Beijing): A8's 23:30 call; Nov 1: A8's 00:30 call. The previous 2 days hold nothing.
    assert (span.centre.counts.responses, span.centre.counts.satisfied) == (2, 1)
    assert span.centre.change.period == "2026-10-29..2026-10-30"
    assert span.centre.change.raw_csat is None
    c = empty.centre.to_dict()
    assert (c["responses"], c["raw_csat"], c["attributed_csat"], c["staff_low_rate_ci"]) == (0, None, None, None)
    assert [k.id for k in nov.rows(agent_id="A6")] == ["A6", "north", "centre"]
    assert [k.id for k in nov.rows(team="south")] == ["A7", "south", "centre"]
    with pytest.raises(UnknownEntity):
        nov.rows(team="west")


def test_cause_report_and_daily_series(db_url):
    build(db_url)
    with Session(engine_for(db_url)) as s:
        report = cause_report(s, "2026-11", tz=TZ)
        a6 = daily_series(s, "2026-11", tz=TZ, agent_id="A6")
        south = daily_series(s, "2026-11-04..2026-11-06", tz=TZ, team="south")
        centre = daily_series(s, "2026-11", tz=TZ)
    by_code = {c.cause: c for c in report.non_staff}
    assert (by_code["company.policy"].count, by_code["company.policy"].previous) == (1, 0)
    assert (by_code["company.network"].count, by_code["company.network"].previous) == (0, 1)
    assert by_code["company.system"].quotes == ("转了三次才有人接，等得心烦",)
    assert by_code["survey.issue"].count == 0
    assert report.staff_by_team == {
        "north": {"staff.attitude": 4, "staff.competence": 1, "staff.resolution": 1},
        "south": {"staff.attitude": 0, "staff.competence": 2, "staff.resolution": 1},
    }
    assert len(a6) == 30
    nov5, nov20 = a6[4].to_dict(), a6[19].to_dict()
    assert (nov5["date"], nov5["responses"], nov5["raw_csat"], nov5["attributed_csat"]) == ("2026-11-05", 2, 0.5, 0.5)
    assert (nov20["responses"], nov20["raw_csat"], nov20["attributed_csat"]) == (1, 1.0, 1.0)
    assert (a6[0].responses, a6[0].raw_csat) == (0, None)
    assert [p.responses for p in south] == [0, 2, 0]
    # Centre: Nov 1 holds A8's 00:30 call (a 4), Nov 30 A8's 23:30 call (a 5); Nov 10 A1's 13 responses.
    assert (centre[0].responses, centre[29].responses, centre[9].responses) == (1, 1, 13)


def test_score_cli_json_csv_and_errors(db_url, monkeypatch, capsys):
    build(db_url)
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["score", "--period", "2026-11", "--team", "north", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(r["level"], r["id"]) for r in data] == [
        ("agent", "A1"), ("agent", "A2"), ("agent", "A3"), ("agent", "A5"), ("agent", "A6"),
        ("team", "north"), ("centre", "centre")]
    assert data[0]["staff_low_rate_ci"] == pytest.approx([0.12680, 0.57631], abs=1e-4)
    assert data[-1]["excluded"]["late"] == 1

    assert main(["score", "--period", "2026-11", "--agent", "A8", "--format", "csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["level"], r["id"]) for r in table] == [("agent", "A8"), ("centre", "centre")]
    a8, centre = table
    assert (a8["responses"], a8["rank"], a8["verdict"], a8["team"]) == ("2", "", "insufficient", "")
    assert (centre["invited"], centre["excluded.opted_out"], centre["non_staff_by_cause.company.policy"]) == (
        "54", "1", "1")
    assert float(centre["staff_low_rate_ci.low"]) < 9 / 51 < float(centre["staff_low_rate_ci.high"])

    for bad in (["--period", "2026-13"], ["--period", "last month"], ["--period", "2026-11", "--agent", "ZZ"]):
        assert main(["score", *bad]) == 2
        err = capsys.readouterr().err
        assert err.startswith("feedbackbot score: ") and ("expected" in err or "unknown" in err)


def test_stored_end_time_is_utc_whatever_zone_the_integration_sends(db_url):
    build(db_url)
    with Session(engine_for(db_url)) as s:
        call = s.query(Call).filter_by(external_id="call-1").one()
        assert as_utc(call.ended_at) == datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


def test_quotes_are_the_newest_distinct_texts_of_each_cause(db_url):
    with Session(engine_for(db_url)) as s, s.begin():
        c = Centre(s)
        c.team("north")
        d = bj(11, 10)
        # Newest last: the same words three times, interleaved with two other texts, and an empty reason.
        for i, text in enumerate(["信号太差听不清", "山区没信号", "信号太差听不清", "信号太差听不清", "",
                                  "家里宽带三天两头断网", "信号太差听不清"]):
            c.rated("A1", d + timedelta(minutes=i), 1, "north", text, "company.network")
    with Session(engine_for(db_url)) as s:
        report = cause_report(s, "2026-11", tz=TZ)
    network = {c.cause: c for c in report.non_staff}["company.network"]
    assert network.count == 7
    assert network.quotes == ("信号太差听不清", "家里宽带三天两头断网", "山区没信号")
