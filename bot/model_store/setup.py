"""Point this process's classifier at ``Settings.model_dir`` and at the promotion history in its database.

Called once by every entry point (``feedbackbot``, the web app factory, the
action server and its workers). Afterwards ``classifiers`` loads versions
from ``settings.model_dir``, asks the database which one is promoted (at most
every 2 s, the reload interval of ``classifiers.api``; ``CURRENT`` when the
history is empty or unreadable) and hands promotions made through
``classifiers.registry.promote`` (``classifier promote``, ``train --promote``,
``ensure``) to :func:`~bot.model_store.promotions.do_promote`.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.db.session import open_session
from bot.model_store.promotions import current_version, do_promote, do_rollback
from bot.settings import Settings
from classifiers import registry

log = logging.getLogger(__name__)

# How each action handed over by ``classifiers.registry.promote`` is recorded.
_RECORDERS: dict[str, Callable[..., Any]] = {
    "promote": lambda s, version, **kw: do_promote(s, version, **kw),
    "initial": lambda s, version, **kw: do_promote(s, version, **kw),
    "rollback": lambda s, version, report=None, **kw: do_rollback(s, to_version=version, **kw),
}


def recorded_version_reader(database_url: str) -> Callable[[], str | None]:
    """A reader of the promoted version in the history; ``None`` when there is none or it cannot be read."""
    warned = False

    def read() -> str | None:
        nonlocal warned
        try:
            with open_session(database_url) as s:
                return current_version(s)
        except (OperationalError, ProgrammingError) as exc:  # not migrated yet, or the database is down
            if not warned:
                log.warning("promotion history unreadable, following CURRENT: %s", str(exc).splitlines()[0])
                warned = True
            return None

    return read


def promotion_recorder(database_url: str, root: Path, default_actor: str) -> registry.PromotionRecorder:
    """A ``classifiers`` ``on_promote`` hook that records each promotion in its own transaction."""

    def record(version: str, *, action: str = "promote", actor: str | None = None, why: str | None = None,
               report: dict[str, Any] | None = None) -> None:
        if action not in _RECORDERS:
            raise ValueError(f"unknown promotion action {action!r}; one of {sorted(_RECORDERS)}")
        with open_session(database_url) as s, s.begin():
            if not inspect(s.connection()).has_table("model_promotions"):
                # Before `feedbackbot db-upgrade`: the file is all there is; the first recorded
                # promotion will record this version as `initial`.
                log.warning("database not migrated: %s promoted in %s/CURRENT only", version, root)
                registry.write_current(version, root)
                return
            _RECORDERS[action](s, version, actor=actor or default_actor, why=why, report=report, root=root)

    return record


def configure_classifier(settings: Settings, *, actor: str = "system") -> None:
    """Configure ``classifiers`` for this process from ``settings``.

    Args:
        settings: Gives ``model_dir`` (``FEEDBACKBOT_MODEL_DIR``, else under
            ``FEEDBACKBOT_VAR_DIR``) and ``database_url``.
        actor: Recorded as who promoted when a promotion made in this process
            names nobody (``cli:<user>``, ``web``, ``action-server``).
    """
    registry.configure(
        settings.model_dir,
        current_version=recorded_version_reader(settings.database_url),
        on_promote=promotion_recorder(settings.database_url, settings.model_dir, actor),
    )
