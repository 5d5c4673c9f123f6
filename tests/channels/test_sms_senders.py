"""The SMS senders against local servers speaking Tencent Cloud's, Alibaba Cloud's and our gateway's contracts.

The official SDKs run unmodified; only their endpoint and scheme point at
127.0.0.1 (tests/channels/providers.py names the documents each shape follows).
"""
from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator

import pytest

from bot.channels.sms_senders import AliyunSmsSender, GenericHttpSender, LogOnlySender, TencentSmsSender, sender_for
from bot.settings import Settings
from tests.channels.providers import AliyunSmsServer, GenericGatewayServer, TencentSmsServer

MOBILE = "13912345678"


@pytest.fixture
def tencent() -> Iterator[TencentSmsServer]:
    server = TencentSmsServer("AKIDtestsecretid", "test-secret-key")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def aliyun() -> Iterator[AliyunSmsServer]:
    server = AliyunSmsServer("LTAItestkeyid", "test-key-secret")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def gateway() -> Iterator[GenericGatewayServer]:
    server = GenericGatewayServer("gw-token-0123456789")
    server.start()
    yield server
    server.stop()


def _tencent_sender(server: TencentSmsServer, secret_key: str = "test-secret-key", timeout: float = 1) -> TencentSmsSender:
    return TencentSmsSender("AKIDtestsecretid", secret_key, "1400000001", endpoint=server.url, timeout=timeout)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- Tencent Cloud ------------------------------------------------------------------------


def test_tencent_send_ok_carries_the_request_fields(tencent: TencentSmsServer) -> None:
    result = _tencent_sender(tencent).send(MOBILE, "1234567", {"answer": "好的"}, sign="客服中心",
                                           extend="42", reference="out-1")
    assert result.ok and result.provider_message_id and result.provider_message_id.startswith("5000:")
    body = tencent.requests[0].json()
    assert body == {"PhoneNumberSet": ["+8613912345678"], "SmsSdkAppId": "1400000001", "TemplateId": "1234567",
                    "SignName": "客服中心", "TemplateParamSet": ["好的"], "ExtendCode": "42", "SessionContext": "out-1"}
    assert tencent.requests[0].headers["x-tc-region"] == "ap-guangzhou"


def test_tencent_wrong_key_is_refused_by_the_signature_check(tencent: TencentSmsServer) -> None:
    result = _tencent_sender(tencent, secret_key="another-key").send(MOBILE, "1", {}, sign="客服中心")
    assert not result.ok and result.error_code == "AuthFailure.SignatureFailure" and not result.retryable


def test_tencent_per_number_failure_is_not_sent_and_not_retried(tencent: TencentSmsServer) -> None:
    tencent.script.append("daily_limit")
    result = _tencent_sender(tencent).send(MOBILE, "1", {}, sign="客服中心")
    assert (result.ok, result.error_code, result.retryable) == (False, "LimitExceeded.PhoneNumberDailyLimit", False)
    assert result.provider_message_id is None


def test_tencent_request_error_is_not_sent(tencent: TencentSmsServer) -> None:
    tencent.script.append("auth_error")
    result = _tencent_sender(tencent).send(MOBILE, "1", {}, sign="客服中心")
    assert (result.ok, result.error_code, result.retryable) == (False, "AuthFailure.SecretIdNotFound", False)


def test_tencent_http_500_is_retryable_not_sent(tencent: TencentSmsServer) -> None:
    tencent.script.append("http500")
    result = _tencent_sender(tencent).send(MOBILE, "1", {}, sign="客服中心")
    assert (result.ok, result.error_code, result.retryable) == (False, "ServerNetworkError", True)


def test_tencent_timeout_is_uncertain_and_retryable(tencent: TencentSmsServer) -> None:
    tencent.script.append("slow")
    result = _tencent_sender(tencent, timeout=1).send(MOBILE, "1", {}, sign="客服中心")
    assert (result.ok, result.error_code, result.retryable, result.uncertain) == (False, "timeout", True, True)


def test_tencent_refused_connection_is_certainly_not_sent() -> None:
    sender = TencentSmsSender("AKIDx", "k", "1400000001", endpoint=f"http://127.0.0.1:{_closed_port()}", timeout=1)
    result = sender.send(MOBILE, "1", {}, sign="客服中心")
    assert (result.ok, result.error_code, result.retryable, result.uncertain) == (False, "network", True, False)


# --- Alibaba Cloud ----------------------------------------------------------------------


def _aliyun_sender(server: AliyunSmsServer, timeout: float = 1) -> AliyunSmsSender:
    return AliyunSmsSender("LTAItestkeyid", "test-key-secret", endpoint=server.url, timeout=timeout)


def test_aliyun_send_ok_carries_the_request_fields(aliyun: AliyunSmsServer) -> None:
    result = _aliyun_sender(aliyun).send(MOBILE, "SMS_123456789", {"answer": "谢谢"}, sign="客服中心",
                                         extend="42", reference="out-2")
    assert result.ok and result.provider_message_id and result.provider_message_id.endswith("^0")
    rec = aliyun.requests[0]
    assert (rec.method, rec.path) == ("POST", "/")
    q = {k: v[0] for k, v in rec.query.items()}
    assert q["PhoneNumbers"] == MOBILE and q["SignName"] == "客服中心" and q["TemplateCode"] == "SMS_123456789"
    assert json.loads(q["TemplateParam"]) == {"answer": "谢谢"}
    assert q["SmsUpExtendCode"] == "42" and q["OutId"] == "out-2"


