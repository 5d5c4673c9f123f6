"""The inbox and the owners page in Debian's Chromium: a supervisor follows an appeal notification to the appeal;
the admin names the owner of a non-staff cause, and reads the weekly digest in the inbox.

Screenshots go to ``var/screenshots/`` (git-ignored) for a person to look at.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.db.session import open_session
from bot.domain import AppealMode
from bot.notifications import digest
from bot.staff import appeals
from tests.browser.conftest import serve_web
from tests.browser.test_staff_browser import desktop, log_in, shot  # noqa: F401 - the fixture is shared
from tests.staff_data import build


@pytest.fixture(scope="module")
def notify_site(tmp_path_factory) -> Iterator[tuple[str, str, int]]:
    from bot.db.migrate import upgrade

    base = tmp_path_factory.mktemp("notify-site")
    db = f"sqlite:///{base / 'feedbackbot.db'}"
    upgrade(db)
    built = build(db, base)
    with open_session(db) as s, s.begin():
        appeal = appeals.do_file_appeal(s, agent_id="A1", reason_id=built.a1_attitude_reason,
                                        text="客户情绪激动，我按流程解释，没有打断", now=datetime.now(UTC),
                                        policy=appeals.AppealPolicy(mode=AppealMode.SUPERVISOR)).appeal
        assert appeal is not None
        appeal_id = appeal.id
    with serve_web(base, db) as url:
        yield url, db, appeal_id


def test_supervisor_follows_the_inbox_to_the_appeal(notify_site, desktop):  # noqa: F811
    url, _, appeal_id = notify_site
    page = desktop()
    log_in(page, url, "S1")
    page.get_by_role("link", name="提醒").click()
    page.wait_for_url(f"{url}/inbox")
    row = page.locator("table.inbox tbody tr").first
    assert "待决定申诉" in row.inner_text() and "未读" in row.inner_text()
    shot(page, "inbox-supervisor")
    page.get_by_role("link", name=f"申诉 #{appeal_id} 等待你决定，请在期限内处理").click()
    page.wait_for_url(f"{url}/appeals/{appeal_id}")
    assert page.locator(".staff-nav .badge").count() == 0  # read once opened
    assert page.errors == []


def test_admin_names_an_owner_and_reads_the_digest(notify_site, desktop):  # noqa: F811
    url, db, _ = notify_site
    page = desktop()
    log_in(page, url, "ADM")
    page.get_by_role("link", name="非服务原因负责人").click()
    page.wait_for_url(f"{url}/admin/owners")
    card = page.locator("#owner-company\\.policy")
    card.get_by_text("指定负责部门").click()
    card.get_by_label("负责部门").fill("客户体验部")
    card.get_by_label("邮箱（可填多个，用逗号分隔）").fill("cx@example.com, policy@example.com")
    card.get_by_label("群机器人").select_option("dingtalk")
    card.get_by_label("机器人 Webhook 地址").fill("https://oapi.dingtalk.com/robot/send?access_token=abc123")
    card.get_by_label("钉钉加签密钥（SEC 开头，选填）").fill("SEC0123456789")
    card.get_by_role("button", name="保存").click()
    assert page.get_by_role("status").inner_text() == "负责人已保存。"
    card = page.locator("#owner-company\\.policy")
    assert "客户体验部" in card.locator("h3").inner_text() and "（已加签）" in card.inner_text()
    assert "SEC0123456789" not in page.content()
    bad = page.locator("#owner-company\\.network")
    bad.get_by_text("指定负责部门").click()
    bad.get_by_label("负责部门").fill("网络部")
    bad.get_by_label("邮箱（可填多个，用逗号分隔）").fill("不是邮箱")
    bad.get_by_role("button", name="保存").click()
    assert "邮箱地址格式不对" in page.locator("#owner-company\\.network").inner_text()
    assert page.locator("#owner-company\\.network details").get_attribute("open") is not None  # the form stays open
    assert page.locator("#owner-company\\.network").get_by_label("负责部门").input_value() == "网络部"  # as typed
    assert page.locator("#owner-none").count() == 0 and page.locator("#owner-staff\\.attitude").count() == 0
    shot(page, "owners-page")

    with open_session(db) as s, s.begin():  # what the Monday job does
        assert digest.do_queue_digests(s, datetime.now(UTC), "Asia/Shanghai") == ["客户体验部"]
    page.goto(f"{url}/inbox")
    row = page.locator("table.inbox tbody tr").first
    assert "每周摘要" in row.inner_text() and "客户体验部" in row.inner_text()
    shot(page, "inbox-admin-digest")
    assert page.errors == []
