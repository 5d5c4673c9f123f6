"""Test clients of the web app as a member of staff sees it: a session logged in through the real form."""
from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.staff_data import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the (first) form in a page."""
    m = _CSRF.search(html)
    assert m, "the page has no form with a CSRF token"
    return m.group(1)


def staff_client(app: FastAPI, who: str | None = None, password: str = PASSWORD) -> TestClient:
    """A client of ``app``, logged in as ``who`` through ``/login`` (anonymous when ``who`` is None)."""
    c = TestClient(app)
    if who:
        r = c.post("/login", data={"login_id": who, "password": password, "csrf_token": csrf_token(c.get("/login").text)},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
    return c
