"""Customers' SMS replies as the providers push them: parsed into :class:`InboundSms`, acknowledged as each documents.

Three upstream ("上行") formats are read, each from its provider's document:

* **Tencent Cloud SMS reply callback** ("短信回复" / "回复短信回调",
  https://cloud.tencent.com/document/product/382/5809 and
  https://www.tencentcloud.com/document/product/382/43548): one JSON object
  ``{"extend": "…", "mobile": "13xxxxxxxxx", "nationcode": "86", "sign": "短信签名",
  "text": "用户回复的内容", "time": 1457336869}``; ``time`` is UNIX seconds,
  ``extend`` the channel extension code (optional, "默认没有开通"), ``sign`` the
  signature *text* (not a MAC). Answer ``{"result": 0, "errmsg": "OK"}``.
* **Alibaba Cloud SmsUp HTTP batch push** ("上行短信消息 SmsUp",
  https://help.aliyun.com/zh/sms/developer-reference/smsup-http): a JSON *array*
  of ``{"phone_number", "content", "send_time": "2017-09-01 00:00:00",
  "dest_code", "sequence_id", "sign_name"}`` (``sign_name`` only in older
  pages), ``send_time`` in Beijing time. Answer ``{"code": 0, "msg": "接收成功"}``;
  any other answer (or a 50X) makes it retry after 1, 5 and 10 minutes.
* **Our generic gateway format**, for an SMS gateway of the centre's own
  (documented here because it is ours)::

      POST /callbacks/sms/generic/{secret}
      Content-Type: application/json
      {"messages": [{"id": "gw-000123",                      # gateway's message id, optional
                     "mobile": "+86 138 0013 8000",          # any form normalize_mobile accepts
                     "text": "5",
                     "received_at": "2026-12-07T12:00:05+08:00",  # ISO 8601 *with* offset
                     "extend": "0042"}]}                      # extension code, optional
      → 200 {"ok": true, "accepted": 1, "rejected": 0}

None of these pushes is signed, so the route authenticates them by the secret
in its path, an optional source allow-list and :func:`replay_verdict`
(``bot.channels.callback_guard``). Parsing never raises: a body that cannot be
read at all is a :class:`CallbackError`; inside a batch, unreadable items are
listed in ``rejected`` and the others kept (retrying would not mend them).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.channels.identity import IdentityError, normalize_mobile
from bot.rating.parser import parse_reply

BEIJING = ZoneInfo("Asia/Shanghai")
_ALIYUN_TIME = "%Y-%m-%d %H:%M:%S"
MAX_TEXT_CHARS = 1000  # a long SMS is at most 500 characters; anything longer is not an SMS


class SmsProvider(StrEnum):
    """Upstream formats we read."""

    TENCENT = "tencent"
    ALIYUN = "aliyun"
    GENERIC = "generic"


@dataclass(frozen=True)
class InboundSms:
    """One customer reply.

    Attributes:
        provider: Which push it came from.
        mobile: The sender's 11 national digits.
        text: What the customer wrote (stripped).
        sent_at: When the operator received it (aware, UTC).
        dedupe_key: Equal for every delivery of the same reply (see :func:`dedupe_key`).
        extend: Extension code the reply was sent to (Tencent ``extend``, Alibaba ``dest_code``), or None.
        sequence_id: The provider's id of the reply (Alibaba ``sequence_id``, generic ``id``), or None.
        sign: The signature the customer replied to, when the provider says.
    """

    provider: SmsProvider
    mobile: str
    text: str
    sent_at: datetime
    dedupe_key: str
    extend: str | None = None
    sequence_id: str | None = None
    sign: str | None = None


@dataclass(frozen=True)
class ParsedCallback:
    """A readable push: the replies it holds and the items that could not be read."""

    provider: SmsProvider
    messages: list[InboundSms]
    rejected: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CallbackError:
    """A push that could not be read at all; ``reason`` is for the log (English)."""

    provider: SmsProvider
    reason: str


@dataclass(frozen=True)
class Ack:
    """The HTTP answer a provider expects."""

    status: int
    body: dict[str, Any]


class _ItemError(ValueError):
    """One item of a push is unreadable."""


def dedupe_key(provider: str, *, sequence_id: str | None, mobile: str, sent_at: datetime, text: str,
               secret: str) -> str:
    """The key under which a reply is stored once.

    ``provider:seq:<sequence_id>`` when the provider numbers its pushes;
    otherwise ``provider:h:<HMAC of mobile, time, text>`` (keyed, so the table
    of keys does not reveal numbers to whoever guesses a text).
    """
    if sequence_id:
        return f"{provider}:seq:{sequence_id}"
    message = f"{mobile}|{int(sent_at.timestamp())}|{text}".encode()
    return f"{provider}:h:{hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:40]}"


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise _ItemError(f"{name} missing or not a string")
    return str(value)


def _reply_text(value: Any, name: str) -> str:
    text = _text(value, name).strip()
    if not text:
        raise _ItemError(f"{name} is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise _ItemError(f"{name} longer than {MAX_TEXT_CHARS} characters")
    return text


def _optional(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def _kind(provider: str) -> SmsProvider:
    try:
        return SmsProvider(provider)
    except ValueError:
        return SmsProvider.GENERIC


def _mobile(value: Any, name: str) -> str:
    try:
        return normalize_mobile(_text(value, name))
    except IdentityError as exc:
        raise _ItemError(f"{name}: {exc}") from exc


def _tencent_item(item: Any, secret: str) -> InboundSms:
    if not isinstance(item, Mapping):
        raise _ItemError("not a JSON object")
    nation = str(item.get("nationcode") or "86").lstrip("+")
    if nation != "86":
        raise _ItemError(f"nationcode {nation!r}: only mainland (86) numbers are surveyed")
    mobile = _mobile(item.get("mobile"), "mobile")
    text = _reply_text(item.get("text"), "text")
    raw_time = item.get("time")
    try:
        if isinstance(raw_time, bool):
            raise TypeError
        sent_at = datetime.fromtimestamp(int(raw_time), UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise _ItemError("time missing or not UNIX seconds") from exc
    return InboundSms(SmsProvider.TENCENT, mobile, text, sent_at,
                      dedupe_key(SmsProvider.TENCENT, sequence_id=None, mobile=mobile, sent_at=sent_at, text=text,
                                 secret=secret),
                      extend=_optional(item.get("extend")), sign=_optional(item.get("sign")))


def _aliyun_item(item: Any, secret: str) -> InboundSms:
    if not isinstance(item, Mapping):
        raise _ItemError("not a JSON object")
    mobile = _mobile(item.get("phone_number"), "phone_number")
    text = _reply_text(item.get("content"), "content")
    try:
        sent_at = datetime.strptime(_text(item.get("send_time"), "send_time"), _ALIYUN_TIME)
    except ValueError as exc:
        raise _ItemError("send_time not 'yyyy-MM-dd HH:mm:ss'") from exc
    sent_at = sent_at.replace(tzinfo=BEIJING).astimezone(UTC)
    seq = _optional(item.get("sequence_id"))
    return InboundSms(SmsProvider.ALIYUN, mobile, text, sent_at,
                      dedupe_key(SmsProvider.ALIYUN, sequence_id=seq, mobile=mobile, sent_at=sent_at, text=text,
                                 secret=secret),
                      extend=_optional(item.get("dest_code")), sequence_id=seq, sign=_optional(item.get("sign_name")))


def _generic_item(item: Any, secret: str) -> InboundSms:
    if not isinstance(item, Mapping):
        raise _ItemError("not a JSON object")
    mobile = _mobile(item.get("mobile"), "mobile")
    text = _reply_text(item.get("text"), "text")
    try:
        sent_at = datetime.fromisoformat(_text(item.get("received_at"), "received_at"))
    except ValueError as exc:
        raise _ItemError("received_at is not ISO 8601") from exc
    if sent_at.tzinfo is None:
        raise _ItemError("received_at has no UTC offset")
    sent_at = sent_at.astimezone(UTC)
    seq = _optional(item.get("id"))
    return InboundSms(SmsProvider.GENERIC, mobile, text, sent_at,
                      dedupe_key(SmsProvider.GENERIC, sequence_id=seq, mobile=mobile, sent_at=sent_at, text=text,
                                 secret=secret),
                      extend=_optional(item.get("extend")), sequence_id=seq)


def _tencent_items(doc: Any) -> list[Any]:
    if not isinstance(doc, Mapping):
        raise _ItemError("Tencent reply callback must be one JSON object")
    return [doc]


def _aliyun_items(doc: Any) -> list[Any]:
    if not isinstance(doc, list):
        raise _ItemError("Alibaba Cloud SmsUp push must be a JSON array")
    return doc


def _generic_items(doc: Any) -> list[Any]:
    if not isinstance(doc, Mapping) or not isinstance(doc.get("messages"), list):
        raise _ItemError('generic push must be {"messages": [...]}')
    return list(doc["messages"])


_FORMATS: dict[SmsProvider, tuple[Callable[[Any], list[Any]], Callable[[Any, str], InboundSms]]] = {
    SmsProvider.TENCENT: (_tencent_items, _tencent_item),
    SmsProvider.ALIYUN: (_aliyun_items, _aliyun_item),
    SmsProvider.GENERIC: (_generic_items, _generic_item),
}


def parse_callback(provider: str, body: bytes | str, *, secret: str) -> ParsedCallback | CallbackError:
    """Read one push from ``provider`` (``tencent``, ``aliyun`` or ``generic``).

    Args:
        provider: The format, from the route.
        body: The raw request body.
        secret: Key of the dedupe hash (the identity secret).

    Returns:
        The replies, or a :class:`CallbackError` when the body is not a
        readable push at all (not UTF-8 JSON, wrong shape, or no readable item).
    """
    try:
        kind = SmsProvider(provider)
    except ValueError:
        return CallbackError(SmsProvider.GENERIC, f"unknown SMS provider {provider!r}")
    split, read = _FORMATS[kind]
    try:
        doc = json.loads(body)
        items = split(doc)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return CallbackError(kind, f"body is not UTF-8 JSON: {exc}")
    except _ItemError as exc:
        return CallbackError(kind, str(exc))
    except RecursionError:
        return CallbackError(kind, "body nested too deeply")
    messages: list[InboundSms] = []
    rejected: list[str] = []
    for i, item in enumerate(items):
        try:
            messages.append(read(item, secret))
        except _ItemError as exc:
            rejected.append(f"item {i}: {exc}")
    if not messages and rejected:
        return CallbackError(kind, "; ".join(rejected))
    return ParsedCallback(kind, messages, rejected)


# --- acknowledgements ------------------------------------------------------------

_ACKS: dict[SmsProvider, tuple[Callable[[], dict[str, Any]], Callable[[str], dict[str, Any]]]] = {
    # Tencent Cloud "回复短信回调": result 0 is success; the document defines no
    # failure code, any non-zero result is read as failure.
    SmsProvider.TENCENT: (lambda: {"result": 0, "errmsg": "OK"}, lambda why: {"result": 1, "errmsg": why}),
    # Alibaba Cloud SmsUp HTTP: {"code":0,"msg":"接收成功"}; it checks that code is
    # a number and 0; failures retry (1, 5, 10 min).
    SmsProvider.ALIYUN: (lambda: {"code": 0, "msg": "接收成功"}, lambda why: {"code": 1, "msg": why}),
    SmsProvider.GENERIC: (lambda: {"ok": True}, lambda why: {"ok": False, "error": why}),
}


def ack(provider: str, parsed: ParsedCallback | CallbackError) -> Ack:
    """The answer to give a push once it is parsed (and, for a ParsedCallback, queued).

    A readable push is acknowledged as success even when some items were
    rejected: the provider would only resend the same unreadable items. An
    unreadable push answers 400 with the provider's failure shape.
    """
    kind = _kind(provider)
    ok_body, fail_body = _ACKS[kind]
    if isinstance(parsed, CallbackError):
        return Ack(400, fail_body(parsed.reason[:200]))
    body = ok_body()
    if kind is SmsProvider.GENERIC:
        body |= {"accepted": len(parsed.messages), "rejected": len(parsed.rejected)}
    return Ack(200, body)


def retry_later(provider: str) -> Ack:
    """The answer when the push was read but could not be queued: the provider should send it again."""
    kind = _kind(provider)
    return Ack(503, _ACKS[kind][1]("temporarily unavailable"))


# --- replay window ----------------------------------------------------------------


class Replay(StrEnum):
    """Verdict on a reply's time."""

    OK = "ok"
    TOO_OLD = "too_old"
    IN_FUTURE = "in_future"


