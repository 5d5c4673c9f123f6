"""The demo centre: loaded through the real import path, idempotent, refused outside development."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.clock import utcnow
from bot.db.cases import Notification
from bot.db.models import Agent, AuditLog, Call, Rating, Reason
from bot.db.notifications import CauseOwner
from bot.db.session import open_session
from bot.db.staff import Account, Team
from bot.demo import centre
from bot.domain import CAUSES
from bot.ledger import counting
from bot.settings import Settings
from bot.staff import accounts


def test_demo_centre_loads_once_and_covers_every_cause(sqlite_url):
    settings = Settings(database_url=sqlite_url)
    logins = centre.load(settings, progress=False)
    assert {d.role for d in logins} == {"admin", "supervisor", "agent"}
    with open_session(sqlite_url) as s:
        assert s.scalar(select(func.count()).select_from(Team)) == 3
        assert s.scalar(select(func.count()).select_from(Agent).where(Agent.role == "agent")) == 12
        assert s.scalar(select(func.count()).select_from(Agent).where(Agent.role == "supervisor")) == 3
        calls = s.scalar(select(func.count()).select_from(Call))
        assert calls >= 300  # last full month at least
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
                                                                                   Notification, CauseOwner)}
    centre.load(settings, progress=False)
    with open_session(sqlite_url) as s:
        after = {m.__name__: s.scalar(select(func.count()).select_from(m))
                 for m in (Call, Rating, Reason, AuditLog, Notification, CauseOwner)}
    assert after == before
    # Demo passwords work in development only.
    with open_session(sqlite_url) as s:
        ok = accounts.do_login(s, "9001", centre.DEMO_PASSWORD, client="t", now=utcnow(), allow_demo=True)
        refused = accounts.do_login(s, "9001", centre.DEMO_PASSWORD, client="t", now=utcnow(), allow_demo=False)
    assert ok.session_id and refused.refusal == accounts.LoginRefusal.DEMO_OUTSIDE_DEVELOPMENT


def test_demo_centre_is_refused_outside_development(sqlite_url):
    settings = Settings(database_url=sqlite_url, env="test", integration_token="x" * 20, session_secret="y" * 20,
                        action_server_token="z" * 20)
    with pytest.raises(centre.DemoRefused):
        centre.load(settings, progress=False)
