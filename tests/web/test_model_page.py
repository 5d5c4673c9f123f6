"""The admin's model page: who may see it, training and promotion queued on the job runner, rollback recorded."""
from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.db.jobs import JobRun
from bot.db.session import open_session
from bot.ops.stack import free_port
from bot.settings import Settings
from bot.web.app import create_app
from tests.staff_data import build
from tests.web_clients import csrf_token as _token
from tests.web_clients import staff_client


@pytest.fixture()
def admin_client(db_url, tmp_path):
    build(db_url, tmp_path)
    settings = Settings(database_url=db_url, rasa_url=f"http://127.0.0.1:{free_port()}", env="development",
                        jobs_sqlite_path_override=tmp_path / "jobs.sqlite3")
    app = create_app(settings)

    def login(who: str) -> TestClient:
        return staff_client(app, who)

    return login



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


def _promoted() -> str:
    from classifiers import registry

    version = registry.read_current_file(Settings.from_env({}).model_dir)
    if not version:
        pytest.fail("no promoted model: run `feedbackbot classifier ensure`", pytrace=False)
    return version


def test_a_version_page_is_only_for_versions_of_the_store(admin_client):
    c = admin_client("ADM")
    for bad in ("20261207T000000Z-deadbeef", "..%2F..%2Fetc", "latest"):
        assert c.get(f"/admin/model/versions/{bad}").status_code == 404, bad
    page = c.get(f"/admin/model/versions/{_promoted()}")
    assert page.status_code == 200 and "还没有与当前版本比较过" in page.text
    card = json.loads((Settings.from_env({}).model_dir / _promoted() / "datacard.json").read_text(encoding="utf-8"))
    assert f"语料 {card['corpus']['items']} 条" in page.text and card["corpus"]["data_hash"][:12] in page.text
    assert admin_client("S1").get(f"/admin/model/versions/{_promoted()}", follow_redirects=False).status_code == 403


def test_reattribution_is_previewed_then_applied_once_and_refused_when_stale(admin_client, db_url):
    from datetime import UTC, datetime, timedelta

    c = admin_client("ADM")
    version = _promoted()
    bad = c.get(f"/admin/model/reattribution?version={version}&period=2026-13")
    assert bad.status_code == 422 and "时段格式不对" in bad.text
    assert "没有这个版本" in c.get("/admin/model/reattribution?version=x&period=2026-11").text
    # The built centre's calls end 1–12 days ago: a range of the last two weeks holds them all.
    today = datetime.now(UTC).date()
    period = f"{today - timedelta(days=14)}..{today}"
    page = c.get(f"/admin/model/reattribution?version={version}&period={period}")
    assert page.status_code == 200
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', page.text)
    csrf = _token(page.text)
    # The built centre's "不太满意" was stored as the agent's unresolved problem; the model would ask: a change.
    assert digest is not None and "不太满意" in page.text, page.text
    stale = c.post("/admin/model/reattribution", data={"csrf_token": csrf, "version": version, "period": period,
                                                       "digest": "0" * 32}, follow_redirects=False)
    assert "notice=stale" in stale.headers["location"]
    done = c.post("/admin/model/reattribution", data={"csrf_token": csrf, "version": version, "period": period,
                                                      "digest": digest.group(1)})
    assert "已应用" in done.text and "不会改变该时段的任何模型归因" in done.text
    with open_session(db_url) as s:
        from bot.db.models import AuditLog

        steps = s.scalars(select(AuditLog).where(AuditLog.entity == "reattribution")).all()
    assert [(a.actor, a.action) for a in steps] == [("admin:ADM", "applied")]
