"""``survey_fact_days`` (KPI sums per local day, agent and team) stays equal to a recount of the facts after
every kind of write, and scoring from it equals the direct query from the source tables, on SQLite and PostgreSQL.

The write paths, each through the product's own function: live dialogue turns (``turns.reply_turn``, Core
writes), the bulk import (``bulk_store.write_records``), a reviewer's label (``review.do_label``), an upheld
appeal (``appeals.do_decide_appeal``), the retention purge (``do_purge_older_than``). After each:
``day_counts.verify`` finds nothing and the served scores of several periods (a month, a week, a day, a range;
in the centre's zone and in another zone, whose days cut the stored days in two) equal ``_score_direct``.
"""
from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import DateTime, func, literal, select, update

from bot.conversation import calls, records, turns
from bot.db.session import open_session
from bot.db.survey_facts import SurveyFactDay, SurveyFactDayZone, SurveyFactTeamDay
from bot.domain import AppealMode
from bot.importing import bulk_store
from bot.ledger import day_counts, fact_table
from bot.privacy.erasure import do_purge_older_than
from bot.scoring.board import _score_direct, score_period, score_scope
from bot.scoring.cause_report import cause_report, daily_series
from bot.staff import appeals, review
from bot.staff.appeals import AppealPolicy
from classifiers import CauseResult
from tests.appeal_data import build_with_reviewers

pytestmark = pytest.mark.slow

NOW = datetime(2026, 12, 20, 4, 0, tzinfo=UTC)  # 12:00 in Beijing
TZ = "Asia/Shanghai"
STAFF = CauseResult("staff.resolution", "staff", 0.95, False, "没回", "test-model")
POLICY = CauseResult("company.policy", "non_staff", 0.93, False, "规定", "test-model")
PERIODS = ("2026-12", "2026-W51", "2026-12-07..2026-12-19")


def _rows(board) -> list[dict]:
    return [k.to_dict() for k in board.rows()]


def _pages_match(s, direct, period: str, tz: str) -> None:
    """Every row a page shows, scored for its agent or team only (``score_scope``), equals the direct query's."""
    from bot.db.models import Agent
    from bot.db.staff import Team

    for agent_id in s.scalars(select(Agent.id)):
        scoped = score_scope(s, period, tz=tz, min_sample=3, agent_id=agent_id)
        assert _dicts(scoped.rows(agent_id=agent_id)) == _dicts(direct.rows(agent_id=agent_id)), (tz, period, agent_id)
        team = scoped.rows(agent_id=agent_id)[0].team
        if team is not None:  # the agent's period team is in the board too (their rank is among its agents)
            assert _dicts(scoped.rows(team=team)) == _dicts(direct.rows(team=team)), (tz, period, agent_id)
    for team in s.scalars(select(Team.name)):
        scoped = score_scope(s, period, tz=tz, min_sample=3, teams=[team])
        assert _dicts(scoped.rows(team=team)) == _dicts(direct.rows(team=team)), (tz, period, team)


def _dicts(rows) -> list[dict]:
    return [k.to_dict() for k in rows]


def check(url: str) -> list[dict]:
    """Assert the day rows equal a recount and the served scores the direct ones; return December's rows."""
    with open_session(url) as s:
        assert day_counts.built_zone(s) == TZ
        assert day_counts.verify(s) == []
        assert s.scalar(select(func.count()).select_from(SurveyFactDay)) > 0
        assert s.scalar(select(func.count()).select_from(SurveyFactTeamDay)) > 0
        for tz in (TZ, "Europe/Berlin"):
            for period in PERIODS:
                served = _rows(score_period(s, period, tz=tz, min_sample=3))
                direct = _score_direct(s, period, tz=tz, min_sample=3)
                assert served == _rows(direct), (tz, period)
                # Every agent's and team's page (all periods here, the month in the other zone: the pages'
                # scoping is the same code in every zone; kept to what the suite's time allows).
                if tz == TZ or period == PERIODS[0]:
                    _pages_match(s, direct, period, tz)
    # The cause report and the daily series read the day sums too: equal to what the facts alone give
    # (the zone row removed inside a transaction rolled back: not built, so everything is read from the facts).
    for tz in (TZ, "Europe/Berlin"):
        for period in PERIODS:
            with open_session(url) as s, s.begin():
                served = _reports(s, period, tz)
                s.execute(SurveyFactDayZone.__table__.delete())
                assert served == _reports(s, period, tz), (tz, period)
                if tz == TZ and period == PERIODS[-1]:  # from the facts: the range, whose edges they serve
                    _pages_match(s, _score_direct(s, period, tz=tz, min_sample=3), period, tz)
                s.rollback()
    with open_session(url) as s:
        return _rows(score_period(s, "2026-12", tz=TZ, min_sample=3))


