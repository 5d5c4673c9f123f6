"""Over HTTP (the app in process), SQLite and PostgreSQL: the owners page's authorisation and CSRF, the inbox of
every role, and an appeal filed by an agent arriving at a local WeCom webhook server.

Data: the staff centre of ``tests/staff_data.py`` (S1 supervises A1 in 一组, ADM is the admin).
"""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.db.cases import Notification
from bot.db.jobs import JobRun
from bot.db.notifications import CauseOwner, Delivery
from bot.db.session import open_session
from bot.domain import JobStatus
from bot.jobs.runner import build_runner
from bot.ops.stack import free_port
from bot.settings import Settings
from bot.web.app import create_app
from tests.notifications.recorders import webhook_server
from tests.staff_data import build
from tests.web_clients import csrf_token as token
from tests.web_clients import staff_client

OWNER_FORM = {"cause": "company.product", "department": "产品运营部", "emails": "ops@example.com, pm@example.com",
              "webhook_kind": "dingtalk", "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=T0KEN",
              "webhook_secret": "SECsecretvalue"}


@pytest.fixture()
def site(db_url, tmp_path):
    built = build(db_url, tmp_path)
    hook_ctx = webhook_server()
    hook = hook_ctx.__enter__()
    settings = Settings(database_url_override=db_url, rasa_url=f"http://127.0.0.1:{free_port()}",
                        public_base_url="https://qa.centre.example", notify_wecom_webhook=f"{hook.url}/wecom?key=K",
                        jobs_sqlite_path_override=tmp_path / "jobs.sqlite3")
    app = create_app(settings)

    def client(who: str) -> TestClient:
        return staff_client(app, who)

    yield db_url, client, built, hook, settings
    hook_ctx.__exit__(None, None, None)


def _owner(db_url: str) -> CauseOwner | None:
    with open_session(db_url) as s:
        return s.get(CauseOwner, "company.product")


