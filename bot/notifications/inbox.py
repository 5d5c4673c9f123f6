"""The one notification writer (:func:`do_notify`) and the staff's in-app inbox it fills.

A notification is, in the caller's transaction: one ``notifications`` row
per recipient (their inbox) and one queued ``notification_deliveries`` row
per outbound target — by default the centre's staff channels (WeCom robot,
DingTalk robot, staff e-mail), which the delivery job resolves from the
settings when it sends (a channel not configured is recorded ``skipped``).
So a rolled-back change never notifies anyone, and a committed one is never
lost by the queue: the rows are the intent, the job only executes it.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.db.cases import Notification
from bot.db.notifications import Delivery
from bot.domain import NotificationKind

MAX_TEXT = 255


@dataclass(frozen=True)
class Target:
    """Where one delivery goes.

    Attributes:
        channel: ``wecom``, ``dingtalk`` or ``email``.
        owner_cause: None for the centre's staff channels (settings); else the cause whose owner's contacts
            are read when sending.
        address: One e-mail address of an owner (None: the settings' staff addresses).
    """

    channel: str
    owner_cause: str | None = None
    address: str | None = None


#: The centre's staff channels, resolved from the settings by the delivery job.
STAFF_CHANNELS: tuple[Target, ...] = (Target("wecom"), Target("dingtalk"), Target("email"))


def do_notify(s: Session, *, kind: NotificationKind, recipients: Iterable[str], text: str, now: datetime,
              link: str | None = None, case_id: int | None = None, appeal_id: int | None = None,
              outbound: Sequence[Target] = STAFF_CHANNELS, body: str | None = None) -> list[Delivery]:
    """Put ``text`` in each recipient's inbox and queue its outbound deliveries.

    Transaction: the caller's; adds rows only (no locks taken), so the
    notification commits or rolls back with the change it reports.

    Args:
        s: Open session.
        kind: What the notification is about.
        recipients: Staff ids (duplicates are written once); may be empty (outbound only).
        text: One line of our own words (never a customer's), at most 255 characters kept.
        now: The time of the change.
        link: The staff page it is about, relative (``/appeals/3``); the inbox links it, deliveries carry it
            absolute.
        case_id: The case it is about, if any (opening the case marks it read).
        appeal_id: The appeal it is about, if any.
        outbound: Delivery targets; ``()`` for in-app only.
        body: A longer text for the deliveries (the digest); default ``text``.

    Returns:
        The queued deliveries (flushed, with ids).
    """
    text = text[:MAX_TEXT]
    for agent_id in dict.fromkeys(recipients):
        s.add(Notification(agent_id=agent_id, kind=kind.value, case_id=case_id, appeal_id=appeal_id, link=link,
                           text=text, created_at=now))
    queued = [Delivery(kind=kind.value, channel=t.channel, owner_cause=t.owner_cause, address=t.address,
                       subject=text, body=body or text, link=link, status="queued", attempts=0, created_at=now,
                       next_attempt_at=now) for t in outbound]
    s.add_all(queued)
    s.flush()
    return queued


# --- reading the inbox ---------------------------------------------------------------

def unread_count(s: Session, agent_id: str) -> int:
    """Unread inbox entries of ``agent_id``."""
    return int(s.scalar(select(func.count()).select_from(Notification)
                        .where(Notification.agent_id == agent_id, Notification.read_at.is_(None))) or 0)


def entries(s: Session, agent_id: str, limit: int = 100) -> list[Notification]:
    """``agent_id``'s newest inbox entries, unread first."""
    return list(s.scalars(select(Notification).where(Notification.agent_id == agent_id)
                          .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(),
                                    Notification.id.desc()).limit(limit)))


def entry(s: Session, agent_id: str, entry_id: int) -> Notification | None:
    """One entry of ``agent_id``'s own inbox (None for another person's: the same answer as a missing one)."""
    return s.scalar(select(Notification).where(Notification.id == entry_id, Notification.agent_id == agent_id))


def do_mark_read(s: Session, agent_id: str, now: datetime, *, case_id: int | None = None,
                 appeal_id: int | None = None, entry_id: int | None = None) -> None:
    """Mark ``agent_id``'s unread entries about a case, an appeal or one entry read.

    Transaction: the caller's; one UPDATE of the agent's own rows only.
    """
    cond = [Notification.agent_id == agent_id, Notification.read_at.is_(None)]
    if case_id is not None:
        cond.append(Notification.case_id == case_id)
    elif appeal_id is not None:
        cond.append(Notification.appeal_id == appeal_id)
    elif entry_id is not None:
        cond.append(Notification.id == entry_id)
    s.execute(update(Notification).where(*cond).values(read_at=now))
