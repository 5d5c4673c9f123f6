"""Local HTTP servers that speak the providers' documented contracts and record what arrived.

Each server runs threaded on 127.0.0.1 at a free port. Its ``script`` list
says how to answer the next requests (``"ok"`` when empty); ``requests``
holds what arrived, so tests check what the real SDKs actually sent.
The request and answer shapes are those of the documents named at each
shape, cross-checked against the official SDKs' models and parsers.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    """One request as it arrived."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    """What to send back: status, JSON body (or raw bytes), content type, delay before answering."""

    status: int = 200
    body: Any = None
    content_type: str = "application/json"
    delay: float = 0.0


class ProviderServer:
    """Base: a threaded HTTP server whose subclasses decide each answer in :meth:`answer`."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.script: list[str] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the test output
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                rec = Recorded(self.command, parts.path, parse_qs(parts.query),
                               {k.lower(): v for k, v in self.headers.items()}, body)
                with outer._lock:
                    outer.requests.append(rec)
                    mode = outer.script.pop(0) if outer.script else "ok"
                ans = outer.answer(rec, mode)
                if ans.delay:
                    time.sleep(ans.delay)
                data = ans.body if isinstance(ans.body, bytes) else json.dumps(ans.body, ensure_ascii=False).encode()
                try:
                    self.send_response(ans.status)
                    self.send_header("Content-Type", ans.content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    pass

            do_GET = _handle
            do_POST = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        """``127.0.0.1:<port>``."""
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.host}"

    def answer(self, rec: Recorded, mode: str) -> Answer:
        raise NotImplementedError

    def start(self) -> ProviderServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def running(server: ProviderServer) -> Iterator[ProviderServer]:
    """Start ``server`` for the duration of a with-block."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- Tencent Cloud SMS API 2021-01-11 ------------------------------------------------------


def tc3_signature(secret_key: str, *, host: str, content_type: str, body: bytes, timestamp: str,
                  service: str = "sms") -> str:
    """TC3-HMAC-SHA256 as "签名方法 v3" describes it (https://cloud.tencent.com/document/api/382/52071).

    Written from the document, independently of the SDK, so a request the SDK
    signed wrongly would be refused by the fake as by the real API.
    """
    date = time.strftime("%Y-%m-%d", time.gmtime(int(timestamp)))
    canonical = "\n".join(["POST", "/", "", f"content-type:{content_type}\nhost:{host}\n", "content-type;host",
                           hashlib.sha256(body).hexdigest()])
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", timestamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])

    def _h(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    k = _h(_h(_h(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()


class TencentSmsServer(ProviderServer):
    """Tencent Cloud SMS ``SendSms`` (API 2021-01-11), "发送短信" https://cloud.tencent.com/document/api/382/55981.

    Modes: ``ok``; ``daily_limit`` (per-number status with a failure code, HTTP
    200); ``auth_error`` (request-level ``Response.Error``, HTTP 200, as in
    "返回结果" https://cloud.tencent.com/document/api/382/52074 and
    "公共错误码" https://cloud.tencent.com/document/api/382/52075);
    ``http500``; ``slow`` (answers after 3 s); ``error_with_charset`` (an error
    under ``application/json; charset=utf-8``).
    """

    def __init__(self, secret_id: str, secret_key: str) -> None:
        super().__init__()
        self.secret_id, self.secret_key = secret_id, secret_key

    def _error(self, code: str, message: str) -> Answer:
        return Answer(200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}})

    def answer(self, rec: Recorded, mode: str) -> Answer:
        if mode == "http500":
            return Answer(500, b"<html>502 Bad Gateway</html>", "text/html")
        if mode == "slow":
            return Answer(200, self._ok(rec), delay=3.0)
        # Request headers of API 3.0 ("请求结构" https://cloud.tencent.com/document/api/382/52072).
        h = rec.headers
        if h.get("x-tc-action") != "SendSms" or h.get("x-tc-version") != "2021-01-11":
            return self._error("InvalidAction", "action or version not supported")
        auth = h.get("authorization", "")
        expected = tc3_signature(self.secret_key, host=h.get("host", ""), content_type=h.get("content-type", ""),
                                 body=rec.body, timestamp=h.get("x-tc-timestamp", "0"))
        if f"Credential={self.secret_id}/" not in auth or not auth.endswith(f"Signature={expected}"):
            return self._error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        if mode == "auth_error":
            return self._error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        if mode == "error_with_charset":
            # The SDK recognises an error only under a bare application/json content type;
            # under another one it deserialises the error as an answer without statuses.
            ans = self._error("InternalError.Timeout", "backend timeout")
            return Answer(ans.status, ans.body, "application/json; charset=utf-8")
        req = rec.json()
        if mode == "daily_limit":
            return Answer(200, {"Response": {"SendStatusSet": [{
                "SerialNo": "", "PhoneNumber": req["PhoneNumberSet"][0], "Fee": 0,
                "SessionContext": req.get("SessionContext", ""), "Code": "LimitExceeded.PhoneNumberDailyLimit",
                "Message": "the number of sms messages sent from a single mobile number every day exceeds the upper limit",
                "IsoCode": "CN"}], "RequestId": str(uuid.uuid4())}})
        return Answer(200, self._ok(rec))

    def _ok(self, rec: Recorded) -> dict[str, Any]:
        req = rec.json()
        # Output example of SendSms (document above): one status per number.
        return {"Response": {"SendStatusSet": [{
            "SerialNo": f"5000:{uuid.uuid4().int % 10**28}", "PhoneNumber": n, "Fee": 1,
            "SessionContext": req.get("SessionContext", ""), "Code": "Ok", "Message": "send success",
            "IsoCode": "CN"} for n in req["PhoneNumberSet"]], "RequestId": str(uuid.uuid4())}}


# --- Alibaba Cloud Dysmsapi 2017-05-25 --------------------------------------------------------


def acs3_valid(rec: Recorded, access_key_id: str, access_key_secret: str) -> bool:
    """Check an ``ACS3-HMAC-SHA256`` signature as "V3版本请求体&签名机制" describes it
    (https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature).

    CanonicalRequest = method, URI, sorted RFC 3986-encoded query, the signed
    headers ``name:value`` (lower-case, sorted), their names joined by ``;``,
    and the hex SHA-256 of the body (also sent as ``x-acs-content-sha256``);
    StringToSign = ``ACS3-HMAC-SHA256\n`` + hex SHA-256 of it; the signature
    is the hex HMAC-SHA256 of that under the AccessKey secret. Written from the
    document, independently of the SDK.
    """
    from urllib.parse import quote

    m = re.fullmatch(r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)",
                     rec.headers.get("authorization", ""))
    if not m or m.group(1) != access_key_id:
        return False
    payload_hash = hashlib.sha256(rec.body).hexdigest()
    if rec.headers.get("x-acs-content-sha256") != payload_hash:
        return False
    names = m.group(2).split(";")
    if names != sorted(names) or not {"host", "x-acs-action", "x-acs-version", "x-acs-date"} <= set(names):
        return False
    query = "&".join(f"{quote(k, safe='~')}={quote(v[0], safe='~')}" for k, v in sorted(rec.query.items()))
    headers = "".join(f"{n}:{rec.headers.get(n, '').strip()}\n" for n in names)
    canonical = "\n".join([rec.method, rec.path or "/", query, headers, ";".join(names), payload_hash])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    expected = hmac.new(access_key_secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, m.group(3))


class AliyunSmsServer(ProviderServer):
    """Alibaba Cloud ``SendSms`` (Dysmsapi 2017-05-25),
    https://help.aliyun.com/zh/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms.

    The SDK sends an RPC-style ``POST /`` with the parameters in the query
    string and the V3 signature headers (``x-acs-action``, ``x-acs-version``,
    ``Authorization: ACS3-HMAC-SHA256 Credential=…``; "V3版本请求体&签名机制",
    https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature).
    Modes: ``ok``; ``limit`` (``isv.BUSINESS_LIMIT_CONTROL``, HTTP 200, as the
    API error-code page lists it); ``bad_number`` (``isv.MOBILE_NUMBER_ILLEGAL``);
    ``http500`` (``isp.SYSTEM_ERROR`` with HTTP 500); ``slow`` (3 s).
    """

    def __init__(self, access_key_id: str, access_key_secret: str) -> None:
        super().__init__()
        self.access_key_id, self.access_key_secret = access_key_id, access_key_secret

    def answer(self, rec: Recorded, mode: str) -> Answer:
        rid = str(uuid.uuid4()).upper()
        if mode == "http500":
            return Answer(500, {"Code": "isp.SYSTEM_ERROR", "Message": "系统错误", "RequestId": rid})
        h = rec.headers
        if h.get("x-acs-action") != "SendSms" or h.get("x-acs-version") != "2017-05-25":
            return Answer(400, {"Code": "InvalidAction.NotFound", "Message": "Specified api is not found",
                                "RequestId": rid})
        if not h.get("authorization", "").startswith(f"ACS3-HMAC-SHA256 Credential={self.access_key_id},"):
            return Answer(404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found.",
                                "RequestId": rid})
        if not acs3_valid(rec, self.access_key_id, self.access_key_secret):
            return Answer(400, {"Code": "IncompleteSignature", "Message": "The request signature does not conform "
                                "to Aliyun standards.", "RequestId": rid})
        if mode == "slow":
            return Answer(200, self._ok(rid), delay=3.0)
        if mode == "limit":
            return Answer(200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发小时级流控Permits:5",
                                "RequestId": rid})
        if mode == "bad_number":
            return Answer(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": rid})
        return Answer(200, self._ok(rid))

    @staticmethod
    def _ok(rid: str) -> dict[str, Any]:
        # Response example of SendSms (document above).
        return {"Code": "OK", "Message": "OK", "BizId": f"{uuid.uuid4().int % 10**20}^0", "RequestId": rid}


# --- our generic gateway ----------------------------------------------------------------------


class GenericGatewayServer(ProviderServer):
    """The generic gateway format documented in ``bot.channels.sms_senders.GenericHttpSender``.

    Modes: ``ok``; ``rejected`` (``ok: false``, not retryable); ``http500``; ``http401``; ``slow`` (3 s).
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def answer(self, rec: Recorded, mode: str) -> Answer:
        if rec.headers.get("authorization") != f"Bearer {self.token}" or mode == "http401":
            return Answer(401, {"ok": False, "error": "unauthorized"})
        if mode == "http500":
            return Answer(500, b"internal error", "text/plain")
        if mode == "rejected":
            return Answer(200, {"ok": False, "error": "blacklisted", "retryable": False})
        return Answer(200, {"ok": True, "message_id": f"gw-{uuid.uuid4().hex[:8]}"}, delay=3.0 if mode == "slow" else 0)


# --- WeChat official account API ----------------------------------------------------------------


@dataclass
class WechatState:
    tokens_issued: list[str] = field(default_factory=list)


class WechatApiServer(ProviderServer):
    """The official account API: ``GET /cgi-bin/token`` ("获取 Access token",
    https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html) and
    ``POST /cgi-bin/message/custom/send`` ("客服消息",
    https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html),
    with the global return codes of "全局返回码"
    (https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html).

    Modes for a send: ``ok``; ``window_closed`` (45015); ``quota`` (45047);
    ``expired`` (42001: the client must fetch a new token and retry);
    ``http500``; ``slow`` (3 s).
    """

    def __init__(self, app_id: str, app_secret: str) -> None:
        super().__init__()
        self.app_id, self.app_secret = app_id, app_secret
        self.state = WechatState()

    def answer(self, rec: Recorded, mode: str) -> Answer:
        if rec.path == "/cgi-bin/token" and rec.method == "GET":
            q = {k: v[0] for k, v in rec.query.items()}
            if q.get("grant_type") != "client_credential" or q.get("appid") != self.app_id:
                return Answer(200, {"errcode": 40013, "errmsg": "invalid appid"})
            if q.get("secret") != self.app_secret:
                return Answer(200, {"errcode": 40125, "errmsg": "invalid appsecret"})
            token = f"TOKEN{len(self.state.tokens_issued)}{uuid.uuid4().hex[:6]}"
            self.state.tokens_issued.append(token)
            return Answer(200, {"access_token": token, "expires_in": 7200})
        if rec.path == "/cgi-bin/message/custom/send" and rec.method == "POST":
            token = (rec.query.get("access_token") or [""])[0]
            if not self.state.tokens_issued or token != self.state.tokens_issued[-1]:
                return Answer(200, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
            if mode == "expired":
                self.state.tokens_issued.append("expired-marker")  # the current token stops working
                return Answer(200, {"errcode": 42001, "errmsg": "access_token expired"})
            if mode == "http500":
                return Answer(500, b"", "text/plain")
            if mode == "window_closed":
                return Answer(200, {"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"})
            if mode == "quota":
                return Answer(200, {"errcode": 45047, "errmsg": "out of response count limit"})
            return Answer(200, {"errcode": 0, "errmsg": "ok"}, delay=3.0 if mode == "slow" else 0)
        return Answer(404, b"not found", "text/plain")
