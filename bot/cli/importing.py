"""``feedbackbot import-ratings``: historical calls and replies replayed through the survey core."""
from __future__ import annotations

import argparse
import sys

from bot.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``import-ratings`` to the CLI."""
    p = sub.add_parser("import-ratings", help="import historical calls and replies through the survey core "
                                              "(call_id,agent_id,team,ended_at,replied_at,reply,reason,cause)")
    p.add_argument("file")
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_import_ratings)


def cmd_import_ratings(args: argparse.Namespace) -> int:
    from bot.csvfile import CsvFormatError
    from bot.importing import history

    settings = Settings.from_env()
    try:
        summary = history.import_file(settings, args.file, batch_size=args.batch_size,
                                             progress=not args.no_progress)
    except CsvFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for row in summary.bad:
        print(f"bad row: {row}", file=sys.stderr)
    print(summary.describe())
    return 1 if summary.bad else 0
