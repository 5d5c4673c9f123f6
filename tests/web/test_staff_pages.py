"""Staff pages over HTTP on SQLite and PostgreSQL: the authorisation matrix, CSRF, escaping, figures, appeals, exports.

The data is ``tests/staff_data.py``; every expected figure below was counted by hand from its docstring.
"""
from __future__ import annotations

import csv
import io
import re
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from bot.db.models import AuditLog
from bot.db.session import open_session
from bot.db.staff import Appeal
from bot.ops.stack import free_port
from bot.settings import Settings
from bot.web import messages
from bot.web.app import create_app
from tests.staff_data import B1_SECRET, FORMULA_REASON, FORMULA_REPLY, PASSWORD, SCRIPT_REASON, build
from tests.web_clients import csrf_token as token
from tests.web_clients import staff_client

A1_EXPLANATION = ("6 条一般或不满意的评分中，2 条与您的服务无关（公司规定 1、网络信号 1），2 条原因不明或待审核，"
                  "均不计入归因满意度，因此归因满意度高于原始满意度。")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture()
def centre(db_url, tmp_path):
    built = build(db_url, tmp_path)
    settings = Settings(database_url=db_url, rasa_url=f"http://127.0.0.1:{free_port()}", env="development")
    app = create_app(settings)

    def client(who: str | None = None) -> TestClient:
        return staff_client(app, who)

    return built, client



def appeals(db_url) -> list[Appeal]:
    with open_session(db_url) as s:
        return list(s.scalars(select(Appeal)))


# --- who may see what --------------------------------------------------------------

AGENT_REFUSED = ["/team", "/team?team=一组", "/team/agent/A1", "/team/agent/B1", "/admin", "/export/kpi",
                 "/export/kpi?team=一组", "/export/causes", "/export/feedback?agent=A2", "/export/feedback?agent=B1",
                 "/export/feedback?agent=nobody"]
SUPERVISOR_REFUSED = ["/admin", "/team?team=二组", "/team/agent/B1", "/team/agent/S2", "/team/agent/nobody",
                      "/export/feedback?agent=B1", "/export/kpi?team=二组", "/export/kpi?team=nobody"]


def test_anonymous_is_sent_to_login_everywhere(centre):
    _, client = centre
    c = client()
    for path in ["/me", "/team", "/team/agent/A1", "/admin", "/export/feedback", "/export/kpi", "/export/causes"]:
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path


def test_an_agent_sees_only_their_own_feedback(centre):
    _, client = centre
    c = client("A1")
    page = c.get("/me").text
    assert "一直打断我" in page and "接电话的人很敷衍" not in page and B1_SECRET not in page
    for path in AGENT_REFUSED:
        assert c.get(path).status_code == 403, path
    # A query naming somebody else changes nothing: /me is always the user's own.
    for path in ["/me?agent=B1", "/me?agent_id=B1", "/export/feedback?agent_id=B1&format=csv"]:
        r = c.get(path)
        assert r.status_code == 200 and B1_SECRET not in r.content.decode("utf-8-sig"), path


def test_a_supervisor_sees_only_their_team(centre):
    _, client = centre
    c = client("S1")
    page = c.get("/team").text
    for name in ("张三", "李四", "王五"):
        assert name in page
    assert "赵六" not in page and "二组" not in page.split("原因报告")[0]
    for path in SUPERVISOR_REFUSED:
        assert c.get(path).status_code == 403, path
    drill = c.get("/team/agent/A1")
    assert drill.status_code == 200 and "一直打断我" in drill.text
    assert "/me/appeals" not in drill.text and "提交申诉" not in drill.text  # read only
    # The cause report's staff part names only the supervisor's team.
    rows = list(csv.reader(io.StringIO(c.get("/export/causes?format=csv").content.decode("utf-8-sig"))))
    teams = [r[0] for r in rows[rows.index(["服务原因(按团队)"]) + 2:]]
    assert teams == ["一组"]
    other = client("S2")
    assert B1_SECRET in other.get("/team/agent/B1").text
    assert other.get("/team/agent/A1").status_code == 403


