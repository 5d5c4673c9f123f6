"""Storage: SQLAlchemy 2 models, engine factory and the audit trail."""

# Both model modules register on one metadata; importing either loads both,
# so foreign keys between them always resolve.
from bot.db import delivery, models, staff  # noqa: E402,F401
