"""The customer chat page in a real (headless) Chromium at phone sizes.

The first tests complete surveys through the whole product (web app, Rasa,
action server) and check what was stored; the others exercise the page's own
behaviour against the web app alone, whose dialogue engine is unreachable, with
some chat calls answered by the test itself.
"""
from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/chat_page.png"
NETWORK_ERROR = "网络好像有点问题，请稍后再试"
BUSY = "抱歉，系统暂时有点忙，请稍后再试"
NOT_FOUND = "抱歉，没有找到这次评价，链接可能已失效。"
CAUSE_CHOICES = ["客服人员的服务", "公司业务或规定", "网络或系统", "其他"]


def expect():
    from playwright.sync_api import expect as _expect

    return _expect


def bot_bubbles(page):
    return page.locator(".row.bot:not(.typing) .bubble")


def my_bubbles(page):
    return page.locator(".row.me .bubble")


def wait_for_bot(page, contains: str, count: int | None = None):
    """Wait until the last bot message contains ``contains`` (and, if given, ``count`` are shown)."""
    if count is not None:
        expect()(bot_bubbles(page)).to_have_count(count, timeout=60_000)
    expect()(bot_bubbles(page).last).to_contain_text(contains, timeout=60_000)
    expect()(page.locator(".typing")).to_have_count(0)


@pytest.fixture(scope="module")
def live(live_stacks):
    return live_stacks("sqlite")


# ---- whole product ------------------------------------------------------------


def test_survey_completed_in_the_browser_on_a_phone(live, phone):
    token = live.new_survey()
    page = phone()
    page.goto(f"{live.stack.web_url}/s/{token}")
    expect()(page.get_by_role("heading", name="服务评价")).to_be_visible()
    wait_for_bot(page, "5为非常满意")
    # The greeting offers 1-5 quick replies.
    expect()(page.get_by_role("group", name="快速评分，1到5分").get_by_role("button")).to_have_count(5)

    box = page.get_by_label("输入您的回复")
    box.fill("2")
    box.press("Enter")
    expect()(my_bubbles(page).last).to_have_text("我：2")
    wait_for_bot(page, "哪里让您不满意")
    # Typing a score retires the quick replies of the earlier question.
    expect()(page.locator(".score-pad .chip:enabled")).to_have_count(0)

    box.fill("套餐太贵了，每个月扣费太多")
    page.get_by_role("button", name="发送").click()
    expect()(box).to_have_value("")
    wait_for_bot(page, "感谢您的反馈")
    expect()(page.get_by_role("button", name="发送")).to_be_disabled()  # nothing typed

    page.screenshot(path=SCREENSHOT, animations="disabled")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.errors == []

    [rating] = live.ratings(token)
    assert rating.score == 2
    [reason] = live.reasons(token)
    assert reason.attribution == "non_staff"
    assert live.survey(token).status == "completed"


def test_cause_choice_buttons_record_the_customers_choice(live, phone):
    token = live.new_survey()
    page = phone()
    page.goto(f"{live.stack.web_url}/s/{token}")
    wait_for_bot(page, "5为非常满意")
    box = page.get_by_label("输入您的回复")
    box.fill("1")
    box.press("Enter")
    wait_for_bot(page, "哪里让您不满意")
    box.fill("问题没解决")
    box.press("Enter")
    wait_for_bot(page, "主要是因为")
    choices = page.get_by_role("group", name="请选择一项").last.get_by_role("button")
    expect()(choices).to_have_text(CAUSE_CHOICES)
    assert live.reasons(token) == []  # nothing attributed before the customer answers

    page.get_by_role("button", name="网络或系统").click()
    expect()(my_bubbles(page).last).to_have_text("我：网络或系统")
    wait_for_bot(page, "感谢您的反馈")
    for chip in choices.all():
        expect()(chip).to_be_disabled()
    assert page.errors == []

    [reason] = live.reasons(token)
    assert reason.source == "customer"
    assert reason.text == "问题没解决"


def test_unknown_token_shows_chinese_not_found_page(live, phone):
    page = phone()
    response = page.goto(f"{live.stack.web_url}/s/no-such-survey-token")
    assert response.status == 404
    expect()(page.locator("body")).to_contain_text(NOT_FOUND)
    expect()(page).to_have_title(re.compile("评价"))
    assert page.errors == []


# ---- the page alone (dialogue engine down or simulated) --------------------------


