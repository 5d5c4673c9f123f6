"""Cases on SQLite and PostgreSQL: opened from the dialogue's flags, routed around the credited agent,
escalated on a frozen clock, answered and resolved, each step audited.

Levels are the default setting: 班组长 24 h → 中心经理 48 h → 投诉/质检办 72 h. Expected deadlines are
counted by hand from ``COMPLAINT_AT`` (2026-09-30 02:00 UTC, Beijing 10:00, the day before National Day).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases import workflow
from bot.cases.listing import visible_cases
from bot.clock import as_utc
from bot.conversation import calls
from bot.db.cases import Case, Notification
from bot.db.connection import engine_for
from bot.db.models import AuditLog, Flag
from bot.notifications import deliveries
from bot.settings import Settings
from tests import rows
from tests.cases.case_data import COMPLAINT_AT, complain, seed_roster
from tests.notifications.recorders import webhook_server

H = timedelta(hours=1)


def open_cases(url: str, now: datetime) -> list[int]:
    with Session(engine_for(url)) as s, s.begin():
        return [c.id for c in workflow.do_open_cases_for_new_flags(s, now)]


def escalate(url: str, now: datetime) -> list[int]:
    with Session(engine_for(url)) as s, s.begin():
        return [c.id for c in workflow.do_escalate_overdue_cases(s, now)]


def the_case(url: str) -> Case:
    with Session(engine_for(url), expire_on_commit=False) as s:
        return s.scalars(select(Case)).one()


def steps(url: str, case_id: int) -> list[tuple[str, int | None, str | None]]:
    with Session(engine_for(url)) as s:
        return [(a.action, a.data.get("level"), a.data.get("due_at")) for a in s.scalars(
            select(AuditLog).where(AuditLog.entity == "case", AuditLog.entity_id == str(case_id)).order_by(AuditLog.id))]


def test_regulator_complaint_opens_one_level_up_with_the_12315_clock_and_escalates_on_time(db_url, tmp_path):
    seed_roster(db_url, tmp_path)
    complain(db_url, "c-12315", "A1", "1分，我要去12315投诉你们")
    with Session(engine_for(db_url)) as s:
        flag = s.scalars(select(Flag)).one()
        assert (flag.kind, flag.text) == ("complaint", "1分，我要去12315投诉你们")
    assert len(open_cases(db_url, COMPLAINT_AT + timedelta(seconds=40))) == 1
    assert open_cases(db_url, COMPLAINT_AT + timedelta(minutes=1)) == []  # idempotent
    case = the_case(db_url)
    # Named a regulator: 中心经理 (level 1), the admins' pool, 48 h from the complaint; 12315's 7 working days
    # after 09-30 skip 10-01..07 and count Saturday 10-10: 10-08, 09, 10, 12, 13, 14, 15.
    assert (case.level, case.handler_id, case.status, case.credited_agent_id) == (1, None, "open", "A1")
    assert as_utc(case.due_at) == COMPLAINT_AT + 48 * H
    assert (case.regulator, case.regulator_due) == ("12315", date(2026, 10, 15))

    assert escalate(db_url, COMPLAINT_AT + 48 * H - timedelta(seconds=1)) == []
    assert escalate(db_url, COMPLAINT_AT + 48 * H) == [case.id]
    case = the_case(db_url)
    assert (case.level, case.handler_id) == (2, None)
    assert as_utc(case.due_at) == COMPLAINT_AT + (48 + 72) * H
    # The last level stays, shown as overdue: nothing moves any more.
    assert escalate(db_url, COMPLAINT_AT + 400 * H) == []
    assert steps(db_url, case.id) == [
        ("opened", 1, (COMPLAINT_AT + 48 * H).isoformat()),
        ("escalated", 2, (COMPLAINT_AT + 120 * H).isoformat())]
    # The delivery job sends both steps to the centre's group robot (a local server speaking WeCom's contract).
    with webhook_server() as hook:
        settings = Settings(database_url_override=db_url, public_base_url="https://qa.centre.example",
                            notify_wecom_webhook=f"{hook.url}/wecom?key=K")
        # DingTalk and e-mail are not configured here: their two deliveries per step are recorded as skipped.
        assert deliveries.deliver_due(settings, now=lambda: COMPLAINT_AT + 49 * H) == {"sent": 2, "skipped": 4}
    contents = [r.body["markdown"]["content"] for r in hook.received]
    link = f"[查看详情](https://qa.centre.example/cases/{case.id})"
    assert len(contents) == 2 and all(c.endswith(link) for c in contents)
    assert f"新案件 #{case.id} 已分派到中心经理" in contents[0]
    assert f"案件 #{case.id} 超时未回复，已升级到投诉/质检办" in contents[1]
    assert not any("12315投诉你们" in c for c in contents)  # never the customer's words


def test_plain_complaint_goes_to_the_team_supervisor_and_climbs_each_missed_level(db_url, tmp_path):
    seed_roster(db_url, tmp_path)
    complain(db_url, "c-plain", "A1", "那个客服态度太差了，我要投诉他")
    open_cases(db_url, COMPLAINT_AT + timedelta(minutes=1))
    case = the_case(db_url)
    assert (case.level, case.handler_id, case.regulator) == (0, "S1", None)
    assert as_utc(case.due_at) == COMPLAINT_AT + 24 * H
    # The worker was down for three days: both missed levels are climbed, each deadline from the one before.
    assert escalate(db_url, COMPLAINT_AT + 80 * H) == [case.id]
    case = the_case(db_url)
    assert (case.level, case.handler_id) == (2, None)
    assert as_utc(case.due_at) == COMPLAINT_AT + (24 + 48 + 72) * H
    assert [(a, lv) for a, lv, _ in steps(db_url, case.id)] == [("opened", 0), ("escalated", 1), ("escalated", 2)]
    with Session(engine_for(db_url)) as s:
        # S1 was told of the assignment; both admins of each escalation into their pool.
        assert sorted((n.agent_id, n.kind) for n in s.scalars(select(Notification))) == [
            ("ADM", "case_escalated"), ("ADM", "case_escalated"), ("ADM2", "case_escalated"),
            ("ADM2", "case_escalated"), ("S1", "case_assigned")]
        assert workflow.unread_count(s, "S1") == 1 and workflow.unread_count(s, "A1") == 0


def test_a_supervisor_credited_on_the_call_never_handles_it_and_never_sees_it(db_url, tmp_path):
    seed_roster(db_url, tmp_path)
    complain(db_url, "c-sup", "S1", "我要投诉，你们领导呢")
    open_cases(db_url, COMPLAINT_AT + timedelta(minutes=1))
    case = the_case(db_url)
    # 一组's supervisor is S1 themselves: the case starts at 中心经理 with the admins.
    assert (case.level, case.handler_id) == (1, None)
    assert as_utc(case.due_at) == COMPLAINT_AT + 48 * H
    with Session(engine_for(db_url)) as s:
        case = s.get(Case, case.id)
        assert not workflow.may_see(s, case, "S1", "supervisor")
        assert not workflow.may_handle(s, case, "S1", "supervisor")
        assert visible_cases(s, "S1", "supervisor", COMPLAINT_AT) == []
        assert [c.id for c in visible_cases(s, "ADM", "admin", COMPLAINT_AT)] == [case.id]
        assert workflow.handlers_of(s, case) == ["ADM", "ADM2"]


def test_an_admin_credited_on_the_call_is_left_out_of_the_pool(db_url, tmp_path):
    seed_roster(db_url, tmp_path)
    complain(db_url, "c-adm", "ADM", "你们这个服务我要去消协投诉")
    open_cases(db_url, COMPLAINT_AT + timedelta(minutes=1))
    with Session(engine_for(db_url)) as s:
        case = s.scalars(select(Case)).one()
        assert (case.level, case.handler_id, case.regulator) == (1, None, "cca")
        assert workflow.handlers_of(s, case) == ["ADM2"]
        assert visible_cases(s, "ADM", "admin", COMPLAINT_AT) == []
        assert workflow.act(s, case, "answer", actor="ADM", role="admin", now=COMPLAINT_AT,
                            note="我来处理").code == "not_handler"


def test_an_answer_stops_the_clock_but_an_acknowledgement_does_not(db_url, tmp_path):
    seed_roster(db_url, tmp_path)
    complain(db_url, "c-ack", "A1", "我要投诉你们")
    complain(db_url, "c-ans", "A2", "我要投诉，太气人了", COMPLAINT_AT + timedelta(minutes=2))
    open_cases(db_url, COMPLAINT_AT + timedelta(minutes=3))
    with Session(engine_for(db_url)) as s, s.begin():
        acked, answered = s.scalars(select(Case).order_by(Case.id)).all()
        t = COMPLAINT_AT + 2 * H
        assert workflow.act(s, acked, "acknowledge", actor="S1", role="supervisor", now=t) is None
        assert workflow.act(s, answered, "answer", actor="S1", role="supervisor", now=t, note="  ").code == "empty_note"
        assert workflow.act(s, answered, "answer", actor="S1", role="supervisor", now=t,
                            note="已回电客户致歉，约定明天上门") is None
        assert workflow.act(s, acked, "acknowledge", actor="S1", role="supervisor", now=t).code == "wrong_status"
        assert workflow.act(s, acked, "answer", actor="S2", role="supervisor", now=t, note="x").code == "not_handler"
        ids = acked.id, answered.id
    assert escalate(db_url, COMPLAINT_AT + 25 * H) == [ids[0]]
    with Session(engine_for(db_url), expire_on_commit=False) as s, s.begin():
        answered = s.get(Case, ids[1])
        assert (answered.level, answered.status, answered.answer_note) == (0, "answered", "已回电客户致歉，约定明天上门")
        assert workflow.act(s, answered, "resolve", actor="S1", role="supervisor", now=COMPLAINT_AT + 26 * H) is None
    assert [a for a, _, _ in steps(db_url, ids[1])] == ["opened", "answer", "resolve"]
    assert the_case_status(db_url, ids[1]) == "resolved"


def the_case_status(url: str, case_id: int) -> str:
    with Session(engine_for(url)) as s:
        return s.get(Case, case_id).status


def test_followup_flags_open_cases_too(db_url, tmp_path):
    seed_roster(db_url, tmp_path)
    with Session(engine_for(db_url)) as s, s.begin():
        req = calls.CallRequest(call_id="c-fu", agent_ids=["A2"], ended_at=COMPLAINT_AT)
        survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=COMPLAINT_AT)
        with rows.editing(s, survey.id, COMPLAINT_AT) as d:
            d.flag("followup", "退款到现在还没到账，麻烦帮我查一下", COMPLAINT_AT)
    open_cases(db_url, COMPLAINT_AT + timedelta(minutes=1))
    case = the_case(db_url)
    assert (case.kind, case.level, case.handler_id) == ("followup", 0, "S1")


def test_the_jobs_open_and_escalate_through_the_settings(db_url, tmp_path):
    from bot.cases import jobs
    from bot.settings import Settings

    seed_roster(db_url, tmp_path)
    complain(db_url, "c-job", "A1", "我要投诉你们")  # in 2026-09: long overdue by the real clock
    settings = Settings.from_env({"DATABASE_URL": db_url, "FEEDBACKBOT_CASE_LEVELS": "班组长=1,投诉办=2"})
    assert jobs.open_cases(settings) == 1 and jobs.open_cases(settings) == 0
    assert jobs.escalate_cases(settings) == 1
    case = the_case(db_url)
    assert (case.level, case.handler_id) == (1, None)
    assert as_utc(case.due_at) == COMPLAINT_AT + 3 * H  # the configured 1 h then 2 h


def test_a_long_internal_window_is_cut_at_the_regulators_last_working_day(db_url, tmp_path):
    from bot.cases.policy import parse_levels

    levels = parse_levels("班组长=24,中心经理=480,投诉/质检办=72")
    seed_roster(db_url, tmp_path)
    complain(db_url, "c-cut", "A2", "再不退款我就打12315投诉")
    with Session(engine_for(db_url)) as s, s.begin():
        workflow.do_open_cases_for_new_flags(s, COMPLAINT_AT + timedelta(minutes=1), levels=levels)
    # 480 h would end 10-20 02:00 UTC; 12315's 7th working day is 10-15 (10-10 Saturday worked, 10-01..07 off),
    # which ends at 10-16 00:00 Beijing = 10-15 16:00 UTC.
    regulator_end = datetime.fromisoformat("2026-10-15T16:00:00+00:00")
    case = the_case(db_url)
    assert (case.level, as_utc(case.due_at)) == (1, regulator_end)
    with Session(engine_for(db_url)) as s, s.begin():
        assert workflow.do_escalate_overdue_cases(s, regulator_end - timedelta(seconds=1), levels=levels) == []
        [moved] = workflow.do_escalate_overdue_cases(s, regulator_end, levels=levels)
        # Past the regulator's day the last level keeps its own 72 h.
        assert (moved.level, as_utc(moved.due_at)) == (2, regulator_end + 72 * H)
