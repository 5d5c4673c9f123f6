"""The demo logins printed by ``make run``: every role the demo seeds can be described (a reviewer crashed it)."""
from __future__ import annotations

from bot.demo.centre import DemoLogin, describe_logins
from bot.domain import Role


def test_every_role_is_described_with_its_id_name_and_team():
    logins = [DemoLogin(role=str(role), agent_id=f"{i}001", name=f"演示{i}", team="一组" if i % 2 else "")
              for i, role in enumerate(Role)]
    text = describe_logins(logins, "http://127.0.0.1:8000")
    assert text.splitlines()[0].startswith("demo logins at http://127.0.0.1:8000/login")
    for login in logins:
        assert any(login.role in line and login.agent_id in line and login.name in line for line in text.splitlines())
    assert "reviewer" in text
