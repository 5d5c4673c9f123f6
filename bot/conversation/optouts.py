"""The opt-out list: channels that asked for no more surveys, keyed by an HMAC of the channel id.

The raw channel id is never stored here: ``channel_hash`` is HMAC-SHA256 of the
id under ``Settings.session_secret``, so the list can answer "is this channel
opted out?" for a new call without keeping a list of customers' addresses.
A customer opts back in by writing "重新订阅" (or "恢复评价") in their closed,
opted-out survey, or the integration deletes the entry
(``DELETE /api/opt-outs/{customer_channel_id}``); the row is kept with
``opted_in_at`` set, and both changes are audited.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy.orm import Session

from bot.db.audit import audit
from bot.db.chat import OptOut


def channel_hash(channel_id: str, secret: str) -> str:
    """HMAC-SHA256 (hex) of a channel id; the only form in which the list stores it."""
    return hmac.new(secret.encode(), channel_id.strip().encode(), hashlib.sha256).hexdigest()


def is_opted_out(s: Session, channel_id: str | None, secret: str) -> bool:
    """True when ``channel_id`` asked for no more surveys and has not opted back in."""
    if not channel_id:
        return False
    row = s.get(OptOut, channel_hash(channel_id, secret))
    return row is not None and row.opted_in_at is None


def opt_out(s: Session, channel_id: str | None, secret: str, now: datetime, survey_id: int | None = None) -> bool:
    """Put a channel on the list (again); returns False when there is no channel id to record."""
    if not channel_id:
        return False
    return opt_out_key(s, channel_hash(channel_id, secret), now, survey_id)


def opt_out_key(s: Session, key: str, now: datetime, survey_id: int | None = None) -> bool:
    """:func:`opt_out` for a channel known only by its hash (how calls keep it)."""
    row = s.get(OptOut, key)
    if row is None:
        s.add(OptOut(channel_hash=key, opted_out_at=now, opted_in_at=None,
                     survey_id=survey_id))
    elif row.opted_in_at is not None:
        row.opted_out_at, row.opted_in_at = now, None
    else:
        return True
    s.flush()
    audit(s, at=now, actor="customer", entity="opt_out", entity_id=key[:16], action="opted_out",
          survey=survey_id)
    return True


def opt_in(s: Session, channel_id: str | None, secret: str, now: datetime, actor: str = "customer") -> bool:
    """Take a channel off the list; returns False when it was not on it."""
    if not channel_id:
        return False
    return opt_in_key(s, channel_hash(channel_id, secret), now, actor)


def opt_in_key(s: Session, key: str, now: datetime, actor: str = "customer") -> bool:
    """:func:`opt_in` for a channel known only by its hash."""
    row = s.get(OptOut, key)
    if row is None or row.opted_in_at is not None:
        return False
    row.opted_in_at = now
    s.flush()
    audit(s, at=now, actor=actor, entity="opt_out", entity_id=key[:16], action="opted_in")
    return True
