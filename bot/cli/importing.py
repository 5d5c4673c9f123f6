"""``feedbackbot import-ratings``: historical calls and replies replayed through the survey core."""
from __future__ import annotations

import argparse
import sys

from bot.settings import Settings

_LISTED = 1000  # problems printed one per line; the rest are counted


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``import-ratings`` to the CLI."""
    p = sub.add_parser("import-ratings", help="import historical calls and replies through the survey core "
                                              "(call_id,agent_id,team,ended_at,replied_at,reply,reason,cause); "
                                              "the file is checked whole first, then written in batches; "
                                              "run it again to finish an interrupted import")
    p.add_argument("file")
    p.add_argument("--batch-size", type=int, default=None, help="rows per transaction (default: 2000)")
    p.add_argument("--workers", type=int, default=None,
                   help="processes deciding rows (default: one per core; 0: none, all in this process)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_import_ratings)


def _print_rows(kind: str, rows: list, more: int) -> None:
    for row in rows[:_LISTED]:
        print(f"{kind}: {row}", file=sys.stderr)
    hidden = len(rows) - min(len(rows), _LISTED) + more
    if hidden:
        print(f"… and {hidden} more {kind}(s) not listed", file=sys.stderr)


def cmd_import_ratings(args: argparse.Namespace) -> int:
    from bot.csvfile import CsvFormatError
    from bot.importing import history

    settings = Settings.from_env()
    try:
        summary = history.import_file(settings, args.file, batch_size=args.batch_size or history.BATCH_SIZE,
                                      progress=not args.no_progress, workers=args.workers)
    except CsvFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the batches written so far are committed, none half-written; "
              f"run `feedbackbot import-ratings {args.file}` again to finish (stored rows count as already present)",
              file=sys.stderr)
        return 130
    _print_rows("bad row", summary.bad, summary.bad_more)
    _print_rows("conflict", summary.conflicts.rows, summary.conflicts.more)
    if summary.refused:
        print(f"error: {args.file} was not imported (nothing written)", file=sys.stderr)
    print(summary.describe())
    return 1 if summary.bad or summary.bad_more or len(summary.conflicts) else 0
