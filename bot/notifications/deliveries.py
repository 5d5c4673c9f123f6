"""Sending queued deliveries: a job of the runner, each delivery retried with back-off, never "sent" unless sent.

:func:`deliver_due` (the periodic ``deliver_notifications`` job, every
minute) takes every ``queued`` delivery whose ``next_attempt_at`` has come.
It first *claims* the row — an UPDATE that moves ``next_attempt_at`` a lease
ahead, taken only if nobody moved it meanwhile — so two workers never send
the same delivery at once, on SQLite as on PostgreSQL, and no transaction
stays open while a webhook or SMTP server answers. Then it sends and records:

* accepted → ``sent`` with ``sent_at``;
* refused or unreachable → ``attempts`` + 1 and ``last_error``; again after
  :data:`BACKOFF` [attempts], or ``failed`` after :data:`MAX_ATTEMPTS`;
* its channel not configured (development default) → ``skipped``.

A worker killed between sending and recording leaves the row queued with
its lease: it is sent again when the lease ends (at least once, never lost).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, select, update

from bot.clock import utcnow
from bot.db.notifications import CauseOwner, Delivery
from bot.db.session import open_session
from bot.notifications import mail, robots
from bot.notifications.robots import SendOutcome
from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
#: Wait before the next attempt, by attempts made so far (1, 2, 3).
BACKOFF = {1: timedelta(minutes=1), 2: timedelta(minutes=5), 3: timedelta(minutes=30)}
#: How long a claimed delivery is left alone: longer than one send can take (timeouts are ≤ 60 s).
LEASE = timedelta(minutes=5)
BATCH = 200


class NotConfigured(Exception):  # noqa: N818 - it is a state, not an error
    """The delivery's channel has no destination in this deployment."""


@dataclass(frozen=True)
class Claimed:
    """A delivery taken for one attempt, with its owner's contacts as they were when it was claimed."""

    id: int
    channel: str
    owner_cause: str | None
    address: str | None
    subject: str
    body: str
    link: str | None
    webhook_kind: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None


def _claim(settings: Settings, delivery_id: int, due: datetime, now: datetime) -> Claimed | None:
    """Take the delivery for this attempt (a conditional UPDATE), or None when someone else has it."""
    with open_session(settings.database_url) as s, s.begin():
        taken = cast(CursorResult, s.execute(
            update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "queued",
                                   Delivery.next_attempt_at == due)
            .values(next_attempt_at=now + LEASE))).rowcount
        row = s.get(Delivery, delivery_id) if taken == 1 else None
        if row is None:
            return None
        owner = s.get(CauseOwner, row.owner_cause) if row.owner_cause else None
        return Claimed(row.id, row.channel, row.owner_cause, row.address, row.subject, row.body, row.link,
                       *((owner.webhook_kind, owner.webhook_url, owner.webhook_secret) if owner else ()))


def text_of(row: Claimed, settings: Settings) -> str:
    """The message: its body and, when it has one, the absolute link to the staff page."""
    link = f"{settings.public_base_url}{row.link}" if row.link else None
    return row.body + (f"\n\n查看：{link}" if link else "")


def _markdown(row: Claimed, settings: Settings) -> str:
    link = f"{settings.public_base_url}{row.link}" if row.link else None
    body = "" if row.body == row.subject else f"\n\n{row.body}"
    return f"**{row.subject}**{body}" + (f"\n\n[查看详情]({link})" if link else "")


def send_one(settings: Settings, row: Claimed) -> SendOutcome:
    """Send ``row`` on its channel.

    Raises:
        NotConfigured: the channel has no destination (no webhook, no SMTP server, no address).
    """
    timeout = settings.notify_timeout_seconds
    if row.channel == "email":
        to = (row.address,) if row.address else (() if row.owner_cause else settings.notify_email_to)
        if not settings.smtp_host or not to:
            raise NotConfigured("no SMTP server" if not settings.smtp_host else "no address")
        return mail.send_mail(settings, [a for a in to if a], row.subject, text_of(row, settings))
    if row.owner_cause:
        if row.webhook_kind != row.channel or not row.webhook_url:
            raise NotConfigured("the owner has no such webhook")
        url, secret = row.webhook_url, row.webhook_secret or ""
    elif row.channel == "wecom":
        url, secret = settings.notify_wecom_webhook, ""
    else:
        url, secret = settings.notify_dingtalk_webhook, settings.notify_dingtalk_secret
    if not url:
        raise NotConfigured(f"no {row.channel} webhook")
    if row.channel == "wecom":
        return robots.send_wecom(url, _markdown(row, settings), timeout=timeout)
    return robots.send_dingtalk(url, row.subject, _markdown(row, settings), secret=secret, timeout=timeout)


def _record(settings: Settings, delivery_id: int, outcome: SendOutcome | None, skipped: str | None,
            now: datetime) -> str:
    with open_session(settings.database_url) as s, s.begin():
        row = s.get(Delivery, delivery_id, with_for_update=True)
        if row is None or row.status != "queued":
            return row.status if row is not None else "missing"
        if skipped is not None:
            row.status, row.last_error = "skipped", skipped[:255]
        elif outcome is not None and outcome.ok:
            row.attempts += 1
            row.status, row.sent_at, row.last_error = "sent", now, None
        else:
            row.attempts += 1
            row.last_error = ((outcome.error if outcome else None) or "error")[:255]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
            else:
                row.next_attempt_at = now + BACKOFF.get(row.attempts, BACKOFF[max(BACKOFF)])
        return row.status


def deliver_due(settings: Settings, *, now: Callable[[], datetime] = utcnow) -> dict[str, int]:
    """Send every due queued delivery once; returns how many ended in each status (``queued`` = retry later).

    Transactions: its own, short ones per delivery (claim, then record);
    nothing is held while a channel answers.
    """
    start = now()
    with open_session(settings.database_url) as s:
        due = s.execute(select(Delivery.id, Delivery.next_attempt_at)
                        .where(Delivery.status == "queued", Delivery.next_attempt_at <= start)
                        .order_by(Delivery.next_attempt_at, Delivery.id).limit(BATCH)).all()
    tally: dict[str, int] = {}
    for delivery_id, due_at in due:
        row = _claim(settings, delivery_id, due_at, now())
        if row is None:
            continue
        outcome: SendOutcome | None = None
        skipped: str | None = None
        try:
            outcome = send_one(settings, row)
        except NotConfigured as exc:
            skipped = f"not configured: {exc}"
        except Exception as exc:  # a bug in a sender must not leave the row leased forever
            log.exception("delivery %d: sender raised", delivery_id)
            outcome = SendOutcome(False, f"internal: {type(exc).__name__}")
        status = _record(settings, delivery_id, outcome, skipped, now())
        tally[status] = tally.get(status, 0) + 1
        if status in ("failed", "queued") and outcome is not None:
            log.warning("delivery %d (%s): %s → %s", delivery_id, row.channel, outcome.error, status)
    return tally
