"""The append-only audit trail."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.db.models import AuditLog


def audit(s: Session, *, at: datetime, actor: str, entity: str, entity_id: Any, action: str, **data: Any) -> None:
    """Append one audit row in the caller's transaction.

    Args:
        s: Open session; the row commits or rolls back with the change it describes.
        at: When the change happened (UTC).
        actor: Who made it: ``customer``, ``integration``, ``reviewer:<name>``, ``system``.
        entity: Table-level noun (``survey``, ``rating``, ``reason`` ...).
        entity_id: Primary key of the changed row.
        action: Verb (``created``, ``status_changed``, ``superseded`` ...).
        **data: JSON-serialisable details (old/new values).
    """
    s.add(AuditLog(at=at, actor=actor, entity=entity, entity_id=str(entity_id), action=action, data=data))
