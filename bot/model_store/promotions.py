"""Promotion and rollback of classifier versions, recorded in ``model_promotions`` and ``audit_log``.

The database row is the truth every classifying process follows (see
:mod:`bot.model_store.setup`); ``CURRENT`` in the model directory is rewritten
after each commit for tools that read the directory alone.

Rollback walks the history as a stack: a promotion pushes its version, a
rollback pops back to the version it names. So A → B → C, rollback gives B,
rollback again gives A (not C).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from bot.db.audit import audit
from bot.db.promotions import ModelPromotion
from classifiers import registry

log = logging.getLogger(__name__)
# Key of the PostgreSQL advisory lock that serialises writers of the history.
HISTORY_LOCK_KEY = 0x6D6F64656C  # "model"
MAX_ACTOR_CHARS = 64
INITIAL_WHY = "promoted before the history existed (read from CURRENT at the first recorded promotion)"


class RollbackError(ValueError):
    """Nothing to roll back to, or the named version was never promoted."""


# Each backend's way to make concurrent writers of the history wait for each other, taken first in
# the transaction. SQLite: a write statement takes the database's write lock (held until commit).
_LOCKS: dict[str, Callable[[Session], Any]] = {
    "postgresql": lambda s: s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": HISTORY_LOCK_KEY}),
    "sqlite": lambda s: s.execute(text("UPDATE model_promotions SET id = id WHERE 0 = 1")),
}


def _lock(s: Session) -> None:
    _LOCKS[s.get_bind().dialect.name](s)


def _check_actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor or len(actor) > MAX_ACTOR_CHARS:
        raise ValueError(f"actor must be 1 to {MAX_ACTOR_CHARS} characters, got {actor!r}")
    return actor


def current_version(s: Session) -> str | None:
    """The promoted version according to the history (latest row), or ``None`` before the first promotion."""
    return s.scalar(select(ModelPromotion.to_version).order_by(ModelPromotion.id.desc()).limit(1))


def history(s: Session, *, limit: int | None = None) -> list[ModelPromotion]:
    """The promotion history, newest first."""
    q = select(ModelPromotion).order_by(ModelPromotion.id.desc())
    return list(s.scalars(q.limit(limit) if limit else q))


def _stack(rows: list[ModelPromotion]) -> list[str]:
    """Versions that are current or can be rolled back to, oldest first (rows oldest first)."""
    stack: list[str] = []
    for row in rows:
        if row.action == "rollback" and row.to_version in stack:
            del stack[len(stack) - stack[::-1].index(row.to_version):]
        else:
            stack.append(row.to_version)
    return stack


def _append(s: Session, *, at: datetime, actor: str, from_version: str | None, to_version: str, action: str,
            why: str | None, report: dict[str, Any] | None) -> ModelPromotion:
    row = ModelPromotion(at=at, actor=actor, from_version=from_version, to_version=to_version, action=action,
                         why=why, report=report)
    s.add(row)
    s.flush()
    audit(s, at=at, actor=actor, entity="classifier_model", entity_id=to_version, action=action,
          from_version=from_version, why=why, promotion_id=row.id)
    return row


def _write_current_after_commit(s: Session, version: str, root: Path) -> None:
    """Point ``CURRENT`` at ``version`` once the caller's transaction commits (never if it rolls back)."""
    settled = False

    def committed(_session: Session) -> None:
        nonlocal settled
        if settled:
            return
        settled = True
        try:
            registry.write_current(version, root)
        except (OSError, registry.ModelNotAvailableError) as exc:  # the database record stays the truth
            log.warning("promotion of %s recorded, but %s/CURRENT not rewritten: %s", version, root, exc)

    def rolled_back(_session: Session) -> None:
        nonlocal settled
        settled = True

    event.listen(s, "after_commit", committed, once=True)
    event.listen(s, "after_rollback", rolled_back, once=True)


