"""Every job the runner knows: those run on demand (:func:`_on_demand`) and the periodic ones.

Review deadlines, model training, digests and outbound messages join
:func:`_on_demand` as they are written; each is a :class:`bot.jobs.job.Job`.
"""
from __future__ import annotations

from collections.abc import Callable

from bot.jobs.job import Job
from bot.jobs.schedule import PERIODIC
from bot.settings import Settings


def _process_inbound(settings: Settings, inbound_id: int, identity: dict[str, str], *,
                     enqueue: Callable[..., str]) -> str:
    from bot.channels import inbox

    return inbox.process(settings, inbound_id, identity, enqueue=enqueue)


def _send_sms(settings: Settings, outbound_id: int, mobile: str) -> str:
    from bot.channels import outbox

    return outbox.send_sms(settings, outbound_id, mobile)


def _send_wechat(settings: Settings, outbound_id: int, openid: str) -> str:
    from bot.channels import outbox

    return outbox.send_wechat(settings, outbound_id, openid)


def _train_classifier(settings: Settings) -> dict:
    from bot.jobs.run_log import report_progress
    from bot.learning.training import train_with_labels

    return train_with_labels(settings, report_progress)


def _promote_classifier(settings: Settings, version: str, who: str, force: bool = False,
                        why: str | None = None) -> dict:
    from bot.jobs.run_log import report_progress
    from bot.learning.promotion import promote_version

    return promote_version(settings, version, who, force, why, report_progress)


def _on_demand() -> tuple[Job, ...]:
    """The channels' jobs (their names are ``bot.channels.inbox.PROCESS``, ``SEND_SMS``, ``SEND_WECHAT``)."""
    return (Job("process_inbound", "处理客户短信/微信回复", _process_inbound, retries=5, retry_delay_s=5,
                # One run per customer message: its state is the inbound row's status, and a job_runs
                # row per reply would add a write to every callback's acknowledgement.
                logged=False, enqueues=True),
            Job("send_sms", "发送短信", _send_sms, retries=3, retry_delay_s=30),
            Job("send_wechat", "发送微信客服消息", _send_wechat, retries=2, retry_delay_s=10),
            Job("train_classifier", "用人工标注重新训练分类模型", _train_classifier),
            Job("promote_classifier", "经闸门检查上线分类模型版本", _promote_classifier))


def known_jobs() -> tuple[Job, ...]:
    """Every job of the product, on demand and periodic."""
    return _on_demand() + PERIODIC


def title(name: str) -> str:
    """The admin-facing title of job ``name`` (the name itself for a job this build does not know)."""
    return next((job.title for job in known_jobs() if job.name == name), name)
