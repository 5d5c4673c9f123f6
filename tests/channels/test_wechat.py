"""WeChat official account: push signatures, the encrypted mode, messages, passive replies, the 48-hour rule,
and the customer-service client against a local server speaking the official account API.

Push shapes: "接收普通消息" (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html),
"接入概述" for the signature (SHA1 of token, timestamp and nonce sorted and joined), "消息加解密说明" for the encrypted mode.
"""
from __future__ import annotations

import base64
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from wechatpy.crypto import WeChatCrypto

from bot.channels.wechat import (
    UNREADABLE_REPLY_ZH,
    Ignored,
    InboundWechat,
    Push,
    PushError,
    WechatEndpoint,
    WechatMessenger,
    fit_text,
    read_message,
    service_window,
)
from tests.channels.providers import WechatApiServer

TOKEN = "feedbackbotwx"
APP_ID = "wx1234567890abcdef"
AES_KEY = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode().rstrip("=")
OPENID = "oAbCdEfGhIjKlMnOpQrStUvWxyz"
ACCOUNT = "gh_0123456789ab"


def _signature(*parts: str) -> str:
    # Written from the document, not with wechatpy: sort, join, SHA1.
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _query(timestamp: str = "1765080000", nonce: str = "184726394", **extra: str) -> dict[str, str]:
    return {"signature": _signature(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, **extra}


def _text_xml(content: str, msg_id: str = "24001234567890123") -> bytes:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
            f"<CreateTime>1765080000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()


def _voice_xml(recognition: str) -> bytes:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
            f"<CreateTime>1765080060</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
            f"<MediaId><![CDATA[media_id_1]]></MediaId><Format><![CDATA[amr]]></Format>"
            f"<Recognition><![CDATA[{recognition}]]></Recognition><MsgId>24001234567890999</MsgId></xml>").encode()


def _event_xml(event: str = "subscribe") -> bytes:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
            f"<CreateTime>1765080120</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event></xml>").encode()


def _read(endpoint: WechatEndpoint, query: dict[str, str], body: bytes) -> Push:
    push = endpoint.read_push(query, body)
    assert isinstance(push, Push), push
    return push


# --- signatures -------------------------------------------------------------------------------


def test_url_verification_echoes_only_when_signed() -> None:
    ep = WechatEndpoint(TOKEN)
    assert ep.verify_url(_query(echostr="5837397520012245")) == "5837397520012245"
    bad = _query(echostr="5837397520012245") | {"signature": "0" * 40}
    assert ep.verify_url(bad) is PushError.BAD_SIGNATURE
    assert ep.verify_url({"echostr": "1"}) is PushError.MISSING_PARAMS


def test_signed_text_push_is_read() -> None:
    msg = read_message(_read(WechatEndpoint(TOKEN), _query(), _text_xml("4分吧，客服挺耐心的")))
    assert msg == InboundWechat(OPENID, "4分吧，客服挺耐心的", "24001234567890123",
                                datetime(2025, 12, 7, 4, 0, tzinfo=UTC), "wechat:msg:24001234567890123", ACCOUNT)


@pytest.mark.parametrize("query", [
    _query() | {"signature": _signature("another-token", "1765080000", "184726394")},
    _query() | {"timestamp": "1765080001"},  # signed for another timestamp
    {"timestamp": "1765080000", "nonce": "1"},
])
def test_forged_or_unsigned_push_is_refused(query: dict[str, str]) -> None:
    assert WechatEndpoint(TOKEN).read_push(query, _text_xml("5")) in (PushError.BAD_SIGNATURE, PushError.MISSING_PARAMS)


@pytest.mark.parametrize("body", [b"", b"not xml", b"<xml><MsgType>text</MsgType></xml>", b"\xff\xfe<xml/>",
                                  b"<xml><FromUserName>x</FromUserName><CreateTime>abc</CreateTime>"
                                  b"<MsgType>text</MsgType></xml>"])
def test_malformed_push_is_an_error_value(body: bytes) -> None:
    assert WechatEndpoint(TOKEN).read_push(_query(), body) is PushError.MALFORMED


# --- encrypted mode -------------------------------------------------------------------------------


def _encrypted_push(xml: bytes, *, token: str = TOKEN, app_id: str = APP_ID) -> tuple[dict[str, str], bytes]:
    """What WeChat sends in safe mode, made with wechatpy's own crypto (as WeChat's side)."""
    wrapped = WeChatCrypto(token, AES_KEY, app_id).encrypt_message(xml.decode(), "184726394", "1765080000")
    encrypt = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", wrapped).group(1)  # type: ignore[union-attr]
    msg_signature = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]>", wrapped).group(1)  # type: ignore[union-attr]
    body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    return _query(encrypt_type="aes", msg_signature=msg_signature), body.encode()


