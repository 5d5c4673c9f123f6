"""The review queue, adjudication, agreement and accounts pages over HTTP on SQLite and PostgreSQL.

Data: ``tests/staff_data.py`` (A1 has one model reason awaiting review: "不太满意", a 2) plus two
reviewers added through the accounts service.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.db.models import AuditLog, Reason
from bot.db.review import ReviewLabel
from bot.db.session import open_session
from bot.db.staff import Account
from bot.ops.stack import free_port
from bot.settings import Settings
from bot.staff import accounts
from bot.web import messages
from bot.web.app import create_app
from tests.staff_data import PASSWORD, build
from tests.web_clients import csrf_token as token
from tests.web_clients import staff_client


@pytest.fixture()
def centre(db_url, tmp_path):
    built = build(db_url, tmp_path)
    with open_session(db_url) as s, s.begin():
        for rid in ("R1", "R2"):
            assert accounts.do_add_staff(s, agent_id=rid, name=f"质检{rid}", role="reviewer", password=PASSWORD,
                                         actor="test", now=datetime.now(UTC)) is None
    settings = Settings(database_url=db_url, rasa_url=f"http://127.0.0.1:{free_port()}", env="development",
                        review_double_share=0.0)
    app = create_app(settings)

    def client(who: str | None = None) -> TestClient:
        return staff_client(app, who)

    return built, client



def test_who_may_reach_the_review_pages(centre):
    _, client = centre
    for who in ("A1", "S1"):
        c = client(who)
        for path in ("/review", "/review/agreement", "/review/adjudication", "/admin/accounts"):
            assert c.get(path).status_code == 403, (who, path)
    r1 = client("R1")
    assert r1.get("/review").status_code == 200 and r1.get("/review/agreement").status_code == 200
    assert r1.get("/review/adjudication").status_code == 403 and r1.get("/admin/accounts").status_code == 403
    assert r1.get("/admin").status_code == 403
    adm = client("ADM")
    assert all(adm.get(p).status_code == 200 for p in ("/review", "/review/adjudication", "/admin/accounts"))
    assert client().get("/review", follow_redirects=False).headers["location"].startswith("/login")
    # A reviewer lands on the queue after login.
    c = TestClient(client().app)
    r = c.post("/login", data={"login_id": "R2", "password": PASSWORD, "csrf_token": token(c.get("/login").text)},
               follow_redirects=False)
    assert r.headers["location"] == "/review"


def test_the_queue_shows_the_item_with_its_keys_and_a_label_decides_it(centre, db_url):
    built, client = centre
    c = client("R1")
    page = c.get("/review").text
    assert "不太满意" in page and "模型不确定" in page and "张三" in page
    for key, name in (("1", "员工态度"), ("0", "客户其他原因"), ("-", "无明确原因")):
        assert f'data-key="{key}"><kbd>{key}</kbd> <span class="cause-name">{name}</span>' in page
    assert f'name="reason_id" value="{built.a1_review_reason}"' in page
    assert '<script src="/static/review.js' in page
    # Evidence must be words the customer wrote: refused with a message, nothing stored.
    r = c.post("/review/label", data={"reason_id": built.a1_review_reason, "cause": "staff.attitude",
                                      "evidence": "编造的", "csrf_token": token(page)})
    assert messages.REVIEW_REFUSALS["evidence_not_in_text"] in r.text
    r = c.post("/review/label", data={"reason_id": built.a1_review_reason, "cause": "staff.attitude",
                                      "evidence": "不太满意", "note": "语气", "csrf_token": token(page)},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/review?done=decided"
    assert messages.REVIEW_OUTCOMES["decided"] in c.get(r.headers["location"]).text
    with open_session(db_url) as s:
        newest = s.scalars(select(Reason).order_by(Reason.id.desc())).first()
        assert (newest.source, newest.cause, newest.evidence, newest.supersedes_id) == \
            ("reviewer", "staff.attitude", "不太满意", built.a1_review_reason)
    # The item is decided: a second label is refused with a message (the page shows the next item).
    r = c.post("/review/label", data={"reason_id": built.a1_review_reason, "cause": "none", "evidence": "编造的",
                                      "csrf_token": token(page)})
    assert messages.REVIEW_REFUSALS["gone"] in r.text


def test_every_review_and_account_form_refuses_a_missing_csrf_token(centre, db_url):
    built, client = centre
    adm = client("ADM")
    forms = [
        ("/review/label", {"reason_id": built.a1_review_reason, "cause": "staff.attitude"}),
        ("/review/skip", {"reason_id": built.a1_review_reason}),
        ("/review/bulk-confirm", {}),
        ("/review/adjudicate", {"reason_id": built.a1_review_reason, "cause": "none"}),
        ("/admin/accounts/add", {"agent_id": "N1", "name": "新人", "role": "agent", "password": PASSWORD}),
        ("/admin/accounts/role", {"agent_id": "A1", "role": "admin"}),
        ("/admin/accounts/disabled", {"agent_id": "A1", "disabled": "1"}),
        ("/admin/accounts/password", {"agent_id": "A1", "password": "another password 9"}),
    ]
    for path, data in forms:
        for sent in ({}, {"csrf_token": "forged"}):
            r = adm.post(path, data={**data, **sent})
            assert r.status_code == 403 and messages.CSRF_FAILED in r.text, path
    with open_session(db_url) as s:
        assert s.scalars(select(ReviewLabel)).all() == []
        assert s.scalar(select(Reason.source).order_by(Reason.id.desc()).limit(1)) != "reviewer"
        assert s.get(Account, "N1") is None and not s.get(Account, "A1").disabled


def test_bulk_confirm_labels_the_filtered_list_with_the_model_guess(centre, db_url):
    built, client = centre
    c = client("R2")
    page = c.get("/review?source=model").text
    r = c.post("/review/bulk-confirm", data={"source": "model", "csrf_token": token(page)}, follow_redirects=False)
    assert r.status_code == 303
    assert "批量确认完成：1 条已生效" in c.get(r.headers["location"]).text
    with open_session(db_url) as s:
        newest = s.scalars(select(Reason).order_by(Reason.id.desc())).first()
        assert (newest.source, newest.cause, newest.supersedes_id) == \
            ("reviewer", "staff.resolution", built.a1_review_reason)
        assert s.scalars(select(AuditLog).where(AuditLog.action == "reviewed")).one().actor == "reviewer:R2"


def test_accounts_page_adds_disables_and_sets_roles_with_audit_rows(centre, db_url):
    _, client = centre
    adm = client("ADM")
    page = adm.get("/admin/accounts").text
    assert "质检R1" in page and "质检员" in page
    t = token(page)
    r = adm.post("/admin/accounts/add", data={"agent_id": "R3", "name": "周质检", "role": "reviewer",
                                              "password": "short", "csrf_token": t})
    assert messages.ACCOUNT_REFUSALS["weak_password"] in r.text
    r = adm.post("/admin/accounts/add", data={"agent_id": "R3", "name": "周质检", "role": "reviewer",
                                              "password": PASSWORD, "csrf_token": t})
    assert messages.ACCOUNT_DONE in r.text and "周质检" in r.text
    r3 = client("R3")
    assert r3.get("/review").status_code == 200
    r = adm.post("/admin/accounts/disabled", data={"agent_id": "R3", "disabled": "1", "csrf_token": t})
    assert "已停用" in r.text
    assert r3.get("/review", follow_redirects=False).status_code == 303  # the session ended
    fresh = TestClient(adm.app)
    r = fresh.post("/login", data={"login_id": "R3", "password": PASSWORD,
                                   "csrf_token": token(fresh.get("/login").text)})
    assert messages.LOGIN_DISABLED in r.text
    adm.post("/admin/accounts/disabled", data={"agent_id": "R3", "disabled": "0", "csrf_token": t})
    adm.post("/admin/accounts/role", data={"agent_id": "R3", "role": "supervisor", "csrf_token": t})
    r = adm.post("/admin/accounts/role", data={"agent_id": "ADM", "role": "agent", "csrf_token": t})
    assert messages.ACCOUNT_REFUSALS["self"] in r.text
    with open_session(db_url) as s:
        actions = [(a.entity, a.action) for a in s.scalars(select(AuditLog).where(AuditLog.actor == "admin:ADM")
                                                           .order_by(AuditLog.id))]
        assert actions == [("agent", "created"), ("account", "created"), ("account", "disabled"),
                           ("account", "enabled"), ("agent", "role_changed")]
    assert client("R3").get("/review").status_code == 403  # a supervisor now
