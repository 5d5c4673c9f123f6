"""Reload, return after close and opt-out in a real Chromium on a phone, through the whole product.

Screenshots go to ``var/screenshots/`` (git-ignored) for a person to look at.
"""
from __future__ import annotations

import pytest

from bot.settings import ROOT
from tests.browser.test_chat_page import bot_bubbles, expect, my_bubbles, wait_for_bot

pytestmark = pytest.mark.browser

SHOTS = ROOT / "var" / "screenshots"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), animations="disabled")


@pytest.fixture(scope="module")
def live(live_stacks):
    return live_stacks("sqlite")


def _greeted(live, phone, **call):
    """A new survey opened on a phone, once the greeting is shown; returns (token, page)."""
    token = live.new_survey(**call)
    page = phone()
    page.goto(f"{live.stack.web_url}/s/{token}")
    wait_for_bot(page, "5为非常满意")
    return token, page


def _send(page, text: str) -> None:
    box = page.get_by_label("输入您的回复")
    box.fill(text)
    box.press("Enter")


def test_reload_mid_survey_resumes_the_same_conversation(live, phone):
    token, page = _greeted(live, phone)
    _send(page, "2")
    wait_for_bot(page, "哪里让您不满意")

    page.reload()
    wait_for_bot(page, "哪里让您不满意", 2)  # greeting and question, not a second greeting
    expect()(my_bubbles(page)).to_have_text(["我：2"])
    expect()(page.locator(".score-pad .chip:enabled")).to_have_count(0)  # the greeting's pad is answered
    _shot(page, "reload-mid-survey")

    # A reason with bad words after the reload is a reason, not a new score.
    _send(page, "客服说话很差劲，一直打断我，态度很不耐烦")
    wait_for_bot(page, "感谢")
    [rating] = [r for r in live.ratings(token) if r.status == "valid"]
    assert rating.score == 2
    assert live.survey(token).status == "completed"
    assert page.errors == []


def test_return_after_close_shows_history_and_a_disabled_box(live, phone):
    token, page = _greeted(live, phone)
    _send(page, "5")
    wait_for_bot(page, "感谢")

    again = phone()
    again.goto(f"{live.stack.web_url}/s/{token}")
    expect()(again.locator(".closed-notice")).to_contain_text("本次评价已完成")
    expect()(my_bubbles(again)).to_have_text(["我：5"])
    expect()(bot_bubbles(again)).to_have_count(2)
    box = again.get_by_label("输入您的回复")
    expect()(box).to_be_disabled()
    expect()(again.get_by_role("button", name="发送")).to_be_disabled()
    expect()(again.locator(".chip:enabled")).to_have_count(0)
    _shot(again, "return-after-close")
    assert again.errors == []


def test_opt_out_is_kept_and_the_return_shows_a_notice(live, phone):
    channel = "wx-browser-optout"
    token, page = _greeted(live, phone, customer_channel_id=channel)
    _send(page, "别再发了")
    wait_for_bot(page, "退订")
    again = live.post_call(customer_channel_id=channel)
    assert again.status_code == 200 and again.json()["opted_out"] is True and again.json()["chat_url"] is None

    back = phone()
    back.goto(f"{live.stack.web_url}/s/{token}")
    expect()(back.locator(".closed-notice")).to_contain_text("您已退订")
    expect()(my_bubbles(back)).to_have_text(["我：别再发了"])
    _shot(back, "return-after-optout")
    # The notice says how to opt back in, and that works from here.
    _send(back, "重新订阅")
    wait_for_bot(back, "已为您恢复")
    assert live.post_call(customer_channel_id=channel).json()["opted_out"] is False
    _shot(back, "opted-back-in")
    assert back.errors == []


def test_long_reason_grows_the_box_and_shows_the_limit(live, phone):
    _, page = _greeted(live, phone)
    box = page.get_by_label("输入您的回复")
    one_line = box.bounding_box()["height"]
    box.fill("宽带从上周开始每天晚上都断网，打了三次电话报修，每次都说会有师傅联系，结果一直没人来，"
             "孩子上网课都受影响，真的很耽误事，希望你们尽快处理一下")
    assert box.bounding_box()["height"] > one_line * 1.5
    expect()(page.locator("#counter")).to_contain_text("/1000")
    _shot(page, "long-reason")
    assert page.errors == []


def test_reload_at_the_cause_choice_keeps_the_numbered_options(live, phone):
    token, page = _greeted(live, phone)
    _send(page, "2")
    wait_for_bot(page, "哪里让您不满意")
    _send(page, "问题没解决")
    wait_for_bot(page, "主要是因为")
    page.reload()
    wait_for_bot(page, "主要是因为", 3)
    choices = page.get_by_role("group", name="请选择一项").last.locator(".chip")
    expect()(choices).to_have_count(4)
    assert [c.get_attribute("data-n") for c in choices.all()] == ["1", "2", "3", "4"]
    _shot(page, "reload-at-cause-choice")
    _send(page, "3")  # a typed number picks the option shown with that number
    wait_for_bot(page, "已记录：2分")
    [reason] = live.reasons(token)
    assert (reason.source, reason.attribution, reason.text) == ("customer", "non_staff", "问题没解决")
    assert [r.score for r in live.ratings(token)] == [2]  # no duplicate rating after the reload
    assert page.errors == []
