"""Who the client is: the TCP peer, or what a configured trusted proxy says it is.

The per-address login limit keys on the client's address, so whoever may
set it could try passwords without limit. The app decides, not the server
in front of it: uvicorn is started with ``--no-proxy-headers`` (its default
trusts ``X-Forwarded-For`` from 127.0.0.1, i.e. from any local client or
local proxy that passes the header through), and this module applies
uvicorn's own ``ProxyHeadersMiddleware`` with ``FEEDBACKBOT_TRUSTED_PROXIES``
only. Empty (the default): the peer is the client, every forwarded header
is ignored. Set: only a request whose peer is one of those addresses or
networks has its client (the right-most untrusted ``X-Forwarded-For``
entry) and scheme (``X-Forwarded-Proto``) taken from the headers.
"""
from __future__ import annotations

from fastapi import FastAPI, Request
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot.settings import Settings

UNKNOWN_CLIENT = "unknown"


def client_address(request: Request) -> str:
    """The client's address as decided by :func:`install` (the peer unless a trusted proxy forwarded it)."""
    return request.client.host if request.client else UNKNOWN_CLIENT


def install(app: FastAPI, settings: Settings) -> None:
    """Trust ``X-Forwarded-For``/``-Proto`` from the configured proxies only (none: nothing is installed)."""
    proxies = settings.trusted_proxy_list
    if proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