@pytest.mark.parametrize(("mode", "code", "retryable"), [
    ("limit", "isv.BUSINESS_LIMIT_CONTROL", True),
    ("bad_number", "isv.MOBILE_NUMBER_ILLEGAL", False),
    ("http500", "isp.SYSTEM_ERROR", True),
])
def test_aliyun_failures_are_not_sent(aliyun: AliyunSmsServer, mode: str, code: str, retryable: bool) -> None:
    aliyun.script.append(mode)
    result = _aliyun_sender(aliyun).send(MOBILE, "SMS_1", {}, sign="客服中心")
    assert (result.ok, result.error_code, result.retryable) == (False, code, retryable)
    assert len(aliyun.requests) == 1  # the SDK's own retries stay off: retries are the job runner's


def test_aliyun_timeout_is_uncertain_and_retryable(aliyun: AliyunSmsServer) -> None:
    aliyun.script.append("slow")
    result = _aliyun_sender(aliyun, timeout=1).send(MOBILE, "SMS_1", {}, sign="客服中心")
    assert (result.ok, result.error_code, result.retryable, result.uncertain) == (False, "timeout", True, True)


# --- generic gateway ---------------------------------------------------------------------


def test_generic_send_ok(gateway: GenericGatewayServer) -> None:
    sender = GenericHttpSender(f"{gateway.url}/send", "gw-token-0123456789", timeout=1)
    result = sender.send(MOBILE, "invite-v1", {}, sign="客服中心", reference="out-3")
    assert result.ok and result.provider_message_id and result.provider_message_id.startswith("gw-")
    assert gateway.requests[0].json() == {"mobile": "+8613912345678", "sign": "客服中心", "template_id": "invite-v1",
                                          "params": {}, "extend": None, "reference": "out-3"}


@pytest.mark.parametrize(("mode", "code", "retryable", "uncertain"), [
    ("rejected", "blacklisted", False, False),
    ("http500", "http_500", True, False),
    ("http401", "http_401", False, False),
    ("slow", "timeout", True, True),
])
def test_generic_failures_are_not_sent(gateway: GenericGatewayServer, mode: str, code: str, retryable: bool,
                                       uncertain: bool) -> None:
    gateway.script.append(mode)
    result = GenericHttpSender(f"{gateway.url}/send", "gw-token-0123456789", timeout=1).send(
        MOBILE, "t", {}, sign="客服中心")
    assert (result.ok, result.error_code, result.retryable, result.uncertain) == (False, code, retryable, uncertain)


# --- development default -------------------------------------------------------------------


def test_default_sender_sends_nothing_and_logs_the_number_masked(caplog: pytest.LogCaptureFixture) -> None:
    sender = sender_for(Settings.from_env({}))
    assert isinstance(sender, LogOnlySender)
    with caplog.at_level(logging.INFO, logger="feedbackbot.sms"):
        result = sender.send(MOBILE, "invite", {}, sign="客服中心")
    assert result.ok and result.provider_message_id and result.provider_message_id.startswith("log-")
    assert "139****5678" in caplog.text and MOBILE not in caplog.text


def test_settings_pick_the_configured_sender(tencent: TencentSmsServer) -> None:
    settings = Settings.from_env({
        "FEEDBACKBOT_SMS_PROVIDER": "tencent", "FEEDBACKBOT_TENCENT_SECRET_ID": "AKIDtestsecretid",
        "FEEDBACKBOT_TENCENT_SECRET_KEY": "test-secret-key", "FEEDBACKBOT_TENCENT_SMS_APP_ID": "1400000001",
        "FEEDBACKBOT_SMS_TEMPLATE_INVITE_ID": "1234567", "FEEDBACKBOT_SMS_TEMPLATE_REPLY_ID": "1234568",
        "FEEDBACKBOT_TENCENT_SMS_ENDPOINT": tencent.url})
    assert sender_for(settings).send(MOBILE, "1234567", {}, sign="客服中心").ok
    assert len(tencent.requests) == 1


def test_aliyun_wrong_secret_is_refused_by_the_signature_check(aliyun: AliyunSmsServer) -> None:
    sender = AliyunSmsSender("LTAItestkeyid", "another-secret", endpoint=aliyun.url, timeout=1)
    result = sender.send(MOBILE, "SMS_1", {"answer": "好"}, sign="客服中心")
    assert (result.ok, result.error_code, result.retryable) == (False, "IncompleteSignature", False)


def test_tencent_answer_without_a_status_is_not_sent(tencent: TencentSmsServer) -> None:
    tencent.script.append("error_with_charset")
    result = _tencent_sender(tencent).send(MOBILE, "1", {}, sign="客服中心")
    assert (result.ok, result.error_code, result.retryable, result.uncertain) == (False, "bad_response", True, True)
