"""The periodic jobs, registered explicitly by :func:`bot.jobs.runner.build_runner` from :data:`PERIODIC`.

Every consumer with its scheduler on (``feedbackbot worker``) enqueues them
when their ``crontab`` matches the minute (UTC).
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import cast

from huey import crontab
from sqlalchemy import CursorResult, delete

from bot.cases import jobs as cases_jobs
from bot.db.session import open_session
from bot.db.staff import LoginAttempt
from bot.jobs import heartbeat, run_log
from bot.jobs.job import Job
from bot.settings import Settings

log = logging.getLogger(__name__)

#: Job runs and login attempts older than this are deleted by the housekeeping job.
KEEP_JOB_RUNS = timedelta(days=30)
KEEP_LOGIN_ATTEMPTS = timedelta(days=30)  # the rate limit looks back minutes; a month serves an audit
#: Settled notification deliveries (sent, failed, skipped) are kept this long: a digest's body quotes (redacted)
#: customer words, which must not outlive their purpose; the owners page shows the recent ones.
KEEP_DELIVERIES = timedelta(days=30)
#: A worker silent this long is gone (restarted, moved): its heartbeat row is dropped.
KEEP_HEARTBEATS = timedelta(days=1)


def sweep_idle_surveys(settings: Settings) -> int:
    """Finish every live survey idle for longer than ``settings.idle_sweep_after``; returns how many.

    The rule itself ("nobody answered") belongs to the dialogue core and the
    sweep to the conversation package; this job only gives it a session, the
    clock and the classifier.
    """
    from bot.conversation.sweep import sweep_idle
    from classifiers import classify

    with open_session(settings.database_url) as s, s.begin():
        finished = sweep_idle(s, now=datetime.now(UTC), idle_after=settings.idle_sweep_after, classify=classify)
    log.info("idle sweep finished %d survey(s)", finished)
    return finished


def housekeeping(settings: Settings) -> dict[str, int]:
    """Delete old job runs, login attempts, settled deliveries and silent workers' heartbeats; returns how many."""
    from bot.db.notifications import Delivery

    now = datetime.now(UTC)
    with open_session(settings.database_url) as s, s.begin():
        deleted = {
            "job_runs": run_log.forget_older_than(s, now - KEEP_JOB_RUNS),
            "login_attempts": cast(CursorResult, s.execute(
                delete(LoginAttempt).where(LoginAttempt.at < now - KEEP_LOGIN_ATTEMPTS))).rowcount,
            "worker_heartbeats": heartbeat.forget_older_than(s, now - KEEP_HEARTBEATS),
            "notification_deliveries": cast(CursorResult, s.execute(
                delete(Delivery).where(Delivery.status != "queued",
                                       Delivery.created_at < now - KEEP_DELIVERIES))).rowcount,
        }
    log.info("housekeeping deleted %s", deleted)
    return deleted


def retention(settings: Settings) -> dict[str, int]:
    """Remove customers' free text older than ``FEEDBACKBOT_TEXT_RETENTION_DAYS`` (counts recorded, never content)."""
    from bot.privacy.erasure import do_purge_older_than

    now = datetime.now(UTC)
    with open_session(settings.database_url) as s, s.begin():
        removed = do_purge_older_than(s, now - timedelta(days=settings.text_retention_days), now=now)
    log.info("retention removed %s", removed)
    return removed


def escalate_overdue_appeals(settings: Settings) -> int:
    """Send appeals past their deadline (counted in Chinese working days) to the admin; returns how many."""
    from bot.staff.appeals import do_escalate_overdue_appeals

    with open_session(settings.database_url) as s, s.begin():
        return int(do_escalate_overdue_appeals(s, datetime.now(UTC)) or 0)


