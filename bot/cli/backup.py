"""``feedbackbot backup PATH`` and ``feedbackbot restore PATH`` for the SQLite default."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``backup`` and ``restore`` to the CLI."""
    p = sub.add_parser("backup", help="copy the SQLite database to PATH, consistent while the servers run")
    p.add_argument("path", type=Path)
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="replace the SQLite database with the backup at PATH (stop the servers first)")
    p.add_argument("path", type=Path)
    p.set_defaults(func=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> int:
    from bot.ops.backup import BackupError, backup
    from bot.settings import Settings

    try:
        pages = backup(Settings.from_env().database_url, args.path)
    except BackupError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 2
    print(f"backed up {pages} pages to {args.path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from bot.ops.backup import BackupError, restore
    from bot.settings import Settings

    try:
        restore(args.path, Settings.from_env().database_url)
    except BackupError as exc:
        print(f"restore: {exc}", file=sys.stderr)
        return 2
    print(f"restored the database from {args.path}")
    return 0
