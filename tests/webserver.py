"""The web app alone in a real uvicorn process, started with the product's own command line (``Stack.web_cmd``).

For attacks on the staff side over real HTTP: what uvicorn does with proxy
headers, parallel requests in its thread pool, sessions ended by the CLI in
another process. Rasa and the action server are not started.
"""
from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, update

from bot.db.models import AuditLog
from bot.db.session import open_session
from bot.db.staff import Account, Appeal, LoginAttempt, StaffSession
from bot.ops.stack import Stack
from bot.settings import ROOT
from tests.staff_data import PASSWORD, Built, build, password_hash

FEEDBACKBOT = Path(sys.executable).parent / "feedbackbot"


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on ``html``."""
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "the page carries a CSRF token"
    return m.group(1)


@dataclass
class WebServer:
    """A running web app and helpers to talk to it as a browser would."""

    stack: Stack
    built: Built | None = None

    @property
    def url(self) -> str:
        return self.stack.web_url

    def client(self, **headers: str) -> httpx.Client:
        """A browser: its own cookies, redirects not followed."""
        return httpx.Client(base_url=self.url, timeout=60, headers=headers)

    def login(self, c: httpx.Client, who: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
        """Open the login page and post the form, as a browser does."""
        token = csrf_token(c.get("/login").text)
        return c.post("/login", data={"login_id": who, "password": password, "csrf_token": token, **extra})

    def logged_in(self, who: str, password: str = PASSWORD) -> httpx.Client:
        """A browser with ``who`` logged in."""
        c = self.client()
        r = self.login(c, who, password)
        assert r.status_code == 303, (r.status_code, r.text[:500])
        return c

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
        """``feedbackbot ARGS`` in its own process, on this server's database."""
        env = {**self.stack.env(), "PYTHONWARNINGS": "ignore"}
        return subprocess.run([str(FEEDBACKBOT), *args], input=stdin, capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=120)


def reset_staff_state(database_url: str) -> None:
    """Back to the centre as built: no login attempts, sessions, appeals (nor their panels, notifications and audit
    rows); accounts as seeded."""
    from bot.db.cases import Notification
    from bot.db.staff import AppealPanelist

    with open_session(database_url) as s, s.begin():
        # What refers to an appeal goes first: its notifications and its panel.
        s.execute(delete(Notification).where(Notification.appeal_id.is_not(None)))
        for table in (LoginAttempt, StaffSession, AppealPanelist, Appeal):
            s.execute(delete(table))
        s.execute(delete(AuditLog).where(AuditLog.entity.in_(("staff_session", "account", "appeal"))))
        s.execute(update(Account).values(password_hash=password_hash(), disabled=False, is_demo=False))


def migrated_database(request: pytest.FixtureRequest, backend: str, base: Path) -> str:
    """A fresh migrated database on ``backend`` for a wider scope than ``db_url`` (dropped at the end)."""
    templates = request.getfixturevalue("migrated")
    if backend == "sqlite":
        return templates.sqlite(base / "feedbackbot.db")
    return templates.postgresql(request)


@contextmanager
def serve_centre(request: pytest.FixtureRequest, backend: str, base: Path) -> Iterator[WebServer]:
    """The staff centre of ``tests/staff_data.py`` on a fresh database, served by a real web app."""
    url = migrated_database(request, backend, base)
    built = build(url, base)
    with serve_web(url, base / "log") as web:
        web.built = built
        yield web


@contextmanager
def serve_web(database_url: str, log_dir: Path, **env: str) -> Iterator[WebServer]:
    """Serve the web app on ``database_url`` with extra environment ``env``; stopped on exit."""
    stack = Stack(database_url=database_url, log_dir=log_dir, extra_env=env).start_web_only()
    try:
        yield WebServer(stack)
    finally:
        stack.stop()
