"""The periodic jobs, the job log's rules, the worker's health check and the job settings (no worker process)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.conversation import calls
from bot.db.jobs import JobRun, WorkerHeartbeat
from bot.db.models import Survey
from bot.db.notifications import Delivery
from bot.db.session import open_session
from bot.db.staff import LoginAttempt
from bot.domain import OPEN_SURVEY_STATUSES, JobStatus, SurveyStatus
from bot.jobs import heartbeat, schedule
from bot.jobs.job import Job, JobError, bind, summarise_args
from bot.jobs.run_log import describe_error, report_progress
from bot.jobs.runner import UnknownJobError, build_runner
from bot.ops import health
from bot.settings import Settings, SettingsError
from tests import rows

NOW = datetime.now(UTC).replace(microsecond=0)


def settings_for(url: str, tmp_path, **extra: str) -> Settings:
    return Settings.from_env({"DATABASE_URL": url, "FEEDBACKBOT_JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"),
                              **extra})


def due(runner, at: datetime) -> set[str]:
    return {task.name for task in runner.huey.read_periodic(at)}


def test_the_periodic_jobs_are_registered_on_their_schedules(sqlite_url, tmp_path):
    runner = build_runner(settings_for(sqlite_url, tmp_path))
    every_minute = {"worker_heartbeat", "open_cases", "escalate_cases", "deliver_notifications", "shadow_readings"}
    assert due(runner, datetime(2026, 12, 7, 10, 5)) == {"sweep_idle_surveys"} | every_minute
    assert due(runner, datetime(2026, 12, 7, 10, 6)) == every_minute
    assert due(runner, datetime(2026, 12, 7, 12, 17)) == {"housekeeping"} | every_minute
    assert due(runner, datetime(2026, 12, 7, 13, 17)) == every_minute
    assert due(runner, datetime(2026, 12, 7, 10, 15)) == {"sweep_idle_surveys", "escalate_overdue_appeals"} | every_minute
    assert due(runner, datetime(2026, 12, 7, 19, 43)) == {"retention"} | every_minute
    # 2026-12-07 is a Monday: the digest runs at 00:05 UTC (08:05 in Beijing), on Mondays only.
    assert due(runner, datetime(2026, 12, 7, 0, 5)) == {"sweep_idle_surveys", "weekly_digest"} | every_minute
    assert due(runner, datetime(2026, 12, 8, 0, 5)) == {"sweep_idle_surveys"} | every_minute
    assert runner.tasks["sweep_idle_surveys"].retries == 2


def test_the_idle_sweep_job_finishes_only_idle_surveys(db_url, tmp_path):
    settings = settings_for(db_url, tmp_path)
    long_ago = NOW - settings.idle_sweep_after - timedelta(minutes=30)
    tokens = {}
    with open_session(db_url) as s, s.begin():
        for call_id, at in (("idle", long_ago), ("fresh", NOW - timedelta(minutes=5))):
            survey, _ = calls.register_call(s, calls.CallRequest(call_id=call_id, agent_ids=["A1"], ended_at=at),
                                            window_minutes=settings.survey_window_minutes, template_version="v1",
                                            now=at)
            rows.set_status(s, survey, SurveyStatus.IN_PROGRESS, at + timedelta(minutes=1))
            rows.record_rating(s, survey, 2, "2", at + timedelta(minutes=1))  # then silence: no reason given
            tokens[call_id] = survey.token
    assert schedule.sweep_idle_surveys(settings) == 1
    with open_session(db_url) as s:
        status = {token: st for token, st in s.execute(select(Survey.token, Survey.status))}
    assert status[tokens["idle"]] not in OPEN_SURVEY_STATUSES
    assert status[tokens["fresh"]] == SurveyStatus.IN_PROGRESS


def test_housekeeping_deletes_only_what_is_older_than_kept(db_url, tmp_path):
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    with open_session(db_url) as s, s.begin():
        for run_id, at, status in (("old-ok", old, "succeeded"), ("old-failed", old, "failed"),
                                   ("recent", recent, "failed"), ("now", NOW, "queued")):
            s.add(JobRun(id=run_id, job="housekeeping", args_summary="", status=status, attempts=1,
                         enqueued_at=at, progress=0.0))
        s.add_all([LoginAttempt(key="a", at=old, succeeded=False), LoginAttempt(key="a", at=recent, succeeded=True)])
        s.add_all([WorkerHeartbeat(worker="gone:1", queue="q", started_at=old, beat_at=NOW - timedelta(days=2)),
                   WorkerHeartbeat(worker="here:2", queue="q", started_at=old, beat_at=NOW)])
        # Settled deliveries go after 30 days; a queued one stays whatever its age (it is still to be sent).
        s.add_all([Delivery(kind="digest", channel="email", subject=status, body="b", status=status, attempts=1,
                            created_at=at, next_attempt_at=at)
                   for status, at in (("sent", old), ("failed", old), ("skipped", old), ("queued", old),
                                      ("sent", recent))])
    deleted = schedule.housekeeping(settings_for(db_url, tmp_path))
    assert deleted == {"job_runs": 2, "login_attempts": 1, "worker_heartbeats": 1, "notification_deliveries": 3}
    with open_session(db_url) as s:
        assert set(s.scalars(select(JobRun.id))) == {"recent", "now"}
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 1
        assert list(s.scalars(select(WorkerHeartbeat.worker))) == ["here:2"]
        assert sorted(s.scalars(select(Delivery.status))) == ["queued", "sent"]


def test_the_worker_check_fails_without_a_heartbeat_and_when_it_is_stale(db_url):
    bound = timedelta(seconds=180)
    check = health.worker(db_url, bound)
    assert (check.name, check.ok) == ("worker", False) and "no worker heartbeat" in check.detail
    with open_session(db_url) as s, s.begin():
        heartbeat.mark_started(NOW - timedelta(minutes=10))
        heartbeat.beat(s, queue="q", now=NOW - timedelta(seconds=400))
    stale = health.worker(db_url, bound)
    assert not stale.ok and "more than 180s" in stale.detail
    with open_session(db_url) as s, s.begin():
        heartbeat.beat(s, queue="q", now=datetime.now(UTC))
    fresh = health.worker(db_url, bound)
    assert fresh.ok and heartbeat.worker_id() in fresh.detail


def test_the_worker_check_fails_when_the_database_is_down():
    check = health.worker("postgresql://nobody@127.0.0.1:1/none", timedelta(seconds=180))
    assert not check.ok and check.name == "worker"


def test_immediate_mode_runs_in_process_and_is_logged(sqlite_url, tmp_path):
    from bot.db.migrate import upgrade

    upgrade(sqlite_url)
    seen: list[bool] = []
    job = Job("probe", "Probe", lambda settings, n: seen.append(report_progress(n / 10, "halfway")))
    runner = build_runner(settings_for(sqlite_url, tmp_path), immediate=True, extra=[job])
    run_id = runner.enqueue("probe", 5)
    with open_session(sqlite_url) as s:
        row = s.get(JobRun, run_id)
        assert (row.status, row.attempts, row.progress, row.progress_note) == (JobStatus.SUCCEEDED, 1, 1.0, "halfway")
        assert row.args_summary == "5"
    assert seen == [True]
    with pytest.raises(UnknownJobError):
        runner.enqueue("no_such_job")


def test_progress_outside_a_job_is_not_written():
    assert report_progress(0.5, "nothing runs") is False


def test_the_log_keeps_our_own_error_messages_and_only_the_type_of_others():
    try:
        raise JobError("the classifier model is missing")
    except JobError as exc:
        assert describe_error(exc) == "JobError: the classifier model is missing"
    try:
        raise KeyError("客户：我要投诉")
    except KeyError as exc:
        text = describe_error(exc)
    assert text.startswith("KeyError at tests/jobs/test_job_schedule.py:") and "投诉" not in text


def test_argument_summaries_never_repeat_text():
    summary = summarise_args((3, "电话一直打不通", None), {"since": datetime(2026, 12, 1, tzinfo=UTC), "dry": True})
    assert summary == "3, <text, 7 chars>, None, dry=True, since=2026-12-01T00:00:00+00:00"


def test_job_settings(tmp_path):
    dev = Settings.from_env({"DATABASE_URL": "sqlite:///a.db"})
    assert dev.jobs_backend == "sqlite" and dev.jobs_sqlite_path == dev.var_dir / "jobs.sqlite3"
    assert dev.idle_sweep_after == timedelta(minutes=90)
    assert Settings.from_env({"FEEDBACKBOT_SURVEY_WINDOW_MINUTES": "20"}).idle_sweep_after == timedelta(minutes=50)
    assert Settings.from_env({"FEEDBACKBOT_IDLE_SWEEP_MINUTES": "240"}).idle_sweep_after == timedelta(hours=4)
    # One queue per database: stacks on other databases never take each other's jobs.
    assert dev.jobs_queue != Settings.from_env({"DATABASE_URL": "sqlite:///b.db"}).jobs_queue
    assert Settings.from_env({"FEEDBACKBOT_JOBS_QUEUE": "q1"}).jobs_queue == "q1"
    assert Settings.from_env({"REDIS_HOST": "10.0.0.5", "REDIS_PORT": "6380", "REDIS_DB": "2"}).jobs_redis \
        == "redis://10.0.0.5:6380/2"
    assert Settings.from_env({"FEEDBACKBOT_JOBS_REDIS_URL": "redis://r:1/3"}).jobs_redis == "redis://r:1/3"
    secrets = {"FEEDBACKBOT_INTEGRATION_TOKEN": "i" * 20, "FEEDBACKBOT_SESSION_SECRET": "s" * 20,
               "ACTION_SERVER_TOKEN": "a" * 20, "FEEDBACKBOT_ENV": "production"}
    assert Settings.from_env(secrets).jobs_backend == "redis"
    with pytest.raises(SettingsError, match="production needs redis"):
        Settings.from_env({**secrets, "FEEDBACKBOT_JOBS_BACKEND": "sqlite"})
    with pytest.raises(SettingsError):
        Settings.from_env({"FEEDBACKBOT_JOBS_BACKEND": "rabbitmq"})


def test_a_job_that_queues_another_gets_the_runners_own_enqueue(sqlite_url, tmp_path):
    """A job declared ``enqueues=True`` receives ``enqueue=`` from the runner that runs it (no module builds its own)."""
    from bot.db.migrate import upgrade

    upgrade(sqlite_url)
    seen: list[str] = []
    second = Job("second", "Second", lambda settings, word: seen.append(word))
    first = Job("first", "First", lambda settings, word, *, enqueue: enqueue("second", word + "!"), enqueues=True)
    runner = build_runner(settings_for(sqlite_url, tmp_path), immediate=True, extra=[first, second])
    runner.enqueue("first", "hello")
    assert seen == ["hello!"]
    with pytest.raises(ValueError, match="enqueue"):
        bind(first, settings_for(sqlite_url, tmp_path))
