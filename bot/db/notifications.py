"""Relational model of outbound notifications and of the owners of non-staff causes.

A notification is first an in-app ``notifications`` row per recipient
(``bot.db.cases.Notification``) and, in the same transaction, one
``notification_deliveries`` row per outbound channel: a group robot (WeCom,
DingTalk) or an e-mail. A delivery is sent by the job runner; it is ``sent``
only when the channel accepted it, ``failed`` after its last attempt,
``skipped`` when its channel is not configured. Texts are our own words,
counts and links; a digest's quotes are redacted reason texts.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base

DELIVERY_STATUSES = ("queued", "sent", "failed", "skipped")
DELIVERY_CHANNELS = ("wecom", "dingtalk", "email")
WEBHOOK_KINDS = ("wecom", "dingtalk")


class CauseOwner(Base):
    """Who owns a non-staff cause: a department and its contacts (e-mail addresses, a group-robot webhook)."""

    __tablename__ = "cause_owners"
    __table_args__ = (
        CheckConstraint(f"webhook_kind IS NULL OR webhook_kind IN {WEBHOOK_KINDS}", name="ck_cause_owners_webhook"),
    )

    cause: Mapped[str] = mapped_column(String(32), primary_key=True)  # a non-staff code of bot.domain
    department: Mapped[str] = mapped_column(String(64))
    emails: Mapped[str] = mapped_column(Text, default="")  # comma-separated, validated when set
    webhook_kind: Mapped[str | None] = mapped_column(String(16))
    webhook_url: Mapped[str | None] = mapped_column(String(512))
    webhook_secret: Mapped[str | None] = mapped_column(String(128))  # DingTalk's 加签 secret (SEC…)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))


class Delivery(Base):
    """One outbound message of a notification on one channel, with its fate."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN {DELIVERY_STATUSES}", name="ck_notification_deliveries_status"),
        CheckConstraint(f"channel IN {DELIVERY_CHANNELS}", name="ck_notification_deliveries_channel"),
        Index("ix_notification_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # bot.domain.NotificationKind
    channel: Mapped[str] = mapped_column(String(16))
    # None: the centre's staff channels from the settings; else the owner's contacts (read when sending).
    owner_cause: Mapped[str | None] = mapped_column(ForeignKey("cause_owners.cause", ondelete="SET NULL"))
    address: Mapped[str | None] = mapped_column(String(255))  # one owner e-mail address; None: from settings
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(255))  # relative; the sender prefixes FEEDBACKBOT_PUBLIC_URL
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