def deliver_notifications(settings: Settings) -> dict[str, int]:
    """Send the queued notification deliveries that are due (WeCom, DingTalk, e-mail); retried with back-off."""
    from bot.notifications.deliveries import deliver_due

    tally = deliver_due(settings)
    if tally:
        log.info("notification deliveries: %s", tally)
    return tally


def weekly_digest(settings: Settings) -> list[str]:
    """Queue last week's digest for every owner of non-staff causes (once per department and week)."""
    from bot.notifications.digest import do_queue_digests

    with open_session(settings.database_url) as s, s.begin():
        queued = do_queue_digests(s, datetime.now(UTC), settings.timezone)
    log.info("weekly digest queued for %d department(s)", len(queued))
    return queued


def shadow_readings(settings: Settings) -> int:
    """Let the classifier version in shadow mode read the reasons recorded since the last run; returns how many."""
    from bot.learning.shadow import do_read_new_reasons
    from classifiers.api import classify_many_with

    with open_session(settings.database_url) as s, s.begin():
        return do_read_new_reasons(s, classify_many_with, now=datetime.now(UTC))


def worker_heartbeat(settings: Settings) -> None:
    """Refresh this worker's heartbeat row (``/healthz`` checks its age)."""
    with open_session(settings.database_url) as s, s.begin():
        heartbeat.beat(s, queue=settings.jobs_queue, now=datetime.now(UTC))


SWEEP_IDLE_SURVEYS = Job("sweep_idle_surveys", "Finish live surveys nobody answered for too long",
                         sweep_idle_surveys, retries=2, retry_delay_s=60, every=crontab(minute="*/5"))
HOUSEKEEPING = Job("housekeeping", "Delete job runs, login attempts and settled notifications older than 30 days",
                   housekeeping, retries=1, retry_delay_s=300, every=crontab(minute="17", hour="*/6"))
RETENTION = Job("retention", "Remove customers' free text past the retention period", retention,
                retries=1, retry_delay_s=600, every=crontab(minute="43", hour="19"))  # 03:43 Beijing time
ESCALATE_APPEALS = Job("escalate_overdue_appeals", "Escalate appeals past their deadline to the admin",
                       escalate_overdue_appeals, retries=1, retry_delay_s=60, every=crontab(minute="*/15"))
# Not logged: a row a minute would bury the runs an admin looks for.
WORKER_HEARTBEAT = Job("worker_heartbeat", "Worker heartbeat", worker_heartbeat, every=crontab(), logged=False)

OPEN_CASES = Job("open_cases", "Open a complaint case for each new complaint or follow-up flag",
                 cases_jobs.open_cases, retries=2, retry_delay_s=30, every=crontab())
ESCALATE_CASES = Job("escalate_cases", "Escalate complaint cases nobody answered in time",
                     cases_jobs.escalate_cases, retries=2, retry_delay_s=30, every=crontab())

# Each delivery row carries its own attempts and back-off; the job only has to run often.
DELIVER_NOTIFICATIONS = Job("deliver_notifications", "Send queued notifications (WeCom, DingTalk, e-mail)",
                            deliver_notifications, retries=1, retry_delay_s=30, every=crontab())
WEEKLY_DIGEST = Job("weekly_digest", "Weekly digest for the owners of non-staff causes", weekly_digest,
                    retries=2, retry_delay_s=300, every=crontab(minute="5", hour="0", day_of_week="1"))  # Mon 08:05 Beijing
# Not logged: most minutes there is nothing to read (and no shadow run at all); the page shows the readings.
SHADOW_READINGS = Job("shadow_readings", "Shadow classifier version reads new reasons", shadow_readings,
                      every=crontab(), logged=False)
PERIODIC: tuple[Job, ...] = (SWEEP_IDLE_SURVEYS, HOUSEKEEPING, RETENTION, ESCALATE_APPEALS, WORKER_HEARTBEAT, OPEN_CASES,
                              ESCALATE_CASES, DELIVER_NOTIFICATIONS, WEEKLY_DIGEST, SHADOW_READINGS)
