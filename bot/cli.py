"""The ``feedbackbot`` command line.

Each feature registers its own sub-commands so this module stays a thin
dispatcher and imports heavy dependencies only for the command that runs.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every feature's sub-commands."""
    parser = argparse.ArgumentParser(prog="feedbackbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    from bot.rating import cli as rating_cli

    rating_cli.register(sub)

    from classifiers import cli as classifier_cli

    classifier_cli.register(sub)

    from bot import manage, staff_cli

    manage.register(sub)
    staff_cli.register(sub)

    from bot import facts_cli, scoring_cli

    scoring_cli.register(sub)
    facts_cli.register(sub)

    from bot import funnel, production

    production.register(sub)
    funnel.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``feedbackbot`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