def do_promote(s: Session, version: str, *, actor: str, why: str | None = None,
               report: dict[str, Any] | None = None, root: Path | None = None) -> ModelPromotion:
    """Make ``version`` the promoted classifier version and record who, when, from, to and why.

    Lock and transaction contract: runs in the caller's transaction (``with
    open_session(url) as s, s.begin(): do_promote(s, ...)``) and should be its
    first statement. It takes the history lock (PostgreSQL: a transaction-scoped
    advisory lock; SQLite: the database write lock), held until the caller
    commits or rolls back, so concurrent promotions and rollbacks run one after
    the other and each row's ``from_version`` is what was current when it was
    written. It appends the history row and an ``audit_log`` row; nothing is
    visible to other processes before the commit. ``CURRENT`` in the model
    directory is rewritten after the commit, never on rollback. Every process
    that classifies follows within ``classifiers.api.RELOAD_CHECK_SECONDS`` of
    the commit.

    With no history yet (fresh install, or a store promoted before the history
    existed) the version named by ``CURRENT``, if any, is first recorded as an
    ``initial`` row; a first promotion with nothing before it is itself ``initial``.

    Args:
        s: Open session inside a transaction.
        version: A version directory in the store.
        actor: Who promotes (``admin:<name>``, ``cli:<user>``, ``system``).
        why: The reason given, if any.
        report: What justified it (e.g. the gate's comparison), stored as JSON.
        root: Model directory (default: the configured ``classifiers`` store).

    Returns:
        The new history row.

    Raises:
        classifiers.ModelNotAvailableError: ``version`` is not in the store.
        ValueError: ``actor`` is empty or longer than 64 characters.
    """
    actor = _check_actor(actor)
    root = root or registry.model_root()
    registry.version_dir(version, root)  # must exist before anyone is pointed at it
    _lock(s)
    now = datetime.now(UTC)
    before = current_version(s)
    if before is None and (on_file := registry.read_current_file(root)):
        _append(s, at=now, actor="system", from_version=None, to_version=on_file, action="initial",
                why=INITIAL_WHY, report=None)
        before = on_file
    row = _append(s, at=now, actor=actor, from_version=before, to_version=version,
                  action="promote" if before else "initial", why=why, report=report)
    _write_current_after_commit(s, version, root)
    return row


def do_rollback(s: Session, *, actor: str, why: str | None, to_version: str | None = None,
                root: Path | None = None) -> ModelPromotion:
    """Go back to the version promoted before the current one, or to ``to_version`` if named.

    Lock and transaction contract: as :func:`do_promote` (the caller's
    transaction, the history lock first, ``CURRENT`` rewritten after the commit).

    One step back pops the history stack (see the module docstring);
    ``to_version`` may be any version that was current earlier and is still in
    the store.

    Args:
        s: Open session inside a transaction.
        actor: Who rolls back.
        why: The reason given.
        to_version: Target version; default one step back.
        root: Model directory (default: the configured ``classifiers`` store).

    Returns:
        The new history row (``action="rollback"``).

    Raises:
        RollbackError: no earlier version, or ``to_version`` was never promoted or is the current one.
        classifiers.ModelNotAvailableError: the target's directory is gone from the store.
        ValueError: ``actor`` is empty or longer than 64 characters.
    """
    actor = _check_actor(actor)
    root = root or registry.model_root()
    _lock(s)
    rows = list(reversed(history(s)))
    stack = _stack(rows)
    current = stack[-1] if stack else None
    if to_version is None:
        if len(stack) < 2:
            raise RollbackError("no earlier promoted version to roll back to")
        to_version = stack[-2]
    elif to_version == current:
        raise RollbackError(f"{to_version} is already the current version")
    elif to_version not in {r.to_version for r in rows}:
        raise RollbackError(f"{to_version} was never promoted; promote it instead")
    registry.version_dir(to_version, root)
    row = _append(s, at=datetime.now(UTC), actor=actor, from_version=current, to_version=to_version,
                  action="rollback", why=why, report=None)
    _write_current_after_commit(s, to_version, root)
    return row