def test_admin_sees_everything_and_unknown_ids_are_404(centre):
    _, client = centre
    c = client("ADM")
    every_team = c.get("/team").text
    assert "赵六" in every_team and "张三" in every_team
    for path in ["/admin", "/team?team=一组", "/team?team=二组", "/team/agent/B1", "/team/agent/A1",
                 "/export/feedback?agent=B1", "/export/kpi", "/export/kpi?team=二组", "/export/causes"]:
        assert c.get(path).status_code == 200, path
    assert B1_SECRET in c.get("/team/agent/B1").text
    assert c.get("/team/agent/nobody").status_code == 404
    assert c.get("/team?team=nobody").status_code == 404


# --- figures ------------------------------------------------------------------------

def test_agent_page_shows_raw_and_attributed_with_the_explanation(centre):
    _, client = centre
    page = client("A1").get("/me").text
    assert "57.1%" in page and "80.0%" in page
    assert A1_EXPLANATION in page
    assert "第 2 名" in page  # A3 has 9/10 = 90.0 %, A1 8/10
    assert "<mark>态度很差</mark>" in page and "<mark>退款规定</mark>" in page
    for status in ("超时", "已更正", "待审核", "不计入归因", "网络信号", "公司规定", "员工态度", "问题未解决"):
        assert status in page, status
    assert page.count("提交申诉") == 2  # the two standing staff attributions


def test_below_the_minimum_sample_there_is_no_rank_and_no_colour(centre):
    _, client = centre
    c = client("S1")
    drill = c.get("/team/agent/A2").text
    assert "样本不足" in drill and "名</p>" not in drill
    assert re.search(r'class="card card-main "', drill)  # no colour band on the attributed card
    team = c.get("/team").text
    a2_row = re.search(r"<tr data-insufficient><th scope=\"row\" data-sort=\"李四\">.*?</tr>", team, re.S).group(0)
    assert "样本不足" in a2_row and "band-" not in a2_row
    a3_row = re.search(r"<tr><th scope=\"row\" data-sort=\"王五\">.*?</tr>", team, re.S).group(0)
    assert "band-good" in a3_row and ">1<" in a3_row  # 90.0 %: rank 1, green


def test_filters_by_cause_and_day(centre):
    built, client = centre
    c = client("A1")
    page = c.get("/me?cause=company.policy").text
    assert "要等十五个工作日" in page and "一直打断我" not in page and "（1 条，原因：公司规定）" in page
    day = built.days[4].astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    page = c.get(f"/me?kind=day&day={day}").text
    assert "一直打断我" in page and "退款规定" not in page and "（2 条）" in page  # and a 5 of that day
    bad = c.get("/me?kind=month&month=2026-13")
    assert bad.status_code == 200 and messages.PERIOD_INVALID in bad.text


# --- escaping and formula injection -----------------------------------------------------

def test_a_script_in_a_reason_or_appeal_renders_as_text_everywhere(centre, db_url):
    built, client = centre
    agent = client("A1")
    r = agent.post("/me/appeals", data={"reason_id": built.a1_script_reason, "text": "<script>evil()</script>不是我的错",
                                        "csrf_token": token(agent.get("/me").text)}, follow_redirects=False)
    assert r.status_code == 303
    supervisor = client("S1")
    pages = [agent.get("/me").text, supervisor.get("/team/agent/A1").text, client("ADM").get("/admin").text]
    for page in pages:
        assert "<script>alert" not in page and "<script>evil" not in page
        assert "&lt;script&gt;" in page
    # The non-staff reason is quoted by the cause report of the team and admin pages.
    for page in [*pages, supervisor.get("/team").text]:
        assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;evil()&lt;/script&gt;不是我的错" in pages[2]  # the open appeal listed for the admin


