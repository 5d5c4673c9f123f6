"""The WeChat official account: the message push (plain and encrypted), passive replies, customer-service messages.

Everything goes through ``wechatpy``:

* **Push verification** — every push carries ``signature``, ``timestamp``,
  ``nonce`` in the query string (SHA1 of the sorted token, timestamp and nonce;
  ``wechatpy.utils.check_signature``). In the encrypted ("安全模式") mode it
  also carries ``encrypt_type=aes`` and ``msg_signature``, and the body is
  ``<xml><Encrypt>…</Encrypt></xml>`` (``wechatpy.crypto.WeChatCrypto``, which
  also checks the app id inside the ciphertext). Official account
  documentation: "接入概述" / "消息加解密说明"
  (https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html,
  https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html).
* **Messages** — text (``Content``) and voice (the ``Recognition`` text, set
  when the account enabled voice recognition) become :class:`InboundWechat`;
  events (follow, menu, template-message receipts…) are answered ``success``
  and go no further. WeChat retries a push it got no answer to within 5 s,
  three tries in all, so each message has a dedupe key: ``MsgId``, or
  ``FromUserName`` + ``CreateTime`` for events ("接收普通消息",
  https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html).
* **Answers** — a passive reply (``TextReply`` XML, encrypted when the push
  was) if the answer is ready within the 5 s, else the plain body ``success``
  and the answer sent later through the customer-service message API
  (``POST /cgi-bin/message/custom/send?access_token=…`` after
  ``GET /cgi-bin/token``; "客服消息",
  https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html).
  Since 2023-06-12 customer-service messages are allowed for 48 hours after
  the customer's last message, at most 5 of them (:func:`service_window`).
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import requests
from wechatpy import WeChatClient, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException, WeChatClientException
from wechatpy.messages import BaseMessage, TextMessage, VoiceMessage
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.channels.send_result import SendResult, network_failure

#: The body that stops WeChat's retries without sending the customer anything.
SUCCESS = "success"
#: Passive replies must be complete within 5 s of the push; leave room for the network.
PASSIVE_REPLY_BUDGET_SECONDS = 4.0
#: Customer-service messages after a customer message: window and count (rule of 2023-06-12).
SERVICE_WINDOW = timedelta(hours=48)
SERVICE_MESSAGES_PER_WINDOW = 5
#: WeChat's limit for a text message is 2048 bytes (UTF-8); a Chinese character takes 3.
MAX_TEXT_BYTES = 2048


class PushError(StrEnum):
    """Why a push was refused; the route answers 403 for signatures, 400 for the rest."""

    MISSING_PARAMS = "missing_params"
    BAD_SIGNATURE = "bad_signature"
    BAD_APP_ID = "bad_app_id"
    NOT_CONFIGURED = "encrypted_mode_not_configured"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class Push:
    """A verified, decrypted push.

    Attributes:
        message: The wechatpy message or event.
        encrypted: Whether it arrived encrypted (the reply must be too).
        nonce: The push's nonce (reused for the encrypted reply).
        timestamp: The push's timestamp.
    """

    message: BaseMessage
    encrypted: bool
    nonce: str
    timestamp: str


@dataclass(frozen=True)
class InboundWechat:
    """A customer's text (or recognised voice) message.

    Attributes:
        openid: The sender (``FromUserName``).
        text: What they wrote or said.
        msg_id: WeChat's ``MsgId``.
        create_time: When WeChat received it (aware, UTC).
        dedupe_key: ``wechat:msg:<MsgId>``.
        account: Our official account's id (``ToUserName``), needed for a passive reply.
        voice: True when the text is WeChat's recognition of a voice message.
    """

    openid: str
    text: str
    msg_id: str
    create_time: datetime
    dedupe_key: str
    account: str
    voice: bool = False


@dataclass(frozen=True)
class Ignored:
    """A push that needs no survey turn: an event, or a message we cannot read (image, unrecognised voice…).

    Attributes:
        openid: The sender.
        kind: ``event:<name>`` or the message type.
        dedupe_key: ``wechat:msg:<MsgId>`` or, for events, ``wechat:evt:<FromUserName>:<CreateTime>``.
        reply_text: What to answer the customer (Chinese), or None for silence (``success``).
    """

    openid: str
    kind: str
    dedupe_key: str
    reply_text: str | None = None


#: Answer to a message we cannot read; the survey itself is the gateway's to continue.
UNREADABLE_REPLY_ZH = "抱歉，暂时只能识别文字消息。请直接回复文字或数字，例如回复1-5为本次服务评分。"


def _utc(message: BaseMessage) -> datetime:
    return datetime.fromtimestamp(int(message.time), UTC)


class WechatEndpoint:
    """Verifies and reads pushes for one official account, and renders its passive replies.

    Args:
        token: ``FEEDBACKBOT_WECHAT_TOKEN``, as configured in the account's server settings.
        app_id: ``FEEDBACKBOT_WECHAT_APP_ID`` (needed for the encrypted mode).
        aes_key: ``FEEDBACKBOT_WECHAT_AES_KEY`` (43 characters), or "" when the account uses plain mode.
    """

    def __init__(self, token: str, app_id: str = "", aes_key: str = "") -> None:
        if not token:
            raise ValueError("WeChat push needs FEEDBACKBOT_WECHAT_TOKEN")
        self.token = token
        self._crypto = WeChatCrypto(token, aes_key, app_id) if aes_key and app_id else None

    def _signed(self, query: Mapping[str, str]) -> bool:
        try:
            check_signature(self.token, query["signature"], query["timestamp"], query["nonce"])
        except InvalidSignatureException:
            return False
        return True

    def verify_url(self, query: Mapping[str, str]) -> str | PushError:
        """The ``GET`` check WeChat makes when the server URL is saved: answer ``echostr`` when signed."""
        if not all(query.get(k) for k in ("signature", "timestamp", "nonce", "echostr")):
            return PushError.MISSING_PARAMS
        return query["echostr"] if self._signed(query) else PushError.BAD_SIGNATURE

    def read_push(self, query: Mapping[str, str], body: bytes) -> Push | PushError:
        """Verify a ``POST`` push and decrypt it when encrypted; never raises."""
        if not all(query.get(k) for k in ("signature", "timestamp", "nonce")):
            return PushError.MISSING_PARAMS
        if not self._signed(query):
            return PushError.BAD_SIGNATURE
        encrypted = (query.get("encrypt_type") or "raw").lower() == "aes"
        try:
            xml = body.decode("utf-8")
        except UnicodeDecodeError:
            return PushError.MALFORMED
        if encrypted:
            if self._crypto is None:
                return PushError.NOT_CONFIGURED
            if not query.get("msg_signature"):
                return PushError.MISSING_PARAMS
            try:
                xml = self._crypto.decrypt_message(xml, query["msg_signature"], query["timestamp"], query["nonce"])
            except InvalidSignatureException:
                return PushError.BAD_SIGNATURE
            except InvalidAppIdException:
                return PushError.BAD_APP_ID
            except Exception:  # noqa: BLE001 - bad XML, base64 or padding: the body is not a push
                return PushError.MALFORMED
        try:
            message = parse_message(xml)
            message.time  # noqa: B018 - CreateTime must be readable
        except Exception:  # noqa: BLE001 - xmltodict/expat errors, missing MsgType or CreateTime
            return PushError.MALFORMED
        if message is None or not message.source:
            return PushError.MALFORMED
        return Push(message, encrypted, query["nonce"], query["timestamp"])

    def reply(self, push: Push, text: str, *, now: float | None = None) -> str:
        """The passive reply XML for ``push`` carrying ``text`` (encrypted when the push was).

        Several bot messages must be joined into one ``text``: a push takes one reply.
        """
        reply = TextReply(content=fit_text(text), message=push.message, time=int(now or time.time()))
        xml = reply.render()
        if push.encrypted and self._crypto is not None:
            return str(self._crypto.encrypt_message(xml, push.nonce, push.timestamp))
        return str(xml)


def read_message(push: Push) -> InboundWechat | Ignored:
    """What a verified push asks of the survey: a customer message, or nothing (events and unreadable types)."""
    m = push.message
    openid = str(m.source)
    if m.type == "event":
        return Ignored(openid, f"event:{getattr(m, 'event', '')}", f"wechat:evt:{openid}:{int(m.time)}")
    key = f"wechat:msg:{m.id}"
    if isinstance(m, TextMessage) and (m.content or "").strip():
        return InboundWechat(openid, m.content.strip(), str(m.id), _utc(m), key, str(m.target))
    if isinstance(m, VoiceMessage) and (m.recognition or "").strip():
        return InboundWechat(openid, m.recognition.strip(), str(m.id), _utc(m), key, str(m.target), voice=True)
    return Ignored(openid, str(m.type), key, UNREADABLE_REPLY_ZH)


def fit_text(text: str, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """``text`` cut to WeChat's byte limit for a text message, on a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode("utf-8", errors="ignore") + "…"


