"""The weekly digest of each owner of non-staff causes: counts, trend, three redacted quotes, a link.

Produced by the periodic ``weekly_digest`` job on Monday morning for the ISO
week that just ended (in the centre's zone). Owners are grouped by
department: a department owning several causes gets one digest listing each.
Counts are the cause report's (``bot.scoring.cause_report``: counted 1–3
ratings whose current reason has the cause, by the call's end time), so the
digest says what the linked report page shows. Quotes are reason texts,
redacted when stored and redacted again here, cut to :data:`QUOTE_CHARS`.

Each digest is delivered to the department's contacts (each e-mail address,
each webhook) and written to every admin's inbox; an ``audit_log`` row
(entity ``digest``, id ``<week>:<hash of the department>``) makes a second run for the
same week send nothing.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.audit import audit
from bot.db.models import Agent, AuditLog
from bot.db.notifications import CauseOwner
from bot.domain import NotificationKind, Role
from bot.domain.cause_names import CAUSE_NAMES
from bot.notifications.inbox import Target, do_notify
from bot.scoring.cause_report import CauseCount, cause_report
from bot.scoring.periods import Period, parse_period, zone_info
from zhtext.redact import redact

QUOTES = 3
QUOTE_CHARS = 60


@dataclass(frozen=True)
class DepartmentDigest:
    """One department's digest of one week."""

    department: str
    week: str
    previous_week: str
    causes: tuple[CauseCount, ...]  # the department's causes, taxonomy order, quotes already cut to QUOTES
    link: str

    @property
    def total(self) -> int:
        """Ratings of all the department's causes this week."""
        return sum(c.count for c in self.causes)

    @property
    def previous_total(self) -> int:
        """The same, the week before."""
        return sum(c.previous for c in self.causes)


def trend(count: int, previous: int) -> str:
    """``较上周 +3（+50%）``, ``较上周 -2（-40%）``, ``与上周持平``, or ``上周为 0`` words."""
    delta = count - previous
    if delta == 0:
        return "与上周持平"
    if previous == 0:
        return f"较上周 +{delta}（上周为 0）"
    return f"较上周 {delta:+d}（{delta / previous:+.0%}）"


def last_full_week(now: datetime, tz: str) -> Period:
    """The ISO week before the one ``now`` falls in, in the centre's zone."""
    local = now.astimezone(zone_info(tz)).date() - timedelta(days=7)
    year, week, _ = local.isocalendar()
    return parse_period(f"{year:04d}-W{week:02d}")


def _quote(text: str) -> str:
    one_line = " ".join(redact(text).split())
    return one_line if len(one_line) <= QUOTE_CHARS else one_line[:QUOTE_CHARS - 1] + "…"


def build_digests(s: Session, week: Period, tz: str) -> list[tuple[DepartmentDigest, list[CauseOwner]]]:
    """Every department's digest of ``week``, with the owner rows whose contacts receive it.

    Reads only (one cause report of the week and its previous week, aggregated in SQL).
    """
    owners = list(s.scalars(select(CauseOwner)))
    if not owners:
        return []
    report = cause_report(s, week, tz=tz, quotes_per_cause=QUOTES)
    by_cause = {c.cause: c for c in report.non_staff}
    departments: dict[str, list[CauseOwner]] = {}
    for o in owners:
        departments.setdefault(o.department, []).append(o)
    digests = []
    for department, rows in sorted(departments.items()):
        mine = {o.cause for o in rows}
        causes = tuple(CauseCount(c.cause, c.count, c.previous, tuple(_quote(q) for q in c.quotes[:QUOTES]))
                       for code, c in by_cause.items() if code in mine)
        digests.append((DepartmentDigest(department, report.period, report.previous_period, causes,
                                         f"/admin?period={report.period}"), rows))
    return digests


def render(d: DepartmentDigest) -> tuple[str, str]:
    """The digest's one-line summary (inbox, subject) and its body (deliveries)."""
    summary = f"每周摘要 {d.week}｜{d.department}：本周 {d.total} 条，{trend(d.total, d.previous_total)}"
    lines = [f"{d.department}负责的非服务原因，{d.week}（上期 {d.previous_week}）不满意评价（1–3 分）：", ""]
    for c in d.causes:
        lines.append(f"- {CAUSE_NAMES.get(c.cause, c.cause)}：本周 {c.count} 条，上周 {c.previous} 条，"
                     f"{trend(c.count, c.previous)}")
    quotes = [(c.cause, q) for c in d.causes for q in c.quotes][:QUOTES]
    if quotes:
        lines += ["", "客户原话（已脱敏）："]
        lines += [f"> 「{q}」（{CAUSE_NAMES.get(cause, cause)}）" for cause, q in quotes]
    lines += ["", "完整的原因报表见链接（需登录）。"]
    return summary, "\n".join(lines)


def _targets(rows: list[CauseOwner]) -> list[Target]:
    targets: list[Target] = []
    seen_addresses: set[str] = set()
    seen_hooks: set[tuple[str, str]] = set()
    for o in sorted(rows, key=lambda r: r.cause):
        for address in filter(None, (o.emails or "").split(",")):
            if address not in seen_addresses:
                seen_addresses.add(address)
                targets.append(Target("email", o.cause, address))
        if o.webhook_kind and o.webhook_url and (o.webhook_kind, o.webhook_url) not in seen_hooks:
            seen_hooks.add((o.webhook_kind, o.webhook_url))
            targets.append(Target(o.webhook_kind, o.cause))
    return targets


def do_queue_digests(s: Session, now: datetime, tz: str, week: Period | None = None) -> list[str]:
    """Queue the digest of ``week`` (default: the last full week) for every department not yet sent it.

    Transaction: the caller's; writes the admins' inbox rows, the queued
    deliveries and one audit row per department, all or none.

    Returns:
        The departments queued now.
    """
    week = week or last_full_week(now, tz)
    admins = list(s.scalars(select(Agent.id).where(Agent.role == Role.ADMIN).order_by(Agent.id)))
    done = []
    for digest, rows in build_digests(s, week, tz):
        # The audit id column holds 64 characters: the department is named by a hash there, in full in the data.
        key = f"{digest.week}:{hashlib.sha256(digest.department.encode()).hexdigest()[:24]}"
        if s.scalar(select(AuditLog.id).where(AuditLog.entity == "digest", AuditLog.entity_id == key).limit(1)):
            continue
        summary, body = render(digest)
        deliveries = do_notify(s, kind=NotificationKind.DIGEST, recipients=admins, text=summary, now=now,
                               link=digest.link, outbound=_targets(rows), body=body)
        audit(s, at=now, actor="system", entity="digest", entity_id=key, action="queued",
              department=digest.department, causes=[c.cause for c in digest.causes], total=digest.total,
              previous=digest.previous_total, deliveries=len(deliveries))
        done.append(digest.department)
    return done
