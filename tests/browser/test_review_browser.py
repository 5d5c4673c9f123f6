"""The review queue in Debian's Chromium: a reviewer labels with the keyboard and marks the words; the admin's pages.

Screenshots go to ``var/screenshots/review-*.png`` for a person to look at.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.conversation import calls
from bot.db.models import Call, Reason
from bot.db.review import ReviewLabel
from bot.db.session import open_session
from bot.db.staff import Team
from bot.domain import ATTRIBUTION, SurveyStatus
from bot.staff import accounts
from tests import rows
from tests.browser.conftest import serve_web
from tests.browser.test_staff_browser import DESKTOP, log_in, shot
from tests.staff_data import PASSWORD, build

# Hand-written customer words for the queue, each with what the model made of it.
ITEMS = [
    # (agent, team, score, words, cause, source, confidence, evidence, needs_review, model_cause)
    ("A3", "一组", 1, "打了三次才接通，排队排了快半小时，最后还让我自己去营业厅", "company.system", "model", 0.46, "排队排了",
     True, None),
    ("B1", "二组", 2, "那个人口气很冲，一直说规定就是这样，我也没办法", "company.policy", "customer", None, None, False,
     "staff.attitude"),
    ("A2", "一组", 3, "问了半天也没说清楚到底能不能退，只说帮我登记一下", "staff.competence", "model", 0.6, "没说清楚",
     False, None),
    ("A1", "一组", 4, "还行吧，就是这个评价短信来得太晚了", "survey.issue", "model", 0.35, "短信来得太晚", True, None),
]


@pytest.fixture(scope="module")
def review_site(tmp_path_factory) -> Iterator[tuple[str, str]]:
    from bot.db.migrate import upgrade

    base = tmp_path_factory.mktemp("review-site")
    db = f"sqlite:///{base / 'feedbackbot.db'}"
    upgrade(db)
    built = build(db, base)
    now = datetime.now(UTC)
    with open_session(db) as s, s.begin():
        for rid, name in (("R1", "孙质检"), ("R2", "钱质检")):
            assert accounts.do_add_staff(s, agent_id=rid, name=name, role="reviewer", password=PASSWORD,
                                         actor="test", now=now - timedelta(days=30)) is None
        teams = {t.name: t.id for t in s.scalars(select(Team))}
        for n, (agent, team, score, words, cause, source, conf, evidence, review, model_cause) in enumerate(ITEMS):
            ended = now - timedelta(days=2, hours=n)
            req = calls.CallRequest(call_id=f"review-{n}", agent_ids=[agent], ended_at=ended)
            survey, _ = calls.register_call(s, req, window_minutes=60, template_version="v1", now=ended)
            s.get(Call, survey.call_id).team_id = teams[team]
            s.flush()
            rating = rows.record_rating(s, survey, score, f"{score}分", ended + timedelta(minutes=3))
            rows.set_status(s, survey, SurveyStatus.COMPLETED, ended + timedelta(minutes=4))
            rows.record_reason(s, rating, words, cause=cause, attribution=ATTRIBUTION[cause], source=source,
                               now=ended + timedelta(minutes=4), confidence=conf, evidence=evidence,
                               needs_review=review, model_version="20261207T045230Z-e51b5a47" if conf else None,
                               model_cause=model_cause, model_confidence=0.58 if model_cause else None)
        # Earlier double reviews, blind: three agree, one (the <script> text) splits and waits for the admin.
        pairs = {built.a1_attitude_reason: ("staff.attitude", "staff.attitude"),
                 built.a1_policy_reason: ("company.policy", "company.policy"),
                 built.a1_script_reason: ("staff.resolution", "staff.competence"),
                 built.b1_reason: ("staff.attitude", "staff.attitude")}
        for reason_id, (first, second) in pairs.items():
            s.add_all([ReviewLabel(reason_id=reason_id, reviewer_id="R1", cause=first, at=now - timedelta(days=1)),
                       ReviewLabel(reason_id=reason_id, reviewer_id="R2", cause=second, at=now - timedelta(days=1))])
    with serve_web(base, db) as url:
        yield url, db


@pytest.fixture()
def desktop(chromium):
    contexts = []

    def open_page():
        ctx = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
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


def select_words(page, words: str) -> None:
    """Select ``words`` inside the customer's words (across the model's <mark>s), as a drag would, then release."""
    page.evaluate("""(words) => {
        const box = document.getElementById('customer-words');
        const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
        const nodes = [];
        let node, all = '';
        while ((node = walker.nextNode())) { nodes.push([node, all.length]); all += node.textContent; }
        const from = all.indexOf(words), to = from + words.length;
        if (from < 0) { throw new Error('words not found: ' + words); }
        const place = (offset, end) => {
            for (const [n, at] of nodes) {
                const inside = end ? offset <= at + n.textContent.length : offset < at + n.textContent.length;
                if (offset >= at && inside) { return [n, offset - at]; }
            }
        };
        const range = document.createRange();
        range.setStart(...place(from, false));
        range.setEnd(...place(to, true));
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        box.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
    }""", words)


def test_reviewer_labels_with_the_keyboard_and_marks_the_words(review_site, desktop):
    url, db = review_site
    page = desktop()
    log_in(page, url, "R1")
    page.wait_for_url("**/review")
    focus = page.locator(".review-focus")
    # Consequence first: the 1 about queueing (model unsure, a low score) comes before the 4.
    assert "打了三次才接通" in focus.inner_text()
    assert page.locator("#customer-words mark", has_text="排队排了").count() == 1
    # The model's top three, re-read at display once the process has loaded the model (the first view starts it).
    for _ in range(60):
        if page.locator(".ranked li").count() == 3:
            break
        page.wait_for_timeout(2000)
        page.reload()
    assert page.locator(".ranked li").count() == 3
    shot(page, "review-queue")
    page.keyboard.press("3")
    assert page.locator("input[data-key='3']").is_checked()
    page.keyboard.press("6")  # changes its mind: 系统与排队
    assert page.locator("input[data-key='6']").is_checked() and not page.locator("input[data-key='3']").is_checked()
    select_words(page, "排队排了快半小时")
    assert page.locator("#evidence-shown").inner_text() == "“排队排了快半小时”"
    shot(page, "review-queue-chosen", full_page=False)
    page.keyboard.press("Enter")
    page.wait_for_url("**/review?done=decided")
    assert "已保存" in page.locator(".notice").inner_text()
    assert "打了三次才接通" not in page.locator(".review-focus").inner_text()
    shot(page, "review-queue-next")
    with open_session(db) as s:
        newest = s.scalars(select(Reason).order_by(Reason.id.desc())).first()
        assert (newest.source, newest.cause, newest.evidence) == ("reviewer", "company.system", "排队排了快半小时")
    # Enter without a cause asks for one; S skips.
    before = page.locator(".review-focus").inner_text()
    page.keyboard.press("Enter")
    assert "need-choice" in (page.locator(".causes legend").get_attribute("class") or "")
    page.keyboard.press("s")
    page.wait_for_url("**/review?done=skipped")
    assert page.locator(".review-focus").inner_text() != before
    # Typing a note does not pick causes.
    page.locator("#note").fill("12")
    assert page.locator("input[name=cause]:checked").count() == 0
    assert page.errors == []


def test_admin_sees_agreement_adjudication_and_accounts(review_site, desktop):
    url, _ = review_site
    page = desktop()
    log_in(page, url, "ADM")
    page.wait_for_url("**/admin")
    page.goto(f"{url}/review/agreement")
    overall = page.locator("table.data").first.locator("tbody tr").first.inner_text()
    # 4 pairs, 3 agree. By hand: κ = (.75 − .3125)/(1 − .3125) = 0.636; AC1 over Q = 11 causes:
    # π = .5/.25/.125/.125, pe = (.25 + .1875 + .109375 + .109375)/10 = .065625, AC1 = (.75 − pe)/(1 − pe) = 0.732
    assert overall.split("\t")[1:] == ["4", "75.0%", "0.636", "0.732"]
    shot(page, "review-agreement")
    page.goto(f"{url}/review/adjudication")
    assert page.locator("table.data tbody tr").count() == 1
    assert "<script>" in page.inner_text("main")  # the customer's words as text, never markup
    shot(page, "review-adjudication")
    page.locator("table.data select").select_option("staff.resolution")
    page.get_by_role("button", name="裁定").click()
    page.wait_for_url("**/review/adjudication?done=decided")
    assert "没有待裁定的分歧" in page.inner_text("main")
    page.goto(f"{url}/admin/accounts")
    assert page.locator("table.data tbody tr").count() >= 9
    shot(page, "review-accounts")
    page.get_by_label("工号", exact=True).fill("R9")
    page.get_by_label("姓名", exact=True).fill("吴质检")
    page.get_by_label("角色", exact=True).select_option("reviewer")
    page.get_by_label("初始密码（至少10位）").fill("a good password 7")
    page.get_by_role("button", name="新增").click()
    page.wait_for_url("**/admin/accounts?done=1")
    assert "吴质检" in page.inner_text("main")
    shot(page, "review-accounts-added")
    assert page.errors == []
