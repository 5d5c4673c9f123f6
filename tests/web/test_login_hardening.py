"""Attacks on staff logins against the real web server (uvicorn, the product's command line), SQLite and PostgreSQL.

* A forged ``X-Forwarded-For`` must not give a client a new address for the per-address limit
  (only a configured trusted proxy names the client).
* Parallel wrong passwords must be counted before the slow Argon2 check.
* A password change, or disabling the account, ends every session of the account.
* Control characters in the login form are refused with a Chinese message, never a 500.
"""
from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, update

from bot.db.models import AuditLog
from bot.db.session import open_session
from bot.db.staff import Account, LoginAttempt, StaffSession
from bot.ops.stack import Stack
from bot.settings import ROOT
from bot.staff.accounts import MAX_FAILURES
from bot.web import messages
from tests.staff_data import PASSWORD, build
from tests.webserver import csrf_token, serve_web

pytestmark = pytest.mark.slow

WRONG = "not the password"


# --- the client's address ------------------------------------------------------------


def test_a_forged_forwarded_for_does_not_reset_the_per_address_limit(server):
    # Each attempt claims another address and tries another id: only the per-address limit can stop it.
    for i in range(MAX_FAILURES):
        c = server.client(**{"X-Forwarded-For": f"198.51.100.{i + 1}"})
        assert server.login(c, f"guess{i}", WRONG).status_code == 401
    c = server.client(**{"X-Forwarded-For": "198.51.100.99"})
    r = server.login(c, "A2", PASSWORD)
    assert r.status_code == 429 and messages.LOGIN_RATE_LIMITED in r.text
    with open_session(server.stack.database_url) as s:
        keys = set(s.scalars(select(LoginAttempt.key).where(LoginAttempt.key.like("ip:%"))))
    assert keys == {"ip:127.0.0.1"}


def test_a_configured_trusted_proxy_names_the_client(db_url, tmp_path):
    build(db_url, tmp_path)
    with serve_web(db_url, tmp_path / "log", FEEDBACKBOT_TRUSTED_PROXIES="127.0.0.1") as web:
        for i in range(MAX_FAILURES):
            # The client put its own guess first; the proxy appended the address it saw.
            c = web.client(**{"X-Forwarded-For": f"10.9.9.{i}, 203.0.113.7"})
            assert web.login(c, f"guess{i}", WRONG).status_code == 401
        assert web.login(web.client(**{"X-Forwarded-For": "203.0.113.7"}), "A2").status_code == 429
        # Another client behind the same proxy is not blocked.
        assert web.login(web.client(**{"X-Forwarded-For": "203.0.113.8"}), "A2").status_code == 303
        with open_session(db_url) as s:
            clients = [row.data.get("client") for row in s.scalars(
                select(AuditLog).where(AuditLog.entity == "staff_session", AuditLog.action == "login"))]
    assert clients == ["203.0.113.8"]


def test_every_shipped_web_command_turns_off_uvicorns_own_proxy_headers(tmp_path):
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    docker_cmd = json.loads(re.search(r"^CMD (\[.*\])", dockerfile, re.M).group(1))
    stack_cmd = Stack(database_url="sqlite://", log_dir=tmp_path).web_cmd(8000)
    for command in (docker_cmd, stack_cmd):
        assert "--no-proxy-headers" in command and "--proxy-headers" not in command, command


# --- parallel attempts -----------------------------------------------------------------


def test_parallel_wrong_passwords_are_counted_before_the_password_check(server):
    n = 20
    browsers = [server.client() for _ in range(n)]
    tokens = [csrf_token(b.get("/login").text) for b in browsers]
    start = threading.Barrier(n)

    def attempt(i: int):
        start.wait()
        return browsers[i].post("/login", data={"login_id": "A1", "password": WRONG, "csrf_token": tokens[i]})

    with ThreadPoolExecutor(n) as pool:
        answers = list(pool.map(attempt, range(n)))
    statuses = sorted(r.status_code for r in answers)
    checked = statuses.count(401)  # a 401 is an attempt whose password was checked
    assert checked <= MAX_FAILURES, statuses
    assert statuses.count(429) == n - checked, statuses
    assert all(messages.LOGIN_RATE_LIMITED in r.text for r in answers if r.status_code == 429)
    with open_session(server.stack.database_url) as s:
        failures = s.scalar(select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.key == "id:A1", LoginAttempt.succeeded.is_(False)))
    assert failures == checked
    # And the right password is refused too while the window lasts.
    assert server.login(server.client(), "A1").status_code == 429


# --- sessions end with the password or the account -----------------------------------------


def _sessions(db_url: str, agent_id: str) -> int:
    with open_session(db_url) as s:
        return s.scalar(select(func.count()).select_from(StaffSession).where(StaffSession.agent_id == agent_id))


def test_a_password_change_ends_every_session_of_the_account(server):
    db = server.stack.database_url
    phone, desk, other = server.logged_in("A1"), server.logged_in("A1"), server.logged_in("S1")
    assert phone.get("/me").status_code == 200 and _sessions(db, "A1") == 2
    done = server.cli("user", "set-password", "A1", "--password-stdin", stdin="a brand new password\n")
    assert done.returncode == 0, done.stderr
    for browser in (phone, desk):
        r = browser.get("/me")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert _sessions(db, "A1") == 0
    assert other.get("/team").status_code == 200  # another account keeps its session
    assert server.login(server.client(), "A1", PASSWORD).status_code == 401
    assert server.login(server.client(), "A1", "a brand new password").status_code == 303


def test_a_disabled_account_loses_its_sessions_and_cannot_log_in(server):
    db = server.stack.database_url
    browser = server.logged_in("A1")
    done = server.cli("user", "disable", "A1")
    assert done.returncode == 0, done.stderr
    assert browser.get("/me").status_code == 303 and _sessions(db, "A1") == 0
    r = server.login(server.client(), "A1")
    assert r.status_code == 403 and messages.LOGIN_DISABLED in r.text
    # A wrong password says nothing about the account.
    r = server.login(server.client(), "A1", WRONG)
    assert r.status_code == 401 and messages.LOGIN_DISABLED not in r.text
    assert server.cli("user", "enable", "A1").returncode == 0
    browser = server.logged_in("A1")
    # A flag set by hand in the database (no CLI, sessions left behind) is obeyed at the next request.
    with open_session(db) as s, s.begin():
        s.execute(update(Account).where(Account.agent_id == "A1").values(disabled=True))
    assert browser.get("/me").status_code == 303
    assert server.cli("user", "disable", "nobody").returncode == 2


def test_a_password_with_control_characters_cannot_be_set(server):
    done = server.cli("user", "set-password", "A1", "--password-stdin", stdin="good\x07password\n")
    assert done.returncode == 2 and "control characters" in done.stderr


# --- control characters in the login form ----------------------------------------------------


@pytest.mark.parametrize(("login_id", "password"), [
    ("A1\x00", PASSWORD), ("A\x001", WRONG), ("A1", PASSWORD + "\x00"), ("A1\x1b[31m", PASSWORD), ("A1\x7f", WRONG),
])
def test_control_characters_in_the_login_form_are_refused_in_chinese(server, login_id, password):
    c = server.client()
    r = server.login(c, login_id, password)
    assert r.status_code == 400 and messages.LOGIN_CONTROL_CHARACTERS in r.text
    assert "fb_session" not in c.cookies
    # The id typed is not echoed back into the form.
    assert re.search(r'name="login_id"[^>]*value="A', r.text) is None
    with open_session(server.stack.database_url) as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 0
    assert server.login(c, "A1").status_code == 303
