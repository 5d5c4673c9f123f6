"""Who may call the action server, and what a malformed call gets back.

rasa-sdk's server trusts anyone who reaches it and answers an unexpected
error with a 500 that echoes the request body. Here every request except
the probes ``/health`` and ``/ready`` must carry ``Authorization: Bearer <ACTION_SERVER_TOKEN>``
(Rasa sends it from ``endpoints*.yml``); a webhook call without a tracker
is refused with 400 before it reaches an action, and no error answer ever
repeats what was sent.
"""
from __future__ import annotations

import hmac
import json
import logging
import zlib
from typing import Any

from rasa_sdk import endpoint
from sanic import Request, Sanic, response
from sanic.exceptions import BadRequest
from sanic.response import HTTPResponse

from actions import context
from bot.ledger import fact_table
from bot.model_store import configure_classifier

log = logging.getLogger(__name__)
# Probes (HAProxy, orchestrators) carry no secret: liveness and readiness stay open.
OPEN_PATHS = frozenset({"/health", "/ready"})
_UNGUARDED_FACTORY = endpoint.create_app_for_serve


def authorized(header: str | None, secret: str) -> bool:
    """True when ``header`` is exactly ``Bearer <secret>`` (constant-time comparison)."""
    return bool(header) and hmac.compare_digest(str(header).encode(), f"Bearer {secret}".encode())


def well_formed(request: Request) -> bool:
    """True when the webhook body is a JSON object naming an action and carrying a tracker object."""
    try:
        if request.headers.get("Content-Encoding") == "deflate":
            call: Any = json.loads(zlib.decompress(request.body))
        else:
            call = request.json  # parsed once: Sanic caches it for rasa-sdk's handler
    except (ValueError, zlib.error, BadRequest):
        return False
    return (isinstance(call, dict) and isinstance(call.get("next_action"), str)
            and isinstance(call.get("tracker"), dict) and isinstance(call["tracker"].get("sender_id"), str))


def install(app: Sanic, secret: str) -> Sanic:
    """Add the shared-secret check, the webhook shape check and a non-echoing error handler to ``app``."""

    async def guard(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        if not authorized(request.headers.get("Authorization"), secret):
            return response.json({"error": "unauthorized"}, status=401)
        if request.path == "/webhook" and request.method == "POST" and not well_formed(request):
            return response.json({"error": "invalid action call"}, status=400)
        return None

    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        status = getattr(exception, "status_code", 500)
        if status >= 500:
            log.error("action server error on %s", request.path, exc_info=exception)
        return response.json({"error": "internal error" if status >= 500 else "bad request"}, status=status)

    app.register_middleware(guard, "request")
    # Replaces rasa-sdk's catch-all handler, which echoes the request body.
    app.error_handler.cached_handlers[(Exception, None)] = failed
    return app


def create_guarded_app(*args: Any, **kwargs: Any) -> Sanic:
    """rasa-sdk's app factory plus :func:`install` with the secret from the settings (module-level: picklable)."""
    fact_table.install()  # every Sanic worker process writes turns
    configure_classifier(context.settings(), actor="action-server")  # and classifies
    return install(_UNGUARDED_FACTORY(*args, **kwargs), context.settings().action_server_token)
