"""Security headers on every answer, errors included, and ``Cache-Control: no-store`` on staff pages and exports.

A 500 leaves through Starlette's outermost middleware, outside the one that
adds the headers: it is forced here through a route that raises (in-process)
and through a broken database behind the real server.
"""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from bot.db.connection import make_engine
from bot.ops.stack import free_port
from bot.settings import Settings
from bot.web import messages
from bot.web.app import create_app
from bot.web.security import SECURITY_HEADERS

SECRET = "internal detail the client must not see"


def _assert_headers(r, *, cache: str | None = "no-store") -> None:
    for name, value in SECURITY_HEADERS:
        assert r.headers.get(name.decode()) == value.decode(), (r.request.url, name)
    assert r.headers.get("cache-control") == cache, r.request.url


@pytest.mark.parametrize("path", ["/boom", "/api/boom"])
def test_a_500_from_a_route_that_raises_carries_the_security_headers(db_url, path):
    app = create_app(Settings(database_url=db_url, rasa_url=f"http://127.0.0.1:{free_port()}"))

    @app.get(path)
    def boom():
        raise RuntimeError(SECRET)

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get(path)
    assert r.status_code == 500
    _assert_headers(r)
    assert SECRET not in r.text
    if path.startswith("/api"):
        assert r.json() == {"detail": "internal server error"}
    else:
        assert messages.SERVER_ERROR in r.text


def test_a_500_of_the_real_server_carries_the_security_headers(server):
    browser = server.logged_in("A1")
    engine = make_engine(server.stack.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE staff_sessions RENAME TO staff_sessions_away"))
        r = browser.get("/me")
        assert r.status_code == 500
        _assert_headers(r)
        assert "staff_sessions" not in r.text
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE staff_sessions_away RENAME TO staff_sessions"))
        engine.dispose()


def test_404_405_and_422_carry_the_security_headers(server):
    c = server.client()
    for method, path, status in (("GET", "/nowhere", 404), ("DELETE", "/login", 405), ("PUT", "/api/calls", 405),
                                 ("GET", "/s/%00", 404)):
        r = c.request(method, path)
        assert r.status_code == status, (method, path, r.status_code)
        _assert_headers(r)
    r = c.post("/api/calls", json={"call_id": "x"}, headers={"Authorization": "Bearer dev-integration-token"})
    assert r.status_code == 422
    _assert_headers(r)


def test_staff_pages_exports_and_the_login_page_are_never_cached(server):
    anonymous = server.client()
    _assert_headers(anonymous.get("/login"))
    admin = server.logged_in("ADM")
    for path in ("/team", "/admin", "/team/agent/A1", "/team?team=一组", "/export/kpi?format=csv",
                 "/export/feedback?agent=A1&format=xlsx", "/export/causes?format=csv"):
        r = admin.get(path)
        assert r.status_code == 200, path
        _assert_headers(r)
    _assert_headers(server.logged_in("A1").get("/me"))
    # Our own static files may be cached (they hold nothing of anyone's).
    r = anonymous.get("/static/staff.css")
    assert r.status_code == 200
    _assert_headers(r, cache=None)
