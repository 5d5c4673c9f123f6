"""The demo centre: loaded through the real import path, idempotent, refused outside development."""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.clock import as_utc, utcnow
from bot.db.cases import RUNNING, Case, Notification
from bot.db.models import Agent, AuditLog, Call, Rating, Reason
from bot.db.notifications import CauseOwner
from bot.db.session import open_session
from bot.db.staff import Account, Appeal, AppealPanelist, Team
from bot.demo import centre
from bot.domain import CAUSES
from bot.ledger import counting
from bot.settings import Settings
from bot.staff import accounts
from bot.web.app import create_app


def _client(app, login_id: str) -> TestClient:
    c = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"login_id": login_id, "password": centre.DEMO_PASSWORD, "csrf_token": token},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def the_loop_is_there(settings: Settings) -> None:
    """Open appeals (one with a blind panel), cases at every level (one with a regulator's clock), a review
    queue; and the pages of the demo logins show them."""
    with open_session(settings.database_url) as s:
        open_appeals = s.scalars(select(Appeal).where(Appeal.status == "open")).all()
        assert len(open_appeals) == 3
        [panel] = [a for a in open_appeals if a.mode == "panel"]
        panelists = list(s.scalars(select(AppealPanelist.reviewer_id).where(AppealPanelist.appeal_id == panel.id)))
        running = s.scalars(select(Case).where(Case.status.in_(RUNNING))).all()
        assert {c.level for c in running} == {0, 1, 2}
        assert any(c.regulator for c in running)
        assert s.scalar(select(func.count()).select_from(Case).where(Case.status == "resolved")) > 0
    app = create_app(settings)
    review = _client(app, "8001").get("/review").text
    waiting = int(re.search(r"共 (\d+) 条待处理", review).group(1))
    assert waiting > 0 and 'name="reason_id"' in review
    for login_id in {"9001", "9003"} | set(panelists):  # each supervisor-mode team's supervisor; the panel
        page = _client(app, login_id).get("/appeals").text
        assert re.search(r'href="/appeals/\d+"', page), login_id
    admin_cases = _client(app, "admin").get("/cases").text
    assert len(re.findall(r'href="/cases/\d+"', admin_cases)) >= 2
    supervisor_cases = [_client(app, sup).get("/cases").text for sup in ("9001", "9002", "9003")]
    assert any(re.search(r'href="/cases/\d+"', page) for page in supervisor_cases)


def test_demo_centre_loads_once_and_covers_every_cause(sqlite_url):
    settings = Settings(database_url=sqlite_url)
    logins = centre.load(settings, progress=False)
    assert {d.role for d in logins} == {"admin", "reviewer", "supervisor", "agent"}
    with open_session(sqlite_url) as s:
        assert s.scalar(select(func.count()).select_from(Team)) == 3
        assert s.scalar(select(func.count()).select_from(Agent).where(Agent.role == "agent")) == 12
        assert s.scalar(select(func.count()).select_from(Agent).where(Agent.role == "supervisor")) == 3
        calls = s.scalar(select(func.count()).select_from(Call))
        assert calls >= 60 * 9  # 60 days (11 calls a weekend day at least)
        first = s.scalar(select(func.min(Call.ended_at)))
        # 近30天 and the 30 days before it, whole local days: counted in the centre's zone (in UTC, a load just
        # after local midnight made 58.6 days of 60 whole ones).
        zone = ZoneInfo(settings.timezone)
        assert (utcnow().astimezone(zone).date() - as_utc(first).astimezone(zone).date()).days >= 59
        assert s.scalar(select(func.count()).select_from(Call).where(Call.team_id.is_(None))) == 0
        causes = set(s.scalars(select(Reason.cause).join(Rating).where(counting.is_counted_rating(),
                                                                          counting.is_current_reason())))
        assert causes == set(CAUSES)
        assert all(s.scalars(select(Account.is_demo)))
        # Owners of the non-staff causes, and last week's digest in the admin's inbox (one per department).
        assert {o.cause: o.department for o in s.scalars(select(CauseOwner))} == {
            c: d for c, (d, _) in centre.DEMO_OWNERS.items()}
        assert s.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "digest")) == 5
        before = {m.__name__: s.scalar(select(func.count()).select_from(m)) for m in (Call, Rating, Reason, AuditLog,
                                                                                   Notification, CauseOwner, Appeal, Case)}
    centre.load(settings, progress=False)
    with open_session(sqlite_url) as s:
        after = {m.__name__: s.scalar(select(func.count()).select_from(m))
                 for m in (Call, Rating, Reason, AuditLog, Notification, CauseOwner, Appeal, Case)}
    assert after == before
    # Demo passwords work in development only.
    with open_session(sqlite_url) as s:
        ok = accounts.do_login(s, "9001", centre.DEMO_PASSWORD, client="t", now=utcnow(), allow_demo=True)
        refused = accounts.do_login(s, "9001", centre.DEMO_PASSWORD, client="t", now=utcnow(), allow_demo=False)
    assert ok.session_id and refused.refusal == accounts.LoginRefusal.DEMO_OUTSIDE_DEVELOPMENT
    # Last: the web app's threads (the classifier's loader) must not exist when the import forks its workers.
    the_loop_is_there(settings)


def test_demo_centre_is_refused_outside_development(sqlite_url):
    settings = Settings(database_url=sqlite_url, env="test", integration_token="x" * 20, session_secret="y" * 20,
                        action_server_token="z" * 20)
    with pytest.raises(centre.DemoRefused):
        centre.load(settings, progress=False)