def replay_verdict(sent_at: datetime, now: datetime, *, max_age: timedelta, max_skew: timedelta) -> Replay:
    """Whether a reply's time lies inside the accepted window ``[now - max_age, now + max_skew]``.

    The pushes are unsigned; a captured push replayed later is refused here, and
    within the window the dedupe key stores it once. ``max_age`` must cover the
    providers' retries (Alibaba Cloud: 1 + 5 + 10 minutes) plus our own outages.
    """
    if sent_at > now + max_skew:
        return Replay.IN_FUTURE
    if sent_at < now - max_age:
        return Replay.TOO_OLD
    return Replay.OK


# --- opt-out ------------------------------------------------------------------------

# Replies that mean "stop" only on SMS and only as the whole message: Chinese
# marketing and survey SMS end with "回复TD退订", "退订回T", "退订回N" or
# "拒收请回复R", so a customer answers with that letter alone. In the web chat
# "N" or "R" alone mean nothing of the kind, so they are not in the shared parser.
_SMS_ONLY_OPTOUT = frozenset({"n", "r", "td退订", "t退订"})


def is_opt_out(text: str, *, sms: bool = True) -> bool:
    """True when the reply asks for no more surveys.

    Uses the rating parser's opt-out recognition (``bot.rating.parser``: "TD",
    "T", "退订", "取消订阅", "别再发了", …), the same the web chat applies, plus
    the SMS-only single letters above.
    """
    core = (text or "").strip().strip("。.!！ ").lower()
    if sms and core in _SMS_ONLY_OPTOUT:
        return True
    parsed = parse_reply(text)
    return parsed.kind == "optout" or parsed.optout
