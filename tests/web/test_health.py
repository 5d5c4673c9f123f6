"""Health that means something: the web app's /healthz and the action server's /ready check their dependencies."""
from __future__ import annotations

import subprocess
import sys
import time

import httpx
from fastapi.testclient import TestClient

from bot.ops.stack import free_port
from bot.settings import ROOT, Settings
from bot.web.app import create_app


def healthz(database_url: str, rasa_url: str) -> tuple[int, dict]:
    settings = Settings.from_env({"DATABASE_URL": database_url, "RASA_URL": rasa_url})
    with TestClient(create_app(settings)) as c:
        r = c.get("/healthz")
        return r.status_code, {check["name"]: check["ok"] for check in r.json()["checks"]}


def test_web_health_is_503_naming_rasa_when_rasa_is_down(db_url):
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    # No worker runs here either: its check fails too (no heartbeat in this fresh database).
    assert healthz(db_url, dead) == (503, {"database": True, "rasa": False, "worker": False})


def test_web_health_is_503_naming_the_database_when_it_is_down(tmp_path):
    dead_db = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    assert healthz(dead_db, f"http://127.0.0.1:{free_port()}") == (503, {"database": False, "rasa": False,
                                                                         "worker": False})


def test_liveness_stays_separate():
    settings = Settings.from_env({"DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/none"})
    with TestClient(create_app(settings)) as c:
        assert c.get("/livez").json() == {"ok": True}


def _action_server_ready(database_url: str, tmp_path) -> tuple[int, dict]:
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    with open(tmp_path / "actions.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "actions.server", "-p", str(port)], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "actions.log").read_text()[-2000:]
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=10)
                return r.status_code, {c["name"]: c["ok"] for c in r.json()["checks"]}
            except httpx.TransportError:
                time.sleep(0.3)
        raise AssertionError("action server did not answer")
    finally:
        proc.terminate()
        proc.wait(15)


def test_action_server_ready_checks_database_and_classifier(sqlite_url, tmp_path):
    from bot.db.migrate import upgrade

    upgrade(sqlite_url)
    assert _action_server_ready(sqlite_url, tmp_path) == (200, {"database": True, "classifier": True})
    dead_db = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    assert _action_server_ready(dead_db, tmp_path) == (503, {"database": False, "classifier": True})


def test_a_failed_or_empty_turn_is_told_apart_from_an_answer():
    from bot.conversation.gateway import turn_failed
    from bot.conversation.receipts import TURN_FAILED

    answer = [{"recipient_id": "t", "text": "感谢您的评分。"}]
    marked = [{"recipient_id": "t", "text": "抱歉，系统暂时有点忙"}, {"recipient_id": "t", "custom": dict(TURN_FAILED)}]
    assert not turn_failed(answer, expects_reply=True)
    assert turn_failed(marked, expects_reply=True) and turn_failed(marked, expects_reply=False)
    assert turn_failed([], expects_reply=True)  # no action server answered in an open survey
    assert not turn_failed([], expects_reply=False)  # an opted-out survey stays silent on purpose
    assert turn_failed([{"recipient_id": "t", "custom": {"other": 1}}], expects_reply=True)
