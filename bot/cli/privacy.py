"""``feedbackbot privacy export|erase --channel ID``: the right of access and erasure on request."""
from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``privacy`` to the CLI."""
    p = sub.add_parser("privacy", help="what we hold about one customer, and erasing it")
    psub = p.add_subparsers(dest="privacy_command", required=True)
    e = psub.add_parser("export", help="print, as JSON, everything held about the customer with this channel id")
    e.add_argument("--channel", required=True, help="the customer's channel id (mobile number, openid, messaging id)")
    e.set_defaults(func=cmd_export)
    e = psub.add_parser("erase", help="remove every free text and identity of the customer (scores and causes stay)")
    e.add_argument("--channel", required=True)
    e.add_argument("--tracker-url", default=None,
                   help="Rasa's SQL tracker store (postgresql://…/rasa) to delete the conversations' events from")
    e.set_defaults(func=cmd_erase)


def _identity(raw: str) -> str:
    from bot.channels.identity import IdentityError, normalize_mobile

    try:
        return normalize_mobile(raw)  # a number in any written form is the SMS identity
    except IdentityError:
        return raw.strip()


def cmd_export(args: argparse.Namespace) -> int:
    from bot.db.session import open_session
    from bot.privacy.erasure import export
    from bot.settings import Settings

    settings = Settings.from_env()
    with open_session(settings.database_url) as s:
        held = export(s, _identity(args.channel), settings.session_secret)
    print(json.dumps(held, ensure_ascii=False, indent=2))
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    from bot.clock import utcnow
    from bot.db.session import open_session
    from bot.privacy.erasure import do_erase
    from bot.settings import Settings

    settings = Settings.from_env()
    identity = _identity(args.channel)
    with open_session(settings.database_url) as s, s.begin():
        tracker = open_session(args.tracker_url) if args.tracker_url else None
        try:
            found = do_erase(s, identity, settings.session_secret, now=utcnow(), actor="cli", tracker=tracker)
            if tracker is not None:
                tracker.commit()
        finally:
            if tracker is not None:
                tracker.close()
    if not found.surveys and not any(found.counts.values()):
        print("privacy erase: nothing held for this channel id", file=sys.stderr)
        return 1
    print(f"erased: {len(found.surveys)} survey(s); " + ", ".join(f"{k} {v}" for k, v in found.counts.items()))
    return 0