def test_encrypted_round_trip() -> None:
    ep = WechatEndpoint(TOKEN, APP_ID, AES_KEY)
    query, body = _encrypted_push(_text_xml("2 等了半天没人接"))
    push = _read(ep, query, body)
    assert push.encrypted and read_message(push).text == "2 等了半天没人接"  # type: ignore[union-attr]
    reply = ep.reply(push, "很抱歉让您久等了，方便说说主要是哪里让您不满意吗？", now=1765080001)
    outer = ET.fromstring(reply)
    assert outer.findtext("Nonce") == "184726394" and outer.findtext("TimeStamp") == "1765080000"
    assert outer.findtext("MsgSignature") == _signature(TOKEN, "1765080000", "184726394", outer.findtext("Encrypt") or "")
    inner = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
        reply, outer.findtext("MsgSignature"), outer.findtext("TimeStamp"), outer.findtext("Nonce"))
    doc = ET.fromstring(inner)
    assert (doc.findtext("ToUserName"), doc.findtext("FromUserName"), doc.findtext("MsgType"), doc.findtext("Content")) == (
        OPENID, ACCOUNT, "text", "很抱歉让您久等了，方便说说主要是哪里让您不满意吗？")


def test_encrypted_push_with_a_wrong_msg_signature_or_app_id_is_refused() -> None:
    ep = WechatEndpoint(TOKEN, APP_ID, AES_KEY)
    query, body = _encrypted_push(_text_xml("5"))
    assert ep.read_push(query | {"msg_signature": "0" * 40}, body) is PushError.BAD_SIGNATURE
    query, body = _encrypted_push(_text_xml("5"), app_id="wx0000000000000000")
    assert ep.read_push(query, body) is PushError.BAD_APP_ID


def test_encrypted_push_without_configured_key_is_refused() -> None:
    query, body = _encrypted_push(_text_xml("5"))
    assert WechatEndpoint(TOKEN).read_push(query, body) is PushError.NOT_CONFIGURED


# --- messages ----------------------------------------------------------------------------------------


def test_voice_uses_the_recognition_text() -> None:
    msg = read_message(_read(WechatEndpoint(TOKEN), _query(), _voice_xml("我觉得还可以吧，给四分。")))
    assert isinstance(msg, InboundWechat) and msg.voice and msg.text == "我觉得还可以吧，给四分。"
    assert msg.dedupe_key == "wechat:msg:24001234567890999"


def test_voice_without_recognition_gets_a_polite_answer() -> None:
    msg = read_message(_read(WechatEndpoint(TOKEN), _query(), _voice_xml("")))
    assert isinstance(msg, Ignored) and msg.kind == "voice" and msg.reply_text == UNREADABLE_REPLY_ZH


def test_events_are_ignored_and_keyed_by_sender_and_time() -> None:
    msg = read_message(_read(WechatEndpoint(TOKEN), _query(), _event_xml("subscribe")))
    assert msg == Ignored(OPENID, "event:subscribe", f"wechat:evt:{OPENID}:1765080120", None)


def test_a_retried_push_has_the_same_dedupe_key() -> None:
    ep = WechatEndpoint(TOKEN)
    first = read_message(_read(ep, _query(nonce="1"), _text_xml("5")))
    retry = read_message(_read(ep, _query(nonce="2"), _text_xml("5")))
    other = read_message(_read(ep, _query(nonce="3"), _text_xml("5", msg_id="24001234567890124")))
    assert first.dedupe_key == retry.dedupe_key != other.dedupe_key


def test_plain_passive_reply_xml() -> None:
    ep = WechatEndpoint(TOKEN)
    push = _read(ep, _query(), _text_xml("5"))
    doc = ET.fromstring(ep.reply(push, "已记录：5分。感谢您的认可！", now=1765080002))
    assert (doc.findtext("ToUserName"), doc.findtext("FromUserName"), doc.findtext("CreateTime"),
            doc.findtext("MsgType"), doc.findtext("Content")) == (OPENID, ACCOUNT, "1765080002", "text",
                                                                  "已记录：5分。感谢您的认可！")


def test_text_is_cut_to_wechat_byte_limit() -> None:
    cut = fit_text("好" * 1000)  # 3000 bytes
    assert len(cut.encode()) <= 2048 and cut.endswith("…") and cut.startswith("好" * 600)