# --- the 48-hour customer-service window --------------------------------------------------


@dataclass(frozen=True)
class ServiceWindow:
    """Whether a customer-service message may be sent now.

    Attributes:
        open: A message may be sent.
        remaining: Messages still allowed in this window (after none is sent now).
        closes_at: End of the window (last customer message + 48 h), or None without a customer message.
    """

    open: bool
    remaining: int
    closes_at: datetime | None


def service_window(last_customer_message_at: datetime | None, sent_since: int, now: datetime) -> ServiceWindow:
    """WeChat's rule for customer-service messages: within 48 h of the customer's last message, at most 5.

    Args:
        last_customer_message_at: When the customer last wrote to the account (aware), or None.
        sent_since: Customer-service messages already sent since that message.
        now: The current time (aware).

    Every new customer message opens a new window and resets the count.
    """
    if last_customer_message_at is None:
        return ServiceWindow(False, 0, None)
    closes_at = last_customer_message_at + SERVICE_WINDOW
    remaining = max(0, SERVICE_MESSAGES_PER_WINDOW - sent_since)
    return ServiceWindow(now < closes_at and remaining > 0, remaining if now < closes_at else 0, closes_at)


# --- the customer-service message client ---------------------------------------------------

# Global return codes ("全局返回码",
# https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html)
# after which a later retry may succeed. 45015 (outside the 48-hour window)
# and 45047 (over the message quota) only clear with a new customer message.
_WECHAT_RETRYABLE = frozenset({-1, 45009, 45011, 40001, 40014, 42001})


