"""Staff login over HTTP: sessions, cookie flags, CSRF, rate limiting, role dependencies (SQLite and PostgreSQL)."""
from __future__ import annotations

import functools
import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from bot.db.session import open_session
from bot.db.staff import Account, LoginAttempt, StaffSession
from bot.ops.stack import free_port
from bot.settings import Settings
from bot.staff import accounts, roster
from bot.web import messages
from bot.web.app import create_app
from bot.web.auth import SESSION_COOKIE, StaffUser, can_see_agent, visible_agents

PASSWORD = "correct horse 42"
ROSTER = """agent_id,name,team,supervisor_id,role
S1,王主管,一组,,supervisor
S2,李主管,二组,,supervisor
A1,张三,一组,S1,agent
A2,李四,一组,S1,agent
B1,赵六,二组,S2,agent
ADM,管理员,,,admin
"""
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@functools.cache
def password_hash() -> str:
    # Argon2 is slow on purpose: hash once, share the hash between the seeded accounts.
    return accounts.hash_password(PASSWORD)


def seed(db_url, tmp_path, demo=()):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    with open_session(db_url) as s, s.begin():
        report = roster.import_roster(s, path, now=NOW)
        assert report.bad == []
        for agent_id in ("S1", "S2", "A1", "A2", "B1", "ADM"):
            s.add(Account(agent_id=agent_id, password_hash=password_hash(), updated_at=NOW, is_demo=agent_id in demo))


def app_client(db_url, env="development", **kw) -> TestClient:
    extra = {} if env == "development" else {"integration_token": "x" * 20, "session_secret": "y" * 20,
                                            "action_server_token": "z" * 20}
    settings = Settings(database_url=db_url, rasa_url=f"http://127.0.0.1:{free_port()}", env=env, **extra)
    return TestClient(create_app(settings), **kw)


def token_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "the form carries a CSRF token"
    return m.group(1)


def login(c: TestClient, login_id: str, password: str = PASSWORD, **extra):
    token = token_of(c.get("/login").text)
    return c.post("/login", data={"login_id": login_id, "password": password, "csrf_token": token, **extra},
                  follow_redirects=False)


@pytest.fixture()
def client(db_url, tmp_path):
    seed(db_url, tmp_path)
    with app_client(db_url) as c:
        yield c


