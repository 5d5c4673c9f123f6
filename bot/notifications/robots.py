"""Group-robot webhooks: WeCom (企业微信群机器人) and DingTalk (钉钉自定义机器人), markdown messages.

Both answer HTTP 200 with a JSON ``{"errcode": 0, "errmsg": "ok"}`` when they
took the message; anything else (another status, a non-zero ``errcode``, a
body that is not that JSON, a timeout) is a failure and is never recorded
as sent.

* WeCom: ``POST <webhook>`` with ``{"msgtype": "markdown", "markdown": {"content": …}}``; the content
  may hold at most 4096 bytes of UTF-8.
* DingTalk: ``POST <webhook>`` with ``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}``. With
  the robot's 加签 secret, the URL gains ``timestamp`` (milliseconds) and ``sign`` =
  urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))); DingTalk refuses a timestamp
  more than an hour off.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import quote_plus

import httpx

WECOM_MAX_BYTES = 4096
DINGTALK_MAX_BYTES = 18000  # DingTalk documents 20000 bytes for a message; kept below for the JSON around it


@dataclass(frozen=True)
class SendOutcome:
    """What a channel said: accepted, or why not (our words and the provider's code, never message text)."""

    ok: bool
    error: str | None = None


def fit_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8 without splitting a character (… marks a cut)."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[:limit - 3].decode("utf-8", errors="ignore") + "…"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签 value for ``timestamp_ms``, already URL-encoded as the URL carries it."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(webhook: str, secret: str, timestamp_ms: int) -> str:
    """The DingTalk webhook with ``timestamp`` and ``sign`` appended."""
    joiner = "&" if "?" in webhook else "?"
    return f"{webhook}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def _post(url: str, payload: dict, timeout: float) -> SendOutcome:
    try:
        r = httpx.post(url, json=payload, timeout=timeout)
    except httpx.HTTPError as exc:
        return SendOutcome(False, f"network: {type(exc).__name__}")
    if r.status_code != 200:
        return SendOutcome(False, f"HTTP {r.status_code}")
    try:
        answer = r.json()
    except ValueError:
        return SendOutcome(False, "answer is not JSON")
    if not isinstance(answer, dict) or answer.get("errcode") != 0:
        code = answer.get("errcode") if isinstance(answer, dict) else None
        msg = str(answer.get("errmsg", ""))[:120] if isinstance(answer, dict) else ""
        return SendOutcome(False, f"errcode {code}: {msg}")
    return SendOutcome(True)


def send_wecom(webhook: str, markdown: str, *, timeout: float = 10.0) -> SendOutcome:
    """Post one markdown message to a WeCom group robot."""
    payload = {"msgtype": "markdown", "markdown": {"content": fit_bytes(markdown, WECOM_MAX_BYTES)}}
    return _post(webhook, payload, timeout)


def send_dingtalk(webhook: str, title: str, markdown: str, *, secret: str = "", timeout: float = 10.0,
                  now_ms: int | None = None) -> SendOutcome:
    """Post one markdown message to a DingTalk group robot, signed when the robot has a 加签 secret."""
    url = signed_url(webhook, secret, now_ms if now_ms is not None else int(time.time() * 1000)) if secret else webhook
    payload = {"msgtype": "markdown", "markdown": {"title": title, "text": fit_bytes(markdown, DINGTALK_MAX_BYTES)}}
    return _post(url, payload, timeout)