class _TimeoutSession(requests.Session):
    """A session that applies a timeout to every request (wechatpy's token fetch passes none)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().request(method, url, *args, **kwargs)


class _Client(WeChatClient):
    """wechatpy's client with a configurable API base (its token URL is otherwise fixed)."""

    def __init__(self, app_id: str, app_secret: str, api_base: str, timeout: float, session: Any = None) -> None:
        super().__init__(app_id, app_secret, session=session, timeout=timeout)
        self.API_BASE_URL = f"{api_base.rstrip('/')}/cgi-bin/"
        self._http = _TimeoutSession(timeout)

    def fetch_access_token(self) -> dict[str, Any]:
        result: dict[str, Any] = self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
        return result


class WechatMessenger:
    """Sends customer-service text messages (``client.message.send_text``), fetching the access token as needed.

    Args:
        app_id: ``FEEDBACKBOT_WECHAT_APP_ID``.
        app_secret: ``FEEDBACKBOT_WECHAT_APP_SECRET``.
        api_base: ``FEEDBACKBOT_WECHAT_API_BASE`` (``https://api.weixin.qq.com``; a local server in tests).
        timeout: Seconds for each HTTP request.
        token_storage: A wechatpy session storage shared by the processes (e.g.
            ``wechatpy.session.redisstorage.RedisStorage``); default: this process's memory.
    """

    def __init__(self, app_id: str, app_secret: str, api_base: str = "https://api.weixin.qq.com", *,
                 timeout: float = 5.0, token_storage: Any = None) -> None:
        self._client = _Client(app_id, app_secret, api_base, timeout, token_storage)

    def send_text(self, openid: str, text: str) -> SendResult:
        """Send ``text`` to ``openid``; a refused or failed send is ``ok=False``, never an exception."""
        try:
            result = self._client.message.send_text(openid, fit_text(text))
        except WeChatClientException as exc:
            if exc.errcode is None:
                status = getattr(getattr(exc, "response", None), "status_code", None)
                return SendResult.failed(f"http_{status}" if status else "network", retryable=True,
                                         detail=str(exc))
            code = int(exc.errcode)
            return SendResult.failed(str(code), retryable=code in _WECHAT_RETRYABLE, detail=str(exc.errmsg or ""))
        except requests.RequestException as exc:
            return network_failure(exc, repr(exc))
        except Exception as exc:  # noqa: BLE001 - an unreadable answer must not look like a send
            return SendResult.failed("bad_response", retryable=True, uncertain=True, detail=repr(exc))
        if isinstance(result, dict) and int(result.get("errcode", 0)) == 0:
            # The API gives no message id for customer-service messages.
            return SendResult.sent(None, detail=str(result.get("errmsg", "ok")))
        return SendResult.failed("bad_response", retryable=True, uncertain=True, detail=repr(result)[:200])
