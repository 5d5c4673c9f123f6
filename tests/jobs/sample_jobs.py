"""Jobs the job-runner tests give the worker (``feedbackbot worker --jobs tests.jobs.sample_jobs``)."""
from __future__ import annotations

import time
from pathlib import Path

from bot.jobs.job import Job, JobError
from bot.jobs.run_log import report_progress
from bot.settings import Settings


def wait_for_gate(settings: Settings, gate: str) -> None:
    """Report half-way, then wait until the test creates the file ``gate``."""
    report_progress(0.5, "waiting for the gate")
    deadline = time.monotonic() + 60
    while not Path(gate).exists():
        if time.monotonic() > deadline:
            raise JobError("the gate never opened")
        time.sleep(0.05)


def quote_a_customer_and_fail(settings: Settings) -> None:
    """Fail with a message that quotes a customer, as a careless library error would."""
    raise ValueError("客户原话：你们客服根本不接电话，我的手机号是13812345678")


def do_nothing(settings: Settings) -> None:
    """The trivial job latency is measured with."""


JOBS = (
    Job("test_gate", "Test: wait for a file", wait_for_gate),
    Job("test_fails", "Test: always fails", quote_a_customer_and_fail, retries=2, retry_delay_s=0),
    Job("test_nothing", "Test: does nothing", do_nothing),
)
