"""Sending one SMS: an adapter protocol with one implementation per provider, and a log-only default.

Every implementation answers a :class:`~bot.channels.send_result.SendResult`
and never raises for a provider or network failure, so the job runner can
record the attempt and decide on a retry from ``retryable``/``uncertain``.

* :class:`TencentSmsSender` — Tencent Cloud SMS API 2021-01-11 ``SendSms``
  through the official ``tencentcloud-sdk-python-sms`` (request fields
  ``PhoneNumberSet``, ``SmsSdkAppId``, ``SignName``, ``TemplateId``,
  ``TemplateParamSet``, ``ExtendCode``, ``SessionContext``; per-number
  ``SendStatusSet[].Code == "Ok"`` and ``SerialNo``;
  https://cloud.tencent.com/document/api/382/55981).
* :class:`AliyunSmsSender` — Alibaba Cloud Dysmsapi 2017-05-25 ``SendSms``
  through the official ``alibabacloud_dysmsapi20170525`` SDK (``PhoneNumbers``,
  ``SignName``, ``TemplateCode``, ``TemplateParam`` as JSON, ``SmsUpExtendCode``,
  ``OutId``; answer ``Code == "OK"`` and ``BizId``;
  https://help.aliyun.com/zh/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms).
* :class:`GenericHttpSender` — the centre's own gateway: JSON POST with a
  bearer token (format documented on the class).
* :class:`LogOnlySender` — development: logs a masked line, sends nothing anywhere.

Endpoints and schemes come from the settings, so tests point the real SDKs at
local servers (``tests/channels/providers.py``).
"""
from __future__ import annotations

import json
import logging
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from bot.channels.identity import mask_mobile
from bot.channels.send_result import SendResult, network_failure
from bot.settings import Settings

log = logging.getLogger("feedbackbot.sms")


class SmsSender(Protocol):
    """Sends one templated SMS to one mainland number."""

    name: str

    def send(self, mobile: str, template_id: str, params: Mapping[str, str], *, sign: str,
             extend: str | None = None, reference: str | None = None) -> SendResult:
        """Send template ``template_id`` with ``params`` (in placeholder order) to ``mobile`` (11 digits).

        Args:
            mobile: The normalised national number (``bot.channels.identity.normalize_mobile``).
            template_id: The provider's id of the registered template.
            params: Placeholder name → value, in the template's placeholder order.
            sign: The registered signature, without 【】.
            extend: Extension code the customer's reply will be addressed to (when the account has them).
            reference: Our id of the outbound message, echoed by providers that support it
                (Tencent ``SessionContext``, Alibaba ``OutId``) so receipts can be matched.
        """
        ...


@dataclass(frozen=True)
class _Endpoint:
    scheme: str
    host: str  # host[:port]


def _endpoint(url: str) -> _Endpoint:
    parts = urlsplit(url)
    return _Endpoint(parts.scheme or "https", parts.netloc or parts.path)


# --- Tencent Cloud -------------------------------------------------------------------

# Error codes (tencentcloud/sms/v20210111/errorcodes.py; "错误码" of the SMS API
# documentation) after which a later retry may succeed. Everything else —
# bad number, template, signature, credentials, balance, daily limits — needs a person.
_TENCENT_RETRYABLE = (
    "InternalError",
    "RequestLimitExceeded",
    "ServerNetworkError",
    "LimitExceeded.PhoneNumberThirtySecondLimit",
    "LimitExceeded.PhoneNumberOneHourLimit",
    "LimitExceeded.DeliveryFrequencyLimit",
    "LimitExceeded.GlobalSmsSendingRateLimit",
    "FailedOperation.OtherError",
)


def _tencent_retryable(code: str) -> bool:
    return any(code == c or code.startswith(c + ".") for c in _TENCENT_RETRYABLE)


