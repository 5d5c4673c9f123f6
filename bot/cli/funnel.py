"""``feedbackbot funnel`` (the report) and ``feedbackbot funnel-consumer`` (the RabbitMQ consumer)."""
from __future__ import annotations

import argparse
import logging
from zoneinfo import ZoneInfo


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``funnel`` and ``funnel-consumer`` to the CLI."""
    p = sub.add_parser("funnel", help="print the survey funnel per hour: invited, opened, rated, reason, completed")
    p.add_argument("--period", default="today", help="today, yesterday, YYYY-MM-DD, 24h, 7d (default today)")
    p.add_argument("--by-channel", action="store_true",
                   help="one line per channel (web, sms, wechat) with its shares, instead of per hour")
    p.set_defaults(func=cmd_funnel)
    p = sub.add_parser("funnel-consumer", help="record the funnel from Rasa's events on RabbitMQ (RABBITMQ_*)")
    p.add_argument("--idle-stop", type=float, default=None, help="stop after this many seconds without events")
    p.set_defaults(func=cmd_funnel_consumer)


def cmd_funnel(args: argparse.Namespace) -> int:
    from bot.db.session import open_session
    from bot.scoring.funnel import format_funnel, funnel_by_channel, funnel_by_hour, parse_period
    from bot.settings import Settings

    settings = Settings.from_env()
    tz = ZoneInfo(settings.timezone)
    try:
        start, end = parse_period(args.period, tz)
    except ValueError as exc:
        print(exc)
        return 2
    with open_session(settings.database_url) as s:
        rows = funnel_by_channel(s, start, end) if args.by_channel else funnel_by_hour(s, start, end, tz)
    grouping = "by channel" if args.by_channel else "by hour of invitation"
    print(f"survey funnel {start.astimezone(tz):%Y-%m-%d %H:%M} – {end.astimezone(tz):%Y-%m-%d %H:%M} "
          f"({settings.timezone}), {grouping}")
    key = "channel" if args.by_channel else "hour"
    print(format_funnel(rows, key) if rows else "no surveys sent in this period")
    return 0


def cmd_funnel_consumer(args: argparse.Namespace) -> int:
    from bot.ops.funnel_consumer import consume
    from bot.settings import Settings

    settings = Settings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    stored = consume(settings.database_url, host=settings.rabbitmq_host, port=settings.rabbitmq_port,
                     user=settings.rabbitmq_user, password=settings.rabbitmq_password,
                     queue=settings.rabbitmq_queue, idle_stop_s=args.idle_stop)
    print(f"funnel-consumer: {stored} new funnel rows")
    return 0