def test_login_ok_sets_a_session_cookie_and_goes_to_the_role_page(client, db_url):
    r = login(client, "A1")
    assert r.status_code == 303 and r.headers["location"] == "/me"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    flags = [p.strip().lower() for p in cookie.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # development runs on plain http
    assert client.get("/", follow_redirects=False).headers["location"] == "/me"
    assert client.get("/me").status_code == 200
    # Only the SHA-256 of the cookie's id is stored.
    raw = client.cookies[SESSION_COOKIE]
    with open_session(db_url) as s:
        hashes = list(s.scalars(select(StaffSession.id_hash)))
    assert hashes == [hashlib.sha256(raw.encode()).hexdigest()]


@pytest.mark.parametrize(("who", "home"), [("S1", "/team"), ("ADM", "/admin")])
def test_each_role_lands_on_its_page(client, who, home):
    assert login(client, who).headers["location"] == home


def test_wrong_password_is_refused_in_chinese_without_a_session(client, db_url):
    r = login(client, "A1", "wrong password!")
    assert r.status_code == 401
    assert messages.LOGIN_INVALID in r.text
    assert SESSION_COOKIE not in client.cookies
    r = login(client, "nobody", PASSWORD)  # unknown id: the same answer
    assert r.status_code == 401 and messages.LOGIN_INVALID in r.text
    with open_session(db_url) as s:
        assert s.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_five_failures_block_even_the_right_password(client):
    for _ in range(5):
        assert login(client, "A1", "wrong password!").status_code == 401
    r = login(client, "A1", PASSWORD)
    assert r.status_code == 429
    assert messages.LOGIN_RATE_LIMITED in r.text
    assert SESSION_COOKIE not in client.cookies


def test_failures_from_one_address_block_other_ids_too(client):
    for i in range(5):
        assert login(client, f"guess{i}", "wrong password!").status_code == 401
    assert login(client, "A2", PASSWORD).status_code == 429


def test_failures_older_than_the_window_do_not_count(client, db_url):
    for _ in range(5):
        login(client, "A1", "wrong password!")
    with open_session(db_url) as s, s.begin():
        s.execute(update(LoginAttempt).values(at=datetime.now(UTC) - timedelta(minutes=16)))
    assert login(client, "A1").status_code == 303


def test_logout_deletes_the_session(client, db_url):
    login(client, "A1")
    old = client.cookies[SESSION_COOKIE]
    token = token_of(client.get("/me").text)
    r = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    with open_session(db_url) as s:
        assert s.scalar(select(func.count()).select_from(StaffSession)) == 0
    client.cookies.set(SESSION_COOKIE, old)  # replaying the old cookie does not log in
    r = client.get("/me", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fme"


def test_expired_session_redirects_to_login(client, db_url):
    login(client, "A1")
    with open_session(db_url) as s, s.begin():
        s.execute(update(StaffSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert client.get("/me", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_posts_without_the_right_csrf_token_get_403(client, token):
    login(client, "A1")
    data = {} if token is None else {"csrf_token": token}
    r = client.post("/logout", data=data, follow_redirects=False)
    assert r.status_code == 403 and messages.CSRF_FAILED in r.text
    assert client.get("/me").status_code == 200  # still logged in
    client.get("/login")  # a fresh login cookie, but the token sent is not its token
    r = client.post("/login", data={"login_id": "A2", "password": PASSWORD, **data}, follow_redirects=False)
    assert r.status_code == 403 and messages.CSRF_FAILED in r.text


def test_login_token_of_another_browser_is_refused(client, db_url):
    token = token_of(client.get("/login").text)
    with app_client(db_url) as other:
        other.get("/login")
        r = other.post("/login", data={"login_id": "A1", "password": PASSWORD, "csrf_token": token},
                       follow_redirects=False)
    assert r.status_code == 403


@pytest.mark.parametrize(("who", "path", "status"), [
    ("A1", "/me", 200), ("A1", "/team", 403), ("A1", "/admin", 403),
    ("S1", "/team", 200), ("S1", "/admin", 403),
    ("ADM", "/admin", 200), ("ADM", "/team", 200),
])
def test_role_dependencies(client, who, path, status):
    login(client, who)
    r = client.get(path, follow_redirects=False)
    assert r.status_code == status
    if status == 403:
        assert messages.FORBIDDEN in r.text


def test_pages_need_a_login(client):
    for path in ("/", "/me", "/team", "/admin"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_next_is_kept_but_never_an_open_redirect(client):
    assert login(client, "S1", next="/team?period=2026-11").headers["location"] == "/team?period=2026-11"
    client.cookies.clear()
    assert login(client, "S1", next="//evil.example/x").headers["location"] == "/team"


def test_set_password_stores_salted_argon2id_hashes_and_the_password_works(client, db_url):
    with open_session(db_url) as s, s.begin():
        accounts.set_password(s, "A1", "new password 1", now=NOW)
        accounts.set_password(s, "A2", "new password 1", now=NOW)
    with open_session(db_url) as s:
        stored = [s.get(Account, a).password_hash for a in ("A1", "A2")]
    assert all(h.startswith("$argon2id$") and "new password" not in h for h in stored)
    assert stored[0] != stored[1]  # salted
    assert login(client, "A1", "new password 1").status_code == 303
    client.cookies.clear()
    assert login(client, "A2", PASSWORD).status_code == 401


def test_short_passwords_are_refused(db_url, tmp_path):
    seed(db_url, tmp_path)
    with open_session(db_url) as s, s.begin(), pytest.raises(accounts.PasswordTooWeak):
        accounts.set_password(s, "A1", "123456789", now=NOW)


def test_outside_development_cookies_are_secure_and_demo_accounts_refused(db_url, tmp_path):
    seed(db_url, tmp_path, demo=("A2",))
    with app_client(db_url, env="test", base_url="https://testserver") as c:
        r = login(c, "A1")
        assert r.status_code == 303
        cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
        assert "secure" in [p.strip().lower() for p in cookie.split(";")]
        c.cookies.clear()
        r = login(c, "A2")
        assert r.status_code == 403 and messages.LOGIN_DEMO_REFUSED in r.text
    with app_client(db_url) as dev:
        assert login(dev, "A2").status_code == 303  # allowed in development


def test_can_see_agent_matrix(db_url, tmp_path):
    seed(db_url, tmp_path)

    def user(agent_id, role):
        return StaffUser(agent_id, None, role, "t")

    expected = {
        ("A1", "agent"): {"A1"},
        ("S1", "supervisor"): {"S1", "A1", "A2"},
        ("S2", "supervisor"): {"S2", "B1"},
        ("ADM", "admin"): {"S1", "S2", "A1", "A2", "B1", "ADM"},
    }
    with open_session(db_url) as s:
        for (who, role), visible in expected.items():
            seen = {a for a in ("S1", "S2", "A1", "A2", "B1", "ADM") if can_see_agent(user(who, role), a, s)}
            assert seen == visible, who
            # The team table's batch form (one lookup for all rows) follows the same rule.
            assert visible_agents(user(who, role), ["S1", "S2", "A1", "A2", "B1", "ADM"], s) == visible, who