def test_exports_neutralise_formulas_and_keep_numbers(centre):
    _, client = centre
    c = client("A1")
    r = c.get("/export/feedback?format=csv")
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith('attachment; filename="feedback-A1-')
    assert "filename*=UTF-8''%E8%AF%84%E4%BB%B7%E6%98%8E%E7%BB%86-A1-" in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["通话编号", "通话结束时间", "评分", "客户回复"]
    assert len(rows) == 1 + 16
    formula = next(row for row in rows if "宽带" in row[4])
    assert formula[4] == "'" + FORMULA_REASON and formula[3] == "'" + FORMULA_REPLY
    assert any(row[4] == SCRIPT_REASON for row in rows)  # text in a CSV: kept as typed, never HTML
    x = c.get("/export/feedback?format=xlsx")
    assert x.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(x.content)).active
    cells = {sheet.cell(row=i, column=5).value: sheet.cell(row=i, column=5) for i in range(2, sheet.max_row + 1)}
    cell = cells["'" + FORMULA_REASON]
    assert cell.data_type == "s"
    assert sheet.cell(row=2, column=3).data_type == "n"  # the score stays a number


def test_team_export_has_the_figures_of_the_page(centre):
    _, client = centre
    r = client("S1").get("/export/kpi?team=一组&format=xlsx")
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in sheet[1]]
    rows = {row[1]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["A1"]["评分数"] == 14 and rows["A1"]["原始满意度"] == round(8 / 14, 4)
    assert rows["A1"]["归因满意度"] == 0.8 and rows["A1"]["排名"] == 2
    assert rows["A2"]["结论"] == "样本不足" and rows["A2"]["排名"] is None
    assert "B1" not in rows
    assert client("S1").get("/export/kpi?format=pdf").status_code == 400


# --- CSRF and appeals -------------------------------------------------------------------

def test_every_form_refuses_a_missing_csrf_token(centre, db_url):
    built, client = centre
    c = client("A1")
    r = c.post("/me/appeals", data={"reason_id": built.a1_attitude_reason, "text": "不是我"})
    assert r.status_code == 403 and messages.CSRF_FAILED in r.text
    r = c.post("/me/appeals", data={"reason_id": built.a1_attitude_reason, "text": "不是我", "csrf_token": "forged"})
    assert r.status_code == 403
    assert appeals(db_url) == []
    assert c.post("/logout", data={}).status_code == 403
    assert c.get("/me").status_code == 200  # still logged in
    anon = client()
    anon.get("/login")
    r = anon.post("/login", data={"login_id": "A1", "password": PASSWORD})
    assert r.status_code == 403 and "fb_session" not in anon.cookies


def test_an_appeal_is_stored_once_with_an_audit_row(centre, db_url):
    built, client = centre
    c = client("A1")

    def appeal(reason_id, text="客户是对退款规定不满，我已按流程处理"):
        return c.post("/me/appeals", data={"reason_id": reason_id, "text": text, "csrf_token": token(c.get("/me").text)},
                      follow_redirects=False)

    r = appeal(built.a1_attitude_reason)
    assert r.status_code == 303 and r.headers["location"].endswith("notice=appeal")
    assert messages.APPEAL_STORED in c.get(r.headers["location"]).text
    r = appeal(built.a1_attitude_reason, "再申诉一次")
    assert r.headers["location"].endswith("refused=duplicate")
    assert messages.APPEAL_REFUSALS["duplicate"] in c.get(r.headers["location"]).text
    # Not standing staff attributions, somebody else's, unknown, empty: refused, nothing stored.
    for reason_id in (built.a1_review_reason, built.a1_policy_reason, built.b1_reason, 999999):
        assert appeal(reason_id).headers["location"].endswith("refused=not_found")
    assert appeal(built.a1_script_reason, "   ").headers["location"].endswith("refused=empty")
    stored = appeals(db_url)
    assert [(a.reason_id, a.agent_id, a.status) for a in stored] == [(built.a1_attitude_reason, "A1", "open")]
    with open_session(db_url) as s:
        rows = list(s.scalars(select(AuditLog).where(AuditLog.entity == "appeal")))
    # Filed by the agent, then given to the supervisor of the call's team (一组: S1).
    assert [(r.entity_id, r.action, r.actor) for r in rows] == [(str(stored[0].id), "created", "agent:A1"),
                                                                (str(stored[0].id), "assigned", "system")]
    assert stored[0].decider_id == "S1"
    page = c.get("/me").text
    assert "申诉中" in page and page.count("提交申诉") == 1
    assert "张三" in client("ADM").get("/admin").text.split("申诉中（1）")[1]


# --- the feedback list in pages ------------------------------------------------------------

def test_the_feedback_list_comes_in_pages_of_a_hundred_newest_first(centre, db_url):
    """A busy agent's month is hundreds of replies: the page lists 100 at a time, newest first, with links to the
    older and newer ones (the export holds them all); a page number that is not one shows the first page."""
    from datetime import UTC, datetime, timedelta

    from tests.staff_data import _Builder

    start = datetime.now(UTC) - timedelta(hours=6)
    with open_session(db_url) as s, s.begin():
        b = _Builder(s, datetime.now(UTC))
        b.n = 500  # after the built calls' ids
        for n in range(230):  # later n: later call
            b.rated("A2", start + timedelta(minutes=n), 5, "一组", reply=f"第{n:03d}号回复")
    c = centre[1]("S1")
    first = c.get("/team/agent/A2").text
    shown = [int(m) for m in re.findall(r"第(\d{3})号回复", first)]
    assert shown == list(range(229, 129, -1))
    assert "第 1–100 条，最新的在前" in first and "page=2" in first and "rel=\"prev\"" not in first
    second = c.get("/team/agent/A2?page=2").text
    assert [int(m) for m in re.findall(r"第(\d{3})号回复", second)] == list(range(129, 29, -1))
    assert "第 101–200 条" in second and "rel=\"prev\"" in second and "page=3" in second
    third = c.get("/team/agent/A2?page=3").text
    assert [int(m) for m in re.findall(r"第(\d{3})号回复", third)] == list(range(29, -1, -1))
    assert "第 201–233 条" in third and "rel=\"next\"" not in third  # and the 3 built earlier
    beyond = c.get("/team/agent/A2?page=9").text
    assert "这一页没有评价了" in beyond and "（第 9 页）" in beyond and "page=8" in beyond
    for odd in ("abc", "0", "-1", "1.5", "２", "99999999999999999999"):
        r = c.get(f"/team/agent/A2?page={odd}")
        assert r.status_code == 200 and [int(m) for m in re.findall(r"第(\d{3})号回复", r.text)] == shown, odd
    # The page links keep the period.
    assert re.search(r'href="\?kind=recent&amp;page=2#list-h" rel="next"', first)
    # The export is not paged.
    rows = list(csv.reader(io.StringIO(c.get("/export/feedback?agent=A2&format=csv").content.decode("utf-8-sig"))))
    assert sum("号回复" in cell for row in rows for cell in row) == 230


def test_the_feedback_export_holds_the_whole_period_or_says_why_not(centre, db_url, monkeypatch):
    """The export is the whole period, past the thousand replies it once stopped at without saying so; a period
    beyond the export's bound gets a page that says so and what to do, never a file cut short."""
    from datetime import UTC, datetime, timedelta

    from bot.scoring import agent_feedback
    from tests.staff_data import _Builder

    start = datetime.now(UTC) - timedelta(hours=20)
    with open_session(db_url) as s, s.begin():
        b = _Builder(s, datetime.now(UTC))
        b.n = 500
        for n in range(1050):
            b.rated("A2", start + timedelta(seconds=60 * n), 5, "一组", reply=f"第{n:04d}号回复")
    c = centre[1]("S1")
    r = c.get("/export/feedback?agent=A2&format=csv")
    replies = [cell for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig"))) for cell in row
               if "号回复" in cell]
    assert len(replies) == 1050 and replies[0] == "第1049号回复" and replies[-1] == "第0000号回复"
    monkeypatch.setattr(agent_feedback, "EXPORT_MAX_ITEMS", 1000)
    for fmt in ("csv", "xlsx"):
        refused = c.get(f"/export/feedback?agent=A2&format={fmt}")
        assert refused.status_code == 400 and refused.headers["content-type"].startswith("text/html")
        assert "无法导出" in refused.text and "超过 1,000 条" in refused.text and "分成几段" in refused.text
        assert "号回复" not in refused.text
    monkeypatch.setattr(agent_feedback, "EXPORT_MAX_ITEMS", 1053)  # the 1,050 and the 3 built earlier: all fit
    assert c.get("/export/feedback?agent=A2&format=csv").status_code == 200
