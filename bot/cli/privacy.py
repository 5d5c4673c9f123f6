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
    e = psub.add_parser("erase", help="remove every free text and identity of the customer (scores and causes stay), "
                                      "here and in Rasa's tracker store")
    e.add_argument("--channel", required=True)
    e.add_argument("--why", default=None, help="why (the request's reference): kept in the audit row")
    e.set_defaults(func=cmd_erase)


def _identity(raw: str) -> str:
    """The identity calls were registered with; an invalid number is refused with the reason."""
    from bot.channels.identity import IdentityError
    from bot.privacy.erasure import read_identity

    try:
        return read_identity(raw).value
    except IdentityError as exc:
        raise SystemExit(f"privacy: {exc.message_zh} ({exc})") from exc


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
    from bot.privacy.tracker import do_erase_tracker
    from bot.settings import Settings

    settings = Settings.from_env()
    identity = _identity(args.channel)
    with open_session(settings.database_url) as s, s.begin():
        found = do_erase(s, identity, settings.session_secret, now=utcnow(), actor="cli", why=args.why)
    if not found.surveys and not any(found.counts.values()):
        print("privacy erase: nothing held for this channel id", file=sys.stderr)
        return 1
    print(f"erased: {len(found.surveys)} survey(s); " + ", ".join(f"{k} {v}" for k, v in found.counts.items()))
    outcome = do_erase_tracker(settings, found, actor="cli", now=utcnow())
    if not outcome.ok:
        print(f"tracker store: NOT erased ({outcome.error or outcome.way}): set RASA_TRACKER_DB_* (SQL tracker "
              "store) or RASA_API_TOKEN (Rasa's HTTP API) and reach Rasa, then run the command again",
              file=sys.stderr)
        return 2
    print(f"tracker store ({outcome.way}): removed {outcome.events} event(s) of {outcome.conversations} "
          "conversation(s)")
    return 0
