"""``feedbackbot owners`` in its own process, and the notification settings' refusals."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.db.notifications import CauseOwner
from bot.db.session import open_session
from bot.settings import ROOT, Settings, SettingsError

FEEDBACKBOT = Path(sys.executable).parent / "feedbackbot"


def _cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    return subprocess.run([str(FEEDBACKBOT), "owners", *args], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)


def test_owners_set_list_remove_from_the_command_line(sqlite_url):
    from bot.db.migrate import upgrade

    upgrade(sqlite_url)
    r = _cli(sqlite_url, "set", "company.system", "--department", "IT运维部", "--emails", "it@example.com",
             "--webhook-kind", "wecom", "--webhook-url", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETKEY")
    assert r.returncode == 0, r.stderr
    with open_session(sqlite_url) as s:
        owner = s.get(CauseOwner, "company.system")
        assert (owner.department, owner.emails, owner.webhook_kind, owner.updated_by) == (
            "IT运维部", "it@example.com", "wecom", "cli")
    listing = _cli(sqlite_url, "list").stdout
    assert "company.system" in listing and "IT运维部" in listing and "SECRETKEY" not in listing  # the key is a secret
    refused = _cli(sqlite_url, "set", "staff.attitude", "--department", "x", "--emails", "a@example.com")
    assert refused.returncode == 2 and "unknown_cause" in refused.stderr
    assert _cli(sqlite_url, "remove", "company.system").returncode == 0
    assert _cli(sqlite_url, "remove", "company.system").returncode == 1


@pytest.mark.parametrize("env, says", [
    ({"FEEDBACKBOT_NOTIFY_EMAIL_TO": "qa@example.com"}, "FEEDBACKBOT_SMTP_HOST"),
    ({"FEEDBACKBOT_SMTP_HOST": "smtp.example.com"}, "FEEDBACKBOT_SMTP_FROM"),
    ({"FEEDBACKBOT_NOTIFY_WECOM_WEBHOOK": "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}, "https://"),
    ({"FEEDBACKBOT_NOTIFY_DINGTALK_SECRET": "SECx"}, "FEEDBACKBOT_NOTIFY_DINGTALK_WEBHOOK"),
    ({"FEEDBACKBOT_SMTP_SECURITY": "tls"}, "FEEDBACKBOT_SMTP_SECURITY"),
])
def test_incomplete_notification_settings_are_refused_at_start(env, says):
    with pytest.raises(SettingsError, match=says):
        Settings.from_env(env)


def test_by_default_nothing_is_configured():
    s = Settings.from_env({})
    assert (s.notify_wecom_webhook, s.notify_dingtalk_webhook, s.notify_email_to, s.smtp_host) == ("", "", (), "")