def _reports(s, period: str, tz: str) -> tuple:
    return (cause_report(s, period, tz=tz).to_dict(),
            [p.to_dict() for p in daily_series(s, period, tz=tz)],
            [p.to_dict() for p in daily_series(s, period, tz=tz, agent_id="A1")],
            [p.to_dict() for p in daily_series(s, period, tz=tz, team="一组")])


def _live_call(url: str, call_id: str, agent: str, ended: datetime, replies: list[str], result: CauseResult) -> None:
    with open_session(url) as s, s.begin():
        survey, _ = calls.register_call(s, calls.CallRequest(call_id=call_id, agent_ids=[agent], ended_at=ended),
                                        window_minutes=60, template_version="v1", now=ended)
        token = survey.token
    for text in replies:
        with open_session(url) as s, s.begin():
            turns.reply_turn(s, token, text, ended + timedelta(minutes=2), lambda t: result)


def test_the_day_sums_follow_every_write_path(db_url, tmp_path: Path):
    fact_table.install()
    built, _relabel = build_with_reviewers(db_url, tmp_path, NOW)
    start = check(db_url)
    with open_session(db_url) as s:  # a page's board answers for its agent and team only
        from bot.db.staff import Team

        scoped = score_scope(s, "2026-12", tz=TZ, min_sample=3, agent_id="A1")
        own = scoped.rows(agent_id="A1")[0].team
        others = [t for t in s.scalars(select(Team.name)) if t != own]
        assert own is not None and others
        with pytest.raises(ValueError):
            scoped.rows(team=others[0])
        with pytest.raises(ValueError):
            scoped.rows()

    # Live turns around Beijing midnight (15:59:59 and 16:00 UTC fall on different local days).
    midnight = datetime(2026, 12, 18, 16, 0, tzinfo=UTC)
    _live_call(db_url, "live-1", "A2", midnight - timedelta(seconds=1), ["1", "答应回电一直没回"], STAFF)
    _live_call(db_url, "live-2", "A2", midnight, ["2", "退款规定太死板"], POLICY)
    _live_call(db_url, "live-3", "A2", midnight + timedelta(hours=3), ["5"], STAFF)
    _live_call(db_url, "live-4", "A2", midnight + timedelta(hours=4), ["2", "刚才按错了，应该是4分"], STAFF)
    after_live = check(db_url)
    a2 = next(r for r in after_live if r["id"] == "A2")
    a2_before = next(r for r in start if r["id"] == "A2")
    # By hand: four more surveys of A2, counted 1 (staff), 2 (company.policy), 5 and the corrected 4.
    assert a2["invited"] - a2_before["invited"] == 4
    assert (a2["staff_low"] - a2_before["staff_low"], a2["non_staff_low"] - a2_before["non_staff_low"],
            a2["satisfied"] - a2_before["satisfied"]) == (1, 1, 2)
    assert a2["excluded"]["corrected"] - a2_before["excluded"]["corrected"] == 1

    # The bulk import's batch (a new agent, a day the table had no row for).
    batch = []
    for n, (score, why) in enumerate([(1, "客服态度太差"), (5, None), (3, "网络老是断")]):
        ended = datetime(2026, 12, 11, 2, 0, tzinfo=UTC) + timedelta(minutes=9 * n)
        d = records.new_survey(f"bulk-{n}", ["C9"], ended, None, window_minutes=60, template_version="v1", now=ended)
        records.start_turn(d, ended + timedelta(minutes=1), "v1")
        result = STAFF if why == "客服态度太差" else POLICY
        for text in [str(score), *([why] if why else [])]:
            records.reply_turn(d, text, ended + timedelta(minutes=2), lambda t, r=result: r)
        batch.append(d)
    with open_session(db_url) as s, s.begin():
        bulk_store.write_records(s, batch)
    c9 = next(r for r in check(db_url) if r["id"] == "C9")
    assert (c9["invited"], c9["responses"], c9["staff_low"], c9["non_staff_low"]) == (3, 3, 1, 1)

    # A reviewer labels A1's model reason awaiting review a staff cause: unattributed → staff_low.
    a1 = next(r for r in check(db_url) if r["id"] == "A1")
    with open_session(db_url) as s, s.begin():
        result = review.do_label(s, reason_id=built.a1_review_reason, reviewer_id="R1", cause="staff.competence",
                                 now=NOW, double_share=0.0)
    assert result.refusal is None
    a1_labelled = next(r for r in check(db_url) if r["id"] == "A1")
    assert (a1_labelled["staff_low"], a1_labelled["unattributed_low"]) == (a1["staff_low"] + 1,
                                                                          a1["unattributed_low"] - 1)

    # An upheld appeal takes A1's scripted staff reason out of the KPI.
    policy = AppealPolicy(mode=AppealMode.SUPERVISOR, tz=TZ)
    with open_session(db_url) as s, s.begin():
        filed = appeals.do_file_appeal(s, agent_id="A1", reason_id=built.a1_script_reason, text="我回过电话，有记录",
                                       now=NOW, policy=policy, rng=random.Random(3))
        assert filed.appeal is not None
        appeal_id = filed.appeal.id
    assert next(r for r in check(db_url) if r["id"] == "A1")["appeal_open"] == 1
    with open_session(db_url) as s, s.begin():
        assert appeals.do_decide_appeal(s, appeal_id=appeal_id, decider_id="S1", role="supervisor", upheld=True,
                                        cause="customer.other", note=None, now=NOW) is None
    a1_upheld = next(r for r in check(db_url) if r["id"] == "A1")
    assert a1_upheld["staff_low"] == a1_labelled["staff_low"] - 1
    assert a1_upheld["appeal_open"] == 0

    # The retention purge removes words, never a figure.
    before_purge = check(db_url)
    with open_session(db_url) as s, s.begin():
        do_purge_older_than(s, midnight, now=NOW)
    assert check(db_url) == before_purge