def test_engine_down_shows_the_chinese_busy_text_and_keeps_the_draft(web_only, phone):
    page = phone(width=360, height=740)
    page.goto(f"{web_only.url}/s/{web_only.new_survey()}")
    wait_for_bot(page, BUSY, 1)
    expect()(page.get_by_role("button", name="重新连接")).to_be_enabled()

    box = page.get_by_label("输入您的回复")
    box.fill("3")
    page.get_by_role("button", name="发送").click()
    wait_for_bot(page, BUSY, 2)
    expect()(box).to_have_value("3")  # not lost: the customer can send it again
    expect()(page.locator(".row.me.failed")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    text = page.locator("#log").inner_text()
    assert "503" not in text and "Error" not in text
    assert page.errors == []


def _fulfil(route, messages, status=200):
    route.fulfill(status=status, content_type="application/json",
                  body=json.dumps({"messages": messages}, ensure_ascii=False))


def test_network_failure_busy_state_buttons_and_safe_rendering(web_only, phone):
    token = web_only.new_survey()
    page = phone()
    held = []
    greeting = "您好！请回复1-5，5为非常满意。<img src=x onerror=\"window.pwned=1\"><b>粗</b>"

    def answer(route):
        if route.request.method == "GET":
            route.continue_()  # the history of this new survey, served by the web app: empty
            return
        if route.request.url.endswith("/start"):
            _fulfil(route, [{"text": greeting, "buttons": []}])
            return
        sent = json.loads(route.request.post_data)["message"]
        if sent == "断网":
            route.abort("internetdisconnected")
        elif sent == "慢":
            held.append(route)  # answered later, so the in-flight state can be observed
        else:
            _fulfil(route, [{"text": f"收到：{sent}", "buttons": []},
                            {"text": "请选择：", "buttons": [{"title": "网络或系统", "payload": "choice-network"},
                                                           {"title": "其他", "payload": "choice-other"}]}])

    page.route("**/api/chat/**", answer)
    page.goto(f"{web_only.url}/s/{token}")
    wait_for_bot(page, "5为非常满意", 1)
    # Bot text is text, never markup.
    expect()(bot_bubbles(page).first).to_contain_text("<b>粗</b>")
    assert page.locator("#log img, #log b").count() == 0
    assert page.evaluate("window.pwned") is None

    box = page.get_by_label("输入您的回复")
    send = page.get_by_role("button", name="发送")

    # Network failure: a Chinese error, the draft is back, the quick replies still work.
    box.fill("断网")
    box.press("Enter")
    wait_for_bot(page, NETWORK_ERROR, 2)
    expect()(box).to_have_value("断网")
    expect()(page.locator(".score-pad .chip:enabled")).to_have_count(5)

    # In flight: send disabled, typing indicator shown, Enter does not send twice.
    box.fill("慢")
    box.press("Enter")
    expect()(page.locator(".typing")).to_have_count(1)
    expect()(send).to_be_disabled()
    box.fill("又一条")
    box.press("Enter")
    assert len(held) == 1
    _fulfil(held.pop(), [{"text": "好的，请再回复1-5，5为非常满意", "buttons": []}])
    wait_for_bot(page, "好的", 3)
    expect()(send).to_be_enabled()
    expect()(box).to_have_value("又一条")
    # Answered questions' quick replies are retired; the new question has its own.
    expect()(page.locator(".score-pad").first.locator(".chip:enabled")).to_have_count(0)
    expect()(page.locator(".score-pad").last.locator(".chip:enabled")).to_have_count(5)

    # A quick-reply chip sends its payload, shows its title, then its group is disabled.
    box.fill("")
    page.get_by_role("button", name="4分，满意").last.click()
    wait_for_bot(page, "请选择：", 5)
    expect()(bot_bubbles(page).nth(3)).to_contain_text("收到：4")
    page.get_by_role("button", name="网络或系统").click()
    expect()(my_bubbles(page).last).to_have_text("我：网络或系统")
    wait_for_bot(page, "请选择：", 7)
    expect()(bot_bubbles(page).nth(5)).to_contain_text("收到：choice-network")
    expect()(page.get_by_role("group", name="请选择一项").first.get_by_role("button")).to_have_count(2)
    for chip in page.get_by_role("group", name="请选择一项").first.get_by_role("button").all():
        expect()(chip).to_be_disabled()
    assert page.errors == []
