"""The ``feedbackbot`` command line.

Every module of ``bot/cli/`` (and ``classifiers.cli``) provides ``register(subparsers)`` so this module stays a thin
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

    from bot.cli import backup, demo, facts, funnel, importing, jobs, ops, owners, privacy, rating, score, staff
    from classifiers import cli as classifier

    for command_group in (rating, classifier, ops, staff, importing, demo, score, facts, funnel, jobs, backup,
                          privacy, owners):
        command_group.register(sub)
    classifier.label_provider = _labels_from_database
    return parser


def _labels_from_database() -> tuple[list, list]:
    """Person labels and decided appeals of ``DATABASE_URL`` (``feedbackbot classifier train --with-labels``)."""
    from bot.db.session import open_session
    from bot.learning.labels import golden_appeals, person_labels
    from bot.settings import Settings

    with open_session(Settings.from_env().database_url) as s:
        return person_labels(s), golden_appeals(s)


def _cli_actor() -> str:
    """``cli:<login>`` for the promotion history (a container user may have no login name)."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "cli"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``feedbackbot`` console script."""
    from bot.ledger import fact_table
    from bot.model_store import configure_classifier
    from bot.settings import Settings, SettingsError

    fact_table.install()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    configure_classifier(settings, actor=_cli_actor())
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
