"""`make run`'s stack starts the job worker and waits for it; /healthz reports the worker's heartbeat."""
from __future__ import annotations

import time

import pytest
from sqlalchemy.orm import Session

from bot.domain import JobStatus
from bot.jobs.run_log import recent_runs
from bot.jobs.runner import build_runner
from bot.settings import Settings

pytestmark = pytest.mark.e2e


def test_the_stack_runs_a_worker_that_healthz_reports_and_that_runs_jobs(live_stacks):
    live = live_stacks("sqlite")
    worker = live.stack.procs["worker"]
    assert worker.poll() is None
    health = live.http.get("/healthz")
    assert health.status_code == 200, health.text
    checks = {c["name"]: c for c in health.json()["checks"]}
    assert set(checks) == {"database", "rasa", "worker"}
    assert checks["worker"]["ok"] and checks["worker"]["detail"].endswith(f":{worker.pid}")

    # A job enqueued from here (same database, so the same queue) is run by the stack's worker.
    run_id = build_runner(Settings.from_env(live.stack.env())).enqueue("housekeeping")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with Session(live.engine) as s:
            runs = {r.id: r for r in recent_runs(s, job="housekeeping")}
        if run_id in runs and runs[run_id].status == JobStatus.SUCCEEDED:
            break
        time.sleep(0.2)
    assert runs[run_id].status == JobStatus.SUCCEEDED, (runs.get(run_id), live.stack.tail("worker"))
    assert (live.stack.log_dir / "worker.log").exists()
