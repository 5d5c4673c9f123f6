"""``feedbackbot owners list|set|remove``: the owners of non-staff causes, as the admin page sets them."""
from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``owners list|set|remove`` to the CLI."""
    p = sub.add_parser("owners", help="owners of non-staff causes (department, e-mail, group robot)")
    owners_sub = p.add_subparsers(dest="owners_command", required=True)
    q = owners_sub.add_parser("list", help="print every non-staff cause and its owner")
    q.set_defaults(func=cmd_list)
    q = owners_sub.add_parser("set", help="create or replace the owner of one cause")
    q.add_argument("cause", help="a non-staff cause code, e.g. company.product")
    q.add_argument("--department", required=True)
    q.add_argument("--emails", default="", help="comma-separated addresses")
    q.add_argument("--webhook-kind", choices=["wecom", "dingtalk"], default="")
    q.add_argument("--webhook-url", default="")
    q.add_argument("--webhook-secret", default="", help="DingTalk 加签 secret (SEC…); kept when omitted")
    q.set_defaults(func=cmd_set)
    q = owners_sub.add_parser("remove", help="remove the owner of one cause")
    q.add_argument("cause")
    q.set_defaults(func=cmd_remove)


def cmd_list(args: argparse.Namespace) -> int:
    from bot.db.session import open_session
    from bot.domain.cause_names import CAUSE_NAMES
    from bot.notifications import owners
    from bot.settings import Settings

    with open_session(Settings.from_env().database_url) as s:
        current = owners.all_owners(s)
        for code in owners.OWNABLE:
            o = current.get(code)
            contact = "" if o is None else "  ".join(filter(None, (
                o.emails, f"{o.webhook_kind}:{o.webhook_url.split('?', 1)[0]}" if o.webhook_url else "",
                "signed" if o.webhook_secret else "")))
            print(f"{code:<18} {CAUSE_NAMES[code]:<8} {o.department if o else '-':<16} {contact}")
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    from bot.clock import utcnow
    from bot.db.session import open_session
    from bot.notifications import owners
    from bot.settings import Settings

    data = owners.OwnerInput(cause=args.cause, department=args.department, emails=args.emails,
                             webhook_kind=args.webhook_kind, webhook_url=args.webhook_url,
                             webhook_secret=args.webhook_secret)
    with open_session(Settings.from_env().database_url) as s, s.begin():
        refusal = owners.do_set_owner(s, data, actor="cli", now=utcnow())
    if refusal is not None:
        print(f"owners set: refused ({refusal.value})", file=sys.stderr)
        return 2
    print(f"owner of {args.cause} set")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from bot.clock import utcnow
    from bot.db.session import open_session
    from bot.notifications import owners
    from bot.settings import Settings

    with open_session(Settings.from_env().database_url) as s, s.begin():
        removed = owners.do_remove_owner(s, args.cause, actor="cli", now=utcnow())
    print(f"owner of {args.cause} {'removed' if removed else 'was not set'}")
    return 0 if removed else 1
