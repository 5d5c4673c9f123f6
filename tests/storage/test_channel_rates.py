"""Response rate per channel and the team-scoped cause report on SQLite and PostgreSQL; every figure counted by hand.

November 2026 (Asia/Shanghai), teams ``north`` and ``south``:

* north, web: 3 surveys: a 5 (the call ended 00:30 on Nov 1, Beijing: still November), a survey whose only
  rating came after the window (late: not counted), one never answered → invited 3, answered 1;
* north, sms: 4 surveys: a 4; a 1 with a non-staff reason (company.policy); a 1 corrected to 5 (one counted
  rating); an opt-out without a score → invited 4, answered 3;
* north, wechat: a 3 with a non-staff reason (company.network), one never answered → invited 2, answered 1;
* south, sms: a 2 with a non-staff reason (company.policy), one never answered → invited 2, answered 1;
* south, wechat: a 5 → invited 1, answered 1;
* no team, web: a 5 → invited 1, answered 1.

Outside November: north sms Oct 31 23:30 Beijing (a 5), north web Dec 1 00:30 Beijing (a 5).

Centre: web 4 / 2, sms 6 / 4, wechat 3 / 2. North: web 3 / 1, sms 4 / 3, wechat 2 / 1 (9 invited, 5 answered).
Non-staff causes: north company.policy 1, company.network 1; south company.policy 1; centre policy 2, network 1.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from bot.conversation import calls
from bot.db.connection import engine_for
from bot.db.models import Call, Survey
from bot.db.staff import Team
from bot.domain import ATTRIBUTION, SurveyStatus
from bot.scoring.board import score_period
from bot.scoring.cause_report import cause_report
from bot.scoring.channels import response_by_channel
from tests import rows as writer

BJ = ZoneInfo("Asia/Shanghai")
TZ = "Asia/Shanghai"
MASKED = {"web": None, "sms": "138****5678", "wechat": "oAbC…xyz"}


def bj(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BJ)


class Centre:
    def __init__(self, s: Session):
        self.s, self.n, self.teams = s, 0, {}
        for name in ("north", "south"):
            t = Team(name=name, created_at=bj(1, 1))
            s.add(t)
            s.flush()
            self.teams[name] = t.id

    def survey(self, channel: str, team: str | None, ended: datetime) -> Survey:
        self.n += 1
        req = calls.CallRequest(call_id=f"call-{self.n}", agent_ids=["A1"], ended_at=ended, channel=channel,
                                channel_masked=MASKED[channel])
        survey, _ = calls.register_call(self.s, req, window_minutes=60, template_version="v1", now=ended)
        self.s.get(Call, survey.call_id).team_id = self.teams[team] if team else None
        self.s.flush()
        return survey

    def rated(self, channel: str, team: str | None, score: int, ended: datetime, cause: str | None = None):
        survey = self.survey(channel, team, ended)
        rating = writer.record_rating(self.s, survey, score, f"{score}分", ended + timedelta(minutes=5))
        if cause:
            writer.record_reason(self.s, rating, f"原因 {cause}", cause=cause, attribution=ATTRIBUTION[cause],
                                 source="customer", now=ended + timedelta(minutes=6))
        return survey


def build(url: str) -> dict[str, int]:
    with Session(engine_for(url)) as s, s.begin():
        c = Centre(s)
        day = bj(11, 10)
        # north, web
        c.rated("web", "north", 5, bj(11, 1, 0, 30))
        late = c.survey("web", "north", day)
        writer.record_rating(s, late, 1, "1", day + timedelta(hours=3))
        c.survey("web", "north", day)
        # north, sms
        c.rated("sms", "north", 4, day)
        c.rated("sms", "north", 1, day, "company.policy")
        corrected = c.survey("sms", "north", day)
        writer.record_rating(s, corrected, 1, "1", day + timedelta(minutes=2))
        writer.record_rating(s, corrected, 5, "按错了，5", day + timedelta(minutes=3))
        opted = c.survey("sms", "north", day)
        writer.set_status(s, opted, SurveyStatus.OPTED_OUT, day + timedelta(minutes=1))
        # north, wechat
        c.rated("wechat", "north", 3, day, "company.network")
        c.survey("wechat", "north", day)
        # south
        c.rated("sms", "south", 2, day, "company.policy")
        c.survey("sms", "south", day)
        c.rated("wechat", "south", 5, day)
        # no team
        c.rated("web", None, 5, day)
        # outside November
        c.rated("sms", "north", 5, bj(10, 31, 23, 30))
        c.rated("web", "north", 5, bj(12, 1, 0, 30))
        return dict(c.teams)


def rates(url: str, team_ids=None) -> dict[str, tuple[int, int, float | None]]:
    with Session(engine_for(url)) as s:
        return {r.channel: (r.invited, r.answered, r.response_rate)
                for r in response_by_channel(s, "2026-11", tz=TZ, team_ids=team_ids)}


def test_response_rate_per_channel_for_the_centre_and_a_team(db_url):
    teams = build(db_url)
    assert rates(db_url) == {"web": (4, 2, 0.5), "sms": (6, 4, pytest.approx(4 / 6)), "wechat": (3, 2, pytest.approx(2 / 3))}
    assert rates(db_url, [teams["north"]]) == {"web": (3, 1, pytest.approx(1 / 3)), "sms": (4, 3, 0.75),
                                                "wechat": (2, 1, 0.5)}
    assert rates(db_url, [teams["north"], teams["south"]]) == {
        "web": (3, 1, pytest.approx(1 / 3)), "sms": (6, 4, pytest.approx(4 / 6)), "wechat": (3, 2, pytest.approx(2 / 3))}
    assert rates(db_url, []) == {}
    # The channels of a team add up to its KPI row (hand-counted: north 9 invited, 5 responses).
    with Session(engine_for(db_url)) as s:
        board = score_period(s, "2026-11", tz=TZ, min_sample=10)
    north = next(k for k in board.teams if k.id == "north")
    assert (north.counts.invited, north.counts.responses) == (9, 5)
    assert (board.centre.counts.invited, board.centre.counts.responses) == (13, 8)


def test_a_team_cause_report_counts_only_its_own_calls(db_url):
    teams = build(db_url)
    with Session(engine_for(db_url)) as s:
        north = cause_report(s, "2026-11", tz=TZ, team_ids=[teams["north"]])
        south = cause_report(s, "2026-11", tz=TZ, team_ids=[teams["south"]])
        centre = cause_report(s, "2026-11", tz=TZ)

    def counts(report):
        return {c.cause: c.count for c in report.non_staff if c.count}

    assert counts(north) == {"company.policy": 1, "company.network": 1}
    assert counts(south) == {"company.policy": 1}
    assert counts(centre) == {"company.policy": 2, "company.network": 1}
    quotes = {c.cause: c.quotes for c in south.non_staff}
    assert quotes["company.policy"] == ("原因 company.policy",) and quotes["company.network"] == ()


def test_the_migration_fills_the_channel_of_existing_fact_rows(db_url):
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect, text

    from bot.db.migrate import alembic_config, upgrade

    build(db_url)
    before = rates(db_url)
    cfg = alembic_config(db_url)
    previous = ScriptDirectory.from_config(cfg).get_revision("chanpages_fact_channel").down_revision
    command.downgrade(cfg, previous)
    engine_for.cache_clear()
    assert "channel" not in {c["name"] for c in inspect(engine_for(db_url)).get_columns("survey_facts")}
    upgrade(db_url)
    engine_for.cache_clear()
    with engine_for(db_url).connect() as conn:
        counts = dict(conn.execute(text("SELECT channel, count(*) FROM survey_facts GROUP BY channel")).all())
    assert counts == {"web": 5, "sms": 7, "wechat": 3}  # November 4/6/3, plus October's sms and December's web
    assert rates(db_url) == before
