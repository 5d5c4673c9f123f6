"""The survey funnel from Rasa's event stream: invited → opened → rated → reason given → completed.

``feedbackbot funnel-consumer`` reads the events Rasa publishes to RabbitMQ
(``RABBITMQ_QUEUE``, production profile) and records, per survey, each step
it reached and when. Rasa events carry no id, so each gets one: the sha256 of
its sender, timestamp, type and payload; a re-delivered event inserts nothing
(primary key, ``ON CONFLICT DO NOTHING``), and a message is acknowledged only
after its rows committed. ``feedbackbot funnel --period P`` prints the funnel
per hour of invitation, ``invited`` coming from our surveys table.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.db.delivery import FunnelEvent
from bot.db.models import Survey
from bot.domain import FunnelStep

log = logging.getLogger(__name__)

# What each bot utterance shows the customer has done (Rasa puts the response
# name in the bot event's ``metadata.utter_action``).
UTTERANCE_STEPS: dict[str, tuple[FunnelStep, ...]] = {
    "utter_ask_reason": (FunnelStep.RATED,),
    "utter_confirm_score": (FunnelStep.RATED,),
    "utter_ask_cause_choice": (FunnelStep.RATED, FunnelStep.REASON),
    "utter_thanks_reason": (FunnelStep.RATED, FunnelStep.REASON, FunnelStep.COMPLETED),
    "utter_thanks_high": (FunnelStep.RATED, FunnelStep.COMPLETED),
}
OPENING_ACTION = "action_start_survey"
STEPS_AFTER_INVITE = tuple(s for s in FunnelStep if s != FunnelStep.INVITED)


def event_id(event: dict[str, Any]) -> str:
    """A stable id for a Rasa event: sha256 of its canonical JSON (sender, timestamp, type and payload)."""
    return hashlib.sha256(json.dumps(event, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def steps_of(event: dict[str, Any]) -> tuple[FunnelStep, ...]:
    """The funnel steps a Rasa event shows (none for most events)."""
    kind = event.get("event")
    if kind == "action" and event.get("name") == OPENING_ACTION:
        return (FunnelStep.OPENED,)
    if kind == "bot":
        utterance = (event.get("metadata") or {}).get("utter_action")
        return UTTERANCE_STEPS.get(utterance, ()) if isinstance(utterance, str) else ()
    return ()


def rows_of(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Funnel rows for one event, each keyed by the event's id and the step."""
    token, stamp = event.get("sender_id"), event.get("timestamp")
    if not isinstance(token, str) or not isinstance(stamp, int | float) or len(token) > 64:
        return []
    base = event_id(event)
    at = datetime.fromtimestamp(stamp, UTC)
    return [{"event_id": hashlib.sha256(f"{base}:{step}".encode()).hexdigest(), "survey_token": token,
             "step": str(step), "at": at} for step in steps_of(event)]


def record(s: Session, events: Iterable[dict[str, Any]]) -> int:
    """Store the funnel rows of ``events``, ignoring those already stored; returns how many were new."""
    rows = [row for event in events for row in rows_of(event)]
    if not rows:
        return 0
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(FunnelEvent).values(rows).on_conflict_do_nothing(index_elements=["event_id"])
    return len(s.execute(stmt.returning(FunnelEvent.event_id)).all())


# --- consumer -------------------------------------------------------------------------

def consume(database_url: str, *, host: str, port: int, user: str, password: str, queue: str,
            idle_stop_s: float | None = None) -> int:
    """Read events from RabbitMQ until interrupted (or idle for ``idle_stop_s``); returns rows stored.

    Each message is acknowledged after its rows committed; a database failure
    leaves it unacknowledged and reconnects, so RabbitMQ delivers it again
    (and the event id keeps the second delivery from counting twice).
    """
    import pika

    from bot.db.session import open_session

    params = pika.ConnectionParameters(host, port, credentials=pika.PlainCredentials(user, password),
                                       heartbeat=30)
    stored = 0
    conn = pika.BlockingConnection(params)
    try:
        channel = conn.channel()
        channel.queue_declare(queue, durable=True)  # as Rasa's broker declares it
        channel.basic_qos(prefetch_count=200)
        for method, _props, body in channel.consume(queue, inactivity_timeout=idle_stop_s or 1.0):
            if method is None:
                if idle_stop_s is not None:
                    break
                continue
            try:
                event = json.loads(body)
            except ValueError:
                log.warning("dropping a message that is not JSON: %r", body[:200])
                channel.basic_ack(method.delivery_tag)
                continue
            try:
                with open_session(database_url) as s, s.begin():
                    stored += record(s, [event] if isinstance(event, dict) else [])
            except Exception:
                log.exception("funnel write failed; the event will be delivered again")
                channel.basic_nack(method.delivery_tag, requeue=True)
                time.sleep(1.0)
                continue
            channel.basic_ack(method.delivery_tag)
        channel.cancel()
    finally:
        conn.close()
    return stored


