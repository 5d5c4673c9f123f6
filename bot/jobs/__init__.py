"""Background jobs: a huey queue (SQLite in development, Redis in production), its worker and its log.

* :mod:`bot.jobs.job` — what a job is (:class:`~bot.jobs.job.Job`) and the error whose message may be shown;
* :mod:`bot.jobs.catalog` — the jobs run on demand, and every known job by name;
* :mod:`bot.jobs.schedule` — the periodic jobs (idle-survey sweep, housekeeping, worker heartbeat);
* :mod:`bot.jobs.runner` — the queue built from ``Settings``, with every job registered and the log connected;
* :mod:`bot.jobs.run_log` — the ``job_runs`` rows an admin reads, written by the queue's signal handlers,
  and :func:`~bot.jobs.run_log.report_progress` for long jobs;
* :mod:`bot.jobs.heartbeat` — the worker's sign of life that ``/healthz`` checks;
* :mod:`bot.jobs.worker` — the consumer process behind ``feedbackbot worker``.

docs/jobs.md says why huey, and what was measured.
"""