class TencentSmsSender:
    """Tencent Cloud SMS through ``tencentcloud-sdk-python-sms`` (``SmsClient.SendSms``, API 2021-01-11)."""

    name = "tencent"

    def __init__(self, secret_id: str, secret_key: str, app_id: str, *, region: str = "ap-guangzhou",
                 endpoint: str = "https://sms.tencentcloudapi.com", timeout: float = 5.0) -> None:
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        ep = _endpoint(endpoint)
        # reqTimeout is one number for connect and read (requests' timeout).
        http = HttpProfile(protocol=ep.scheme, endpoint=ep.host, reqMethod="POST", reqTimeout=max(1, round(timeout)))
        # disable_region_breaker: the breaker would fail over to another public
        # endpoint, bypassing the configured one (and a test's local server).
        profile = ClientProfile(httpProfile=http, disable_region_breaker=True)
        self._client = sms_client.SmsClient(credential.Credential(secret_id, secret_key), region, profile)
        self._app_id = app_id

    def send(self, mobile: str, template_id: str, params: Mapping[str, str], *, sign: str,
             extend: str | None = None, reference: str | None = None) -> SendResult:
        """See :class:`SmsSender`."""
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        req = models.SendSmsRequest()
        req.PhoneNumberSet = [f"+86{mobile}"]
        req.SmsSdkAppId = self._app_id
        req.SignName = sign
        req.TemplateId = template_id
        req.TemplateParamSet = [str(v) for v in params.values()]
        if extend:
            req.ExtendCode = extend
        if reference:
            req.SessionContext = reference
        try:
            resp = self._client.SendSms(req)
        except TencentCloudSDKException as exc:
            code, message = str(exc.get_code() or "unknown"), str(exc.get_message() or "")
            if code == "ClientNetworkError":
                return network_failure(exc, message)
            return SendResult.failed(code, retryable=_tencent_retryable(code), detail=message)
        except Exception as exc:  # noqa: BLE001 - an SDK bug must not look like a send
            return SendResult.failed("bad_response", retryable=True, uncertain=True, detail=repr(exc))
        statuses = list(resp.SendStatusSet or [])
        if len(statuses) != 1:
            # Answered without a per-number status: we cannot tell whether it went out.
            return SendResult.failed("bad_response", retryable=True, uncertain=True,
                                     detail=f"{len(statuses)} send statuses, RequestId {resp.RequestId}")
        status = statuses[0]
        if status.Code == "Ok":
            return SendResult.sent(status.SerialNo, detail=str(status.Message or ""))
        code = str(status.Code or "unknown")
        return SendResult.failed(code, retryable=_tencent_retryable(code), detail=str(status.Message or ""))


# --- Alibaba Cloud -------------------------------------------------------------------

# "短信服务 API 错误码" (https://help.aliyun.com/zh/sms/developer-reference/api-error-codes):
# isp.* are the platform's own failures; the rate controls lift with time.
_ALIYUN_RETRYABLE = frozenset({
    "isp.SYSTEM_ERROR", "isp.GATEWAY_ERROR", "isv.BUSINESS_LIMIT_CONTROL", "Throttling", "Throttling.User",
    "Throttling.Api", "ServiceUnavailable", "InternalError", "isv.SYSTEM_ERROR",
})


class AliyunSmsSender:
    """Alibaba Cloud SMS through ``alibabacloud_dysmsapi20170525`` (``Client.send_sms_with_options``)."""

    name = "aliyun"

    def __init__(self, access_key_id: str, access_key_secret: str, *,
                 endpoint: str = "https://dysmsapi.aliyuncs.com", timeout: float = 5.0) -> None:
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        ep = _endpoint(endpoint)
        ms = int(timeout * 1000)
        self._timeout_ms = ms
        self._client = Client(Config(access_key_id=access_key_id, access_key_secret=access_key_secret,
                                     endpoint=ep.host, protocol=ep.scheme.upper(),
                                     read_timeout=ms, connect_timeout=ms))

    def send(self, mobile: str, template_id: str, params: Mapping[str, str], *, sign: str,
             extend: str | None = None, reference: str | None = None) -> SendResult:
        """See :class:`SmsSender`."""
        from alibabacloud_dysmsapi20170525 import models
        from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
        from darabonba.runtime import RuntimeOptions

        req = models.SendSmsRequest(phone_numbers=mobile, sign_name=sign, template_code=template_id,
                                    template_param=json.dumps(dict(params), ensure_ascii=False) if params else None,
                                    sms_up_extend_code=extend or None, out_id=reference or None)
        # autoretry off: retries are the job runner's, recorded as attempts.
        runtime = RuntimeOptions(autoretry=False, read_timeout=self._timeout_ms, connect_timeout=self._timeout_ms)
        try:
            resp = self._client.send_sms_with_options(req, runtime)
        except AlibabaCloudException as exc:
            code = str(exc.code or f"http_{exc.status_code}")
            status = int(exc.status_code or 0)
            retryable = code in _ALIYUN_RETRYABLE or status >= 500 or status == 429
            return SendResult.failed(code, retryable=retryable, detail=str(exc.message or ""))
        except Exception as exc:  # noqa: BLE001 - transport errors arrive wrapped in Tea's UnretryableException
            if _is_transport(exc):
                return network_failure(exc, repr(exc))
            return SendResult.failed("bad_response", retryable=True, uncertain=True, detail=repr(exc))
        body = resp.body
        if body is None:
            return SendResult.failed("bad_response", retryable=True, uncertain=True, detail="empty answer")
        if body.code == "OK":
            return SendResult.sent(body.biz_id, detail=str(body.message or ""))
        code = str(body.code or "unknown")
        return SendResult.failed(code, retryable=code in _ALIYUN_RETRYABLE, detail=str(body.message or ""))


def _is_transport(exc: BaseException) -> bool:
    import requests

    from bot.channels.send_result import exception_chain

    return any(isinstance(e, requests.exceptions.RequestException | TimeoutError | ConnectionError)
               for e in exception_chain(exc))


# --- the centre's own gateway ----------------------------------------------------------


