"""The survey funnel per hour of invitation, or per channel: invited (from our surveys) and each later step reached.

The steps come from Rasa's event stream (``bot.ops.funnel_consumer``); the
channel is the call's (``calls.channel``: web, sms, wechat). Both groupings
count the same surveys with the same aggregates (:func:`_funnel`).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.db.funnel import FunnelEvent
from bot.db.models import Call, Survey
from bot.domain import FunnelStep

STEPS_AFTER_INVITE = tuple(s for s in FunnelStep if s != FunnelStep.INVITED)


def _hour_of(column, dialect: str, tz: ZoneInfo):
    """SQL for the local hour (``YYYY-MM-DD HH:00``) of a UTC timestamp column."""
    if dialect == "postgresql":
        return func.to_char(func.date_trunc("hour", func.timezone(tz.key, column)), "YYYY-MM-DD HH24:00")
    offset = int((datetime.now(tz).utcoffset() or timedelta()).total_seconds() // 60)
    return func.strftime("%Y-%m-%d %H:00", column, f"{offset:+d} minutes")


def _funnel(s: Session, key, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per value of ``key`` (a labelled SQL expression over surveys and calls) for the surveys sent in
    [start, end): invited and how many reached each later step."""
    reached = [func.count(func.distinct(case((FunnelEvent.step == str(step), Survey.id)))).label(str(step))
               for step in STEPS_AFTER_INVITE]
    query = (select(key, func.count(func.distinct(Survey.id)).label("invited"), *reached)
             .select_from(Survey).join(Call, Call.id == Survey.call_id)
             .outerjoin(FunnelEvent, FunnelEvent.survey_token == Survey.token)
             .where(Survey.sent_at >= start, Survey.sent_at < end).group_by(key).order_by(key))
    return [dict(row._mapping) for row in s.execute(query)]


def funnel_by_hour(s: Session, start: datetime, end: datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Per hour of invitation in [start, end): surveys invited and how many reached each later step (key ``hour``)."""
    return _funnel(s, _hour_of(Survey.sent_at, s.get_bind().dialect.name, tz).label("hour"), start, end)


def funnel_by_channel(s: Session, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per channel of the surveys sent in [start, end): invited and each later step reached (key ``channel``)."""
    return _funnel(s, Call.channel.label("channel"), start, end)


def parse_period(period: str, tz: ZoneInfo, now: datetime | None = None) -> tuple[datetime, datetime]:
    """``today``, ``yesterday``, ``YYYY-MM-DD`` (local days), or ``<N>h`` / ``<N>d`` back from now; UTC bounds.

    Raises:
        ValueError: for anything else.
    """
    now = (now or datetime.now(UTC)).astimezone(tz)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period in ("today", "yesterday"):
        start = midnight - timedelta(days=1 if period == "yesterday" else 0)
        return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
    if period[:-1].isdigit() and period[-1] in "hd" and int(period[:-1]) > 0:
        span = timedelta(hours=int(period[:-1])) if period[-1] == "h" else timedelta(days=int(period[:-1]))
        return (now - span).astimezone(UTC), now.astimezone(UTC) + timedelta(seconds=1)
    try:
        day = datetime.strptime(period, "%Y-%m-%d").replace(tzinfo=tz)
    except ValueError:
        raise ValueError(f"period {period!r}: use today, yesterday, YYYY-MM-DD, 24h or 7d") from None
    return day.astimezone(UTC), (day + timedelta(days=1)).astimezone(UTC)


def format_funnel(rows: list[dict[str, Any]], key: str = "hour") -> str:
    """A plain-text table: one line per ``key`` (hour or channel), then the total with each step as a share of
    invited; grouped by channel, each channel's line is followed by its own shares."""
    names = [str(s) for s in FunnelStep]
    lines = [f"{key:<18}" + "".join(f"{n:>11}" for n in names)]
    for row in rows:
        lines.append(f"{row[key]:<18}" + "".join(f"{row[n]:>11}" for n in names))
        if key == "channel" and row["invited"]:
            lines.append(f"{'  share':<18}" + "".join(f"{row[n] / row['invited']:>11.0%}" for n in names))
    total = {n: sum(r[n] for r in rows) for n in names}
    lines.append(f"{'total':<18}" + "".join(f"{total[n]:>11}" for n in names))
    if total["invited"]:
        lines.append(f"{'share of invited':<18}" + "".join(f"{total[n] / total['invited']:>11.0%}" for n in names))
    return "\n".join(lines)