def test_the_owners_page_is_the_admins_and_every_form_needs_its_csrf_token(site):
    db_url, client, _, _, _ = site
    for who in ("A1", "S1"):
        c = client(who)
        assert c.get("/admin/owners").status_code == 403
        r = c.post("/admin/owners/set", data={**OWNER_FORM, "csrf_token": token(c.get("/me" if who == "A1" else
                                                                                     "/team").text)})
        assert r.status_code == 403
    adm = client("ADM")
    assert adm.post("/admin/owners/set", data=OWNER_FORM).status_code == 403  # no token
    assert adm.post("/admin/owners/set", data={**OWNER_FORM, "csrf_token": "forged"}).status_code == 403
    assert _owner(db_url) is None

    page = adm.get("/admin/owners")
    assert page.status_code == 200 and "非服务原因负责人" in page.text and "产品与价格" in page.text
    assert "员工态度" not in page.text.split("</header>")[1]  # staff causes have no owner: they are the agent's
    r = adm.post("/admin/owners/set", data={**OWNER_FORM, "csrf_token": token(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and "done=saved" in r.headers["location"]
    owner = _owner(db_url)
    assert owner is not None
    assert (owner.department, owner.emails, owner.webhook_kind, owner.webhook_secret) == (
        "产品运营部", "ops@example.com,pm@example.com", "dingtalk", "SECsecretvalue")
    shown = adm.get("/admin/owners").text
    assert "产品运营部" in shown and "已加签" in shown and "SECsecretvalue" not in shown

    r = adm.post("/admin/owners/set", data={**OWNER_FORM, "emails": "not-an-address", "csrf_token": token(shown)})
    assert r.status_code == 200 and "邮箱地址格式不对" in r.text and 'value="not-an-address"' in r.text
    r = adm.post("/admin/owners/set", data={**OWNER_FORM, "cause": "staff.attitude", "csrf_token": token(shown)})
    assert "只能为非服务原因指定负责人" in r.text
    r = adm.post("/admin/owners/set", data={**OWNER_FORM, "department": "产品\x00部", "csrf_token": token(shown)})
    assert r.status_code == 200 and "控制字符" in r.text  # PostgreSQL refuses NUL: a message, never a 500
    assert _owner(db_url).emails == "ops@example.com,pm@example.com"  # refused forms changed nothing

    assert adm.post("/admin/owners/remove", data={"cause": "company.product"}).status_code == 403
    assert _owner(db_url) is not None
    adm.post("/admin/owners/remove", data={"cause": "company.product", "csrf_token": token(shown)})
    assert _owner(db_url) is None


def test_an_appeal_filed_reaches_the_local_webhook_and_each_persons_inbox(site):
    db_url, client, built, hook, settings = site
    a1 = client("A1")
    r = a1.post("/me/appeals", data={"reason_id": str(built.a1_attitude_reason), "text": "我一直很耐心，是客户在骂人",
                                     "csrf_token": token(a1.get("/me").text)}, follow_redirects=False)
    assert r.status_code == 303 and "notice=appeal" in r.headers["location"]
    with open_session(db_url) as s:
        appeal_id = s.scalar(select(Notification.appeal_id).where(Notification.agent_id == "S1"))
        assert appeal_id is not None
        assert s.scalar(select(Delivery.status).where(Delivery.channel == "wecom")) == "queued"

    # The worker's job, run by the job runner (in process): WeCom is configured, DingTalk and e-mail are not.
    run_id = build_runner(settings, immediate=True).enqueue("deliver_notifications")
    with open_session(db_url) as s:
        assert s.get(JobRun, run_id).status == JobStatus.SUCCEEDED
        assert sorted(s.scalars(select(Delivery.status))) == ["sent", "skipped", "skipped"]
    [got] = hook.received
    content = got.body["markdown"]["content"]
    assert got.body["msgtype"] == "markdown" and got.query == {"key": ["K"]}
    assert f"申诉 #{appeal_id} 等待你决定" in content
    assert f"https://qa.centre.example/appeals/{appeal_id}" in content
    for private in ("态度很差", "打断我", "是客户在骂人", "张三", "A1"):  # customer's and agent's words, the agent
        assert private not in content

    # The supervisor's inbox: the badge, the entry, its link to the appeal; opening it reads it.
    s1 = client("S1")
    team = s1.get("/team").text
    assert re.search(r'<a href="/inbox">提醒 <span class="badge"[^>]*>1</span>', team)
    page = s1.get("/inbox").text
    entry_id = int(re.search(r'href="/inbox/(\d+)"', page).group(1))
    assert f"申诉 #{appeal_id} 等待你决定" in page and "待决定申诉" in page
    assert client("A2").get(f"/inbox/{entry_id}", follow_redirects=False).status_code == 404  # not A2's
    assert s1.get(f"/inbox/{2**31}").status_code == 422 and s1.get("/inbox/0").status_code == 422  # never a 500
    r = s1.get(f"/inbox/{entry_id}", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"/appeals/{appeal_id}")
    assert 'class="badge"' not in s1.get("/inbox").text

    # The decision reaches the agent's inbox, and opening the appeal marks it read.
    appeal_page = s1.get(f"/appeals/{appeal_id}").text
    s1.post(f"/appeals/{appeal_id}/decide", data={"outcome": "reject", "note": "录音里确实打断了客户",
                                                  "csrf_token": token(appeal_page)})
    mine = a1.get("/inbox").text
    assert f"你的申诉 #{appeal_id} 已有结果：申诉未成立" in mine and "申诉结果" in mine
    a1.get(f"/appeals/{appeal_id}")
    assert 'class="badge"' not in a1.get("/inbox").text


def test_read_all_needs_its_csrf_token(site):
    db_url, client, built, _, _ = site
    a1 = client("A1")
    a1.post("/me/appeals", data={"reason_id": str(built.a1_attitude_reason), "text": "申诉理由",
                                 "csrf_token": token(a1.get("/me").text)})
    s1 = client("S1")
    assert s1.post("/inbox/read-all").status_code == 403
    assert 'class="badge"' in s1.get("/inbox").text
    r = s1.post("/inbox/read-all", data={"csrf_token": token(s1.get("/inbox").text)}, follow_redirects=False)
    assert r.status_code == 303
    assert 'class="badge"' not in s1.get("/inbox").text and "已全部标为已读" in s1.get("/inbox?done=1").text