# --- report ---------------------------------------------------------------------------

def _hour_of(column, dialect: str, tz: ZoneInfo):
    """SQL for the local hour (``YYYY-MM-DD HH:00``) of a UTC timestamp column."""
    if dialect == "postgresql":
        return func.to_char(func.date_trunc("hour", func.timezone(tz.key, column)), "YYYY-MM-DD HH24:00")
    offset = int((datetime.now(tz).utcoffset() or timedelta()).total_seconds() // 60)
    return func.strftime("%Y-%m-%d %H:00", column, f"{offset:+d} minutes")


def funnel_by_hour(s: Session, start: datetime, end: datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Per hour of invitation in [start, end): surveys invited and how many reached each later step."""
    hour = _hour_of(Survey.sent_at, s.get_bind().dialect.name, tz).label("hour")
    reached = [func.count(func.distinct(case((FunnelEvent.step == str(step), Survey.id)))).label(str(step))
               for step in STEPS_AFTER_INVITE]
    query = (select(hour, func.count(func.distinct(Survey.id)).label("invited"), *reached)
             .select_from(Survey).outerjoin(FunnelEvent, FunnelEvent.survey_token == Survey.token)
             .where(Survey.sent_at >= start, Survey.sent_at < end).group_by(hour).order_by(hour))
    return [dict(row._mapping) for row in s.execute(query)]


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


def format_funnel(rows: list[dict[str, Any]]) -> str:
    """A plain-text table: one line per hour, then the total with each step as a share of invited."""
    names = [str(s) for s in FunnelStep]
    lines = ["hour              " + "".join(f"{n:>11}" for n in names)]
    for row in rows:
        lines.append(f"{row['hour']:<18}" + "".join(f"{row[n]:>11}" for n in names))
    total = {n: sum(r[n] for r in rows) for n in names}
    lines.append(f"{'total':<18}" + "".join(f"{total[n]:>11}" for n in names))
    if total["invited"]:
        lines.append(f"{'share of invited':<18}" + "".join(f"{total[n] / total['invited']:>11.0%}" for n in names))
    return "\n".join(lines)


# --- CLI ------------------------------------------------------------------------------

def register(sub: argparse._SubParsersAction) -> None:
    """Add ``funnel`` and ``funnel-consumer`` to the CLI."""
    p = sub.add_parser("funnel", help="print the survey funnel per hour: invited, opened, rated, reason, completed")
    p.add_argument("--period", default="today", help="today, yesterday, YYYY-MM-DD, 24h, 7d (default today)")
    p.set_defaults(func=cmd_funnel)
    p = sub.add_parser("funnel-consumer", help="record the funnel from Rasa's events on RabbitMQ (RABBITMQ_*)")
    p.add_argument("--idle-stop", type=float, default=None, help="stop after this many seconds without events")
    p.set_defaults(func=cmd_funnel_consumer)


def cmd_funnel(args: argparse.Namespace) -> int:
    from bot.db.session import open_session
    from bot.settings import Settings

    settings = Settings.from_env()
    tz = ZoneInfo(settings.timezone)
    try:
        start, end = parse_period(args.period, tz)
    except ValueError as exc:
        print(exc)
        return 2
    with open_session(settings.database_url) as s:
        rows = funnel_by_hour(s, start, end, tz)
    print(f"survey funnel {start.astimezone(tz):%Y-%m-%d %H:%M} – {end.astimezone(tz):%Y-%m-%d %H:%M} "
          f"({settings.timezone}), by hour of invitation")
    print(format_funnel(rows) if rows else "no surveys sent in this period")
    return 0


def cmd_funnel_consumer(args: argparse.Namespace) -> int:
    from bot.settings import Settings

    settings = Settings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    stored = consume(settings.database_url, host=settings.rabbitmq_host, port=settings.rabbitmq_port,
                     user=settings.rabbitmq_user, password=settings.rabbitmq_password,
                     queue=settings.rabbitmq_queue, idle_stop_s=args.idle_stop)
    print(f"funnel-consumer: {stored} new funnel rows")
    return 0
