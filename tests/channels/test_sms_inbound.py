"""SMS reply pushes: the documented formats, malformed bodies, dedupe keys, acknowledgements, replay window, opt-out.

Payload shapes: Tencent Cloud "回复短信回调" (https://cloud.tencent.com/document/product/382/5809), Alibaba
Cloud "SmsUp HTTP 批量推送" (https://help.aliyun.com/zh/sms/developer-reference/smsup-http), and our generic
format (documented in bot/channels/sms_inbound.py). Expected values are worked out by hand.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.sms_inbound import (
    CallbackError,
    ParsedCallback,
    Replay,
    SmsProvider,
    ack,
    dedupe_key,
    is_opt_out,
    parse_callback,
    replay_verdict,
    retry_later,
)

SECRET = "inbound-test-secret-0123456789"


def _ok(provider: str, body: object | bytes) -> ParsedCallback:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    parsed = parse_callback(provider, raw, secret=SECRET)
    assert isinstance(parsed, ParsedCallback), parsed
    return parsed


def _error(provider: str, body: bytes) -> CallbackError:
    parsed = parse_callback(provider, body, secret=SECRET)
    assert isinstance(parsed, CallbackError), parsed
    return parsed


# --- Tencent Cloud --------------------------------------------------------------------------


def test_tencent_documented_example_shape() -> None:
    # The document's example with a real-looking number and reply.
    p = _ok("tencent", {"extend": "01", "mobile": "13812345678", "nationcode": "86", "sign": "客服中心",
                        "text": "4 挺好的", "time": 1457336869})
    (m,) = p.messages
    assert (m.provider, m.mobile, m.text, m.extend, m.sign, m.sequence_id) == (
        SmsProvider.TENCENT, "13812345678", "4 挺好的", "01", "客服中心", None)
    # 1457336869 = 2016-03-07 07:47:49 UTC
    assert m.sent_at == datetime(2016, 3, 7, 7, 47, 49, tzinfo=UTC)
    assert m.dedupe_key.startswith("tencent:h:") and "13812345678" not in m.dedupe_key


def test_tencent_time_as_string_and_no_extend() -> None:
    (m,) = _ok("tencent", {"mobile": "13812345678", "nationcode": "86", "text": "退订", "time": "1457336869",
                           "sign": "客服中心"}).messages
    assert m.extend is None and m.sent_at.timestamp() == 1457336869


@pytest.mark.parametrize("body", [
    b"",
    b"not json",
    b"\xff\xfe",
    b"[]",  # an array is Alibaba's shape, not Tencent's
    b'{"mobile": "13812345678", "nationcode": "86", "text": "5"}',  # no time
    b'{"mobile": "12345", "nationcode": "86", "text": "5", "time": 1457336869}',  # not a mobile number
    b'{"mobile": "13812345678", "nationcode": "1", "text": "5", "time": 1457336869}',  # not mainland
    b'{"mobile": "13812345678", "nationcode": "86", "text": "  ", "time": 1457336869}',  # empty reply
    b'{"mobile": "13812345678", "nationcode": "86", "text": "5", "time": true}',
    b'{"mobile": ["13812345678"], "nationcode": "86", "text": "5", "time": 1457336869}',
])
def test_tencent_malformed_bodies_are_errors_not_exceptions(body: bytes) -> None:
    err = _error("tencent", body)
    assert err.provider is SmsProvider.TENCENT and err.reason
    assert ack("tencent", err).status == 400 and ack("tencent", err).body["result"] != 0


def test_tencent_ack_is_the_documented_body() -> None:
    p = _ok("tencent", {"mobile": "13812345678", "nationcode": "86", "text": "5", "time": 1457336869})
    assert ack("tencent", p).status == 200 and ack("tencent", p).body == {"result": 0, "errmsg": "OK"}


# --- Alibaba Cloud ---------------------------------------------------------------------------


ALIYUN_BATCH = [
    {"phone_number": "13912345678", "content": "2 等了好久才接通", "send_time": "2026-12-07 12:00:05",
     "dest_code": "1234", "sequence_id": 1234567890, "sign_name": "客服中心"},
    {"phone_number": "8613987654321", "content": "满意", "send_time": "2026-12-07 12:01:00",
     "dest_code": "1235", "sequence_id": 1234567891},
]


def test_aliyun_batch_is_read_in_beijing_time() -> None:
    p = _ok("aliyun", ALIYUN_BATCH)
    a, b = p.messages
    assert (a.mobile, a.text, a.extend, a.sequence_id, a.sign) == (
        "13912345678", "2 等了好久才接通", "1234", "1234567890", "客服中心")
    assert a.sent_at == datetime(2026, 12, 7, 4, 0, 5, tzinfo=UTC)  # 12:00:05 Beijing = 04:00:05 UTC
    assert a.dedupe_key == "aliyun:seq:1234567890"
    assert (b.mobile, b.sign, b.dedupe_key) == ("13987654321", None, "aliyun:seq:1234567891")
    assert ack("aliyun", p).body == {"code": 0, "msg": "接收成功"}


def test_aliyun_keeps_good_items_and_lists_bad_ones() -> None:
    batch = [ALIYUN_BATCH[0], {"phone_number": "13912345678", "content": "5", "send_time": "2026/12/07 12:00"},
             "junk"]
    p = _ok("aliyun", batch)
    assert [m.sequence_id for m in p.messages] == ["1234567890"]
    assert len(p.rejected) == 2 and p.rejected[0].startswith("item 1:") and p.rejected[1].startswith("item 2:")
    assert ack("aliyun", p).status == 200  # a resend would not mend the bad items


@pytest.mark.parametrize("body", [b"{}", b'{"phone_number": "13912345678"}', b"[1, 2]", b"null", b"[[[[",
                                  b'[{"phone_number": "13912345678", "content": "", "send_time": "2026-12-07 12:00:05"}]'])
def test_aliyun_malformed_bodies_are_errors(body: bytes) -> None:
    err = _error("aliyun", body)
    assert ack("aliyun", err).status == 400 and ack("aliyun", err).body["code"] != 0


def test_aliyun_empty_batch_is_read_as_nothing() -> None:
    assert _ok("aliyun", []).messages == []


def test_aliyun_without_sequence_id_falls_back_to_the_hash() -> None:
    item = {k: v for k, v in ALIYUN_BATCH[0].items() if k != "sequence_id"}
    (m,) = _ok("aliyun", [item]).messages
    assert m.dedupe_key.startswith("aliyun:h:")


# --- generic ---------------------------------------------------------------------------------


def test_generic_format() -> None:
    p = _ok("generic", {"messages": [{"id": "gw-1", "mobile": "+86 139 1234 5678", "text": "3",
                                      "received_at": "2026-12-07T12:00:05+08:00", "extend": "0042"}]})
    (m,) = p.messages
    assert (m.mobile, m.text, m.extend, m.sequence_id, m.dedupe_key) == (
        "13912345678", "3", "0042", "gw-1", "generic:seq:gw-1")
    assert m.sent_at == datetime(2026, 12, 7, 4, 0, 5, tzinfo=UTC)
    assert ack("generic", p).body == {"ok": True, "accepted": 1, "rejected": 0}


@pytest.mark.parametrize("body", [b'{"messages": {}}', b"[]",
                                  b'{"messages": [{"mobile": "13912345678", "text": "3", "received_at": "2026-12-07T12:00:05"}]}'])
def test_generic_malformed(body: bytes) -> None:
    assert _error("generic", body).reason


def test_unknown_provider_is_an_error() -> None:
    assert isinstance(parse_callback("huawei", b"{}", secret=SECRET), CallbackError)


def test_retry_later_answers_are_failures() -> None:
    assert retry_later("aliyun").status == 503 and retry_later("aliyun").body["code"] != 0
    assert retry_later("tencent").body["result"] != 0


# --- dedupe keys ------------------------------------------------------------------------------


def test_repeated_delivery_has_the_same_key_and_a_different_reply_does_not() -> None:
    body = {"mobile": "13812345678", "nationcode": "86", "text": "1 客服态度很差", "time": 1765080005}
    first = _ok("tencent", body).messages[0].dedupe_key
    again = _ok("tencent", dict(body)).messages[0].dedupe_key
    other_text = _ok("tencent", body | {"text": "1 客服态度差"}).messages[0].dedupe_key
    other_time = _ok("tencent", body | {"time": 1765080006}).messages[0].dedupe_key
    other_number = _ok("tencent", body | {"mobile": "13812345679"}).messages[0].dedupe_key
    assert first == again
    assert len({first, other_text, other_time, other_number}) == 4


def test_hash_key_depends_on_the_secret() -> None:
    at = datetime(2026, 12, 7, tzinfo=UTC)
    a = dedupe_key("tencent", sequence_id=None, mobile="13812345678", sent_at=at, text="5", secret="one-secret")
    b = dedupe_key("tencent", sequence_id=None, mobile="13812345678", sent_at=at, text="5", secret="two-secret")
    assert a != b


# --- replay window ------------------------------------------------------------------------------


NOW = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
WINDOW = {"max_age": timedelta(hours=24), "max_skew": timedelta(minutes=5)}


@pytest.mark.parametrize(("sent_at", "verdict"), [
    (NOW, Replay.OK),
    (NOW - timedelta(hours=24), Replay.OK),
    (NOW - timedelta(hours=24, seconds=1), Replay.TOO_OLD),
    (NOW + timedelta(minutes=5), Replay.OK),
    (NOW + timedelta(minutes=5, seconds=1), Replay.IN_FUTURE),
])
def test_replay_window_bounds(sent_at: datetime, verdict: Replay) -> None:
    assert replay_verdict(sent_at, NOW, **WINDOW) is verdict


# --- opt-out ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["TD", "td", "T", "退订", "取消订阅", "R", "N", "别再给我发短信了", "TD退订", "退订。"])
def test_opt_out_words(text: str) -> None:
    assert is_opt_out(text)


@pytest.mark.parametrize("text", ["5", "1 客服态度太差", "还行吧", "TCL的电视修好了", "不太满意"])
def test_not_opt_out(text: str) -> None:
    assert not is_opt_out(text)


def test_single_letters_are_opt_out_only_on_sms() -> None:
    assert is_opt_out("N", sms=True) and not is_opt_out("N", sms=False)
    assert is_opt_out("TD", sms=False)  # the web chat's parser knows TD itself
