"""Simultaneous registrations against the real web app on SQLite and PostgreSQL.

The web app runs under uvicorn with several worker processes (as in
production), so requests really race in different processes and database
connections. Before: up to 51 % 500s for one new call id on PostgreSQL, and
13 of 100 calls lost when they introduced the same new agent.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.connection import make_engine
from bot.db.models import Agent, AuditLog, Call, Survey
from bot.ops.stack import free_port
from bot.settings import DEV_INTEGRATION_TOKEN, ROOT

pytestmark = pytest.mark.e2e

WORKERS = 3
AUTH = {"Authorization": f"Bearer {DEV_INTEGRATION_TOKEN}"}


@pytest.fixture()
def web(db_url, tmp_path):
    """The web app alone (registration needs no Rasa) with ``WORKERS`` uvicorn workers on ``db_url``."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "FEEDBACKBOT_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "RASA_URL": f"http://127.0.0.1:{free_port()}"}
    log = open(tmp_path / "web.log", "wb")  # noqa: SIM115 - closed in the finaliser below
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bot.web.app:create_app", "--factory", "--host",
                             "127.0.0.1", "--port", str(port), "--workers", str(WORKERS), "--log-level", "warning"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "web.log").read_text(errors="replace")
            try:
                if httpx.get(f"{url}/livez", timeout=2).status_code == 200:  # /healthz needs Rasa, absent here
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "web app did not start"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _post_all(url: str, bodies: list[dict], threads: int) -> list[httpx.Response]:
    """POST every body to /api/calls at once: ``threads`` clients released together."""
    clients = [httpx.Client(base_url=url, timeout=60) for _ in range(threads)]
    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            futures = [pool.submit(clients[i % threads].post, "/api/calls", json=b, headers=AUTH)
                       for i, b in enumerate(bodies)]
            return [f.result() for f in futures]
    finally:
        for c in clients:
            c.close()


def test_twenty_simultaneous_registrations_of_one_new_call_make_one_call(web, db_url):
    call_id = f"race-{uuid.uuid4().hex[:8]}"
    agent = f"AG-{uuid.uuid4().hex[:6]}"  # a new agent too: both unique keys race
    body = {"call_id": call_id, "agent_ids": [agent], "ended_at": datetime.now(UTC).isoformat()}
    responses = _post_all(web, [body] * 20, threads=20)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 200: 19}, (statuses, [r.text for r in responses if r.status_code >= 300][:3])
    assert len({r.json()["survey_token"] for r in responses}) == 1
    engine = make_engine(db_url)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Call).where(Call.external_id == call_id)) == 1
        assert s.scalar(select(func.count()).select_from(Agent).where(Agent.id == agent)) == 1
        call_pk = s.scalar(select(Call.id).where(Call.external_id == call_id))
        assert s.scalar(select(func.count()).select_from(Survey).where(Survey.call_id == call_pk)) == 1
        created = s.scalars(select(AuditLog.entity).where(AuditLog.action == "created",
                                                          AuditLog.entity.in_(("call", "agent", "survey")))).all()
        assert Counter(created) == {"call": 1, "agent": 1, "survey": 1}  # one audit row per row created
    engine.dispose()


def test_hundred_parallel_calls_introducing_one_new_agent_are_all_kept(web, db_url):
    agent = f"AG-{uuid.uuid4().hex[:6]}"
    ids = [f"many-{uuid.uuid4().hex[:8]}" for _ in range(100)]
    ended = datetime.now(UTC).isoformat()
    bodies = [{"call_id": i, "agent_ids": ["A-old", agent] if n % 2 else [agent], "ended_at": ended}
              for n, i in enumerate(ids)]
    responses = _post_all(web, bodies, threads=20)
    assert Counter(r.status_code for r in responses) == {201: 100}, [r.text for r in responses
                                                                    if r.status_code != 201][:3]
    engine = make_engine(db_url)
    with Session(engine) as s:
        stored = s.scalars(select(Call.external_id).where(Call.credited_agent_id == agent)).all()
        assert sorted(stored) == sorted(ids)
        assert s.scalar(select(func.count()).select_from(Agent).where(Agent.id == agent)) == 1
    engine.dispose()
