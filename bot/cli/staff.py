"""Staff sub-commands: ``roster import`` and ``user set-password`` / ``disable`` / ``enable``."""
from __future__ import annotations

import argparse
import getpass
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add the staff-side commands to the CLI."""
    p = sub.add_parser("roster", help="staff roster")
    rsub = p.add_subparsers(dest="roster_command", required=True)
    r = rsub.add_parser("import", help="import agents, teams and supervisors from a CSV "
                                       "(agent_id,name,team,supervisor_id,role)")
    r.add_argument("file")
    r.set_defaults(func=cmd_roster_import)

    p = sub.add_parser("user", help="local staff accounts")
    usub = p.add_subparsers(dest="user_command", required=True)
    u = usub.add_parser("set-password", help="set the login password of a staff member (asked twice)")
    u.add_argument("agent_id")
    u.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    u.set_defaults(func=cmd_set_password)
    for name, disabled, text in (("disable", True, "refuse the account's logins and end its sessions"),
                                 ("enable", False, "allow a disabled account to log in again")):
        u = usub.add_parser(name, help=text)
        u.add_argument("agent_id")
        u.set_defaults(func=cmd_set_disabled, disabled=disabled)


def _settings():
    from bot.settings import Settings

    return Settings.from_env()


def _print_bad(bad) -> None:
    for row in bad:
        print(f"bad row: {row}", file=sys.stderr)


def cmd_roster_import(args: argparse.Namespace) -> int:
    from bot.clock import utcnow
    from bot.csvfile import CsvFormatError
    from bot.db.session import open_session
    from bot.staff import roster

    settings = _settings()
    try:
        with open_session(settings.database_url) as s, s.begin():
            report = roster.import_roster(s, args.file, now=utcnow())
    except CsvFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _print_bad(report.bad)
    print(f"rows: {report.rows}, agents created: {report.agents_created}, updated: {report.agents_updated}, "
          f"teams created: {report.teams_created}, team moves: {report.moves}, bad rows: {len(report.bad)}")
    return 1 if report.bad else 0


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("new password: ")
    if getpass.getpass("again: ") != first:
        print("error: the two passwords differ", file=sys.stderr)
        return None
    return first


def cmd_set_password(args: argparse.Namespace) -> int:
    from bot.clock import utcnow
    from bot.db.session import open_session
    from bot.staff import accounts

    password = _read_password(args.password_stdin)
    if password is None:
        return 2
    settings = _settings()
    try:
        with open_session(settings.database_url) as s, s.begin():
            accounts.set_password(s, args.agent_id, password, now=utcnow())
    except (accounts.PasswordRefused, LookupError) as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    print(f"password set for {args.agent_id} (any session of the account was ended)")
    return 0


def cmd_set_disabled(args: argparse.Namespace) -> int:
    from bot.conversation.calls import utcnow
    from bot.db.session import open_session
    from bot.staff import accounts

    settings = _settings()
    try:
        with open_session(settings.database_url) as s, s.begin():
            accounts.set_disabled(s, args.agent_id, args.disabled, now=utcnow())
    except LookupError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    print(f"{args.agent_id} {'disabled, every session ended' if args.disabled else 'enabled'}")
    return 0
