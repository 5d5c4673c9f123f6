"""Storage: SQLAlchemy 2 models, engine factory and the audit trail."""

# Every model module registers on one metadata; importing any loads all,
# so foreign keys between them always resolve.
from bot.db import (  # noqa: F401
    cases,
    channels,
    chat,
    funnel,
    jobs,
    models,
    notifications,
    promotions,
    receipts,
    review,
    shadow,
    staff,
    survey_facts,
)
