"""The staff pages in Debian's Chromium: an agent reads, filters and appeals; a supervisor sorts and exports Excel.

Every page visited is saved as a screenshot under ``var/screenshots/`` (git-ignored) for a person to look at.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest
from openpyxl import load_workbook

from bot.settings import ROOT
from tests.browser.conftest import serve_web
from tests.staff_data import PASSWORD, build

SHOTS = ROOT / "var" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}


def _site(tmp_path_factory, name: str, more: Callable[[str], None] | None = None) -> Iterator[str]:
    """The staff data (``tests/staff_data.py``) in a new SQLite file, ``more`` added to it, served."""
    from bot.db.migrate import upgrade

    base = tmp_path_factory.mktemp(name)
    db = f"sqlite:///{base / 'feedbackbot.db'}"
    upgrade(db)
    build(db, base)
    if more is not None:
        more(db)
    with serve_web(base, db) as url:
        yield url


@pytest.fixture(scope="module")
def staff_site(tmp_path_factory) -> Iterator[str]:
    yield from _site(tmp_path_factory, "staff-site")


@pytest.fixture()
def desktop(chromium):
    contexts = []

    def open_page(**options):
        ctx = chromium.new_context(viewport=options.pop("viewport", DESKTOP), locale="zh-CN", accept_downloads=True,
                                   **options)
        ctx.set_default_timeout(30_000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
        return page

    yield open_page
    for ctx in contexts:
        ctx.close()


def shot(page, name: str, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def log_in(page, url: str, who: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("工号").fill(who)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def feedback_rows(page):
    return page.locator("table.feedback tbody tr")


def test_agent_reads_filters_and_appeals(staff_site, desktop, phone):
    page = desktop()
    page.goto(f"{staff_site}/login")
    shot(page, "login")
    log_in(page, staff_site, "A1")
    page.wait_for_url("**/me")
    cards = page.locator(".cards")
    assert "57.1%" in cards.inner_text() and "80.0%" in cards.inner_text()
    assert "2 条与您的服务无关（公司规定 1、网络信号 1）" in page.get_by_test_id("explain").inner_text()
    page.locator("#trend[data-ready='1'] svg").first.wait_for()
    assert feedback_rows(page).count() == 16
    assert page.locator("table.feedback mark", has_text="态度很差").count() == 1
    assert "员工态度" in page.locator("table.feedback").inner_text()
    shot(page, "agent-me")

    page.get_by_label("原因", exact=True).select_option(label="公司规定")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url("**cause=company.policy**")
    assert feedback_rows(page).count() == 1
    assert "退款规定" in feedback_rows(page).first.inner_text()
    shot(page, "agent-me-filtered")

    page.get_by_label("时间范围").select_option(label="按日")
    assert page.get_by_label("日期", exact=True).is_visible() and not page.get_by_label("月份", exact=True).is_visible()
    page.get_by_label("原因", exact=True).select_option(label="全部原因")
    page.get_by_label("时间范围").select_option(label="近30天")
    page.get_by_role("button", name="查看").click()
    page.wait_for_load_state()
    row = feedback_rows(page).filter(has_text="一直打断我")
    row.get_by_text("申诉", exact=True).click()
    row.get_by_label("为什么这条不应算作您的原因？").fill("客户要求的退费不在我权限内，我已按流程转交")
    row.get_by_role("button", name="提交申诉").click()
    page.get_by_role("status").filter(has_text="申诉已提交").wait_for()
    assert "申诉中" in feedback_rows(page).filter(has_text="一直打断我").inner_text()
    shot(page, "agent-me-appealed")
    assert page.errors == []

    small = phone()
    log_in(small, staff_site, "A1")
    small.wait_for_url("**/me")
    small.locator("#trend[data-ready='1'] svg").first.wait_for()
    shot(small, "agent-me-phone")
    shot(small, "agent-me-phone-top", full_page=False)
    small.locator("table.feedback tbody tr").nth(3).scroll_into_view_if_needed()
    shot(small, "agent-me-phone-list", full_page=False)
    assert small.errors == []


def test_supervisor_sorts_the_team_and_exports_excel(staff_site, desktop, tmp_path):
    page = desktop()
    log_in(page, staff_site, "S1")
    page.wait_for_url("**/team")
    table = page.locator("table[data-sortable]").first
    header = table.locator("thead th", has_text="归因满意度").first

    def names():
        return [t.split("\n")[0].strip() for t in table.locator("tbody tr th").all_inner_texts()]

    header.get_by_role("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert names() == ["张三", "王五", "李四"]  # 80.0 %, 90.0 %; 李四's 3/3 is 样本不足: always last
    header.get_by_role("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert names() == ["王五", "张三", "李四"]
    table.locator("thead th", has_text="评分数").first.get_by_role("button").click()
    assert names() == ["王五", "张三", "李四"]  # 10, 14 ascending; 样本不足 still last
    assert "样本不足" in table.locator("tbody tr", has_text="李四").inner_text()
    shot(page, "supervisor-team")

    with page.expect_download() as info:
        page.get_by_test_id("export-xlsx").first.click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx") and "一组" in download.suggested_filename
    path = tmp_path / "team.xlsx"
    download.save_as(path)
    sheet = load_workbook(io.BytesIO(path.read_bytes())).active
    header_row = [c.value for c in sheet[1]]
    a1 = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] == "A1")
    assert a1[header_row.index("归因满意度")] == 0.8 and a1[header_row.index("评分数")] == 14

    table.get_by_role("link", name="张三").click()
    page.wait_for_url("**/team/agent/A1**")
    page.locator("#trend[data-ready='1'] svg").first.wait_for()
    assert page.get_by_role("button", name="提交申诉").count() == 0
    shot(page, "supervisor-agent")
    page.goto(f"{staff_site}/team/agent/A2")
    assert "样本不足" in page.locator(".cards").inner_text()
    shot(page, "supervisor-agent-insufficient")
    assert page.errors == []
    page.goto(f"{staff_site}/team/agent/B1")  # another team's agent: the 403 page
    shot(page, "supervisor-forbidden")
    assert "没有权限" in page.inner_text("main")


def test_admin_pages(staff_site, desktop):
    page = desktop()
    log_in(page, staff_site, "ADM")
    page.wait_for_url("**/admin")
    assert page.locator("table[data-sortable] tbody tr").count() == 2
    shot(page, "admin")
    page.get_by_role("link", name="一组").first.click()
    page.wait_for_url("**/team?team=**")
    shot(page, "admin-team")
    assert page.errors == []


@pytest.fixture(scope="module")
def busy_site(tmp_path_factory) -> Iterator[str]:
    """The staff data with 230 more replies to 王五 (A3) in the last hours: a list of three pages."""

    def busy(db: str) -> None:
        from datetime import UTC, datetime, timedelta

        from bot.db.session import open_session
        from tests.staff_data import _Builder

        start = datetime.now(UTC) - timedelta(hours=6)
        with open_session(db) as s, s.begin():
            b = _Builder(s, datetime.now(UTC))
            b.n = 500
            for n in range(230):
                b.rated("A3", start + timedelta(minutes=n), 5 if n % 7 else 4, "一组", reply=f"第{n:03d}号回复，挺好的")

    yield from _site(tmp_path_factory, "busy-site", busy)


def test_a_supervisor_pages_through_a_busy_agents_feedback(busy_site, desktop):
    page = desktop()
    log_in(page, busy_site, "S1")
    page.wait_for_url("**/team")
    page.goto(f"{busy_site}/team/agent/A3")
    assert feedback_rows(page).count() == 100
    assert "第 1–100 条，最新的在前" in page.locator("#list-h").inner_text()
    assert "第229号回复" in feedback_rows(page).first.inner_text()
    shot(page, "supervisor-agent-busy-page-1")
    page.get_by_role("link", name="较早的 100 条 ›").click()
    page.wait_for_url("**page=2**")
    assert feedback_rows(page).count() == 100 and "第129号回复" in feedback_rows(page).first.inner_text()
    page.get_by_role("link", name="较早的 100 条 ›").click()
    page.wait_for_url("**page=3**")
    assert feedback_rows(page).count() == 40  # 30 of these and the 10 built before
    assert page.get_by_role("link", name="较早的 100 条 ›").count() == 0
    shot(page, "supervisor-agent-busy-page-3")
    page.get_by_role("link", name="‹ 较新的 100 条").click()
    page.wait_for_url("**page=2**")
    assert page.errors == []
