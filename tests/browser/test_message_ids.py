"""The chat page gives each customer message an id and resends a failed message with the same id."""
from __future__ import annotations

import json
import re

import pytest

from bot.web import messages
from tests.browser.test_chat_page import _fulfil, expect, wait_for_bot

pytestmark = pytest.mark.browser
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_a_failed_message_is_resent_with_its_id_and_a_new_one_gets_a_new_id(web_only, phone):
    token = web_only.new_survey()
    page = phone()
    sent: list[dict] = []

    def answer(route):
        if route.request.method == "GET":
            route.continue_()  # the history of this new survey, served by the web app: empty
            return
        if route.request.url.endswith("/start"):
            _fulfil(route, [{"text": "您好！请回复1-5，5为非常满意。", "buttons": []}])
            return
        body = json.loads(route.request.post_data)
        sent.append(body)
        if len(sent) == 1:  # the first attempt was not processed
            _fulfil(route, [{"text": messages.RESEND, "buttons": []}], status=503)
        else:
            _fulfil(route, [{"text": f"收到：{body['message']}", "buttons": []}])

    page.route("**/api/chat/**", answer)
    page.goto(f"{web_only.url}/s/{token}")
    wait_for_bot(page, "5为非常满意", 1)
    box = page.get_by_label("输入您的回复")

    box.fill("2")
    box.press("Enter")
    wait_for_bot(page, "没有处理成功", 2)
    expect()(box).to_have_value("2")  # kept for the resend
    box.press("Enter")
    wait_for_bot(page, "收到：2", 3)
    box.fill("排队太久")
    box.press("Enter")
    wait_for_bot(page, "收到：排队太久", 4)

    assert [b["message"] for b in sent] == ["2", "2", "排队太久"]
    ids = [b["message_id"] for b in sent]
    assert all(UUID4.match(i) for i in ids), ids
    assert ids[0] == ids[1] and ids[2] != ids[0]
    assert page.errors == []
