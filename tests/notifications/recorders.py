"""Local servers a test starts to see what the product sends: a webhook server and an SMTP server (aiosmtpd).

Both listen on 127.0.0.1 on a free port and record every request or message
they receive; the webhook server answers as the group robots do
(``{"errcode": 0, "errmsg": "ok"}``) unless told to fail.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

from bot.ops.stack import free_port


@dataclass
class Received:
    """One request the webhook server received."""

    path: str
    query: dict[str, list[str]]
    raw_query: str
    body: dict
    content_type: str


@dataclass
class WebhookServer:
    """What arrived, and how to answer: ``status`` and ``answer`` for the next requests."""

    url: str
    received: list[Received] = field(default_factory=list)
    status: int = 200
    answer: dict = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})


@contextmanager
def webhook_server() -> Iterator[WebhookServer]:
    """A recording robot endpoint at ``server.url`` (any path)."""
    state = WebhookServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            parts = urlsplit(self.path)
            state.received.append(Received(parts.path, parse_qs(parts.query), parts.query,
                                           json.loads(raw.decode("utf-8")), self.headers.get("Content-Type", "")))
            payload = json.dumps(state.answer).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):  # quiet
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@dataclass
class Mail:
    """One message the SMTP server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class _Recorder:
    def __init__(self) -> None:
        self.messages: list[Mail] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[Mail]]]:
    """A recording SMTP server on 127.0.0.1; yields its port and the list of messages it accepted."""
    recorder = _Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, recorder.messages
    finally:
        controller.stop()
