"""The complaint case pages in Debian's Chromium: a supervisor follows the inbox to an overdue case and answers it.

Screenshots go to ``var/screenshots/`` (git-ignored) for a person to look at.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from bot.cases import workflow
from bot.conversation import calls, transcripts
from bot.db.connection import engine_for
from bot.db.staff import Account
from tests.browser.conftest import serve_web
from tests.browser.test_staff_browser import desktop, log_in, shot  # noqa: F401 - the fixture is shared
from tests.cases.case_data import complain, seed_roster
from tests.staff_data import password_hash

WORDS = "客服一直打断我说话，问题也没解决，我要去12315投诉你们"


@pytest.fixture(scope="module")
def case_site(tmp_path_factory) -> Iterator[tuple[str, int]]:
    from bot.db.migrate import upgrade

    base = tmp_path_factory.mktemp("case-site")
    db = f"sqlite:///{base / 'feedbackbot.db'}"
    upgrade(db)
    seed_roster(db, base)
    now = datetime.now(UTC)
    with Session(engine_for(db)) as s, s.begin():
        s.add(Account(agent_id="ADM", password_hash=password_hash(), updated_at=now))
    at = now - timedelta(hours=50)  # 中心经理's 48 h passed two hours ago, not yet escalated
    token = complain(db, "b-12315", "A1", WORDS, at)
    with Session(engine_for(db)) as s, s.begin():
        survey = calls.survey_by_token(s, token)
        transcripts.append(s, survey, at - timedelta(minutes=1), bot=[("您好，请为本次服务打分，1分最差，5分最好。", [])])
        transcripts.append(s, survey, at, customer="1分 " + WORDS,
                           bot=[("非常抱歉给您带来不好的体验，您的意见已转交主管跟进。", [])])
        [case] = workflow.do_open_cases_for_new_flags(s, now)
        case_id = case.id
    with serve_web(base, db) as url:
        yield url, case_id


def test_admin_opens_an_overdue_regulator_case_and_answers_it(case_site, desktop):  # noqa: F811
    url, case_id = case_site
    page = desktop()
    log_in(page, url, "ADM")
    page.get_by_role("link", name="投诉案件").click()
    page.wait_for_url(f"{url}/cases")
    row = page.locator("table.data tbody tr").first
    assert "已超时" in row.inner_text() and "12315" in row.inner_text()
    shot(page, "cases-list")
    page.get_by_role("link", name=f"#{case_id}").click()
    page.get_by_text("查看完整对话").click()
    assert page.get_by_text("非常抱歉给您带来不好的体验").is_visible()
    assert "客户提到监管部门，提高一级立案" in page.content()
    shot(page, "case-details")
    page.get_by_role("button", name="受理").click()
    page.get_by_label("回复说明").fill("已回电客户道歉，复核录音后明天给出处理结果")
    page.get_by_role("button", name="保存回复").click()
    assert page.get_by_role("status").inner_text() == "回复已保存。"
    assert "已回复" in page.locator("h2").first.inner_text()
    shot(page, "case-answered")
    assert page.errors == []
