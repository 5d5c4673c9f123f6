"""The case jobs the runner schedules each minute: open cases for new flags, escalate overdue ones."""
from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.cases import workflow
from bot.cases.policy import levels_of
from bot.db.session import open_session
from bot.settings import Settings

log = logging.getLogger(__name__)


def open_cases(settings: Settings) -> int:
    """Open a case for each new complaint or follow-up flag; returns how many."""
    with open_session(settings.database_url) as s, s.begin():
        opened = workflow.do_open_cases_for_new_flags(s, datetime.now(UTC), levels=levels_of(settings),
                                                      tz=settings.timezone)
    if opened:
        log.info("opened %d case(s)", len(opened))
    return len(opened)


def escalate_cases(settings: Settings) -> int:
    """Escalate every unanswered case past its deadline; returns how many moved."""
    with open_session(settings.database_url) as s, s.begin():
        moved = workflow.do_escalate_overdue_cases(s, datetime.now(UTC), levels=levels_of(settings),
                                                   tz=settings.timezone)
    if moved:
        log.info("escalated %d case(s)", len(moved))
    return len(moved)