def test_verify_and_rebuild_catch_and_repair_day_rows(db_url, tmp_path: Path, monkeypatch, capsys):
    from bot.cli.main import main

    fact_table.install()
    build_with_reviewers(db_url, tmp_path, NOW)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FEEDBACKBOT_TIMEZONE", TZ)
    assert main(["facts", "verify", "--period", "2026-12"]) == 0
    capsys.readouterr()
    with open_session(db_url) as s, s.begin():  # SQL written behind the application's back
        s.execute(update(SurveyFactDay).where(SurveyFactDay.credited_agent_id == "A1")
                  .values(satisfied=SurveyFactDay.satisfied + 1))
    assert main(["facts", "verify", "--period", "2026-12"]) == 1
    out = capsys.readouterr()
    assert re.search(r"survey_fact_days: day 2026-12-\d\d agent A1 team \d+: satisfied table=\d+ recount=\d+", out.out)
    assert "A1: satisfied day-sums=" in out.out  # the served figure is wrong too, and said so
    assert "MISMATCH" in out.err
    assert main(["facts", "rebuild"]) == 0
    assert main(["facts", "verify", "--period", "2026-12"]) == 0

    # The team day rows likewise: a tampered count is found, the team row served with it differs, rebuild repairs.
    with open_session(db_url) as s:
        team_id = s.scalar(select(SurveyFactTeamDay.team_id).where(SurveyFactTeamDay.team_id != 0,
                                                                  SurveyFactTeamDay.invited > 0).limit(1))
    with open_session(db_url) as s, s.begin():
        s.execute(update(SurveyFactTeamDay).where(SurveyFactTeamDay.team_id == team_id)
                  .values(staff_low=SurveyFactTeamDay.staff_low + 1))
    capsys.readouterr()
    assert main(["facts", "verify", "--period", "2026-12"]) == 1
    out = capsys.readouterr()
    assert re.search(rf"survey_fact_team_days: day 2026-12-\d\d team {team_id}: staff_low table=\d+ recount=\d+",
                     out.out)
    assert re.search(r"team \S+: staff_low pages=\d+ direct=\d+", out.out)  # the team page would show it
    assert main(["facts", "rebuild"]) == 0
    assert main(["facts", "verify", "--period", "2026-12"]) == 0

    # Not built (no zone): scoring reads the facts, still exact; verify says what to do.
    with open_session(db_url) as s, s.begin():
        s.execute(SurveyFactDayZone.__table__.delete())
    with open_session(db_url) as s:
        assert _rows(score_period(s, "2026-12", tz=TZ, min_sample=3)) == _rows(
            _score_direct(s, "2026-12", tz=TZ, min_sample=3))
    capsys.readouterr()
    assert main(["facts", "verify", "--period", "2026-12"]) == 1
    assert "not built" in capsys.readouterr().out
    # Rebuilt in another zone: figures of Beijing periods still exact (edges from the facts), verify notes it.
    monkeypatch.setenv("FEEDBACKBOT_TIMEZONE", "Europe/Berlin")
    assert main(["facts", "rebuild"]) == 0
    monkeypatch.setenv("FEEDBACKBOT_TIMEZONE", TZ)
    capsys.readouterr()
    assert main(["facts", "verify", "--period", "2026-12"]) == 0
    assert "keyed by the days of Europe/Berlin" in capsys.readouterr().out


