"""Storage: SQLAlchemy 2 models, engine factory and the audit trail."""

# Every model module registers on one metadata; importing any loads all,
# so foreign keys between them always resolve.
from bot.db import cases, channels, chat, funnel, jobs, models, promotions, receipts, review, staff, survey_facts  # noqa: F401
