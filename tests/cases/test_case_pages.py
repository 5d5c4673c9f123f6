"""The case pages over HTTP on SQLite and PostgreSQL: who sees which case, the forms, CSRF, the inbox count."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases import workflow
from bot.db.cases import Case
from bot.db.connection import engine_for
from bot.db.staff import Account
from bot.ops.stack import free_port
from bot.settings import Settings
from bot.web.app import create_app
from tests.cases.case_data import complain, seed_roster
from tests.staff_data import password_hash
from tests.web_clients import csrf_token as token
from tests.web_clients import staff_client

PLAIN = "客服一直打断我说话，我要投诉她"
REGULATOR = "1分，我要去12315投诉你们"
SUPERVISOR_CALL = "你们主管亲自接的电话也这么敷衍，我要投诉"


@pytest.fixture()
def centre(db_url, tmp_path):
    seed_roster(db_url, tmp_path)
    now = datetime.now(UTC)
    with Session(engine_for(db_url)) as s, s.begin():
        for agent_id in ("S1", "S2", "A1", "ADM"):
            s.add(Account(agent_id=agent_id, password_hash=password_hash(), updated_at=now))
    complain(db_url, "p-plain", "A1", PLAIN, now - timedelta(hours=30))  # 班组长's 24 h passed 6 h ago
    complain(db_url, "p-reg", "A1", REGULATOR, now - timedelta(hours=1))
    complain(db_url, "p-sup", "S2", SUPERVISOR_CALL, now - timedelta(hours=2))
    with Session(engine_for(db_url)) as s, s.begin():
        workflow.do_open_cases_for_new_flags(s, now)
    with Session(engine_for(db_url)) as s:
        ids = {c.credited_agent_id + ("-reg" if c.regulator else ""): c.id for c in s.scalars(select(Case))}
    app = create_app(Settings(database_url=db_url, rasa_url=f"http://127.0.0.1:{free_port()}", env="development"))

    def client(who: str) -> TestClient:
        return staff_client(app, who)

    return ids, client, db_url



def status(url: str, case_id: int) -> str:
    with Session(engine_for(url)) as s:
        return s.get(Case, case_id).status


def test_an_agent_sees_no_case_not_even_about_themselves(centre):
    ids, client, _ = centre
    c = client("A1")
    assert c.get("/cases").status_code == 403
    for case_id in ids.values():
        assert c.get(f"/cases/{case_id}").status_code == 403
    assert "投诉案件" not in c.get("/me").text  # no link in the agent's navigation


def test_supervisor_sees_their_team_overdue_first_with_both_clocks_and_never_a_case_about_themselves(centre):
    ids, client, _ = centre
    s1 = client("S1")
    page = s1.get("/cases").text
    assert f'href="/cases/{ids["A1"]}"' in page and f'href="/cases/{ids["A1-reg"]}"' in page
    assert f'/cases/{ids["S2"]}"' not in page
    assert page.index(f'/cases/{ids["A1"]}"') < page.index(f'/cases/{ids["A1-reg"]}"')  # the overdue one first
    assert "已超时" in page and "班组长" in page and "中心经理" in page
    assert re.search(r"12315：\d{4}年\d{1,2}月\d{1,2}日", page) and "个工作日" in page
    s2 = client("S2")
    assert s2.get(f"/cases/{ids['A1']}").status_code == 403  # another team's case
    assert s2.get(f"/cases/{ids['S2']}").status_code == 403  # the case about S2's own call
    assert f'/cases/{ids["S2"]}"' not in s2.get("/cases").text
    admin = client("ADM")
    assert all(f'/cases/{i}"' in admin.get("/cases").text for i in ids.values())
    assert admin.get("/cases/999999").status_code == 404


def test_case_page_shows_the_words_the_steps_and_marks_the_inbox_read(centre):
    ids, client, _ = centre
    s1 = client("S1")
    assert re.search(r'<span class="badge"[^>]*>1</span>', s1.get("/cases").text)  # the assignment of the plain case
    page = s1.get(f"/cases/{ids['A1']}").text
    assert PLAIN in page and "立案" in page and "王主管" in page and "受理" in page
    assert 'class="badge"' not in s1.get("/cases").text
    reg_page = s1.get(f"/cases/{ids['A1-reg']}").text
    assert REGULATOR in reg_page and "客户提到监管部门，提高一级立案" in reg_page
    assert 'action="/cases/' not in reg_page  # the admins' case: S1 sees it but has no forms


def test_forms_refuse_a_missing_csrf_token_and_act_with_it(centre):
    ids, client, url = centre
    s1 = client("S1")
    case_id = ids["A1"]
    csrf = token(s1.get(f"/cases/{case_id}").text)
    assert s1.post(f"/cases/{case_id}/acknowledge", data={}).status_code == 403
    assert s1.post(f"/cases/{case_id}/answer", data={"note": "已回电"}).status_code == 403
    assert status(url, case_id) == "open"
    r = s1.post(f"/cases/{case_id}/acknowledge", data={"csrf_token": csrf}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"/cases/{case_id}?done=acknowledge")
    assert status(url, case_id) == "acknowledged"
    r = s1.post(f"/cases/{case_id}/answer", data={"csrf_token": csrf, "note": "已回电客户道歉，明天复核录音"})
    assert "回复已保存。" in r.text and "已回电客户道歉，明天复核录音" in r.text
    assert status(url, case_id) == "answered"
    r = s1.post(f"/cases/{ids['A1-reg']}/resolve", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.headers["location"] == f"/cases/{ids['A1-reg']}?refused=not_handler"
    assert status(url, ids["A1-reg"]) == "open"
    a1 = client("A1")
    assert a1.post(f"/cases/{case_id}/resolve", data={"csrf_token": token(a1.get("/me").text)}).status_code == 403
