"""Context of the owners page: each non-staff cause with its owner, and the latest digest deliveries."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.notifications import Delivery
from bot.domain import NotificationKind
from bot.notifications import owners
from bot.web import display, messages
from bot.web.formatting import local_time

RECENT = 20


def _masked_url(url: str | None) -> str:
    """The webhook without its key or token (a credential): scheme, host and path only."""
    if not url:
        return ""
    base = url.split("?", 1)[0]
    return base + ("?…" if "?" in url else "")


def owners_context(s: Session, tz: str, typed: owners.OwnerInput | None = None) -> dict[str, Any]:
    """One card per ownable cause; the latest digest deliveries with their fate.

    ``typed``: a refused form's values, shown back in its cause's form (never its secret).
    """
    current = owners.all_owners(s)
    cards = []
    for code in owners.OWNABLE:
        o = current.get(code)
        cards.append({
            "cause": code, "name": display.CAUSE_NAMES[code], "owner": o is not None,
            "department": o.department if o else "", "emails": (o.emails or "").replace(",", ", ") if o else "",
            "webhook_kind": (o.webhook_kind or "") if o else "", "webhook_shown": _masked_url(o.webhook_url if o else None),
            "webhook_url": (o.webhook_url or "") if o else "", "signed": bool(o and o.webhook_secret),
            "updated": local_time(o.updated_at, tz) if o else "",
            "updated_by": o.updated_by.split(":", 1)[-1] if o else "",
        })
        if typed is not None and typed.cause == code:
            cards[-1].update(department=typed.department, emails=typed.emails, webhook_kind=typed.webhook_kind,
                             webhook_url=typed.webhook_url)
    recent = [{"at": local_time(d.created_at, tz), "subject": d.subject,
               "channel": messages.CHANNEL_NAMES.get(d.channel, d.channel),
               "to": d.address or (messages.CHANNEL_NAMES.get(d.channel, d.channel)),
               "status": d.status, "status_name": messages.DELIVERY_STATUS_NAMES.get(d.status, d.status),
               "attempts": d.attempts, "error": d.last_error or ""}
              for d in s.scalars(select(Delivery).where(Delivery.kind == NotificationKind.DIGEST.value)
                                 .order_by(Delivery.id.desc()).limit(RECENT))]
    return {"cards": cards, "recent": recent, "channel_names": messages.CHANNEL_NAMES}
