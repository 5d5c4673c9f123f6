"""Run the classifier commands without the rest of the bot.

    python -m classifiers classifier train --promote
    python -m classifiers classify < lines.jsonl

``classifiers/project.yml`` runs this file directly (``python __main__.py …``
from the ``classifiers`` directory), hence the path set-up below.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

if not __package__:  # executed as a file: make the project importable
    # Replace (not just precede) this directory on sys.path: classifiers/tokenize.py
    # would otherwise shadow the standard library's tokenize (inspect needs it).
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(here.parent))

from classifiers import cli  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classifiers")
    sub = parser.add_subparsers(dest="command", required=True)
    cli.register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