class GenericHttpSender:
    """A JSON-over-HTTP SMS gateway of the centre's own. Our format::

        POST <FEEDBACKBOT_SMS_GENERIC_URL>
        Authorization: Bearer <FEEDBACKBOT_SMS_GENERIC_TOKEN>
        Content-Type: application/json
        {"mobile": "+8613800138000", "sign": "客服中心", "template_id": "invite-v1",
         "params": {"answer": "…"}, "extend": "0042", "reference": "out-123"}

        → 2xx {"ok": true, "message_id": "gw-789"}
        → 2xx {"ok": false, "error": "blacklisted", "retryable": false}
        → 429 / 5xx: try again later; other 4xx: a request a retry will not mend.
    """

    name = "generic"

    def __init__(self, url: str, token: str, *, timeout: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._url = url
        self._client = httpx.Client(timeout=timeout, transport=transport,
                                    headers={"Authorization": f"Bearer {token}"})

    def send(self, mobile: str, template_id: str, params: Mapping[str, str], *, sign: str,
             extend: str | None = None, reference: str | None = None) -> SendResult:
        """See :class:`SmsSender`."""
        payload = {"mobile": f"+86{mobile}", "sign": sign, "template_id": template_id, "params": dict(params),
                   "extend": extend, "reference": reference}
        try:
            resp = self._client.post(self._url, json=payload)
        except httpx.ConnectError as exc:
            return SendResult.failed("network", retryable=True, uncertain=False, detail=repr(exc))
        except httpx.ConnectTimeout as exc:
            return SendResult.failed("timeout", retryable=True, uncertain=False, detail=repr(exc))
        except httpx.TimeoutException as exc:
            return SendResult.failed("timeout", retryable=True, uncertain=True, detail=repr(exc))
        except httpx.HTTPError as exc:
            return SendResult.failed("network", retryable=True, uncertain=True, detail=repr(exc))
        if resp.status_code == 429 or resp.status_code >= 500:
            return SendResult.failed(f"http_{resp.status_code}", retryable=True, detail=resp.text[:200])
        if resp.status_code >= 300:
            return SendResult.failed(f"http_{resp.status_code}", retryable=False, detail=resp.text[:200])
        try:
            doc: Any = resp.json()
        except ValueError:
            return SendResult.failed("bad_response", retryable=True, uncertain=True, detail=resp.text[:200])
        if not isinstance(doc, dict):
            return SendResult.failed("bad_response", retryable=True, uncertain=True, detail=resp.text[:200])
        if doc.get("ok") is True and doc.get("message_id"):
            return SendResult.sent(str(doc["message_id"]))
        if doc.get("ok") is True:
            return SendResult.failed("bad_response", retryable=True, uncertain=True, detail="ok without message_id")
        return SendResult.failed(str(doc.get("error") or "rejected"), retryable=bool(doc.get("retryable")),
                                 detail=str(doc.get("message") or ""))

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


# --- development ------------------------------------------------------------------------


class LogOnlySender:
    """Sends nothing anywhere: logs a line with the number masked and keeps the last sends in memory.

    The development default, so a laptop never texts a customer. It reports
    success (the survey proceeds as if delivered) with an id starting ``log-``.
    """

    name = "log"

    def __init__(self, keep: int = 100) -> None:
        self.sent: deque[dict[str, Any]] = deque(maxlen=keep)

    def send(self, mobile: str, template_id: str, params: Mapping[str, str], *, sign: str,
             extend: str | None = None, reference: str | None = None) -> SendResult:
        """See :class:`SmsSender`."""
        message_id = f"log-{uuid.uuid4().hex[:12]}"
        self.sent.append({"mobile": mobile, "template_id": template_id, "params": dict(params), "sign": sign,
                          "extend": extend, "reference": reference, "message_id": message_id})
        log.info("SMS not sent (FEEDBACKBOT_SMS_PROVIDER=log): to %s template %s params %s",
                 mask_mobile(mobile), template_id, json.dumps(dict(params), ensure_ascii=False))
        return SendResult.sent(message_id, detail="log only")


_FACTORIES: dict[str, Callable[[Settings], SmsSender]] = {
    "log": lambda s: LogOnlySender(),
    "tencent": lambda s: TencentSmsSender(s.tencent_secret_id, s.tencent_secret_key, s.tencent_sms_app_id,
                                          region=s.tencent_sms_region, endpoint=s.tencent_sms_endpoint,
                                          timeout=s.sms_send_timeout_seconds),
    "aliyun": lambda s: AliyunSmsSender(s.aliyun_access_key_id, s.aliyun_access_key_secret,
                                        endpoint=s.aliyun_sms_endpoint, timeout=s.sms_send_timeout_seconds),
    "generic": lambda s: GenericHttpSender(s.sms_generic_url, s.sms_generic_token,
                                           timeout=s.sms_send_timeout_seconds),
}


def sender_for(settings: Settings) -> SmsSender:
    """The sender ``FEEDBACKBOT_SMS_PROVIDER`` names (``log`` by default)."""
    return _FACTORIES[settings.sms_provider](settings)
