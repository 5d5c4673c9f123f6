"""An appeal from filing to decision in Debian's Chromium, as the agent, the panel members and the supervisor.

The site runs in panel mode (``FEEDBACKBOT_APPEAL_MODE=panel``): A1 files an appeal on the page and it goes to a
blind panel; a second appeal, filed in supervisor mode before the site started, waits for S1. Screenshots of
every step are saved under ``var/screenshots/appeal-*.png`` for a person to look at.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db.session import open_session
from bot.db.staff import AppealPanelist
from bot.domain import AppealMode
from bot.ledger import fact_table
from bot.staff import appeals
from tests.appeal_data import build_with_reviewers
from tests.browser.conftest import serve_web
from tests.browser.test_staff_browser import desktop, log_in, shot  # noqa: F401 - fixtures and helpers

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def appeal_site(tmp_path_factory) -> Iterator[tuple[str, str]]:
    from bot.db.migrate import upgrade

    base = tmp_path_factory.mktemp("appeal-site")
    db = f"sqlite:///{base / 'feedbackbot.db'}"
    upgrade(db)
    fact_table.install()
    now = datetime.now(UTC)
    built, _ = build_with_reviewers(db, base, now)
    with open_session(db) as s, s.begin():
        appeals.do_file_appeal(s, agent_id="A1", reason_id=built.a1_script_reason, text="客户说没回电话，其实我第二天就回了",
                               now=now, policy=appeals.AppealPolicy(mode=AppealMode.SUPERVISOR))
    saved = os.environ.get("FEEDBACKBOT_APPEAL_MODE")
    os.environ["FEEDBACKBOT_APPEAL_MODE"] = "panel"
    try:
        with serve_web(base, db) as url:
            yield url, db
    finally:
        if saved is None:
            os.environ.pop("FEEDBACKBOT_APPEAL_MODE", None)
        else:
            os.environ["FEEDBACKBOT_APPEAL_MODE"] = saved


def test_an_appeal_from_filing_to_decision(appeal_site, desktop):  # noqa: F811 - the fixture imported above
    url, db = appeal_site
    agent = desktop()
    log_in(agent, url, "A1")
    agent.wait_for_url("**/me")
    row = agent.locator("table.feedback tbody tr").filter(has_text="一直打断我")
    row.get_by_text("申诉", exact=True).click()
    row.get_by_label("为什么这条不应算作您的原因？").fill("客户一直在说退款要等十五天，这是公司规定，不是我的态度问题")
    row.get_by_role("button", name="提交申诉").click()
    agent.get_by_role("status").filter(has_text="申诉已提交").wait_for()
    assert "申诉中" in agent.locator("table.feedback tbody tr").filter(has_text="一直打断我").inner_text()
    assert "我的申诉（2）" in agent.content()
    shot(agent, "appeal-1-agent-filed")

    with open_session(db) as s:
        panel = list(s.scalars(select(AppealPanelist.reviewer_id).order_by(AppealPanelist.reviewer_id)))
    assert len(panel) == 3 and not {"A1", "A2", "A3", "S1", "R5", "R6"} & set(panel)

    supervisor = desktop()
    log_in(supervisor, url, "S1")
    supervisor.wait_for_url("**/team")
    assert "申诉中 2" in supervisor.locator("table").first.inner_text()
    shot(supervisor, "appeal-2-supervisor-team")
    supervisor.goto(f"{url}/appeals")
    assert supervisor.get_by_text("查看并决定").count() == 1  # the panel's appeal is not S1's
    shot(supervisor, "appeal-3-supervisor-list")
    supervisor.get_by_text("查看并决定").click()
    supervisor.get_by_label("申诉不成立：维持原判").check()
    supervisor.get_by_label("说明（客服会看到）").fill("客户原话是答应回电一直没回，系统里也没有回访记录")
    shot(supervisor, "appeal-4-supervisor-deciding")
    supervisor.get_by_role("button", name="提交决定").click()
    supervisor.get_by_role("status").filter(has_text="已记录您的决定").wait_for()
    shot(supervisor, "appeal-5-supervisor-decided")

    for i, member in enumerate(panel[:2]):
        page = desktop()
        log_in(page, url, member)
        page.goto(f"{url}/appeals")
        page.get_by_text("查看并决定").click()
        body = page.locator("main").inner_text()
        assert "一直打断我" in body and "这是公司规定" in body and "张三" not in body and "A1" not in body
        page.get_by_label("申诉成立：不是客服的原因").check()
        page.get_by_label("申诉成立时，正确的原因分类").select_option(label="公司规定")
        shot(page, f"appeal-6-panel-{i + 1}-voting")
        page.get_by_role("button", name="提交投票").click()
        page.get_by_role("status").filter(has_text="已记录您的投票").wait_for()
        shot(page, f"appeal-7-panel-{i + 1}-voted")
        assert page.errors == []

    agent.goto(f"{url}/me")
    mine = agent.locator("table.my-appeals").inner_text()
    assert "申诉成立" in mine and "申诉未成立" in mine
    # The month's figures depend on today's date (the calls are 1–12 days old); the exact figures are checked
    # with a frozen clock in tests/storage/test_appeals.py. Over the last 30 days: 8/10 before, 8/9 after.
    assert "现在不计入" in mine and "现在计入" in mine
    assert "88.9%" in agent.locator(".cards").inner_text()
    shot(agent, "appeal-8-agent-result")
    agent.locator("table.my-appeals tbody tr").filter(has_text="申诉未成立").get_by_role("link").click()
    agent.get_by_label("为什么需要复核？").fill("我有第二天的外呼记录，请管理员看一下")
    agent.get_by_role("button", name="申请复核").click()
    agent.get_by_role("status").filter(has_text="已申请管理员复核").wait_for()
    shot(agent, "appeal-9-agent-review-asked")

    admin = desktop()
    log_in(admin, url, "ADM")
    admin.goto(f"{url}/appeals/escalated")
    shot(admin, "appeal-10-admin-escalated")
    assert admin.get_by_text("查看并决定").count() == 1
    for page in (agent, supervisor, admin):
        assert page.errors == []
