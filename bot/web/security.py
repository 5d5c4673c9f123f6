"""What every request and response passes through: size limit, security headers, safe error answers.

* Request bodies are bounded (``MAX_BODY_BYTES``): a declared or streamed
  body above the limit is answered 413 before any route parses it.
* Every response carries a Content-Security-Policy without inline scripts or
  styles, ``frame-ancestors 'none'`` / ``X-Frame-Options: DENY``,
  ``nosniff`` and ``Referrer-Policy: no-referrer``. Pages load their scripts
  from ``/static`` only (``chat.js``, ``docs.js``).
* Every response but the static files is ``Cache-Control: no-store`` unless
  its route says otherwise: staff pages, exports and chat answers hold
  customers' words and must not stay in a shared or browser cache.
* A 500 gets the same headers: Starlette answers it from its outermost
  middleware, outside :class:`SecurityHeaders`, so :func:`server_error`
  sets them on its own response.
* Validation errors answer in FastAPI's error shape (``{"detail": [{"type",
  "loc", "msg"}]}``) without the rejected input: echoing it failed on NaN,
  Infinity and lone surrogates (the JSON encoder refuses them) and turned a
  422 into a 500. Outside ``/api`` (staff pages and forms) the 422 is the
  staff error page with a Chinese message instead.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web import messages

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
NO_STORE = (b"cache-control", b"no-store")
# Our own static assets (scripts, styles, the vendored chart library) may be cached.
CACHEABLE_PREFIXES = ("/static/",)
API_PREFIXES = ("/api/", "/openapi.json")


def headers_for(path: str) -> list[tuple[bytes, bytes]]:
    """The headers every answer to ``path`` carries (unless its route set them itself)."""
    extra = [] if path.startswith(CACHEABLE_PREFIXES) else [NO_STORE]
    return [*SECURITY_HEADERS, *extra]


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP response (not already set by the route)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        wanted = headers_for(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in wanted if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimit:
    """ASGI middleware answering 413 to a request body above ``limit`` bytes, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope["headers"])
        if declared is not None and declared > self.limit:
            await _too_large(scope, receive, send)
            return
        # Unknown length (chunked): read up to the limit here, then replay it to the app.
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await _too_large(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse({"detail": f"request body larger than {MAX_BODY_BYTES // 1024} KiB"}, status_code=413,
                            headers={"Connection": "close"})
    await response(scope, receive, send)


def _printable(value: Any) -> str | int:
    """A location part or message that JSON can always encode (unpaired surrogates escaped)."""
    if isinstance(value, int):
        return value
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def safe_errors(errors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors reduced to ``type``, ``loc`` and ``msg``: never the input or its context."""
    return [{"type": _printable(e.get("type", "value_error")),
             "loc": [_printable(part) for part in e.get("loc", ())],
             "msg": _printable(e.get("msg", ""))} for e in errors]


async def validation_error(request: Request, exc: Exception) -> Response:
    """422 in FastAPI's shape, built only from strings we control (the staff error page outside ``/api``)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    if not request.url.path.startswith(API_PREFIXES):
        from bot.web.templating import templates

        return templates.TemplateResponse(request, "staff_error.html",
                                          {"title": messages.BAD_REQUEST_TITLE, "message": messages.BAD_REQUEST},
                                          status_code=422)
    return JSONResponse({"detail": safe_errors(errors)}, status_code=422)


async def server_error(request: Request, exc: Exception) -> Response:
    """500 with the security headers (this answer leaves outside every other middleware).

    JSON under ``/api``, a short Chinese page elsewhere; never the exception's text.
    """
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    headers = {n.decode(): v.decode() for n, v in headers_for(request.url.path)}
    if request.url.path.startswith(API_PREFIXES):
        return JSONResponse({"detail": "internal server error"}, status_code=500, headers=headers)
    body = (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{messages.SERVER_ERROR}</title>'
            f"<p>{messages.SERVER_ERROR}</p></html>")
    return HTMLResponse(body, status_code=500, headers=headers)


def install(app: FastAPI) -> None:
    """Add the size limit, the security headers and the safe validation and error handlers to ``app``."""
    app.add_exception_handler(RequestValidationError, validation_error)
    # Starlette hands a handler for 500 to its outermost middleware (ServerErrorMiddleware).
    app.add_exception_handler(500, server_error)
    # The last added is the outermost: headers go on every answer, the 413 included.
    app.add_middleware(BodySizeLimit)
    app.add_middleware(SecurityHeaders)
