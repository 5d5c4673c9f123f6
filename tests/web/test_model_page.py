"""The admin's model page: who may see it, training and promotion queued on the job runner, rollback recorded."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.db.jobs import JobRun
from bot.db.session import open_session
from bot.ops.stack import free_port
from bot.settings import Settings
from bot.web.app import create_app
from tests.staff_data import PASSWORD, build


@pytest.fixture()
def admin_client(db_url, tmp_path):
    build(db_url, tmp_path)
    settings = Settings(database_url=db_url, rasa_url=f"http://127.0.0.1:{free_port()}", env="development",
                        jobs_sqlite_path_override=tmp_path / "jobs.sqlite3")
    app = create_app(settings)

    def login(who: str) -> TestClient:
        c = TestClient(app)
        r = c.post("/login", data={"login_id": who, "password": PASSWORD, "csrf_token": _token(c.get("/login").text)},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
        return c

    return login


def _token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m
    return m.group(1)


def test_only_an_admin_sees_the_model_page(admin_client):
    assert admin_client("A1").get("/admin/model", follow_redirects=False).status_code == 403
    assert admin_client("S1").get("/admin/model", follow_redirects=False).status_code == 403
    page = admin_client("ADM").get("/admin/model")
    assert page.status_code == 200 and "用人工标注重新训练" in page.text and "上线历史" in page.text


def test_training_is_queued_with_csrf_and_refused_without(admin_client, db_url):
    c = admin_client("ADM")
    assert c.post("/admin/model/train", follow_redirects=False).status_code == 403
    r = c.post("/admin/model/train", data={"csrf_token": _token(c.get("/admin/model").text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/model?notice=train"
    with open_session(db_url) as s:
        runs = s.scalars(select(JobRun).where(JobRun.job == "train_classifier")).all()
    assert [r.status for r in runs] == ["queued"]
    assert "已排队重新训练" in c.get("/admin/model?notice=train").text


def test_a_forced_promotion_needs_a_written_reason(admin_client, db_url):
    c = admin_client("ADM")
    csrf = _token(c.get("/admin/model").text)
    r = c.post("/admin/model/promote", data={"csrf_token": csrf, "version": "20261207T000000Z-deadbeef",
                                             "force": "true", "why": "  "}, follow_redirects=False)
    assert r.headers["location"] == "/admin/model?notice=why"
    with open_session(db_url) as s:
        assert not s.scalars(select(JobRun).where(JobRun.job == "promote_classifier")).all()