# --- 48-hour window ------------------------------------------------------------------------------------


T0 = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)


def test_window_open_inside_48_hours_with_messages_left() -> None:
    w = service_window(T0, 0, T0 + timedelta(hours=47, minutes=59))
    assert (w.open, w.remaining, w.closes_at) == (True, 5, T0 + timedelta(hours=48))


def test_window_closed_at_48_hours() -> None:
    assert not service_window(T0, 0, T0 + timedelta(hours=48)).open


def test_fifth_message_allowed_sixth_not() -> None:
    assert service_window(T0, 4, T0 + timedelta(minutes=1)) .open
    w = service_window(T0, 5, T0 + timedelta(minutes=1))
    assert (w.open, w.remaining) == (False, 0)


def test_no_customer_message_no_window() -> None:
    assert service_window(None, 0, T0) == service_window(None, 0, T0 + timedelta(days=9))
    assert not service_window(None, 0, T0).open


# --- customer-service client ---------------------------------------------------------------------------


@pytest.fixture
def wechat_api() -> Iterator[WechatApiServer]:
    server = WechatApiServer(APP_ID, "app-secret-0123456789")
    server.start()
    yield server
    server.stop()


def _messenger(server: WechatApiServer, timeout: float = 1) -> WechatMessenger:
    return WechatMessenger(APP_ID, "app-secret-0123456789", server.url, timeout=timeout)


def test_send_fetches_a_token_then_posts_the_documented_body(wechat_api: WechatApiServer) -> None:
    result = _messenger(wechat_api).send_text(OPENID, "您好，想跟您确认一下评分。")
    assert result.ok and result.provider_message_id is None
    token_req, send_req = wechat_api.requests
    assert (token_req.method, token_req.path) == ("GET", "/cgi-bin/token")
    assert {k: v[0] for k, v in token_req.query.items()} == {
        "grant_type": "client_credential", "appid": APP_ID, "secret": "app-secret-0123456789"}
    assert send_req.path == "/cgi-bin/message/custom/send"
    assert send_req.query["access_token"] == [wechat_api.state.tokens_issued[0]]
    assert send_req.json() == {"touser": OPENID, "msgtype": "text", "text": {"content": "您好，想跟您确认一下评分。"}}


def test_token_is_reused_and_refetched_when_expired(wechat_api: WechatApiServer) -> None:
    m = _messenger(wechat_api)
    assert m.send_text(OPENID, "一").ok and m.send_text(OPENID, "二").ok
    assert len(wechat_api.state.tokens_issued) == 1
    wechat_api.script.append("expired")
    assert m.send_text(OPENID, "三").ok
    assert [r.path for r in wechat_api.requests][-3:] == [
        "/cgi-bin/message/custom/send", "/cgi-bin/token", "/cgi-bin/message/custom/send"]


@pytest.mark.parametrize(("mode", "code", "retryable"), [
    ("window_closed", "45015", False),
    ("quota", "45047", False),
    ("http500", "http_500", True),
])
def test_refused_sends_are_not_sent(wechat_api: WechatApiServer, mode: str, code: str, retryable: bool) -> None:
    m = _messenger(wechat_api)
    wechat_api.script.extend(["ok", mode])  # the token fetch, then the send
    result = m.send_text(OPENID, "您好")
    assert (result.ok, result.error_code, result.retryable) == (False, code, retryable)


def test_timeout_is_not_sent(wechat_api: WechatApiServer) -> None:
    wechat_api.script.extend(["ok", "slow"])
    result = _messenger(wechat_api, timeout=1).send_text(OPENID, "您好")
    assert (result.ok, result.error_code, result.retryable, result.uncertain) == (False, "timeout", True, True)


def test_wrong_app_secret_is_not_sent(wechat_api: WechatApiServer) -> None:
    result = WechatMessenger(APP_ID, "wrong-secret", wechat_api.url, timeout=1).send_text(OPENID, "您好")
    assert (result.ok, result.error_code, result.retryable) == (False, "40125", False)


def test_entity_expansion_bomb_is_refused_quickly() -> None:
    import time

    entities = "".join(f'<!ENTITY e{i} "{(f"&e{i - 1};" if i > 1 else "ha") * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE xml [{entities}]><xml><FromUserName>&e9;</FromUserName>'
            "<CreateTime>1</CreateTime><MsgType>text</MsgType></xml>").encode()
    t0 = time.perf_counter()
    assert WechatEndpoint(TOKEN).read_push(_query(), bomb) is PushError.MALFORMED
    assert time.perf_counter() - t0 < 1.0
