"""Roster import (teams, supervisors, membership history) and the team a call is booked to."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.clock import as_utc
from bot.conversation import calls
from bot.db.models import Agent, AuditLog, Call
from bot.db.session import open_session
from bot.db.staff import Team, TeamMembership
from bot.staff import roster

T0 = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
GOOD = """agent_id,name,team,supervisor_id,role
S1,王主管,一组,,supervisor
S2,李主管,二组,,supervisor
A1,张三,一组,S1,agent
A2,李四,二组,S2,agent
ADM,管理员,,,admin
"""


def write(tmp_path, text, name="roster.csv", bom=False):
    path = tmp_path / name
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


def load(db_url, path, now=T0):
    with open_session(db_url) as s, s.begin():
        return roster.import_roster(s, path, now=now)


def count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


def test_roster_creates_agents_teams_and_supervisors_idempotently(db_url, tmp_path):
    report = load(db_url, write(tmp_path, GOOD, bom=True))
    assert (report.rows, report.agents_created, report.teams_created, report.moves, report.bad) == (5, 5, 2, 4, [])
    with open_session(db_url) as s:
        assert {a.id: (a.name, a.role) for a in s.scalars(select(Agent))} == {
            "S1": ("王主管", "supervisor"), "S2": ("李主管", "supervisor"), "A1": ("张三", "agent"),
            "A2": ("李四", "agent"), "ADM": ("管理员", "admin")}
        assert {t.name: t.supervisor_id for t in s.scalars(select(Team))} == {"一组": "S1", "二组": "S2"}
        audits = count(s, AuditLog)
        memberships = count(s, TeamMembership)
    again = load(db_url, write(tmp_path, GOOD), now=T0 + timedelta(days=1))
    assert (again.agents_created, again.agents_updated, again.teams_created, again.moves) == (0, 0, 0, 0)
    with open_session(db_url) as s:
        assert (count(s, AuditLog), count(s, TeamMembership)) == (audits, memberships)


def test_a_move_closes_the_old_membership_and_keeps_past_calls_in_the_old_team(db_url, tmp_path):
    load(db_url, write(tmp_path, GOOD))
    with open_session(db_url) as s, s.begin():
        calls.register_call(s, calls.CallRequest("before", ["A1"], T0 + timedelta(days=2)),
                              window_minutes=60, template_version="v1", now=T0 + timedelta(days=2))
    moved = GOOD.replace("A1,张三,一组,S1,agent", "A1,张三,二组,S2,agent")
    t_move = T0 + timedelta(days=5)
    report = load(db_url, write(tmp_path, moved, "moved.csv"), now=t_move)
    assert report.moves == 1
    with open_session(db_url) as s, s.begin():
        rows = s.execute(select(Team.name, TeamMembership.valid_from, TeamMembership.valid_to)
                         .join(Team, Team.id == TeamMembership.team_id)
                         .where(TeamMembership.agent_id == "A1").order_by(TeamMembership.id)).all()
        assert [(n, as_utc(f), to and as_utc(to)) for n, f, to in rows] == [
            ("一组", T0, t_move), ("二组", t_move, None)]
        # A call that ended before the move, registered after it (late integration): the old team.
        calls.register_call(s, calls.CallRequest("late-post", ["A1"], T0 + timedelta(days=3)),
                              window_minutes=60, template_version="v1", now=t_move + timedelta(hours=1))
        calls.register_call(s, calls.CallRequest("after", ["A1"], t_move + timedelta(hours=2)),
                              window_minutes=60, template_version="v1", now=t_move + timedelta(hours=2))
    with open_session(db_url) as s:
        team = dict(s.execute(select(Team.name, Team.id)).all())
        booked = dict(s.execute(select(Call.external_id, Call.team_id)).all())
        assert booked == {"before": team["一组"], "late-post": team["一组"], "after": team["二组"]}
        moves = s.scalars(select(AuditLog.action).where(AuditLog.entity == "team_membership",
                                                       AuditLog.at == t_move)).all()
        assert sorted(moves) == ["closed", "opened"]


def test_call_of_an_agent_without_team_has_no_team(db_url):
    with open_session(db_url) as s, s.begin():
        survey, _ = calls.register_call(s, calls.CallRequest("x", ["NOBODY"], T0), window_minutes=60,
                                          template_version="v1", now=T0)
        assert survey.call.team_id is None


def test_bad_rows_are_reported_by_line_and_the_rest_imported(db_url, tmp_path):
    text = """agent_id,name,team,supervisor_id,role
S1,王主管,一组,,supervisor
A1,张三,一组,S1,agent
,无名,一组,S1,agent
A3,王五,一组,S1,boss
A4,赵六,一组,S9,agent
A1,张三,一组,S1,agent
A1,张三丰,一组,S1,agent
A5,钱七,一组,A1,agent
A6,孙八,一组,S2,agent
S2,李主管,二组,,supervisor
"""
    report = load(db_url, write(tmp_path, text))
    assert [(b.line, b.reason) for b in report.bad] == [
        (4, "empty agent_id"),
        (5, "unknown role 'boss' (expected agent, supervisor, reviewer or admin)"),
        (6, "supervisor_id 'S9' is neither in the file nor in the database"),
        (8, "duplicate agent_id 'A1' with conflicting data (first at line 3)"),
        (9, "supervisor_id 'A1' has role 'agent', not supervisor/admin"),
        (10, "team '一组' already has supervisor 'S1' (line 3)"),
    ]
    with open_session(db_url) as s:
        assert sorted(s.scalars(select(Agent.id))) == ["A1", "S1", "S2"]
        assert s.get(Agent, "A1").name == "张三"


def test_supervisor_known_in_the_database_is_accepted(db_url, tmp_path):
    load(db_url, write(tmp_path, GOOD))
    report = load(db_url, write(tmp_path, "agent_id,name,team,supervisor_id,role\nA9,新人,一组,S1,agent\n", "new.csv"))
    assert report.bad == [] and report.agents_created == 1
