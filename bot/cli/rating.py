"""``feedbackbot parse-rating``: parse survey replies given as JSON lines.

Input on stdin, one object per line: ``{"id": ..., "text": "..."}``.
Output on stdout, one object per non-blank input line and in input order:
``{"id": ..., "score": 1-5 | null, "kind": "..."}``. A line that cannot be
used (not JSON, not an object, no ``text`` or a non-string ``text``) gets
``kind: "unparseable"`` plus an ``error`` message instead of stopping the run,
so one bad record never costs the rest of a batch.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.rating.parser import ParsedReply, parse_reply

HELP = "Parse 1-5 satisfaction replies (JSON lines {id, text} on stdin) into scores."


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``parse-rating`` sub-command to the main CLI.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers``.

    Returns:
        The sub-command's parser.
    """
    parser = subparsers.add_parser(
        "parse-rating",
        help=HELP,
        description=HELP
        + ' Writes one JSON line {"id", "score", "kind"} per input line, in order;'
        + ' malformed lines get kind "unparseable" and an "error" field.',
    )
    parser.set_defaults(func=run)
    return parser


def _error(record_id: Any, message: str) -> dict[str, Any]:
    return {"id": record_id, "score": None, "kind": "unparseable", "error": message}


def _result(line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except ValueError:
        return _error(None, "invalid JSON")
    if not isinstance(record, dict):
        return _error(None, "expected a JSON object")
    record_id = record.get("id")
    if "text" not in record:
        return _error(record_id, "missing text")
    text = record["text"]
    if not isinstance(text, str):
        return _error(record_id, "text must be a string")
    parsed: ParsedReply = parse_reply(text)
    return {"id": record_id, "score": parsed.score, "kind": parsed.kind}


def run(args: argparse.Namespace | None = None) -> int:
    """Read ``{"id", "text"}`` JSON lines from stdin and write parsed results to stdout.

    Blank lines are skipped; every other line yields exactly one output line.

    Args:
        args: Parsed command-line arguments (the sub-command takes none).

    Returns:
        Exit status 0: bad lines are reported inline, not through the status.
    """
    # Looked up at call time so tests (and callers) can swap the streams.
    stdin, stdout = sys.stdin, sys.stdout
    # JSON lines are UTF-8 whatever the locale says; undecodable bytes become
    # U+FFFD in one record instead of aborting the whole batch.
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(encoding="utf-8", errors="replace")
    if hasattr(stdout, "reconfigure"):
        stdout.reconfigure(encoding="utf-8")
    for raw in stdin:
        line = raw.strip().lstrip("\ufeff")  # a BOM survives Windows exports
        if not line:
            continue
        stdout.write(json.dumps(_result(line), ensure_ascii=False) + "\n")
    stdout.flush()
    return 0
