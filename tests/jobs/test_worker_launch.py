"""The launchers start the worker and wait for its own heartbeat; a worker that cannot start is reported."""
from __future__ import annotations

import pytest

from bot.ops.production import ProductionStack
from bot.ops.stack import Stack, StackError, free_port


def test_a_worker_that_cannot_reach_its_queue_fails_the_start_with_its_log(sqlite_url, tmp_path):
    from bot.db.migrate import upgrade

    upgrade(sqlite_url)
    stack = Stack(database_url=sqlite_url, log_dir=tmp_path / "log",
                  extra_env={"FEEDBACKBOT_JOBS_BACKEND": "redis",
                             "FEEDBACKBOT_JOBS_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    stack._spawn("worker", stack.worker_cmd(), stack.env())
    try:
        with pytest.raises(StackError, match="worker exited with 1") as err:
            stack.wait_worker("worker", timeout=60)
        assert "cannot reach the job queue" in str(err.value)
    finally:
        stack.stop()


def test_the_production_profile_puts_the_queue_on_redis(tmp_path, monkeypatch):
    monkeypatch.delenv("FEEDBACKBOT_JOBS_BACKEND", raising=False)
    stack = ProductionStack(database_url="postgresql://feedbackbot@127.0.0.1/feedbackbot", log_dir=tmp_path)
    assert stack.env()["FEEDBACKBOT_JOBS_BACKEND"] == "redis"
    assert stack.worker_cmd()[-1] == "worker"
