"""Owners of non-staff causes: a department and its contacts for each non-staff cause code.

An owner receives the weekly digest of their causes (``bot.notifications.digest``) at their e-mail
addresses and/or their group robot (WeCom or DingTalk, DingTalk optionally with its 加签 secret). Setting
or removing an owner is audited (entity ``cause_owner``); the webhook URL and secret are never written to
the audit trail (they are credentials), only whether they changed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.db.audit import audit
from bot.db.notifications import WEBHOOK_KINDS, CauseOwner, Delivery
from bot.domain import ATTRIBUTION, CAUSES, Attribution
from zhtext.clean import has_forbidden

#: The causes an owner can be given, in taxonomy order: the non-staff ones (not the agent's, and not ``none``,
#: which is no dissatisfaction at all).
OWNABLE: tuple[str, ...] = tuple(c for c in CAUSES if ATTRIBUTION[c] == Attribution.NON_STAFF)
MAX_DEPARTMENT = 64
MAX_EMAILS = 10
# Deliberately plain: one @, no spaces or commas, a dot in the domain (the SMTP server has the last word).
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


class OwnerRefusal(StrEnum):
    """Why an owner was not stored (keys of ``bot.web.messages.OWNER_REFUSALS``)."""

    UNKNOWN_CAUSE = "unknown_cause"  # not a non-staff cause code
    CONTROL_CHARACTERS = "control_characters"  # NUL or another control character in any field
    NO_DEPARTMENT = "no_department"
    DEPARTMENT_TOO_LONG = "department_too_long"
    BAD_EMAIL = "bad_email"
    TOO_MANY_EMAILS = "too_many_emails"
    NO_CONTACT = "no_contact"  # neither an address nor a webhook: the digest could reach nobody
    BAD_WEBHOOK_KIND = "bad_webhook_kind"
    BAD_WEBHOOK_URL = "bad_webhook_url"
    SECRET_WITHOUT_DINGTALK = "secret_without_dingtalk"  # 加签 is DingTalk's; WeCom robots have none


@dataclass(frozen=True)
class OwnerInput:
    """What an admin typed for one cause's owner (raw form or CLI values).

    ``webhook_secret`` empty keeps the stored secret (a form never shows it back); ``clear_secret`` removes it.
    """

    cause: str
    department: str
    emails: str = ""
    webhook_kind: str = ""
    webhook_url: str = ""
    webhook_secret: str = ""
    clear_secret: bool = False


def parse_emails(text: str) -> list[str] | None:
    """Addresses separated by commas, semicolons, spaces or line breaks; None if one is not an address."""
    parts = [p for p in re.split(r"[,;，；\s]+", text or "") if p]
    if any(not _EMAIL.match(p) or len(p) > 254 for p in parts):
        return None
    return list(dict.fromkeys(parts))


def _valid_url(url: str) -> bool:
    return bool(re.match(r"^https?://[^\s/]+(/\S*)?$", url)) and len(url) <= 512


def do_set_owner(s: Session, data: OwnerInput, *, actor: str, now: datetime) -> OwnerRefusal | None:
    """Create or replace the owner of ``data.cause``; returns why not, or None when stored.

    Transaction: the caller's; reads and writes the one ``cause_owners`` row
    (no lock needed: the last admin's save wins, both are audited).
    """
    if data.cause not in OWNABLE:
        return OwnerRefusal.UNKNOWN_CAUSE
    if any(has_forbidden(v or "") for v in (data.department, data.emails, data.webhook_kind, data.webhook_url,
                                            data.webhook_secret)):
        return OwnerRefusal.CONTROL_CHARACTERS  # PostgreSQL refuses NUL: say so instead of a 500
    department = " ".join((data.department or "").split())
    if not department:
        return OwnerRefusal.NO_DEPARTMENT
    if len(department) > MAX_DEPARTMENT:
        return OwnerRefusal.DEPARTMENT_TOO_LONG
    emails = parse_emails(data.emails)
    if emails is None:
        return OwnerRefusal.BAD_EMAIL
    if len(emails) > MAX_EMAILS:
        return OwnerRefusal.TOO_MANY_EMAILS
    kind = (data.webhook_kind or "").strip() or None
    url = (data.webhook_url or "").strip() or None
    if kind is not None and kind not in WEBHOOK_KINDS:
        return OwnerRefusal.BAD_WEBHOOK_KIND
    if url is not None and (kind is None or not _valid_url(url)):
        return OwnerRefusal.BAD_WEBHOOK_URL if kind is not None else OwnerRefusal.BAD_WEBHOOK_KIND
    if url is None:
        kind = None
    if not emails and url is None:
        return OwnerRefusal.NO_CONTACT
    secret_in = (data.webhook_secret or "").strip()
    if secret_in and kind != "dingtalk":
        return OwnerRefusal.SECRET_WITHOUT_DINGTALK
    row = s.get(CauseOwner, data.cause)
    old_secret = row.webhook_secret if row is not None else None
    secret = None if data.clear_secret or kind != "dingtalk" else (secret_in or old_secret)
    old_url = row.webhook_url if row is not None else None
    if row is None:
        row = CauseOwner(cause=data.cause, department=department, updated_at=now, updated_by=actor)
        s.add(row)
    row.department, row.emails = department, ",".join(emails)
    row.webhook_kind, row.webhook_url, row.webhook_secret = kind, url, secret
    row.updated_at, row.updated_by = now, actor
    s.flush()
    audit(s, at=now, actor=actor, entity="cause_owner", entity_id=data.cause, action="set", department=department,
          emails=len(emails), webhook_kind=kind, webhook_changed=url != old_url, signed=secret is not None)
    return None


def do_remove_owner(s: Session, cause: str, *, actor: str, now: datetime) -> bool:
    """Remove the owner of ``cause``; returns whether there was one.

    Transaction: the caller's; the owner's queued deliveries are recorded
    ``skipped`` first (a delivery without an owner would otherwise read as
    one to the centre's staff channels), sent ones keep their history with
    the owner set NULL by the foreign key.
    """
    row = s.get(CauseOwner, cause)
    if row is None:
        return False
    s.execute(update(Delivery).where(Delivery.owner_cause == cause, Delivery.status == "queued")
              .values(status="skipped", last_error="owner removed"))
    s.delete(row)
    s.flush()
    audit(s, at=now, actor=actor, entity="cause_owner", entity_id=cause, action="removed")
    return True


def all_owners(s: Session) -> dict[str, CauseOwner]:
    """Every owner by cause code."""
    return {o.cause: o for o in s.scalars(select(CauseOwner))}
