"""Jobs run in a real worker process, on SQLite (SqliteHuey) and on the local Redis, and the job log follows them."""
from __future__ import annotations

import pytest

from bot.domain import JobStatus
from tests.conftest import port_open, unavailable
from tests.jobs.worker_process import WorkerProcess


@pytest.fixture(params=["sqlite", "redis"], scope="module")
def worker(request, tmp_path_factory):
    """A started one-thread worker on each backend (one thread: a blocked job keeps the next one queued)."""
    if request.param == "redis" and not port_open("127.0.0.1", 6379):
        unavailable("Redis not reachable at 127.0.0.1:6379")
    w = WorkerProcess(tmp_path_factory.mktemp(f"jobs-{request.param}"), request.param, threads=1)
    try:
        yield w.start()
    finally:
        w.stop()


def test_a_job_goes_queued_running_succeeded_and_its_progress_is_readable(worker, tmp_path):
    first_gate, second_gate = tmp_path / "first", tmp_path / "second"
    first = worker.runner.enqueue("test_gate", str(first_gate))
    worker.wait_for(first, JobStatus.RUNNING)
    # The only worker thread is held by the first job: the second one waits in the queue.
    second = worker.runner.enqueue("test_gate", str(second_gate))
    queued = worker.run(second)
    assert queued is not None and queued.status == JobStatus.QUEUED and queued.attempts == 0
    assert queued.started_at is None and queued.args_summary == f"<text, {len(str(second_gate))} chars>"

    first_gate.touch()
    assert worker.wait_for(first, JobStatus.SUCCEEDED).attempts == 1
    # The row turns RUNNING before the job's first statement: wait for the job's own report (report_progress)
    # while it still runs, which is what the page reads.
    running = worker.wait_for(second, JobStatus.RUNNING, until=lambda row: row.progress_note is not None)
    assert running.attempts == 1 and running.started_at is not None and running.finished_at is None
    assert (running.progress, running.progress_note) == (0.5, "waiting for the gate")

    second_gate.touch()
    done = worker.wait_for(second, JobStatus.SUCCEEDED)
    assert done.progress == 1.0 and done.finished_at is not None and done.error is None
    assert done.finished_at >= done.started_at >= done.enqueued_at


def test_a_failing_job_is_retried_as_configured_then_failed_without_customer_text(worker):
    run_id = worker.runner.enqueue("test_fails")
    row = worker.wait_for(run_id, JobStatus.FAILED)
    assert row.attempts == 3  # the first attempt and the job's two retries
    assert row.finished_at is not None
    assert row.error.startswith("ValueError at tests/jobs/sample_jobs.py:")
    assert "quote_a_customer_and_fail" in row.error
    assert "客户" not in row.error and "138" not in row.error


def test_the_job_list_shows_the_runs_newest_first(worker):
    from bot.db.session import open_session
    from bot.jobs.run_log import recent_runs

    run_id = worker.runner.enqueue("test_nothing")
    worker.wait_for(run_id, JobStatus.SUCCEEDED)
    with open_session(worker.database_url) as s:
        runs = recent_runs(s, limit=2)
        failed = recent_runs(s, status=JobStatus.FAILED)
    assert runs[0].id == run_id and runs[0].title == "test_nothing"  # a job the catalog does not know
    assert runs[0].duration is not None and runs[0].duration.total_seconds() >= 0
    assert "test_fails" in {r.job for r in failed} and {r.status for r in failed} == {JobStatus.FAILED}
    # The heartbeat runs every minute (the worker is healthy) but is not logged.
    with open_session(worker.database_url) as s:
        assert "worker_heartbeat" not in {r.job for r in recent_runs(s, limit=100)}