def test_local_day_in_sql_is_zoneinfo_s_day(db_url):
    """Around every offset change of 2025–2027 and local midnights (to the last microsecond), in zones with
    summer time, half-hour offsets and a half-hour summer shift: the SQL day equals Python's local date."""
    from zoneinfo import ZoneInfo

    with open_session(db_url) as s:
        dialect = s.get_bind().dialect.name
        for tz in ("Asia/Shanghai", "Europe/Berlin", "America/St_Johns", "Australia/Lord_Howe"):
            zone = ZoneInfo(tz)
            changes, _ = day_counts.offsets(tz)
            instants = [t + timedelta(seconds=d) for t in changes if 2025 <= t.year <= 2027 for d in (-1, 0, 1)]
            for day in (date(2026, 1, 1), date(2026, 6, 30), date(2026, 12, 31)):
                midnight = datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
                instants += [midnight - timedelta(microseconds=1), midnight]
            days = s.execute(select(*(day_counts.local_day(literal(t, DateTime(timezone=True)), tz, dialect)
                                      for t in instants))).one()
            assert [str(d) for d in days] == [t.astimezone(zone).date().isoformat() for t in instants], tz


#: Writes to the KPI tables outside the two modules that keep them (tests/storage/test_fact_days.py checks).
_WRITE = re.compile(r"(insert|update|delete)\((SurveyFact|SurveyFactDay|F|D)\b|"
                    r"(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(survey_fact|\{_table\(SurveyFact)", re.IGNORECASE)
_KEEPERS = {"bot/ledger/fact_table.py", "bot/ledger/day_counts.py"}
# bulk_store's "DELETE FROM survey_facts WHERE 0 = 1" deletes nothing: it takes SQLite's write lock up front.
_ALLOWED = {("bot/importing/bulk_store.py", "WHERE 0 = 1")}


def test_nothing_but_the_keepers_writes_the_kpi_tables():
    """Every path that changes facts goes through ``fact_table.refresh_facts``/``refresh_survey_facts``, which
    keep the day sums: a new module writing ``survey_facts`` or ``survey_fact_days`` directly fails here."""
    root = Path(__file__).resolve().parents[2]
    found = []
    for path in sorted((root / "bot").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel in _KEEPERS or rel.startswith("bot/migrations/"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _WRITE.search(line) and not any(rel == f and mark in line for f, mark in _ALLOWED):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert found == []
    # The pattern does find such writes (it is not vacuous).
    assert _WRITE.search("s.execute(delete(SurveyFact).where(x))")
    assert _WRITE.search('text("UPDATE survey_fact_days SET invited = 0")')


def test_the_migration_on_a_database_with_facts_waits_for_a_rebuild(db_url, tmp_path: Path, monkeypatch, capsys):
    """On existing facts the migration leaves the day sums unbuilt (scoring reads the facts, exact); a rebuild
    fills them. The application code never writes day rows for an unbuilt table."""
    from alembic import command

    from bot.cli.main import main
    from bot.db.connection import engine_for
    from bot.db.migrate import alembic_config, upgrade

    fact_table.install()
    build_with_reviewers(db_url, tmp_path, NOW)
    command.downgrade(alembic_config(db_url), "queue_0017_review_items")
    engine_for.cache_clear()
    upgrade(db_url)
    with open_session(db_url) as s:
        assert day_counts.built_zone(s) is None
        assert s.scalar(select(func.count()).select_from(SurveyFactDay)) == 0
        assert _rows(score_period(s, "2026-12", tz=TZ, min_sample=3)) == _rows(
            _score_direct(s, "2026-12", tz=TZ, min_sample=3))
    _live_call(db_url, "after-migration", "A2", NOW - timedelta(hours=2), ["5"], STAFF)
    with open_session(db_url) as s:
        assert s.scalar(select(func.count()).select_from(SurveyFactDay)) == 0
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FEEDBACKBOT_TIMEZONE", TZ)
    assert main(["facts", "rebuild"]) == 0
    check(db_url)
