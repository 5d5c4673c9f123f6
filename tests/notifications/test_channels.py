"""The senders against local servers: WeCom's and DingTalk's documented bodies, DingTalk's 加签, SMTP mail.

The DingTalk signature is recomputed here from DingTalk's documented recipe
(HMAC-SHA256 of ``timestamp + "\\n" + secret`` keyed by the secret, Base64,
then URL-encoded into ``&timestamp=…&sign=…``), not by calling the product's
function.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from bot.notifications import mail, robots
from bot.settings import Settings
from tests.notifications.recorders import smtp_server, webhook_server

SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"


def test_wecom_receives_a_markdown_message_in_the_documented_shape():
    with webhook_server() as hook:
        outcome = robots.send_wecom(f"{hook.url}/cgi-bin/webhook/send?key=K1", "**申诉 #3 等待你决定**")
    assert outcome.ok
    [got] = hook.received
    assert (got.path, got.query) == ("/cgi-bin/webhook/send", {"key": ["K1"]})
    assert got.content_type.startswith("application/json")
    assert got.body == {"msgtype": "markdown", "markdown": {"content": "**申诉 #3 等待你决定**"}}


def test_wecom_content_is_cut_to_4096_bytes_of_utf8_without_splitting_a_character():
    with webhook_server() as hook:
        assert robots.send_wecom(f"{hook.url}/send?key=K", "摘" * 3000).ok  # 9000 bytes
    content = hook.received[0].body["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096 and content.endswith("…") and set(content[:-1]) == {"摘"}


def test_dingtalk_signed_request_carries_the_documented_timestamp_and_sign():
    ts = 1_765_000_000_123
    with webhook_server() as hook:
        outcome = robots.send_dingtalk(f"{hook.url}/robot/send?access_token=T1", "案件升级", "**案件 #7 已升级**",
                                       secret=SECRET, now_ms=ts)
    assert outcome.ok
    [got] = hook.received
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(), hashlib.sha256).digest())
    assert got.query == {"access_token": ["T1"], "timestamp": [str(ts)], "sign": [expected.decode()]}
    # The sign is URL-encoded on the wire: Base64's + / = never appear raw in the query.
    raw_sign = got.raw_query.split("sign=", 1)[1]
    assert not set("+/=") & set(raw_sign)
    assert got.body == {"msgtype": "markdown", "markdown": {"title": "案件升级", "text": "**案件 #7 已升级**"}}


def test_dingtalk_without_secret_posts_to_the_webhook_unchanged():
    with webhook_server() as hook:
        assert robots.send_dingtalk(f"{hook.url}/robot/send?access_token=T2", "t", "x").ok
    assert hook.received[0].query == {"access_token": ["T2"]}


def test_a_robot_that_refuses_is_a_failure_with_its_code():
    with webhook_server() as hook:
        hook.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
        refused = robots.send_wecom(f"{hook.url}/send?key=bad", "x")
        hook.status, hook.answer = 502, {}
        broken = robots.send_dingtalk(f"{hook.url}/robot/send", "t", "x")
    assert (refused.ok, refused.error) == (False, "errcode 93000: invalid webhook url")
    assert (broken.ok, broken.error) == (False, "HTTP 502")


def test_smtp_mail_arrives_in_utf8_with_subject_and_recipients():
    with smtp_server() as (port, inbox):
        settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
                            smtp_from="bot@centre.example")
        outcome = mail.send_mail(settings, ["ops@example.com", "qa@example.com"], "每周摘要 2026-W49",
                                 "产品运营部：本周 3 条\n\n查看：http://127.0.0.1:8000/admin?period=2026-W49")
    assert outcome.ok
    [m] = inbox
    assert (m.mail_from, m.rcpt_tos) == ("bot@centre.example", ["ops@example.com", "qa@example.com"])
    assert m.message["Subject"] == "每周摘要 2026-W49"
    assert m.message.get_content().strip().endswith("查看：http://127.0.0.1:8000/admin?period=2026-W49")


def test_an_unreachable_smtp_server_is_a_failure():
    from bot.ops.stack import free_port

    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none", smtp_from="bot@x.example",
                        notify_timeout_seconds=2)
    outcome = mail.send_mail(settings, ["ops@example.com"], "s", "b")
    assert not outcome.ok and outcome.error.startswith("SMTP")
