"""Every job the runner knows: those run on demand (:data:`ON_DEMAND`) and the periodic ones.

Review deadlines, model training, digests and outbound messages join
:data:`ON_DEMAND` as they are written; each is a :class:`bot.jobs.job.Job`.
"""
from __future__ import annotations

from bot.jobs.job import Job
from bot.jobs.schedule import PERIODIC

ON_DEMAND: tuple[Job, ...] = ()


def known_jobs() -> tuple[Job, ...]:
    """Every job of the product, on demand and periodic."""
    return ON_DEMAND + PERIODIC


def title(name: str) -> str:
    """The admin-facing title of job ``name`` (the name itself for a job this build does not know)."""
    return next((job.title for job in known_jobs() if job.name == name), name)
