"""``feedbackbot demo-centre``: a demo call centre for development."""
from __future__ import annotations

import argparse
import sys

from bot.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``demo-centre`` to the CLI."""
    p = sub.add_parser("demo-centre", help="load a demo call centre (development only) and print its logins")
    p.set_defaults(func=cmd_demo_centre)


def cmd_demo_centre(args: argparse.Namespace) -> int:
    from bot.demo import centre

    settings = Settings.from_env()
    try:
        logins = centre.load(settings)
    except centre.DemoRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(centre.describe_logins(logins, settings.public_base_url))
    return 0
