"""Context of the inbox page: each notification with its kind's name, local time and link."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.db.cases import Notification
from bot.web import messages
from bot.web.formatting import local_time


def inbox_rows(entries: Iterable[Notification], tz: str) -> list[dict[str, Any]]:
    """The inbox's rows: id, kind name, text, local time, whether read and whether it links somewhere."""
    return [{"id": n.id, "kind": messages.INBOX_KIND_NAMES.get(n.kind, n.kind), "kind_code": n.kind,
             "text": n.text, "at": local_time(n.created_at, tz), "read": n.read_at is not None,
             "has_link": bool(n.link)} for n in entries]
